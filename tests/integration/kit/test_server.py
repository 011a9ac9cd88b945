"""The kit's server in-process: middleware on native gRPC, graceful shutdown, metrics."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import struct

import grpc
import httpx
import pytest
import sqlalchemy as sa
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from arena.kit import middleware
from arena.kit.auth import JwksKeySource
from arena.kit.config import load_server
from arena.kit.db import make_engine
from arena.kit.errors import NotFound
from arena.kit.middleware import STREAM_STARTED
from arena.kit.server import ServiceParts, serve
from arena.realtime.v1 import (
    realtime_internal_service_pb2,
    realtime_internal_service_pb2_grpc,
    realtime_pb2,
    realtime_service_pb2,
    realtime_service_pb2_grpc,
)
from arena.user.tokens import TokenSettings, generate_signing_key, issue_access_token
from support.ports import free_ports

pytestmark = pytest.mark.timeout(60)

KEY = generate_signing_key(dt.datetime.now(dt.UTC))


class Publisher(realtime_internal_service_pb2_grpc.RealtimeInternalServiceServicer):
    def __init__(self) -> None:
        self.slow_started = asyncio.Event()

    async def Publish(self, request, context):
        if request.topic == "slow":
            self.slow_started.set()
            await asyncio.sleep(1.0)
        elif request.topic == "boom":
            raise ValueError("secret internals")
        elif request.topic == "missing":
            raise NotFound("topic", request.topic)
        elif request.topic == "database-down":
            await _query_a_database_that_is_not_there()
        return realtime_internal_service_pb2.PublishResponse(sequence=7)


async def _query_a_database_that_is_not_there() -> None:
    """A real driver failure: PostgreSQL's port with nobody listening (connection refused)."""
    (port,) = free_ports(1)
    engine = make_engine(f"postgresql+psycopg://arena:arena@127.0.0.1:{port}/arena")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
    finally:
        await engine.dispose()


class Subscriber(realtime_service_pb2_grpc.RealtimeServiceServicer):
    def __init__(self) -> None:
        self.closed = asyncio.Event()

    async def Subscribe(self, request, context):
        topic = request.topics[0]
        if topic == "missing":  # refused by the servicer's own check, before the stream starts
            raise NotFound("topic", topic)
        if topic in ("started", "quiet"):  # nothing to say for a long time, with or without saying it started
            if topic == "started":
                yield STREAM_STARTED
            await asyncio.sleep(3600)
        try:
            sequence = 0
            while True:
                sequence += 1
                yield realtime_service_pb2.SubscribeResponse(
                    message=realtime_pb2.TopicMessage(topic=request.topics[0], sequence=sequence)
                )
                await asyncio.sleep(0.05)
        finally:
            self.closed.set()


class Server:
    def __init__(
        self,
        grpc_port: int,
        web_port: int,
        task: asyncio.Task,
        stop: asyncio.Event,
        sub: Subscriber,
        publisher: Publisher,
    ):
        self.publisher = publisher
        self.grpc_target = f"127.0.0.1:{grpc_port}"
        self.web_url = f"http://127.0.0.1:{web_port}"
        self.task = task
        self.stop = stop
        self.subscriber = sub


@pytest.fixture
async def server(tmp_path):
    grpc_port, web_port = free_ports(2)
    config = load_server(
        "realtime",
        {
            "ARENA_DATA_DIR": str(tmp_path),
            "ARENA_REALTIME_GRPC_PORT": str(grpc_port),
            "ARENA_REALTIME_WEB_PORT": str(web_port),
            "ARENA_SHUTDOWN_GRACE_S": "5",
            "ARENA_JWT_ISSUER": "test-issuer",
            "ARENA_JWT_AUDIENCE": "test-audience",
        },
    )
    subscriber = Subscriber()
    publisher = Publisher()

    async def jwks():
        return [KEY.public_jwk]

    async def build(runtime):
        return ServiceParts(
            servicers=[
                (realtime_service_pb2_grpc.add_RealtimeServiceServicer_to_server, subscriber),
                (
                    realtime_internal_service_pb2_grpc.add_RealtimeInternalServiceServicer_to_server,
                    publisher,
                ),
            ],
            key_source=JwksKeySource(jwks),
        )

    ready = asyncio.Event()
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(config, build, stop=stop, register=False, handle_signals=False, on_ready=lambda _: ready.set())
    )
    await asyncio.wait_for(ready.wait(), 15)
    yield Server(grpc_port, web_port, task, stop, subscriber, publisher)
    stop.set()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(task, 15)


def token(*, roles=frozenset({"USER"})) -> str:
    settings = TokenSettings(issuer="test-issuer", audience="test-audience")
    return issue_access_token(
        KEY,
        user_id="u1",
        username="alice",
        roles=roles,
        session_id="s1",
        now=dt.datetime.now(dt.UTC),
        settings=settings,
    ).token


def publish_stub(channel):
    return realtime_internal_service_pb2_grpc.RealtimeInternalServiceStub(channel)


async def test_request_id_is_echoed_and_generated(server: Server):
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        call = publish_stub(channel).Publish(
            realtime_internal_service_pb2.PublishRequest(topic="t", event_type="e"),
            metadata=[("x-request-id", "abc-1")],
        )
        await call
        assert ("x-request-id", "abc-1") in tuple(await call.trailing_metadata())
        call = publish_stub(channel).Publish(realtime_internal_service_pb2.PublishRequest(topic="t", event_type="e"))
        await call
        generated = dict(tuple(await call.trailing_metadata()))["x-request-id"]
        assert len(generated) == 32


async def test_unexpected_exception_is_internal_with_request_id_and_no_internals(server: Server):
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await publish_stub(channel).Publish(
                realtime_internal_service_pb2.PublishRequest(topic="boom", event_type="e"),
                metadata=[("x-request-id", "req-boom")],
            )
    error = caught.value
    assert error.code() == grpc.StatusCode.INTERNAL
    assert "req-boom" in error.details()
    assert "secret internals" not in error.details() and "Traceback" not in error.details()
    assert dict(error.trailing_metadata())["x-request-id"] == "req-boom"


async def test_an_unreachable_database_is_retryable_unavailable_not_internal(server: Server):
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await publish_stub(channel).Publish(
                realtime_internal_service_pb2.PublishRequest(topic="database-down", event_type="e")
            )
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    status = rpc_status.from_call(caught.value)
    details = {d.type_url.rsplit("/", 1)[1]: d for d in status.details}
    info = error_details_pb2.ErrorInfo()
    details["google.rpc.ErrorInfo"].Unpack(info)
    assert info.reason == "DATABASE_UNAVAILABLE"
    assert "google.rpc.RetryInfo" in details
    assert "psycopg" not in caught.value.details() and "127.0.0.1" not in caught.value.details()


async def test_domain_errors_carry_details(server: Server):
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await publish_stub(channel).Publish(
                realtime_internal_service_pb2.PublishRequest(topic="missing", event_type="e")
            )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    status = rpc_status.from_call(caught.value)
    kinds = {d.type_url.rsplit("/", 1)[1] for d in status.details}
    assert {"google.rpc.ErrorInfo", "google.rpc.ResourceInfo", "google.rpc.RequestInfo"} <= kinds


async def test_missing_required_fields_are_invalid_argument(server: Server):
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await publish_stub(channel).Publish(realtime_internal_service_pb2.PublishRequest())
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(caught.value)
    bad_request = error_details_pb2.BadRequest()
    next(d for d in status.details if d.Is(bad_request.DESCRIPTOR)).Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == ["topic", "event_type"]


async def test_tokens_are_verified_even_on_public_methods(server: Server):
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        stub = realtime_service_pb2_grpc.RealtimeServiceStub(channel)
        request = realtime_service_pb2.SubscribeRequest(topics=["t"])
        call = stub.Subscribe(request, metadata=[("authorization", f"Bearer {token()}")])
        first = await call.read()
        assert first.message.sequence == 1
        call.cancel()
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Subscribe(request, metadata=[("authorization", "Bearer not-a-jwt")]).read()
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_metrics_count_calls_per_method(server: Server):
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        for _ in range(3):
            await publish_stub(channel).Publish(realtime_internal_service_pb2.PublishRequest(topic="t", event_type="e"))
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{server.web_url}/metrics")).text
        health = await http.get(f"{server.web_url}/healthz")
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("arena_rpc_handled_total{")
        and "RealtimeInternalService/Publish" in line
        and 'code="OK"' in line
        and 'transport="grpc"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) == 3.0
    assert "arena_rpc_duration_seconds_bucket" in text
    assert health.status_code == 200 and health.json()["status"] == "SERVING"


async def test_shutdown_finishes_unary_calls_and_ends_streams_cleanly(server: Server):
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        slow = publish_stub(channel).Publish(realtime_internal_service_pb2.PublishRequest(topic="slow", event_type="e"))
        stream = realtime_service_pb2_grpc.RealtimeServiceStub(channel).Subscribe(
            realtime_service_pb2.SubscribeRequest(topics=["t"])
        )
        assert (await stream.read()).message.sequence == 1
        await asyncio.wait_for(server.publisher.slow_started.wait(), 10)  # the slow call is in flight
        server.stop.set()
        messages = []
        while (message := await stream.read()) is not grpc.aio.EOF:
            messages.append(message)
        assert messages and messages[-1].last is True
        assert await stream.code() == grpc.StatusCode.OK
        assert (await slow).sequence == 7
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await publish_stub(channel).Publish(realtime_internal_service_pb2.PublishRequest(topic="t", event_type="e"))
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert await asyncio.wait_for(server.task, 10) == 0
    assert server.subscriber.closed.is_set()


SUBSCRIBE = "/arena.realtime.v1.RealtimeService/Subscribe"
PUBLISH = "/arena.realtime.v1.RealtimeInternalService/Publish"
WEB_HEADERS = {"content-type": "application/grpc-web+proto", "x-grpc-web": "1"}


def web_frame(payload: bytes) -> bytes:
    return struct.pack(">BI", 0, len(payload)) + payload


def web_status(headers: httpx.Headers) -> status_pb2.Status:
    """The google.rpc.Status of a trailers-only gRPC-Web answer."""
    raw = headers["grpc-status-details-bin"]
    return status_pb2.Status.FromString(base64.b64decode(raw + "=" * (-len(raw) % 4)))


def error_details(status) -> tuple[str, str]:
    info, request = error_details_pb2.ErrorInfo(), error_details_pb2.RequestInfo()
    next(d for d in status.details if d.Is(info.DESCRIPTOR)).Unpack(info)
    next(d for d in status.details if d.Is(request.DESCRIPTOR)).Unpack(request)
    return info.reason, request.request_id


# A field whose tag says "length-delimited" but no length follows: the shape Envoy's JSON transcoder
# sends for a JSON object in a map of strings ({"attributes": {"x": {}}} became ... 0a 01 78 12).
CORRUPT = b"\x0a\x01x\x12"


@pytest.mark.parametrize("path", [PUBLISH, SUBSCRIBE])
async def test_an_undecodable_request_is_invalid_argument_with_details_over_native_grpc(server: Server, path):
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        if path == SUBSCRIBE:
            call = channel.unary_stream(path)(CORRUPT, metadata=[("x-request-id", "req-corrupt")])
        else:
            call = channel.unary_unary(path)(CORRUPT, metadata=[("x-request-id", "req-corrupt")])
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await (call.read() if path == SUBSCRIBE else call)
    error = caught.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "DecodeError" not in error.details() and "class" not in error.details()
    assert error_details(rpc_status.from_call(error)) == ("MALFORMED_REQUEST", "req-corrupt")


@pytest.mark.parametrize("path", [PUBLISH, SUBSCRIBE])
async def test_an_undecodable_request_is_invalid_argument_with_details_over_grpc_web(server: Server, path):
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            f"{server.web_url}{path}", content=web_frame(CORRUPT), headers={**WEB_HEADERS, "x-request-id": "req-web"}
        )
    assert response.status_code == 200 and response.headers["grpc-status"] == "3"  # trailers-only
    assert error_details(web_status(response.headers)) == ("MALFORMED_REQUEST", "req-web")


HEADERS_WAIT_S = 1.0  # what "at once" means here: far above the kit's own bound, far below any stream's idle time


@pytest.fixture
def no_header_fallback(monkeypatch):
    """Streams get their headers only from a message or STREAM_STARTED (list it before ``server``)."""
    monkeypatch.setattr(middleware, "STREAM_HEADERS_WITHIN_S", 3600.0)


def subscribe_frame(topic: str) -> bytes:
    return web_frame(realtime_service_pb2.SubscribeRequest(topics=[topic]).SerializeToString())


async def native_stream_headers(server: Server, topic: str) -> dict:
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        call = realtime_service_pb2_grpc.RealtimeServiceStub(channel).Subscribe(
            realtime_service_pb2.SubscribeRequest(topics=[topic]), metadata=[("x-request-id", f"req-{topic}")]
        )
        try:
            return dict(tuple(await asyncio.wait_for(call.initial_metadata(), HEADERS_WAIT_S)))
        finally:
            call.cancel()


async def web_stream_headers(server: Server, topic: str) -> httpx.Headers:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=HEADERS_WAIT_S)) as http:
        request = http.build_request(
            "POST", f"{server.web_url}{SUBSCRIBE}", content=subscribe_frame(topic),
            headers={**WEB_HEADERS, "x-request-id": f"req-{topic}"},
        )  # fmt: skip
        response = await asyncio.wait_for(http.send(request, stream=True), HEADERS_WAIT_S)
        await response.aclose()
        assert response.status_code == 200
        return response.headers


async def test_a_stream_that_says_it_started_sends_its_headers_at_once(no_header_fallback, server: Server):
    assert (await native_stream_headers(server, "started"))["x-request-id"] == "req-started"
    headers = await web_stream_headers(server, "started")
    assert headers["x-request-id"] == "req-started" and "grpc-status" not in headers


async def test_a_quiet_stream_sends_its_headers_within_the_kits_bound(server: Server):
    assert (await native_stream_headers(server, "quiet"))["x-request-id"] == "req-quiet"
    headers = await web_stream_headers(server, "quiet")
    assert headers["x-request-id"] == "req-quiet" and "grpc-status" not in headers


async def test_a_stream_refused_before_it_starts_is_trailers_only(server: Server):
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        call = realtime_service_pb2_grpc.RealtimeServiceStub(channel).Subscribe(
            realtime_service_pb2.SubscribeRequest(topics=["missing"])
        )
        assert await call.code() == grpc.StatusCode.NOT_FOUND
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(f"{server.web_url}{SUBSCRIBE}", content=subscribe_frame("missing"),
                                   headers=WEB_HEADERS)  # fmt: skip
    assert response.headers["grpc-status"] == "5" and response.content == b""  # the status in the headers


def test_the_web_listener_disables_nagle_on_accepted_connections():
    """Without TCP_NODELAY every gRPC-Web answer waited ~40 ms for the client's delayed ACK."""
    import socket

    from arena.kit.server import _listening_socket

    listener = _listening_socket("127.0.0.1", 0, reuse_port=False)
    try:
        assert listener.proto == socket.IPPROTO_TCP  # asyncio sets TCP_NODELAY only on these
        client = socket.create_connection(listener.getsockname())
        listener.setblocking(True)
        accepted, _ = listener.accept()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        accepted.close()
        client.close()
    finally:
        listener.close()
