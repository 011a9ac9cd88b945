"""Subscribe's stream shape: the acknowledgement first (after the checks), then the backlog, then live."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2

from arena.core.errors import InvalidArgument, PermissionDenied, ResourceExhausted
from arena.realtime.app import RealtimeApp
from arena.realtime.domain import MAX_PAYLOAD_BYTES, decode_resume_token, encode_resume_token
from arena.realtime.servicer import PublisherServicer, RealtimeServicer
from arena.realtime.store import InProcessHub
from arena.realtime.v1 import realtime_internal_service_pb2, realtime_service_pb2

TOPIC = "contests/c1/leaderboard"


def parse(payload: bytes) -> realtime_service_pb2.SubscribeResponse:
    return realtime_service_pb2.SubscribeResponse.FromString(payload)


def servicers(hub: InProcessHub | None = None, **options: float) -> tuple[RealtimeServicer, PublisherServicer]:
    app = RealtimeApp(hub or InProcessHub())
    return RealtimeServicer(app, **options), PublisherServicer(app)


async def publish(publisher: PublisherServicer, event_type: str, topic: str = TOPIC, **payload: object):
    body = struct_pb2.Struct()
    body.update(payload)
    request = realtime_internal_service_pb2.PublishRequest(topic=topic, event_type=event_type, payload=body)
    return await publisher.Publish(request, None)


async def test_the_first_message_acknowledges_the_subscription_with_its_starting_position():
    subscriber, publisher = servicers()
    await publish(publisher, "before")  # sequence 1, before the subscription
    stream = subscriber.Subscribe(realtime_service_pb2.SubscribeRequest(topics=[TOPIC, TOPIC]), None)
    first = parse(await anext(stream))
    assert first.WhichOneof("event") == "subscribed" and list(first.subscribed.topics) == [TOPIC]
    assert decode_resume_token(first.resume_token) == {TOPIC: 1} and not first.last
    published = await publish(publisher, "after", value=3)
    assert (published.sequence, published.subscriber_count) == (2, 1)
    second = parse(await anext(stream))
    assert (second.message.sequence, second.message.event_type) == (2, "after")
    assert second.message.topic == TOPIC and second.message.payload["value"] == 3
    assert second.message.publish_time.seconds > 0 and decode_resume_token(second.resume_token) == {TOPIC: 2}
    await stream.aclose()


async def test_a_resumed_subscription_is_acknowledged_before_its_backlog():
    subscriber, publisher = servicers()
    for _ in range(3):
        await publish(publisher, "tick")
    request = realtime_service_pb2.SubscribeRequest(topics=[TOPIC], resume_token=encode_resume_token({TOPIC: 1}))
    stream = subscriber.Subscribe(request, None)
    first = parse(await anext(stream))
    assert first.WhichOneof("event") == "subscribed" and decode_resume_token(first.resume_token) == {TOPIC: 1}
    assert [parse(await anext(stream)).message.sequence for _ in range(2)] == [2, 3]
    await stream.aclose()


async def test_a_quiet_subscription_hears_heartbeats():
    subscriber, _ = servicers(heartbeat_s=0.01)
    stream = subscriber.Subscribe(realtime_service_pb2.SubscribeRequest(topics=[TOPIC]), None)
    await anext(stream)
    beat = parse(await anext(stream))
    assert beat.WhichOneof("event") == "heartbeat" and decode_resume_token(beat.resume_token) == {TOPIC: 0}
    await stream.aclose()


async def test_a_subscriber_too_far_behind_is_told_to_resume():
    hub = InProcessHub(queue_capacity=2)
    subscriber, publisher = servicers(hub)
    stream = subscriber.Subscribe(realtime_service_pb2.SubscribeRequest(topics=[TOPIC]), None)
    await anext(stream)
    for _ in range(5):
        await publish(publisher, "tick")
    with pytest.raises(ResourceExhausted):
        await anext(stream)
    assert (await publish(publisher, "tick")).subscriber_count == 0  # unsubscribed on the way out


async def test_a_refused_subscription_sends_nothing():
    subscriber, _ = servicers()
    stream = subscriber.Subscribe(realtime_service_pb2.SubscribeRequest(topics=["users/u1/x"]), None)
    with pytest.raises(PermissionDenied):
        await anext(stream)


async def test_oversized_publications_are_refused():
    _, publisher = servicers()
    with pytest.raises(InvalidArgument):
        await publish(publisher, "big", blob="x" * MAX_PAYLOAD_BYTES)
