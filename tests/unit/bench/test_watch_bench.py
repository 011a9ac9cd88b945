"""The watch benchmark's pure helpers: checking a watch stream, picking its live events, the tables."""

from __future__ import annotations

import pytest
from bench import watch
from bench.sandbox import BenchmarkFailed

from arena.execution.v1 import execution_pb2, execution_service_pb2

T0 = 1_800_000_000.0


def message(sequence: int, type_: int, stamped: float, *, ordinal: int = 0, verdict: int = 0, last: bool = False):
    event = execution_pb2.SubmissionEvent(submission_id="s1", sequence=sequence, type=type_, verdict=verdict)
    event.time.seconds, event.time.nanos = int(stamped), round((stamped % 1) * 1e9)
    if ordinal:
        event.test_result.ordinal = ordinal
        event.test_result.verdict = watch.ACCEPTED
    return execution_service_pb2.WatchSubmissionResponse(event=event, last=last)


def stream(tests: int = 3, *, first_arrival: float = T0 + 0.001) -> list[watch.Arrival]:
    """The snapshot, then QUEUED, COMPILING, RUNNING replayed at first_arrival; each test stamped at T0 + 0.1 * ordinal and arriving
    ordinal ms later; FINISHED last."""
    snapshot = execution_service_pb2.WatchSubmissionResponse(submission=execution_pb2.Submission(submission_id="s1"))
    arrivals = [(first_arrival, snapshot)]
    arrivals += [(first_arrival, message(i + 1, t, T0)) for i, t in enumerate(watch.EXPECTED_TYPES)]
    for ordinal in range(1, tests + 1):
        stamped = T0 + 0.1 * ordinal
        arrivals.append((stamped + ordinal / 1000, message(3 + ordinal, watch.TEST_FINISHED, stamped, ordinal=ordinal)))
    done = message(4 + tests, watch.FINISHED, T0 + 1, verdict=watch.ACCEPTED, last=True)
    arrivals.append((T0 + 1.001, done))
    return arrivals


def test_live_test_events_are_measured_from_their_stamp():
    watched = watch.live_latencies("s1", stream(), 3)
    assert watched.latencies_ms == pytest.approx([1.0, 2.0, 3.0], abs=1e-3)
    assert (watched.ordinals, watched.replayed) == ([1, 2, 3], 0)


def test_events_stamped_before_the_first_message_arrived_are_left_out_as_replayed():
    watched = watch.live_latencies("s1", stream(first_arrival=T0 + 0.15), 3)
    assert (watched.ordinals, watched.replayed) == ([2, 3], 1)


@pytest.mark.parametrize(
    ("mangle", "complaint"),
    [
        (lambda a: a[:4] + a[5:], "gap"),
        (lambda a: [*a[:-1], (a[-1][0], message(7, watch.FINISHED, T0 + 1, verdict=2, last=True))], "not ACCEPTED"),
        (lambda a: a[:-1], "unexpected events"),
        (lambda a: [], "did not start with the submission's snapshot"),
        (lambda a: a[1:], "did not start with the submission's snapshot"),
        (lambda a: a[:1], "without an event"),
    ],
)
def test_a_gap_a_wrong_verdict_or_a_short_stream_fails_loudly(mangle, complaint):
    with pytest.raises(BenchmarkFailed, match=complaint):
        watch.live_latencies("s1", mangle(stream()), 3)


def test_a_rejected_test_fails_loudly():
    arrivals = stream()
    arrivals[4][1].event.test_result.verdict = 2
    with pytest.raises(BenchmarkFailed, match="test results"):
        watch.live_latencies("s1", arrivals, 3)


def test_summary_table_and_targets_compare_against_the_direct_baseline():
    samples = [watch.Watched([float(ms) for ms in range(1, 101)], [1] * 100, 2)]
    summaries = [
        watch.summarize("one at a time", watch.GRPC_EDGE, 1, samples),
        watch.summarize("one at a time", watch.GRPC_DIRECT, 1, [watch.Watched([1.0, 2.0, 3.0], [1, 2, 3], 0)]),
    ]
    edge = summaries[0]
    assert (edge.samples, edge.replayed, edge.p50_ms, edge.p99_ms, edge.max_ms) == (100, 2, 51.0, 99.0, 100.0)
    table = watch.latency_table(summaries, baseline=watch.GRPC_DIRECT)
    assert (
        "| one at a time | native gRPC via Envoy | 100 | 2 | 51.000 | 99.000 | 100.000 | +49.000 | +96.000 |" in table
    )
    assert "| one at a time | native gRPC direct | 3 | 0 | 2.000 | 3.000 | 3.000 |  |  |" in table
    (line,) = watch.targets(summaries)
    assert line.endswith("(target p99 < 10 ms: missed)")


def test_the_last_test_is_reported_apart():
    watched = [watch.Watched([10.0, 20.0, 5.0], [1, 2, 3], 0)]
    split = watch.last_test_split("one at a time", watch.GRPC_EDGE, watched, 3)
    assert split["earlier_tests"] == {"samples": 2, "p50_ms": 10.0, "p99_ms": 20.0}
    assert split["last_test"] == {"samples": 1, "p50_ms": 5.0, "p99_ms": 5.0}
    assert "tests 1-2 p50 10.00 ms / p99 20.00 ms (2), test 3 p50 5.00 ms" in watch.split_line(split, 3)
