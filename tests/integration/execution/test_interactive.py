"""Interactive problems, run for real: the interactor and the contestant's program talk over pipes, each
in a sandbox of its own with its own limits; the interactor decides (testlib exit codes), a deadlock is
the contestant's TIME_LIMIT_EXCEEDED by the wall clock, and a broken interactor is a judge error."""

from __future__ import annotations

import pathlib

import pytest

from arena.execution.checkers import InteractorSpec
from arena.execution.domain import Verdict
from arena.execution.judge import Bundle, BundleTest, Judge, Steps
from arena.execution.sandbox import Sandbox

pytestmark = pytest.mark.timeout(300)

SECRET = 737373737

# Guess the number, testlib-style: the test's input (its first argument) holds the secret and the
# upper bound; it tells the program the bound, answers `? x` with <, > or =, and judges `! x`.
GUESS_INTERACTOR_PY = """
import os
import sys

def say(*words):
    try:
        print(*words, flush=True)
    except BrokenPipeError:  # the program left early: status 120 at exit would read as a judge error
        print("the program stopped reading", file=sys.stderr)
        os._exit(2)

secret, high = map(int, open(sys.argv[1]).read().split())
say(high)
queries = 0
while True:
    line = sys.stdin.readline(64)  # bounded: a flood of one endless line costs nothing
    if not line:
        print("unexpected end of the interaction", file=sys.stderr)
        sys.exit(2)
    parts = line.split()
    if len(parts) != 2 or parts[0] not in ("?", "!") or not parts[1].isdigit():
        print(f"not a query: {line[:20]!r}", file=sys.stderr)
        sys.exit(2)
    x = int(parts[1])
    if parts[0] == "!":
        if x == secret:
            print(f"found in {queries} queries", file=sys.stderr)
            sys.exit(0)
        print(f"guessed {x}, it was {secret}", file=sys.stderr)
        sys.exit(1)
    queries += 1
    if queries > 32:
        print("more than 32 queries", file=sys.stderr)
        sys.exit(1)
    say("<" if secret < x else ">" if secret > x else "=")
"""

BINARY_SEARCH_PY = """
high = int(input())
low = 1
while low < high:
    middle = (low + high) // 2
    print("?", middle, flush=True)
    answer = input()
    if answer == "=":
        low = high = middle
    elif answer == "<":
        high = middle - 1
    else:
        low = middle + 1
print("!", low, flush=True)
"""

BINARY_SEARCH_C = r"""
#include <stdio.h>
int main(void) {
    long low = 1, high;
    char answer[4];
    if (scanf("%ld", &high) != 1) return 1;
    while (low < high) {
        long middle = (low + high) / 2;
        printf("? %ld\n", middle);
        fflush(stdout);
        if (scanf("%3s", answer) != 1) return 1;
        if (answer[0] == '=') low = high = middle;
        else if (answer[0] == '<') high = middle - 1;
        else low = middle + 1;
    }
    printf("! %ld\n", low);
    fflush(stdout);
    return 0;
}
"""

OFF_BY_ONE_PY = BINARY_SEARCH_PY.replace('print("!", low, flush=True)', 'print("!", low + 1, flush=True)')

# Both sides wait to read: the program wants a second line before it asks anything.
DEADLOCK_PY = "input()\ninput()\nprint('! 1', flush=True)\n"

# Looks everywhere the secret could leak from: the interactor's files, its /proc, the shared places.
CHEATER_PY = r"""
import os, re, sys
found = set()
def look(path):
    try:
        with open(path, 'rb') as f:
            found.update(int(m) for m in re.findall(rb'\d{9}', f.read(1 << 20)))
    except OSError:
        pass
for path in ('/judge/input.txt', '/judge/answer.txt', '/tmp/output.txt'):
    look(path)
for pid in os.listdir('/proc'):
    if pid.isdigit():
        for name in ('cmdline', 'environ', 'fd/3', 'fd/4', 'root/judge/input.txt'):
            look(f'/proc/{pid}/{name}')
for top in ('/tmp', '/dev/shm', '/box', '/judge'):
    for root, _, files in os.walk(top):
        for name in files:
            look(os.path.join(root, name))
high = int(input())
candidates = [n for n in found if 1 <= n <= high]
print('!', candidates[0] if candidates else 1, flush=True)
"""

FLOOD_PY = "import sys\nwhile True:\n    sys.stdout.write('? 1\\n' * 1000)\n"
FLOOD_ONE_LINE_C = '#include <stdio.h>\nint main(void){for(;;)fputs("1111111111111111", stdout);}\n'
SILENT_EARLY_EXIT_PY = "pass\n"

BROKEN_INTERACTORS = {
    "exits 3 (FAIL)": ("python3", "import sys\nprint('bad test data', file=sys.stderr)\nsys.exit(3)\n"),
    "crashes": ("c", "#include <stdlib.h>\nint main(void) { abort(); }\n"),
    "does not compile": ("cpp", "int main( {"),
    "loops forever without a word": ("c", "int main(void) { volatile unsigned x = 0; for (;;) x++; }\n"),
}

# Burns CPU and memory of its own before the game: none of it is the contestant's.
HUNGRY_INTERACTOR_PY = (
    "import time\nblock = bytearray(200 * 1024 * 1024)\nend = time.process_time() + 1.1\n"
    "while time.process_time() < end:\n    pass\n" + GUESS_INTERACTOR_PY
)
HUNGRY_CONTESTANT_PY = "block = bytearray(200 * 1024 * 1024)\n" + BINARY_SEARCH_PY


def problem(interactor: tuple[str, str] = ("python3", GUESS_INTERACTOR_PY), *, samples: int = 1) -> Bundle:
    from arena.execution.checkers import CheckerSpec

    tests = [f"{SECRET} 1000000000\n", "1 1000000000\n", "1000000000 1000000000\n"]
    return Bundle(
        problem_id="guess-the-number",
        revision=1,
        time_limit_ms=1000,
        memory_limit_kib=64 * 1024,
        checker=CheckerSpec("TOKENS"),
        tests=tuple(BundleTest(i, t, "", i <= samples) for i, t in enumerate(tests, start=1)),
        interactor=InteractorSpec(*interactor),
    )


class Recorder(Steps):
    def __init__(self) -> None:
        self.outcomes = []

    async def test_finished(self, outcome) -> None:
        self.outcomes.append(outcome)


async def judged(judge: Judge, languages, language: str, source: str, bundle: Bundle | None = None, **options):
    steps = Recorder()
    final = await judge.judge(
        languages[language], source, bundle or problem(**options), run_all_tests=True, steps=steps
    )
    return final, steps.outcomes


def sandbox_processes(sandbox: Sandbox) -> list[int]:
    """Processes still running as any of the sandbox's uids (none once a run has ended)."""
    left = []
    for status in pathlib.Path("/proc").glob("[0-9]*/status"):
        try:
            uid_line = next(line for line in status.read_text().splitlines() if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if int(uid_line.split()[1]) in sandbox.uids:
            left.append(int(status.parent.name))
    return left


@pytest.mark.parametrize("language, source", [("python3", BINARY_SEARCH_PY), ("c", BINARY_SEARCH_C)])
async def test_a_correct_contestant_is_accepted(judge: Judge, languages, sandbox: Sandbox, language, source):
    final, outcomes = await judged(judge, languages, language, source)
    assert (final.verdict, final.passed) == (Verdict.ACCEPTED, 3)
    assert outcomes[0].checker_message.startswith("found in")  # a sample: the interactor's message shows
    assert outcomes[1].checker_message == ""  # hidden: verdict, time and memory only
    assert sandbox_processes(sandbox) == []


async def test_a_wrong_contestant_gets_the_interactors_wrong_answer(judge: Judge, languages):
    final, outcomes = await judged(judge, languages, "python3", OFF_BY_ONE_PY)
    assert final.verdict is Verdict.WRONG_ANSWER
    assert outcomes[0].verdict is Verdict.WRONG_ANSWER and "guessed" in outcomes[0].checker_message
    assert outcomes[1].verdict is Verdict.WRONG_ANSWER and outcomes[1].checker_message == ""


async def test_a_deadlock_is_the_contestants_wall_time_limit_and_leaves_nothing_running(
    judge: Judge, languages, sandbox: Sandbox
):
    bundle = problem()
    bundle = Bundle(**{**bundle.__dict__, "tests": bundle.tests[:1]})
    final, outcomes = await judged(judge, languages, "python3", DEADLOCK_PY, bundle)
    assert final.verdict is Verdict.TIME_LIMIT_EXCEEDED
    (outcome,) = outcomes
    limits = judge.limits_for(languages["python3"], bundle)
    # Killed by the wall clock while waiting (no CPU to speak of), not by the interactor's later limits.
    assert outcome.cpu_ms < 500 and outcome.wall_ms >= limits.wall_time_s * 1000
    assert sandbox_processes(sandbox) == []


async def test_a_cheater_finds_nothing_of_the_interactors(judge: Judge, languages):
    final, outcomes = await judged(judge, languages, "python3", CHEATER_PY)
    assert outcomes[0].verdict is Verdict.WRONG_ANSWER
    assert str(SECRET) not in outcomes[0].checker_message.replace(f"it was {SECRET}", "")
    assert final.verdict is Verdict.WRONG_ANSWER


@pytest.mark.parametrize(
    "language, source",
    [("python3", FLOOD_PY), ("c", FLOOD_ONE_LINE_C), ("python3", SILENT_EARLY_EXIT_PY)],
    ids=["floods queries", "floods one endless line", "exits at once"],
)
async def test_flooding_or_leaving_early_is_never_accepted_and_ends(judge: Judge, languages, sandbox, language, source):
    final, outcomes = await judged(judge, languages, language, source)
    assert final.verdict not in (Verdict.ACCEPTED, Verdict.INTERNAL_ERROR)
    assert all(o.verdict is not Verdict.ACCEPTED for o in outcomes)
    assert sandbox_processes(sandbox) == []


@pytest.mark.parametrize("broken", sorted(BROKEN_INTERACTORS))
async def test_a_broken_interactor_is_a_judge_error(judge: Judge, languages, sandbox, broken: str):
    final, outcomes = await judged(judge, languages, "python3", BINARY_SEARCH_PY, interactor=BROKEN_INTERACTORS[broken])
    assert final.verdict is Verdict.INTERNAL_ERROR
    assert outcomes[0].verdict is Verdict.INTERNAL_ERROR
    assert outcomes[0].checker_message.startswith("interactor failed")  # a sample: the message shows
    assert outcomes[1].checker_message == ""  # hidden: nothing
    assert final.judge_notes.startswith("test 1: interactor failed")
    assert sandbox_processes(sandbox) == []


async def test_the_interactors_cpu_and_memory_are_its_own(judge: Judge, languages):
    final, outcomes = await judged(judge, languages, "python3", BINARY_SEARCH_PY,
                                   interactor=("python3", HUNGRY_INTERACTOR_PY))  # fmt: skip
    # 1.1 s of CPU and 200 MiB in the interactor; the contestant's limits are 1 s and 64 MiB (its wall limit, 4 s,
    # also bounds its wait for the interactor: a longer burn fails this test on a loaded machine for that reason).
    assert final.verdict is Verdict.ACCEPTED
    assert all(o.cpu_ms < 800 and o.memory_kib < 64 * 1024 for o in outcomes)


async def test_the_contestants_limits_are_its_own(judge: Judge, languages):
    final, _ = await judged(judge, languages, "python3", HUNGRY_CONTESTANT_PY)
    assert final.verdict is Verdict.MEMORY_LIMIT_EXCEEDED
