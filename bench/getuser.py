"""Benchmark: GetUser on the same data by native gRPC, REST through Envoy, gRPC-Web (through Envoy
and straight to sonora), against a FastAPI baseline doing the same work; concurrency 1 and 32;
the user service in one process and in N processes sharing its ports (SO_REUSEPORT).

Like for like, both in the same run: (a) ``cached`` — the service and the baseline both keep the
serialized answer in the same 2 s cache; (b) ``store each time`` — both read the database through
the same store on every request (the service with ``ARENA_READ_CACHE_TTL_S=0``).

    python -m bench.getuser [--rounds 3] [--duration-s 1.5] [--processes N] [--modes cached ...]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
from collections.abc import Sequence

import httpx

from arena.launcher import Platform
from arena.user.v1 import user_service_pb2
from bench import harness
from bench.harness import Cell, H2Load, Wrk, markdown_table, run_interleaved, write_results
from bench.system import CACHED, UNCACHED, cache_ttl_s, fastapi_baseline, grpc_frame, platform_with

BASELINE = "FastAPI baseline"
PASSWORD = "throughput matters"
MODES = (CACHED, UNCACHED)


def configuration_label(processes: int, mode: str) -> str:
    return f"{processes} process{'es' if processes > 1 else ''}, {mode}"


def mode_of(configuration: str) -> str:
    return configuration.rsplit(", ", 1)[1]


def seed_user(edge_url: str) -> str:
    with httpx.Client(base_url=edge_url) as rest:
        rest.post("/v1/users", json={"username": "bench", "email": "bench@example.com", "password": PASSWORD})
        users = rest.post("/v1/auth:login", json={"username": "bench", "password": PASSWORD}).json()
    return users["user"]["user_id"]


def scenarios(platform: Platform, baseline_url: str, user_id: str) -> dict:
    ports = platform.settings.ports["user"]
    body = grpc_frame(user_service_pb2.GetUserRequest(user_id=user_id).SerializeToString())
    grpc_web = (("content-type", "application/grpc-web+proto"), ("x-grpc-web", "1"))
    path = "/arena.user.v1.UserService/GetUser"
    return {
        BASELINE: Wrk(f"{baseline_url}/users/{user_id}"),
        "native gRPC": H2Load(
            f"http://127.0.0.1:{ports.grpc}{path}",
            body=body,
            headers=(("content-type", "application/grpc"), ("te", "trailers")),
        ),
        "REST via Envoy": Wrk(f"{platform.settings.edge_url}/v1/users/{user_id}"),
        "gRPC-Web via Envoy": Wrk(f"{platform.settings.edge_url}{path}", method="POST", body=body, headers=grpc_web),
        "gRPC-Web to sonora": Wrk(f"http://127.0.0.1:{ports.web}{path}", method="POST", body=body, headers=grpc_web),
    }


def check_answers(platform: Platform, baseline_url: str, user_id: str) -> None:
    """Every scenario must return the user, with the same fields, or the numbers would measure errors."""
    base = httpx.get(f"{baseline_url}/users/{user_id}").json()["user"]
    edge = httpx.get(f"{platform.settings.edge_url}/v1/users/{user_id}").json()["user"]
    assert base["user_id"] == edge["user_id"] == user_id
    assert set(base) <= set(edge), f"the baseline answers other fields: {sorted(set(base) ^ set(edge))}"


def targets(cells: Sequence[Cell]) -> list[str]:
    def cell(configuration: str, concurrency: int, scenario: str) -> Cell:
        return next(
            c for c in cells if (c.configuration, c.concurrency, c.scenario) == (configuration, concurrency, scenario)
        )

    lines = []
    for configuration in dict.fromkeys(c.configuration for c in cells):
        for concurrency in sorted({c.concurrency for c in cells}):
            grpc, rest, base = (
                cell(configuration, concurrency, s) for s in ("native gRPC", "REST via Envoy", BASELINE)
            )
            vs_base = grpc.throughput / base.throughput if base.throughput else float("nan")
            vs_grpc = rest.throughput / grpc.throughput if grpc.throughput else float("nan")
            added = rest.p50_ms - grpc.p50_ms
            verdict = {True: "met", False: "missed"}
            lines.append(
                f"- {configuration}, c={concurrency}: native gRPC = {vs_base:.2f}x FastAPI "
                f"(target >= 2: {verdict[vs_base >= 2]}); REST via Envoy = {vs_grpc:.2f}x native gRPC "
                f"(target >= 0.8: {verdict[vs_grpc >= 0.8]}), "
                f"+{added:.3f} ms p50 (target <= 0.3: {verdict[added <= 0.3]})"
            )
    return lines


def report(cells: Sequence[Cell]) -> str:
    """One table per cache mode, (a) cached then (b) store each time, each with its own checks."""
    parts = []
    titles = {CACHED: "(a) both sides cache the serialized answer (2 s)", UNCACHED: "(b) both sides read the store"}
    for mode in MODES:
        picked = [c for c in cells if mode_of(c.configuration) == mode]
        if not picked:
            continue
        parts.append(
            f"### GetUser {titles[mode]}\n\n"
            + markdown_table(picked, baseline=BASELINE)
            + "\n\n"
            + "\n".join(targets(picked))
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    # 40 cells x 3 rounds at 1.5 s each: about 4 minutes with the four platform starts.
    harness.add_round_arguments(parser, duration_s=1.5, warmup_s=0.5)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument(
        "--envoy-concurrency", type=int, default=None, help="Envoy worker threads (default: one per core)"
    )
    args = parser.parse_args(argv)
    cells: list[Cell] = []
    for processes in [1] if args.processes <= 1 else [1, args.processes]:
        for mode in args.modes:
            label = configuration_label(processes, mode)
            ttl_s = str(cache_ttl_s(mode))
            print(f"GetUser, user service in {label}:", flush=True)
            env = {"ARENA_USER_PROCESSES": str(processes), "ARENA_READ_CACHE_TTL_S": ttl_s}
            with (
                tempfile.TemporaryDirectory(prefix="bench-getuser-") as tmp,
                platform_with(pathlib.Path(tmp), env=env, envoy_concurrency=args.envoy_concurrency) as platform,
            ):
                user_id = seed_user(platform.settings.edge_url)
                baseline_env = {
                    "ARENA_BENCH_USER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/user.db",
                    "ARENA_BENCH_CACHE_TTL_S": ttl_s,
                }
                with fastapi_baseline(baseline_env, processes) as baseline_url:
                    check_answers(platform, baseline_url, user_id)
                    cells += run_interleaved(
                        scenarios(platform, baseline_url, user_id),
                        configuration=label,
                        concurrencies=args.concurrency,
                        rounds=args.rounds,
                        duration_s=args.duration_s,
                        warmup_s=args.warmup_s,
                    )
    text = report(cells)
    path = write_results("getuser", cells, {"targets": targets(cells)})
    print("\n## GetUser\n\n" + text + f"\n\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
