"""The registry directory: entries written and removed atomically, instances probed over grpc.health.v1."""

from __future__ import annotations

import asyncio
import json
import pathlib
import time

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from arena.kit.config import ConfigError, load_platform
from arena.kit.discovery import Instance
from arena.kit.registry import RegistryDiscovery, RegistryError, RegistryRegistrar, read_entries, write_entry
from arena.kit.services import service
from arena.wiring import discovery_from_config, registrar_from_config
from support.ports import free_port

pytestmark = pytest.mark.timeout(30)


class HealthServer:
    """A real gRPC server with the standard health service, stoppable and restartable on its port."""

    def __init__(self, instance_id: str) -> None:
        self.port = free_port()
        self.instance = Instance("problem", instance_id, "127.0.0.1", self.port, self.port + 1, "1.0")
        self.health = health.aio.HealthServicer()
        self.server: grpc.aio.Server | None = None

    async def start(self) -> None:
        self.server = grpc.aio.server()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.server.add_insecure_port(f"127.0.0.1:{self.port}")
        await self.server.start()
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(None)
            self.server = None


@pytest.fixture
async def servers():
    made = [HealthServer("problem-1"), HealthServer("problem-2")]
    for server in made:
        await server.start()
    yield made
    for server in made:
        await server.stop()


async def _until(discovery: RegistryDiscovery, wanted: list[str], within_s: float) -> float:
    started = time.monotonic()
    while [i.instance_id for i in await discovery.instances("problem")] != wanted:
        assert time.monotonic() - started < within_s, f"discovery never listed {wanted}"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_registered_instances_are_found_and_others_services_are_not(tmp_path: pathlib.Path, servers):
    registrar = RegistryRegistrar(tmp_path)
    for server in servers:
        await registrar.register(server.instance, service("problem"))
    other = Instance("user", "user-1", "127.0.0.1", free_port(), 1)
    write_entry(tmp_path, other)
    discovery = RegistryDiscovery(tmp_path, interval_s=0.1)
    try:
        found = await discovery.instances("problem")
        assert found == [servers[0].instance, servers[1].instance]
        assert await discovery.instances("user") == []  # listed, but nothing answers its health check
        assert [i.instance_id for i in discovery.known("user")] == ["user-1"]
        assert discovery.source == "registry"
    finally:
        await discovery.close()


async def test_a_killed_instance_drops_out_within_a_second_and_comes_back(tmp_path: pathlib.Path, servers):
    for server in servers:
        write_entry(tmp_path, server.instance)
    discovery = RegistryDiscovery(tmp_path, interval_s=0.25, probe_timeout_s=0.2)
    try:
        await _until(discovery, ["problem-1", "problem-2"], 2)
        await servers[1].stop()  # like SIGKILL: the entry stays behind
        assert await _until(discovery, ["problem-1"], 1.0) < 1.0
        assert (tmp_path / "problem-2.json").exists()
        await servers[1].start()
        await _until(discovery, ["problem-1", "problem-2"], 2)
    finally:
        await discovery.close()


async def test_not_serving_and_deregistered_instances_are_left_out(tmp_path: pathlib.Path, servers):
    registrar = RegistryRegistrar(tmp_path)
    for server in servers:
        await registrar.register(server.instance, service("problem"))
    discovery = RegistryDiscovery(tmp_path, interval_s=0.1)
    try:
        await _until(discovery, ["problem-1", "problem-2"], 2)
        await servers[0].health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)  # draining
        await _until(discovery, ["problem-2"], 1)
        await registrar.deregister("problem-2")
        assert not (tmp_path / "problem-2.json").exists()
        await _until(discovery, [], 1)
        await registrar.deregister("problem-2")  # twice: logged, never raised
    finally:
        await discovery.close()


def test_entries_are_whole_files_and_foreign_or_broken_ones_are_skipped(tmp_path: pathlib.Path):
    instance = Instance("problem", "problem-1", "127.0.0.1", 50052, 51052, "1.0")
    path = write_entry(tmp_path, instance)
    assert json.loads(path.read_text())["grpc_port"] == 50052
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "partial.json").write_text('{"service": "problem"}')
    (tmp_path / ".problem-9.json.123.tmp").write_text("{}")
    (tmp_path / "notes.txt").write_text("hello")
    assert read_entries(tmp_path) == [instance]
    assert read_entries(tmp_path / "missing") == []


@pytest.mark.parametrize("bad_id", ["", "../escape", ".hidden", "a/b"])
def test_an_instance_id_that_cannot_name_a_file_is_refused(tmp_path: pathlib.Path, bad_id: str):
    with pytest.raises(RegistryError):
        write_entry(tmp_path, Instance("problem", bad_id, "127.0.0.1", 1, 2))


async def test_an_instance_of_another_service_is_refused(tmp_path: pathlib.Path):
    with pytest.raises(RegistryError, match="not 'user'"):
        await RegistryRegistrar(tmp_path).register(Instance("problem", "p-1", "127.0.0.1", 1, 2), service("user"))


async def test_services_nobody_asks_about_are_no_longer_probed(tmp_path: pathlib.Path, servers):
    for server in servers:
        write_entry(tmp_path, server.instance)
    discovery = RegistryDiscovery(tmp_path, interval_s=0.05, idle_s=0.2)
    try:
        assert len(await discovery.instances("problem")) == 2
        started = time.monotonic()
        while discovery.known("problem"):  # forgotten once idle
            assert time.monotonic() - started < 2, "an idle service is still probed"
            await asyncio.sleep(0.05)
        await servers[0].stop()
        assert [i.instance_id for i in await discovery.instances("problem")] == ["problem-2"]  # fresh on asking
    finally:
        await discovery.close()


def test_bad_timings_are_refused(tmp_path: pathlib.Path):
    with pytest.raises(RegistryError):
        RegistryDiscovery(tmp_path, interval_s=0)
    with pytest.raises(RegistryError):
        RegistryDiscovery(tmp_path, probe_timeout_s=-1)
    with pytest.raises(RegistryError):
        RegistryDiscovery(tmp_path, idle_s=0)


def test_wiring_picks_consul_then_the_registry_then_the_static_table(tmp_path: pathlib.Path):
    from arena.kit.config import load_server

    registry = {"ARENA_REGISTRY_DIR": str(tmp_path), "ARENA_DATA_DIR": str(tmp_path)}
    assert type(discovery_from_config(load_platform(registry))).__name__ == "RegistryDiscovery"
    assert isinstance(registrar_from_config(load_server("problem", registry)), RegistryRegistrar)
    consul = {**registry, "ARENA_CONSUL_HTTP_ADDR": "127.0.0.1:8500", "ARENA_CONSUL_CHECK_INTERVAL_S": "1"}
    registrar = registrar_from_config(load_server("problem", consul))
    assert type(registrar).__name__ == "ConsulRegistrar"
    assert registrar._settings.check_interval_s == 1.0  # what the agent's check definition gets
    with pytest.raises(ConfigError, match="ARENA_CONSUL_CHECK_INTERVAL_S"):
        load_platform({**consul, "ARENA_CONSUL_CHECK_INTERVAL_S": "0"})
    static = {"ARENA_DATA_DIR": str(tmp_path)}
    assert discovery_from_config(load_platform(static)).source == "static"
    assert registrar_from_config(load_server("problem", static)) is None
