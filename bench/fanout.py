"""Benchmark: realtime fan-out across instances. 1,000 subscribers of one topic spread over 2 realtime
instances sharing a NATS JetStream broker, against the baseline of the same 1,000 subscribers on 1 instance
with the in-process hub (the one-instance default). The same publisher sends the same messages to each:
one internal Publish call to the (first) instance at a time, ``--interval-ms`` apart, the publish wall time
in the payload; every subscriber records when each message arrived.

A sample is one delivery: arrival minus publish time (client and publisher are one process, so one clock).
Per message, "all delivered" is the last subscriber's arrival. The configurations take turns, one round
each (hub, NATS, hub, NATS, ...), so the shared machine's noise hits both alike. Every subscriber must get
every message once, in sequence order, or the benchmark fails.

    python -m bench.fanout [--rounds 3] [--subscribers 1000] [--messages 20] [--interval-ms 500]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import pathlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence

import grpc
from google.protobuf import struct_pb2

from arena.broker.server import NatsServer
from arena.kit.services import SERVICES
from arena.launcher import LaunchSettings, Platform, ServicePorts
from arena.realtime.v1 import (
    realtime_internal_service_pb2,
    realtime_internal_service_pb2_grpc,
    realtime_service_pb2,
    realtime_service_pb2_grpc,
)
from bench.harness import Cell, percentile, write_results
from bench.sandbox import BenchmarkFailed
from bench.system import free_ports

HUB, NATS = "1 instance, in-process hub", "2 instances, NATS JetStream"
BASELINE = HUB
STREAMS_PER_CHANNEL = 50
"""Subscriber streams sharing one HTTP/2 connection (each channel its own connection)."""
ROUND_TIMEOUT_S = 60.0


# -- pure helpers --------------------------------------------------------------------------------


def spread(subscribers: int, instances: int) -> list[int]:
    """How many subscribers each instance gets: as even as can be, the first ones one more."""
    if subscribers < 1 or instances < 1:
        raise ValueError("at least one subscriber and one instance")
    share, extra = divmod(subscribers, instances)
    return [share + (1 if i < extra else 0) for i in range(instances)]


@dataclasses.dataclass(frozen=True)
class RoundResult:
    """One round of one configuration: every delivery's latency and, per message, the slowest one's."""

    latencies_ms: list[float]
    all_delivered_ms: list[float]
    duration_s: float


def check_and_measure(
    arrivals: Sequence[Sequence[tuple[int, float, float]]], first_sequence: int, messages: int
) -> RoundResult:
    """``arrivals``: per subscriber its (sequence, publish time, arrival time) in arrival order. Each must have
    sequences ``first_sequence`` .. ``first_sequence + messages - 1`` exactly once, in order."""
    expected = list(range(first_sequence, first_sequence + messages))
    latencies: list[float] = []
    slowest = [0.0] * messages
    first_sent, last_arrival = float("inf"), 0.0
    for index, received in enumerate(arrivals):
        sequences = [s for s, _, _ in received]
        if sequences != expected:
            raise BenchmarkFailed(f"subscriber {index}: sequences {sequences[:5]}... are not {expected[:5]}...")
        for position, (_, sent, arrived) in enumerate(received):
            latency = (arrived - sent) * 1000
            latencies.append(latency)
            slowest[position] = max(slowest[position], latency)
            first_sent, last_arrival = min(first_sent, sent), max(last_arrival, arrived)
    return RoundResult(latencies, slowest, max(0.0, last_arrival - first_sent))


def summarize(configuration: str, scenario: str, subscribers: int, rounds: Sequence[RoundResult]) -> list[Cell]:
    """Two cells per configuration: per delivery and per message (all delivered), each the median round's
    p50/p99; throughput is deliveries per second of the round."""
    cells = []
    for kind, pick in (("per delivery", "latencies_ms"), ("all delivered", "all_delivered_ms")):
        p50s, p99s = [], []
        for result in rounds:
            values = sorted(getattr(result, pick))
            p50s.append(percentile(values, 0.50))
            p99s.append(percentile(values, 0.99))
        cells.append(
            Cell(
                configuration=configuration,
                scenario=f"{scenario}: {kind}",
                concurrency=subscribers,
                throughput=statistics.median(
                    len(r.latencies_ms) / r.duration_s if r.duration_s else 0.0 for r in rounds
                ),
                p50_ms=statistics.median(p50s),
                p99_ms=statistics.median(p99s),
                errors=0,
                rounds=[{"p50_ms": a, "p99_ms": b} for a, b in zip(p50s, p99s, strict=True)],
            )
        )
    return cells


def table(cells: Sequence[Cell]) -> str:
    """p50/p99 with their ratios against the baseline's cell of the same kind."""
    lines = [
        f"| scenario | subscribers | deliveries/s | p50 ms | p99 ms | p50 x {BASELINE} | p99 x {BASELINE} |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for cell in cells:
        kind = cell.scenario.split(": ", 1)[1]
        base = next(c for c in cells if c.scenario == f"{BASELINE}: {kind}")
        lines.append(
            f"| {cell.scenario} | {cell.concurrency:,} | {cell.throughput:,.0f} | {cell.p50_ms:.2f} | "
            f"{cell.p99_ms:.2f} | {cell.p50_ms / base.p50_ms:.2f} | {cell.p99_ms / base.p99_ms:.2f} |"
        )
    return "\n".join(lines)


# -- the systems -----------------------------------------------------------------------------------


@contextlib.contextmanager
def realtime_instances(data_dir: pathlib.Path, count: int, nats_url: str | None) -> Iterator[list[ServicePorts]]:
    """``count`` realtime service processes (with ``ARENA_NATS_URL`` when given), stopped after the block."""
    platforms = []
    try:
        for index in range(count):
            ports = free_ports(2 * len(SERVICES))
            table_ = {s.name: ServicePorts(ports[2 * i], ports[2 * i + 1]) for i, s in enumerate(SERVICES)}
            settings = LaunchSettings(
                data_dir=data_dir / f"realtime-{'nats' if nats_url else 'hub'}-{index}",
                ports=table_,
                demo_data=False,
                extra_env={"ARENA_NATS_URL": nats_url} if nats_url else {},
            )
            settings.log_dir.mkdir(parents=True, exist_ok=True)
            platform = Platform(settings)
            platforms.append(platform)
            platform.start_service("realtime")
            platform.wait_serving("realtime", time.monotonic() + 60)
        yield [p.settings.ports["realtime"] for p in platforms]
    finally:
        for platform in platforms:
            platform.stop()


class Fanout:
    """Subscribers spread over instances, and one publisher on the first instance."""

    def __init__(self, instances: Sequence[ServicePorts], subscribers: int, topic: str) -> None:
        self.topic = topic
        self.channels: list[grpc.aio.Channel] = []
        self.streams: list[grpc.aio.UnaryStreamCall] = []
        self.arrivals: list[list[tuple[int, float, float]]] = []
        self._instances = instances
        self._subscribers = subscribers
        self._readers: list[asyncio.Task[None]] = []
        self.publisher: grpc.aio.Channel | None = None

    async def open(self) -> None:
        for ports, share in zip(self._instances, spread(self._subscribers, len(self._instances)), strict=True):
            for start in range(0, share, STREAMS_PER_CHANNEL):
                channel = grpc.aio.insecure_channel(
                    f"127.0.0.1:{ports.grpc}", options=[("grpc.use_local_subchannel_pool", 1)]
                )
                self.channels.append(channel)
                stub = realtime_service_pb2_grpc.RealtimeServiceStub(channel)
                for _ in range(min(STREAMS_PER_CHANNEL, share - start)):
                    call = stub.Subscribe(realtime_service_pb2.SubscribeRequest(topics=[self.topic]))
                    first = await asyncio.wait_for(call.read(), 30)
                    if first is grpc.aio.EOF or not first.HasField("subscribed"):
                        raise BenchmarkFailed("a subscription was not acknowledged")
                    self.streams.append(call)
                    received: list[tuple[int, float, float]] = []
                    self.arrivals.append(received)
                    self._readers.append(asyncio.create_task(self._read(call, received)))
        self.publisher = grpc.aio.insecure_channel(f"127.0.0.1:{self._instances[0].grpc}")

    @staticmethod
    async def _read(call: grpc.aio.UnaryStreamCall, into: list[tuple[int, float, float]]) -> None:
        while (response := await call.read()) is not grpc.aio.EOF:
            if response.HasField("message"):
                message = response.message
                into.append((message.sequence, message.payload["t"], time.time()))

    async def round(self, messages: int, interval_s: float) -> RoundResult:
        assert self.publisher is not None
        for received in self.arrivals:
            received.clear()
        stub = realtime_internal_service_pb2_grpc.RealtimeInternalServiceStub(self.publisher)
        first_sequence = 0
        for index in range(messages):
            payload = struct_pb2.Struct()
            payload.update({"t": time.time(), "i": index})
            request = realtime_internal_service_pb2.PublishRequest(
                topic=self.topic, event_type="bench.tick", payload=payload
            )
            response = await stub.Publish(request, timeout=10)
            first_sequence = first_sequence or response.sequence
            await asyncio.sleep(interval_s)
        deadline = time.monotonic() + ROUND_TIMEOUT_S
        while any(len(r) < messages for r in self.arrivals):
            if time.monotonic() > deadline:
                short = sum(1 for r in self.arrivals if len(r) < messages)
                raise BenchmarkFailed(f"{short} subscribers did not get all {messages} messages in time")
            await asyncio.sleep(0.01)
        return check_and_measure(self.arrivals, first_sequence, messages)

    async def close(self) -> None:
        for call in self.streams:
            call.cancel()
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        for channel in [*self.channels, *([self.publisher] if self.publisher else [])]:
            await channel.close()


async def measure(
    systems: dict[str, Sequence[ServicePorts]], subscribers: int, rounds: int, messages: int, interval_s: float
) -> list[Cell]:
    fanouts = {
        name: Fanout(ports, subscribers, f"contests/bench{time.time_ns()}/fanout") for name, ports in systems.items()
    }
    try:
        for name, fanout in fanouts.items():
            await fanout.open()
            await fanout.round(min(3, messages), interval_s)  # warm-up: consumers made, paths warm
            print(f"  {name}: {subscribers} subscribers ready", flush=True)
        results: dict[str, list[RoundResult]] = {name: [] for name in fanouts}
        for index in range(rounds):
            for name, fanout in fanouts.items():
                result = await fanout.round(messages, interval_s)
                results[name].append(result)
                ordered = sorted(result.all_delivered_ms)
                print(
                    f"  [round {index + 1}/{rounds}] {name}: all delivered p50 {percentile(ordered, 0.5):.1f} ms,"
                    f" p99 {percentile(ordered, 0.99):.1f} ms",
                    flush=True,
                )
    finally:
        for fanout in fanouts.values():
            await fanout.close()
    cells: list[Cell] = []
    for name, measured in results.items():
        cells += summarize(f"{subscribers:,} subscribers", name, subscribers, measured)
    return cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--duration-s", type=float, default=None, help="(bench.run --quick) fewer messages")
    parser.add_argument("--warmup-s", type=float, default=None, help="(accepted for bench.run; warm-up is 3 messages)")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20, help="messages per round")
    parser.add_argument("--interval-ms", type=float, default=500.0, help="between two publishes")
    args = parser.parse_args(argv)
    if not 1 <= args.subscribers <= 5000 or not 1 <= args.messages <= 1000 or not 1 <= args.rounds <= 20:
        parser.error("--subscribers 1..5000, --messages 1..1000, --rounds 1..20")
    messages = 5 if args.duration_s is not None and args.duration_s <= 1 else args.messages
    with tempfile.TemporaryDirectory(prefix="arena-bench-fanout-") as scratch:
        root = pathlib.Path(scratch)
        (broker_port,) = free_ports(1)
        broker = NatsServer(broker_port, root / "nats", root / "nats.log")
        broker.start()
        try:
            with (
                realtime_instances(root, 1, None) as hub,
                realtime_instances(root, 2, broker.url) as shared,
            ):
                cells = asyncio.run(
                    measure({HUB: hub, NATS: shared}, args.subscribers, args.rounds, messages, args.interval_ms / 1000)
                )
        except BenchmarkFailed as failure:
            print(f"fanout benchmark failed: {failure}", file=sys.stderr)
            return 1
        finally:
            broker.stop()
    print()
    print(table(cells))
    path = write_results(
        "fanout",
        cells,
        {"subscribers": args.subscribers, "messages": messages, "interval_ms": args.interval_ms, "baseline": BASELINE},
    )
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
