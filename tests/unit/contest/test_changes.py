"""A streamed page's change: applied to the base page it gives the new page, and names only what changed."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.contest.test_domain import PEOPLE, T0, contest, res, result_strategy, rules

from arena.contest.changes import PageChange, Placed, apply_page_change, page_change
from arena.contest.domain import JURY, Participant, Result, ScoringRule, Verdict, standings

MORE_PEOPLE = [*PEOPLE, *(Participant(u, u.upper()) for u in ("eve", "fay", "gus", "hal"))]
NOW = T0 + dt.timedelta(hours=4)


def board(results: list[Result], rule: ScoringRule = ScoringRule.ICPC, people: list[Participant] = MORE_PEOPLE):
    return standings(contest(scoring_rule=rule), people, results, JURY, NOW).rows


@settings(max_examples=300, deadline=None)
@given(
    st.lists(result_strategy, max_size=30),
    st.lists(result_strategy, min_size=1, max_size=6),
    rules,
    st.integers(1, 8),
    st.integers(1, 8),
)
def test_applying_the_change_to_the_base_page_gives_the_new_page(
    before: list[Result], more: list[Result], rule: ScoringRule, base_size: int, new_size: int
) -> None:
    base = board(before, rule)[:base_size]
    new = board(before + more, rule)[:new_size]
    change = page_change(base, new)
    assert apply_page_change(base, change) == new
    # Only positions whose row differs are named; the rest the client keeps.
    for placed in change.placed:
        assert placed.position >= len(base) or base[placed.position] != placed.row
    kept = {p for p in range(min(len(base), len(new))) if base[p] == new[p]}
    assert kept.isdisjoint(p.position for p in change.placed)


def test_a_verdict_outside_the_page_changes_nothing_on_it() -> None:
    results = [res(f"s{i}", p.user_id, "p1", Verdict.ACCEPTED, 10 + i) for i, p in enumerate(MORE_PEOPLE)]
    base = board(results)[:3]
    later = board([*results, res("w", "hal", "p2", Verdict.WRONG_ANSWER, 50)])[:3]
    assert page_change(base, later) == PageChange(3, ())


def test_a_climb_sends_the_climber_whole_and_the_passed_rows_as_moves() -> None:
    results = [res(f"s{i}", p.user_id, "p1", Verdict.ACCEPTED, 10 + i) for i, p in enumerate(MORE_PEOPLE)]
    base = board(results)[:5]
    # hal (last, 8th) solves a second problem: first place; the four shown below move down one.
    new = board([*results, res("x", "hal", "p2", Verdict.ACCEPTED, 60)])[:5]
    change = page_change(base, new)
    assert change.placed[0] == Placed(0, new[0], moved=False)
    assert new[0].user_id == "hal"
    assert [(p.position, p.row.user_id, p.row.rank, p.moved) for p in change.placed[1:]] == [
        (1, "ann", 2, True),
        (2, "bob", 3, True),
        (3, "cyd", 4, True),
        (4, "dan", 5, True),
    ]


def test_a_rename_is_a_new_row_not_a_move() -> None:
    results = [res("s1", "ann", "p1", Verdict.ACCEPTED, 10)]
    base = board(results)[:2]
    renamed = [Participant(p.user_id, "Ann!" if p.user_id == "ann" else p.display_name) for p in MORE_PEOPLE]
    new = board(results, people=renamed)[:2]
    (placed,) = page_change(base, new).placed
    assert placed == Placed(0, new[0], moved=False) and placed.row.display_name == "Ann!"


def test_a_change_that_leaves_a_hole_is_refused() -> None:
    base = board([])[:2]
    with pytest.raises(ValueError, match="empty"):
        apply_page_change(base, PageChange(4, (Placed(3, dataclasses.replace(base[0], rank=4), moved=False),)))
