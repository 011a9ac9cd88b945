"""The gRPC-Web compatibility layer over a real uvicorn server, raw handlers (no middleware)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import struct

import grpc
import httpx
import pytest
import uvicorn
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from arena.kit.grpcweb import ArenaGrpcASGI, WebChannel
from arena.realtime.v1 import (
    realtime_internal_service_pb2 as internal_pb2,
)
from arena.realtime.v1 import (
    realtime_internal_service_pb2_grpc as internal_grpc,
)
from arena.realtime.v1 import (
    realtime_pb2,
)
from arena.realtime.v1 import (
    realtime_service_pb2 as public_pb2,
)
from arena.realtime.v1 import (
    realtime_service_pb2_grpc as public_grpc,
)
from support.ports import free_port

pytestmark = pytest.mark.timeout(30)

PUBLISH = "/arena.realtime.v1.RealtimeInternalService/Publish"
SUBSCRIBE = "/arena.realtime.v1.RealtimeService/Subscribe"
GRPC_WEB = {"content-type": "application/grpc-web+proto", "x-grpc-web": "1"}


class Publisher(internal_grpc.RealtimeInternalServiceServicer):
    async def Publish(self, request, context):
        topic = request.topic
        if topic == "set-code":
            context.set_code(grpc.StatusCode.NOT_FOUND)
            context.set_details("nothing here")
            return internal_pb2.PublishResponse(sequence=1)
        if topic == "boom":
            raise ValueError("boom")
        if topic == "details":
            status = status_pb2.Status(code=grpc.StatusCode.NOT_FOUND.value[0], message="gone: ünïcode 100%")
            info = error_details_pb2.ErrorInfo(reason="RESOURCE_NOT_FOUND", domain="arena.dev")
            status.details.add().Pack(info)
            converted = rpc_status.to_status(status)
            await context.abort(
                converted.code, converted.details, (*converted.trailing_metadata, ("x-request-id", "r1"))
            )
        if topic == "meta-then-error":
            await context.send_initial_metadata((("x-initial", "yes"),))
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "not now")
        return internal_pb2.PublishResponse(sequence=42, subscriber_count=len(request.payload.fields))


class Subscriber(public_grpc.RealtimeServiceServicer):
    def __init__(self) -> None:
        self.closed = asyncio.Event()

    async def Subscribe(self, request, context):
        mode = request.topics[0]
        try:
            for sequence in range(1, 1000):
                if mode == "count" and sequence > 3:
                    return
                if mode == "fail-mid" and sequence == 2:
                    raise ValueError("mid-stream failure")
                yield public_pb2.SubscribeResponse(message=realtime_pb2.TopicMessage(topic=mode, sequence=sequence))
                if mode != "count":
                    await asyncio.sleep(0.1)
        finally:
            self.closed.set()


async def fallback(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"fallback"})


class _Uvicorn(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):
        yield


@pytest.fixture
async def web():
    app = ArenaGrpcASGI(application=fallback)
    subscriber = Subscriber()
    internal_grpc.add_RealtimeInternalServiceServicer_to_server(Publisher(), app)
    public_grpc.add_RealtimeServiceServicer_to_server(subscriber, app)
    port = free_port()
    server = _Uvicorn(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        client.subscriber = subscriber  # type: ignore[attr-defined]
        client.port = port  # type: ignore[attr-defined]
        yield client
    server.should_exit = True
    await task


def frame(message: bytes, flags: int = 0) -> bytes:
    return struct.pack(">BI", flags, len(message)) + message


def frames(body: bytes) -> list[tuple[int, bytes]]:
    found, offset = [], 0
    while offset < len(body):
        flags, length = struct.unpack_from(">BI", body, offset)
        found.append((flags, body[offset + 5 : offset + 5 + length]))
        offset += 5 + length
    return found


def trailers(block: bytes) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in block.decode().split("\r\n") if line)


def publish(topic: str) -> bytes:
    return frame(internal_pb2.PublishRequest(topic=topic, event_type="e").SerializeToString())


async def test_unary_trailers_have_text_keys_and_the_right_content_type(web):  # W1, S1, S7
    response = await web.post(PUBLISH, content=publish("ok"), headers={**GRPC_WEB, "accept": "*/*"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/grpc-web+proto"
    (data_flags, data), (trailer_flags, block) = frames(response.content)
    assert data_flags == 0 and internal_pb2.PublishResponse.FromString(data).sequence == 42
    assert trailer_flags == 0x80
    assert trailers(block)["grpc-status"] == "0"
    assert b"b'grpc-status'" not in response.content


async def test_status_set_without_abort_is_reported(web):  # W2
    response = await web.post(PUBLISH, content=publish("set-code"), headers=GRPC_WEB)
    assert response.headers["grpc-status"] == "5"
    assert response.headers["grpc-message"] == "nothing here"


async def test_exception_becomes_internal_trailers_only(web, capsys):  # W3, S2
    response = await web.post(PUBLISH, content=publish("boom"), headers=GRPC_WEB)
    assert response.status_code == 200
    assert response.headers["grpc-status"] == "13" and response.content == b""
    assert "unhandled exception in a gRPC-Web call" in capsys.readouterr().out


async def test_error_details_travel_in_base64_metadata(web):
    response = await web.post(PUBLISH, content=publish("details"), headers=GRPC_WEB)
    assert response.headers["grpc-status"] == "5"
    assert response.headers["x-request-id"] == "r1"
    assert httpx.URL("?m=" + response.headers["grpc-message"]).params["m"] == "gone: ünïcode 100%"
    status = status_pb2.Status.FromString(base64.b64decode(response.headers["grpc-status-details-bin"]))
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    assert info.reason == "RESOURCE_NOT_FOUND"


async def test_initial_metadata_then_error_reach_the_client(web):  # W7
    response = await web.post(PUBLISH, content=publish("meta-then-error"), headers=GRPC_WEB)
    assert response.headers["x-initial"] == "yes"
    assert response.headers["grpc-status"] == "9"


async def test_server_stream_and_its_trailer(web):
    request = frame(public_pb2.SubscribeRequest(topics=["count"]).SerializeToString())
    response = await web.post(SUBSCRIBE, content=request, headers=GRPC_WEB)
    parsed = frames(response.content)
    assert [public_pb2.SubscribeResponse.FromString(p).message.sequence for f, p in parsed[:-1]] == [1, 2, 3]
    assert parsed[-1][0] == 0x80 and trailers(parsed[-1][1])["grpc-status"] == "0"


async def test_failure_after_the_first_message_is_a_trailer_frame(web):  # S3
    request = frame(public_pb2.SubscribeRequest(topics=["fail-mid"]).SerializeToString())
    response = await web.post(SUBSCRIBE, content=request, headers=GRPC_WEB)
    parsed = frames(response.content)
    assert parsed[0][0] == 0 and parsed[-1][0] == 0x80
    assert trailers(parsed[-1][1])["grpc-status"] == "13"


async def test_deadline_mid_stream_ends_with_deadline_exceeded(web):  # W4
    request = frame(public_pb2.SubscribeRequest(topics=["slow"]).SerializeToString())
    response = await web.post(SUBSCRIBE, content=request, headers={**GRPC_WEB, "grpc-timeout": "350m"})
    parsed = frames(response.content)
    assert 1 <= len(parsed) - 1 <= 5
    assert trailers(parsed[-1][1])["grpc-status"] == "4"
    await asyncio.wait_for(web.subscriber.closed.wait(), 2)


async def test_text_mode_is_base64_both_ways(web):  # W6
    body = base64.b64encode(publish("ok"))
    response = await web.post(PUBLISH, content=body, headers={"content-type": "application/grpc-web-text"})
    assert response.headers["content-type"] == "application/grpc-web-text"
    decoded = b"".join(
        base64.b64decode(chunk + b"=" * (-len(chunk) % 4)) for chunk in response.content.split(b"=") if chunk
    )
    assert internal_pb2.PublishResponse.FromString(frames(decoded)[0][1]).sequence == 42


async def test_generated_stubs_work_over_the_patched_client(web):  # W8, S9
    async with WebChannel(f"http://127.0.0.1:{web.port}") as channel:
        reply = await internal_grpc.RealtimeInternalServiceStub(channel).Publish(
            internal_pb2.PublishRequest(topic="ok", event_type="e")
        )
        assert reply.sequence == 42
        stream = public_grpc.RealtimeServiceStub(channel).Subscribe(public_pb2.SubscribeRequest(topics=["count"]))
        assert [m.message.sequence async for m in stream] == [1, 2, 3]
        with pytest.raises(grpc.RpcError) as caught:
            await internal_grpc.RealtimeInternalServiceStub(channel).Publish(
                internal_pb2.PublishRequest(topic="set-code", event_type="e")
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_request_body_in_many_chunks(web):  # S8
    body = publish("ok")

    async def one_byte_at_a_time():
        for byte in body:
            yield bytes([byte])

    response = await web.post(PUBLISH, content=one_byte_at_a_time(), headers=GRPC_WEB)
    assert internal_pb2.PublishResponse.FromString(frames(response.content)[0][1]).sequence == 42


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"\x00\x00\x00\x00\x10abc", "3"),  # truncated frame
        (b"\x00\x00", "3"),  # truncated header
        (frame(b"\xff\xff\xff\xff"), "3"),  # not a protobuf message
        (frame(b"", flags=0x01), "12"),  # compressed: unsupported
    ],
)
async def test_malformed_requests_get_a_status_not_a_crash(web, body: bytes, code: str):
    response = await web.post(PUBLISH, content=body, headers=GRPC_WEB)
    assert response.status_code == 200 and response.headers["grpc-status"] == code


async def test_disconnect_closes_the_servicer_generator(web):
    request = frame(public_pb2.SubscribeRequest(topics=["slow"]).SerializeToString())
    async with web.stream("POST", SUBSCRIBE, content=request, headers=GRPC_WEB) as response:
        async for _chunk in response.aiter_raw():
            break
    await asyncio.wait_for(web.subscriber.closed.wait(), 3)


async def test_a_request_without_host_header_is_served(web):  # S6
    body = publish("ok")
    head = f"POST {PUBLISH} HTTP/1.0\r\ncontent-type: application/grpc-web+proto\r\ncontent-length: {len(body)}\r\n\r\n"

    def exchange() -> bytes:
        with socket.create_connection(("127.0.0.1", web.port), timeout=5) as sock:
            sock.sendall(head.encode() + body)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
            return b"".join(chunks)

    raw = await asyncio.to_thread(exchange)
    assert raw.startswith(b"HTTP/1.0 200") or raw.startswith(b"HTTP/1.1 200")
    assert b"grpc-status: 0" in raw


async def test_unknown_method_is_unimplemented_and_other_paths_reach_the_fallback(web):
    response = await web.post("/arena.nothing.v1.Nope/Do", content=frame(b""), headers=GRPC_WEB)
    assert response.headers["grpc-status"] == "12"
    other = await web.get("/metrics-or-anything")
    assert other.text == "fallback"


async def test_non_post_is_refused_cleanly(web):
    response = await web.request("OPTIONS", PUBLISH, headers={"origin": "http://app.local"})
    assert response.status_code == 405
