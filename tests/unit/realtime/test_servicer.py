"""Subscribe's stream shape: the acknowledgement first (after the checks), then the backlog, then live."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2

from arena.kit.errors import PermissionDenied
from arena.realtime.domain import decode_resume_token, encode_resume_token
from arena.realtime.hub import Hub
from arena.realtime.servicer import RealtimeServicer
from arena.realtime.v1 import realtime_service_pb2

TOPIC = "contests/c1/leaderboard"


def parse(payload: bytes) -> realtime_service_pb2.SubscribeResponse:
    return realtime_service_pb2.SubscribeResponse.FromString(payload)


async def test_the_first_message_acknowledges_the_subscription_with_its_starting_position():
    hub = Hub()
    hub.publish(TOPIC, "before", struct_pb2.Struct())  # sequence 1, before the subscription
    stream = RealtimeServicer(hub).Subscribe(realtime_service_pb2.SubscribeRequest(topics=[TOPIC, TOPIC]), None)
    first = parse(await anext(stream))
    assert first.WhichOneof("event") == "subscribed" and list(first.subscribed.topics) == [TOPIC]
    assert decode_resume_token(first.resume_token) == {TOPIC: 1} and not first.last
    hub.publish(TOPIC, "after", struct_pb2.Struct())
    second = parse(await anext(stream))
    assert (second.message.sequence, second.message.event_type) == (2, "after")
    await stream.aclose()


async def test_a_resumed_subscription_is_acknowledged_before_its_backlog():
    hub = Hub()
    for _ in range(3):
        hub.publish(TOPIC, "tick", struct_pb2.Struct())
    request = realtime_service_pb2.SubscribeRequest(topics=[TOPIC], resume_token=encode_resume_token({TOPIC: 1}))
    stream = RealtimeServicer(hub).Subscribe(request, None)
    first = parse(await anext(stream))
    assert first.WhichOneof("event") == "subscribed" and decode_resume_token(first.resume_token) == {TOPIC: 1}
    assert [parse(await anext(stream)).message.sequence for _ in range(2)] == [2, 3]
    await stream.aclose()


async def test_a_refused_subscription_sends_nothing():
    stream = RealtimeServicer(Hub()).Subscribe(realtime_service_pb2.SubscribeRequest(topics=["users/u1/x"]), None)
    with pytest.raises(PermissionDenied):
        await anext(stream)
