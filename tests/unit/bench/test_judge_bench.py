"""The sandbox and judge benchmarks' pure helpers: bounded loads and the target lines."""

from __future__ import annotations

import asyncio

from bench import judge, sandbox
from bench.harness import Cell


def cell(configuration: str, scenario: str, throughput: float, p50: float, p99: float) -> Cell:
    return Cell(configuration, scenario, 1, throughput, p50, p99, 0, [])


CELLS = [
    cell("C", "bare", 800, 1.0, 2.0),
    cell("C", "sandboxed", 80, 11.0, 30.0),
    cell("Python", "bare", 80, 12.0, 15.0),
    cell("Python", "sandboxed", 30, 33.0, 46.0),
]


def test_pairs_follow_the_measured_order():
    assert [(name, bare.p50_ms, boxed.p50_ms) for name, bare, boxed in sandbox.pairs(CELLS)] == [
        ("C", 1.0, 11.0),
        ("Python", 12.0, 33.0),
    ]


def test_sandbox_targets_report_extra_latency_against_15_ms():
    c_line, python_line = sandbox.targets(CELLS)
    assert "+10.00 ms p50, +28.00 ms p99, 11.0x" in c_line and c_line.endswith("extra: met)")
    assert "+21.00 ms p50" in python_line and python_line.endswith("extra: missed)")


def test_judge_targets_report_runs_and_submissions_per_second():
    c_line, _ = judge.targets(CELLS, tests_per_submission=10)
    assert "sandboxed 80.0 runs/s (8.00 submissions/s), bare 800.0 runs/s" in c_line
    assert "0.10x bare" in c_line and c_line.endswith("runs/s: met)")


def test_async_load_stops_at_its_job_cap_and_counts_every_latency():
    started = 0

    async def job() -> list[float]:
        nonlocal started
        started += 1
        await asyncio.sleep(0)
        return [1.0, 3.0]

    with asyncio.Runner() as runner:
        result = sandbox.AsyncLoad(runner, job, max_jobs=5).run(duration_s=30, connections=2)
    assert started == 5
    assert result.requests == 10 and result.duration_s < 5
    assert (result.p50_ms, result.p99_ms) == (1.0, 3.0)


def test_async_load_stops_when_its_time_is_up():
    async def job() -> list[float]:
        await asyncio.sleep(0.01)
        return [10.0]

    with asyncio.Runner() as runner:
        result = sandbox.AsyncLoad(runner, job, max_jobs=10_000).run(duration_s=0.1, connections=2)
    assert 0 < result.requests < 100 and result.duration_s < 1


def test_the_launch_bench_reports_cpu_per_start_for_each_prefix(capsys):
    from bench import launch

    assert launch.main(["--rounds", "1", "--runs", "5"]) == 0
    out = capsys.readouterr().out
    assert launch.LAUNCHER in out and launch.BARE in out and launch.CHAIN in out
