"""The same register → discover → deregister flow against a real Consul agent in a container.

Runs wherever a Docker engine is reachable; this build machine has none (no Consul binary can be
installed here either), so there it is skipped with that reason.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from arena.kit.consul import ConsulRegistrar, RegistrationSettings
from arena.kit.discovery import ConsulDiscovery, Instance
from arena.kit.services import service


def docker_reachable() -> bool:
    try:
        import docker

        docker.from_env().ping()
    except Exception:
        return False
    return True


pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not docker_reachable(), reason="no Docker engine reachable (none runs on the build machines)"),
]


@pytest.fixture(scope="module")
def consul_address():
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    container = (
        DockerContainer("hashicorp/consul:1.19").with_command("agent -dev -client 0.0.0.0").with_exposed_ports(8500)
    )
    with container:
        wait_for_logs(container, "Consul agent running", timeout=60)
        yield f"{container.get_container_host_ip()}:{container.get_exposed_port(8500)}"


async def test_register_discover_deregister(consul_address: str):
    spec = service("user")
    # No gRPC server answers the check, so the instance is critical: it must not be discovered.
    instance = Instance("user", "user-test-1", "127.0.0.1", 1, 2, "0.1.0")
    registrar = ConsulRegistrar(consul_address, RegistrationSettings(check_interval_s=1, check_timeout_s=1))
    await registrar.register(instance, spec)
    discovery = ConsulDiscovery(consul_address, wait_s=1)
    try:
        import consul

        client = consul.Consul(host=consul_address.split(":")[0], port=int(consul_address.split(":")[1]))
        deadline = time.monotonic() + 30
        while "user-test-1" not in client.agent.services():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)
        assert await discovery.instances("user") == []
        await registrar.deregister("user-test-1")
        assert "user-test-1" not in client.agent.services()
    finally:
        await discovery.close()
