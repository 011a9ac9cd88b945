"""Hostile programs get the right verdict and leave the host as it was."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import pathlib
import signal
import socket
import subprocess
import threading

import pytest

from arena.execution.checkers import CheckerSpec
from arena.execution.domain import TestOutcome, Verdict
from arena.execution.judge import Bundle, BundleTest, Judge, Steps
from arena.execution.sandbox import Sandbox

pytestmark = pytest.mark.timeout(120)


def bundle(expected: str = "ok\n", *, time_limit_ms: int = 1000, memory_kib: int = 64 * 1024) -> Bundle:
    return Bundle(
        problem_id="hostile",
        revision=1,
        time_limit_ms=time_limit_ms,
        memory_limit_kib=memory_kib,
        checker=CheckerSpec("TOKENS"),
        tests=(BundleTest(ordinal=1, input="", expected_output=expected, sample=False),),
    )


def slot_processes(sandbox: Sandbox) -> list[str]:
    """Processes running as this sandbox's uids (other judges on the machine have uids of their own)."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in sandbox.uids:
                    status = dict(
                        line.split(":\t", 1) for line in (entry / "status").read_text().splitlines() if ":\t" in line
                    )
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    found.append(f"pid {entry.name} ppid {status.get('PPid')} {status.get('State')}: {command}")
            except OSError:
                continue
    return found


async def verdict_of(judge: Judge, languages, language: str, source: str, problem: Bundle | None = None):
    final = await judge.judge(languages[language], source, problem or bundle(), run_all_tests=True, steps=Steps())
    assert slot_processes(judge.sandbox) == [], "a sandboxed process outlived its run"
    return final


PROGRAMS = {
    "fork bomb": (
        "c",
        "#include <unistd.h>\nint main(void) { for (;;) fork(); }\n",
        # Also MLE, rarely (1 in 8 here): a refused fork has copied its parent's page tables before the pids
        # cgroup refuses it, and 64 processes doing that at once can reach the memory cgroup's limit.
        {Verdict.TIME_LIMIT_EXCEEDED, Verdict.RUNTIME_ERROR, Verdict.MEMORY_LIMIT_EXCEEDED},
    ),
    "memory bomb": (
        "python3",
        "x = []\nwhile True:\n    x.append(bytearray(10**7))\n",
        {Verdict.MEMORY_LIMIT_EXCEEDED},
    ),
    "memory bomb in C": (
        "c",
        "#include <stdlib.h>\n#include <string.h>\nint main(void) { for (;;) { char *p = malloc(1 << 24); if (p) memset(p, 1, 1 << 24); } }\n",
        {Verdict.MEMORY_LIMIT_EXCEEDED},
    ),
    "infinite loop": (
        "c",
        "int main(void) { volatile unsigned x = 0; for (;;) x++; }\n",
        {Verdict.TIME_LIMIT_EXCEEDED},
    ),
    "sleep forever": ("python3", "import time\ntime.sleep(3600)\n", {Verdict.TIME_LIMIT_EXCEEDED}),
    "output flood": (
        "c",
        '#include <stdio.h>\nint main(void) { for (;;) fputs("flood flood flood flood\\n", stdout); }\n',
        {Verdict.OUTPUT_LIMIT_EXCEEDED},
    ),
    "kill -1": (
        "python3",
        "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\nprint('ok')\n",
        {Verdict.ACCEPTED, Verdict.RUNTIME_ERROR},
    ),
    "children burning CPU after the parent exits": (
        "c",
        # Two children x 0.6 s of CPU against a 1 s limit (little wall time: the CPU limit must decide);
        # the parent exits without waiting for them
        # (judged ACCEPTED with ~3 ms of CPU when only the namespace init's rusage counted).
        "#include <time.h>\n#include <unistd.h>\n"
        "static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);"
        " return t.tv_sec + t.tv_nsec / 1e9; }\n"
        "int main(void) { int done[2]; char c; if (pipe(done)) return 1;\n"
        "  for (int i = 0; i < 2; i++) if (fork() == 0) { volatile unsigned long x = 0;"
        ' while (cpu() < 0.6) x++; if (write(done[1], "x", 1) != 1) return 1; for (;;) x++; }\n'
        "  for (int i = 0; i < 2; i++) if (read(done[0], &c, 1) != 1) return 1;\n"
        '  if (write(1, "ok\\n", 3) != 3) return 1; return 0; }\n',
        {Verdict.TIME_LIMIT_EXCEEDED},
    ),
    "output flood in JavaScript": (
        "javascript",
        "const s = 'flood '.repeat(1000) + '\\n';\nfor (;;) process.stdout.write(s);\n",
        {Verdict.OUTPUT_LIMIT_EXCEEDED},  # was MEMORY_LIMIT_EXCEEDED: Node ignores SIGXFSZ
    ),
    "stack overflow": (
        "c",
        "int f(int n) { volatile char pad[1024]; pad[0] = n; return f(n + 1) + pad[0]; }\nint main(void) { return f(0); }\n",
        {Verdict.RUNTIME_ERROR, Verdict.MEMORY_LIMIT_EXCEEDED},
    ),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
async def test_hostile_program_verdicts(judge: Judge, languages, name: str):
    language, source, expected = PROGRAMS[name]
    final = await verdict_of(judge, languages, language, source)
    assert final.verdict in expected, (name, final)


async def test_a_child_that_outlives_its_parent_is_gone_after_the_run(judge: Judge, languages, tmp_path: pathlib.Path):
    source = "import os, time\nif os.fork() == 0:\n    time.sleep(5)\n    print('late')\nelse:\n    print('ok')\n"
    final = await verdict_of(judge, languages, "python3", source)
    assert final.verdict is Verdict.ACCEPTED


async def test_a_cancelled_run_is_killed_and_reaped(judge: Judge, languages):
    """A judge stopping mid-run (shutdown) leaves no program running and no zombie behind."""
    running = asyncio.create_task(verdict_of(judge, languages, "python3", "import time\ntime.sleep(30)\n"))
    for _ in range(500):  # until the program runs inside the sandbox (as a slot uid), at most 5 s
        if slot_processes(judge.sandbox):
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the run never started")
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert slot_processes(judge.sandbox) == []


async def test_writing_outside_the_work_directory_fails_and_leaves_nothing(judge: Judge, languages):
    targets = ["/usr/arena-escape", "/etc/arena-escape", "/box/arena-escape", "/arena-escape"]
    source = (
        "import sys\n"
        f"for path in {targets!r}:\n"
        "    try:\n"
        "        open(path, 'w').write('x')\n"
        "        print('wrote', path)\n"
        "    except OSError:\n"
        "        pass\n"
        "open('/tmp/scratch', 'w').write('the private /tmp is fine')\n"
        "print('ok')\n"
    )
    final = await verdict_of(judge, languages, "python3", source)
    assert final.verdict is Verdict.ACCEPTED  # every write outside failed; the private /tmp worked
    for target in targets:
        assert not os.path.exists(target)


async def test_the_services_files_and_environment_are_out_of_reach(judge: Judge, languages, monkeypatch):
    monkeypatch.setenv("ARENA_CANARY_SECRET", "do-not-leak")
    repo = pathlib.Path(__file__).resolve().parents[3]
    source = (
        "import os\n"
        "seen = dict(os.environ)\n"
        f"for path in ({str(repo / 'pyproject.toml')!r}, '/proc/1/environ', '/root', '/work', '/var/lib/postgresql'):\n"
        "    try:\n"
        "        seen[path] = open(path, 'rb').read(64) if os.path.isfile(path) else os.listdir(path)\n"
        "    except OSError as error:\n"
        "        seen[path] = type(error).__name__\n"
        "print(seen)\n"
    )
    problem = bundle(expected="")
    outcome = await judge.run_test(
        await judge.compile(languages["python3"], source), languages["python3"], problem, problem.tests[0]
    )
    assert outcome.verdict is Verdict.WRONG_ANSWER  # it printed something; what it could see is checked below
    compiled = await judge.compile(languages["python3"], source)
    limits = judge.limits_for(languages["python3"], problem)
    ran = await judge.sandbox.run(
        compiled.workspace, languages["python3"].run_command(problem.memory_limit_kib), limits=limits
    )
    judge.sandbox.discard(compiled.workspace)
    seen = ran.stdout.decode()
    assert "do-not-leak" not in seen and "ARENA_CANARY" not in seen
    assert "[project]" not in seen  # pyproject.toml unreadable
    assert "'/work': 'FileNotFoundError'" in seen and "'/root': 'FileNotFoundError'" in seen


async def test_no_network_even_to_this_machine(judge: Judge, languages):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(3)
    port = listener.getsockname()[1]
    connections: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            connections.append(listener.accept())

    thread = threading.Thread(target=accept)
    thread.start()
    source = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
        "    print('connected')\n"
        "except OSError:\n"
        "    print('ok')\n"
    )
    final = await verdict_of(judge, languages, "python3", source)
    thread.join()
    listener.close()
    assert final.verdict is Verdict.ACCEPTED and connections == []


async def test_kill_minus_one_cannot_touch_host_processes(judge: Judge, languages):
    canary = subprocess.Popen(["sleep", "30"])
    try:
        await verdict_of(judge, languages, "python3", PROGRAMS["kill -1"][1])
        assert canary.poll() is None
    finally:
        canary.send_signal(signal.SIGKILL)
        canary.wait()


async def test_a_compile_time_bomb_is_a_compilation_error(judge: Judge, languages):
    source = (
        "template <int N> struct Bomb { static const int value = Bomb<N - 1>::value + Bomb<N - 2>::value; };\n"
        "template <> struct Bomb<0> { static const int value = 0; };\n"
        "template <> struct Bomb<1> { static const int value = 1; };\n"
        "int main() { return Bomb<100000>::value; }\n"
    )
    final = await verdict_of(judge, languages, "cpp", source)
    assert final.verdict is Verdict.COMPILATION_ERROR and final.compile_output
    included = await verdict_of(judge, languages, "c", '#include "/dev/zero"\nint main(void) { return 0; }\n')
    assert included.verdict is Verdict.COMPILATION_ERROR


async def test_hidden_test_data_cannot_be_read_out_through_the_exit_code(judge: Judge, languages):
    """A program exiting with the first byte of its input: the code shows for the sample only."""
    problem = dataclasses.replace(
        bundle(),
        tests=(
            BundleTest(ordinal=1, input="A", expected_output="", sample=True),
            BundleTest(ordinal=2, input="S", expected_output="", sample=False),
        ),
    )
    source = "import sys\nsys.exit(ord(sys.stdin.read(1)))\n"
    results = []

    class Recorder(Steps):
        async def test_finished(self, outcome: TestOutcome) -> None:
            results.append(outcome)

    await judge.judge(languages["python3"], source, problem, run_all_tests=True, steps=Recorder())
    sample, hidden = sorted(results, key=lambda r: r.ordinal)
    assert sample.verdict is hidden.verdict is Verdict.RUNTIME_ERROR
    assert sample.exit_code == ord("A")
    assert hidden.exit_code == 0 and hidden.signal == 0 and hidden.checker_message == ""
    revealing = dataclasses.replace(problem, reveal_hidden_details=True)
    results.clear()
    await judge.judge(languages["python3"], source, revealing, run_all_tests=True, steps=Recorder())
    assert sorted(results, key=lambda r: r.ordinal)[1].exit_code == ord("S")
