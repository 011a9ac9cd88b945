"""Registration and discovery against the documented Consul HTTP API (a contract-test double)."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer

from arena.kit.consul import ConsulRegistrar, RegistrationSettings
from arena.kit.discovery import ConsulDiscovery, Instance
from arena.kit.services import service
from support.consul_emulator import ConsulEmulator
from support.ports import free_port

pytestmark = pytest.mark.timeout(60)
USER = service("user")
FAST = RegistrationSettings(check_interval_s=0.2, check_timeout_s=0.2, deregister_after_s=30, attempts=2)


@pytest.fixture
def consul():
    emulator = ConsulEmulator().start()
    yield emulator
    emulator.stop()


class HealthServer:
    def __init__(self, port: int, server: grpc.aio.Server, health: HealthServicer) -> None:
        self.port, self.server, self.health = port, server, health


async def health_server() -> HealthServer:
    server = grpc.aio.server()
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await health.set(USER.public_service, health_pb2.HealthCheckResponse.SERVING)
    return HealthServer(port, server, health)


def user_instance(port: int) -> Instance:
    return Instance("user", f"user-127.0.0.1-{port}", "127.0.0.1", port, port + 1000, "1.2.3")


async def wait_until(predicate, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_register_sends_the_documented_payload_with_a_grpc_check(consul: ConsulEmulator):
    instance = user_instance(51234)
    await ConsulRegistrar(consul.address, FAST).register(instance, USER)
    (request,) = consul.requests_to("/v1/agent/service/register")
    assert request.method == "PUT"
    assert request.query == {"replace-existing-checks": ["true"]}
    body = {k.lower(): v for k, v in request.body.items()}
    assert body["id"] == "user-127.0.0.1-51234" and body["name"] == "user"
    assert body["address"] == "127.0.0.1" and body["port"] == 51234
    assert body["tags"] == ["arena", "grpc"]
    assert body["meta"] == {"version": "1.2.3", "grpc_port": "51234", "web_port": "52234"}
    (check,) = body["checks"]
    assert check["grpc"] == "127.0.0.1:51234/arena.user.v1.UserService"
    assert check["grpc_use_tls"] is False
    assert (check["interval"], check["timeout"], check["DeregisterCriticalServiceAfter"]) == ("200ms", "200ms", "30s")


async def test_deregister_and_a_missing_agent_do_not_raise(consul: ConsulEmulator):
    registrar = ConsulRegistrar(consul.address, FAST)
    await registrar.register(user_instance(51235), USER)
    await registrar.deregister("user-127.0.0.1-51235")
    await registrar.deregister("user-127.0.0.1-51235")  # 404: logged, not raised
    assert [r.path for r in consul.requests_to("/v1/agent/service/deregister/")] == [
        "/v1/agent/service/deregister/user-127.0.0.1-51235"
    ] * 2
    dead = ConsulRegistrar(f"127.0.0.1:{free_port()}", FAST)
    await dead.deregister("anything")
    with pytest.raises(RuntimeError, match="could not register"):
        await dead.register(user_instance(1), USER)


async def test_discovery_follows_real_health_checks(consul: ConsulEmulator):
    first, second = await health_server(), await health_server()
    registrar = ConsulRegistrar(consul.address, FAST)
    discovery = ConsulDiscovery(consul.address, wait_s=1.0, retry_s=0.1)
    try:
        await registrar.register(user_instance(first.port), USER)
        await registrar.register(user_instance(second.port), USER)

        async def both() -> bool:
            return len(await discovery.instances("user")) == 2

        await wait_until(both)  # D4: two instances on one host, told apart by port
        found = await discovery.instances("user")
        assert sorted(i.grpc_port for i in found) == sorted([first.port, second.port])
        assert {i.web_port for i in found} == {first.port + 1000, second.port + 1000}
        query = consul.requests_to("/v1/health/service/user")[0].query
        assert query["passing"] == ["1"]

        await first.health.set(USER.public_service, health_pb2.HealthCheckResponse.NOT_SERVING)
        started = time.monotonic()

        async def only_second() -> bool:
            return [i.grpc_port for i in await discovery.instances("user")] == [second.port]

        await wait_until(only_second)  # D3: leaves the passing set within interval + timeout (+ a poll)
        assert time.monotonic() - started < 2.0
    finally:
        await discovery.close()
        await first.server.stop(None)
        await second.server.stop(None)


async def test_discovery_keeps_the_last_known_instances_when_consul_goes_away(consul: ConsulEmulator):
    server = await health_server()
    await ConsulRegistrar(consul.address, FAST).register(user_instance(server.port), USER)
    discovery = ConsulDiscovery(consul.address, wait_s=0.5, retry_s=0.1)
    try:

        async def found() -> bool:
            return len(await discovery.instances("user")) == 1

        await wait_until(found)
        consul.stop()
        await asyncio.sleep(1.0)
        assert [i.grpc_port for i in await discovery.instances("user")] == [server.port]
    finally:
        await discovery.close()
        await server.server.stop(None)
