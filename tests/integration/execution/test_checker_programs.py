"""Checker programs, run for real: testlib exit codes decide, and a broken checker is a judge error
(INTERNAL_ERROR), never the contestant's WRONG_ANSWER or ACCEPTED."""

from __future__ import annotations

import pytest

from arena.execution.checkers import CheckerSpec
from arena.execution.domain import Verdict
from arena.execution.judge import Bundle, BundleTest, Judge, Steps

pytestmark = pytest.mark.timeout(240)

# "Print any permutation of 1..n": the answer file holds one, any other is right too.
PERMUTATION_CHECKER_CPP = r"""
#include <cstdio>
#include <vector>
int main(int argc, char **argv) {
    if (argc != 4) return 3;
    FILE *in = std::fopen(argv[1], "r"), *out = std::fopen(argv[2], "r");
    if (!in || !out) return 3;
    int n;
    if (std::fscanf(in, "%d", &n) != 1) { std::fprintf(stderr, "bad input"); return 3; }
    std::vector<int> seen(n + 1, 0);
    for (int i = 0; i < n; i++) {
        int x;
        if (std::fscanf(out, "%d", &x) != 1) { std::fprintf(stderr, "expected %d numbers", n); return 2; }
        if (x < 1 || x > n || seen[x]++) { std::fprintf(stderr, "%d is not allowed here", x); return 1; }
    }
    int extra;
    if (std::fscanf(out, "%d", &extra) == 1) { std::fprintf(stderr, "extra output"); return 2; }
    std::fprintf(stderr, "ok permutation of %d", n);
    return 0;
}
"""

# Partial points in Python: the fraction of the first line's numbers that are right, testlib-style.
PARTIAL_CHECKER_PY = """
import sys
_, output, answer = (open(p).read().split() for p in sys.argv[1:4])
right = sum(a == b for a, b in zip(output, answer))
if right == len(answer) and len(output) == len(answer):
    sys.exit(0)
if right == 0:
    print("nothing right", file=sys.stderr)
    sys.exit(1)
print(f"points {right / len(answer)} {right} of {len(answer)} right", file=sys.stderr)
sys.exit(7)
"""

BROKEN_CHECKERS = {
    "does not compile": ("cpp", "int main( {"),
    "crashes": ("c", "#include <stdlib.h>\nint main(void) { abort(); }\n"),
    "exits 3 (FAIL)": ("python3", "import sys\nprint('answer file is wrong', file=sys.stderr)\nsys.exit(3)\n"),
    "garbage exit code": ("python3", "import sys\nsys.exit(42)\n"),
    "loops forever": ("c", "int main(void) { volatile unsigned x = 0; for (;;) x++; }\n"),
    "points out of range": ("python3", "import sys\nprint('points 2')\nsys.exit(7)\n"),
    "an unknown language": ("brainfuck", "+[]"),
}

ECHO = {"python3": "print(input())\n"}


def bundle(spec: CheckerSpec, *tests: tuple[str, str, bool]) -> Bundle:
    return Bundle(
        problem_id="checker-program",
        revision=1,
        time_limit_ms=2000,
        memory_limit_kib=64 * 1024,
        checker=spec,
        tests=tuple(BundleTest(i, inp, out, sample) for i, (inp, out, sample) in enumerate(tests, start=1)),
    )


def permutation_problem() -> Bundle:
    spec = CheckerSpec("PROGRAM", program_language_id="cpp", program_source=PERMUTATION_CHECKER_CPP)
    return bundle(spec, ("3\n", "1 2 3\n", True), ("4\n", "1 2 3 4\n", False), ("1\n", "1\n", False))


async def judged(judge: Judge, languages, problem: Bundle, language: str, source: str):
    return await judge.judge(languages[language], source, problem, run_all_tests=True, steps=Steps())


class Recorder(Steps):
    def __init__(self) -> None:
        self.outcomes = []

    async def test_finished(self, outcome) -> None:
        self.outcomes.append(outcome)


async def test_any_valid_answer_is_accepted_by_the_checker_program(judge: Judge, languages):
    reversed_order = "n = int(input())\nprint(*range(n, 0, -1))\n"
    final = await judged(judge, languages, permutation_problem(), "python3", reversed_order)
    assert (final.verdict, final.passed, final.score) == (Verdict.ACCEPTED, 3, 1.0)


async def test_an_invalid_answer_is_wrong_and_hidden_tests_keep_the_checkers_message(judge: Judge, languages):
    repeats = "n = int(input())\nprint(*([1] * n))\n"
    steps = Recorder()
    final = await judge.judge(languages["python3"], repeats, permutation_problem(), run_all_tests=True, steps=steps)
    assert final.verdict is Verdict.WRONG_ANSWER
    sample, hidden = steps.outcomes[0], steps.outcomes[1]
    assert sample.verdict is Verdict.WRONG_ANSWER and "1 is not allowed here" in sample.checker_message
    assert hidden.verdict is Verdict.WRONG_ANSWER and hidden.checker_message == ""  # the hidden-test rule


async def test_the_checker_is_compiled_once_for_all_tests_and_submissions(judge: Judge, languages):
    problem = permutation_problem()
    await judged(judge, languages, problem, "python3", "n = int(input())\nprint(*range(1, n + 1))\n")
    first = await judge.checker_program(problem.checker)
    await judged(judge, languages, problem, "c", '#include <stdio.h>\nint main(void){int n;scanf("%d",&n);'
                 'for(int i=1;i<=n;i++)printf("%d ",i);return 0;}\n')  # fmt: skip
    assert await judge.checker_program(problem.checker) is first


async def test_partial_points_from_the_checker(judge: Judge, languages):
    spec = CheckerSpec("PROGRAM", program_language_id="python3", program_source=PARTIAL_CHECKER_PY)
    problem = bundle(spec, ("", "1 2 3 4\n", False), ("", "5 6\n", False))
    final = await judged(judge, languages, problem, "python3", "print('1 2 0 4')\n")
    assert final.verdict is Verdict.WRONG_ANSWER
    # Test 1: 3 of 4 right; test 2: nothing right. Without groups: (0.75 + 0) / 2.
    assert final.score == pytest.approx(0.375) and final.points == pytest.approx(37.5)


@pytest.mark.parametrize("broken", sorted(BROKEN_CHECKERS))
async def test_a_broken_checker_is_a_judge_error_never_the_contestants_fault(judge: Judge, languages, broken: str):
    language, source = BROKEN_CHECKERS[broken]
    spec = CheckerSpec("PROGRAM", program_language_id=language, program_source=source)
    problem = bundle(spec, ("x\n", "x\n", True), ("y\n", "y\n", False))
    steps = Recorder()
    final = await judge.judge(languages["python3"], ECHO["python3"], problem, run_all_tests=False, steps=steps)
    assert final.verdict is Verdict.INTERNAL_ERROR
    assert [o.verdict for o in steps.outcomes] == [Verdict.INTERNAL_ERROR, Verdict.SKIPPED]
    assert steps.outcomes[0].checker_message.startswith("checker failed")  # a sample: the setter sees why


async def test_a_contestant_failing_on_its_own_never_reaches_the_checker(judge: Judge, languages):
    spec = CheckerSpec("PROGRAM", program_language_id="python3", program_source="import sys\nsys.exit(3)\n")
    final = await judged(judge, languages, bundle(spec, ("", "", False)), "python3", "raise SystemExit(1)\n")
    assert final.verdict is Verdict.RUNTIME_ERROR


async def test_a_failing_checker_on_a_hidden_test_tells_the_setter_not_the_contestant(judge: Judge, languages):
    says_why = "import sys\nprint('the answer file says 7, not a pair', file=sys.stderr)\nsys.exit(3)\n"
    spec = CheckerSpec("PROGRAM", program_language_id="python3", program_source=says_why)
    steps = Recorder()
    problem = bundle(spec, ("7\n", "7\n", False))
    final = await judge.judge(languages["python3"], ECHO["python3"], problem, run_all_tests=True, steps=steps)
    assert final.verdict is Verdict.INTERNAL_ERROR
    assert steps.outcomes[0].checker_message == ""  # the hidden-test rule
    assert final.judge_notes == "test 1: checker failed: the answer file says 7, not a pair"
