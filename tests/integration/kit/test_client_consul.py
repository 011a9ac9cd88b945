"""Several instances found through Consul (the agent emulator, with real gRPC checks): a dead instance
stops getting calls within about a second, with no failed call, and gets them again once it is back."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from arena.consul import ConsulDiscovery, ConsulRegistrar
from arena.consul.registration import RegistrationSettings
from arena.kit.client import Clients, ClientSettings
from arena.kit.discovery import Instance
from arena.kit.metrics import Metrics
from arena.kit.services import service
from arena.user.v1 import user_service_pb2, user_service_pb2_grpc
from support.consul_emulator import ConsulEmulator
from support.ports import free_port
from support.upstreams import CountingUsers

pytestmark = pytest.mark.timeout(60)

CHECKS = RegistrationSettings(check_interval_s=0.25, check_timeout_s=0.2, deregister_critical_after_s=60)


class UserInstance:
    def __init__(self, instance_id: str) -> None:
        self.port = free_port()
        self.instance = Instance("user", instance_id, "127.0.0.1", self.port, self.port + 1, "1")
        self.users = CountingUsers()
        self.server: grpc.aio.Server | None = None

    async def start(self) -> None:
        self.server = grpc.aio.server()
        user_service_pb2_grpc.add_UserServiceServicer_to_server(self.users, self.server)
        checker = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(checker, self.server)
        self.server.add_insecure_port(f"127.0.0.1:{self.port}")
        await self.server.start()
        await checker.set(service("user").public_service, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(None)
            self.server = None


@pytest.fixture
def consul():
    emulator = ConsulEmulator().start()
    yield emulator
    emulator.stop()


async def test_calls_follow_consul_across_instances(consul: ConsulEmulator):
    instances = [UserInstance("user-a"), UserInstance("user-b")]
    registrar = ConsulRegistrar(consul.address, CHECKS)
    for one in instances:
        await one.start()
        await registrar.register(one.instance, service("user"))
    discovery = ConsulDiscovery(consul.address, refresh_s=0.2, wait_s=5)
    clients = Clients(discovery, Metrics("test"), caller="test", settings=ClientSettings(default_timeout_s=2))
    users = clients.stub(user_service_pb2_grpc.UserServiceStub, "user")
    request = user_service_pb2.GetUserRequest(user_id="u")
    try:
        deadline = time.monotonic() + 10
        while len(await discovery.instances("user")) < 2:  # both checks passed once
            assert time.monotonic() < deadline, "Consul never listed both instances"
            await asyncio.sleep(0.05)
        for _ in range(10):
            await users.GetUser(request)
        assert [one.users.calls for one in instances] == [5, 5]

        await instances[1].stop()  # dies without deregistering
        stopped = time.monotonic()
        while [i.instance_id for i in await discovery.instances("user")] != ["user-a"]:
            await users.GetUser(request)  # never fails: tried again on user-a
            assert time.monotonic() - stopped < 2, "the dead instance stayed in discovery"
            await asyncio.sleep(0.02)
        assert time.monotonic() - stopped < 1.5
        await users.GetUser(request)  # the next call sees discovery's list
        assert {s.instance_id for s in clients.stats()} == {"user-a"}  # forgotten, its channel closed

        await instances[1].start()
        deadline = time.monotonic() + 10
        while instances[1].users.calls == 5:
            assert time.monotonic() < deadline, "the restarted instance never got calls again"
            await users.GetUser(request)
            await asyncio.sleep(0.02)
    finally:
        await clients.close()
        await discovery.close()
        await registrar.close()
        for one in instances:
            await one.stop()
