"""Benchmark: the sandbox's overhead per run. A trivial program (C printing "hi", compiled once, and
a Python script printing "hi") run one at a time in the real sandbox, against the same command run
bare (a plain subprocess with the same stdin, stdout and environment), in interleaved rounds.
Reports p50/p99 wall latency of each, the extra ms the sandbox adds and the ratio.

    python -m bench.sandbox [--rounds 3] [--duration-s 2] [--warmup-s 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import pathlib
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence

from arena.execution.languages import COMPILE_LIMITS, LANGUAGES, Language
from arena.execution.sandbox import SANDBOX_PATH, Limits, Sandbox
from bench import harness
from bench.harness import Cell, LoadResult, markdown_table, percentile, run_interleaved, write_results

BARE, SANDBOXED = "bare", "sandboxed"
TARGET_EXTRA_MS = 15.0
# What a program sees inside the sandbox (bwrap --clearenv, then these): bare runs get the same,
# so Python's start-up does the same work in both.
ENV = {"PATH": SANDBOX_PATH, "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
LIMITS = Limits(cpu_time_s=2, wall_time_s=5, memory_kib=256 * 1024)
PROGRAMS = {
    "c": '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n',
    "python3": "print('hi')\n",
}


class BenchmarkFailed(RuntimeError):
    """A run gave the wrong answer: its timing would measure a failure, not the work."""


async def run_bare(command: Sequence[str], cwd: pathlib.Path, stdin: bytes = b"") -> tuple[int, bytes]:
    """The baseline: the same command, a plain child process with piped stdin and captured output."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=ENV,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate(stdin)
    return process.returncode or 0, stdout


@dataclasses.dataclass
class AsyncLoad:
    """A harness ``Load`` from an async job: ``connections`` workers repeat the job until the duration
    is up (in-flight jobs finish) or ``max_jobs`` have started, so every round is bounded in time and
    count. A job returns the latencies (ms) of the units of work it did: the "requests"."""

    runner: asyncio.Runner
    job: Callable[[], Awaitable[list[float]]]
    max_jobs: int

    def run(self, *, duration_s: float, connections: int) -> LoadResult:
        return self.runner.run(self._run(duration_s, connections))

    async def _run(self, duration_s: float, connections: int) -> LoadResult:
        latencies: list[float] = []
        started = time.monotonic()
        deadline = started + duration_s
        jobs = 0

        async def worker() -> None:
            nonlocal jobs
            while time.monotonic() < deadline and jobs < self.max_jobs:
                jobs += 1
                latencies.extend(await self.job())

        await asyncio.gather(*(worker() for _ in range(connections)))
        latencies.sort()
        return LoadResult(
            requests=len(latencies),
            errors=0,  # a wrong answer raises BenchmarkFailed instead
            duration_s=time.monotonic() - started,
            p50_ms=percentile(latencies, 0.50),
            p99_ms=percentile(latencies, 0.99),
        )


@contextlib.contextmanager
def bench_sandbox(slots: int) -> Iterator[Sandbox]:
    # Under /tmp, not a private temporary directory: the slot users must reach their workspaces.
    root = pathlib.Path(tempfile.mkdtemp(prefix="arena-bench-sandbox-"))
    try:
        yield Sandbox(root, slots=slots)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def languages(wanted: Sequence[str]) -> list[Language]:
    """The wanted languages whose toolchain is on this machine, in the order asked."""
    by_id = {language.language_id: language for language in LANGUAGES}
    return [by_id[w] for w in wanted if by_id[w].detect_version() is not None]


async def prepare(sandbox: Sandbox, language: Language) -> pathlib.Path:
    """A workspace with the program, compiled once (in the sandbox, as the judge would)."""
    workspace = sandbox.workspace({language.source_file: PROGRAMS[language.language_id].encode()})
    if language.compile:
        built = await sandbox.run(workspace, language.compile, limits=COMPILE_LIMITS, writable=True)
        if not built.succeeded:
            raise BenchmarkFailed(f"{language.language_id}: compiling failed: {built.stderr.decode(errors='replace')}")
    return workspace


def scenarios(runner: asyncio.Runner, sandbox: Sandbox, language: Language, workspace: pathlib.Path) -> dict:
    command = language.run_command(LIMITS.memory_kib)
    limits = dataclasses.replace(LIMITS, processes=language.run_processes)

    async def bare() -> list[float]:
        started = time.monotonic()
        code, stdout = await run_bare(command, workspace)
        elapsed_ms = (time.monotonic() - started) * 1000
        if code != 0 or stdout != b"hi\n":
            raise BenchmarkFailed(f"{language.language_id} bare: exit {code}, stdout {stdout!r}")
        return [elapsed_ms]

    async def sandboxed() -> list[float]:
        started = time.monotonic()
        outcome = await sandbox.run(workspace, command, limits=limits)
        elapsed_ms = (time.monotonic() - started) * 1000
        if not outcome.succeeded or outcome.stdout != b"hi\n":
            raise BenchmarkFailed(
                f"{language.language_id} sandboxed: exit {outcome.exit_code} signal {outcome.signal}, "
                f"stdout {outcome.stdout!r}, stderr {outcome.stderr[:300]!r}"
            )
        return [elapsed_ms]

    # The bound is only a safety net: bare C runs take ~1 ms, so 2 s rounds stay well under it.
    return {BARE: AsyncLoad(runner, bare, 10_000), SANDBOXED: AsyncLoad(runner, sandboxed, 10_000)}


def pairs(cells: Sequence[Cell]) -> Iterator[tuple[str, Cell, Cell]]:
    """(configuration, bare cell, sandboxed cell) for each configuration, in the order measured."""
    by_key = {(c.configuration, c.scenario): c for c in cells}
    for configuration in dict.fromkeys(c.configuration for c in cells):
        yield configuration, by_key[configuration, BARE], by_key[configuration, SANDBOXED]


def targets(cells: Sequence[Cell]) -> list[str]:
    """Per program: what the sandbox adds to a run's wall latency, against the target."""
    lines = []
    for configuration, bare, boxed in pairs(cells):
        extra_p50, extra_p99 = boxed.p50_ms - bare.p50_ms, boxed.p99_ms - bare.p99_ms
        ratio = boxed.p50_ms / bare.p50_ms if bare.p50_ms else float("nan")
        verdict = "met" if extra_p50 <= TARGET_EXTRA_MS else "missed"
        lines.append(
            f"- {configuration}: sandboxed p50 {boxed.p50_ms:.2f} ms / p99 {boxed.p99_ms:.2f} ms, bare p50 "
            f"{bare.p50_ms:.2f} ms / p99 {bare.p99_ms:.2f} ms: +{extra_p50:.2f} ms p50, +{extra_p99:.2f} ms p99, "
            f"{ratio:.1f}x (target <= {TARGET_EXTRA_MS:.0f} ms extra: {verdict})"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    harness.add_round_arguments(parser)
    args = parser.parse_args(argv)
    cells: list[Cell] = []
    # One event loop for the whole benchmark: the sandbox keeps its slot semaphore per loop.
    with bench_sandbox(slots=1) as sandbox, asyncio.Runner() as runner:
        for language in languages(["c", "python3"]):
            label = f"{language.name}, print hi"
            print(f"Sandbox overhead, {label}:", flush=True)
            workspace = runner.run(prepare(sandbox, language))
            try:
                cells += run_interleaved(
                    scenarios(runner, sandbox, language, workspace),
                    configuration=label,
                    concurrencies=[1],  # one run at a time: latency, not contention
                    rounds=args.rounds,
                    duration_s=args.duration_s,
                    warmup_s=args.warmup_s,
                )
            finally:
                Sandbox.discard(workspace)
    if not cells:
        print("sandbox: neither gcc nor python3 is installed", file=sys.stderr)
        return 1
    table = markdown_table(cells, baseline=BARE)
    checks = targets(cells)
    path = write_results("sandbox", cells, {"targets": checks})
    print("\n## Sandbox overhead (one run at a time)\n\n" + table + "\n\n" + "\n".join(checks) + f"\n\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
