"""Several instances of one upstream: a breaker per instance, fail-over, recovery (real gRPC servers)."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from arena.kit.client import Clients, ClientSettings
from arena.kit.discovery import Instance
from arena.kit.errors import Unavailable
from arena.kit.metrics import Metrics
from arena.realtime.v1 import realtime_internal_service_pb2, realtime_internal_service_pb2_grpc
from arena.user.v1 import user_service_pb2, user_service_pb2_grpc
from support.ports import free_port
from support.upstreams import CountingUsers

pytestmark = pytest.mark.timeout(60)


class Publisher(realtime_internal_service_pb2_grpc.RealtimeInternalServiceServicer):
    def __init__(self) -> None:
        self.calls = 0

    async def Publish(self, request, context):
        self.calls += 1
        return realtime_internal_service_pb2.PublishResponse()


class Server:
    """One upstream instance: a real grpc.aio server on its own port that can stop and start again."""

    def __init__(self, name: str) -> None:
        self.port = free_port()
        self.instance_id = name
        self.users = CountingUsers()
        self.publisher = Publisher()
        self.server: grpc.aio.Server | None = None

    def instance(self, service: str) -> Instance:
        return Instance(service, self.instance_id, "127.0.0.1", self.port, self.port + 1)

    async def start(self) -> None:
        self.server = grpc.aio.server()
        user_service_pb2_grpc.add_UserServiceServicer_to_server(self.users, self.server)
        realtime_internal_service_pb2_grpc.add_RealtimeInternalServiceServicer_to_server(self.publisher, self.server)
        self.server.add_insecure_port(f"127.0.0.1:{self.port}")
        await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(None)
            self.server = None


class ListedDiscovery:
    """Discovery whose list the test edits (as the registry's probe or Consul would)."""

    source = "static"

    def __init__(self, servers: list[Server]) -> None:
        self.listed = list(servers)

    async def instances(self, service: str) -> list[Instance]:
        return [s.instance(service) for s in self.listed]

    async def close(self) -> None:
        pass


@pytest.fixture
async def servers():
    made = [Server("user-1"), Server("user-2")]
    for server in made:
        await server.start()
    yield made
    for server in made:
        await server.stop()


@pytest.fixture
async def discovery(servers: list[Server]) -> ListedDiscovery:
    return ListedDiscovery(servers)


@pytest.fixture
async def clients(discovery: ListedDiscovery):
    settings = ClientSettings(breaker_fail_max=2, breaker_reset_timeout_s=0.5, default_timeout_s=2.0)
    metrics = Metrics("test")
    made = Clients(discovery, metrics, caller="test", settings=settings)
    yield made
    await made.close()


def get_user(clients: Clients):
    return clients.stub(user_service_pb2_grpc.UserServiceStub, "user").GetUser(
        user_service_pb2.GetUserRequest(user_id="u")
    )


def states(clients: Clients) -> dict[str, str]:
    return {s.instance_id: s.breaker_state for s in clients.stats() if s.upstream == "user"}


def gauge(clients: Clients, instance_id: str) -> float:
    value = clients.metrics.registry.get_sample_value(
        "arena_client_breaker_state", {"service": "test", "upstream": "user", "instance": instance_id}
    )
    assert value is not None
    return value


async def test_calls_are_spread_round_robin_over_instances(clients: Clients, servers: list[Server]):
    for _ in range(10):
        await get_user(clients)
    assert [s.users.calls for s in servers] == [5, 5]
    stats = {s.instance_id: s for s in clients.stats()}
    assert stats["user-1"].call_count == 5 and stats["user-1"].target == f"127.0.0.1:{servers[0].port}"
    assert states(clients) == {"user-1": "closed", "user-2": "closed"}


async def test_a_stopped_instance_opens_only_its_own_breaker_and_calls_go_to_the_other(
    clients: Clients, servers: list[Server]
):
    await get_user(clients)
    await servers[1].stop()
    for _ in range(10):
        await get_user(clients)  # the idempotent GetUser is tried again on user-1: no failure reaches us
    assert states(clients) == {"user-1": "closed", "user-2": "open"}
    assert gauge(clients, "user-2") == 1 and gauge(clients, "user-1") == 0
    calls_before = servers[0].users.calls
    for _ in range(4):
        await get_user(clients)
    assert servers[0].users.calls == calls_before + 4  # the open instance is skipped, not tried first
    stats = {s.instance_id: s for s in clients.stats()}
    assert stats["user-2"].error_count == 2 and stats["user-2"].consecutive_failures == 2


async def test_an_open_breaker_half_opens_and_closes_when_its_instance_is_back(clients: Clients, servers: list[Server]):
    await servers[1].stop()
    for _ in range(6):
        await get_user(clients)
    assert states(clients)["user-2"] == "open"
    await servers[1].start()
    deadline = time.monotonic() + 10
    while states(clients)["user-2"] != "closed":  # after the reset timeout one trial call goes to user-2
        assert time.monotonic() < deadline, "user-2's breaker never closed again"
        await asyncio.sleep(0.1)
        await get_user(clients)
    assert gauge(clients, "user-2") == 0
    before = servers[1].users.calls
    for _ in range(4):
        await get_user(clients)
    assert servers[1].users.calls == before + 2


async def test_when_every_breaker_is_open_calls_fail_fast_with_circuit_open(clients: Clients, servers: list[Server]):
    for server in servers:
        await server.stop()
    for _ in range(2):  # each call tries both instances: two failures each open both breakers
        with pytest.raises(Unavailable) as caught:
            await get_user(clients)
        assert caught.value.reason != "CIRCUIT_OPEN"
    assert states(clients) == {"user-1": "open", "user-2": "open"}
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        await get_user(clients)
    assert caught.value.reason == "CIRCUIT_OPEN"
    assert time.monotonic() - started < 0.5  # refused without waiting on any connection
    assert all(s.rejected_count == 1 for s in clients.stats())


async def test_non_idempotent_calls_are_tried_elsewhere_only_when_they_never_reached_a_server(
    clients: Clients, servers: list[Server]
):
    publisher = clients.stub(realtime_internal_service_pb2_grpc.RealtimeInternalServiceStub, "realtime")
    request = realtime_internal_service_pb2.PublishRequest(topic="t", event_type="e")
    await servers[0].stop()  # connection refused: provably never sent, so the other instance gets it
    for _ in range(4):
        await publisher.Publish(request)
    assert servers[1].publisher.calls == 4


async def test_an_instance_dropped_by_discovery_is_no_longer_called_and_its_channel_closes(
    clients: Clients, servers: list[Server], discovery: ListedDiscovery
):
    for _ in range(4):
        await get_user(clients)
    dropped = servers[1].instance("user")
    channel = clients.channel(dropped)
    discovery.listed = [servers[0]]
    before = servers[1].users.calls
    for _ in range(6):
        await get_user(clients)
    assert servers[1].users.calls == before
    assert set(states(clients)) == {"user-1"}
    assert clients.channel(dropped) is not channel  # the old one was closed and forgotten
    await asyncio.sleep(0)


async def test_no_listed_instance_is_unavailable(clients: Clients, discovery: ListedDiscovery):
    discovery.listed = []
    with pytest.raises(Unavailable) as caught:
        await get_user(clients)
    assert caught.value.reason == "UPSTREAM_UNAVAILABLE"
