"""Benchmark: the caller's CPU per call when an upstream runs several instances.

Two instances of the same trivial server (``bench.call_servers bare``, one process each) and, in
this process, the same calls (ProblemInternalService.BatchGetProblemSummaries, same request) by:

- ``bare stubs, round robin``: the baseline, grpc.aio stubs alternating over one channel per instance;
- ``kit client, 2 instances``: ``arena.kit.client`` with discovery listing both (per-instance
  breakers, round robin over the instances whose breaker lets calls through, deadlines, metrics);
- ``kit client, 1 instance``: the same client with one instance listed (the one-instance shape).

Each cell makes the same number of calls; the figure is this process's CPU (``time.process_time``)
per call, reported as a ratio against the baseline measured in the same round. Bounded: ``--calls``
per cell and round, ``--rounds`` rounds, concurrency 1 and 16.

    python -m bench.instances [--rounds 3] [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import pathlib
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence

import grpc

from arena.kit.client import Clients
from arena.kit.discovery import Instance
from arena.kit.metrics import Metrics
from arena.problem.v1 import problem_internal_service_pb2_grpc
from bench.calls import BARE, REQUEST, Server, _answers
from bench.system import free_ports

BASELINE = "bare stubs, round robin"
KIT_TWO = "kit client, 2 instances"
KIT_ONE = "kit client, 1 instance"
CONCURRENCY = (1, 16)


class Listed:
    source = "static"

    def __init__(self, instances: list[Instance]) -> None:
        self._instances = instances

    async def instances(self, service: str) -> list[Instance]:
        return list(self._instances)

    async def close(self) -> None:
        pass


async def _drive(call: Callable[[], Awaitable[object]], calls: int, concurrency: int) -> float:
    """CPU seconds of this process for ``calls`` calls made by ``concurrency`` workers."""
    counter = itertools.count()

    async def worker() -> None:
        while next(counter) < calls:
            await call()

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.process_time() - started


async def measure(ports: Sequence[int], *, rounds: int, calls: int) -> dict[tuple[str, int], list[float]]:
    instances = [Instance("problem", f"problem-{k + 1}", "127.0.0.1", port, port + 1) for k, port in enumerate(ports)]
    channels = [grpc.aio.insecure_channel(i.grpc_target) for i in instances]
    stubs = [problem_internal_service_pb2_grpc.ProblemInternalServiceStub(c) for c in channels]
    turn = itertools.count()

    async def bare() -> object:
        return await stubs[next(turn) % len(stubs)].BatchGetProblemSummaries(REQUEST, timeout=5)

    kit_two = Clients(Listed(instances), Metrics("bench"), caller="bench")
    kit_one = Clients(Listed(instances[:1]), Metrics("bench"), caller="bench")
    two = kit_two.stub(problem_internal_service_pb2_grpc.ProblemInternalServiceStub, "problem")
    one = kit_one.stub(problem_internal_service_pb2_grpc.ProblemInternalServiceStub, "problem")
    paths: dict[str, Callable[[], Awaitable[object]]] = {
        BASELINE: bare,
        KIT_TWO: lambda: two.BatchGetProblemSummaries(REQUEST),
        KIT_ONE: lambda: one.BatchGetProblemSummaries(REQUEST),
    }
    samples: dict[tuple[str, int], list[float]] = {}
    try:
        for path in paths.values():  # warm up every channel and cache
            await _drive(path, 200, 4)
        for round_index in range(rounds):
            for concurrency in CONCURRENCY:
                for name, path in paths.items():
                    cpu_s = await _drive(path, calls, concurrency)
                    samples.setdefault((name, concurrency), []).append(cpu_s / calls * 1e6)
            print(f"  round {round_index + 1}/{rounds} done", flush=True)
    finally:
        for channel in channels:
            await channel.close()
        await kit_two.close()
        await kit_one.close()
    return samples


def table(samples: dict[tuple[str, int], list[float]]) -> str:
    lines = [f"| caller | concurrency | µs CPU per call (median) | x {BASELINE} |", "|---|---:|---:|---:|"]
    for concurrency in CONCURRENCY:
        reference = statistics.median(samples[(BASELINE, concurrency)])
        for name in (BASELINE, KIT_TWO, KIT_ONE):
            value = statistics.median(samples[(name, concurrency)])
            lines.append(f"| {name} | {concurrency} | {value:.0f} | {value / reference:.2f} |")
    return "\n".join(lines)


@contextlib.contextmanager
def two_bare_servers() -> Iterator[list[Server]]:
    root = pathlib.Path(__file__).resolve().parents[1]
    started = [
        Server(BARE, port, subprocess.Popen([sys.executable, "-m", "bench.call_servers", "bare", str(port)], cwd=root))
        for port in free_ports(2)
    ]
    try:
        deadline = time.monotonic() + 30
        for server in started:
            while not _answers(server):
                if time.monotonic() > deadline or server.process.poll() is not None:
                    raise RuntimeError("a bare server did not start")
                time.sleep(0.1)
        yield started
    finally:
        for server in started:
            server.process.terminate()
        for server in started:
            server.process.wait(10)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=2000, help="calls per cell and round")
    args, _ = parser.parse_known_args(argv)
    with two_bare_servers() as pair:
        samples = asyncio.run(measure([s.port for s in pair], rounds=args.rounds, calls=args.calls))
    print(table(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
