"""Benchmark: GetUser on the same data by native gRPC, REST through Envoy, gRPC-Web (through Envoy
and straight to sonora), against a FastAPI baseline doing the same read; concurrency 1 and 32;
the user service in one process and in N processes sharing its ports (SO_REUSEPORT).

    python -m bench.getuser [--rounds 3] [--duration-s 1.5] [--processes N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import struct
import subprocess
import sys
import tempfile
import time

import httpx

from arena.kit.services import SERVICES
from arena.launcher import LaunchSettings, Platform, ServicePorts
from arena.user.v1 import user_service_pb2
from bench import harness
from bench.harness import H2Load, Wrk, markdown_table, run_interleaved, write_results

BASELINE = "FastAPI baseline"
PASSWORD = "throughput matters"


def free_ports(count: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def grpc_frame(message: bytes) -> bytes:
    return struct.pack(">BI", 0, len(message)) + message


@contextlib.contextmanager
def platform_with(processes: int, data_dir: pathlib.Path, envoy_concurrency: int | None = None):
    ports = free_ports(2 * len(SERVICES) + 2)
    settings = LaunchSettings(
        data_dir=data_dir,
        edge_port=ports[0],
        admin_port=ports[1],
        ports={s.name: ServicePorts(ports[2 + 2 * i], ports[3 + 2 * i]) for i, s in enumerate(SERVICES)},
        extra_env={"ARENA_USER_PROCESSES": str(processes)},
        demo_data=False,
        envoy_concurrency=envoy_concurrency,
    )
    platform = Platform(settings)
    platform.start()
    try:
        yield platform
    finally:
        platform.stop()


@contextlib.contextmanager
def fastapi_baseline(database_url: str, processes: int):
    (port,) = free_ports(1)
    env = {**os.environ, "ARENA_BENCH_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.baseline_fastapi", str(port), str(processes)],
        env=env,
        cwd=pathlib.Path(__file__).resolve().parents[1],
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/users/none").status_code == 404:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the FastAPI baseline did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


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
    """Every scenario must return the user, or the numbers would measure errors."""
    assert httpx.get(f"{baseline_url}/users/{user_id}").json()["user"]["user_id"] == user_id
    assert httpx.get(f"{platform.settings.edge_url}/v1/users/{user_id}").json()["user"]["user_id"] == user_id


def targets(cells) -> list[str]:
    def cell(configuration: str, concurrency: int, scenario: str):
        return next(
            c for c in cells if (c.configuration, c.concurrency, c.scenario) == (configuration, concurrency, scenario)
        )

    lines = []
    for configuration in sorted({c.configuration for c in cells}):
        for concurrency in sorted({c.concurrency for c in cells}):
            grpc, rest, base = (
                cell(configuration, concurrency, s) for s in ("native gRPC", "REST via Envoy", BASELINE)
            )
            vs_base = grpc.throughput / base.throughput
            vs_grpc = rest.throughput / grpc.throughput
            added = rest.p50_ms - grpc.p50_ms
            verdict = {True: "met", False: "missed"}
            lines.append(
                f"- {configuration}, c={concurrency}: native gRPC = {vs_base:.2f}x FastAPI "
                f"(target >= 2: {verdict[vs_base >= 2]}); REST via Envoy = {vs_grpc:.2f}x native gRPC "
                f"(target >= 0.8: {verdict[vs_grpc >= 0.8]}), "
                f"+{added:.3f} ms p50 (target <= 0.3: {verdict[added <= 0.3]})"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    # 20 cells x 3 rounds: 1.5 s each keeps all of `make bench` under five minutes.
    harness.add_round_arguments(parser, duration_s=1.5, warmup_s=0.5)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument(
        "--envoy-concurrency", type=int, default=None, help="Envoy worker threads (default: one per core)"
    )
    args = parser.parse_args(argv)
    cells = []
    configurations = [1] if args.processes <= 1 else [1, args.processes]
    for processes in configurations:
        label = f"{processes} process" + ("es" if processes > 1 else "")
        print(f"GetUser, user service in {label}:", flush=True)
        with (
            tempfile.TemporaryDirectory(prefix="bench-getuser-") as tmp,
            platform_with(processes, pathlib.Path(tmp), args.envoy_concurrency) as platform,
        ):
            user_id = seed_user(platform.settings.edge_url)
            database_url = f"sqlite+aiosqlite:///{tmp}/user.db"
            with fastapi_baseline(database_url, processes) as baseline_url:
                check_answers(platform, baseline_url, user_id)
                cells += run_interleaved(
                    scenarios(platform, baseline_url, user_id),
                    configuration=label,
                    concurrencies=args.concurrency,
                    rounds=args.rounds,
                    duration_s=args.duration_s,
                    warmup_s=args.warmup_s,
                )
    table = markdown_table(cells, baseline=BASELINE)
    checks = targets(cells)
    path = write_results("getuser", cells, {"targets": checks})
    print("\n## GetUser\n\n" + table + "\n\n" + "\n".join(checks) + f"\n\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
