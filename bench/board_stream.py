"""Benchmark: a verdict recorded → every ``GetLeaderboardStream`` subscriber has the new board.

The contest (``contest_data.py``: 1,000 contestants, 10 problems, 10,000 judged submissions by default,
ICPC, running, no freeze: one view for everyone) is seeded into the contest service's database and the
platform started on it. Then, per path and round, ``--subscribers`` streams are opened (top
``--page-size`` rows each) and, once every one has its snapshot:

- single verdicts: ``--singles`` times, one ``RecordSubmissionResult`` (the internal RPC, straight to the
  contest service, as the judge's outbox calls it), then wait until every subscriber has a board at least
  one version newer; a sample is one subscriber's arrival minus the moment the call was sent;
- a burst: ``--burst`` verdicts sent within one second (evenly spaced, not waiting for each other); the
  k-th verdict to be acknowledged made version base+k (the store serializes the writes), so a sample is a
  subscriber's first arrival at version ≥ base+k minus the moment that verdict was sent (coalesced updates
  count for every verdict they include).

Paths: native gRPC straight to the service (the baseline; asyncio clients multiplexed over a few channels),
gRPC-Web through Envoy and REST (NDJSON) through Envoy (HTTP/1.1, one connection per subscriber, httpx).
The native subscribers are spread over ``--client-processes`` client processes (default 4; arrival times are
CLOCK_MONOTONIC, comparable across processes): one Python process reading 1,000 streams of 100-row boards
measures its own parsing more than the service. All clients still share the platform's 2 cores, so the
client side remains part of what is measured; the Envoy paths (httpx, in this process) default to fewer
subscribers (``--edge-subscribers``). Paths take turns per round (A B C A B C ...). After its snapshot a
stream sends only the rows that changed; ``--paths "native gRPC direct, snapshots only"`` measures the
whole page sent on every change (``snapshots_only``), the stream as it was before changes. The floor
(``bench.board_floor``, a bare grpc.aio server in its own process writing one shared message per verdict to
every stream, with the same native clients and verdict calls) is what this process model costs at least:
the "x floor" column says how far the service is from it.
Target: p99 < 50 ms. Everything is bounded by timeouts.

    python -m bench.board_stream [--rounds 2] [--subscribers 1000] [--edge-subscribers 200] [--singles 10]
                                 [--burst 200] [--page-size 100] [--submissions 10000] [--client-processes 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import multiprocessing
import pathlib
import random
import re
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import grpc
import httpx

from arena.contest.domain import ScoringRule
from arena.contest.v1 import (
    contest_internal_service_pb2,
    contest_internal_service_pb2_grpc,
    contest_service_pb2,
    contest_service_pb2_grpc,
)
from arena.launcher import Platform
from bench.contest_data import CONTEST_ID, seed, synthetic, user_id
from bench.harness import percentile, write_results
from bench.sandbox import BenchmarkFailed
from bench.system import free_ports, grpc_frame, platform_with

NATIVE, GRPC_WEB, NDJSON = "native gRPC direct", "gRPC-Web via Envoy", "REST NDJSON via Envoy"
NATIVE_SNAPSHOTS = "native gRPC direct, snapshots only"
"""The stream as it was before changes: the whole page on every change (``snapshots_only``)."""
FLOOR = "bare grpc.aio fan-out (floor)"
"""``bench.board_floor``: the same streams and verdict calls answered by a bare grpc.aio server writing the same
shared bytes to every stream, no platform: the least this process model costs."""
PATHS = (NATIVE, GRPC_WEB, NDJSON, NATIVE_SNAPSHOTS, FLOOR)
DEFAULT_PATHS = (NATIVE, FLOOR, GRPC_WEB, NDJSON)
NATIVE_PATHS = (NATIVE, NATIVE_SNAPSHOTS, FLOOR)
BASELINE = FLOOR
"""The ratio column's reference: the floor when it ran (same clients, same calls, no platform), else native."""
TARGET_P99_MS = 50.0
CHANNELS = 8
"""Native subscribers are spread over this many HTTP/2 connections."""
CATCH_UP_TIMEOUT_S = 30.0
_VERSION = re.compile(rb'"version":\s*(\d+)')


# -- pure helpers ------------------------------------------------------------------------------


def first_at(arrivals: Sequence[tuple[float, int]], version: int) -> float | None:
    """When a subscriber first had a board at ``version`` or newer (arrivals in order)."""
    return next((t for t, v in arrivals if v >= version), None)


def board_version(message: contest_service_pb2.GetLeaderboardStreamResponse) -> int:
    """The board version a stream message brings its client to (a snapshot's or a change's)."""
    return message.change.version if message.HasField("change") else message.leaderboard.version


def single_latencies(sent: float, version: int, subscribers: Sequence[Sequence[tuple[float, int]]]) -> list[float]:
    """Per subscriber: ms from sending the verdict to its first board at ``version`` or newer."""
    out = []
    for arrivals in subscribers:
        t = first_at(arrivals, version)
        if t is None:
            raise BenchmarkFailed(f"a subscriber never saw version {version}")
        out.append((t - sent) * 1000)
    return out


def burst_latencies(
    base: int, sends: Sequence[tuple[float, float]], subscribers: Sequence[Sequence[tuple[float, int]]]
) -> list[float]:
    """``sends``: (sent, acknowledged) per verdict; the k-th acknowledged made version base+k. Per subscriber
    and verdict: ms from sending it to the subscriber's first board at that version or newer."""
    by_ack = sorted(sends, key=lambda s: s[1])
    out = []
    for k, (sent, _ack) in enumerate(by_ack, start=1):
        out.extend(single_latencies(sent, base + k, subscribers))
    return out


@dataclasses.dataclass(frozen=True)
class Summary:
    path: str
    load: str
    subscribers: int
    verdicts: int
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def summarize(path: str, load: str, subscribers: int, verdicts: int, samples_ms: Sequence[float]) -> Summary:
    ordered = sorted(samples_ms)
    return Summary(
        path,
        load,
        subscribers,
        verdicts,
        len(ordered),
        percentile(ordered, 0.5),
        percentile(ordered, 0.99),
        ordered[-1] if ordered else 0.0,
    )


def table(summaries: Sequence[Summary], *, baseline: str) -> str:
    head = f"| load | path | subscribers | verdicts | samples | p50 ms | p99 ms | max ms | x {baseline} (p99) |"
    lines = [
        head + f" p99 < {TARGET_P99_MS:g} ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    reference = {s.load: s for s in summaries if s.path == baseline}
    for s in summaries:
        base = reference.get(s.load)
        ratio = s.p99_ms / base.p99_ms if base and base.p99_ms else float("nan")
        met = "yes" if s.p99_ms < TARGET_P99_MS else "no"
        lines.append(
            f"| {s.load} | {s.path} | {s.subscribers:,} | {s.verdicts} | {s.samples:,} | {s.p50_ms:.1f} | "
            f"{s.p99_ms:.1f} | {s.max_ms:.1f} | {ratio:.2f} | {met} |"
        )
    return "\n".join(lines)


def web_messages(buffer: bytearray) -> list[bytes]:
    """Complete gRPC-Web data frames taken off the front of ``buffer`` (trailer frames dropped)."""
    out = []
    while len(buffer) >= 5:
        flags, length = struct.unpack(">BI", bytes(buffer[:5]))
        if len(buffer) < 5 + length:
            break
        payload = bytes(buffer[5 : 5 + length])
        del buffer[: 5 + length]
        if not flags & 0x80:
            out.append(payload)
    return out


# -- subscribers -------------------------------------------------------------------------------


Arrivals = list[tuple[float, int]]


class Subscribers:
    """``count`` subscribers on one path, each appending (arrival time, version) as boards come."""

    def __init__(self, platform: Platform, path: str, count: int, page_size: int, target: str) -> None:
        self.platform = platform
        self.target = target
        self.path = path
        self.count = count
        self.page_size = page_size
        self.arrivals: list[Arrivals] = [[] for _ in range(count)]
        self.latest = [0] * count
        self.changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def _got(self, index: int, version: int) -> None:
        self.arrivals[index].append((time.perf_counter(), version))
        self.latest[index] = version
        self.changed.set()

    async def start(self) -> None:
        request = contest_service_pb2.GetLeaderboardStreamRequest(
            contest_id=CONTEST_ID, page_size=self.page_size, snapshots_only=self.path == NATIVE_SNAPSHOTS
        )
        if self.path in NATIVE_PATHS:
            channels = [
                grpc.aio.insecure_channel(self.target, options=[("grpc.use_local_subchannel_pool", 1)])
                for _ in range(CHANNELS)
            ]
            self._closers += [c.close for c in channels]
            stubs = [contest_service_pb2_grpc.ContestServiceStub(c) for c in channels]
            for i in range(self.count):
                self._tasks.append(asyncio.create_task(self._native(i, stubs[i % CHANNELS], request)))
        else:
            limits = httpx.Limits(max_connections=self.count + 10, max_keepalive_connections=self.count + 10)
            client = httpx.AsyncClient(base_url=self.platform.settings.edge_url, limits=limits, timeout=None)
            self._closers.append(client.aclose)
            run = self._web if self.path == GRPC_WEB else self._ndjson
            for i in range(self.count):
                self._tasks.append(asyncio.create_task(run(i, client, request)))

    async def _native(self, index: int, stub, request) -> None:  # type: ignore[no-untyped-def]
        async for message in stub.GetLeaderboardStream(request):
            self._got(index, board_version(message))

    async def _web(self, index: int, client: httpx.AsyncClient, request) -> None:  # type: ignore[no-untyped-def]
        headers = {"content-type": "application/grpc-web+proto", "x-grpc-web": "1"}
        path = "/arena.contest.v1.ContestService/GetLeaderboardStream"
        async with client.stream("POST", path, content=grpc_frame(request.SerializeToString()), headers=headers) as r:
            if r.status_code != 200:
                raise BenchmarkFailed(f"gRPC-Web stream: HTTP {r.status_code}")
            buffer = bytearray()
            async for chunk in r.aiter_raw():
                buffer += chunk
                for payload in web_messages(buffer):
                    message = contest_service_pb2.GetLeaderboardStreamResponse.FromString(payload)
                    self._got(index, board_version(message))

    async def _ndjson(self, index: int, client: httpx.AsyncClient, request) -> None:  # type: ignore[no-untyped-def]
        path = f"/v1/contests/{CONTEST_ID}/leaderboard:watch"
        async with client.stream("GET", path, params={"page_size": request.page_size}) as r:
            if r.status_code != 200:
                raise BenchmarkFailed(f"NDJSON stream: HTTP {r.status_code}")
            buffer = b""
            async for chunk in r.aiter_raw():
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    found = _VERSION.search(line)  # the board's or the change's version; rows carry none
                    if found:
                        self._got(index, int(found.group(1)))

    async def snapshot(self) -> list[Arrivals]:
        """Every subscriber's arrivals so far."""
        return self.arrivals

    async def wait_all(self, version: int, timeout_s: float = CATCH_UP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while min(self.latest) < version:
            failed = [t for t in self._tasks if t.done()]
            if failed:
                error = failed[0].exception()
                raise BenchmarkFailed(f"{self.path}: a subscriber stopped: {error!r}")
            left = deadline - time.monotonic()
            if left <= 0:
                behind = sum(v < version for v in self.latest)
                raise BenchmarkFailed(f"{self.path}: {behind} subscribers never reached version {version}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for close in self._closers:
            await close()


def _native_worker(
    target: str, first: int, count: int, page_size: int, snapshots_only: bool, latest: Any, conn: Any
) -> None:
    """A client process: ``count`` native subscribers over its own connections; arrival times are
    ``time.perf_counter()`` (CLOCK_MONOTONIC: comparable across processes). Each board's version goes into the
    shared ``latest`` array; the arrivals are sent back on request ("dump"); "stop" ends the process."""

    async def run() -> None:
        arrivals: list[Arrivals] = [[] for _ in range(count)]
        channels = [
            grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) for _ in range(CHANNELS)
        ]
        stubs = [contest_service_pb2_grpc.ContestServiceStub(c) for c in channels]
        request = contest_service_pb2.GetLeaderboardStreamRequest(
            contest_id=CONTEST_ID, page_size=page_size, snapshots_only=snapshots_only
        )

        async def follow(i: int) -> None:
            async for message in stubs[i % CHANNELS].GetLeaderboardStream(request):
                version = board_version(message)
                arrivals[i].append((time.perf_counter(), version))
                latest[first + i] = version

        tasks = [asyncio.create_task(follow(i)) for i in range(count)]
        loop = asyncio.get_running_loop()
        try:
            while True:
                command = await loop.run_in_executor(None, conn.recv)
                if command == "dump":
                    failed = [t for t in tasks if t.done()]
                    conn.send(("failed", repr(failed[0].exception())) if failed else ("ok", arrivals))
                else:
                    return
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for channel in channels:
                await channel.close()

    asyncio.run(run())


class ProcessSubscribers:
    """Native subscribers spread over ``processes`` client processes (the same interface as ``Subscribers``):
    1,000 streams read by one Python process measure that process's own parsing as much as the service."""

    def __init__(self, path: str, count: int, page_size: int, processes: int, target: str) -> None:
        self.path = path
        self.count = count
        self._target = target
        self._page_size = page_size
        self._processes = processes
        self._context = multiprocessing.get_context("spawn")  # no fork of a process with gRPC threads
        self.latest: Any = self._context.Array("i", count, lock=False)
        self._workers: list[tuple[Any, Any]] = []

    async def start(self) -> None:
        share, extra = divmod(self.count, self._processes)
        first = 0
        for k in range(self._processes):
            size = share + (k < extra)
            ours, theirs = self._context.Pipe()
            process = self._context.Process(
                target=_native_worker,
                args=(self._target, first, size, self._page_size, self.path == NATIVE_SNAPSHOTS, self.latest, theirs),
                daemon=True,
            )
            process.start()
            self._workers.append((process, ours))
            first += size

    async def snapshot(self) -> list[Arrivals]:
        loop = asyncio.get_running_loop()
        out: list[Arrivals] = []
        for _process, conn in self._workers:
            conn.send("dump")
            status, payload = await loop.run_in_executor(None, conn.recv)
            if status != "ok":
                raise BenchmarkFailed(f"{self.path}: a subscriber stopped: {payload}")
            out += payload
        return out

    async def wait_all(self, version: int, timeout_s: float = CATCH_UP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while min(self.latest) < version:  # (arrival times are taken in the workers: polling adds nothing)
            if any(not process.is_alive() for process, _ in self._workers):
                raise BenchmarkFailed(f"{self.path}: a client process died")
            if time.monotonic() > deadline:
                behind = sum(v < version for v in self.latest)
                raise BenchmarkFailed(f"{self.path}: {behind} subscribers never reached version {version}")
            await asyncio.sleep(0.005)

    async def close(self) -> None:
        for _process, conn in self._workers:
            with contextlib.suppress(OSError):
                conn.send("stop")
        for process, _ in self._workers:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()


# -- verdicts ----------------------------------------------------------------------------------


class Judge:
    """Sends verdicts as the judge's outbox does: the internal RPC straight to the contest service."""

    def __init__(self, target: str, contestants: int, problems: int) -> None:
        self.channel = grpc.aio.insecure_channel(target)
        self.stub = contest_internal_service_pb2_grpc.ContestInternalServiceStub(self.channel)
        self.rng = random.Random(7)
        self.contestants = contestants
        self.problems = problems
        self.sent = 0

    async def verdict(self) -> tuple[float, float]:
        """(sent, acknowledged) perf_counter times of one new, applied verdict."""
        self.sent += 1
        now = dt.datetime.now(dt.UTC)
        request = contest_internal_service_pb2.RecordSubmissionResultRequest(
            submission_id=f"live-{self.sent:06d}-{self.rng.randrange(1 << 30)}",
            contest_id=CONTEST_ID,
            user_id=user_id(self.rng.randrange(self.contestants)),
            problem_id=f"p{self.rng.randrange(self.problems):02d}",
            verdict=self.rng.choice((1, 2)),  # ACCEPTED or WRONG_ANSWER: both move the board
            score=1.0,
        )
        request.submit_time.FromDatetime(now)
        request.judge_time.FromDatetime(now)
        sent = time.perf_counter()
        response = await self.stub.RecordSubmissionResult(request, timeout=30)
        acknowledged = time.perf_counter()
        if not response.applied:
            raise BenchmarkFailed("a new verdict was not applied")
        return sent, acknowledged

    async def close(self) -> None:
        await self.channel.close()


async def one_path(
    platform: Platform, judge: Judge, path: str, count: int, args: argparse.Namespace, target: str
) -> tuple[list[float], list[float]]:
    """(single-verdict samples, burst samples) of one path in one round; ``target``: the native paths' server."""
    subscribers: Subscribers | ProcessSubscribers
    if path in NATIVE_PATHS and args.client_processes > 1:
        subscribers = ProcessSubscribers(path, count, args.page_size, args.client_processes, target)
    else:
        subscribers = Subscribers(platform, path, count, args.page_size, target)
    await subscribers.start()
    try:
        await subscribers.wait_all(1)
        base = max(v for a in await subscribers.snapshot() for _, v in a)
        await subscribers.wait_all(base)
        singles: list[float] = []
        for _ in range(args.singles):
            sent, _ack = await judge.verdict()
            base += 1
            await subscribers.wait_all(base)
            singles += single_latencies(sent, base, await subscribers.snapshot())
            await asyncio.sleep(0.1)
        spacing_s = 1.0 / args.burst if args.burst else 0.0
        started = time.perf_counter()

        async def paced(i: int) -> tuple[float, float]:
            await asyncio.sleep(max(0.0, started + i * spacing_s - time.perf_counter()))
            return await judge.verdict()

        sends = await asyncio.gather(*(paced(i) for i in range(args.burst)))
        if sends:  # where a burst's time goes: recording the verdicts, or sending the boards
            acks = sorted((ack - sent) * 1000 for sent, ack in sends)
            print(
                f"    {path}: burst verdicts acknowledged after p50 {percentile(acks, 0.5):.1f} ms, "
                f"p99 {percentile(acks, 0.99):.1f} ms",
                flush=True,
            )
        await subscribers.wait_all(base + args.burst)
        burst = burst_latencies(base, sends, await subscribers.snapshot())
        return singles, burst
    finally:
        await subscribers.close()


@contextlib.contextmanager
def floor_server(wanted: bool) -> Iterator[str | None]:
    """``bench.board_floor`` in a process of its own on a free port, when the floor path runs."""
    if not wanted:
        yield None
        return
    (port,) = free_ports(1)
    command = [sys.executable, "-m", "bench.board_floor", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise BenchmarkFailed("the floor server did not start")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def measure(platform: Platform, args: argparse.Namespace, floor: str | None) -> list[Summary]:
    contest = f"127.0.0.1:{platform.settings.ports['contest'].grpc}"
    targets = {path: floor if path == FLOOR else contest for path in args.paths}
    judges = {target: Judge(target, args.contestants, args.problems) for target in set(targets.values()) if target}
    counts = {
        NATIVE: args.subscribers,
        NATIVE_SNAPSHOTS: args.subscribers,
        FLOOR: args.subscribers,
        GRPC_WEB: args.edge_subscribers,
        NDJSON: args.edge_subscribers,
    }
    singles: dict[str, list[float]] = {p: [] for p in args.paths}
    bursts: dict[str, list[float]] = {p: [] for p in args.paths}
    try:
        for round_index in range(args.rounds):
            for path in args.paths:
                target = targets[path]
                assert target is not None
                s, b = await one_path(platform, judges[target], path, counts[path], args, target)
                singles[path] += s
                bursts[path] += b
                print(
                    f"  [round {round_index + 1}/{args.rounds}] {path} ({counts[path]} subscribers): single p99 "
                    f"{percentile(sorted(s), 0.99):.1f} ms, burst p99 {percentile(sorted(b), 0.99):.1f} ms",
                    flush=True,
                )
    finally:
        for judge in judges.values():
            await judge.close()
    out = []
    for path in args.paths:
        out.append(summarize(path, "one verdict", counts[path], args.singles * args.rounds, singles[path]))
    for path in args.paths if args.burst else ():
        load = f"{args.burst} verdicts in 1 s"
        out.append(summarize(path, load, counts[path], args.burst * args.rounds, bursts[path]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--subscribers", type=int, default=1000, help="native gRPC subscribers")
    parser.add_argument("--edge-subscribers", type=int, default=200, help="subscribers on each Envoy path")
    parser.add_argument("--singles", type=int, default=10, help="single verdicts per path and round")
    parser.add_argument("--burst", type=int, default=200, help="verdicts sent within one second")
    parser.add_argument("--page-size", type=int, default=100, help="rows each streamed board carries")
    parser.add_argument("--contestants", type=int, default=1000)
    parser.add_argument("--problems", type=int, default=10)
    parser.add_argument("--submissions", type=int, default=10_000, help="judged submissions already in the contest")
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=list(DEFAULT_PATHS))
    parser.add_argument(
        "--client-processes", type=int, default=4, help="processes the native subscribers are spread over (1: this one)"
    )
    parser.add_argument("--duration-s", type=float, default=None, help=argparse.SUPPRESS)  # bench.run --quick
    parser.add_argument("--warmup-s", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.duration_s is not None:  # the quick smoke run: small and short
        args.subscribers, args.edge_subscribers, args.singles, args.burst = 50, 20, 2, 20
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=6)  # running now, for 29 days
    data = synthetic(
        ScoringRule.ICPC,
        contestants=args.contestants,
        problems=args.problems,
        submissions=args.submissions,
        start=start,
    )
    with tempfile.TemporaryDirectory(prefix="bench-board-stream-") as tmp:
        asyncio.run(seed(f"sqlite+aiosqlite:///{tmp}/contest.db", data))
        with platform_with(pathlib.Path(tmp)) as platform, floor_server(FLOOR in args.paths) as floor:
            summaries = asyncio.run(measure(platform, args, floor))
    path = write_results("board_stream", [], {"summaries": [dataclasses.asdict(s) for s in summaries]})
    print(
        f"\n## Verdict → every leaderboard stream subscriber has the new board ({args.contestants:,} contestants, "
        f"{args.submissions:,} submissions, top {args.page_size} rows per board)\n\n"
        + table(summaries, baseline=BASELINE if BASELINE in args.paths else NATIVE)
        + f"\n\nresults: {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
