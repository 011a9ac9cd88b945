"""The language-neutral summary, the complexity estimate and the limit check."""

from __future__ import annotations

import textwrap

import pytest
from bench.ai_analysis_sources import SOURCES

from arena.ai_analysis.domain import Cost, ProblemContext, input_bound, limit_check
from arena.ai_analysis.grammars import GRAMMARS, JUDGE_LANGUAGES, LANGUAGE_GRAMMARS, grammar_for
from arena.ai_analysis.static import analyse
from arena.execution.languages import LANGUAGES


def run(language: str, source: str, statement: str = "", time_limit_s: float = 1.0):
    grammar = grammar_for(language)
    assert grammar is not None
    problem = ProblemContext("p1", "t", statement, time_limit_s) if statement else None
    return analyse(grammar, textwrap.dedent(source), problem)


def test_the_analyser_knows_every_language_the_judge_offers():
    judged = {language.language_id for language in LANGUAGES}
    assert judged == set(JUDGE_LANGUAGES)
    assert set(LANGUAGE_GRAMMARS.values()) == set(GRAMMARS)


@pytest.mark.parametrize("language", sorted(LANGUAGE_GRAMMARS))
def test_a_200_line_solution_parses_cleanly_in_every_grammar(language: str):
    result = run(language, SOURCES[LANGUAGE_GRAMMARS[language]])
    assert not result.summary.syntax_errors
    assert 180 <= result.summary.lines <= 270
    assert len(result.summary.functions) >= 5
    assert result.summary.comment_lines > 0


def test_summary_of_a_python_program():
    source = """\
        # reads numbers
        def solve(values):
            best = 0  # the best so far
            for i in range(len(values)):
                for j in range(i):
                    if values[j] < values[i] and best < 3:
                        best += 1
            return best

        def fact(n):
            if n <= 1:
                return 1
            return n * fact(n - 1)

        print(solve([1, 2]), fact(3))
        """
    s = run("python3", source).summary
    assert s.lines == 15
    assert s.comment_lines == 2
    assert s.code_lines == 12  # two blank lines, one comment-only line
    assert round(s.comment_ratio, 3) == round(2 / 14, 3)
    solve, fact = s.functions
    assert (solve.name, solve.line_start, solve.line_end) == ("solve", 2, 8)
    assert solve.max_loop_depth == 2 and not solve.recursive
    assert solve.cyclomatic_complexity == 5  # for, for, if, and + 1
    assert fact.recursive and fact.cyclomatic_complexity == 2
    assert s.max_loop_depth == 2 and s.recursion


@pytest.mark.parametrize(
    ("language", "source", "expected"),
    [
        ("python3", "print(int(input()) * 2)\n", "O(1)"),
        ("python3", "n = int(input())\nfor i in range(n):\n    print(i)\n", "O(n)"),
        ("python3", "n = int(input())\nfor i in range(n):\n    for j in range(n):\n        print(i, j)\n", "O(n^2)"),
        ("python3", "n = int(input())\nfor i in range(n):\n    for c in range(26):\n        print(i, c)\n", "O(n)"),
        ("python3", "a = list(map(int, input().split()))\na.sort()\nprint(a)\n", "O(n log n)"),
        (
            "python3",
            "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\nprint(fib(30))\n",
            "O(2^n)",
        ),
        (
            "python3",
            "lo, hi = 0, 10**9\nwhile lo < hi:\n    mid = (lo + hi) // 2\n    if mid * mid < 10**9:\n"
            "        lo = mid + 1\n    else:\n        hi = mid\nprint(lo)\n",
            "O(log n)",
        ),
        (
            "cpp",
            "#include <bits/stdc++.h>\nint main() { int n; std::cin >> n;\n"
            "  for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int k = 0; k < n; k++) {}\n}\n",
            "O(n^3)",
        ),
        (
            "java",
            "class A { static int f(int n) { if (n == 0) return 0; return f(n / 2) + 1; }\n"
            "  public static void main(String[] a) { System.out.println(f(10)); } }\n",
            "O(log n)",
        ),
        (
            "javascript",
            "function go(a) { for (let i = 0; i < a.length; i++) { helper(a, i); } }\n"
            "function helper(a, i) { for (let j = 0; j < a.length; j++) {} }\ngo([1]);\n",
            "O(n^2)",
        ),
        (
            "c",
            "void sort(int *a, int lo, int hi) { if (hi - lo < 2) return; int mid = (lo + hi) / 2;\n"
            "  sort(a, lo, mid); sort(a, mid, hi); for (int i = lo; i < hi; i++) {} }\n"
            "int main(void) { int a[4]; sort(a, 0, 4); return 0; }\n",
            "O(n log n)",
        ),
    ],
)
def test_complexity_classes(language: str, source: str, expected: str):
    assert run(language, source).complexity.time.big_o() == expected


def test_confidence_drops_with_recursion():
    plain = run("python3", "n = int(input())\nfor i in range(n):\n    print(i)\n").complexity.confidence
    recursive = run(
        "python3", "def f(n):\n    if n == 0:\n        return 0\n    return f(n - 1)\nprint(f(5))\n"
    ).complexity.confidence
    assert 0 < recursive < plain <= 1


def test_quadratic_with_n_up_to_1e5_is_likely_too_slow():
    source = "n = int(input())\na = input().split()\nfor i in range(n):\n    for j in range(n):\n        pass\n"
    result = run("python3", source, statement="The first line has n (1 ≤ n ≤ 10^5).")
    assert result.complexity.limit_check.startswith("likely too slow: O(n^2) with n up to 1e5")
    assert "likely too slow" in result.text.lower()


def test_linear_with_n_up_to_1e5_fits():
    source = "n = int(input())\nfor i in range(n):\n    pass\n"
    assert run("python3", source, statement="1 <= n <= 100000").complexity.limit_check.startswith("fits")


@pytest.mark.parametrize(
    ("statement", "bound"),
    [
        ("1 ≤ n ≤ 10^5", ("n", 1e5)),
        ("1 ≤ N ≤ 2·10^5, values a_i ≤ 10^9", ("N", 2e5)),
        ("n ≤ 10⁶", ("n", 1e6)),
        ("$1 \\le n \\le 2 \\cdot 10^5$", ("n", 2e5)),
        ("n <= 300000", ("n", 3e5)),
        ("no bounds here", None),
    ],
)
def test_bounds_read_from_statements(statement, bound):
    assert input_bound(statement) == bound


def test_limit_check_scales_with_the_language_and_limit():
    quadratic = Cost(degree=2)
    assert limit_check(quadratic, "cpp", "n ≤ 10^4", 1.0).startswith("fits")
    assert limit_check(quadratic, "cpp", "n ≤ 3·10^4", 1.0).startswith("may be too slow")
    assert limit_check(quadratic, "python", "n ≤ 3·10^4", 1.0).startswith("likely too slow")
    assert limit_check(Cost(exponential=True), "cpp", "n ≤ 100", 2.0).startswith("likely too slow")
    assert limit_check(quadratic, "cpp", "no bound", 1.0) == ""


def test_findings_are_most_severe_first_and_lower_the_score():
    clean = run("python3", "print(sum(map(int, input().split())))\n")
    assert clean.findings == () and clean.quality_score == 100
    messy = run("python3", "import os\ndef f(n):\n    return f(n - 1)\nx = 1\n")
    assert next(f.rule_id for f in messy.findings) == "recursion-without-base-case"
    assert messy.quality_score < 80


def test_syntax_errors_are_reported_not_raised():
    result = run("python3", "def f(:\n    return\n")
    assert result.summary.syntax_errors
    assert result.complexity.confidence < 0.8
