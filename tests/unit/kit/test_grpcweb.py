"""arena.kit.grpcweb over a real uvicorn server on 127.0.0.1, with Arena's generated realtime protos.

Each test names the defect (S1-S9) or the gRPC-Web check (W1-W8) from the edge research notes it
covers; run against sonora's own ``grpcASGI`` every one of them fails.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import struct

import grpc
import httpx
import pytest
import pytest_asyncio
import sonora.aio
import sonora.client
import structlog
import uvicorn
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from arena.kit import grpcweb
from arena.kit.grpcweb import ArenaGrpcASGI
from arena.realtime.v1 import realtime_internal_service_pb2 as internal_pb2
from arena.realtime.v1 import realtime_internal_service_pb2_grpc as internal_grpc
from arena.realtime.v1 import realtime_pb2
from arena.realtime.v1 import realtime_service_pb2 as public_pb2
from arena.realtime.v1 import realtime_service_pb2_grpc as public_grpc
from support import grpcweb_client
from support.grpcweb_client import SyncWebChannel, WebChannel

# One server for the module (uvicorn's shutdown alone takes 0.1-0.2 s); the tests share its loop.
pytestmark = [pytest.mark.timeout(20), pytest.mark.asyncio(loop_scope="module")]

PUBLISH = "/arena.realtime.v1.RealtimeInternalService/Publish"
SUBSCRIBE = "/arena.realtime.v1.RealtimeService/Subscribe"
GRPC_WEB = {"content-type": "application/grpc-web+proto", "x-grpc-web": "1"}


class Publisher(internal_grpc.RealtimeInternalServiceServicer):
    def __init__(self) -> None:
        self.seen: dict[str, object] = {}
        self.cancelled = asyncio.Event()

    async def Publish(self, request, context):
        topic = request.topic
        if topic == "set-code":
            context.set_code(grpc.StatusCode.NOT_FOUND)
            context.set_details("nothing here")
            return internal_pb2.PublishResponse(sequence=1)
        if topic == "boom":
            raise ValueError("boom")
        if topic == "details":
            status = status_pb2.Status(code=grpc.StatusCode.NOT_FOUND.value[0], message="gone: ünïcode 100%\r\n")
            status.details.add().Pack(error_details_pb2.ErrorInfo(reason="RESOURCE_NOT_FOUND", domain="arena.dev"))
            converted = rpc_status.to_status(status)
            await context.abort(
                converted.code, converted.details, (*converted.trailing_metadata, ("x-request-id", "r1"))
            )
        if topic == "with-status":
            status = status_pb2.Status(code=grpc.StatusCode.PERMISSION_DENIED.value[0], message="no")
            status.details.add().Pack(error_details_pb2.ErrorInfo(reason="FORBIDDEN"))
            await context.abort_with_status(rpc_status.to_status(status))
        if topic == "meta-then-error":
            await context.send_initial_metadata((("x-initial", "yes"),))
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "not now")
        if topic == "bytes":
            return internal_pb2.PublishResponse(sequence=7).SerializeToString()
        if topic == "hang":
            try:
                await asyncio.sleep(30)
            finally:
                self.cancelled.set()
        if topic == "inspect":
            self.seen.update(
                metadata=dict(context.invocation_metadata()),
                pairs=context.invocation_metadata(),
                peer=context.peer(),
                remaining=context.time_remaining(),
                code=context.code(),
                details=context.details(),
                transport=context.transport,
                auth=context.auth_context(),
                state=(context.cancelled(), context.done(), context.is_active()),
            )
            context.set_trailing_metadata((("x-trailer", "t"), ("x-data-bin", b"\x00\x01")))
        return internal_pb2.PublishResponse(sequence=42, subscriber_count=len(request.payload.fields))


class Subscriber(public_grpc.RealtimeServiceServicer):
    def __init__(self) -> None:
        self.closed = asyncio.Event()

    async def Subscribe(self, request, context):
        mode = request.topics[0]
        try:
            if mode.startswith("started-"):  # the response begins before any message (as the kit does)
                await context.send_initial_metadata((("x-initial", "yes"),))
                if mode == "started-then-error":
                    await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "not now")
                await asyncio.sleep(30)
            for sequence in range(1, 1000):
                if mode in ("count", "bytes") and sequence > 3:
                    return
                if mode == "fail-mid" and sequence == 2:
                    raise ValueError("mid-stream failure")
                message = public_pb2.SubscribeResponse(message=realtime_pb2.TopicMessage(topic=mode, sequence=sequence))
                yield message.SerializeToString() if mode == "bytes" else message
                if mode not in ("count", "bytes"):
                    await asyncio.sleep(0.1)
        finally:
            self.closed.set()


async def fallback(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"fallback"})


def kit_handlers(add_to_server, servicer) -> tuple[str, dict[str, grpc.RpcMethodHandler]]:
    """The generated handlers with a serializer passing bytes through, as the kit's middleware does."""
    collected = {}

    class Collect:
        def add_generic_rpc_handlers(self, handlers):
            pass

        def add_registered_method_handlers(self, name, handlers):
            collected[name] = handlers

    add_to_server(servicer, Collect())
    ((name, handlers),) = collected.items()

    def pass_bytes(serialize):
        return lambda message: message if isinstance(message, bytes) else serialize(message)

    return name, {m: h._replace(response_serializer=pass_bytes(h.response_serializer)) for m, h in handlers.items()}


class _Uvicorn(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # the test's loop, not uvicorn, owns the signals
        yield


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server():
    app = ArenaGrpcASGI(application=fallback)
    publisher, subscriber = Publisher(), Subscriber()
    # Publish by the registered-method path only, Subscribe by the generic path only (as the kit does).
    app.add_registered_method_handlers(
        *kit_handlers(internal_grpc.add_RealtimeInternalServiceServicer_to_server, publisher)
    )
    name, handlers = kit_handlers(public_grpc.add_RealtimeServiceServicer_to_server, subscriber)
    app.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, handlers),))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = _Uvicorn(uvicorn.Config(app, log_level="warning", log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.005)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        client.publisher, client.subscriber, client.port = publisher, subscriber, port  # type: ignore[attr-defined]
        yield client
    server.should_exit = True
    await task
    sock.close()


@pytest.fixture
def web(server):
    """The shared server's client, with the servicers' per-call state reset."""
    server.publisher.seen.clear()
    server.publisher.cancelled.clear()
    server.subscriber.closed.clear()
    return server


def frame(message: bytes, flags: int = 0) -> bytes:
    return struct.pack(">BI", flags, len(message)) + message


def frames(body: bytes) -> list[tuple[int, bytes]]:
    found, offset = [], 0
    while offset < len(body):
        flags, length = struct.unpack_from(">BI", body, offset)
        found.append((flags, body[offset + 5 : offset + 5 + length]))
        offset += 5 + length
    assert offset == len(body), "a frame is cut"
    return found


def trailers(block: bytes) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in block.decode("ascii").split("\r\n") if line)


@contextlib.contextmanager
def captured_logs(monkeypatch):
    """structlog entries of arena.kit.grpcweb (a fresh logger: the kit caches bound loggers)."""
    with structlog.testing.capture_logs() as logs:
        monkeypatch.setattr(grpcweb, "log", structlog.get_logger(grpcweb.__name__))
        yield logs


def publish(topic: str) -> bytes:
    return frame(internal_pb2.PublishRequest(topic=topic, event_type="e").SerializeToString())


def subscribe(topic: str) -> bytes:
    return frame(public_pb2.SubscribeRequest(topics=[topic]).SerializeToString())


async def test_unary_frames_trailers_and_content_type(web):  # W1, S1, S7
    response = await web.post(PUBLISH, content=publish("ok"), headers={**GRPC_WEB, "accept": "*/*"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/grpc-web+proto"
    (data_flags, data), (trailer_flags, block) = frames(response.content)
    assert data_flags == 0 and internal_pb2.PublishResponse.FromString(data).sequence == 42
    assert trailer_flags == 0x80 and trailers(block) == {"grpc-status": "0"}
    assert int(response.headers["content-length"]) == len(response.content)


async def test_content_type_family_is_mirrored(web):  # S7
    response = await web.post(PUBLISH, content=publish("ok"), headers={"content-type": "application/grpc-web"})
    assert response.headers["content-type"] == "application/grpc-web"


async def test_set_code_without_abort_is_reported(web):  # W2
    response = await web.post(PUBLISH, content=publish("set-code"), headers=GRPC_WEB)
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["grpc-status"] == "5" and response.headers["grpc-message"] == "nothing here"


async def test_exception_becomes_internal_trailers_only_and_is_logged(web, monkeypatch):  # W3, S2
    with captured_logs(monkeypatch) as logs:
        response = await web.post(PUBLISH, content=publish("boom"), headers=GRPC_WEB)
    assert response.status_code == 200 and response.content == b""
    assert response.headers["grpc-status"] == "13"
    (entry,) = [e for e in logs if e["log_level"] == "error"]
    assert entry["method"] == PUBLISH and entry["exc_info"] is True


async def test_error_details_and_metadata_are_trailers_only_headers(web):
    response = await web.post(PUBLISH, content=publish("details"), headers=GRPC_WEB)
    assert response.status_code == 200 and response.content == b""
    assert response.headers["grpc-status"] == "5"
    assert response.headers["x-request-id"] == "r1"
    assert response.headers["grpc-message"] == "gone: %C3%BCn%C3%AFcode 100%25%0D%0A"
    status = status_pb2.Status.FromString(base64.b64decode(response.headers["grpc-status-details-bin"]))
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info) and info.reason == "RESOURCE_NOT_FOUND"


async def test_initial_metadata_then_error_reach_the_client(web):  # W7
    response = await web.post(PUBLISH, content=publish("meta-then-error"), headers=GRPC_WEB)
    assert response.headers["x-initial"] == "yes"
    assert response.headers["grpc-status"] == "9" and response.headers["grpc-message"] == "not now"


async def test_initial_metadata_starts_a_stream_at_once(web):
    request = web.build_request("POST", SUBSCRIBE, content=subscribe("started-quiet"), headers=GRPC_WEB)
    response = await asyncio.wait_for(web.send(request, stream=True), 2)  # the servicer sleeps for 30 s
    await response.aclose()
    assert response.status_code == 200 and response.headers["x-initial"] == "yes"
    assert "grpc-status" not in response.headers  # not trailers-only: the stream is under way
    await asyncio.wait_for(web.subscriber.closed.wait(), 5)  # the disconnect closed the servicer


async def test_an_error_after_a_stream_started_is_a_trailer_frame(web):
    response = await web.post(SUBSCRIBE, content=subscribe("started-then-error"), headers=GRPC_WEB)
    assert response.headers["x-initial"] == "yes" and "grpc-status" not in response.headers
    ((flags, block),) = frames(response.content)
    assert flags == 0x80 and trailers(block)["grpc-status"] == "9"


async def test_context_api(web):  # S4
    token = base64.b64encode(b"\xff\x00").decode().rstrip("=")  # unpadded, as gRPC allows
    headers = {**GRPC_WEB, "grpc-timeout": "5S", "x-token-bin": token, "x-two-bin": "AQ==, Ag=="}
    response = await web.post(PUBLISH, content=publish("inspect"), headers=headers)
    seen = web.publisher.seen
    assert seen["metadata"]["x-token-bin"] == b"\xff\x00" and seen["metadata"]["x-grpc-web"] == "1"
    assert [v for k, v in seen["pairs"] if k == "x-two-bin"] == [b"\x01", b"\x02"]
    assert seen["peer"].startswith("ipv4:127.0.0.1:")
    assert 4 < seen["remaining"] <= 5
    assert (seen["code"], seen["details"], seen["transport"], seen["auth"]) == (None, "", "grpc-web", {})
    assert seen["state"] == (False, False, True)
    block = trailers(frames(response.content)[-1][1])
    assert block == {"grpc-status": "0", "x-trailer": "t", "x-data-bin": base64.b64encode(b"\x00\x01").decode()}


async def test_server_stream_of_pre_serialized_bytes(web):
    response = await web.post(SUBSCRIBE, content=subscribe("bytes"), headers=GRPC_WEB)
    parsed = frames(response.content)
    assert [public_pb2.SubscribeResponse.FromString(p).message.sequence for _, p in parsed[:-1]] == [1, 2, 3]
    assert parsed[-1][0] == 0x80 and trailers(parsed[-1][1]) == {"grpc-status": "0"}
    assert web.subscriber.closed.is_set()


async def test_unary_pre_serialized_bytes(web):
    response = await web.post(PUBLISH, content=publish("bytes"), headers=GRPC_WEB)
    assert internal_pb2.PublishResponse.FromString(frames(response.content)[0][1]).sequence == 7


async def test_failure_after_the_first_message_is_a_trailer_frame(web, monkeypatch):  # S2, S3
    with captured_logs(monkeypatch) as logs:
        response = await web.post(SUBSCRIBE, content=subscribe("fail-mid"), headers=GRPC_WEB)
    parsed = frames(response.content)
    assert [flags for flags, _ in parsed] == [0, 0x80]
    assert trailers(parsed[-1][1])["grpc-status"] == "13"
    assert [e["method"] for e in logs if e["log_level"] == "error"] == [SUBSCRIBE]


async def test_deadline_mid_stream_ends_with_deadline_exceeded(web):  # W4, S3
    response = await web.post(SUBSCRIBE, content=subscribe("slow"), headers={**GRPC_WEB, "grpc-timeout": "250m"})
    parsed = frames(response.content)
    assert [flags for flags, _ in parsed] == [0, 0, 0, 0x80]
    assert trailers(parsed[-1][1])["grpc-status"] == "4"
    assert web.subscriber.closed.is_set()


@pytest.mark.parametrize("content_type", ["application/grpc-web-text", "application/grpc-web-text+proto"])
async def test_text_mode_is_base64_both_ways(web, content_type):  # W6, S7
    body = base64.b64encode(publish("ok"))
    response = await web.post(PUBLISH, content=body, headers={"content-type": content_type, "accept": "*/*"})
    assert response.headers["content-type"] == content_type
    parsed = frames(base64.b64decode(response.content))
    assert internal_pb2.PublishResponse.FromString(parsed[0][1]).sequence == 42
    assert trailers(parsed[1][1]) == {"grpc-status": "0"}


async def test_text_mode_stream_chunks_are_base64(web):  # W6
    body = base64.b64encode(subscribe("count"))
    response = await web.post(SUBSCRIBE, content=body, headers={"content-type": "application/grpc-web-text"})
    decoded = b"".join(base64.b64decode(chunk) for chunk in grpcweb._B64_CHUNKS.findall(response.content))
    assert len(frames(decoded)) == 4


async def test_generated_stubs_over_the_patched_aio_client(web):  # W8, S9
    async with WebChannel(f"http://127.0.0.1:{web.port}") as channel:
        publisher = internal_grpc.RealtimeInternalServiceStub(channel)
        assert (await publisher.Publish(internal_pb2.PublishRequest(topic="ok", event_type="e"))).sequence == 42
        stream = public_grpc.RealtimeServiceStub(channel).Subscribe(public_pb2.SubscribeRequest(topics=["count"]))
        assert [m.message.sequence async for m in stream] == [1, 2, 3]
        with pytest.raises(grpc.RpcError) as caught:
            await publisher.Publish(internal_pb2.PublishRequest(topic="with-status", event_type="e"))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    status = rpc_status.from_call(caught.value)
    info = error_details_pb2.ErrorInfo()
    assert status is not None and status.details[0].Unpack(info) and info.reason == "FORBIDDEN"


async def test_generated_stubs_over_the_patched_sync_client(web):  # S9
    def call() -> int:
        with SyncWebChannel(f"http://127.0.0.1:{web.port}") as channel:
            stub = internal_grpc.RealtimeInternalServiceStub(channel)
            return stub.Publish(internal_pb2.PublishRequest(topic="ok", event_type="e")).sequence

    assert await asyncio.to_thread(call) == 42


async def test_install_is_idempotent_and_patches_sonora_itself():  # S9
    grpcweb_client.install()
    patched = sonora.aio.WebChannel.unary_unary
    grpcweb_client.install()
    assert sonora.aio.WebChannel.unary_unary is patched and patched.arena_patched
    assert sonora.client.WebChannel.unary_stream.arena_patched
    assert sonora.protocol.raise_for_status is grpcweb_client._raise_for_status


async def test_generated_add_to_server_registers_on_both_paths():
    app = ArenaGrpcASGI()
    internal_grpc.add_RealtimeInternalServiceServicer_to_server(Publisher(), app)
    assert app._get_rpc_handler(PUBLISH) is app._registered[PUBLISH]
    assert len(app._handlers) == 1  # the generic one, never scanned for this path


async def test_request_body_in_many_chunks(web):  # S8
    body = publish("ok")

    async def one_byte_at_a_time():
        for byte in body:
            yield bytes([byte])

    response = await web.post(PUBLISH, content=one_byte_at_a_time(), headers=GRPC_WEB)
    assert internal_pb2.PublishResponse.FromString(frames(response.content)[0][1]).sequence == 42


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"\x00\x00\x00\x00\x10abc", "3", "truncated"),
        (b"\x00\x00", "3", "truncated gRPC-Web frame header"),
        (publish("ok") + publish("ok"), "3", "more than one"),
        (frame(b"\xff\xff\xff\xff"), "3", "not a valid protobuf message"),
        (frame(b"x", flags=0x01), "12", "compressed messages are not supported"),
        (frame(b"grpc-status: 0\r\n", flags=0x80), "3", "trailer frame"),
        (b"\x01\x02", "3", "not valid base64"),  # sent in text mode below
    ],
)
async def test_malformed_requests_get_a_status_not_a_crash(web, body, code, message):  # S8
    text = message == "not valid base64"
    headers = {"content-type": "application/grpc-web-text"} if text else GRPC_WEB
    response = await web.post(PUBLISH, content=body, headers=headers)
    assert response.status_code == 200 and response.content == b""
    assert response.headers["grpc-status"] == code and message in response.headers["grpc-message"]


async def test_malformed_headers_get_a_status(web):
    response = await web.post(PUBLISH, content=publish("ok"), headers={**GRPC_WEB, "grpc-timeout": "soon"})
    assert response.headers["grpc-status"] == "3" and "grpc-timeout" in response.headers["grpc-message"]


async def test_disconnect_mid_stream_closes_the_servicer_generator(web):
    async with web.stream("POST", SUBSCRIBE, content=subscribe("slow"), headers=GRPC_WEB) as response:
        async for _chunk in response.aiter_raw():
            break
    await asyncio.wait_for(web.subscriber.closed.wait(), 1)


async def test_disconnect_cancels_a_unary_call(web):
    with pytest.raises(httpx.ReadTimeout):
        await web.post(PUBLISH, content=publish("hang"), headers=GRPC_WEB, timeout=0.2)
    await asyncio.wait_for(web.publisher.cancelled.wait(), 1)


async def test_a_request_without_host_header_is_served(web):  # S6
    body = publish("ok")
    head = f"POST {PUBLISH} HTTP/1.0\r\ncontent-type: application/grpc-web+proto\r\ncontent-length: {len(body)}\r\n\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", web.port)
    writer.write(head.encode() + body)
    raw = await reader.read()
    writer.close()
    assert raw.startswith(b"HTTP/1.1 200") and b"grpc-status: 0\r\n" in raw


async def test_unknown_method_is_unimplemented_and_other_paths_reach_the_fallback(web):
    response = await web.post("/arena.nothing.v1.Nope/Do", content=frame(b""), headers=GRPC_WEB)
    assert response.status_code == 200 and response.headers["grpc-status"] == "12"
    assert (await web.get("/metrics")).text == "fallback"
    assert (await web.post("/arena.nothing.v1.Nope/Do", content=b"{}")).text == "fallback"


async def test_preflight_and_wrong_content_type_are_refused_cleanly(web):  # S5
    preflight = await web.options(
        PUBLISH, headers={"origin": "http://app.local", "access-control-request-method": "POST"}
    )
    assert preflight.status_code == 405 and "access-control-allow-origin" not in preflight.headers
    assert (await web.post(PUBLISH, content=b"{}", headers={"content-type": "application/json"})).status_code == 415
