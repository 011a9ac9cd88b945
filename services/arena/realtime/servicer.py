"""RealtimeService (Subscribe) and RealtimeInternalService (Publish) over the hub."""

from __future__ import annotations

import asyncio

from arena.common.v1 import stream_pb2
from arena.kit import context as request_context
from arena.kit.errors import InvalidArgument, ResourceExhausted
from arena.kit.middleware import announces_start
from arena.realtime.domain import (
    MAX_TOPICS,
    check_readable,
    decode_resume_token,
    encode_resume_token,
    validate_topic,
)
from arena.realtime.hub import Hub
from arena.realtime.v1 import (
    realtime_internal_service_pb2,
    realtime_internal_service_pb2_grpc,
    realtime_service_pb2,
    realtime_service_pb2_grpc,
)

MAX_PAYLOAD_BYTES = 64 * 1024


def _token(positions: dict[str, int]) -> bytes:
    return realtime_service_pb2.SubscribeResponse(resume_token=encode_resume_token(positions)).SerializeToString()


def _subscribed(topics: tuple[str, ...]) -> bytes:
    acknowledgement = realtime_service_pb2.Subscribed(topics=topics)
    return realtime_service_pb2.SubscribeResponse(subscribed=acknowledgement).SerializeToString()


def _heartbeat() -> bytes:
    beat = stream_pb2.Heartbeat()
    beat.time.GetCurrentTime()
    return realtime_service_pb2.SubscribeResponse(heartbeat=beat).SerializeToString()


class RealtimeServicer(realtime_service_pb2_grpc.RealtimeServiceServicer):
    def __init__(self, hub: Hub, *, heartbeat_s: float = 15.0) -> None:
        self._hub = hub
        self._heartbeat_s = heartbeat_s

    @announces_start  # the acknowledgement comes right after the checks
    async def Subscribe(self, request, context):
        topics = tuple(dict.fromkeys(validate_topic(t) for t in request.topics))
        if len(topics) > MAX_TOPICS:
            raise InvalidArgument.field("topics", f"at most {MAX_TOPICS} topics per subscription")
        caller = request_context.identity()
        for topic in topics:
            check_readable(topic, caller)
        resume = {t: p for t, p in decode_resume_token(request.resume_token).items() if t in topics}
        positions = {**self._hub.positions(topics), **resume}
        subscription, backlog = self._hub.subscribe(topics, resume)
        try:
            # The acknowledgement: in place, checks passed (errors above are statuses, no message).
            yield _subscribed(topics) + _token(positions)
            for delivery in backlog:
                positions[delivery.topic] = delivery.sequence
                yield delivery.payload + _token(positions)
            while True:
                try:
                    delivery = await asyncio.wait_for(subscription.queue.get(), self._heartbeat_s)
                except TimeoutError:
                    yield _heartbeat() + _token(positions)
                    continue
                if delivery is None:
                    raise ResourceExhausted(
                        "this subscriber fell too far behind; resubscribe with the last resume token",
                        retry_after_s=0.1,
                    )
                if delivery.sequence <= positions[delivery.topic]:
                    continue  # already sent from the backlog
                positions[delivery.topic] = delivery.sequence
                # One shared serialized message plus this subscriber's token: protobuf merges them.
                yield delivery.payload + _token(positions)
        finally:
            self._hub.unsubscribe(subscription)


class PublisherServicer(realtime_internal_service_pb2_grpc.RealtimeInternalServiceServicer):
    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    async def Publish(self, request, context):
        topic = validate_topic(request.topic, "topic")
        if len(request.event_type) > 64:
            raise InvalidArgument.field("event_type", "must be at most 64 characters")
        if request.payload.ByteSize() > MAX_PAYLOAD_BYTES:
            raise InvalidArgument.field("payload", f"must be at most {MAX_PAYLOAD_BYTES} bytes serialized")
        sequence, subscribers = self._hub.publish(topic, request.event_type, request.payload)
        return realtime_internal_service_pb2.PublishResponse(sequence=sequence, subscriber_count=subscribers)
