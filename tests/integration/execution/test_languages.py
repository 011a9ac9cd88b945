"""Every language beyond the default set, judged for real in the sandbox: an accepted A+B, a compilation
error, a runtime error and an endless loop. A language whose toolchain is not installed is skipped
(`make languages` installs them; `make test` installs all but the large ones)."""

from __future__ import annotations

import pytest

from arena.execution import sandbox as sandbox_module
from arena.execution.checkers import CheckerSpec
from arena.execution.domain import Verdict
from arena.execution.judge import Bundle, BundleTest, Judge, Steps
from arena.execution.languages import LANGUAGES, Language, self_test
from arena.execution.sandbox import Sandbox

pytestmark = pytest.mark.timeout(180)

TESTS = (("2 3\n", "5\n"), ("1000000000 1000000000\n", "2000000000\n"), ("-7 4\n", "-3\n"))

# Per language: an accepted A+B (64-bit sums), a compilation error, a runtime error, an endless loop.
PROGRAMS: dict[str, dict[str, str]] = {
    "go": {
        "accepted": 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar a, b int64\n\tfmt.Scan(&a, &b)\n'
        "\tfmt.Println(a + b)\n}\n",
        "compile_error": "package main\n\nfunc main() { x := }\n",
        "runtime_error": "package main\n\nfunc main() {\n\tvar a []int\n\ta[3] = 1\n}\n",
        "time_limit": "package main\n\nfunc main() {\n\tx := 0\n\tfor {\n\t\tx++\n\t}\n}\n",
    },
    "rust": {
        "accepted": "use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n"
        "    std::io::stdin().read_to_string(&mut s).unwrap();\n"
        "    let sum: i64 = s.split_whitespace().map(|x| x.parse::<i64>().unwrap()).sum();\n"
        '    println!("{}", sum);\n}\n',
        "compile_error": 'fn main() {\n    let x: i32 = "a";\n}\n',
        "runtime_error": "fn main() {\n    let v: Vec<i32> = Vec::new();\n"
        '    println!("{}", v[std::env::args().count() + 2]);\n}\n',
        # An LCG of full period: x == 0 comes back after 2^64 steps (and the loop has an exit, so
        # the optimiser keeps it).
        "time_limit": "fn main() {\n    let mut x: u64 = 1;\n    loop {\n"
        "        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);\n"
        '        if x == 0 {\n            break;\n        }\n    }\n    println!("{}", x);\n}\n',
    },
    "kotlin": {
        "accepted": "fun main() {\n    val (a, b) = readLine()!!.trim().split(' ').map { it.toLong() }\n"
        "    println(a + b)\n}\n",
        "compile_error": 'fun main() {\n    val x: Int = "a"\n}\n',
        "runtime_error": "fun main() {\n    val a = IntArray(1)\n    a[5] = 1\n}\n",
        "time_limit": "fun main() {\n    var x = 0L\n    while (true) {\n        x++\n    }\n}\n",
    },
    "pypy3": {
        "accepted": "a, b = map(int, input().split())\nprint(a + b)\n",
        "compile_error": "def f(:\n    pass\n",
        "runtime_error": "print(1 // 0)\n",
        "time_limit": "while True:\n    pass\n",
    },
    "csharp": {
        "accepted": "using System;\n\nclass Program\n{\n    static void Main()\n    {\n"
        "        var p = Console.ReadLine().Split(' ', StringSplitOptions.RemoveEmptyEntries);\n"
        "        Console.WriteLine(long.Parse(p[0]) + long.Parse(p[1]));\n    }\n}\n",
        "compile_error": 'class Program\n{\n    static void Main() { int x = "a"; }\n}\n',
        "runtime_error": "class Program\n{\n    static void Main() { int[] a = new int[1]; a[5] = 1; }\n}\n",
        "time_limit": "class Program\n{\n    static void Main() { long x = 0; while (true) { x++; } }\n}\n",
    },
    "ruby": {
        "accepted": "a, b = gets.split.map(&:to_i)\nputs a + b\n",
        "compile_error": "def f(\n",
        "runtime_error": "raise 'boom'\n",
        "time_limit": "loop { }\n",
    },
    "php": {
        "accepted": "<?php\n[$a, $b] = array_map('intval', preg_split('/\\s+/', trim(fgets(STDIN))));\necho $a + $b, \"\\n\";\n",
        "compile_error": "<?php\nfunction (\n",
        "runtime_error": "<?php\nthrow new Exception('boom');\n",
        "time_limit": "<?php\nwhile (true) {}\n",
    },
    "pascal": {
        "accepted": "var a, b: int64;\nbegin\n  read(a, b);\n  writeln(a + b);\nend.\n",
        "compile_error": "begin\n  x := ;\nend.\n",
        "runtime_error": "var a, b: integer;\nbegin\n  a := 0;\n  b := 5 div a;\n  writeln(b);\nend.\n",
        "time_limit": "begin\n  while true do ;\nend.\n",
    },
    "haskell": {
        "accepted": 'main :: IO ()\nmain = interact $ \\s -> show (sum (map read (words s) :: [Integer])) ++ "\\n"\n',
        "compile_error": "main :: IO ()\nmain = putStrLn 1 +\n",
        "runtime_error": "main :: IO ()\nmain = print (head ([] :: [Int]))\n",
        # A strict counter (an infinite list would be kept whole: a memory verdict, not time).
        "time_limit": "count :: Int -> Int\ncount n = if n < 0 then n else count (n + 1)\n\n"
        "main :: IO ()\nmain = print (count 0)\n",
    },
    "lua": {
        "accepted": "local a, b = io.read('n', 'n')\nprint(a + b)\n",
        "compile_error": "if then\n",
        "runtime_error": "error('boom')\n",
        "time_limit": "while true do end\n",
    },
    "bash": {
        "accepted": "read -r a b\necho $((a + b))\n",
        "compile_error": "if then\n",
        "runtime_error": "set -e\nfalse\necho unreachable\n",
        "time_limit": "while :; do :; done\n",
    },
}
EXPECTED = {
    "accepted": Verdict.ACCEPTED,
    "compile_error": Verdict.COMPILATION_ERROR,
    "runtime_error": Verdict.RUNTIME_ERROR,
    "time_limit": Verdict.TIME_LIMIT_EXCEEDED,
}
# Directories a language needs that the sandbox may not show yet (then it is skipped, saying so).
NEEDS_IN_SANDBOX = {"haskell": "/var/lib/ghc"}
BY_ID = {language.language_id: language for language in LANGUAGES}
CASES = [(language_id, case) for language_id in PROGRAMS for case in EXPECTED]


def a_plus_b() -> Bundle:
    return Bundle(
        problem_id="a-plus-b",
        revision=1,
        time_limit_ms=1000,
        memory_limit_kib=256 * 1024,
        checker=CheckerSpec("TOKENS"),
        tests=tuple(
            BundleTest(ordinal=i, input=given, expected_output=wanted, sample=i == 1)
            for i, (given, wanted) in enumerate(TESTS, start=1)
        ),
    )


async def offered(language: Language, languages: dict[str, Language], sandbox: Sandbox) -> Language:
    """The language as the judge offers it; skips when its toolchain is absent, fails when it is
    installed but fails its self-test."""
    if language.language_id in languages:
        return languages[language.language_id]
    if language.detect_version() is None:
        pytest.skip("toolchain not installed (make languages)")
    needed = NEEDS_IN_SANDBOX.get(language.language_id)
    shown = (*sandbox_module.READ_ONLY, *sandbox_module.READ_ONLY_IF_PRESENT)
    if needed and needed not in shown:
        pytest.skip(f"the sandbox does not show {needed} (sandbox.py READ_ONLY_IF_PRESENT)")
    pytest.fail(f"{language.language_id} is installed but fails its self-test: {await self_test(sandbox, language)}")


def test_every_added_language_has_programs_for_every_case():
    default = {"python3", "c", "cpp", "javascript", "java"}
    assert set(PROGRAMS) == set(BY_ID) - default
    assert all(set(programs) == set(EXPECTED) for programs in PROGRAMS.values())


@pytest.mark.parametrize(("language_id", "case"), CASES, ids=[f"{lang}-{case}" for lang, case in CASES])
async def test_language(judge: Judge, languages, sandbox: Sandbox, language_id: str, case: str):
    language = await offered(BY_ID[language_id], languages, sandbox)
    final = await judge.judge(language, PROGRAMS[language_id][case], a_plus_b(), run_all_tests=False, steps=Steps())
    assert final.verdict is EXPECTED[case], final
    if case == "accepted":
        assert final.passed == final.test_count == len(TESTS)
    if case == "compile_error":
        assert final.compile_output.strip(), "a compilation error says why"
