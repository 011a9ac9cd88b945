"""Test groups (subtasks) scored by CMS GroupMin, partial fractions, and which tests may be skipped."""

from __future__ import annotations

import pytest

from arena.execution.domain import (
    UNGROUPED_MAX_POINTS,
    GroupScore,
    TestGroup,
    TestOutcome,
    Verdict,
    overall,
    should_skip,
)

AC, WA, TLE, SKIP = Verdict.ACCEPTED, Verdict.WRONG_ANSWER, Verdict.TIME_LIMIT_EXCEEDED, Verdict.SKIPPED
# Test 1 is a sample in no group; group "small" has tests 2-3, "large" tests 4-6.
GROUPS = (TestGroup("small", 30, (2, 3)), TestGroup("large", 70, (4, 5, 6)))


def result(ordinal: int, verdict: Verdict, score: float = 0.0) -> TestOutcome:
    return TestOutcome(ordinal, ordinal == 1, verdict, score=1.0 if verdict is AC else score)


def results(*verdicts: Verdict | tuple[Verdict, float]) -> list[TestOutcome]:
    return [result(i, *(v if isinstance(v, tuple) else (v,))) for i, v in enumerate(verdicts, start=1)]


def test_all_accepted_earns_every_group_and_the_total():
    final = overall(results(AC, AC, AC, AC, AC, AC), 6, GROUPS)
    assert final.verdict is AC
    assert final.groups == (GroupScore("small", 30, 30, AC), GroupScore("large", 70, 70, AC))
    assert (final.points, final.max_points, final.score) == (100, 100, 1.0)


def test_a_group_earns_nothing_when_one_of_its_tests_fails():
    final = overall(results(AC, AC, AC, AC, TLE, AC), 6, GROUPS)
    assert final.groups == (GroupScore("small", 30, 30, AC), GroupScore("large", 0, 70, TLE))
    assert (final.points, final.score, final.verdict) == (30, 0.3, TLE)


def test_ungrouped_tests_earn_nothing_but_still_decide_the_verdict():
    final = overall(results(WA, AC, AC, AC, AC, AC), 6, GROUPS)
    assert final.points == 100
    assert final.verdict is WA


def test_group_min_takes_the_lowest_partial_fraction():
    final = overall(results(AC, (WA, 0.5), AC, (WA, 0.8), (WA, 0.25), AC), 6, GROUPS)
    assert final.groups[0] == GroupScore("small", 15, 30, WA)
    assert final.groups[1].points == pytest.approx(70 * 0.25)
    assert final.points == pytest.approx(15 + 17.5)


def test_a_group_none_of_whose_tests_ran_is_skipped_with_zero():
    final = overall([], 6, GROUPS)
    assert [g.verdict for g in final.groups] == [SKIP, SKIP]
    assert final.points == 0 and final.max_points == 100


def test_without_groups_the_score_is_the_fraction_of_tests_passed_out_of_100():
    final = overall(results(AC, WA, AC, AC), 4)
    assert final.score == 0.75 and final.groups == ()
    assert (final.points, final.max_points) == (75, UNGROUPED_MAX_POINTS)
    partial = overall(results(AC, (WA, 0.5)), 2)
    assert partial.score == 0.75 and partial.passed == 1


def test_results_stored_before_scores_count_accepted_as_one():
    assert TestOutcome(1, False, AC).fraction == 1.0
    assert TestOutcome(1, False, WA, score=7).fraction == 1.0  # clamped
    assert TestOutcome(1, False, TLE).fraction == 0.0


def done(*verdicts: Verdict | tuple[Verdict, float]) -> dict[int, TestOutcome]:
    return {r.ordinal: r for r in results(*verdicts)}


def test_with_groups_only_the_rest_of_a_failed_group_is_skipped():
    so_far = done(AC, WA)  # test 2 failed: the rest of "small" has nothing to gain
    assert should_skip(3, so_far, GROUPS, run_all_tests=False)
    assert not should_skip(4, so_far, GROUPS, run_all_tests=False)  # another group still scores
    assert not should_skip(3, so_far, GROUPS, run_all_tests=False, skip_failed_group_rest=False)
    assert not should_skip(3, so_far, GROUPS, run_all_tests=True)


def test_a_partial_test_does_not_skip_its_group_and_a_failed_sample_skips_nothing():
    assert not should_skip(3, done(AC, (WA, 0.5)), GROUPS, run_all_tests=False)
    assert not should_skip(2, done(WA), GROUPS, run_all_tests=False)


def test_without_groups_everything_after_a_failure_is_skipped_as_before():
    assert should_skip(3, done(AC, WA), (), run_all_tests=False)
    assert not should_skip(3, done(AC, AC), (), run_all_tests=False)
    assert not should_skip(3, done(AC, WA), (), run_all_tests=True)
