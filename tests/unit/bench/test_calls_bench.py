"""The call-cost benchmark's arithmetic: CPU from /proc, per-call figures, medians and tables."""

from __future__ import annotations

import asyncio

import pytest
from bench import call_servers, calls


def test_cpu_time_comes_from_utime_and_stime_even_with_spaces_in_the_name():
    fields = ["S"] + ["0"] * 10 + ["250", "50"] + ["0"] * 30
    stat = "1234 (python -m bench) " + " ".join(fields)
    assert calls.cpu_seconds_from_stat(stat) == pytest.approx(300 / calls.CLK_TCK)


def test_per_call_figures():
    assert calls.per_call_us(0.5, 1000) == pytest.approx(500)
    assert calls.per_call_us(0.5, 0) != calls.per_call_us(0.5, 0)  # nan, not a division error
    cost = calls.summarize_calls("p", 1, [0.001] * 98 + [0.002, 0.010], 0.5, 0.02, 0.03)
    assert cost.calls_per_s == pytest.approx(200) and cost.p50_ms == pytest.approx(1.0)
    assert cost.p99_ms == pytest.approx(2.0) and cost.client_cpu_us == pytest.approx(200)
    assert cost.server_cpu_us == pytest.approx(300)


def test_rounds_take_the_median_and_tables_compare_with_their_baseline():
    rounds = [calls.CallCost("p", 1, r, r / 1000, r / 100, r, 2 * r) for r in (100.0, 300.0, 200.0)]
    assert calls.median_cost(rounds) == calls.CallCost("p", 1, 200.0, 0.2, 2.0, 200.0, 400.0)
    table = calls.call_table(
        [calls.CallCost(calls.HTTP_JSON, 1, 100, 1, 2, 300, 200), calls.CallCost("grpc", 1, 250, 1, 2, 100, 100)]
    )
    assert "| grpc | 1 | 250 | 1.000 | 2.000 | 100 | 100 | 200 | 2.50 |" in table
    costs = [calls.ServerCost(calls.BARE, 8, 1000, 1, 2, 150.0, 0), calls.ServerCost(calls.KIT, 8, 800, 1, 2, 300.0, 0)]
    assert "| kit middleware | 8 | 800 | 1.000 | 2.000 | 0 | 300 | 2.00 |" in calls.server_cost_table(costs)


async def test_the_caller_loop_counts_every_call_and_rejects_wrong_answers():
    answered = []

    async def call() -> int:
        answered.append(1)
        await asyncio.sleep(0)
        return len(call_servers.IDS)

    latencies, wall_s = await calls.drive(call, concurrency=3, duration_s=0.05)
    assert len(latencies) == len(answered) > 3 and wall_s >= 0.05

    async def wrong() -> int:
        return 0

    with pytest.raises(RuntimeError):
        await calls.drive(wrong, concurrency=1, duration_s=0.01)


async def test_both_sides_do_the_same_work():
    reply = await call_servers.Summaries().BatchGetProblemSummaries(calls.REQUEST, None)
    as_json = call_servers.summaries_json(list(call_servers.IDS))
    assert [p.problem_id for p in reply.problems] == [p["problem_id"] for p in as_json["problems"]]
    assert [p.title for p in reply.problems] == [p["title"] for p in as_json["problems"]]
