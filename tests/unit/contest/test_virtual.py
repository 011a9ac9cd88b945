"""Virtual participation and clarifications in the domain: no I/O, a fake clock, hypothesis for the board."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.contest.domain import (
    JURY,
    Clarification,
    ClarificationKind,
    Contest,
    ContestProblem,
    Participant,
    Result,
    ScoringRule,
    Spec,
    Verdict,
    VirtualParticipation,
    answered,
    authorize_virtual,
    check_ask,
    check_virtual_start,
    clarification_event,
    clarification_problem,
    clean_text,
    latest,
    may_see,
    shifted,
    standings,
    virtual_standings,
)
from arena.core.errors import FailedPrecondition, InvalidArgument
from arena.core.identity import Identity

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
DURATION = dt.timedelta(hours=5)
V0 = T0 + dt.timedelta(days=3, minutes=7, seconds=13)
"""When the virtual participant starts: days after the end, at an odd offset."""
PEOPLE = (Participant("ann", "Ann"), Participant("bob", "Bob"), Participant("cy", "Cy"))


def contest(
    *, freeze: dt.timedelta = dt.timedelta(hours=1), rule: ScoringRule = ScoringRule.ICPC, published: bool = False
) -> Contest:
    spec = Spec(
        title="Winter Cup",
        scoring_rule=rule,
        start_time=T0,
        duration=DURATION,
        problems=(ContestProblem("p1", "A"), ContestProblem("p2", "B")),
        freeze_before_end=freeze,
    )
    return Contest("c1", spec, "setter", T0 - dt.timedelta(days=1), T0, published)


VIC = VirtualParticipation("c1", "vic", "Vic", V0, DURATION)


def at(minute: int) -> dt.timedelta:
    return minute * MIN


real_results = st.lists(
    st.builds(
        lambda i, user, problem, verdict, minute, score: Result(
            f"r{i}", user, problem, verdict, T0 + at(minute), score
        ),
        st.integers(0, 30),
        st.sampled_from([p.user_id for p in PEOPLE]),
        st.sampled_from(["p1", "p2"]),
        st.sampled_from([Verdict.ACCEPTED, Verdict.WRONG_ANSWER, Verdict.COMPILATION_ERROR]),
        st.integers(0, 299),
        st.sampled_from([0.0, 0.5, 1.0]),
    ),
    max_size=30,
)
virtual_results = st.lists(
    st.builds(
        lambda i, problem, verdict, minute, score: Result(f"v{i}", "vic", problem, verdict, V0 + at(minute), score),
        st.integers(0, 15),
        st.sampled_from(["p1", "p2"]),
        st.sampled_from([Verdict.ACCEPTED, Verdict.WRONG_ANSWER]),
        st.integers(0, 299),
        st.sampled_from([0.0, 0.5, 1.0]),
    ),
    max_size=15,
)


@settings(max_examples=150, deadline=None)
@given(real_results, virtual_results, st.integers(0, 400), st.sampled_from(list(ScoringRule)), st.booleans())
def test_the_virtual_view_at_t_is_the_real_board_before_t_plus_the_participant(
    real: list[Result], mine: list[Result], minute: int, rule: ScoringRule, published: bool
) -> None:
    c = contest(freeze=dt.timedelta(0), rule=rule, published=published)
    t = min(at(minute), DURATION)
    mine = [r for r in mine if r.submit_time <= V0 + at(minute)]  # what has been submitted by now
    seen = virtual_standings(c, PEOPLE, real, VIC, mine, V0 + at(minute))
    before_t = [r for r in latest(real).values() if r.submit_time < T0 + t]
    mine_before_t = [shifted(c, VIC, r) for r in latest(mine).values() if r.submit_time < V0 + DURATION]
    expected = standings(c, (*PEOPLE, Participant("vic", "Vic")), [*before_t, *mine_before_t], JURY)
    assert seen == expected
    # The real participants among themselves stand as on the real board restricted to results before t.
    real_rows = [r for r in seen.rows if r.user_id != "vic"]
    alone = standings(c, PEOPLE, before_t, JURY).rows
    assert [(r.user_id, r.score, r.solved_count, r.penalty) for r in real_rows] == [
        (r.user_id, r.score, r.solved_count, r.penalty) for r in alone
    ]


@settings(max_examples=100, deadline=None)
@given(real_results, virtual_results, st.integers(0, 299))
def test_during_the_virtual_freeze_others_attempts_since_the_freeze_are_pending(
    real: list[Result], mine: list[Result], minute: int
) -> None:
    c = contest(published=True)  # even once the real standings are public, the window replays the freeze
    seen = virtual_standings(c, PEOPLE, real, VIC, mine, V0 + at(minute))
    freeze = T0 + DURATION - dt.timedelta(hours=1)
    moment = T0 + at(minute)
    for row in seen.rows:
        if row.user_id == "vic":
            assert sum(cell.pending_attempts for cell in row.cells) == 0  # one's own results always show
            continue
        theirs = [r for r in latest(real).values() if r.user_id == row.user_id and r.submit_time < moment]
        # Attempts since the freeze are pending, except on a problem solved before it (ICPC counts
        # nothing after a problem's first accepted attempt, hidden or not).
        solved_before = {r.problem_id for r in theirs if r.submit_time < freeze and r.verdict is Verdict.ACCEPTED}
        hidden = [r for r in theirs if r.submit_time >= freeze and r.problem_id not in solved_before]
        assert sum(cell.pending_attempts for cell in row.cells) == len(hidden)
        for cell in row.cells:
            assert cell.solved_after is None or cell.solved_after < min(at(minute), DURATION - dt.timedelta(hours=1))
    assert seen.frozen == (moment >= freeze)


def test_after_the_window_the_virtual_board_is_the_final_one_plus_the_participant() -> None:
    c = contest(published=True)
    real = [Result("r1", "ann", "p1", Verdict.ACCEPTED, T0 + at(290))]
    mine = [
        Result("v1", "vic", "p1", Verdict.ACCEPTED, V0 + at(10)),
        Result("late", "vic", "p2", Verdict.ACCEPTED, V0 + DURATION),
    ]
    seen = virtual_standings(c, PEOPLE, real, VIC, mine, V0 + 2 * DURATION)
    assert not seen.frozen
    assert [(r.user_id, r.solved_count) for r in seen.rows][:2] == [("vic", 1), ("ann", 1)]
    assert seen.rows[0].cells[0].solved_after == at(10)
    assert seen.rows[0].cells[1].solved is False  # submitted after the window: not counted


def test_virtual_participation_starts_after_the_end_for_non_participants() -> None:
    c = contest()
    with pytest.raises(FailedPrecondition) as running:
        check_virtual_start(c, registered=False, now=T0 + at(10))
    assert running.value.reason == "CONTEST_NOT_RUNNING"
    with pytest.raises(FailedPrecondition) as registered:
        check_virtual_start(c, registered=True, now=V0)
    assert registered.value.reason == "ALREADY_REGISTERED"
    check_virtual_start(c, registered=False, now=V0)


def test_a_virtual_participant_submits_inside_their_window_only() -> None:
    c = contest()
    assert authorize_virtual(c, VIC, "p2", V0).label == "B"
    assert authorize_virtual(c, VIC, "p1", V0 + DURATION - dt.timedelta(seconds=1)).label == "A"
    for when in (V0 - MIN, V0 + DURATION):
        with pytest.raises(FailedPrecondition) as refused:
            authorize_virtual(c, VIC, "p1", when)
        assert refused.value.reason == "CONTEST_NOT_RUNNING"
    with pytest.raises(FailedPrecondition) as unknown:
        authorize_virtual(c, VIC, "p9", V0)
    assert unknown.value.reason == "PROBLEM_NOT_IN_CONTEST"


# -- clarifications ----------------------------------------------------------------------------------


def judge() -> Identity:
    return Identity("setter", "setter", frozenset({"USER", "SETTER"}), "t", "s", 0.0)


def question(**changes: object) -> Clarification:
    base = Clarification("q1", "c1", ClarificationKind.QUESTION, "p1", "A", "Is n ≥ 1?", "ann", T0 + MIN)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_text_is_trimmed_and_bounded() -> None:
    assert clean_text("  why?  ", "text") == "why?"
    for bad in ("", "   \n", "x" * 2001):
        with pytest.raises(InvalidArgument) as refused:
            clean_text(bad, "text")
        assert refused.value.violations[0].field == "text"
    assert clean_text("é" * 2000, "text") == "é" * 2000


def test_a_clarification_names_a_problem_by_id_or_label_or_none() -> None:
    c = contest()
    assert clarification_problem(c, "") is None
    assert clarification_problem(c, "p2") == c.spec.problems[1]
    assert clarification_problem(c, "b") == c.spec.problems[1]
    with pytest.raises(InvalidArgument) as unknown:
        clarification_problem(c, "zz")
    assert unknown.value.violations[0].field == "problem_id"


def test_only_registered_participants_ask_and_only_until_the_end() -> None:
    c = contest()
    check_ask(c, True, T0 - MIN)
    check_ask(c, True, T0 + at(100))
    with pytest.raises(FailedPrecondition) as stranger:
        check_ask(c, False, T0 + at(100))
    assert stranger.value.reason == "CONTEST_NOT_REGISTERED"
    with pytest.raises(FailedPrecondition) as late:
        check_ask(c, True, T0 + DURATION)
    assert late.value.reason == "CONTEST_NOT_RUNNING"


def test_a_question_is_answered_once_and_an_announcement_never() -> None:
    done = answered(question(), "  yes ", True, judge(), T0 + 2 * MIN)
    assert (done.answer, done.public, done.answerer_id, done.answer_time) == ("yes", True, "setter", T0 + 2 * MIN)
    with pytest.raises(FailedPrecondition, match="answered already"):
        answered(done, "no", False, judge(), T0 + 3 * MIN)
    with pytest.raises(FailedPrecondition):
        answered(question(kind=ClarificationKind.ANNOUNCEMENT), "x", True, judge(), T0)
    with pytest.raises(InvalidArgument):
        answered(question(), " ", True, judge(), T0)


def test_who_sees_what_and_where_it_is_pushed() -> None:
    c = contest()
    asked = question()
    private = answered(asked, "yes", False, judge(), T0 + 2 * MIN)
    public = answered(asked, "yes", True, judge(), T0 + 2 * MIN)
    announcement = question(kind=ClarificationKind.ANNOUNCEMENT, author_id="setter", public=True)
    assert may_see(asked, "ann", jury=False) and not may_see(asked, "bob", jury=False)
    assert not may_see(private, None, jury=False) and may_see(private, "x", jury=True)
    assert may_see(public, "bob", jury=False) and may_see(announcement, None, jury=False)
    assert clarification_event(c, asked) == ("users/setter/contests/c1/clarifications", "clarification.asked")
    assert clarification_event(c, private) == ("users/ann/contests/c1/clarifications", "clarification.answered")
    assert clarification_event(c, public) == ("contests/c1/clarifications", "clarification.answered")
    assert clarification_event(c, announcement) == ("contests/c1/clarifications", "clarification.announced")
