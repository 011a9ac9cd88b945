"""Benchmark: judge throughput. Submissions of the demo problem A+B (10 tests) judged by the real
judge in the real sandbox, one submission per core at a time, against the same work done bare
(compile or syntax check, then the 10 test runs as plain subprocesses with stdin, checked by the
same checker) at the same concurrency, in interleaved rounds. Every verdict must be ACCEPTED.

    python -m bench.judge [--rounds 3] [--duration-s 2] [--warmup-s 1] [--concurrency N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pathlib
import sys
import tempfile
import time
from collections.abc import Sequence

from arena.demo import problems
from arena.execution.checkers import check
from arena.execution.domain import TestOutcome, Verdict
from arena.execution.judge import Bundle, Judge, Steps
from arena.execution.languages import Language
from bench import harness
from bench.harness import Cell, markdown_table, run_interleaved, write_results
from bench.sandbox import BARE, SANDBOXED, AsyncLoad, BenchmarkFailed, bench_sandbox, languages, pairs, run_bare

PROBLEM = "a-plus-b"
TARGET_RUNS_PER_S = 20.0
MAX_SUBMISSIONS = 500  # per round; only a safety net, rounds end by time long before


class TimedSteps(Steps):
    """Each test run's latency as the judge sees it (run and check), from the judge's own steps."""

    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self._last = 0.0

    async def running(self) -> None:
        self._last = time.monotonic()

    async def test_finished(self, outcome: TestOutcome) -> None:
        now = time.monotonic()
        self.latencies_ms.append((now - self._last) * 1000)
        self._last = now


def scenarios(runner: asyncio.Runner, judge: Judge, language: Language, source: str, bundle: Bundle) -> dict:
    async def sandboxed() -> list[float]:
        steps = TimedSteps()
        final = await judge.judge(language, source, bundle, run_all_tests=True, steps=steps)
        if final.verdict is not Verdict.ACCEPTED or final.passed != len(bundle.tests):
            raise BenchmarkFailed(
                f"{language.language_id} sandboxed: {final.verdict.name}, {final.passed}/{len(bundle.tests)} "
                f"passed {final.compile_output[:300]}"
            )
        return steps.latencies_ms

    async def bare() -> list[float]:
        # The same work without the sandbox: a fresh directory, the compile (or syntax check, which
        # the judge runs too), then every test, so submissions/s compare like with like.
        with tempfile.TemporaryDirectory(prefix="arena-bench-bare-") as tmp:
            workspace = pathlib.Path(tmp)
            (workspace / language.source_file).write_text(source)
            if language.compile:
                code, _ = await run_bare(language.compile, workspace)
                if code != 0:
                    raise BenchmarkFailed(f"{language.language_id} bare: compiling failed, exit {code}")
            latencies = []
            for test in bundle.tests:
                started = time.monotonic()
                code, stdout = await run_bare(
                    language.run_command(bundle.memory_limit_kib), workspace, test.input.encode()
                )
                result = check(test.expected_output, stdout.decode(errors="replace"), bundle.checker, reveal=True)
                latencies.append((time.monotonic() - started) * 1000)
                if code != 0 or not result.accepted:
                    raise BenchmarkFailed(f"{language.language_id} bare test {test.ordinal}: exit {code}, {result}")
            return latencies

    return {BARE: AsyncLoad(runner, bare, MAX_SUBMISSIONS), SANDBOXED: AsyncLoad(runner, sandboxed, MAX_SUBMISSIONS)}


def targets(cells: Sequence[Cell], tests_per_submission: int) -> list[str]:
    """Per language: sandboxed test runs/s against the target and against bare."""
    lines = []
    for configuration, bare, boxed in pairs(cells):
        ratio = boxed.throughput / bare.throughput if bare.throughput else float("nan")
        verdict = "met" if boxed.throughput >= TARGET_RUNS_PER_S else "missed"
        lines.append(
            f"- {configuration}: sandboxed {boxed.throughput:.1f} runs/s "
            f"({boxed.throughput / tests_per_submission:.2f} submissions/s), bare {bare.throughput:.1f} runs/s "
            f"({bare.throughput / tests_per_submission:.2f} submissions/s): {ratio:.2f}x bare "
            f"(target >= {TARGET_RUNS_PER_S:.0f} runs/s: {verdict})"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    harness.add_round_arguments(parser)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2, help="submissions judged at once")
    args = parser.parse_args(argv)
    problem = next(p for p in problems.load() if p.slug == PROBLEM)
    bundle = problems.judge_bundle(problem)
    accepted = {lang: src for name, (lang, src) in problem.solutions.items() if name.startswith("accepted.")}
    cells: list[Cell] = []
    # One event loop for the whole benchmark: the sandbox keeps its slot semaphore per loop.
    with bench_sandbox(slots=args.concurrency) as sandbox, asyncio.Runner() as runner:
        found = languages(["python3", "c"])
        judge = Judge(sandbox, {language.language_id: language for language in found})
        for language in found:
            label = f"{PROBLEM}, {language.name}"
            print(f"Judge throughput, {label}, {args.concurrency} at once:", flush=True)
            cells += run_interleaved(
                scenarios(runner, judge, language, accepted[language.language_id], bundle),
                configuration=label,
                concurrencies=[args.concurrency],
                rounds=args.rounds,
                duration_s=args.duration_s,
                warmup_s=args.warmup_s,
            )
    if not cells:
        print("judge: neither python3 nor gcc is installed", file=sys.stderr)
        return 1
    table = markdown_table(cells, baseline=BARE)
    checks = targets(cells, len(bundle.tests))
    path = write_results("judge", cells, {"targets": checks, "tests_per_submission": len(bundle.tests)})
    print(
        "\n## Judge throughput (req = one test run; latency = one test run, as the judge sees it)\n\n"
        + table
        + "\n\n"
        + "\n".join(checks)
        + f"\n\nresults: {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
