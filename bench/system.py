"""Starting the systems benchmarks measure: the platform on free ports, the FastAPI baseline."""

from __future__ import annotations

import contextlib
import os
import pathlib
import struct
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping

import httpx

from arena.kit.services import SERVICES
from arena.launcher import LaunchSettings, Platform, ServicePorts
from arena.ports import free_ports

CACHED = "cached"
UNCACHED = "store each time"
CACHE_TTL_S = 2.0
"""The services' default hot-read expiry; the baseline gets the same."""


def grpc_frame(message: bytes) -> bytes:
    return struct.pack(">BI", 0, len(message)) + message


def cache_ttl_s(mode: str) -> float:
    """The hot-read expiry both sides run with in a cache mode."""
    if mode not in (CACHED, UNCACHED):
        raise ValueError(f"unknown cache mode {mode!r}")
    return CACHE_TTL_S if mode == CACHED else 0.0


@contextlib.contextmanager
def platform_with(
    data_dir: pathlib.Path,
    *,
    env: Mapping[str, str] | None = None,
    envoy_concurrency: int | None = None,
    demo_data: bool = False,
) -> Iterator[Platform]:
    ports = free_ports(2 * len(SERVICES) + 2)
    settings = LaunchSettings(
        data_dir=data_dir,
        edge_port=ports[0],
        admin_port=ports[1],
        ports={s.name: ServicePorts(ports[2 + 2 * i], ports[3 + 2 * i]) for i, s in enumerate(SERVICES)},
        extra_env=dict(env or {}),
        demo_data=demo_data,
        envoy_concurrency=envoy_concurrency,
    )
    platform = Platform(settings)
    platform.start()
    try:
        yield platform
    finally:
        platform.stop()


@contextlib.contextmanager
def fastapi_baseline(env: Mapping[str, str], processes: int, *, ready_path: str = "/users/none") -> Iterator[str]:
    """``bench.baseline_fastapi`` in ``processes`` processes; its URL once ``ready_path`` answers."""
    (port,) = free_ports(1)
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.baseline_fastapi", str(port), str(processes)],
        env={**os.environ, **env},
        cwd=pathlib.Path(__file__).resolve().parents[1],
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}{ready_path}").status_code in (200, 404):
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the FastAPI baseline did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
