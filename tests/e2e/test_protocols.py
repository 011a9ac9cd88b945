"""The same services over native gRPC and gRPC-Web, through Envoy and directly; and server streams."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time

import grpc
import httpx
import pytest
from google.protobuf import struct_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from arena.launcher import Platform
from arena.problem.v1 import problem_internal_service_pb2, problem_internal_service_pb2_grpc
from arena.realtime.v1 import (
    realtime_internal_service_pb2,
    realtime_internal_service_pb2_grpc,
    realtime_service_pb2,
    realtime_service_pb2_grpc,
)
from arena.user.v1 import user_service_pb2, user_service_pb2_grpc
from e2e.conftest import UNARY_TIMEOUT_S, register_and_login
from support.grpcweb_client import WebChannel

pytestmark = pytest.mark.timeout(60)


def edge_target(platform: Platform) -> str:
    return f"127.0.0.1:{platform.settings.edge_port}"


def direct_target(platform: Platform, service: str) -> str:
    return f"127.0.0.1:{platform.settings.ports[service].grpc}"


def sonora_url(platform: Platform, service: str) -> str:
    return f"http://127.0.0.1:{platform.settings.ports[service].web}"


async def publish(platform: Platform, topic: str, count: int, *, delay_s: float = 0.0) -> None:
    async with grpc.aio.insecure_channel(direct_target(platform, "realtime")) as channel:
        stub = realtime_internal_service_pb2_grpc.RealtimeInternalServiceStub(channel)
        for index in range(count):
            payload = struct_pb2.Struct()
            payload.update({"index": index})
            await stub.Publish(
                realtime_internal_service_pb2.PublishRequest(topic=topic, event_type="tick", payload=payload)
            )
            await asyncio.sleep(delay_s)


async def wait_for_subscriber(platform: Platform, topic: str) -> None:
    """Publishing before the stream is attached would be replayed only with a resume token."""
    async with grpc.aio.insecure_channel(direct_target(platform, "realtime")) as channel:
        stub = realtime_internal_service_pb2_grpc.RealtimeInternalServiceStub(channel)
        for _ in range(100):
            probe = await stub.Publish(realtime_internal_service_pb2.PublishRequest(topic=topic, event_type="probe"))
            if probe.subscriber_count:
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the subscriber never attached")


@pytest.mark.parametrize("via", ["edge", "direct"])
async def test_native_grpc(platform: Platform, via: str):
    target = edge_target(platform) if via == "edge" else direct_target(platform, "user")
    async with grpc.aio.insecure_channel(target) as channel:
        jwks = await user_service_pb2_grpc.UserServiceStub(channel).GetJwks(user_service_pb2.GetJwksRequest())
        assert jwks.keys and jwks.keys[0].alg == "EdDSA"
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await user_service_pb2_grpc.UserServiceStub(channel).GetUser(
                user_service_pb2.GetUserRequest(user_id="nobody")
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_internal_services_are_unreachable_over_grpc_through_the_edge(platform: Platform):
    async with grpc.aio.insecure_channel(edge_target(platform)) as channel:
        stub = problem_internal_service_pb2_grpc.ProblemInternalServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetJudgeBundle(problem_internal_service_pb2.GetJudgeBundleRequest(problem_id="p"))
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_reflection_lists_the_services(platform: Platform):
    async with grpc.aio.insecure_channel(direct_target(platform, "realtime")) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)

        async def requests():
            yield reflection_pb2.ServerReflectionRequest(list_services="")

        async for response in stub.ServerReflectionInfo(requests()):
            names = {s.name for s in response.list_services_response.service}
            break
    assert {
        "arena.realtime.v1.RealtimeService",
        "arena.realtime.v1.RealtimeInternalService",
        "grpc.health.v1.Health",
    } <= names


@pytest.mark.parametrize("via", ["edge", "sonora"])
async def test_grpc_web_unary_and_errors(platform: Platform, via: str):
    url = platform.settings.edge_url if via == "edge" else sonora_url(platform, "user")
    async with WebChannel(url) as channel:
        stub = user_service_pb2_grpc.UserServiceStub(channel)
        assert (await stub.GetJwks(user_service_pb2.GetJwksRequest())).keys
        with pytest.raises(grpc.RpcError) as caught:
            await stub.GetUser(user_service_pb2.GetUserRequest(user_id="nobody"))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{url}/arena.user.v1.UserService/GetJwks",
            content=b"\x00\x00\x00\x00\x00",
            headers={"content-type": "application/grpc-web+proto", "x-grpc-web": "1"},
        )
    assert response.headers["content-type"] == "application/grpc-web+proto"
    assert b"grpc-status:0" in response.content.replace(b" ", b"")


async def test_grpc_web_internal_method_is_unimplemented_through_the_edge(platform: Platform):
    async with WebChannel(platform.settings.edge_url) as channel:
        stub = problem_internal_service_pb2_grpc.ProblemInternalServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            await stub.GetJudgeBundle(problem_internal_service_pb2.GetJudgeBundleRequest(problem_id="p"))
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


@pytest.mark.parametrize("via", ["edge", "sonora"])
async def test_grpc_web_server_stream(platform: Platform, via: str):
    topic = f"contests/web-{via}/board"
    url = platform.settings.edge_url if via == "edge" else sonora_url(platform, "realtime")
    async with WebChannel(url) as channel:
        stream = realtime_service_pb2_grpc.RealtimeServiceStub(channel).Subscribe(
            realtime_service_pb2.SubscribeRequest(topics=[topic])
        )
        received = []

        async def read():
            async for message in stream:
                if message.message.event_type == "tick":
                    received.append(message.message.payload["index"])
                    if len(received) == 3:
                        return

        reader = asyncio.create_task(read())
        await wait_for_subscriber(platform, topic)
        await publish(platform, topic, 3)
        await asyncio.wait_for(reader, 10)
    assert received == [0, 1, 2]


async def test_grpc_stream_through_the_edge_resumes_without_gap_or_repeat(platform: Platform):
    topic = "contests/resume/board"
    async with grpc.aio.insecure_channel(edge_target(platform)) as channel:
        stub = realtime_service_pb2_grpc.RealtimeServiceStub(channel)
        first = stub.Subscribe(realtime_service_pb2.SubscribeRequest(topics=[topic]))
        await wait_for_subscriber(platform, topic)
        await publish(platform, topic, 2)
        token, seen = "", []
        while len(seen) < 2:
            message = await first.read()
            if message.message.event_type == "tick":
                seen.append(message.message.sequence)
                token = message.resume_token
        first.cancel()
        await publish(platform, topic, 3)  # missed while disconnected
        again = stub.Subscribe(realtime_service_pb2.SubscribeRequest(topics=[topic], resume_token=token))
        while len(seen) < 5:
            message = await again.read()
            if message.message.event_type == "tick":
                seen.append(message.message.sequence)
        again.cancel()
    assert seen == sorted(seen) and len(set(seen)) == 5 and seen[-1] - seen[0] == 4


def test_rest_stream_is_ndjson_and_outlives_the_unary_timeout(platform: Platform):
    topic = "contests/ndjson/board"
    lines: list[dict] = []

    def read() -> None:
        url = f"{platform.settings.edge_url}/v1/topics:subscribe"
        with httpx.stream("GET", url, params={"topics": topic}, timeout=20) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.strip():
                    lines.append(json.loads(line))
                    if sum(1 for m in lines if m.get("message", {}).get("event_type") == "tick") == 4:
                        return

    reader = threading.Thread(target=read)
    started = time.monotonic()
    reader.start()
    asyncio.run(wait_for_subscriber(platform, topic))
    # Spread over more than the unary route timeout: the stream must not be cut.
    asyncio.run(publish(platform, topic, 4, delay_s=(UNARY_TIMEOUT_S + 0.5) / 3))
    reader.join(20)
    assert not reader.is_alive()
    ticks = [m["message"] for m in lines if m.get("message", {}).get("event_type") == "tick"]
    assert [t["payload"]["index"] for t in ticks] == [0, 1, 2, 3]
    assert ticks[0]["sequence"].isdigit()  # int64 as a JSON string
    assert time.monotonic() - started > UNARY_TIMEOUT_S


def test_private_topics_need_their_owner(rest: httpx.Client):
    response = rest.get("/v1/topics:subscribe", params={"topics": "users/someone/submissions"})
    assert response.status_code == 403
    bad = rest.get("/v1/topics:subscribe", params={"topics": "../../etc"})
    assert bad.status_code == 400


async def test_grpc_web_with_a_header_name_grpc_cannot_carry(platform: Platform):
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{platform.settings.edge_url}/arena.user.v1.UserService/GetJwks",
            content=b"\x00\x00\x00\x00\x00",
            headers={"content-type": "application/grpc-web+proto", "x-grpc-web": "1", "x&y": "1"},
        )
    assert response.status_code == 200
    assert b"grpc-status:0" in response.content.replace(b" ", b"")


# A field whose tag says "length-delimited" and no length follows: what Envoy's JSON transcoder sends
# for a JSON object given to a map of strings, as in {"attributes": {"x": {}}} (... 0a 01 78 12).
CORRUPT = b"\x0a\x01x\x12"
CREATE_USER = "/arena.user.v1.UserService/CreateUser"


def web_status(headers: httpx.Headers) -> status_pb2.Status:
    """The google.rpc.Status of a trailers-only gRPC-Web answer."""
    raw = headers["grpc-status-details-bin"]
    return status_pb2.Status.FromString(base64.b64decode(raw + "=" * (-len(raw) % 4)))


def details_of(status) -> tuple[str, str]:
    info, request = error_details_pb2.ErrorInfo(), error_details_pb2.RequestInfo()
    next(d for d in status.details if d.Is(info.DESCRIPTOR)).Unpack(info)
    next(d for d in status.details if d.Is(request.DESCRIPTOR)).Unpack(request)
    return info.reason, request.request_id


def test_json_the_transcoder_cannot_encode_is_invalid_argument_with_details(platform: Platform, rest: httpx.Client):
    token = register_and_login(rest, "malformed-json")
    response = rest.post("/v1/events", json={"attributes": {"x": {}}}, headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "class" not in body["message"] and "DecodeError" not in body["message"]
    reasons = {d.get("reason") for d in body["details"] if d["@type"].endswith("ErrorInfo")}
    request_ids = {d.get("request_id") for d in body["details"] if d["@type"].endswith("RequestInfo")}
    assert reasons == {"MALFORMED_REQUEST"} and request_ids == {response.headers["x-request-id"]}


@pytest.mark.parametrize("method", [CREATE_USER, "/arena.realtime.v1.RealtimeService/Subscribe"])
async def test_undecodable_native_grpc_requests_are_invalid_argument_with_details(platform: Platform, method: str):
    async with grpc.aio.insecure_channel(edge_target(platform)) as channel:
        metadata = [("x-request-id", "corrupt-native")]
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            if method == CREATE_USER:
                await channel.unary_unary(method)(CORRUPT, metadata=metadata)
            else:
                await channel.unary_stream(method)(CORRUPT, metadata=metadata).read()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details_of(rpc_status.from_call(caught.value)) == ("MALFORMED_REQUEST", "corrupt-native")


@pytest.mark.parametrize("method", [CREATE_USER, "/arena.realtime.v1.RealtimeService/Subscribe"])
async def test_undecodable_grpc_web_requests_are_invalid_argument_with_details(platform: Platform, method: str):
    frame = b"\x00" + len(CORRUPT).to_bytes(4, "big") + CORRUPT
    headers = {"content-type": "application/grpc-web+proto", "x-grpc-web": "1", "x-request-id": "corrupt-web"}
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(f"{platform.settings.edge_url}{method}", content=frame, headers=headers)
    assert response.status_code == 200 and response.headers["grpc-status"] == "3"  # trailers-only
    assert details_of(web_status(response.headers)) == ("MALFORMED_REQUEST", "corrupt-web")


# How long the start of a stream may take through the edge: "at once" for a person or a client's
# connect timeout, and far below the 15 s heartbeat that used to be the first thing sent.
STARTS_WITHIN_S = 1.0


def test_a_rest_subscription_starts_at_once_with_its_acknowledgement(platform: Platform):
    topic = "contests/quiet-rest/board"  # nothing is ever published here
    url = f"{platform.settings.edge_url}/v1/topics:subscribe"
    with httpx.stream(
        "GET", url, params={"topics": topic}, timeout=httpx.Timeout(10, read=STARTS_WITHIN_S)
    ) as response:
        assert response.status_code == 200
        assert response.headers["x-request-id"]
        first = json.loads(next(response.iter_lines()))
    assert first["subscribed"] == {"topics": [topic]} and first["last"] is False
    assert first["resume_token"]


async def test_a_native_grpc_subscription_starts_at_once_through_the_edge(platform: Platform):
    topic = "contests/quiet-grpc/board"
    async with grpc.aio.insecure_channel(edge_target(platform)) as channel:
        call = realtime_service_pb2_grpc.RealtimeServiceStub(channel).Subscribe(
            realtime_service_pb2.SubscribeRequest(topics=[topic, topic]), metadata=[("x-request-id", "quiet-grpc")]
        )
        headers = dict(tuple(await asyncio.wait_for(call.initial_metadata(), STARTS_WITHIN_S)))
        first = await asyncio.wait_for(call.read(), STARTS_WITHIN_S)
        call.cancel()
    assert headers["x-request-id"] == "quiet-grpc"
    assert first.WhichOneof("event") == "subscribed" and list(first.subscribed.topics) == [topic]


@pytest.mark.parametrize("via", ["edge", "sonora"])
async def test_a_grpc_web_subscription_starts_at_once(platform: Platform, via: str):
    topic = f"contests/quiet-web-{via}/board"
    url = platform.settings.edge_url if via == "edge" else sonora_url(platform, "realtime")
    async with WebChannel(url) as channel:
        stream = realtime_service_pb2_grpc.RealtimeServiceStub(channel).Subscribe(
            realtime_service_pb2.SubscribeRequest(topics=[topic])
        )
        first = await asyncio.wait_for(anext(aiter(stream)), STARTS_WITHIN_S)  # closing the channel ends it
    assert first.WhichOneof("event") == "subscribed" and list(first.subscribed.topics) == [topic]


async def test_resuming_with_the_acknowledgements_token_misses_nothing(platform: Platform):
    topic = "contests/ack-resume/board"
    async with grpc.aio.insecure_channel(edge_target(platform)) as channel:
        stub = realtime_service_pb2_grpc.RealtimeServiceStub(channel)
        first = stub.Subscribe(realtime_service_pb2.SubscribeRequest(topics=[topic]))
        token = (await first.read()).resume_token
        first.cancel()
        await publish(platform, topic, 2)  # while nobody is subscribed
        again = stub.Subscribe(realtime_service_pb2.SubscribeRequest(topics=[topic], resume_token=token))
        assert (await again.read()).WhichOneof("event") == "subscribed"
        replayed = [(await again.read()).message.payload["index"] for _ in range(2)]
        again.cancel()
    assert replayed == [0, 1]
