"""Runs the whole platform on one machine: every service and Envoy as child processes.

``python -m arena.launcher`` is what ``make up`` runs; integration tests use ``Platform``
with free ports and a scratch data directory. Start-up: render the Envoy configuration
and endpoint files for the chosen ports, start the eight services, wait until each
reports SERVING, start Envoy, wait until the platform answers through it, load the demo
data, print the URLs. Ctrl-C or SIGTERM stops everything in order (Envoy first, then
the services, each given its grace period), keeping the data directory.

Children get SIGTERM from the kernel if the launcher itself dies (PR_SET_PDEATHSIG), so
no process outlives it.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import TYPE_CHECKING

from arena.kit.services import SERVICES

if TYPE_CHECKING:
    from arena.demo.activity import ContestActivity

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]

VARIABLES: dict[str, str] = {
    "ARENA_CORS_ORIGINS": "make up: comma-separated browser origins allowed to call the edge "
    "(default http://localhost:5173, http://localhost:8080, http://127.0.0.1:8080).",
    "ARENA_DEMO_ACTIVITY_S": "make up: the demo contest's simulated contestants submit again about this often "
    "(seconds; default 20; 0 turns it off).",
}
_PR_SET_PDEATHSIG = 1
WEBAPP_PORT = 8090
"""`make up`: the web app's static server (the committed Envoy config's ``webapp`` cluster)."""


@dataclasses.dataclass(frozen=True)
class ServicePorts:
    grpc: int
    web: int


def default_ports() -> dict[str, ServicePorts]:
    return {s.name: ServicePorts(s.grpc_port, s.web_port) for s in SERVICES}


@dataclasses.dataclass(frozen=True)
class LaunchSettings:
    """Where and how the platform runs."""

    data_dir: pathlib.Path
    edge_port: int = 8080
    admin_port: int = 9901
    ports: Mapping[str, ServicePorts] = dataclasses.field(default_factory=default_ports)
    unary_timeout_s: float = 15.0
    """Envoy's route timeout for unary methods."""
    shutdown_grace_s: float = 5.0
    extra_env: Mapping[str, str] = dataclasses.field(default_factory=dict)
    demo_data: bool = True
    repo_root: pathlib.Path = REPO_ROOT
    descriptor: pathlib.Path | None = None
    """The compiled contract (default build/arena.binpb, made by `make descriptors`)."""
    envoy_concurrency: int | None = None
    """Envoy worker threads (default: one per core)."""
    cors_origins: tuple[str, ...] | None = None
    """Browser origins allowed to call the edge (default: the edge's own and a dev server's)."""
    demo_activity_s: float = 0.0
    """With demo data: the simulated contestants submit again about this often (0: never; `make up`: 20 s)."""
    webapp_port: int = 0
    """The web app's static server (``arena.webapp``) behind Envoy (0: a free port; `make up`: 8090)."""
    webapp_dist: pathlib.Path | None = None
    """The built web app (default web-bridge/dist, made by `make web-app`); missing: the app answers 503."""

    @property
    def log_dir(self) -> pathlib.Path:
        return self.data_dir / "logs"

    @property
    def edge_url(self) -> str:
        return f"http://127.0.0.1:{self.edge_port}"

    def service_env(self) -> dict[str, str]:
        """The environment every service process gets (the static table for these ports)."""
        from arena.demo import DEMO_ADMIN

        env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
        if self.demo_data:
            env.update(
                {
                    "ARENA_ADMIN_USERNAME": DEMO_ADMIN["username"],
                    "ARENA_ADMIN_PASSWORD": DEMO_ADMIN["password"],
                    "ARENA_ADMIN_EMAIL": DEMO_ADMIN["email"],
                }
            )
        env.update(
            {
                "ARENA_DATA_DIR": str(self.data_dir),
                "ARENA_SHUTDOWN_GRACE_S": str(self.shutdown_grace_s),
                "PYTHONUNBUFFERED": "1",
            }
        )
        for name, ports in self.ports.items():
            prefix = f"ARENA_{name.upper()}_"
            env[prefix + "GRPC_PORT"] = str(ports.grpc)
            env[prefix + "WEB_PORT"] = str(ports.web)
        env.update(self.extra_env)
        return env


class LaunchError(RuntimeError):
    """The platform could not be started; the message says which part and shows its log."""


def _die_with_parent() -> None:
    # Runs in the child between fork and exec.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _get(url: str, timeout_s: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _tail(path: pathlib.Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Platform:
    """The running platform: service processes plus Envoy."""

    def __init__(self, settings: LaunchSettings) -> None:
        self.settings = settings
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.envoy_config: pathlib.Path | None = None
        self.activity: ContestActivity | None = None
        """The demo contestants' background submissions (``LaunchSettings.demo_activity_s``)."""

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, timeout_s: float = 120.0) -> None:
        settings = self.settings
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout_s
        try:
            self._start_webapp()
            self.envoy_config = self._render_edge()
            for spec in SERVICES:
                self.start_service(spec.name)
            for spec in SERVICES:
                self.wait_serving(spec.name, deadline)
            self._start_envoy()
            self._wait_edge(deadline)
            if settings.demo_data:
                from arena.demo import load_demo_data, start_demo_activity

                contest = load_demo_data(settings.edge_url)
                if settings.demo_activity_s > 0:
                    self.activity = start_demo_activity(settings.edge_url, contest, settings.demo_activity_s)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Envoy first (no new traffic), then every service with its grace period."""
        if self.activity is not None:
            self.activity.stop()
            self.activity = None
        order = ["envoy", *[name for name in self.processes if name != "envoy"]]
        for name in order:
            process = self.processes.get(name)
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.settings.shutdown_grace_s + 5
        for name in order:
            process = self.processes.get(name)
            if process is None:
                continue
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    # -- services -------------------------------------------------------------------------

    def start_service(self, name: str) -> subprocess.Popen[bytes]:
        log_file = open(self.settings.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        process = subprocess.Popen(
            [sys.executable, "-m", f"arena.{name}"],
            env=self.settings.service_env(),
            cwd=self.settings.repo_root,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        log_file.close()
        self.processes[name] = process
        return process

    def stop_service(self, name: str, *, timeout_s: float = 15.0) -> int:
        """SIGTERM one service and wait for it; returns its exit status."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout_s)

    def wait_serving(self, name: str, deadline: float) -> None:
        """Waits until the service's /healthz says SERVING (or fails with its log)."""
        ports = self.settings.ports[name]
        url = f"http://127.0.0.1:{ports.web}/healthz"
        process = self.processes[name]
        while True:
            if process.poll() is not None:
                raise LaunchError(
                    f"the {name} service exited with {process.returncode}:\n"
                    + _tail(self.settings.log_dir / f"{name}.log")
                )
            with contextlib.suppress(OSError):
                status, _ = _get(url, timeout_s=1.0)
                if status == 200:
                    return
            if time.monotonic() > deadline:
                raise LaunchError(f"the {name} service did not report SERVING in time")
            time.sleep(0.1)

    # -- the web app ----------------------------------------------------------------------

    def _start_webapp(self) -> None:
        """The app's static server, on a socket bound here so Envoy's config can name its port."""
        settings = self.settings
        with socket.create_server(("127.0.0.1", settings.webapp_port)) as sock:
            port = sock.getsockname()[1]
            if port != settings.webapp_port:
                self.settings = settings = dataclasses.replace(settings, webapp_port=port)
            dist = settings.webapp_dist or settings.repo_root / "web-bridge" / "dist"
            log_file = open(settings.log_dir / "webapp.log", "ab")  # noqa: SIM115 - owned by the child
            self.processes["webapp"] = subprocess.Popen(
                [sys.executable, "-m", "arena.webapp", "--fd", str(sock.fileno()), "--root", str(dist)],
                env=settings.service_env(),
                cwd=settings.repo_root,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                pass_fds=(sock.fileno(),),
                preexec_fn=_die_with_parent,
            )
            log_file.close()

    # -- the edge -------------------------------------------------------------------------

    def _render_edge(self) -> pathlib.Path:
        """Descriptor set, OpenAPI document, endpoint files and Envoy config for these ports."""
        from arena.edge.launch import render_for_launch

        return render_for_launch(self.settings)

    def _start_envoy(self) -> None:
        assert self.envoy_config is not None
        envoy = pathlib.Path(sys.executable).with_name("envoy")
        log_file = open(self.settings.log_dir / "envoy.log", "ab")  # noqa: SIM115 - owned by the child
        self.processes["envoy"] = subprocess.Popen(
            [
                str(envoy),
                "-c",
                str(self.envoy_config),
                "--disable-hot-restart",
                "--log-level",
                "warn",
                # Access log lines reach their file within half a second (Envoy's default is ten).
                "--file-flush-interval-msec",
                "500",
                *(["--concurrency", str(self.settings.envoy_concurrency)] if self.settings.envoy_concurrency else []),
            ],
            cwd=self.settings.repo_root,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        log_file.close()

    def _wait_edge(self, deadline: float) -> None:
        """Waits until Envoy is ready and routes /v1/health to a platform that serves."""
        process = self.processes["envoy"]
        last = ""
        while True:
            if process.poll() is not None:
                raise LaunchError(
                    f"envoy exited with {process.returncode}:\n" + _tail(self.settings.log_dir / "envoy.log")
                )
            with contextlib.suppress(OSError, ValueError):
                status, body = _get(f"{self.settings.edge_url}/v1/health", timeout_s=2.0)
                last = body.decode(errors="replace")
                if status == 200 and json.loads(body).get("status") == "SERVING_STATUS_SERVING":
                    return
            if time.monotonic() > deadline:
                raise LaunchError(f"the platform did not become healthy through Envoy in time; last answer: {last}")
            time.sleep(0.2)


def _print_urls(settings: LaunchSettings) -> None:
    edge = f"http://localhost:{settings.edge_port}"
    print(
        f"""
Arena is up.
  web app           {edge}/
  REST (JSON)       {edge}/v1/...        e.g. curl {edge}/v1/health
  gRPC-Web          {edge}              (content-type application/grpc-web+proto)
  native gRPC       localhost:{settings.edge_port}       (public services only)
  OpenAPI           {edge}/openapi.json
  Envoy admin       http://localhost:{settings.admin_port}
  service metrics   http://localhost:<gRPC port + 1000>/metrics
  logs              {settings.log_dir}
Press Ctrl-C to stop.""",
        flush=True,
    )


def main() -> None:
    data_dir = pathlib.Path(os.environ.get("ARENA_DATA_DIR") or REPO_ROOT / "data").resolve()
    origins = tuple(o.strip() for o in os.environ.get("ARENA_CORS_ORIGINS", "").split(",") if o.strip())
    activity_s = float(os.environ.get("ARENA_DEMO_ACTIVITY_S", "20"))
    settings = LaunchSettings(
        data_dir=data_dir, cors_origins=origins or None, demo_activity_s=activity_s, webapp_port=WEBAPP_PORT
    )
    platform = Platform(settings)
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    started = time.monotonic()
    try:
        platform.start()
    except LaunchError as error:
        print(f"make up failed: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"all services healthy in {time.monotonic() - started:.1f} s")
    _print_urls(settings)
    while not stopping:
        for name, process in list(platform.processes.items()):
            if process.poll() is not None:
                print(f"{name} exited unexpectedly ({process.returncode}); see {settings.log_dir}/{name}.log")
                stopping = True
        time.sleep(0.5)
    print("stopping...", flush=True)
    platform.stop()
    print("stopped; data kept in", settings.data_dir)


if __name__ == "__main__":
    main()
