"""Benchmark: notifications.

1. Verdict → in-app stream. The real platform judges submissions of the demo problem A+B (an accepted
   Python solution) by the demo user, whose notification stream is open three ways at once: native gRPC
   through Envoy, REST (newline-delimited JSON) through Envoy, and, as the baseline, native gRPC straight
   to the notification service's port. The same notification reaches all three, so the paths are compared
   on the very same events. A sample is the client's wall clock when the notification arrived minus the
   submission's ``finish_time`` (stamped by the judge at the verdict; one machine, one clock): the judge's
   outbox, SendNotification, the store and the stream. Every submission's notification must arrive on
   every path, in order, once, or the benchmark fails.

2. Webhook deliveries/s. ``N`` notifications, each owing one signed webhook delivery, are delivered by the
   delivery worker (claim with a lease, sign, POST, record the attempt, on SQLite) to a local HTTP receiver;
   the baseline sends the same number of signed POSTs with the same sender and the same concurrency, and
   no store. The ratio is what claiming and recording cost.

    python -m bench.notification [--rounds 3] [--duration-s 2] [--warmup-s 1] [--webhooks N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import datetime as dt
import itertools
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence

import grpc
import httpx

from arena.execution.v1 import execution_service_pb2, execution_service_pb2_grpc
from arena.kit import logging as kit_logging
from arena.kit.db import make_engine, utcnow
from arena.launcher import Platform
from arena.notification.delivery import Deliverer
from arena.notification.domain import (
    Contact,
    DeliveryChannel,
    Kind,
    NewNotification,
    PlannedDelivery,
    RetryPolicy,
    Webhook,
    webhook_payload,
)
from arena.notification.store import SqlNotificationStore
from arena.notification.v1 import notification_service_pb2, notification_service_pb2_grpc
from arena.notification.webhooks import WebhookSender
from bench.harness import Cell, percentile, write_results
from bench.sandbox import BenchmarkFailed
from bench.system import free_ports, platform_with

PROBLEM = "a-plus-b"
USER = {"username": "demo", "password": "practice-makes-perfect"}
GRPC_EDGE, REST_EDGE, GRPC_DIRECT = "native gRPC via Envoy", "REST NDJSON via Envoy", "native gRPC direct"
PATHS = (GRPC_EDGE, REST_EDGE, GRPC_DIRECT)
SUBMISSIONS_PER_SECOND = 2
ARRIVAL_TIMEOUT_S = 60.0
WORKER, RAW = "delivery worker (store + claim + record)", "signed POSTs alone (baseline)"
SECRET = "whsec_" + base64.b64encode(b"b" * 32).decode()


# -- pure helpers ------------------------------------------------------------------------------------


def submission_of(link: str) -> str:
    """The submission id of a verdict notification's link (``/submissions/<id>``)."""
    prefix = "/submissions/"
    if not link.startswith(prefix) or len(link) == len(prefix):
        raise BenchmarkFailed(f"not a verdict notification's link: {link!r}")
    return link[len(prefix) :]


def check_arrivals(path: str, arrived: Sequence[tuple[float, str, int]], expected: Sequence[str]) -> None:
    """Each path got every expected submission's notification once, in order, with increasing sequences."""
    ids = [submission for _, submission, _ in arrived]
    if ids != list(expected):
        raise BenchmarkFailed(f"{path}: notifications for {ids}, expected {list(expected)}")
    sequences = [sequence for _, _, sequence in arrived]
    if any(b != a + 1 for a, b in itertools.pairwise(sequences)):
        raise BenchmarkFailed(f"{path}: sequences with a gap or repeat: {sequences}")


@dataclasses.dataclass(frozen=True)
class Summary:
    path: str
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def summarize(path: str, latencies_ms: Sequence[float]) -> Summary:
    ordered = sorted(latencies_ms)
    return Summary(
        path,
        len(ordered),
        percentile(ordered, 0.50),
        percentile(ordered, 0.99),
        ordered[-1] if ordered else 0.0,
    )


def latency_table(summaries: Sequence[Summary]) -> str:
    base = next((s for s in summaries if s.path == GRPC_DIRECT), None)
    lines = ["| path | samples | p50 ms | p99 ms | max ms | p50 x direct |", "|---|---:|---:|---:|---:|---:|"]
    for s in summaries:
        ratio = s.p50_ms / base.p50_ms if base and base.p50_ms else float("nan")
        lines.append(f"| {s.path} | {s.samples} | {s.p50_ms:.1f} | {s.p99_ms:.1f} | {s.max_ms:.1f} | {ratio:.2f} |")
    return "\n".join(lines)


# -- part 1: verdict → stream through the platform ---------------------------------------------------


class Streams:
    """The demo user's stream open on the three paths, each read by its own thread."""

    def __init__(self, platform: Platform, token: str) -> None:
        self.arrived: dict[str, list[tuple[float, str, int]]] = {p: [] for p in PATHS}
        self.stored: dict[str, float] = {}
        """Submission id → the notification's create_time (when the notification service stored it)."""
        self._lock = threading.Lock()
        self._ready = {p: threading.Event() for p in PATHS}
        self._stop = threading.Event()
        metadata = (("authorization", f"Bearer {token}"),)
        edge = f"127.0.0.1:{platform.settings.edge_port}"
        direct = f"127.0.0.1:{platform.settings.ports['notification'].grpc}"
        self._channels = {GRPC_EDGE: grpc.insecure_channel(edge), GRPC_DIRECT: grpc.insecure_channel(direct)}
        self._calls = {
            path: notification_service_pb2_grpc.NotificationServiceStub(channel).StreamNotifications(
                notification_service_pb2.StreamNotificationsRequest(), metadata=metadata
            )
            for path, channel in self._channels.items()
        }
        self._threads = [threading.Thread(target=self._grpc, args=(p,), daemon=True) for p in self._calls]
        self._threads.append(threading.Thread(target=self._rest, args=(platform.settings.edge_url, token), daemon=True))
        for thread in self._threads:
            thread.start()
        for path, ready in self._ready.items():
            if not ready.wait(20):
                raise BenchmarkFailed(f"{path}: the notification stream did not start")

    def _record(self, path: str, received: float, link: str, sequence: int) -> None:
        with self._lock:
            self.arrived[path].append((received, submission_of(link), sequence))

    def _grpc(self, path: str) -> None:
        with contextlib.suppress(grpc.RpcError):
            for message in self._calls[path]:
                received = time.time()
                if message.HasField("notification"):
                    n = message.notification
                    self._record(path, received, n.link, n.sequence)
                    self.stored[submission_of(n.link)] = n.create_time.seconds + n.create_time.nanos / 1e9
                self._ready[path].set()

    def _rest(self, url: str, token: str) -> None:
        with contextlib.suppress(httpx.HTTPError):  # the platform stopping ends the stream
            self._rest_stream(url, token)

    def _rest_stream(self, url: str, token: str) -> None:
        with (
            httpx.Client(base_url=url, timeout=None) as client,
            client.stream("GET", "/v1/notifications:stream", headers={"authorization": f"Bearer {token}"}) as reply,
        ):
            for line in reply.iter_lines():
                received = time.time()
                if self._stop.is_set():
                    return
                if not line.strip():
                    continue
                message = json.loads(line)
                if "notification" in message:
                    n = message["notification"]
                    self._record(REST_EDGE, received, n["link"], int(n["sequence"]))
                self._ready[REST_EDGE].set()

    def wait(self, count: int) -> None:
        deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
        while time.monotonic() < deadline:
            with self._lock:
                if all(len(a) >= count for a in self.arrived.values()):
                    return
            time.sleep(0.005)
        raise BenchmarkFailed(f"notifications did not arrive: { ({p: len(a) for p, a in self.arrived.items()}) }")

    def close(self) -> None:
        self._stop.set()
        for call in self._calls.values():
            call.cancel()
        for channel in self._channels.values():
            channel.close()


def _login(edge_url: str) -> str:
    response = httpx.post(f"{edge_url}/v1/auth:login", json=USER, timeout=10)
    if response.status_code != 200:
        raise BenchmarkFailed(f"logging in as {USER['username']}: HTTP {response.status_code} {response.text[:300]}")
    return str(response.json()["tokens"]["access_token"])


def verdict_to_stream(
    platform: Platform, source: str, submissions: int, warmup: int
) -> tuple[list[Summary], list[Summary]]:
    """The latency per path, and its split: verdict → stored by the notification service (the judge's
    outbox and SendNotification), stored → arrived on the direct stream."""
    token = _login(platform.settings.edge_url)
    metadata = (("authorization", f"Bearer {token}"),)
    streams = Streams(platform, token)
    finished: dict[str, float] = {}
    order: list[str] = []
    try:
        with grpc.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
            execution = execution_service_pb2_grpc.ExecutionServiceStub(channel)
            for index in range(warmup + submissions):
                created = execution.CreateSubmission(
                    execution_service_pb2.CreateSubmissionRequest(
                        submission={"problem_id": PROBLEM, "language_id": "python3", "source": source}
                    ),
                    metadata=metadata,
                    timeout=30,
                )
                submission_id = created.submission.submission_id
                order.append(submission_id)
                streams.wait(index + 1)
                got = execution.GetSubmission(
                    execution_service_pb2.GetSubmissionRequest(submission_id=submission_id), metadata=metadata
                ).submission
                if got.verdict != 1:
                    raise BenchmarkFailed(f"submission {submission_id}: verdict {got.verdict}, not ACCEPTED")
                finished[submission_id] = got.finish_time.seconds + got.finish_time.nanos / 1e9
    finally:
        streams.close()
    summaries = []
    for path in PATHS:
        arrived = streams.arrived[path]
        check_arrivals(path, arrived, order)
        latencies = [(received - finished[s]) * 1000 for received, s, _ in arrived[warmup:]]
        summaries.append(summarize(path, latencies))
    measured = order[warmup:]
    direct = {s: received for received, s, _ in streams.arrived[GRPC_DIRECT]}
    split = [
        summarize(
            "verdict -> stored (outbox, SendNotification)", [(streams.stored[s] - finished[s]) * 1000 for s in measured]
        ),
        summarize("stored -> direct stream", [(direct[s] - streams.stored[s]) * 1000 for s in measured]),
    ]
    return summaries, split


# -- part 2: webhook deliveries/s --------------------------------------------------------------------


class _Receiver(asyncio.Protocol):
    """The smallest HTTP/1.1 endpoint: answers every request 200 (keep-alive) and counts them."""

    count = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1").lower()
            length = 0
            for line in head.split("\r\n"):
                if line.startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if len(self.buffer) < head_end + 4 + length:
                return
            self.buffer = self.buffer[head_end + 4 + length :]
            _Receiver.count += 1
            self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")  # type: ignore[attr-defined]


def _serve(port: int) -> None:
    """The receiver process's body: serve until killed."""

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(_Receiver, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


@contextlib.contextmanager
def receiver() -> Iterator[str]:
    """A receiver in its own process (sharing no GIL with the sender); its URL once it accepts connections."""
    (port,) = free_ports(1)
    process = subprocess.Popen([sys.executable, "-c", f"from bench.notification import _serve; _serve({port})"])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise BenchmarkFailed("the webhook receiver did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        process.terminate()
        process.wait(10)


class _NoContacts:
    async def contact(self, user_id: str) -> Contact:
        raise AssertionError("webhook deliveries need no contact")


async def _worker_round(url: str, data_dir: pathlib.Path, count: int, batch: int) -> float:
    engine = make_engine(f"sqlite+aiosqlite:///{data_dir}/bench-{time.monotonic_ns()}.db")
    store = SqlNotificationStore(engine)
    await store.migrate()
    sender = WebhookSender(allowed_hosts=frozenset({"127.0.0.1"}))
    now = utcnow()
    await store.add_webhook(Webhook("w1", "u1", url, frozenset(), SECRET, False, now), limit=10)
    for i in range(count):
        new = NewNotification("u1", Kind.ANNOUNCEMENT, f"n{i}", "body", "/x", f"k{i}")
        await store.create(f"n{i:08d}", new, True, [PlannedDelivery(f"d{i:08d}", DeliveryChannel.WEBHOOK, "w1")], now)
    worker = Deliverer(
        store,
        mailer=None,
        webhooks=sender,
        contacts=_NoContacts(),
        policy=RetryPolicy(first_s=0.001, max_s=0.002),  # a failed attempt (timed out under load) is due again at once
        app_url="http://x",
        clock=utcnow,
        batch=batch,
    )
    started = time.perf_counter()
    attempts = 0
    while attempts < 2 * count:
        done = await worker.deliver_due()
        attempts += done
        if done == 0 and await store.pending_count() == 0:
            break
    elapsed = time.perf_counter() - started
    if await store.pending_count() != 0:
        raise BenchmarkFailed(f"deliveries still pending after {attempts} attempts")
    if attempts > count:
        print(f"  ({attempts - count} attempts failed and were retried)", flush=True)
    await sender.close()
    await engine.dispose()
    return count / elapsed


async def _raw_round(url: str, count: int, batch: int) -> float:
    sender = WebhookSender(allowed_hosts=frozenset({"127.0.0.1"}))
    now = utcnow()
    from arena.notification.domain import Notification

    bodies = [
        webhook_payload(Notification(f"n{i:08d}", "u1", Kind.ANNOUNCEMENT, f"n{i}", "body", "/x", now, i + 1), now)
        for i in range(count)
    ]
    started = time.perf_counter()
    for first in range(0, count, batch):
        todo = list(range(first, min(count, first + batch)))
        for _attempt in range(3):  # like the worker, a failed send (timed out under load) is sent again
            outcomes = await asyncio.gather(*(sender.send(url, SECRET, f"d{i:08d}", bodies[i]) for i in todo))
            todo = [i for i, o in zip(todo, outcomes, strict=True) if not o.delivered]
            if not todo:
                break
        if todo:
            raise BenchmarkFailed(f"raw sends failed three times: {[o.error for o in outcomes if not o.delivered][:3]}")
    elapsed = time.perf_counter() - started
    await sender.close()
    return count / elapsed


def webhook_rates(count: int, rounds: int, batch: int = 100) -> dict[str, list[float]]:
    # The worker logs as it does in the service: JSON lines at info (a delivered attempt is debug).
    kit_logging.configure(service="bench", instance_id="bench", level="info", stream=open(os.devnull, "w"))  # noqa: SIM115
    rates: dict[str, list[float]] = {WORKER: [], RAW: []}
    with receiver() as url, tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
        asyncio.run(_raw_round(url, min(count, 200), batch))  # warm-up
        for round_index in range(rounds):
            rates[WORKER].append(asyncio.run(_worker_round(url, pathlib.Path(tmp), count, batch)))
            rates[RAW].append(asyncio.run(_raw_round(url, count, batch)))
            print(
                f"  [round {round_index + 1}/{rounds}] worker {rates[WORKER][-1]:,.0f}/s, raw {rates[RAW][-1]:,.0f}/s",
                flush=True,
            )
    return rates


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="webhook rounds")
    parser.add_argument("--duration-s", type=float, default=5.0, help="sets the submission count (2 per second)")
    parser.add_argument("--warmup-s", type=float, default=1.0, help="warm-up submissions (rounded, >= 1)")
    parser.add_argument("--webhooks", type=int, default=1000, help="deliveries per webhook round")
    args = parser.parse_args(argv)
    submissions = max(3, round(SUBMISSIONS_PER_SECOND * args.duration_s))
    warmup = max(1, round(args.warmup_s))
    from arena.demo import problems

    source = next(p for p in problems.load() if p.slug == PROBLEM).solutions["accepted.py"][1]
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="bench-notification-") as tmp,
        platform_with(pathlib.Path(tmp), demo_data=True) as platform,
    ):
        print(f"platform up in {time.monotonic() - started:.1f} s", flush=True)
        print(f"Verdict -> in-app stream of the submitter, {submissions} submissions one at a time:", flush=True)
        summaries, split = verdict_to_stream(platform, source, submissions, warmup)
    print(latency_table(summaries))
    print("\nwhere the time goes (direct path):")
    print(latency_table(split))
    print(f"\nWebhook deliveries/s, {args.webhooks} per round, 100 at once:", flush=True)
    rates = webhook_rates(args.webhooks, args.rounds)
    worker, raw = median(rates[WORKER]), median(rates[RAW])
    print(f"| path | deliveries/s (median of {args.rounds}) | x baseline |\n|---|---:|---:|")
    print(f"| {WORKER} | {worker:,.0f} | {worker / raw:.2f} |\n| {RAW} | {raw:,.0f} | 1.00 |")
    cells = [
        Cell("verdict->stream", s.path, 1, 0.0, s.p50_ms, s.p99_ms, 0, [dataclasses.asdict(s)])
        for s in [*summaries, *split]
    ]
    cells += [Cell("webhooks", name, 100, median(r), 0.0, 0.0, 0, [{"rates": r}]) for name, r in rates.items()]
    path = write_results("notification", cells, {"time_utc": dt.datetime.now(dt.UTC).isoformat()})
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
