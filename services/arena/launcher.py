"""Runs the whole platform on one machine: every service and Envoy as child processes.

``python -m arena.launcher`` is what ``make up`` runs; integration tests use ``Platform``
with free ports and a scratch data directory. Start-up: render the Envoy configuration
and endpoint files for the chosen ports, start the broker (NATS, when ``broker`` is set),
start the eight services, wait until each reports SERVING, start Envoy, wait until the
platform answers through it, load the demo data, print the URLs. Ctrl-C or SIGTERM stops
everything in order (Envoy first, then the services, each given its grace period, then the
broker), keeping the data directory.

Children get SIGTERM from the kernel if the launcher itself dies (PR_SET_PDEATHSIG), so
no process outlives it.

Several instances (``ARENA_INSTANCES=N`` for every service, ``ARENA_<SERVICE>_INSTANCES`` for
one): instance k of a service gets its own ports (instance 1 the table's, instance k the
table's plus 100*(k-1), or ``LaunchSettings.instance_ports_by_key``) and the id
``<service>-<k>``; every process registers in the registry directory
(``arena.kit.registry``) and finds the others there, and the launcher keeps Envoy's endpoint
files in step with it (``arena.edge.eds.watch``, every 0.25 s) from a thread of its own.
A service with one instance is keyed by its name (``processes["user"]``), one with several
by ``<service>-<k>`` (``processes["problem-2"]``); ``Platform.instance_keys`` lists them.
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

# The platform's processes are started with subprocess while gRPC may be busy on other threads of this
# process (tests, benchmarks, the launcher's own calls); gRPC's fork handlers then run in the child between
# fork and exec and can abort it ("epoll_wait error: Bad file descriptor" after close_fds, grpc/grpc#43157:
# a service "exited with -6" before it ran). The child only execs: it needs none of them. Read by gRPC when
# it loads, so set before it is imported.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

from arena.broker.server import NatsServer
from arena.kit.services import SERVICES
from arena.ports import free_port

if TYPE_CHECKING:
    from arena.demo.activity import ContestActivity

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]

VARIABLES: dict[str, str] = {
    "ARENA_CORS_ORIGINS": "make up: comma-separated browser origins allowed to call the edge "
    "(default http://localhost:5173, http://localhost:8080, http://127.0.0.1:8080).",
    "ARENA_INSTANCES": "make up: instances of every service (default 1); with more than one, each instance has "
    "its own ports (the table's plus 100 per further instance) and id (<service>-<k>), discovery is the registry "
    "directory (<data dir>/registry) and Envoy's endpoint files follow it.",
    "ARENA_<SERVICE>_INSTANCES": "make up: instances of one service, overriding ARENA_INSTANCES.",
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


INSTANCE_PORT_STEP = 100
"""Instance k of a service listens on its first instance's ports plus this times (k - 1)."""
EDS_WATCH_INTERVAL_S = 0.25


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
    broker: bool = False
    """Start a NATS server (JetStream) first and give every service ``ARENA_NATS_URL`` even with one instance
    each (several instances always get one: they need it to share streams)."""
    broker_port: int = 0
    """The NATS server's port (0: a free port, chosen when the settings are made; `make up`: 4222)."""
    instances: int = 1
    """Instances of every service (``ARENA_INSTANCES``)."""
    instances_by_service: Mapping[str, int] = dataclasses.field(default_factory=dict)
    """Instances of single services, overriding ``instances`` (``ARENA_<SERVICE>_INSTANCES``)."""
    instance_ports_by_key: Mapping[str, ServicePorts] = dataclasses.field(default_factory=dict)
    """Ports of further instances by key (``problem-2``); default: ``ports`` plus 100 per instance."""
    registry: pathlib.Path | None = None
    """The registry directory with several instances (default ``<data dir>/registry``)."""

    def __post_init__(self) -> None:
        for name, count in {"": self.instances, **self.instances_by_service}.items():
            if name and name not in self.ports:
                raise ValueError(f"instances_by_service names {name!r}, which is not a service")
            if not 1 <= count <= 16:
                raise ValueError(f"instances of {name or 'every service'} must be 1 to 16, not {count}")
        if self.broker_port == 0 and self.uses_broker:
            object.__setattr__(self, "broker_port", free_port())

    @property
    def uses_broker(self) -> bool:
        """Whether the platform runs the broker: asked for, or needed by several instances."""
        return self.broker or self.several

    def instance_count(self, service: str) -> int:
        return self.instances_by_service.get(service, self.instances)

    @property
    def several(self) -> bool:
        """Whether some service runs more than one instance (registry discovery, EDS watcher)."""
        return any(self.instance_count(name) > 1 for name in self.ports)

    @property
    def registry_dir(self) -> pathlib.Path:
        return self.registry or self.data_dir / "registry"

    def instance_keys(self, service: str) -> list[str]:
        """``["user"]`` for one instance, ``["problem-1", "problem-2"]`` for two."""
        if service not in self.ports:
            raise KeyError(f"no service named {service!r}")
        count = self.instance_count(service)
        return [service] if count == 1 else [f"{service}-{k}" for k in range(1, count + 1)]

    def all_instance_keys(self) -> list[str]:
        return [key for name in self.ports for key in self.instance_keys(name)]

    def split_key(self, key: str) -> tuple[str, int]:
        """(service, 1-based instance number) of an instance key."""
        if key in self.ports:
            if self.instance_count(key) > 1:
                raise KeyError(f"{key} runs {self.instance_count(key)} instances: name one, such as {key}-1")
            return key, 1
        service, _, number = key.rpartition("-")
        if service in self.ports and number.isdigit() and key in self.instance_keys(service):
            return service, int(number)
        raise KeyError(f"no instance {key!r}; known: {', '.join(self.all_instance_keys())}")

    def instance_ports(self, key: str) -> ServicePorts:
        service, number = self.split_key(key)
        if number == 1:
            return self.ports[service]
        if key in self.instance_ports_by_key:
            return self.instance_ports_by_key[key]
        first = self.ports[service]
        step = INSTANCE_PORT_STEP * (number - 1)
        return ServicePorts(first.grpc + step, first.web + step)

    def instance_env(self, key: str) -> dict[str, str]:
        """``service_env()`` plus this instance's own ports, id and (with several) the registry."""
        env = self.service_env()
        service, _ = self.split_key(key)
        if self.several:
            ports = self.instance_ports(key)
            prefix = f"ARENA_{service.upper()}_"
            env[prefix + "GRPC_PORT"] = str(ports.grpc)
            env[prefix + "WEB_PORT"] = str(ports.web)
            env["ARENA_INSTANCE_ID"] = key if key != service else f"{service}-1"
            env["ARENA_REGISTRY_DIR"] = str(self.registry_dir)
            if service == "execution" and "ARENA_SANDBOX_DIR" not in self.extra_env:
                # The judge's default workspace root is /tmp/arena-sandbox/<instance id>, which it clears on
                # start: "execution-2" of another platform on this machine must not share it. The port is
                # unique on the machine while this instance runs.
                env["ARENA_SANDBOX_DIR"] = f"/tmp/arena-sandbox/{env['ARENA_INSTANCE_ID']}-{ports.grpc}"
        return env

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

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.broker_port}"

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
        if self.uses_broker:
            env["ARENA_NATS_URL"] = self.nats_url
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
        """Running children by instance key (``Platform.instance_keys``) plus ``envoy``."""
        self.envoy_config: pathlib.Path | None = None
        self.activity: ContestActivity | None = None
        """The demo contestants' background submissions (``LaunchSettings.demo_activity_s``)."""
        self.broker: NatsServer | None = None
        """The NATS server (``LaunchSettings.broker``), started before the services and stopped after them."""

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, timeout_s: float = 120.0) -> None:
        settings = self.settings
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout_s
        try:
            if settings.several:
                self._clear_registry()
            self._start_webapp()
            self.envoy_config = self._render_edge()
            if settings.uses_broker:
                nats_dir, nats_log = settings.data_dir / "nats", settings.log_dir / "nats.log"
                self.broker = NatsServer(settings.broker_port, nats_dir, nats_log)
                self.broker.start(timeout_s=max(1.0, deadline - time.monotonic()))
            keys = [key for spec in SERVICES for key in settings.instance_keys(spec.name)]
            for key in keys:
                self.start_instance(key)
            for key in keys:
                self.wait_serving(key, deadline)
            if settings.several:
                self._start_eds_watcher()
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
        if self.broker is not None:  # last: the services drain their broker connections as they stop
            self.broker.stop()
            self.broker = None

    # -- services -------------------------------------------------------------------------

    def instance_keys(self, service: str) -> list[str]:
        """The keys of a service's instances: ``["problem"]`` for one, ``["problem-1", "problem-2"]`` for two."""
        return self.settings.instance_keys(service)

    def instance_ports(self, key: str) -> ServicePorts:
        return self.settings.instance_ports(key)

    def start_instance(self, key: str) -> subprocess.Popen[bytes]:
        """Starts one instance (again): same ports, same id. It registers itself once it serves."""
        service, _ = self.settings.split_key(key)
        running = self.processes.get(key)
        if running is not None and running.poll() is None:
            raise LaunchError(f"{key} is already running (pid {running.pid})")
        log_file = open(self.settings.log_dir / f"{key}.log", "ab")  # noqa: SIM115 - owned by the child
        process = subprocess.Popen(
            [sys.executable, "-m", f"arena.{service}"],
            env=self.settings.instance_env(key),
            cwd=self.settings.repo_root,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        log_file.close()
        self.processes[key] = process
        return process

    def start_service(self, name: str) -> subprocess.Popen[bytes]:
        """Starts a one-instance service by name (or one instance, by key)."""
        return self.start_instance(name)

    def kill_instance(self, key: str, sig: int = signal.SIGKILL) -> None:
        """Sends ``sig`` to one instance; after SIGKILL (or any signal it died of) waits for it to go."""
        self.settings.split_key(key)
        process = self.processes.get(key)
        if process is None or process.poll() is not None:
            raise LaunchError(f"{key} is not running")
        process.send_signal(sig)
        if sig == signal.SIGKILL:
            process.wait(10)

    def stop_service(self, name: str, *, timeout_s: float = 15.0) -> int:
        """SIGTERM one service (or instance, by key) and wait for it; returns its exit status."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout_s)

    def wait_serving(self, key: str, deadline: float) -> None:
        """Waits until the instance's /healthz says SERVING (or fails with its log)."""
        ports = self.settings.instance_ports(key)
        url = f"http://127.0.0.1:{ports.web}/healthz"
        process = self.processes[key]
        while True:
            if process.poll() is not None:
                raise LaunchError(
                    f"the {key} service exited with {process.returncode}:\n"
                    + _tail(self.settings.log_dir / f"{key}.log")
                )
            with contextlib.suppress(OSError):
                status, _ = _get(url, timeout_s=1.0)
                if status == 200:
                    return
            if time.monotonic() > deadline:
                raise LaunchError(f"the {key} service did not report SERVING in time")
            time.sleep(0.1)

    # -- several instances: the registry and Envoy's endpoint files ----------------------

    def _clear_registry(self) -> None:
        """Entries a previous run left behind (they would be probed and dropped anyway)."""
        registry = self.settings.registry_dir
        registry.mkdir(parents=True, exist_ok=True)
        for entry in registry.glob("*.json"):
            entry.unlink(missing_ok=True)

    def eds_dir(self) -> pathlib.Path:
        from arena.edge.launch import eds_dir_for

        return eds_dir_for(self.settings)

    def _start_eds_watcher(self) -> None:
        """Keeps Envoy's endpoint files in step with the registry: ``python -m arena.edge watch-eds`` as a child
        process (``processes["eds-watcher"]``). Not a thread of this process: its gRPC health probes would run
        while this process forks the next child (Envoy, a restarted instance), and a fork beside a gRPC
        thread can abort the child before it execs."""
        settings = self.settings
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
        env.update({"ARENA_REGISTRY_DIR": str(settings.registry_dir), "PYTHONUNBUFFERED": "1"})
        log_file = open(settings.log_dir / "eds-watcher.log", "ab")  # noqa: SIM115 - owned by the child
        self.processes["eds-watcher"] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "arena.edge",
                "watch-eds",
                "--out",
                str(self.eds_dir()),
                "--interval-s",
                str(EDS_WATCH_INTERVAL_S),
            ],
            env=env,
            cwd=settings.repo_root,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        log_file.close()

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
        from arena.kit.discovery import Instance

        settings = self.settings
        instances = {}
        for spec in SERVICES:
            found = []
            for key in settings.instance_keys(spec.name):
                ports = settings.instance_ports(key)
                instance_id = (key if key != spec.name else f"{key}-1") if settings.several else None
                found.append(
                    Instance(
                        spec.name,
                        instance_id or f"{spec.name}-127.0.0.1-{ports.grpc}",
                        "127.0.0.1",
                        ports.grpc,
                        ports.web,
                    )
                )
            instances[spec.name] = found
        return render_for_launch(settings, instances)

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


@dataclasses.dataclass
class ExtraInstance:
    """One more process of a service beside a running platform (see ``ExtraInstances``)."""

    name: str
    ports: ServicePorts
    process: subprocess.Popen[bytes]

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.ports.grpc}"


class ExtraInstances:
    """More instances of a running platform's services, for tests and benchmarks that need one they control
    (to watch from, to kill): the platform's environment (database, broker, discovery of the others), their own
    free ports (hence their own instance id), their own log file ``<service>-<tag>.log``."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.started: list[ExtraInstance] = []

    def start(self, name: str, tag: str = "b", *, timeout_s: float = 60.0, **env: str) -> ExtraInstance:
        """Starts one and returns once it serves (its /healthz answers 200)."""
        base = self.platform.settings
        ports = ServicePorts(free_port(), free_port())
        settings = dataclasses.replace(base, ports={**base.ports, name: ports}, extra_env={**base.extra_env, **env})
        log_path = base.log_dir / f"{name}-{tag}.log"
        with open(log_path, "ab") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", f"arena.{name}"],
                env=settings.service_env(),
                cwd=base.repo_root,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        instance = ExtraInstance(name, ports, process)
        self.started.append(instance)
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise LaunchError(f"{name}-{tag} exited with {process.returncode}:\n{_tail(log_path)}")
            try:
                status, _ = _get(f"http://127.0.0.1:{ports.web}/healthz", timeout_s=1.0)
            except OSError:  # not listening yet
                status = 0
            if status == 200:
                return instance
            if time.monotonic() > deadline:
                raise LaunchError(f"{name}-{tag} did not report SERVING in time:\n{_tail(log_path)}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stops them all (SIGTERM, then SIGKILL after 15 s)."""
        for instance in self.started:
            if instance.process.poll() is None:
                instance.process.send_signal(signal.SIGTERM)
        for instance in self.started:
            try:
                instance.process.wait(15)
            except subprocess.TimeoutExpired:
                instance.process.kill()
                instance.process.wait()
        self.started.clear()


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


def _others_serve(platform: Platform, key: str) -> bool:
    """Whether another instance of ``key``'s service still runs."""
    if key == "envoy" or key in platform.settings.ports:
        return False
    service, _ = platform.settings.split_key(key)
    return any(
        other != key and (process := platform.processes.get(other)) is not None and process.poll() is None
        for other in platform.instance_keys(service)
    )


def _instances_from_env(env: Mapping[str, str]) -> tuple[int, dict[str, int]]:
    """``ARENA_INSTANCES`` and the ``ARENA_<SERVICE>_INSTANCES`` overrides."""

    def number(name: str) -> int:
        raw = env[name]
        try:
            value = int(raw)
        except ValueError:
            raise LaunchError(f"{name}={raw!r} is not a whole number") from None
        if not 1 <= value <= 16:
            raise LaunchError(f"{name}={value}: expected 1 to 16")
        return value

    every = number("ARENA_INSTANCES") if env.get("ARENA_INSTANCES") else 1
    by_service = {
        spec.name: number(f"ARENA_{spec.name.upper()}_INSTANCES")
        for spec in SERVICES
        if env.get(f"ARENA_{spec.name.upper()}_INSTANCES")
    }
    return every, by_service


def main() -> None:
    data_dir = pathlib.Path(os.environ.get("ARENA_DATA_DIR") or REPO_ROOT / "data").resolve()
    origins = tuple(o.strip() for o in os.environ.get("ARENA_CORS_ORIGINS", "").split(",") if o.strip())
    activity_s = float(os.environ.get("ARENA_DEMO_ACTIVITY_S", "20"))
    try:
        every, by_service = _instances_from_env(os.environ)
    except LaunchError as error:
        print(f"make up failed: {error}", file=sys.stderr)
        sys.exit(2)
    settings = LaunchSettings(
        data_dir=data_dir,
        cors_origins=origins or None,
        demo_activity_s=activity_s,
        instances=every,
        instances_by_service=by_service,
        broker_port=4222,
        webapp_port=WEBAPP_PORT,
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
    reported: set[str] = set()
    while not stopping:
        for name, process in list(platform.processes.items()):
            if process.poll() is not None and name not in reported:
                reported.add(name)
                print(f"{name} exited unexpectedly ({process.returncode}); see {settings.log_dir}/{name}.log")
                # With several instances the others carry on (discovery routes around it); else stop.
                stopping = stopping or not _others_serve(platform, name)
        time.sleep(0.5)
    print("stopping...", flush=True)
    platform.stop()
    print("stopped; data kept in", settings.data_dir)


if __name__ == "__main__":
    main()
