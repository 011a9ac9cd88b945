"""LiveStandings equals a full recomputation after any sequence of board changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.contest.test_domain import PEOPLE, T0, contest, res, result_strategy, rules

from arena.contest.domain import JURY, PUBLIC, Participant, Result, ScoringRule, Verdict, Viewer, ViewerKind, standings
from arena.contest.ranking import Added, LiveStandings, reveal

VIEWERS = (JURY, PUBLIC, Viewer(ViewerKind.CONTESTANT, "bob"))

# One step of a board's life: results recorded (new, rejudged or replayed), a registration, a rename, a
# result withdrawn (a rejudging set aside), or the contest edited / its final standings published.
step_strategy = st.one_of(
    st.tuples(st.just("record"), st.lists(result_strategy, min_size=1, max_size=4)),
    st.tuples(st.just("register"), st.sampled_from(["eve", "fay"])),
    st.tuples(st.just("rename"), st.sampled_from([p.user_id for p in PEOPLE])),
    st.tuples(st.just("withdraw"), st.integers(0, 40)),
    st.tuples(st.just("edit"), st.sampled_from(["longer", "publish", "rule"])),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(result_strategy, max_size=30), st.lists(step_strategy, max_size=12), rules, st.sampled_from(VIEWERS))
def test_live_standings_equal_a_recomputation_after_every_change(
    initial: list[Result], steps: list[tuple[str, object]], rule: ScoringRule, viewer: Viewer
) -> None:
    c = contest(scoring_rule=rule)
    people = list(PEOPLE)
    results = list(initial)
    live = LiveStandings(viewer)
    assert live.update(c, people, results) == standings(c, people, results, viewer)
    for kind, arg in steps:
        hint = None
        if kind == "record":  # as folding recorded verdicts into a held board makes it: with what it added
            assert isinstance(arg, list)
            hint = Added(results, tuple(arg))
            results = results + arg
        elif kind == "register":
            people = [*people, Participant(str(arg), str(arg).upper())]
            results = [*results, res(f"s-{arg}", str(arg), "p1", Verdict.ACCEPTED, 3)]
        elif kind == "rename":
            people = [Participant(p.user_id, p.display_name + "!") if p.user_id == arg else p for p in people]
        elif kind == "withdraw":
            results = [r for r in results if r.submission_id != f"s{arg}"]
        elif arg == "longer":
            c = dataclasses.replace(
                c, spec=dataclasses.replace(c.spec, duration=c.spec.duration + dt.timedelta(hours=1))
            )
        elif arg == "publish":
            c = dataclasses.replace(c, final_standings_published=True)
        else:
            other = ScoringRule.IOI if c.spec.scoring_rule is ScoringRule.ICPC else ScoringRule.ICPC
            c = dataclasses.replace(c, spec=dataclasses.replace(c.spec, scoring_rule=other))
        now = T0 + dt.timedelta(hours=4, minutes=30)
        assert live.update(c, people, results, now, hint) == standings(c, people, results, viewer, now)
        if viewer is PUBLIC:  # a contestant's board from the public entries plus their own
            for me in ("ann", "eve"):
                mine = Viewer(ViewerKind.CONTESTANT, me)
                assert live.seen_by(mine, c, people, results, now, hint) == standings(c, people, results, mine, now)


def test_one_new_result_recomputes_one_entry() -> None:
    c = contest()
    results = [res(f"s{i}", p.user_id, "p1", Verdict.WRONG_ANSWER, i) for i, p in enumerate(PEOPLE)]
    live = LiveStandings(JURY)
    live.update(c, PEOPLE, results)
    assert live.recomputed == len(PEOPLE)
    board = live.update(c, PEOPLE, [*results, res("s9", "cyd", "p2", Verdict.ACCEPTED, 30)])
    assert live.recomputed == 1
    assert board.rows[0].user_id == "cyd" and board.rows[0].cells[1].first_solve
    live.update(c, PEOPLE, [*results, res("s9", "cyd", "p2", Verdict.ACCEPTED, 30)])
    assert live.recomputed == 0


def test_with_what_was_added_only_the_added_results_are_compared_and_unchanged_rows_are_kept() -> None:
    c = contest()
    results = [res(f"s{i}", p.user_id, "p1", Verdict.WRONG_ANSWER, i) for i, p in enumerate(PEOPLE)]
    live = LiveStandings(JURY)
    before = live.update(c, PEOPLE, results)
    new = res("s9", "dan", "p1", Verdict.WRONG_ANSWER, 30)
    more = [*results, new]

    class Unread(list[Result]):  # the board's whole results: with the hint, never iterated
        def __iter__(self):  # type: ignore[no-untyped-def]
            raise AssertionError("the whole results were compared")

    after = live.update(c, PEOPLE, Unread(more), added=Added(results, (new,)))
    assert live.recomputed == 1
    assert after == standings(c, PEOPLE, more, JURY)
    dan = next(r for r in after.rows if r.user_id == "dan")
    assert dan.cells[0].rejected_attempts == 2
    # Rows whose entry, rank and first-solve flags did not change are the same objects as before.
    kept = {r.user_id for r in after.rows} - {"dan"}
    assert all(a is b for a in after.rows for b in before.rows if a.user_id == b.user_id and a.user_id in kept)
    # A hint about another board than the one held is not used: everything is compared.
    stale = live.update(c, PEOPLE, [*more, res("s10", "ann", "p2", Verdict.ACCEPTED, 40)], added=Added(results, ()))
    assert stale.rows[0].user_id == "ann" and live.recomputed == 1


@settings(max_examples=150, deadline=None)
@given(st.lists(result_strategy, max_size=40), rules)
def test_the_reveal_goes_from_the_frozen_board_to_the_published_one_a_cell_at_a_time(
    results: list[Result], rule: ScoringRule
) -> None:
    c = contest(scoring_rule=rule)
    steps = list(reveal(c, PEOPLE, results))
    published = dataclasses.replace(c, final_standings_published=True)
    if len(steps) > 1:  # something pending: the reveal starts from the public frozen board
        assert steps[0].standings == standings(c, PEOPLE, results, PUBLIC)
    assert steps[-1].standings == standings(published, PEOPLE, results, PUBLIC)
    assert [s.remaining for s in steps] == list(range(len(steps) - 1, -1, -1))
    labels = {p.problem_id: k for k, p in enumerate(c.spec.problems)}
    for before, step in itertools.pairwise(steps):
        with_pending = [r for r in before.standings.rows if any(x.pending_attempts for x in r.cells)]
        lowest = with_pending[-1]  # resolved from the bottom of the board up, leftmost pending cell first
        assert step.user_id == lowest.user_id
        assert labels[step.problem_id] == next(k for k, x in enumerate(lowest.cells) if x.pending_attempts)
        row = next(r for r in step.standings.rows if r.user_id == step.user_id)
        assert row.cells[labels[step.problem_id]].pending_attempts == 0
        assert row.cells[labels[step.problem_id]].solved == step.solved


def test_a_contest_without_pending_cells_reveals_in_one_step() -> None:
    c = contest()
    steps = list(reveal(c, PEOPLE, [res("s1", "ann", "p1", Verdict.ACCEPTED, 10)]))
    assert len(steps) == 1 and steps[0].remaining == 0 and not steps[0].standings.frozen
