"""Benchmark: the analytics service's ingest rate and its insight reads against full scans.

1. Ingest: ``TrackEvents`` batches of 1,000 client events (problem views from several users, unique
   ids) through Envoy by native gRPC and by REST (JSON transcoded by Envoy), ``--concurrency`` batches
   in flight, against the same batches handed to ``SqlAnalyticsStore.ingest`` in-process on its own
   SQLite file (the work without the transport). Events/s per path; the ratio to the in-process
   store is the transport's share. Target: >= 20,000 events/s by gRPC.
2. Insights: a store of ``--events`` events (default 1,000,000: submissions received and judged,
   problem views; 20,000 users, 500 problems, 60 days) is generated first: the events bulk-loaded
   (``SqlAnalyticsStore.load_raw``, 20,000 a statement batch), the rollups then built in SQL
   (``rebuild``, which the store's contract test checks equals incremental ingest); then
   ``GetProblemInsights`` and ``GetUserInsights`` through the rollups (``SqlAnalyticsStore``, the
   service's read path) against the same query done by a full scan
   (``SELECT`` of the events table, unindexed for that key, then ``domain.scan_*``), both in this
   process on the same SQLite file, both answers checked equal; and the rollup reads also through
   Envoy by native gRPC. p50/p99 per path; the ratio of the scan's p50 to the rollup's is the figure.

    python -m bench.analytics [--events 1000000] [--batches 30] [--concurrency 4] [--reads 200]

Bounded: a fixed number of batches and reads, each path with a time cap (``--cap-s``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import pathlib
import random
import statistics
import sys
import tempfile
import time
import uuid
import zoneinfo
from collections.abc import Awaitable, Callable, Sequence

import grpc
import httpx

from arena.analytics.domain import DayRange, Event, EventType, scan_problem, scan_user
from arena.analytics.store import SqlAnalyticsStore
from arena.analytics.v1 import analytics_pb2, analytics_service_pb2, analytics_service_pb2_grpc
from arena.kit.db import make_engine
from bench.harness import percentile
from bench.sandbox import BenchmarkFailed
from bench.system import platform_with

BATCH = 1000
USERS = 20_000
PROBLEMS = 500
DAYS = 60
DAY_MS = 86_400_000
START_MS = 1_759_276_800_000  # 2025-10-01
NOW_MS = START_MS + DAYS * DAY_MS
LANGUAGES = ("python3", "cpp", "java", "go")
SENDERS = 4
INGEST_GRPC = "TrackEvents, native gRPC via Envoy"
INGEST_REST = "TrackEvents, REST via Envoy"
INGEST_STORE = "store.ingest in-process (baseline)"
PROBLEM_ROLLUP = "GetProblemInsights, rollups in-process"
PROBLEM_GRPC = "GetProblemInsights, native gRPC via Envoy"
PROBLEM_SCAN = "GetProblemInsights, full scan in-process (baseline)"
USER_ROLLUP = "GetUserInsights, rollups in-process"
USER_GRPC = "GetUserInsights, native gRPC via Envoy"
USER_SCAN = "GetUserInsights, full scan in-process (baseline)"


def generated(count: int, seed: int = 1) -> list[list[Event]]:
    """``count`` events in bulk batches: per submission a received and (mostly) a judged event, plus
    problem views; deterministic."""
    rng = random.Random(seed)
    batches: list[list[Event]] = []
    batch: list[Event] = []
    n = 0
    while n < count:
        user = f"u{rng.randrange(USERS)}"
        problem = f"p{int(rng.paretovariate(1.2)) % PROBLEMS}"
        t = START_MS + rng.randrange(DAYS * DAY_MS)
        if rng.random() < 0.2:
            batch.append(Event(f"v{n}", EventType.PROBLEM_VIEWED, t, user, problem_id=problem))
            n += 1
        else:
            sid = f"s{n}"
            language = LANGUAGES[rng.randrange(4)]
            batch.append(Event(f"c{n}", EventType.SUBMISSION_CREATED, t, user, "", problem, "", sid, language))
            verdict = 1 if rng.random() < 0.4 else rng.randrange(2, 7)
            batch.append(
                Event(
                    f"j{n}",
                    EventType.SUBMISSION_JUDGED,
                    t + rng.randrange(200, 5000),
                    user,
                    "",
                    problem,
                    "",
                    sid,
                    language,
                    verdict,
                    rng.randrange(1, 2000),
                    rng.randrange(1000, 200_000),
                )
            )
            n += 2
        if len(batch) >= 20_000:
            batches.append(batch)
            batch = []
    if batch:
        batches.append(batch)
    return batches


def client_batches(count: int, tag: str) -> list[list[analytics_pb2.Event]]:
    """``count`` TrackEvents batches of 1,000 problem views with unique ids."""
    return [
        [
            analytics_pb2.Event(
                event_id=f"{tag}-{b}-{i}", type=analytics_pb2.EVENT_TYPE_PROBLEM_VIEWED, problem_id=f"p{i % 50}"
            )
            for i in range(BATCH)
        ]
        for b in range(count)
    ]


def as_domain(batch: Sequence[analytics_pb2.Event], user: str) -> list[Event]:
    return [Event(e.event_id, EventType(e.type), NOW_MS, user, problem_id=e.problem_id) for e in batch]


def as_json(batch: Sequence[analytics_pb2.Event]) -> bytes:
    return json.dumps(
        {
            "events": [
                {"event_id": e.event_id, "type": "EVENT_TYPE_PROBLEM_VIEWED", "problem_id": e.problem_id} for e in batch
            ]
        }
    ).encode()


@dataclasses.dataclass(frozen=True)
class Rate:
    path: str
    events: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


@dataclasses.dataclass(frozen=True)
class Latency:
    path: str
    samples_ms: list[float]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p99_ms(self) -> float:
        return percentile(sorted(self.samples_ms), 0.99)


async def in_flight(jobs: Sequence[Callable[[], Awaitable[int]]], concurrency: int, cap_s: float) -> tuple[int, float]:
    """Runs the jobs ``concurrency`` at a time (stopping after ``cap_s``); (events done, seconds)."""
    queue = list(jobs)
    done = 0
    started = time.perf_counter()

    async def worker() -> None:
        nonlocal done
        while queue and time.perf_counter() - started < cap_s:
            events = await queue.pop()()
            done += events

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, time.perf_counter() - started


async def timed(calls: Sequence[Callable[[], Awaitable[object]]], cap_s: float) -> list[float]:
    samples = []
    started = time.perf_counter()
    for call in calls:
        t = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - t) * 1000)
        if time.perf_counter() - started > cap_s:
            break
    return samples


def rate_table(rates: Sequence[Rate]) -> str:
    base = next(r for r in rates if r.path == INGEST_STORE).per_s
    lines = ["| path | events | seconds | events/s | x in-process store |", "|---|---|---|---|---|"]
    lines += [f"| {r.path} | {r.events:,} | {r.seconds:.2f} | {r.per_s:,.0f} | {r.per_s / base:.2f} |" for r in rates]
    return "\n".join(lines)


def latency_table(latencies: Sequence[Latency], baselines: dict[str, str]) -> str:
    by_path = {lat.path: lat for lat in latencies}
    lines = ["| read | calls | p50 ms | p99 ms | scan p50 ÷ this p50 |", "|---|---|---|---|---|"]
    for lat in latencies:
        scan = by_path[baselines[lat.path]]
        ratio = scan.p50_ms / lat.p50_ms
        lines.append(f"| {lat.path} | {len(lat.samples_ms)} | {lat.p50_ms:.3f} | {lat.p99_ms:.3f} | {ratio:.1f} |")
    return "\n".join(lines)


async def generate_store(path: pathlib.Path, count: int) -> tuple[list[str], list[str], float]:
    """Writes the insight data set; (problems, users, seconds)."""
    store = SqlAnalyticsStore(make_engine(f"sqlite+aiosqlite:///{path}"))
    await store.migrate()
    started = time.perf_counter()
    users: set[str] = set()
    problems: set[str] = set()
    for batch in generated(count):
        recorded = await store.load_raw(batch)
        if recorded != len(batch):
            raise BenchmarkFailed(f"generating: {recorded} of {len(batch)} events recorded")
        users.update(e.user_id for e in batch[:300] if e.type is EventType.SUBMISSION_JUDGED)
        problems.update(e.problem_id for e in batch[:2000] if e.type is EventType.SUBMISSION_JUDGED)
    await store.rebuild()
    seconds = time.perf_counter() - started
    await store.engine.dispose()
    return sorted(problems), sorted(users), seconds


async def run(args: argparse.Namespace, data: pathlib.Path) -> dict:
    store_path = data / "analytics.db"
    problems, users, generate_s = await generate_store(store_path, args.events)
    print(f"generated {args.events:,} events in {generate_s:.1f} s ({args.events / generate_s:,.0f}/s)", flush=True)
    env = {"ARENA_ANALYTICS_EVENTS_PER_S": "1000000000", "ARENA_ANALYTICS_EVENT_BURST": "1000000000"}
    with platform_with(data, env=env) as platform:
        edge = platform.settings.edge_url
        tokens = []
        async with httpx.AsyncClient(base_url=edge, timeout=60) as rest:
            for i in range(SENDERS):
                name = f"bench-{uuid.uuid4().hex[:8]}-{i}"
                body = {"username": name, "email": f"{name}@example.com", "password": "bench password 2026"}
                await rest.post("/v1/users", json=body)
                login = await rest.post("/v1/auth:login", json={"username": name, "password": body["password"]})
                tokens.append(login.json()["tokens"]["access_token"])
            rates = await ingest(args, edge, platform.settings.edge_port, tokens, rest, data)
        latencies = await reads(args, store_path, platform.settings.edge_port, problems, users)
    return {"generate_s": generate_s, "rates": rates, "latencies": latencies}


async def ingest(
    args: argparse.Namespace, edge: str, edge_port: int, tokens: list[str], rest: httpx.AsyncClient, data: pathlib.Path
) -> list[Rate]:
    grpc_batches = client_batches(args.batches, "g")
    rest_batches = [as_json(b) for b in client_batches(args.batches, "r")]
    store_batches = client_batches(args.batches, "s")
    rates = []
    async with grpc.aio.insecure_channel(f"127.0.0.1:{edge_port}") as channel:
        stub = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
        warm = analytics_service_pb2.TrackEventsRequest(events=client_batches(1, "w")[0])
        await stub.TrackEvents(warm, metadata=(("authorization", f"Bearer {tokens[0]}"),))

        def grpc_job(i: int) -> Callable[[], Awaitable[int]]:
            async def call() -> int:
                request = analytics_service_pb2.TrackEventsRequest(events=grpc_batches[i])
                meta = (("authorization", f"Bearer {tokens[i % SENDERS]}"),)
                response = await stub.TrackEvents(request, metadata=meta, timeout=60)
                if response.recorded_count != BATCH:
                    raise BenchmarkFailed(f"gRPC batch {i}: {response.recorded_count} recorded")
                return BATCH

            return call

        done, seconds = await in_flight([grpc_job(i) for i in range(args.batches)], args.concurrency, args.cap_s)
        rates.append(Rate(INGEST_GRPC, done, seconds))

    def rest_job(i: int) -> Callable[[], Awaitable[int]]:
        async def call() -> int:
            headers = {"authorization": f"Bearer {tokens[i % SENDERS]}", "content-type": "application/json"}
            response = await rest.post("/v1/events:batch", content=rest_batches[i], headers=headers)
            if response.status_code != 200 or response.json()["recorded_count"] != BATCH:
                raise BenchmarkFailed(f"REST batch {i}: HTTP {response.status_code} {response.text[:200]}")
            return BATCH

        return call

    done, seconds = await in_flight([rest_job(i) for i in range(args.batches)], args.concurrency, args.cap_s)
    rates.append(Rate(INGEST_REST, done, seconds))
    baseline = SqlAnalyticsStore(make_engine(f"sqlite+aiosqlite:///{data}/baseline.db"))
    await baseline.migrate()

    def store_job(i: int) -> Callable[[], Awaitable[int]]:
        async def call() -> int:
            recorded, _ = await baseline.ingest(as_domain(store_batches[i], f"user-{i % SENDERS}"))
            if recorded != BATCH:
                raise BenchmarkFailed(f"store batch {i}: {recorded} recorded")
            return BATCH

        return call

    done, seconds = await in_flight([store_job(i) for i in range(args.batches)], args.concurrency, args.cap_s)
    rates.append(Rate(INGEST_STORE, done, seconds))
    await baseline.engine.dispose()
    return rates


async def reads(
    args: argparse.Namespace, store_path: pathlib.Path, edge_port: int, problems: list[str], users: list[str]
) -> list[Latency]:
    store = SqlAnalyticsStore(make_engine(f"sqlite+aiosqlite:///{store_path}"))
    rng = random.Random(2)
    everything = DayRange(0, NOW_MS // DAY_MS + 1)
    utc = zoneinfo.ZoneInfo("UTC")
    problem_picks = [rng.choice(problems) for _ in range(args.reads)]
    user_picks = [rng.choice(users) for _ in range(args.reads)]
    for problem in problem_picks[:3]:  # the same answers both ways
        rolled = await store.problem_insights(problem, everything)
        scanned = scan_problem(await store.scan_events(problem_id=problem), problem, everything)
        if rolled != scanned:
            raise BenchmarkFailed(f"problem {problem}: rollups and scan differ\n{rolled}\n{scanned}")
    for user in user_picks[:3]:
        rolled_user = await store.user_insights(user, utc, 30, NOW_MS, {})
        scanned_user = scan_user(await store.scan_events(user_id=user), user, utc, 30, NOW_MS, {})
        if rolled_user != scanned_user:
            raise BenchmarkFailed(f"user {user}: rollups and scan differ\n{rolled_user}\n{scanned_user}")

    def problem_scan(p: str) -> Callable[[], Awaitable[object]]:
        async def call() -> object:
            return scan_problem(await store.scan_events(problem_id=p), p, everything)

        return call

    def user_scan(u: str) -> Callable[[], Awaitable[object]]:
        async def call() -> object:
            return scan_user(await store.scan_events(user_id=u), u, utc, 30, NOW_MS, {})

        return call

    latencies = [
        Latency(
            PROBLEM_ROLLUP,
            await timed([lambda p=p: store.problem_insights(p, everything) for p in problem_picks], args.cap_s),
        ),
        Latency(
            USER_ROLLUP,
            await timed([lambda u=u: store.user_insights(u, utc, 30, NOW_MS, {}) for u in user_picks], args.cap_s),
        ),
    ]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{edge_port}") as channel:
        stub = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
        latencies.append(
            Latency(
                PROBLEM_GRPC,
                await timed(
                    [
                        lambda p=p: stub.GetProblemInsights(
                            analytics_service_pb2.GetProblemInsightsRequest(problem_id=p)
                        )
                        for p in problem_picks
                    ],
                    args.cap_s,
                ),
            )
        )
        latencies.append(
            Latency(
                USER_GRPC,
                await timed(
                    [
                        lambda u=u: stub.GetUserInsights(analytics_service_pb2.GetUserInsightsRequest(user_id=u))
                        for u in user_picks
                    ],
                    args.cap_s,
                ),
            )
        )
    scans = max(5, args.reads // 10)
    latencies.append(Latency(PROBLEM_SCAN, await timed([problem_scan(p) for p in problem_picks[:scans]], args.cap_s)))
    latencies.append(Latency(USER_SCAN, await timed([user_scan(u) for u in user_picks[:scans]], args.cap_s)))
    await store.engine.dispose()
    return latencies


BASELINES = {
    PROBLEM_ROLLUP: PROBLEM_SCAN,
    PROBLEM_GRPC: PROBLEM_SCAN,
    PROBLEM_SCAN: PROBLEM_SCAN,
    USER_ROLLUP: USER_SCAN,
    USER_GRPC: USER_SCAN,
    USER_SCAN: USER_SCAN,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="events stored for the insight reads")
    parser.add_argument("--batches", type=int, default=30, help="TrackEvents batches of 1,000 per ingest path")
    parser.add_argument("--concurrency", type=int, default=4, help="ingest batches in flight")
    parser.add_argument("--reads", type=int, default=200, help="insight reads per rollup path (a tenth by scan)")
    parser.add_argument("--cap-s", type=float, default=60.0, help="time cap per path")
    parser.add_argument("--rounds", type=int, default=1, help="ignored (bench.run --quick passes it)")
    parser.add_argument("--duration-s", type=float, default=None, help="with bench.run --quick: a small data set")
    parser.add_argument("--warmup-s", type=float, default=None, help="ignored (bench.run --quick passes it)")
    args = parser.parse_args(argv)
    if args.duration_s is not None and args.duration_s <= 1:  # bench.run --quick
        args.events, args.batches, args.reads = 100_000, 8, 40
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as tmp:
        result = asyncio.run(run(args, pathlib.Path(tmp)))
    print(f"\n### analytics ingest (batches of {BATCH:,}, {args.concurrency} in flight)\n")
    print(rate_table(result["rates"]))
    print(f"\n### analytics insights ({args.events:,} events stored, SQLite)\n")
    print(latency_table(result["latencies"], BASELINES))
    grpc_rate = next(r for r in result["rates"] if r.path == INGEST_GRPC).per_s
    print(f"\ngRPC ingest: {grpc_rate:,.0f} events/s (target >= 20,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
