"""The fan-out benchmark's pure helpers: spreading subscribers, checking every subscriber's deliveries,
and the summary with its ratios against the in-process baseline."""

from __future__ import annotations

import pytest
from bench import fanout
from bench.sandbox import BenchmarkFailed


def test_subscribers_are_spread_evenly():
    assert fanout.spread(1000, 2) == [500, 500]
    assert fanout.spread(7, 3) == [3, 2, 2]
    with pytest.raises(ValueError):
        fanout.spread(0, 2)


def arrivals(first: int, count: int, sent0: float, delays_ms: list[float]) -> list[tuple[int, float, float]]:
    return [(first + i, sent0 + i, sent0 + i + delays_ms[i] / 1000) for i in range(count)]


def test_every_delivery_is_measured_and_the_slowest_subscriber_makes_all_delivered():
    fast = arrivals(5, 3, 100.0, [1.0, 2.0, 3.0])
    slow = arrivals(5, 3, 100.0, [4.0, 1.0, 9.0])
    result = fanout.check_and_measure([fast, slow], 5, 3)
    assert sorted(result.latencies_ms) == pytest.approx([1, 1, 2, 3, 4, 9])
    assert result.all_delivered_ms == pytest.approx([4.0, 2.0, 9.0])
    assert result.duration_s == pytest.approx(2.009)


@pytest.mark.parametrize(
    "sequences",
    [[5, 6], [5, 7, 6], [5, 5, 6], [6, 7, 8]],
    ids=["missing", "out of order", "repeated", "wrong start"],
)
def test_a_missing_repeated_or_reordered_delivery_fails_the_benchmark(sequences: list[int]):
    received = [(s, 1.0, 1.001) for s in sequences]
    with pytest.raises(BenchmarkFailed):
        fanout.check_and_measure([arrivals(5, 3, 1.0, [1, 1, 1]), received], 5, 3)


def test_the_table_gives_ratios_against_the_hub_per_kind():
    base = fanout.RoundResult([1.0, 2.0, 3.0, 4.0], [2.0, 4.0], 1.0)
    shared = fanout.RoundResult([2.0, 4.0, 6.0, 8.0], [4.0, 8.0], 2.0)
    cells = fanout.summarize("4 subscribers", fanout.HUB, 4, [base]) + fanout.summarize(
        "4 subscribers", fanout.NATS, 4, [shared]
    )
    assert [c.scenario for c in cells] == [
        f"{fanout.HUB}: per delivery",
        f"{fanout.HUB}: all delivered",
        f"{fanout.NATS}: per delivery",
        f"{fanout.NATS}: all delivered",
    ]
    assert cells[0].throughput == 4.0 and cells[2].throughput == 2.0
    rendered = fanout.table(cells)
    nats_all = next(line for line in rendered.splitlines() if f"{fanout.NATS}: all delivered" in line)
    assert nats_all.endswith("| 2.00 | 2.00 |")
