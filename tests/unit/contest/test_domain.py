"""The contest domain without I/O: phases on a fake clock, validation, ICPC and IOI scoring, the freeze."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.contest.domain import (
    JURY,
    PUBLIC,
    Contest,
    ContestProblem,
    GroupScore,
    Participant,
    Phase,
    Result,
    ScoringRule,
    Spec,
    Verdict,
    Viewer,
    ViewerKind,
    authorize,
    check_registration,
    hidden_from,
    latest,
    phase_at,
    require_manager,
    standings,
    validate,
    validate_update,
    viewer_for,
)
from arena.core.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from arena.core.identity import Identity

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def spec(**changes: object) -> Spec:
    base = Spec(
        title="Winter Cup",
        scoring_rule=ScoringRule.ICPC,
        start_time=T0,
        duration=dt.timedelta(hours=5),
        problems=(ContestProblem("p1", "A"), ContestProblem("p2", "B"), ContestProblem("p3", "C")),
        freeze_before_end=dt.timedelta(hours=1),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def contest(**changes: object) -> Contest:
    published = bool(changes.pop("published", False))
    return Contest("c1", spec(**changes), "setter", T0 - dt.timedelta(days=1), T0, published)


PEOPLE = [Participant(u, u.upper()) for u in ("ann", "bob", "cyd", "dan")]


def res(sid: str, user: str, problem: str, verdict: Verdict, minute: float, **kw: object) -> Result:
    return Result(sid, user, problem, verdict, T0 + dt.timedelta(minutes=minute), **kw)  # type: ignore[arg-type]


def ident(user_id: str, *roles: str) -> Identity:
    return Identity(user_id, user_id, frozenset({"USER", *roles}), "t", "s", 0.0)


def violations(bad: Spec) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as caught:
        validate(bad)
    return {v.field: v.description for v in caught.value.violations}


# -- phases ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "phase"),
    [
        (-dt.timedelta(days=1), Phase.UPCOMING),
        (-dt.timedelta(microseconds=1), Phase.UPCOMING),
        (dt.timedelta(0), Phase.RUNNING),
        (dt.timedelta(hours=4) - dt.timedelta(microseconds=1), Phase.RUNNING),
        (dt.timedelta(hours=4), Phase.FROZEN),
        (dt.timedelta(hours=5) - dt.timedelta(microseconds=1), Phase.FROZEN),
        (dt.timedelta(hours=5), Phase.ENDED),
        (dt.timedelta(days=3), Phase.ENDED),
    ],
)
def test_phase_is_a_function_of_the_times_and_the_clock(offset: dt.timedelta, phase: Phase) -> None:
    assert phase_at(spec(), T0 + offset) is phase


def test_without_a_freeze_a_contest_runs_until_the_end() -> None:
    s = spec(freeze_before_end=dt.timedelta(0))
    assert phase_at(s, s.end_time - dt.timedelta(microseconds=1)) is Phase.RUNNING
    assert s.freeze_time is None


@given(st.integers(min_value=-(10**7), max_value=10**7))
def test_phases_follow_in_order(seconds: int) -> None:
    s = spec()
    now = T0 + dt.timedelta(seconds=seconds)
    later = phase_at(s, now + dt.timedelta(seconds=1))
    assert later.value >= phase_at(s, now).value


# -- validation --------------------------------------------------------------------------------------


def test_a_valid_contest_passes_with_labels_assigned_in_order() -> None:
    cleaned = validate(spec(title="  Cup ", problems=(ContestProblem("x"), ContestProblem("y", "Z"))))
    assert cleaned.title == "Cup"
    assert [(p.label, p.max_score) for p in cleaned.problems] == [("A", 100), ("Z", 100)]


def test_every_violation_is_reported_with_its_field() -> None:
    bad = violations(
        spec(
            title=" ",
            duration=-dt.timedelta(hours=1),
            freeze_before_end=-MIN,
            penalty_per_rejection=-MIN,
            problems=(ContestProblem("p1", "A"), ContestProblem("p1", "a"), ContestProblem("", "B!")),
        )
    )
    assert set(bad) == {
        "contest.title",
        "contest.duration",
        "contest.freeze_before_end",
        "contest.penalty_per_rejection",
        "contest.problems[1].problem_id",
        "contest.problems[1].label",
        "contest.problems[2].problem_id",
        "contest.problems[2].label",
    }
    assert "end must come after the start" in bad["contest.duration"]


def test_empty_problems_and_a_freeze_longer_than_the_contest_are_refused() -> None:
    assert "at least one" in violations(spec(problems=()))["contest.problems"]
    assert (
        "longer than the contest"
        in violations(spec(freeze_before_end=dt.timedelta(hours=6)))["contest.freeze_before_end"]
    )
    assert "contest.duration" in violations(spec(duration=dt.timedelta(seconds=30)))


def test_before_the_start_everything_may_change() -> None:
    s = validate_update(spec(), {"problems": (ContestProblem("p9"),), "start_time": T0 + MIN}, T0 - MIN)
    assert s.problems == (ContestProblem("p9", "A"),) and s.start_time == T0 + MIN


def test_after_the_start_only_title_description_end_and_freeze_may_change() -> None:
    now = T0 + dt.timedelta(hours=1)
    longer = validate_update(spec(), {"duration": dt.timedelta(hours=6), "title": "Longer"}, now)
    assert longer.end_time == T0 + dt.timedelta(hours=6)
    for field, value in [("problems", ()), ("start_time", T0), ("penalty_per_rejection", MIN)]:
        with pytest.raises(FailedPrecondition):
            validate_update(spec(), {field: value}, now)
    with pytest.raises(InvalidArgument):
        validate_update(spec(), {"duration": dt.timedelta(minutes=30)}, now)  # would end in the past
    with pytest.raises(InvalidArgument) as caught:
        validate_update(spec(), {"scoring_rule": ScoringRule.IOI}, T0 - MIN)
    assert caught.value.reason == "INVALID_UPDATE_MASK"


def test_only_the_author_or_an_admin_manage() -> None:
    require_manager(contest(), ident("setter", "SETTER"))
    require_manager(contest(), ident("root", "SETTER", "ADMIN"))
    with pytest.raises(PermissionDenied):
        require_manager(contest(), ident("other", "SETTER"))


# -- authorization -----------------------------------------------------------------------------------


def test_authorize_says_why_not() -> None:
    c = contest()
    assert authorize(c, True, "p2", T0 + MIN).label == "B"
    cases = [
        (T0 - MIN, True, "p1", "CONTEST_NOT_RUNNING"),
        (T0 + dt.timedelta(hours=5), True, "p1", "CONTEST_NOT_RUNNING"),
        (T0 + MIN, False, "p1", "CONTEST_NOT_REGISTERED"),
        (T0 + MIN, True, "p7", "PROBLEM_NOT_IN_CONTEST"),
    ]
    for now, registered, problem, reason in cases:
        with pytest.raises(FailedPrecondition) as caught:
            authorize(c, registered, problem, now)
        assert caught.value.reason == reason
    assert authorize(c, True, "p1", T0 + dt.timedelta(hours=4, minutes=30)).label == "A"  # frozen still runs


def test_registration_closes_at_the_end() -> None:
    check_registration(contest(), T0 + dt.timedelta(hours=4))
    with pytest.raises(FailedPrecondition) as caught:
        check_registration(contest(), T0 + dt.timedelta(hours=5))
    assert caught.value.reason == "CONTEST_REGISTRATION_CLOSED"


# -- ICPC --------------------------------------------------------------------------------------------


def test_icpc_counts_solved_then_penalty_and_ignores_compile_and_judge_errors() -> None:
    results = [
        res("1", "ann", "p1", Verdict.WRONG_ANSWER, 5),
        res("2", "ann", "p1", Verdict.COMPILATION_ERROR, 6),
        res("3", "ann", "p1", Verdict.ACCEPTED, 10.9),  # 10 minutes + 20 penalty
        res("4", "ann", "p1", Verdict.WRONG_ANSWER, 12),  # after the solve: ignored
        res("5", "bob", "p1", Verdict.ACCEPTED, 25),
        res("6", "bob", "p2", Verdict.INTERNAL_ERROR, 26),
        res("7", "cyd", "p2", Verdict.TIME_LIMIT_EXCEEDED, 30),
    ]
    board = standings(contest(freeze_before_end=dt.timedelta(0)), PEOPLE, results)
    rows = {r.user_id: r for r in board.rows}
    assert rows["ann"].penalty == dt.timedelta(minutes=30) and rows["ann"].solved_count == 1
    assert rows["ann"].cells[0].rejected_attempts == 1 and rows["ann"].cells[0].first_solve
    assert rows["bob"].penalty == dt.timedelta(minutes=25) and not rows["bob"].cells[0].first_solve
    assert rows["bob"].cells[1].rejected_attempts == 0
    assert rows["cyd"].cells[1].rejected_attempts == 1
    assert [(r.rank, r.user_id) for r in board.rows] == [(1, "bob"), (2, "ann"), (3, "cyd"), (3, "dan")]


def test_icpc_ties_share_a_rank_and_only_the_earliest_solve_is_first() -> None:
    results = [res("1", "ann", "p1", Verdict.ACCEPTED, 7), res("2", "bob", "p1", Verdict.ACCEPTED, 7.5)]
    board = standings(contest(), PEOPLE[:2], results)
    assert [r.rank for r in board.rows] == [1, 1]  # both 7 whole minutes
    assert [r.cells[0].first_solve for r in board.rows] == [True, False]


def test_results_outside_the_window_or_for_strangers_do_not_count() -> None:
    results = [
        res("1", "ann", "p1", Verdict.ACCEPTED, -1),
        res("2", "ann", "p2", Verdict.ACCEPTED, 300),
        res("3", "eve", "p1", Verdict.ACCEPTED, 3),
        res("4", "ann", "p9", Verdict.ACCEPTED, 3),
    ]
    board = standings(contest(), PEOPLE[:1], results)
    assert [r.user_id for r in board.rows] == ["ann"] and board.rows[0].solved_count == 0


def test_a_rejudge_replaces_the_older_judgement_in_any_order() -> None:
    old = res("1", "ann", "p1", Verdict.WRONG_ANSWER, 5)
    new = dataclasses.replace(old, verdict=Verdict.ACCEPTED, judge_time=T0 + dt.timedelta(hours=9))
    for order in ([old, new], [new, old, old]):
        assert standings(contest(), PEOPLE[:1], order).rows[0].solved_count == 1


# -- IOI ---------------------------------------------------------------------------------------------


def test_ioi_takes_the_best_score_per_subtask_over_submissions() -> None:
    c = contest(scoring_rule=ScoringRule.IOI, freeze_before_end=dt.timedelta(0))
    groups1 = (GroupScore("g1", 30), GroupScore("g2", 0), GroupScore("g3", 0))
    groups2 = (GroupScore("g1", 0), GroupScore("g2", 40), GroupScore("g3", 0))
    results = [
        res("1", "ann", "p1", Verdict.WRONG_ANSWER, 5, groups=groups1),
        res("2", "ann", "p1", Verdict.WRONG_ANSWER, 9, groups=groups2),
        res("3", "bob", "p1", Verdict.WRONG_ANSWER, 5, score=0.7),
        res("4", "bob", "p2", Verdict.ACCEPTED, 8, score=1.0),
        res("5", "cyd", "p1", Verdict.WRONG_ANSWER, 5, score=0.7),
    ]
    board = standings(c, PEOPLE, results)
    rows = {r.user_id: r for r in board.rows}
    assert rows["ann"].score == 70 and rows["ann"].cells[0].solved_after == dt.timedelta(minutes=9)
    assert rows["bob"].score == 170 and rows["bob"].cells[1].solved and rows["bob"].solved_count == 1
    assert rows["cyd"].score == 70
    assert [(r.rank, r.user_id) for r in board.rows] == [(1, "bob"), (2, "ann"), (2, "cyd"), (4, "dan")]


# -- the freeze --------------------------------------------------------------------------------------


FROZEN_RESULTS = [
    res("1", "ann", "p1", Verdict.ACCEPTED, 10),
    res("2", "bob", "p1", Verdict.WRONG_ANSWER, 250),  # after the freeze (minute 240)
    res("3", "bob", "p1", Verdict.ACCEPTED, 260),
]


def test_the_public_sees_attempts_after_the_freeze_as_pending() -> None:
    now = T0 + dt.timedelta(hours=4, minutes=30)
    board = standings(contest(), PEOPLE[:2], FROZEN_RESULTS, PUBLIC, now)
    bob = next(r for r in board.rows if r.user_id == "bob")
    assert board.frozen and bob.cells[0].pending_attempts == 2 and not bob.cells[0].solved


def test_a_contestant_sees_their_own_and_the_jury_everything() -> None:
    own = standings(contest(), PEOPLE[:2], FROZEN_RESULTS, Viewer(ViewerKind.CONTESTANT, "bob"))
    assert next(r for r in own.rows if r.user_id == "bob").cells[0].solved
    live = standings(contest(), PEOPLE[:2], FROZEN_RESULTS, JURY)
    assert not live.frozen and next(r for r in live.rows if r.user_id == "bob").cells[0].rejected_attempts == 1


def test_publishing_the_final_standings_unfreezes() -> None:
    board = standings(contest(published=True), PEOPLE[:2], FROZEN_RESULTS, PUBLIC, T0 + dt.timedelta(hours=6))
    assert not board.frozen and all(r.cells[0].solved for r in board.rows)


def test_who_gets_which_view() -> None:
    c = contest()
    assert viewer_for(c, None, False) == PUBLIC
    assert viewer_for(c, ident("bob"), True) == Viewer(ViewerKind.CONTESTANT, "bob")
    assert viewer_for(c, ident("bob"), False) == PUBLIC
    assert viewer_for(c, ident("setter", "SETTER"), False) == JURY
    assert viewer_for(contest(freeze_before_end=dt.timedelta(0)), None, False) == JURY


# -- properties --------------------------------------------------------------------------------------

VERDICTS = st.sampled_from(list(Verdict))
result_strategy = st.builds(
    lambda i, user, problem, verdict, minute, score, judge: Result(
        f"s{i}",
        user,
        problem,
        verdict,
        T0 + dt.timedelta(minutes=minute),
        score,
        (GroupScore("g1", round(score * 40, 2)), GroupScore("g2", round(score * 60 * (minute % 2), 2))),
        T0 + dt.timedelta(hours=judge),
    ),
    st.integers(0, 40),
    st.sampled_from([p.user_id for p in PEOPLE]),
    st.sampled_from(["p1", "p2", "p3"]),
    VERDICTS,
    st.integers(-10, 310),
    st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    st.integers(0, 3),
)
rules = st.sampled_from(list(ScoringRule))


@settings(max_examples=150, deadline=None)
@given(st.lists(result_strategy, max_size=40), st.randoms(use_true_random=False), rules)
def test_any_order_or_duplication_gives_the_same_standings(results: list[Result], rnd, rule: ScoringRule) -> None:  # type: ignore[no-untyped-def]
    c = contest(scoring_rule=rule)
    replayed = results + [rnd.choice(results) for _ in range(len(results) // 2)] if results else []
    rnd.shuffle(replayed)
    for viewer in (JURY, PUBLIC, Viewer(ViewerKind.CONTESTANT, "ann")):
        assert standings(c, PEOPLE, results, viewer) == standings(c, PEOPLE, replayed, viewer)


@settings(max_examples=150, deadline=None)
@given(st.lists(result_strategy, max_size=40))
def test_icpc_ranks_are_monotone_in_solved_and_penalty(results: list[Result]) -> None:
    rows = standings(contest(), PEOPLE, results).rows
    for a, b in itertools.pairwise(rows):
        assert (-a.solved_count, a.penalty) <= (-b.solved_count, b.penalty)
        assert (a.rank == b.rank) == ((a.solved_count, a.penalty) == (b.solved_count, b.penalty))
        assert a.rank <= b.rank


@settings(max_examples=150, deadline=None)
@given(st.lists(result_strategy, max_size=40), st.sampled_from([p.user_id for p in PEOPLE]))
def test_the_freeze_hides_exactly_the_others_submissions_after_it(results: list[Result], me: str) -> None:
    c = contest()
    freeze = c.spec.freeze_time
    assert freeze is not None
    viewer = Viewer(ViewerKind.CONTESTANT, me)
    for r in results:
        assert hidden_from(c, r, viewer) == (r.user_id != me and r.submit_time >= freeze)
        assert hidden_from(c, r, PUBLIC) == (r.submit_time >= freeze)
        assert not hidden_from(c, r, JURY)
    # The board a viewer sees equals the live board of the results they are allowed to see,
    # plus pending counts for exactly the hidden ones.
    seen = standings(c, PEOPLE, results, viewer)
    shown = [r for r in latest(results).values() if not hidden_from(c, r, viewer)]
    live_of_shown = standings(c, PEOPLE, shown, JURY)
    for a, b in zip(seen.rows, live_of_shown.rows, strict=True):
        assert [(x.solved, x.rejected_attempts, x.score) for x in a.cells] == [
            (x.solved, x.rejected_attempts, x.score) for x in b.cells
        ]
