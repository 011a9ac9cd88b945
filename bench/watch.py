"""Benchmark: how long a finished test takes to reach a WatchSubmission watcher. Submissions of the
demo problem A+B (10 tests, an accepted Python solution, all tests run) judged by the real platform,
each watched from right after its creation by one watcher: native gRPC through Envoy, REST
(newline-delimited JSON) through Envoy, and, as the baseline, native gRPC straight to the execution
service's own port. The paths take turns, one submission each (A B C A B C ...), so the shared
machine's noise hits them alike; then the same with several submissions judged at once.

A sample is one TEST_FINISHED event that arrived live: the client's wall clock when the message
arrived minus the event's ``time`` (stamped by the judge when the test finished, before the result is
stored and fanned out; everything runs on one machine, so the clocks are the same). Events stamped
before the watcher had its first message (so possibly replayed from the store) are left out. Every
verdict must be ACCEPTED and every stream gap-free, or the benchmark fails.

    python -m bench.watch [--rounds 3] [--duration-s 2] [--warmup-s 1] [--per-round N] [--concurrency N] [--groups N]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import pathlib
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import grpc
import httpx
from google.protobuf import json_format

from arena.demo import problems
from arena.execution.v1 import execution_pb2, execution_service_pb2, execution_service_pb2_grpc
from arena.kit.services import SERVICES
from arena.launcher import LaunchSettings, Platform, ServicePorts
from bench.harness import Cell, percentile, write_results
from bench.sandbox import BenchmarkFailed
from bench.system import free_ports

PROBLEM = "a-plus-b"
USER = {"username": "demo", "password": "practice-makes-perfect"}
GRPC_EDGE, REST_EDGE, GRPC_DIRECT = "native gRPC via Envoy", "REST NDJSON via Envoy", "native gRPC direct"
PATHS = (GRPC_EDGE, REST_EDGE, GRPC_DIRECT)
BASELINE = GRPC_DIRECT
TARGET_P99_MS = 10.0
WATCH_TIMEOUT_S = 60.0  # one submission's whole stream; judging one takes well under a second
SUBMISSIONS_PER_SECOND = 4  # --per-round defaults to this many per second of --duration-s

TEST_FINISHED = execution_pb2.SUBMISSION_EVENT_TYPE_TEST_FINISHED
FINISHED = execution_pb2.SUBMISSION_EVENT_TYPE_FINISHED
EXPECTED_TYPES = (
    execution_pb2.SUBMISSION_EVENT_TYPE_QUEUED,
    execution_pb2.SUBMISSION_EVENT_TYPE_COMPILING,
    execution_pb2.SUBMISSION_EVENT_TYPE_RUNNING,
)
ACCEPTED = 1  # arena.common.v1.Verdict.VERDICT_ACCEPTED

Arrival = tuple[float, execution_service_pb2.WatchSubmissionResponse]
"""(client wall time when the message arrived, the message)."""


# -- pure helpers ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Watched:
    """One watched submission's live TEST_FINISHED latencies (ms) with their tests' ordinals, and how many
    were left out."""

    latencies_ms: list[float]
    ordinals: list[int]
    replayed: int


def live_latencies(submission_id: str, arrivals: Sequence[Arrival], test_count: int) -> Watched:
    """Checks the stream (QUEUED, COMPILING, RUNNING, each test ACCEPTED in order, FINISHED ACCEPTED; sequences
    1, 2, 3 ... without a gap) and measures each TEST_FINISHED that was stamped after the snapshot (the first
    message) arrived: by then the server had subscribed this watcher, so those reached it live, not from the
    store."""
    label = f"submission {submission_id}"
    if not arrivals or not arrivals[0][1].HasField("submission"):
        raise BenchmarkFailed(f"{label}: the watch stream did not start with the submission's snapshot")
    # The snapshot is the server's acknowledgement: by then this watcher was subscribed.
    subscribed = arrivals[0][0]
    arrivals = [(received, message) for received, message in arrivals if message.HasField("event")]
    if not arrivals:
        raise BenchmarkFailed(f"{label}: the watch stream ended without an event")
    events = [message.event for _, message in arrivals]
    sequences = [e.sequence for e in events]
    if sequences != list(range(1, len(events) + 1)):
        raise BenchmarkFailed(f"{label}: event sequence has a gap or repeat: {sequences}")
    types = tuple(e.type for e in events)
    expected = (*EXPECTED_TYPES, *[TEST_FINISHED] * test_count, FINISHED)
    if types != expected:
        names = [execution_pb2.SubmissionEventType.Name(t) for t in types]
        raise BenchmarkFailed(f"{label}: unexpected events {names}")
    final = events[-1]
    if not arrivals[-1][1].last or final.verdict != ACCEPTED:
        raise BenchmarkFailed(f"{label}: final verdict {final.verdict} (last={arrivals[-1][1].last}), not ACCEPTED")
    tests = [e.test_result for e in events if e.type == TEST_FINISHED]
    if [t.ordinal for t in tests] != list(range(1, test_count + 1)) or any(t.verdict != ACCEPTED for t in tests):
        raise BenchmarkFailed(f"{label}: test results {[(t.ordinal, t.verdict) for t in tests]}")
    latencies, ordinals, replayed = [], [], 0
    for received, message in arrivals:
        if message.event.type != TEST_FINISHED:
            continue
        stamped = message.event.time.seconds + message.event.time.nanos / 1e9
        if stamped < subscribed:
            replayed += 1
        else:
            latencies.append((received - stamped) * 1000)
            ordinals.append(message.event.test_result.ordinal)
    return Watched(latencies, ordinals, replayed)


@dataclasses.dataclass(frozen=True)
class Summary:
    configuration: str
    path: str
    concurrency: int
    samples: int
    replayed: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def summarize(configuration: str, path: str, concurrency: int, watched: Sequence[Watched]) -> Summary:
    latencies = sorted(ms for w in watched for ms in w.latencies_ms)
    return Summary(
        configuration=configuration,
        path=path,
        concurrency=concurrency,
        samples=len(latencies),
        replayed=sum(w.replayed for w in watched),
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        max_ms=latencies[-1] if latencies else 0.0,
    )


def last_test_split(configuration: str, path: str, watched: Sequence[Watched], test_count: int) -> dict:
    """The last test's latencies apart from the others': after the last test the judge starts no further run."""
    pairs = [(ordinal, ms) for w in watched for ordinal, ms in zip(w.ordinals, w.latencies_ms, strict=True)]
    split = {"configuration": configuration, "path": path}
    for name, keep in (("earlier_tests", lambda o: o != test_count), ("last_test", lambda o: o == test_count)):
        values = sorted(ms for ordinal, ms in pairs if keep(ordinal))
        split[name] = {"samples": len(values), "p50_ms": percentile(values, 0.5), "p99_ms": percentile(values, 0.99)}
    return split


def split_line(split: dict, test_count: int) -> str:
    earlier, last = split["earlier_tests"], split["last_test"]
    return (
        f"- {split['configuration']}, {split['path']}: tests 1-{test_count - 1} p50 {earlier['p50_ms']:.2f} ms / "
        f"p99 {earlier['p99_ms']:.2f} ms ({earlier['samples']}), test {test_count} p50 {last['p50_ms']:.2f} ms / "
        f"p99 {last['p99_ms']:.2f} ms ({last['samples']})"
    )


def latency_table(summaries: Sequence[Summary], *, baseline: str) -> str:
    """Per configuration and path: samples, p50/p99/max, and what the path adds to the baseline's p50/p99."""
    by_key = {(s.configuration, s.path): s for s in summaries}
    lines = [
        f"| configuration | path | samples | replayed (left out) | p50 ms | p99 ms | max ms | p50 vs {baseline} "
        f"| p99 vs {baseline} |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        reference = by_key.get((s.configuration, baseline))
        if reference is None or reference is s:
            added = "", ""
        else:
            added = f"{s.p50_ms - reference.p50_ms:+.3f}", f"{s.p99_ms - reference.p99_ms:+.3f}"
        lines.append(
            f"| {s.configuration} | {s.path} | {s.samples} | {s.replayed} | {s.p50_ms:.3f} | {s.p99_ms:.3f} | "
            f"{s.max_ms:.3f} | {added[0]} | {added[1]} |"
        )
    return "\n".join(lines)


def targets(summaries: Sequence[Summary]) -> list[str]:
    lines = []
    for s in summaries:
        if s.path == BASELINE:
            continue
        verdict = "met" if s.samples and s.p99_ms < TARGET_P99_MS else "missed"
        lines.append(
            f"- {s.configuration}, {s.path}: p50 {s.p50_ms:.2f} ms, p99 {s.p99_ms:.2f} ms over {s.samples} live "
            f"events (target p99 < {TARGET_P99_MS:.0f} ms: {verdict})"
        )
    return lines


# -- the system under test ---------------------------------------------------------------------


@contextlib.contextmanager
def platform_running(data_dir: pathlib.Path) -> Iterator[Platform]:
    ports = free_ports(2 * len(SERVICES) + 2)
    settings = LaunchSettings(
        data_dir=data_dir,
        edge_port=ports[0],
        admin_port=ports[1],
        ports={s.name: ServicePorts(ports[2 + 2 * i], ports[3 + 2 * i]) for i, s in enumerate(SERVICES)},
    )
    platform = Platform(settings)
    platform.start()
    try:
        yield platform
    finally:
        platform.stop()


class Watchers:
    """The three ways to watch, each on a connection opened once and kept (as a real client would)."""

    def __init__(self, platform: Platform, token: str, source: str) -> None:
        self.platform = platform
        self.source = source
        self.headers = {"authorization": f"Bearer {token}"}
        self.metadata = (("authorization", f"Bearer {token}"),)
        self._local = threading.local()  # one HTTP/1.1 client per thread (a connection streams one watch)
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()
        self._channels = {
            GRPC_EDGE: grpc.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}"),
            GRPC_DIRECT: grpc.insecure_channel(f"127.0.0.1:{platform.settings.ports['execution'].grpc}"),
        }
        self._stubs = {path: execution_service_pb2_grpc.ExecutionServiceStub(c) for path, c in self._channels.items()}

    def close(self) -> None:
        for client in self._clients:
            client.close()
        for channel in self._channels.values():
            channel.close()

    def _rest(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(base_url=self.platform.settings.edge_url, timeout=WATCH_TIMEOUT_S)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def submit(self) -> str:
        body = {"problem_id": PROBLEM, "language_id": "python3", "source": self.source, "run_all_tests": True}
        response = self._rest().post("/v1/submissions", json=body, headers=self.headers)
        if response.status_code != 200:
            raise BenchmarkFailed(f"creating a submission: HTTP {response.status_code} {response.text[:300]}")
        return response.json()["submission"]["submission_id"]

    def watch(self, path: str, submission_id: str) -> list[Arrival]:
        if path == REST_EDGE:
            return self._watch_rest(submission_id)
        request = execution_service_pb2.WatchSubmissionRequest(submission_id=submission_id, after_sequence=0)
        stream = self._stubs[path].WatchSubmission(request, metadata=self.metadata, timeout=WATCH_TIMEOUT_S)
        arrivals = []
        for message in stream:
            arrivals.append((time.time(), message))
        return arrivals

    def _watch_rest(self, submission_id: str) -> list[Arrival]:
        arrivals = []
        with self._rest().stream(
            "GET", f"/v1/submissions/{submission_id}:watch", params={"after_sequence": 0}, headers=self.headers
        ) as response:
            if response.status_code != 200:
                raise BenchmarkFailed(f"REST watch: HTTP {response.status_code} {response.read()[:300]!r}")
            for line in response.iter_lines():
                received = time.time()
                if not line.strip():
                    continue
                message = json_format.Parse(
                    line, execution_service_pb2.WatchSubmissionResponse(), ignore_unknown_fields=True
                )
                arrivals.append((received, message))
                if message.last:
                    break
        return arrivals

    def one(self, path: str, test_count: int) -> Watched:
        """Creates a submission, watches it at once until its verdict, and measures the live test events."""
        submission_id = self.submit()
        return live_latencies(submission_id, self.watch(path, submission_id), test_count)

    def group(self, path: str, test_count: int, size: int, pool: concurrent.futures.Executor) -> list[Watched]:
        """``size`` submissions created and watched at once, each by its own watcher thread."""
        barrier = threading.Barrier(size, timeout=WATCH_TIMEOUT_S)

        def job() -> Watched:
            barrier.wait()
            return self.one(path, test_count)

        return [f.result(timeout=2 * WATCH_TIMEOUT_S) for f in [pool.submit(job) for _ in range(size)]]


def login(edge_url: str) -> str:
    response = httpx.post(f"{edge_url}/v1/auth:login", json=USER, timeout=10)
    if response.status_code != 200:
        raise BenchmarkFailed(f"logging in as {USER['username']}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()["tokens"]["access_token"]


def interleaved(
    run: Callable[[str], list[Watched]], *, label: str, rounds: int, per_round: int, warmup: int
) -> dict[str, list[Watched]]:
    """Warm every path up, then ``rounds`` rounds of ``per_round`` turns, each path once per turn (A B C A B C)."""
    for path in PATHS:
        for _ in range(warmup):
            run(path)
    watched: dict[str, list[Watched]] = {path: [] for path in PATHS}
    for round_index in range(rounds):
        started = len(watched[PATHS[0]])
        for _ in range(per_round):
            for path in PATHS:
                watched[path].extend(run(path))
        for path in PATHS:
            now = summarize(label, path, 1, watched[path][started:])
            print(
                f"  [{label} round {round_index + 1}/{rounds}] {path}: {now.samples} events, "
                f"p50 {now.p50_ms:.3f} ms, p99 {now.p99_ms:.3f} ms, max {now.max_ms:.3f} ms",
                flush=True,
            )
    return watched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration-s", type=float, default=2.0, help="sets --per-round's default")
    parser.add_argument("--warmup-s", type=float, default=1.0, help="warm-up submissions per path (rounded, >= 1)")
    parser.add_argument(
        "--per-round",
        type=int,
        default=None,
        help=f"submissions per path per round, one at a time (default {SUBMISSIONS_PER_SECOND} per --duration-s)",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="submissions at once in the second part (0: skip)")
    parser.add_argument(
        "--groups", type=int, default=None, help="groups per path at that concurrency (default 2; 1 with --rounds 1)"
    )
    args = parser.parse_args(argv)
    per_round = args.per_round or max(1, round(SUBMISSIONS_PER_SECOND * args.duration_s))
    warmup = max(1, round(args.warmup_s))
    groups = args.groups if args.groups is not None else (1 if args.rounds == 1 else 2)
    problem = next(p for p in problems.load() if p.slug == PROBLEM)
    source = problem.solutions["accepted.py"][1]
    test_count = len(problem.tests)
    summaries: list[Summary] = []
    splits: list[dict] = []
    raw: dict[str, dict[str, list[float]]] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp, platform_running(pathlib.Path(tmp)) as platform:
        print(f"platform up in {time.monotonic() - started:.1f} s", flush=True)
        watchers = Watchers(platform, login(platform.settings.edge_url), source)
        try:
            label = "one at a time"
            print(f"Watch latency, {PROBLEM} (python3, {test_count} tests), {label}:", flush=True)
            one = interleaved(
                lambda path: [watchers.one(path, test_count)],
                label=label,
                rounds=args.rounds,
                per_round=per_round,
                warmup=warmup,
            )
            summaries += [summarize(label, path, 1, one[path]) for path in PATHS]
            splits += [last_test_split(label, path, one[path], test_count) for path in PATHS]
            raw[label] = {path: sorted(ms for w in one[path] for ms in w.latencies_ms) for path in PATHS}
            if args.concurrency > 1 and groups > 0:
                label = f"{args.concurrency} at once"
                print(f"Watch latency, {label}:", flush=True)
                with concurrent.futures.ThreadPoolExecutor(args.concurrency, thread_name_prefix="watch") as pool:
                    many = interleaved(
                        lambda path: watchers.group(path, test_count, args.concurrency, pool),
                        label=label,
                        rounds=1,
                        per_round=groups,
                        warmup=0,
                    )
                summaries += [summarize(label, path, args.concurrency, many[path]) for path in PATHS]
                splits += [last_test_split(label, path, many[path], test_count) for path in PATHS]
                raw[label] = {path: sorted(ms for w in many[path] for ms in w.latencies_ms) for path in PATHS}
        finally:
            watchers.close()
    cells = [
        Cell(s.configuration, s.path, s.concurrency, 0.0, s.p50_ms, s.p99_ms, 0, rounds=[dataclasses.asdict(s)])
        for s in summaries
    ]
    table = latency_table(summaries, baseline=BASELINE)
    checks = targets(summaries)
    path = write_results(
        "watch",
        cells,
        {"targets": checks, "tests_per_submission": test_count, "by_test_position": splits, "latencies_ms": raw},
    )
    print(
        "\n## Watch latency (test finished → its event at a WatchSubmission watcher; live TEST_FINISHED events)\n\n"
        + table
        + "\n\n"
        + "\n".join(checks)
        + "\n\nBy test position (after the last test the judge starts no further run):\n\n"
        + "\n".join(split_line(split, test_count) for split in splits)
        + f"\n\ndone in {time.monotonic() - started:.0f} s; results: {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
