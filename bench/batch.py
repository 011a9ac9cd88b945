"""Benchmark: the two ways a client gets 20 runs of a program done — one ExecuteBatchStream call
(compile once, 20 inputs, each result streamed as it finishes) against one submission of a
problem with the same 20 tests (CreateSubmission, then GET /v1/submissions/{id} every
``--poll-s`` until FINISHED), all through the edge. The A+B accepted Python solution on the
demo problem's 10 tests, twice; one batch at a time, paths taking turns; wall time from the
request to the 20th result, and the requests each way costs.

    python -m bench.batch [--rounds 3] [--per-round 3] [--poll-s 0.1]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

import grpc
import httpx

from arena.demo import DEMO_ADMIN, problems
from arena.execution.v1 import execution_service_pb2, execution_service_pb2_grpc
from arena.launcher import Platform
from bench.harness import percentile, write_results
from bench.sandbox import BenchmarkFailed
from bench.system import platform_with

RUNS = 20
USER = {"username": "demo", "password": "practice-makes-perfect"}
SLUG = "bench-twenty-runs"
BATCH_GRPC = "ExecuteBatchStream, native gRPC via Envoy"
BATCH_REST = "ExecuteBatchStream, REST (NDJSON) via Envoy"
SUBMIT_POLL = "CreateSubmission + polling GET, REST via Envoy"
PATHS = (BATCH_GRPC, BATCH_REST, SUBMIT_POLL)
TIMEOUT_S = 120.0


def twenty_tests(tests: Sequence[tuple[str, str]], runs: int = RUNS) -> list[tuple[str, str]]:
    """The demo problem's tests repeated up to ``runs`` of them."""
    return [tests[i % len(tests)] for i in range(runs)]


def problem_body(tests: Sequence[tuple[str, str]]) -> dict:
    return {
        "slug": SLUG,
        "title": "Twenty runs of A+B",
        "statement": "Print the sum of two integers.",
        "difficulty": "DIFFICULTY_EASY",
        "sample_tests": [{"input": i, "expected_output": o} for i, o in tests[:1]],
        "hidden_tests": [{"input": i, "expected_output": o} for i, o in tests[1:]],
    }


def check_batch(results: Sequence[dict], tests: Sequence[tuple[str, str]]) -> None:
    """Every input ran once, OK, with the expected output (tokens), and the stream ended."""
    if sorted(r.get("input_index", 0) for r in results) != list(range(len(tests))):
        raise BenchmarkFailed(f"batch: {len(results)} results, not one per input")
    if not results[-1].get("last"):
        raise BenchmarkFailed("batch: the stream did not end with last")
    for r in results:
        result = r["result"]
        expected = tests[r.get("input_index", 0)][1]
        if result.get("status") != "RUN_STATUS_OK" or result.get("stdout", "").split() != expected.split():
            raise BenchmarkFailed(f"batch: input {r.get('input_index', 0)} gave {result}")


def check_submission(submission: dict, runs: int = RUNS) -> None:
    if submission.get("verdict") != "VERDICT_ACCEPTED" or len(submission.get("test_results", [])) != runs:
        raise BenchmarkFailed(
            f"submission: {submission.get('verdict')} with {len(submission.get('test_results', []))} test results"
        )


@dataclasses.dataclass(frozen=True)
class Summary:
    path: str
    batches: int
    p50_s: float
    p99_s: float
    requests_per_batch: float

    @property
    def runs_per_s(self) -> float:
        return RUNS / self.p50_s if self.p50_s else 0.0


def summarize(path: str, walls_s: Sequence[float], requests: Sequence[int]) -> Summary:
    ordered = sorted(walls_s)
    return Summary(path, len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.99), statistics.mean(requests))


def table(summaries: Sequence[Summary], *, baseline: str = SUBMIT_POLL) -> str:
    reference = next((s for s in summaries if s.path == baseline), None)
    lines = [
        f"| path | batches | p50 s | p99 s | runs/s at p50 | requests per batch | x {baseline} (p50 time) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        ratio = reference.p50_s / s.p50_s if reference and s.p50_s else float("nan")
        lines.append(
            f"| {s.path} | {s.batches} | {s.p50_s:.3f} | {s.p99_s:.3f} | {s.runs_per_s:.1f} | "
            f"{s.requests_per_batch:.1f} | {ratio:.2f} |"
        )
    return "\n".join(lines)


class Client:
    """The three ways, each on a connection opened once and kept."""

    def __init__(self, platform: Platform, token: str, source: str, tests: Sequence[tuple[str, str]], poll_s: float):
        self.tests = list(tests)
        self.source = source
        self.poll_s = poll_s
        self.headers = {"authorization": f"Bearer {token}"}
        self.rest = httpx.Client(base_url=platform.settings.edge_url, timeout=TIMEOUT_S)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}")
        self.stub = execution_service_pb2_grpc.ExecutionServiceStub(self.channel)
        self.metadata = (("authorization", f"Bearer {token}"),)

    def close(self) -> None:
        self.rest.close()
        self.channel.close()

    def batch_body(self) -> dict:
        return {"language_id": "python3", "source": self.source, "inputs": [i for i, _ in self.tests]}

    def batch_grpc(self) -> int:
        from google.protobuf import json_format

        request = execution_service_pb2.ExecuteBatchStreamRequest(**self.batch_body())
        stream = self.stub.ExecuteBatchStream(request, metadata=self.metadata, timeout=TIMEOUT_S)
        results = [json_format.MessageToDict(m, preserving_proto_field_name=True) for m in stream]
        check_batch(results, self.tests)
        return 1

    def batch_rest(self) -> int:
        with self.rest.stream("POST", "/v1/code:runBatch", json=self.batch_body(), headers=self.headers) as response:
            if response.status_code != 200:
                raise BenchmarkFailed(f"runBatch: HTTP {response.status_code} {response.read()[:300]!r}")
            results = [json.loads(line) for line in response.iter_lines() if line.strip()]
        check_batch(results, self.tests)
        return 1

    def submit_and_poll(self) -> int:
        body = {"problem_id": SLUG, "language_id": "python3", "source": self.source, "run_all_tests": True}
        created = self.rest.post("/v1/submissions", json=body, headers=self.headers)
        if created.status_code != 200:
            raise BenchmarkFailed(f"CreateSubmission: HTTP {created.status_code} {created.text[:300]}")
        submission_id = created.json()["submission"]["submission_id"]
        requests = 1
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            time.sleep(self.poll_s)
            got = self.rest.get(f"/v1/submissions/{submission_id}", headers=self.headers)
            requests += 1
            submission = got.json()["submission"]
            if submission.get("status") == "SUBMISSION_STATUS_FINISHED":
                check_submission(submission, len(self.tests))
                return requests
        raise BenchmarkFailed(f"submission {submission_id} did not finish in {TIMEOUT_S:.0f} s")

    def ways(self) -> dict[str, Callable[[], int]]:
        return {BATCH_GRPC: self.batch_grpc, BATCH_REST: self.batch_rest, SUBMIT_POLL: self.submit_and_poll}


def login(edge_url: str, who: dict) -> str:
    response = httpx.post(f"{edge_url}/v1/auth:login", json=who, timeout=10)
    if response.status_code != 200:
        raise BenchmarkFailed(f"logging in as {who['username']}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()["tokens"]["access_token"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-round", type=int, default=3, help="batches per path per round (one at a time)")
    parser.add_argument("--duration-s", type=float, default=None, help="ignored (bench.run --quick passes it)")
    parser.add_argument("--warmup-s", type=float, default=1.0, help="warm-up batches per path (rounded, >= 1)")
    parser.add_argument("--poll-s", type=float, default=0.1, help="the polling client's interval")
    args = parser.parse_args(argv)
    demo = next(p for p in problems.load() if p.slug == "a-plus-b")
    source = demo.solutions["accepted.py"][1]
    tests = twenty_tests(demo.tests)
    walls: dict[str, list[float]] = {path: [] for path in PATHS}
    requests: dict[str, list[int]] = {path: [] for path in PATHS}
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp,
        platform_with(pathlib.Path(tmp), demo_data=True) as platform,
    ):
        edge = platform.settings.edge_url
        admin = {"authorization": f"Bearer {login(edge, {k: DEMO_ADMIN[k] for k in ('username', 'password')})}"}
        made = httpx.post(f"{edge}/v1/problems", json=problem_body(tests), headers=admin, timeout=30)
        if made.status_code not in (200, 409):
            raise BenchmarkFailed(f"creating the 20-test problem: HTTP {made.status_code} {made.text[:300]}")
        client = Client(platform, login(edge, USER), source, tests, args.poll_s)
        try:
            ways = client.ways()
            for way in ways.values():
                for _ in range(max(1, round(args.warmup_s))):
                    way()
            for round_index in range(args.rounds):
                for _ in range(args.per_round):
                    for path, way in ways.items():
                        begun = time.perf_counter()
                        made_requests = way()
                        walls[path].append(time.perf_counter() - begun)
                        requests[path].append(made_requests)
                print(
                    f"  [round {round_index + 1}/{args.rounds}] "
                    + ", ".join(f"{p}: {statistics.median(walls[p]):.3f} s" for p in PATHS),
                    flush=True,
                )
        finally:
            client.close()
    summaries = [summarize(path, walls[path], requests[path]) for path in PATHS]
    path = write_results(
        "batch", [], {"poll_s": args.poll_s, "summaries": [dataclasses.asdict(s) for s in summaries], "walls_s": walls}
    )
    print(
        f"\n## 20 runs of A+B (python3): one ExecuteBatchStream vs one submission polled every {args.poll_s:g} s\n\n"
        + table(summaries)
        + f"\n\ndone in {time.monotonic() - started:.0f} s; results: {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
