"""The register → discover → deregister flow against a real Consul agent (``hashicorp/consul``) in Docker.

Runs wherever a Docker engine is reachable; the build machines have none (and no Consul binary
can be installed there), so there these tests are skipped with that reason and
``test_consul_contract.py`` covers the same flow against the emulator of the documented API.

Two agents, both in dev mode:

- ``bridged``: the image as documented, port 8500 published. It checks what a real agent makes
  of Arena's registration (service fields, a ``grpc`` check, critical while nothing answers,
  so ``?passing`` leaves it out) and the deregistration, including a repeated one.
- ``host_network``: the agent shares the host's network (Linux engines only), so its gRPC
  health check reaches a server bound to the host's 127.0.0.1: passing → discovered,
  NOT_SERVING → gone. All its ports are chosen free so it cannot collide with anything.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest

from arena.consul import ConsulDiscovery, ConsulRegistrar, RegistrationSettings, consul_client
from arena.kit.discovery import Instance
from arena.kit.services import service

IMAGE = "hashicorp/consul:1.19"
USER = service("user")
SETTINGS = RegistrationSettings(check_interval_s=1, check_timeout_s=1, deregister_critical_after_s=60)


def _docker_info() -> dict | None:
    try:
        import docker

        client = docker.from_env()
        client.ping()
        return client.info()
    except Exception:
        return None


DOCKER = _docker_info()

pytestmark = [
    pytest.mark.timeout(300),  # the first run pulls the image
    pytest.mark.skipif(DOCKER is None, reason="no Docker engine reachable (none runs on the build machines)"),
]


def _wait_for_leader(address: str, timeout_s: float = 60.0) -> None:
    client = consul_client(address)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if client.status.leader():
                return
        except Exception:
            pass
        assert time.monotonic() < deadline, f"Consul at {address} elected no leader in {timeout_s}s"
        time.sleep(0.25)


@pytest.fixture(scope="module")
def bridged() -> Iterator[str]:
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(IMAGE).with_command("agent -dev -client 0.0.0.0").with_exposed_ports(8500)
    with container:
        address = f"{container.get_container_host_ip()}:{container.get_exposed_port(8500)}"
        _wait_for_leader(address)
        yield address


@pytest.fixture(scope="module")
def host_network() -> Iterator[str]:
    from testcontainers.core.container import DockerContainer

    from support.ports import free_ports

    if "Docker Desktop" in str((DOCKER or {}).get("OperatingSystem", "")):
        pytest.skip("host networking of Docker Desktop is a VM's network, not this machine's loopback")
    http, serf_lan, serf_wan, server = free_ports(4)
    settings = {
        "http": http,
        "dns": -1,
        "grpc": -1,
        "grpc_tls": -1,
        "serf_lan": serf_lan,
        "serf_wan": serf_wan,
    }
    ports = "ports {\n" + "".join(f"  {k} = {v}\n" for k, v in {**settings, "server": server}.items()) + "}\n"
    container = (
        DockerContainer(IMAGE)
        .with_command(["agent", "-dev", "-bind=127.0.0.1", "-client=127.0.0.1", "-hcl", ports])
        .with_kwargs(network_mode="host")
    )
    with container:
        address = f"127.0.0.1:{http}"
        _wait_for_leader(address)
        yield address


async def eventually(predicate: Callable[[], Awaitable[bool]], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


async def test_a_real_agent_takes_the_registration_as_arena_means_it(bridged: str):
    # Nothing answers the check from inside the container: the instance stays critical.
    instance = Instance("user", "user-test-1", "127.0.0.1", 1, 1001, "0.1.0")
    registrar = ConsulRegistrar(bridged, SETTINGS)
    discovery = ConsulDiscovery(bridged, refresh_s=0.2, wait_s=2)
    client = consul_client(bridged)
    try:
        await registrar.register(instance, USER)
        registered = client.agent.services()["user-test-1"]
        assert (registered["Service"], registered["Address"], registered["Port"]) == ("user", "127.0.0.1", 1)
        assert registered["Tags"] == ["arena", "grpc"]
        assert registered["Meta"] == {"version": "0.1.0", "grpc_port": "1", "web_port": "1001"}
        check = client.agent.checks()["service:user-test-1"]
        assert (check["Type"], check["ServiceID"], check["Status"]) == ("grpc", "user-test-1", "critical")

        _, everyone = client.health.service("user")
        assert [e["Service"]["ID"] for e in everyone] == ["user-test-1"]
        assert await discovery.instances("user") == []  # ?passing leaves it out

        await registrar.register(instance, USER)  # a restart re-registers: still one service, one check
        assert [c for c in client.agent.checks() if "user-test-1" in c] == ["service:user-test-1"]

        await registrar.deregister("user-test-1")
        assert "user-test-1" not in client.agent.services()
        await registrar.deregister("user-test-1")  # unknown now: 404, tolerated
    finally:
        await discovery.close()
        await registrar.close()


async def test_a_real_agent_checks_grpc_health_and_discovery_follows(host_network: str):
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_health.v1._async import HealthServicer

    server = grpc.aio.server()
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await health.set(USER.public_service, health_pb2.HealthCheckResponse.SERVING)
    instance = Instance("user", f"user-127.0.0.1-{port}", "127.0.0.1", port, port + 1000, "0.1.0")
    registrar = ConsulRegistrar(host_network, SETTINGS)
    discovery = ConsulDiscovery(host_network, refresh_s=0.2, wait_s=5)

    async def discovered() -> list[Instance]:
        return await discovery.instances("user")

    try:
        await registrar.register(instance, USER)

        async def present() -> bool:
            return await discovered() == [instance]

        await eventually(present)

        await health.set(USER.public_service, health_pb2.HealthCheckResponse.NOT_SERVING)

        async def gone() -> bool:
            return await discovered() == []

        # Consul staggers the first run, then checks every Interval: a few intervals suffice.
        await eventually(gone, timeout_s=10 * SETTINGS.check_interval_s)

        await registrar.deregister(instance.instance_id)
        assert instance.instance_id not in consul_client(host_network).agent.services()
    finally:
        await discovery.close()
        await registrar.close()
        await server.stop(None)
