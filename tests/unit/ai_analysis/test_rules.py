"""One test (or a few) per rule: it fires where it should, with the right line and column, and stays quiet
on the look-alike that is fine."""

from __future__ import annotations

import textwrap

import pytest

from arena.ai_analysis import rules
from arena.ai_analysis.domain import Finding, Severity
from arena.ai_analysis.grammars import grammar_for
from arena.ai_analysis.static import Program


def findings(language: str, source: str, rule_id: str) -> list[Finding]:
    grammar = grammar_for(language)
    assert grammar is not None
    return [f for f in rules.run(Program(grammar, textwrap.dedent(source))) if f.rule_id == rule_id]


def at(found: list[Finding]) -> list[tuple[int, int]]:
    return [(f.line_start, f.column) for f in found]


def test_every_rule_is_listed_once():
    assert len(rules.RULES) == len(rules.RULE_IDS) == len(set(rules.RULE_IDS))


# -- unused-import --------------------------------------------------------------------------------


def test_unused_import_names_the_unused_ones_only():
    source = """\
        import os, sys
        from collections import deque, Counter
        import numpy as np
        from __future__ import annotations
        print(sys.argv, Counter())
        """
    found = findings("python3", source, "unused-import")
    assert sorted(f.message for f in found) == sorted(
        ["'os' is imported but never used", "'deque' is imported but never used", "'np' is imported but never used"]
    )
    assert (1, 8) in at(found)


def test_dotted_import_used_through_its_first_name_is_used():
    assert findings("python3", "import os.path\nprint(os.path.join('a'))\n", "unused-import") == []


# -- unused-variable ------------------------------------------------------------------------------


def test_unused_local_in_python():
    source = """\
        def f(a):
            total = 0
            unused = a * 2
            for x in range(a):
                total += x
            return total
        """
    found = findings("python3", source, "unused-variable")
    assert at(found) == [(3, 5)]
    assert "'unused'" in found[0].message


def test_python_globals_underscores_and_tuple_targets():
    source = """\
        counter = 0
        def bump():
            global counter
            counter += 1
        _ignored = 3
        a, b = 1, 2
        print(a)
        """
    assert [f.message for f in findings("python3", source, "unused-variable")] == ["'b' is assigned but never used"]


@pytest.mark.parametrize(
    ("language", "source", "where"),
    [
        ("c", "int main(void) {\n    int used = 1, spare;\n    return used;\n}\n", (2, 19)),
        ("cpp", "int main() {\n    long long x = 5;\n    int y = 2;\n    return y;\n}\n", (2, 15)),
        ("java", "class A {\n  int f() {\n    int k = 3;\n    int z = 4;\n    return z;\n  }\n}\n", (3, 9)),
        ("javascript", "function f() {\n  const a = 1;\n  let b = 2;\n  return b;\n}\n", (2, 9)),
    ],
)
def test_unused_local_in_c_family(language: str, source: str, where: tuple[int, int]):
    assert at(findings(language, source, "unused-variable")) == [where]


# -- unreachable-code -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "source", "line"),
    [
        ("python3", "def f():\n    return 1\n    print('never')\n", 3),
        ("python3", "for i in range(3):\n    break\n    i += 1\n", 3),
        ("c", "int f(void) {\n    return 1;\n    f();\n}\n", 3),
        ("cpp", "void f() {\n    throw 1;\n    int x = 2;\n}\n", 3),
        (
            "java",
            "class A { int f() {\n    return 1;\n  }\n  void g() { while (true) { continue;\n int y = 1; } }\n}\n",
            5,
        ),
        ("javascript", "function f() {\n  return 1;\n  console.log('x');\n}\n", 3),
    ],
)
def test_code_after_a_jump_is_unreachable(language: str, source: str, line: int):
    found = findings(language, source, "unreachable-code")
    assert [f.line_start for f in found] == [line]


def test_jump_at_the_end_and_switch_cases_are_fine():
    source = "int f(int x) {\n  switch (x) {\n    case 1: return 1;\n    case 2: return 2;\n  }\n  return 0;\n}\n"
    assert findings("c", source, "unreachable-code") == []
    assert findings("python3", "def f(x):\n    if x:\n        return 1\n    return 2\n", "unreachable-code") == []


# -- recursion-without-base-case ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "source"),
    [
        ("python3", "def f(n):\n    return n * f(n - 1)\n"),
        ("cpp", "int f(int n) {\n    return n * f(n - 1);\n}\n"),
        ("java", "class A { static int f(int n) {\n    return n * f(n - 1);\n} }\n"),
        ("javascript", "function f(n) {\n    return n * f(n - 1);\n}\n"),
    ],
)
def test_recursion_without_any_branch(language: str, source: str):
    found = findings(language, source, "recursion-without-base-case")
    assert len(found) == 1 and found[0].severity is Severity.ERROR and found[0].line_start == 2


def test_recursion_with_a_base_case_is_fine():
    assert (
        findings(
            "python3",
            "def f(n):\n    if n == 0:\n        return 1\n    return n * f(n - 1)\n",
            "recursion-without-base-case",
        )
        == []
    )
    assert findings("c", "int f(int n) { return n ? n * f(n - 1) : 1; }\n", "recursion-without-base-case") == []


# -- mutable-default-argument ---------------------------------------------------------------------


def test_mutable_defaults():
    source = """\
        def a(x, seen=[], table={}, tags=set(), n=0, name=None, t=()):
            return x
        def b(x: list[int] = []):
            return x
        """
    found = findings("python3", source, "mutable-default-argument")
    assert at(found) == [(1, 15), (1, 25), (1, 34), (3, 22)]


# -- int-overflow ---------------------------------------------------------------------------------


def test_product_of_ints_stored_in_long_long():
    source = """\
        #include <cstdio>
        int main() {
            int a, b;
            scanf("%d %d", &a, &b);
            long long p = a * b;
            long long q = (long long)a * b;
            int small = a * 2;
            printf("%lld %lld %d\\n", p, q, small);
        }
        """
    found = findings("cpp", source, "int-overflow")
    assert [f.line_start for f in found] == [5]
    assert "long long" in found[0].message


def test_product_of_two_int_inputs_even_without_a_wide_target():
    source = "#include <iostream>\nint main() {\n  int n, m;\n  std::cin >> n >> m;\n  std::cout << n * m;\n}\n"
    source = source.replace("std::cin", "cin")
    assert [f.line_start for f in findings("cpp", source, "int-overflow")] == [5]


def test_long_long_operands_and_non_inputs_are_fine():
    source = "int main() {\n  long long a = 1, b = 2;\n  long long c = a * b;\n  int i = 3, j = 4;\n  int k = i * j;\n  return (int)(c + k);\n}\n"
    assert findings("c", source, "int-overflow") == []


# -- quadratic-input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "source", "line"),
    [
        ("python3", "tokens = input().split()\nwhile tokens:\n    x = tokens.pop(0)\n    print(x)\n", 3),
        ("javascript", "const q = [1, 2];\nwhile (q.length) {\n  console.log(q.shift());\n}\n", 3),
        (
            "cpp",
            "#include <vector>\nvoid f(std::vector<int> v) {\n  while (!v.empty()) {\n    v.erase(v.begin());\n  }\n}\n",
            4,
        ),
        (
            "java",
            "class A { void f(java.util.ArrayList<Integer> v) {\n  while (!v.isEmpty()) {\n    v.remove(0);\n  }\n} }\n",
            3,
        ),
    ],
)
def test_removing_from_the_front_in_a_loop(language: str, source: str, line: int):
    assert [f.line_start for f in findings(language, source, "quadratic-input")] == [line]


def test_pop_from_the_back_or_outside_a_loop_is_fine():
    assert findings("python3", "s = [1, 2]\ns.pop(0)\nwhile s:\n    s.pop()\n", "quadratic-input") == []


# -- slow-input -----------------------------------------------------------------------------------


def test_input_in_a_loop_in_python():
    found = findings(
        "python3", "n = int(input())\nfor _ in range(n):\n    x = int(input())\n    print(x)\n", "slow-input"
    )
    assert at(found) == [(3, 13)]


def test_rebound_input_is_fast_enough():
    source = "import sys\ninput = sys.stdin.readline\nfor _ in range(3):\n    print(input())\n"
    assert findings("python3", source, "slow-input") == []


def test_cin_in_a_loop_without_sync_off():
    slow = "#include <iostream>\nusing namespace std;\nint main() {\n  int n, x; cin >> n;\n  for (int i = 0; i < n; i++) cin >> x;\n}\n"
    assert [f.line_start for f in findings("cpp", slow, "slow-input")] == [5]
    fast = slow.replace("int main() {", "int main() {\n  ios::sync_with_stdio(false);")
    assert findings("cpp", fast, "slow-input") == []


def test_scanner_in_a_loop_in_java():
    source = "import java.util.Scanner;\nclass A { public static void main(String[] a) {\n  Scanner s = new Scanner(System.in);\n  for (int i = 0; i < 3; i++) { int x = s.nextInt(); System.out.println(x); }\n} }\n"
    assert [f.line_start for f in findings("java", source, "slow-input")] == [4]


# -- assignment-in-condition ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "source"),
    [
        ("c", "int f(int a, int b) {\n  if (a = b) return 1;\n  return 0;\n}\n"),
        ("cpp", "int f(int a, int b) {\n  if (a = b) return 1;\n  return 0;\n}\n"),
        ("javascript", "function f(a, b) {\n  if (a = b) return 1;\n  return 0;\n}\n"),
    ],
)
def test_assignment_in_an_if(language: str, source: str):
    found = findings(language, source, "assignment-in-condition")
    assert [(f.line_start, f.column) for f in found] == [(2, 7)]


def test_comparison_is_fine():
    assert (
        findings("c", "int f(int a, int b) {\n  if (a == b) return 1;\n  return 0;\n}\n", "assignment-in-condition")
        == []
    )
