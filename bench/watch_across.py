"""Benchmark: a stored event's way to a WatchSubmission watcher on ANOTHER execution instance (through the
NATS nudge and a store read) against the baseline of a watcher on the instance that judged it (its
in-process fan-out). The platform runs with its broker (``LaunchSettings.broker``) plus a second execution
instance B on its own ports; every instance's watch poll is 120 s, so B's watchers hear only nudges.

Submissions of the demo problem A+B (10 tests, an accepted Python solution, all tests run) are created
through the edge, which routes them to instance A (the static table), and A's judge, woken by the
creation, judges them (B's judge only polls every 0.5 s: a submission B judged is counted and left out).
Each submission is watched at once from A and from B, both native gRPC straight to the instance. A sample
is one live TEST_FINISHED event: arrival minus the event's ``time`` (stamped by the judge when the test
finished, before it was stored; one machine, one clock), as in ``bench.watch``.

    python -m bench.watch_across [--rounds 3] [--per-round 5]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import pathlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence

import grpc
import httpx

from arena.demo import problems
from arena.execution.v1 import execution_service_pb2, execution_service_pb2_grpc
from arena.kit.services import SERVICES
from arena.launcher import ExtraInstances, LaunchError, LaunchSettings, Platform, ServicePorts
from bench.harness import Cell, percentile, write_results
from bench.sandbox import BenchmarkFailed
from bench.system import free_ports
from bench.watch import PROBLEM, WATCH_TIMEOUT_S, Arrival, Watched, live_latencies, login

SAME, OTHER = "watcher on the judging instance (A)", "watcher on the other instance (B, NATS nudge)"
BASELINE = SAME
POLL_S = "120"


@dataclasses.dataclass(frozen=True)
class Pair:
    """One submission watched from both instances."""

    same: Watched
    other: Watched


def usable(pair: Pair) -> bool:
    """Whether A judged it: A's watcher, fed in-process, was not slower than B's on most events (B judging one
    turns that around). Such pairs are left out; both sides are checked gap-free either way."""
    wins = sum(a <= b for a, b in zip(pair.same.latencies_ms, pair.other.latencies_ms, strict=False))
    return wins * 2 >= min(len(pair.same.latencies_ms), len(pair.other.latencies_ms))


def summary_cells(pairs: Sequence[Pair]) -> list[Cell]:
    cells = []
    for name, pick in ((SAME, "same"), (OTHER, "other")):
        values = sorted(ms for p in pairs for ms in getattr(p, pick).latencies_ms)
        if not values:
            raise BenchmarkFailed(f"{name}: no live event was measured")
        cells.append(
            Cell("one submission at a time", name, 1, 0.0, percentile(values, 0.5), percentile(values, 0.99), 0, [])
        )
    return cells


def table(cells: Sequence[Cell]) -> str:
    base = next(c for c in cells if c.scenario == BASELINE)
    lines = [
        f"| watcher | p50 ms | p99 ms | p50 x {BASELINE} | p99 x {BASELINE} |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in cells:
        lines.append(
            f"| {c.scenario} | {c.p50_ms:.2f} | {c.p99_ms:.2f} | {c.p50_ms / base.p50_ms:.2f} | "
            f"{c.p99_ms / base.p99_ms:.2f} |"
        )
    return "\n".join(lines)


@contextlib.contextmanager
def platform_with_second_execution(data_dir: pathlib.Path) -> Iterator[tuple[Platform, ServicePorts]]:
    ports = free_ports(2 * len(SERVICES) + 3)
    settings = LaunchSettings(
        data_dir=data_dir,
        edge_port=ports[0],
        admin_port=ports[1],
        ports={s.name: ServicePorts(ports[3 + 2 * i], ports[4 + 2 * i]) for i, s in enumerate(SERVICES)},
        broker=True,
        broker_port=ports[2],
        extra_env={"ARENA_WATCH_POLL_S": POLL_S},
    )
    platform = Platform(settings)
    platform.start()
    extra = ExtraInstances(platform)
    try:
        try:
            second = extra.start("execution", timeout_s=120)
        except LaunchError as error:
            raise BenchmarkFailed(f"execution B did not start: {error}") from error
        yield platform, second.ports
    finally:
        extra.stop()
        platform.stop()


def watch(stub: execution_service_pb2_grpc.ExecutionServiceStub, token: str, submission_id: str) -> list[Arrival]:
    request = execution_service_pb2.WatchSubmissionRequest(submission_id=submission_id, after_sequence=0)
    metadata = (("authorization", f"Bearer {token}"),)
    return [(time.time(), m) for m in stub.WatchSubmission(request, metadata=metadata, timeout=WATCH_TIMEOUT_S)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-round", type=int, default=5, help="submissions per round, one at a time")
    parser.add_argument("--duration-s", type=float, default=None, help="(bench.run --quick) one per round")
    parser.add_argument("--warmup-s", type=float, default=None, help="(accepted for bench.run; one warm-up)")
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 20 or not 1 <= args.per_round <= 50:
        parser.error("--rounds 1..20, --per-round 1..50")
    per_round = 1 if args.duration_s is not None and args.duration_s <= 1 else args.per_round
    problem = next(p for p in problems.load() if p.slug == PROBLEM)
    source, test_count = problem.solutions["accepted.py"][1], len(problem.tests)
    pairs: list[Pair] = []
    left_out = 0
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-watch-across-") as tmp,
            platform_with_second_execution(pathlib.Path(tmp)) as (platform, b_ports),
            httpx.Client(base_url=platform.settings.edge_url, timeout=30) as rest,
            grpc.insecure_channel(f"127.0.0.1:{platform.settings.ports['execution'].grpc}") as on_a,
            grpc.insecure_channel(f"127.0.0.1:{b_ports.grpc}") as on_b,
            concurrent.futures.ThreadPoolExecutor(2) as pool,
        ):
            token = login(platform.settings.edge_url)
            stubs = (execution_service_pb2_grpc.ExecutionServiceStub(on_a),
                     execution_service_pb2_grpc.ExecutionServiceStub(on_b))  # fmt: skip
            body = {"problem_id": PROBLEM, "language_id": "python3", "source": source, "run_all_tests": True}
            for index in range(1 + args.rounds * per_round):  # the first one warms up
                created = rest.post("/v1/submissions", json=body, headers={"authorization": f"Bearer {token}"})
                if created.status_code != 200:
                    raise BenchmarkFailed(f"creating a submission: HTTP {created.status_code} {created.text[:300]}")
                submission_id = created.json()["submission"]["submission_id"]
                futures = [pool.submit(watch, stub, token, submission_id) for stub in stubs]
                same, other = (live_latencies(submission_id, f.result(), test_count) for f in futures)
                if index == 0:
                    continue
                pair = Pair(same, other)
                if usable(pair):
                    pairs.append(pair)
                else:
                    left_out += 1
                print(
                    f"  submission {index}: A p50 {statistics.median(same.latencies_ms or [0]):.1f} ms, "
                    f"B p50 {statistics.median(other.latencies_ms or [0]):.1f} ms",
                    flush=True,
                )
        cells = summary_cells(pairs)
    except BenchmarkFailed as failure:
        print(f"watch_across benchmark failed: {failure}", file=sys.stderr)
        return 1
    print()
    print(table(cells))
    print(f"({len(pairs)} submissions measured, {left_out} judged by B left out)")
    path = write_results("watch_across", cells, {"submissions": len(pairs), "left_out": left_out})
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
