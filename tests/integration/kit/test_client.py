"""The kit's client against real gRPC servers: breaker, retries only where safe, deadlines, metadata."""

from __future__ import annotations

import asyncio
import json
import time

import grpc
import pytest

from arena.kit import context as request_context
from arena.kit.client import Clients, ClientSettings, retry_service_config
from arena.kit.discovery import Instance
from arena.kit.errors import DeadlineExceeded, NotFound, Unavailable, UpstreamError
from arena.kit.metrics import Metrics
from arena.kit.status import code_of
from arena.realtime.v1 import realtime_internal_service_pb2, realtime_internal_service_pb2_grpc
from arena.user.v1 import user_service_pb2, user_service_pb2_grpc
from support.ports import free_port

pytestmark = pytest.mark.timeout(60)


class Users(user_service_pb2_grpc.UserServiceServicer):
    def __init__(self) -> None:
        self.calls = 0
        self.metadata: dict[str, str] = {}

    async def GetUser(self, request, context):
        self.calls += 1
        self.metadata = {k: v for k, v in context.invocation_metadata()}
        if request.user_id == "missing":
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        if request.user_id == "slow":
            await asyncio.sleep(2)
        return user_service_pb2.GetUserResponse()


class Publisher(realtime_internal_service_pb2_grpc.RealtimeInternalServiceServicer):
    def __init__(self) -> None:
        self.calls = 0

    async def Publish(self, request, context):
        self.calls += 1
        await context.abort(grpc.StatusCode.UNAVAILABLE, "try later")


class Upstream:
    def __init__(self, port: int) -> None:
        self.port = port
        self.users = Users()
        self.publisher = Publisher()
        self.server: grpc.aio.Server | None = None

    async def start(self) -> None:
        self.server = grpc.aio.server()
        user_service_pb2_grpc.add_UserServiceServicer_to_server(self.users, self.server)
        realtime_internal_service_pb2_grpc.add_RealtimeInternalServiceServicer_to_server(self.publisher, self.server)
        self.server.add_insecure_port(f"127.0.0.1:{self.port}")
        await self.server.start()

    async def stop(self) -> None:
        assert self.server is not None
        await self.server.stop(None)


class FixedDiscovery:
    source = "static"

    def __init__(self, port: int) -> None:
        self.port = port

    async def instances(self, service: str):
        return [Instance(service, f"{service}-{self.port}", "127.0.0.1", self.port, self.port + 1)]

    async def close(self) -> None:
        pass


@pytest.fixture
async def upstream():
    server = Upstream(free_port())
    await server.start()
    yield server
    if server.server is not None:
        await server.server.stop(None)


@pytest.fixture
async def clients(upstream: Upstream):
    settings = ClientSettings(breaker_fail_max=3, breaker_reset_timeout_s=0.5, default_timeout_s=1.0)
    made = Clients(FixedDiscovery(upstream.port), Metrics("test"), caller="test", settings=settings)
    yield made
    await made.close()


def users(clients: Clients):
    return clients.stub(user_service_pb2_grpc.UserServiceStub, "user")


async def test_business_errors_pass_through_and_never_trip_the_breaker(clients: Clients, upstream: Upstream):
    for _ in range(5):
        with pytest.raises(UpstreamError) as caught:
            await users(clients).GetUser(user_service_pb2.GetUserRequest(user_id="missing"))
        assert caught.value.code == grpc.StatusCode.NOT_FOUND
    assert breaker_state(clients) == "closed"


def breaker_state(clients: Clients) -> str:
    (member,) = clients.upstream("user").members.values()
    return member.breaker.current_state


async def test_the_breaker_opens_fails_fast_and_closes_when_the_upstream_is_back(clients: Clients, upstream: Upstream):
    await users(clients).GetUser(user_service_pb2.GetUserRequest(user_id="u"))
    await upstream.stop()
    for _ in range(3):
        with pytest.raises(Unavailable):
            await users(clients).GetUser(user_service_pb2.GetUserRequest(user_id="u"))
    assert breaker_state(clients) == "open"
    calls_before = upstream.users.calls
    with pytest.raises(Unavailable) as caught:
        await users(clients).GetUser(user_service_pb2.GetUserRequest(user_id="u"))
    assert caught.value.reason == "CIRCUIT_OPEN"  # refused without a call
    stats = {s.upstream: s for s in clients.stats()}["user"]
    assert stats.breaker_state == "open" and stats.instance_id == f"user-{upstream.port}"
    assert stats.rejected_count == 1
    await upstream.start()
    deadline = time.monotonic() + 10
    while True:  # after the reset timeout a trial call is let through, and it succeeds
        await asyncio.sleep(0.2)
        try:
            await users(clients).GetUser(user_service_pb2.GetUserRequest(user_id="u"))
            break
        except Unavailable:
            assert time.monotonic() < deadline, "the breaker never closed again"
    assert breaker_state(clients) == "closed"
    assert upstream.users.calls == calls_before + 1


async def test_idempotent_methods_are_retried_and_others_are_not(clients: Clients, upstream: Upstream):
    config = json.loads(retry_service_config(ClientSettings()))
    retried = {(n["service"], n["method"]) for n in config["methodConfig"][0]["name"]}
    assert ("arena.user.v1.UserService", "GetUser") in retried
    assert ("arena.realtime.v1.RealtimeInternalService", "Publish") not in retried
    assert ("arena.user.v1.UserService", "CreateUser") not in retried
    publisher = clients.stub(realtime_internal_service_pb2_grpc.RealtimeInternalServiceStub, "realtime")
    with pytest.raises(Unavailable):
        await publisher.Publish(realtime_internal_service_pb2.PublishRequest(topic="t", event_type="e"))
    assert upstream.publisher.calls == 1


async def test_calls_carry_the_callers_deadline_and_request_context(clients: Clients, upstream: Upstream):
    token = request_context.set_current(
        request_context.RequestContext(
            request_id="req-42",
            method="/x/Y",
            transport="grpc",
            traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            authorization="Bearer abc",
            deadline=time.monotonic() + 0.3,
        )
    )
    try:
        await users(clients).GetUser(user_service_pb2.GetUserRequest(user_id="u"), on_behalf_of_caller=True)
        assert upstream.users.metadata["x-request-id"] == "req-42"
        assert upstream.users.metadata["traceparent"].startswith("00-0af7651916cd43dd")
        assert upstream.users.metadata["authorization"] == "Bearer abc"
        await users(clients).GetUser(user_service_pb2.GetUserRequest(user_id="u"))
        assert "authorization" not in upstream.users.metadata  # only when acting for the caller
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            await users(clients).GetUser(user_service_pb2.GetUserRequest(user_id="slow"))
        assert time.monotonic() - started < 0.5  # the caller's 0.3 s budget, not the 1 s default
    finally:
        request_context.reset(token)


async def test_no_time_left_fails_without_calling(clients: Clients, upstream: Upstream):
    token = request_context.set_current(
        request_context.RequestContext("r", "/x/Y", "grpc", "t", deadline=time.monotonic() - 1)
    )
    try:
        with pytest.raises(DeadlineExceeded):
            await users(clients).GetUser(user_service_pb2.GetUserRequest(user_id="u"))
        assert upstream.users.calls == 0
    finally:
        request_context.reset(token)


def test_not_found_is_reported_with_its_type():
    assert code_of(NotFound("user", "u")) == grpc.StatusCode.NOT_FOUND
