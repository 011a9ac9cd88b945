"""The middleware chain on a fake call context: when a stream's headers go out, and request decoding."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from arena.kit.errors import NotFound
from arena.kit.metrics import Metrics
from arena.kit.middleware import STREAM_STARTED, Lifecycle, MethodInfo, Pipeline, announces_start
from arena.realtime.v1 import realtime_internal_service_pb2, realtime_service_pb2

SUBSCRIBE = realtime_service_pb2.DESCRIPTOR.services_by_name["RealtimeService"].methods_by_name["Subscribe"]
PUBLISH = realtime_internal_service_pb2.DESCRIPTOR.services_by_name["RealtimeInternalService"].methods_by_name[
    "Publish"
]


class Aborted(Exception):
    pass


class Context:
    """What the chain uses of a grpc.aio servicer context; records what the call sent, in order."""

    transport = "grpc"
    peer = "ipv4:127.0.0.1:1"

    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []
        self._code = None

    def invocation_metadata(self):
        return (("x-request-id", "req-1"),)

    def time_remaining(self):
        return None

    def code(self):
        return self._code

    def set_trailing_metadata(self, metadata) -> None:
        self.sent.append(("trailers", metadata))

    async def send_initial_metadata(self, metadata) -> None:
        self.sent.append(("headers", dict(metadata)))

    async def abort(self, code, details, metadata):
        self._code = code
        self.sent.append(("abort", (code, dict(metadata))))
        raise Aborted


def pipeline(*, within_s: float) -> Pipeline:
    return Pipeline(
        service="realtime", metrics=Metrics("realtime"), verifier=None, lifecycle=Lifecycle(),
        stream_headers_within_s=within_s,
    )  # fmt: skip


def stream_handler(behavior, *, within_s: float = 0.0) -> grpc.RpcMethodHandler:
    handler = grpc.unary_stream_rpc_method_handler(
        behavior,
        request_deserializer=realtime_service_pb2.SubscribeRequest.FromString,
        response_serializer=realtime_service_pb2.SubscribeResponse.SerializeToString,
    )
    return pipeline(within_s=within_s).wrap(MethodInfo.from_descriptor(SUBSCRIBE), handler)


async def run(handler: grpc.RpcMethodHandler, context: Context, request: bytes) -> None:
    """Drives the wrapped stream as the transport would, recording each message it sends."""
    try:
        async for message in handler.unary_stream(request, context):
            context.sent.append(("message", message))
    except Aborted:
        pass


REQUEST = realtime_service_pb2.SubscribeRequest(topics=["contests/c/board"]).SerializeToString()


async def slow_check_then_not_found(request, context):
    for _ in range(3):  # a check that is still running when the (zero) bound has passed
        await asyncio.sleep(0)
    raise NotFound("topic", request.topics[0])
    yield  # an async generator, as servicers are


async def test_a_stream_that_does_not_announce_its_start_gets_headers_after_the_bound():
    context = Context()
    await run(stream_handler(slow_check_then_not_found), context, REQUEST)
    assert [kind for kind, _ in context.sent] == ["headers", "abort"]  # the error comes in the trailers


async def test_a_stream_that_announces_its_start_keeps_errors_of_its_checks_trailers_only():
    context = Context()
    await run(stream_handler(announces_start(slow_check_then_not_found)), context, REQUEST)
    assert [kind for kind, _ in context.sent] == ["abort"]
    code, metadata = context.sent[0][1]
    assert code == grpc.StatusCode.NOT_FOUND and metadata["x-request-id"] == "req-1"


async def test_stream_started_sends_the_headers_and_is_not_a_message():
    @announces_start
    async def behavior(request, context):
        yield STREAM_STARTED
        yield realtime_service_pb2.SubscribeResponse(last=True)

    context = Context()
    await run(stream_handler(behavior), context, REQUEST)
    assert [kind for kind, _ in context.sent] == ["headers", "message"]
    assert context.sent[0][1] == {"x-request-id": "req-1"}


async def test_a_request_is_parsed_once_in_the_chain_and_a_corrupt_one_is_malformed():
    seen = []

    async def publish(request, context):
        seen.append(request)
        return realtime_internal_service_pb2.PublishResponse(sequence=1)

    handler = pipeline(within_s=0.2).wrap(
        MethodInfo.from_descriptor(PUBLISH),
        grpc.unary_unary_rpc_method_handler(
            publish,
            request_deserializer=realtime_internal_service_pb2.PublishRequest.FromString,
            response_serializer=realtime_internal_service_pb2.PublishResponse.SerializeToString,
        ),
    )
    assert handler.request_deserializer is None  # the transports hand over bytes
    good = realtime_internal_service_pb2.PublishRequest(topic="contests/c/board", event_type="e")
    await handler.unary_unary(good.SerializeToString(), Context())
    await handler.unary_unary(good, Context())  # an already parsed message (in-process callers) passes
    assert seen == [good, good]

    context = Context()
    with pytest.raises(Aborted):
        await handler.unary_unary(b"\x0a\x01x\x12", context)
    ((_, (code, metadata)),) = context.sent
    assert code == grpc.StatusCode.INVALID_ARGUMENT and not seen[2:]
    status = status_pb2.Status.FromString(metadata["grpc-status-details-bin"])
    info = error_details_pb2.ErrorInfo()
    next(d for d in status.details if d.Is(info.DESCRIPTOR)).Unpack(info)
    assert info.reason == "MALFORMED_REQUEST" and "PublishRequest" in status.message
