"""Benchmark: what one call costs.

1. Server CPU per call: the same trivial servicer (BatchGetProblemSummaries answered from
   constants) on bare grpc.aio, behind the kit's middleware chain (as every service runs it),
   the chain without its access log line, and the same work as a FastAPI + orjson endpoint;
   driven by h2load/wrk, CPU read from each server process's /proc stat.
2. An internal service-to-service call: the kit's client (discovery, deadline, breaker, metrics)
   calling over gRPC, against httpx.AsyncClient posting JSON to the FastAPI endpoint; p50/p99 and
   CPU per call on both the calling and the called side, at concurrency 1 and 16.

    python -m bench.calls [--rounds 3] [--duration-s 1.5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import pathlib
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence

import grpc
import httpx
import orjson

from arena.kit.client import Clients
from arena.kit.config import load_platform
from arena.kit.discovery import StaticDiscovery
from arena.kit.metrics import Metrics
from arena.problem.v1 import problem_internal_service_pb2, problem_internal_service_pb2_grpc
from bench.call_servers import IDS
from bench.harness import H2Load, Wrk, percentile, write_results
from bench.system import free_ports, grpc_frame

BARE, KIT, KIT_QUIET, FASTAPI = "bare grpc.aio", "kit middleware", "kit middleware, no access log", "FastAPI + orjson"
MODES = {BARE: "bare", KIT: "kit", KIT_QUIET: "kit-quiet", FASTAPI: "fastapi"}
METHOD = "/arena.problem.v1.ProblemInternalService/BatchGetProblemSummaries"
HTTP_PATH = "/internal/problem-summaries"
REQUEST = problem_internal_service_pb2.BatchGetProblemSummariesRequest(problem_ids=IDS)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds_from_stat(stat: str) -> float:
    """utime + stime of a process, from the text of /proc/<pid>/stat (the name may hold spaces)."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def per_call_us(cpu_s: float, calls: int) -> float:
    return cpu_s / calls * 1e6 if calls else float("nan")


@dataclasses.dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen

    def cpu_s(self) -> float:
        return cpu_seconds_from_stat(pathlib.Path(f"/proc/{self.process.pid}/stat").read_text())


@contextlib.contextmanager
def servers() -> Iterator[dict[str, Server]]:
    ports = free_ports(len(MODES))
    root = pathlib.Path(__file__).resolve().parents[1]
    started = {
        name: Server(
            name,
            port,
            subprocess.Popen([sys.executable, "-m", "bench.call_servers", mode, str(port)], cwd=root),
        )
        for (name, mode), port in zip(MODES.items(), ports, strict=True)
    }
    try:
        deadline = time.monotonic() + 30
        for server in started.values():
            while not _answers(server):
                if time.monotonic() > deadline or server.process.poll() is not None:
                    raise RuntimeError(f"{server.name} did not start")
                time.sleep(0.1)
        yield started
    finally:
        for server in started.values():
            server.process.terminate()
        for server in started.values():
            server.process.wait(10)


def _answers(server: Server) -> bool:
    if server.name == FASTAPI:
        with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
            url = f"http://127.0.0.1:{server.port}{HTTP_PATH}"
            return len(httpx.post(url, json={"problem_ids": list(IDS)}).json()["problems"]) == len(IDS)
        return False
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = problem_internal_service_pb2_grpc.ProblemInternalServiceStub(channel)
        with contextlib.suppress(grpc.RpcError):
            return len(stub.BatchGetProblemSummaries(REQUEST, timeout=1).problems) == len(IDS)
    return False


# -- 1. server CPU per call under a native load generator ----------------------------------------


@dataclasses.dataclass(frozen=True)
class ServerCost:
    server: str
    concurrency: int
    throughput: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_call: float
    errors: int


def server_loads(started: dict[str, Server]) -> dict[str, H2Load | Wrk]:
    grpc_headers = (("content-type", "application/grpc"), ("te", "trailers"))
    loads: dict[str, H2Load | Wrk] = {
        name: H2Load(
            f"http://127.0.0.1:{started[name].port}{METHOD}",
            body=grpc_frame(REQUEST.SerializeToString()),
            headers=grpc_headers,
        )
        for name in (BARE, KIT, KIT_QUIET)
    }
    loads[FASTAPI] = Wrk(
        f"http://127.0.0.1:{started[FASTAPI].port}{HTTP_PATH}",
        method="POST",
        body=orjson.dumps({"problem_ids": list(IDS)}),
        headers=(("content-type", "application/json"),),
    )
    return loads


def server_costs(
    started: dict[str, Server], *, concurrency: int, rounds: int, duration_s: float, warmup_s: float
) -> list[ServerCost]:
    loads = server_loads(started)
    for load in loads.values():
        load.run(duration_s=warmup_s, connections=concurrency)
    samples: dict[str, list[tuple[float, float, float, float, int]]] = {name: [] for name in loads}
    for round_index in range(rounds):
        for name, load in loads.items():
            before = started[name].cpu_s()
            result = load.run(duration_s=duration_s, connections=concurrency)
            cost = per_call_us(started[name].cpu_s() - before, result.requests)
            samples[name].append((result.throughput, result.p50_ms, result.p99_ms, cost, result.errors))
            print(
                f"  [server cost c={concurrency} round {round_index + 1}/{rounds}] {name}: {cost:.0f} µs CPU/call",
                flush=True,
            )
    return [
        ServerCost(
            name,
            concurrency,
            statistics.median(s[0] for s in rows),
            statistics.median(s[1] for s in rows),
            statistics.median(s[2] for s in rows),
            statistics.median(s[3] for s in rows),
            sum(s[4] for s in rows),
        )
        for name, rows in samples.items()
    ]


def server_cost_table(costs: Sequence[ServerCost], *, baseline: str = BARE) -> str:
    reference = {c.concurrency: c.cpu_us_per_call for c in costs if c.server == baseline}
    lines = [
        f"| server | concurrency | req/s | p50 ms | p99 ms | errors | µs CPU per call | x {baseline} CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in costs:
        ratio = c.cpu_us_per_call / reference[c.concurrency] if reference.get(c.concurrency) else float("nan")
        lines.append(
            f"| {c.server} | {c.concurrency} | {c.throughput:,.0f} | {c.p50_ms:.3f} | {c.p99_ms:.3f} | {c.errors} | "
            f"{c.cpu_us_per_call:.0f} | {ratio:.2f} |"
        )
    return "\n".join(lines)


# -- 2. an internal call from this process -------------------------------------------------------

GRPC_KIT = "gRPC: kit client -> kit server"
GRPC_BARE = "gRPC: bare grpc.aio stub -> bare server"
HTTP_JSON = "HTTP/JSON: httpx -> FastAPI"


@dataclasses.dataclass(frozen=True)
class CallCost:
    path: str
    concurrency: int
    calls_per_s: float
    p50_ms: float
    p99_ms: float
    client_cpu_us: float
    server_cpu_us: float


def summarize_calls(
    path: str, concurrency: int, latencies_s: Sequence[float], wall_s: float, client_cpu_s: float, server_cpu_s: float
) -> CallCost:
    ordered = sorted(latencies_s)
    return CallCost(
        path=path,
        concurrency=concurrency,
        calls_per_s=len(ordered) / wall_s if wall_s else 0.0,
        p50_ms=percentile(ordered, 0.5) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        client_cpu_us=per_call_us(client_cpu_s, len(ordered)),
        server_cpu_us=per_call_us(server_cpu_s, len(ordered)),
    )


def median_cost(rounds: Sequence[CallCost]) -> CallCost:
    first = rounds[0]
    return CallCost(
        first.path,
        first.concurrency,
        *(
            statistics.median(getattr(r, f) for r in rounds)
            for f in ("calls_per_s", "p50_ms", "p99_ms", "client_cpu_us", "server_cpu_us")
        ),
    )


async def drive(
    call: Callable[[], Awaitable[int]], *, concurrency: int, duration_s: float
) -> tuple[list[float], float]:
    """``concurrency`` callers calling back to back for ``duration_s``; each call's latency, and the wall time."""
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + duration_s

    async def caller() -> None:
        while time.perf_counter() < deadline:
            begun = time.perf_counter()
            if await call() != len(IDS):
                raise RuntimeError("a call returned the wrong answer")
            latencies.append(time.perf_counter() - begun)

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


async def internal_calls(
    started: dict[str, Server], *, concurrencies: Sequence[int], rounds: int, duration_s: float, warmup_s: float
) -> list[CallCost]:
    env = {"ARENA_PROBLEM_GRPC_PORT": str(started[KIT].port), "ARENA_DATA_DIR": "/tmp"}
    clients = Clients(StaticDiscovery(load_platform(env)), Metrics("bench-caller"), caller="bench")
    summaries = clients.stub(problem_internal_service_pb2_grpc.ProblemInternalServiceStub, "problem")
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{started[BARE].port}")
    bare = problem_internal_service_pb2_grpc.ProblemInternalServiceStub(channel)
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{started[FASTAPI].port}", timeout=5)
    body = {"problem_ids": list(IDS)}

    async def kit_call() -> int:
        return len((await summaries.BatchGetProblemSummaries(REQUEST, timeout_s=5)).problems)

    async def bare_call() -> int:
        return len((await bare.BatchGetProblemSummaries(REQUEST, timeout=5)).problems)

    async def http_call() -> int:
        response = await http.post(HTTP_PATH, json=body)
        response.raise_for_status()
        return len(response.json()["problems"])

    paths = {
        GRPC_KIT: (kit_call, started[KIT]),
        GRPC_BARE: (bare_call, started[BARE]),
        HTTP_JSON: (http_call, started[FASTAPI]),
    }
    costs = []
    try:
        for concurrency in concurrencies:
            for call, _ in paths.values():
                await drive(call, concurrency=concurrency, duration_s=warmup_s)
            measured: dict[str, list[CallCost]] = {path: [] for path in paths}
            for round_index in range(rounds):
                for path, (call, server) in paths.items():
                    client_before, server_before = time.process_time(), server.cpu_s()
                    latencies, wall_s = await drive(call, concurrency=concurrency, duration_s=duration_s)
                    cost = summarize_calls(
                        path,
                        concurrency,
                        latencies,
                        wall_s,
                        time.process_time() - client_before,
                        server.cpu_s() - server_before,
                    )
                    measured[path].append(cost)
                    print(
                        f"  [internal call c={concurrency} round {round_index + 1}/{rounds}] {path}: "
                        f"p50 {cost.p50_ms:.3f} ms, CPU {cost.client_cpu_us:.0f} + {cost.server_cpu_us:.0f} µs",
                        flush=True,
                    )
            costs += [median_cost(rounds_) for rounds_ in measured.values()]
    finally:
        await http.aclose()
        await channel.close()
        await clients.close()
    return costs


def call_table(costs: Sequence[CallCost], *, baseline: str = HTTP_JSON) -> str:
    reference = {c.concurrency: c for c in costs if c.path == baseline}
    lines = [
        f"| path | concurrency | calls/s | p50 ms | p99 ms | caller µs CPU/call | callee µs CPU/call | "
        f"total µs CPU/call | x {baseline} (calls/s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in costs:
        base = reference.get(c.concurrency)
        ratio = c.calls_per_s / base.calls_per_s if base and base.calls_per_s else float("nan")
        lines.append(
            f"| {c.path} | {c.concurrency} | {c.calls_per_s:,.0f} | {c.p50_ms:.3f} | {c.p99_ms:.3f} | "
            f"{c.client_cpu_us:.0f} | {c.server_cpu_us:.0f} | {c.client_cpu_us + c.server_cpu_us:.0f} | {ratio:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration-s", type=float, default=1.5)
    parser.add_argument("--warmup-s", type=float, default=0.5)
    parser.add_argument("--server-concurrency", type=int, default=8, help="load generator connections in part 1")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16], help="callers at once in part 2")
    args = parser.parse_args(argv)
    with servers() as started:
        print("Server CPU per call:", flush=True)
        costs = server_costs(
            started,
            concurrency=args.server_concurrency,
            rounds=args.rounds,
            duration_s=args.duration_s,
            warmup_s=args.warmup_s,
        )
        print("Internal call:", flush=True)
        calls = asyncio.run(
            internal_calls(
                started,
                concurrencies=args.concurrency,
                rounds=args.rounds,
                duration_s=args.duration_s,
                warmup_s=args.warmup_s,
            )
        )
    path = write_results(
        "calls",
        [],
        {
            "server_cost": [dataclasses.asdict(c) for c in costs],
            "internal_call": [dataclasses.asdict(c) for c in calls],
        },
    )
    print(
        "\n## Server CPU per call (same trivial servicer; h2load/wrk, "
        f"{args.server_concurrency} connections)\n\n"
        + server_cost_table(costs)
        + "\n\n## Internal call: 4 problem summaries by id (kit client over gRPC vs httpx + FastAPI over HTTP/JSON)\n\n"
        + call_table(calls)
        + f"\n\nresults: {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
