"""The analytics benchmark's data and tables: deterministic data, unique ids, ratios from the right rows."""

from __future__ import annotations

import asyncio

from bench import analytics

from arena.analytics.domain import EventType


def test_the_generated_data_set_is_deterministic_and_sized() -> None:
    batches = analytics.generated(50_000)
    events = [e for b in batches for e in b]
    assert 50_000 <= len(events) <= 50_001 and all(len(b) <= 20_001 for b in batches)
    assert len({e.event_id for e in events}) == len(events)
    assert [e.event_id for e in events[:50]] == [e.event_id for e in analytics.generated(100)[0][:50]]
    judged = [e for e in events if e.type is EventType.SUBMISSION_JUDGED]
    created = {e.submission_id: e.time_ms for e in events if e.type is EventType.SUBMISSION_CREATED}
    assert judged and all(e.time_ms > created[e.submission_id] for e in judged)
    assert all(analytics.START_MS <= e.time_ms < analytics.NOW_MS + 5000 for e in events)


def test_client_batches_are_full_and_unique_and_the_same_on_every_path() -> None:
    batches = analytics.client_batches(2, "t")
    assert [len(b) for b in batches] == [analytics.BATCH] * 2
    assert len({e.event_id for b in batches for e in b}) == 2 * analytics.BATCH
    as_domain = analytics.as_domain(batches[0], "ann")
    assert [e.event_id for e in as_domain] == [e.event_id for e in batches[0]] and as_domain[0].user_id == "ann"
    assert analytics.as_json(batches[0]).count(b"EVENT_TYPE_PROBLEM_VIEWED") == analytics.BATCH


def test_jobs_run_concurrently_and_every_event_counts() -> None:
    async def job() -> int:
        await asyncio.sleep(0.01)
        return 1000

    done, seconds = asyncio.run(analytics.in_flight([job] * 8, 4, 60.0))
    assert done == 8000 and seconds < 1.0  # four at a time: about two sleeps, not eight


def test_the_tables_compare_with_their_baselines() -> None:
    rates = [
        analytics.Rate(analytics.INGEST_GRPC, 30_000, 1.0),
        analytics.Rate(analytics.INGEST_STORE, 20_000, 1.0),
    ]
    assert "| TrackEvents, native gRPC via Envoy | 30,000 | 1.00 | 30,000 | 1.50 |" in analytics.rate_table(rates)
    latencies = [
        analytics.Latency(analytics.PROBLEM_ROLLUP, [1.0, 2.0, 3.0]),
        analytics.Latency(analytics.PROBLEM_SCAN, [100.0, 200.0, 300.0]),
    ]
    text = analytics.latency_table(latencies, analytics.BASELINES)
    assert f"| {analytics.PROBLEM_ROLLUP} | 3 | 2.000 | 3.000 | 100.0 |" in text
    assert f"| {analytics.PROBLEM_SCAN} | 3 | 200.000 | 300.000 | 1.0 |" in text
