"""The notification benchmark's pure helpers and its webhook part on a small count (a real receiver process)."""

from __future__ import annotations

import pytest
from bench import notification
from bench.sandbox import BenchmarkFailed


def test_links_name_their_submission():
    assert notification.submission_of("/submissions/abc") == "abc"
    for bad in ("/contests/1", "/submissions/", ""):
        with pytest.raises(BenchmarkFailed):
            notification.submission_of(bad)


def test_arrivals_must_be_complete_in_order_and_gap_free():
    notification.check_arrivals("p", [(1.0, "a", 4), (2.0, "b", 5)], ["a", "b"])
    with pytest.raises(BenchmarkFailed, match="expected"):
        notification.check_arrivals("p", [(1.0, "b", 4)], ["a", "b"])
    with pytest.raises(BenchmarkFailed, match="gap"):
        notification.check_arrivals("p", [(1.0, "a", 4), (2.0, "b", 6)], ["a", "b"])


def test_summaries_and_the_table_compare_with_the_direct_path():
    summaries = [
        notification.summarize(notification.GRPC_DIRECT, [10.0, 20.0, 30.0]),
        notification.summarize(notification.REST_EDGE, [20.0, 40.0, 60.0]),
    ]
    assert (summaries[0].samples, summaries[0].p50_ms, summaries[0].max_ms) == (3, 20.0, 30.0)
    table = notification.latency_table(summaries)
    assert "| REST NDJSON via Envoy | 3 | 40.0 |" in table and "| 2.00 |" in table


def test_the_webhook_part_delivers_everything_on_both_paths():
    rates = notification.webhook_rates(20, rounds=1, batch=10)
    assert set(rates) == {notification.WORKER, notification.RAW}
    assert all(len(r) == 1 and r[0] > 0 for r in rates.values())
