"""What the sandbox measures: CPU time of every process of a run however it ends, the program's own
memory rather than the page cache it brought in, and the output limit ahead of the memory kill."""

from __future__ import annotations

import asyncio
import os
import pathlib
import shutil
import tempfile

import pytest

from arena.execution.cgroups import CgroupSupport, RunCgroup
from arena.execution.domain import RunStatus, classify
from arena.execution.languages import COMPILE_LIMITS
from arena.execution.sandbox import CPU_KILL_MARGIN_S, Limits, RunOutcome, Sandbox

pytestmark = pytest.mark.timeout(120)

# Each child burns its share of CPU (its own CPU clock, not the wall clock, so a busy machine only
# makes it slower), tells the parent, and spins on; the parent then exits without waiting: bwrap's
# init exits with it and the kernel kills and reaps the children, whose CPU never reaches a rusage.
ORPHANS_BURNING_CPU = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
    int children = atoi(argv[1]); double each = atof(argv[2]); int forever = atoi(argv[3]);
    int done[2]; if (pipe(done) != 0) return 1;
    for (int i = 0; i < children; i++) if (fork() == 0) {
        volatile unsigned long x = 0;
        while (cpu() < each) x++;
        if (write(done[1], "x", 1) != 1) return 1;
        for (;;) x++;
    }
    char c;
    for (int i = 0; i < children; i++) if (read(done[0], &c, 1) != 1) return 1;
    if (forever) pause();
    puts("ok");
    return 0;
}
"""


async def compiled_c(sandbox: Sandbox, source: str) -> pathlib.Path:
    workspace = sandbox.workspace({"main.c": source.encode()})
    built = await sandbox.run(
        workspace, ["/usr/bin/gcc", "-O2", "-o", "main", "main.c"], limits=COMPILE_LIMITS, writable=True
    )
    assert built.succeeded, built.stderr
    return workspace


def status_of(outcome: RunOutcome, limits: Limits) -> RunStatus:
    return classify(outcome, cpu_limit_s=limits.cpu_time_s, memory_limit_kib=limits.memory_kib)


def test_cpu_is_counted_by_cgroup_here(sandbox: Sandbox):
    assert sandbox.cpu_accounting == CgroupSupport.detect().cpu_accounting
    assert sandbox.cpu_accounting in ("cgroup-v1", "cgroup-v2")  # these machines have a writable cgroup


async def test_cpu_of_children_outliving_the_program_is_counted(sandbox: Sandbox):
    workspace = await compiled_c(sandbox, ORPHANS_BURNING_CPU)
    try:
        # A generous wall clock: the CPU limit, not the wall clock, must decide (judged ACCEPTED with ~3 ms before).
        limits = Limits(cpu_time_s=1, wall_time_s=30, memory_kib=64 * 1024)
        # (1.2 s in all: past the limit, short of the kill at limit + CPU_KILL_MARGIN_S, so the program ends.)
        outcome = await sandbox.run(workspace, ["./main", "2", "0.6", "0"], limits=limits)
        assert outcome.succeeded and outcome.stdout == b"ok\n" and not outcome.wall_time_exceeded
        assert outcome.cpu_time_s >= 1.15, outcome
        assert status_of(outcome, limits) is RunStatus.TIME_LIMIT_EXCEEDED
    finally:
        sandbox.discard(workspace)


async def test_a_run_whose_processes_together_pass_the_cpu_limit_is_killed_then(sandbox: Sandbox):
    workspace = await compiled_c(sandbox, ORPHANS_BURNING_CPU)
    try:
        # Three children spin forever, the parent waits forever: each stays far below RLIMIT_CPU for seconds,
        # so before this only the wall clock (30 s here) ended the run.
        limits = Limits(cpu_time_s=1, wall_time_s=30, memory_kib=64 * 1024)
        outcome = await sandbox.run(workspace, ["./main", "3", "0.1", "1"], limits=limits)
        assert not outcome.wall_time_exceeded, outcome
        assert 1 + CPU_KILL_MARGIN_S <= outcome.cpu_time_s < 1 + CPU_KILL_MARGIN_S + 3, outcome
        assert status_of(outcome, limits) is RunStatus.TIME_LIMIT_EXCEEDED
    finally:
        sandbox.discard(workspace)


async def test_cpu_of_a_run_killed_at_the_wall_limit_is_counted(sandbox: Sandbox):
    workspace = await compiled_c(sandbox, ORPHANS_BURNING_CPU)
    try:
        limits = Limits(cpu_time_s=5, wall_time_s=4, memory_kib=64 * 1024)
        outcome = await sandbox.run(workspace, ["./main", "1", "0.2", "1"], limits=limits)
        assert outcome.wall_time_exceeded
        assert outcome.cpu_time_s >= 0.2, outcome  # ~2 ms (bwrap's init alone) before
    finally:
        sandbox.discard(workspace)


async def test_cpu_of_a_trivial_run_excludes_the_sandbox_itself(sandbox: Sandbox):
    workspace = await compiled_c(sandbox, '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    try:
        outcome = await sandbox.run(workspace, ["./main"], limits=Limits(cpu_time_s=1, wall_time_s=5, memory_kib=65536))
        assert outcome.succeeded and outcome.stdout == b"hi\n"
        assert 0 <= outcome.cpu_time_s < 0.05, outcome
    finally:
        sandbox.discard(workspace)


def big_system_file(at_least: int = 64 * 1024 * 1024) -> pathlib.Path:
    """A large file the sandbox can read (workspaces are on a tmpfs: reading them charges nothing)."""
    for pattern in (
        "/usr/lib/jvm/*/lib/modules",
        "/usr/lib/x86_64-linux-gnu/libLLVM*.so*",
        "/usr/lib/chromium/chromium",
    ):
        for path in sorted(pathlib.Path("/").glob(pattern.lstrip("/"))):
            if path.is_file() and not path.is_symlink() and path.stat().st_size >= at_least:
                return path
    pytest.skip("no system file of 64 MiB or more to read")


async def test_memory_is_the_programs_own_not_the_page_cache_it_read(sandbox: Sandbox):
    big = big_system_file()
    reader = (
        "#include <stdio.h>\n"
        'int main(int argc, char **argv) { static char buffer[1 << 16]; FILE *f = fopen(argv[1], "rb");\n'
        "  unsigned long n = 0, r; while ((r = fread(buffer, 1, sizeof buffer, f)) > 0) n += r;\n"
        '  printf("%lu\\n", n); return 0; }\n'
    )
    workspace = await compiled_c(sandbox, reader)
    try:
        with open(big, "rb") as handle:  # out of the page cache: the run's reads bring it in, charged to it
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        limits = Limits(cpu_time_s=5, wall_time_s=20, memory_kib=32 * 1024)
        outcome = await sandbox.run(workspace, ["./main", str(big)], limits=limits)
        assert outcome.succeeded and outcome.stdout == f"{big.stat().st_size}\n".encode(), outcome
        assert not outcome.memory_limit_hit
        assert outcome.memory_kib < 8 * 1024, outcome  # a C program with a 64 KiB buffer (~32 MiB before)
        assert status_of(outcome, limits) is RunStatus.OK
    finally:
        sandbox.discard(workspace)


async def test_a_memory_bomb_still_hits_the_limit_and_reports_it(sandbox: Sandbox):
    bomb = "#include <stdlib.h>\n#include <string.h>\nint main(void) { for (;;) { char *p = malloc(1 << 20); if (p) memset(p, 1, 1 << 20); } }\n"
    workspace = await compiled_c(sandbox, bomb)
    try:
        limits = Limits(cpu_time_s=5, wall_time_s=20, memory_kib=32 * 1024)
        outcome = await sandbox.run(workspace, ["./main"], limits=limits)
        assert outcome.memory_limit_hit and outcome.memory_kib >= 30 * 1024, outcome
        assert status_of(outcome, limits) is RunStatus.MEMORY_LIMIT_EXCEEDED
    finally:
        sandbox.discard(workspace)


async def test_javascript_flooding_stdout_exceeds_the_output_limit_not_memory(sandbox: Sandbox):
    workspace = sandbox.workspace(
        {"main.js": b"const s = 'flood '.repeat(1000) + '\\n';\nfor (;;) process.stdout.write(s);\n"}
    )
    try:
        limits = Limits(cpu_time_s=5, wall_time_s=20, memory_kib=128 * 1024, file_size_bytes=4 * 1024 * 1024)
        command = ["/usr/bin/node", "--max-old-space-size=64", "--stack-size=65500", "main.js"]
        outcome = await sandbox.run(workspace, command, limits=limits, capture_bytes=limits.file_size_bytes)
        assert outcome.output_limit_hit, outcome
        assert status_of(outcome, limits) is RunStatus.OUTPUT_LIMIT_EXCEEDED, outcome
    finally:
        sandbox.discard(workspace)


async def test_removing_a_run_cgroup_with_members_does_not_block_the_loop():
    support = CgroupSupport.detect()
    if support.pids_parent is None:
        pytest.skip("no writable pids cgroup")
    group = RunCgroup(support, memory_bytes=64 << 20, max_processes=8, owner_uid=os.getuid())
    procs = group.create()
    process = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", 'for p in $PROCS; do echo $$ > "$p"; done; exec sleep 300', env={"PROCS": " ".join(procs)}
    )
    try:
        for _ in range(500):  # until it has joined, at most 5 s
            if str(process.pid) in pathlib.Path(procs[0]).read_text().split():
                break
            await asyncio.sleep(0.01)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        ticker = asyncio.create_task(tick())
        await group.remove()  # kills the member and waits for it off the loop
        ticker.cancel()
        assert ticks > 1
        assert all(not pathlib.Path(p).parent.exists() for p in procs)
        assert await process.wait() == -9
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_without_a_writable_cgroup_runs_fall_back_to_rusage_and_rlimits():
    root = pathlib.Path(tempfile.mkdtemp(prefix="arena-sandbox-test-"))
    sandbox = Sandbox(root, slots=1, cgroups=CgroupSupport(memory_parent=None, pids_parent=None, version=0))
    try:
        assert sandbox.cpu_accounting == "rusage"
        workspace = sandbox.workspace({"main.py": b"x = bytearray(8 << 20)\nprint('hi')\n"})
        limits = Limits(cpu_time_s=2, wall_time_s=10, memory_kib=256 * 1024)
        outcome = await sandbox.run(workspace, ["/usr/bin/python3", "-S", "main.py"], limits=limits)
        assert outcome.succeeded and outcome.stdout == b"hi\n", outcome
        assert 0 < outcome.cpu_time_s < 1 and 8 * 1024 < outcome.memory_kib < 64 * 1024, outcome
    finally:
        sandbox.close()
        shutil.rmtree(root, ignore_errors=True)
