"""Subtasks judged for real: GroupMin points per group, the total, and the rest of a failed group skipped."""

from __future__ import annotations

import dataclasses

import pytest

from arena.execution.checkers import CheckerSpec
from arena.execution.domain import GroupScore, TestGroup, TestOutcome, Verdict
from arena.execution.judge import Bundle, BundleTest, Judge, Steps

pytestmark = pytest.mark.timeout(180)

# Print n squared; the "small" group has n <= 10, "large" has n up to 10^9 (needs 64-bit arithmetic).
TESTS = (("2\n", "4\n"), ("3\n", "9\n"), ("10\n", "100\n"), ("100000\n", "10000000000\n"), ("7\n", "49\n"))
GROUPS = (TestGroup("small", 40, (2, 3)), TestGroup("large", 60, (4, 5)))
SQUARE_32_BIT = '#include <stdio.h>\nint main(void){int n;scanf("%d",&n);printf("%d\\n",n*n);return 0;}\n'
SQUARE = "n = int(input())\nprint(n * n)\n"


def problem(**changes) -> Bundle:
    base = Bundle(
        problem_id="squares",
        revision=1,
        time_limit_ms=1000,
        memory_limit_kib=64 * 1024,
        checker=CheckerSpec("TOKENS"),
        tests=tuple(BundleTest(i, inp, out, i == 1) for i, (inp, out) in enumerate(TESTS, start=1)),
        groups=GROUPS,
    )
    return dataclasses.replace(base, **changes)


class Recorder(Steps):
    def __init__(self) -> None:
        self.outcomes: list[TestOutcome] = []

    async def test_finished(self, outcome: TestOutcome) -> None:
        self.outcomes.append(outcome)


async def test_a_full_solution_earns_every_group(judge: Judge, languages):
    final = await judge.judge(languages["python3"], SQUARE, problem(), run_all_tests=False, steps=Steps())
    assert final.verdict is Verdict.ACCEPTED
    assert final.groups == (
        GroupScore("small", 40, 40, Verdict.ACCEPTED),
        GroupScore("large", 60, 60, Verdict.ACCEPTED),
    )
    assert (final.points, final.max_points, final.score) == (100, 100, 1.0)


async def test_an_overflowing_solution_earns_the_small_group_and_skips_the_rest_of_the_large_one(
    judge: Judge, languages
):
    steps = Recorder()
    final = await judge.judge(languages["c"], SQUARE_32_BIT, problem(), run_all_tests=False, steps=steps)
    assert [o.verdict for o in steps.outcomes] == [
        Verdict.ACCEPTED,
        Verdict.ACCEPTED,
        Verdict.ACCEPTED,
        Verdict.WRONG_ANSWER,
        Verdict.SKIPPED,  # the group already earned nothing
    ]
    assert final.groups == (
        GroupScore("small", 40, 40, Verdict.ACCEPTED),
        GroupScore("large", 0, 60, Verdict.WRONG_ANSWER),
    )
    assert (final.verdict, final.points, final.score) == (Verdict.WRONG_ANSWER, 40, 0.4)


async def test_the_problem_may_run_the_whole_failed_group(judge: Judge, languages):
    steps = Recorder()
    final = await judge.judge(
        languages["c"], SQUARE_32_BIT, problem(run_whole_failed_groups=True), run_all_tests=False, steps=steps
    )
    assert [o.verdict for o in steps.outcomes][3:] == [Verdict.WRONG_ANSWER, Verdict.ACCEPTED]
    assert final.points == 40


async def test_a_failed_group_does_not_stop_the_next_one(judge: Judge, languages):
    small_only_wrong = "n = int(input())\nprint(n * n if n > 10 else 0)\n"
    steps = Recorder()
    final = await judge.judge(languages["python3"], small_only_wrong, problem(), run_all_tests=False, steps=steps)
    assert [o.verdict for o in steps.outcomes] == [
        Verdict.WRONG_ANSWER,  # the sample: in no group
        Verdict.WRONG_ANSWER,
        Verdict.SKIPPED,
        Verdict.ACCEPTED,
        Verdict.WRONG_ANSWER,
    ]
    assert final.points == 0 and [g.verdict for g in final.groups] == [Verdict.WRONG_ANSWER, Verdict.WRONG_ANSWER]


async def test_a_compilation_error_lists_every_group_with_nothing(judge: Judge, languages):
    final = await judge.judge(languages["c"], "int main( {", problem(), run_all_tests=False, steps=Steps())
    assert final.verdict is Verdict.COMPILATION_ERROR
    assert [(g.points, g.max_points) for g in final.groups] == [(0, 40), (0, 60)]
