"""Topic rules, resume tokens and the hub's delivery guarantees."""

from __future__ import annotations

import time

import pytest
from google.protobuf import struct_pb2

from arena.kit.auth import Identity
from arena.kit.errors import InvalidArgument, PermissionDenied
from arena.realtime.domain import check_readable, decode_resume_token, encode_resume_token, validate_topic
from arena.realtime.hub import Hub
from arena.realtime.v1 import realtime_service_pb2


def person(user_id: str, *roles: str) -> Identity:
    return Identity(user_id, user_id, frozenset(roles or {"USER"}), "t", "s", time.time() + 60)


@pytest.mark.parametrize("topic", ["contests/c1/leaderboard", "users/u1/submissions/s9", "problems/p1"])
def test_valid_topics(topic: str):
    assert validate_topic(topic) == topic


@pytest.mark.parametrize("topic", ["", "secrets", "users/../x", "contests//x", "users/u1/" + "a/" * 6, "x" * 300])
def test_invalid_topics(topic: str):
    with pytest.raises(InvalidArgument):
        validate_topic(topic)


def test_private_topics_are_for_their_owner_and_admins():
    check_readable("users/u1/submissions", person("u1"))
    check_readable("users/u1/submissions", person("boss", "USER", "SETTER", "ADMIN"))
    check_readable("contests/c1/leaderboard", None)
    for caller in (None, person("u2")):
        with pytest.raises(PermissionDenied):
            check_readable("users/u1/submissions", caller)


def test_resume_tokens_round_trip_and_reject_garbage():
    token = encode_resume_token({"contests/c1/x": 5, "users/u/y": 0})
    assert decode_resume_token(token) == {"contests/c1/x": 5, "users/u/y": 0}
    assert decode_resume_token("") == {}
    for garbage in ("!!!", "eyJhIjogLTF9", "bnVsbA"):
        with pytest.raises(InvalidArgument):
            decode_resume_token(garbage)


def payload(value: int) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update({"value": value})
    return result


def test_sequences_have_no_gaps_and_subscribers_get_every_message():
    hub = Hub()
    subscription, backlog = hub.subscribe(("contests/c/x",), {})
    assert backlog == []
    assert [hub.publish("contests/c/x", "e", payload(i))[0] for i in range(3)] == [1, 2, 3]
    received = [subscription.queue.get_nowait() for _ in range(3)]
    assert [d.sequence for d in received] == [1, 2, 3]
    message = realtime_service_pb2.SubscribeResponse.FromString(received[2].payload).message
    assert message.payload["value"] == 3 - 1 and message.topic == "contests/c/x"


def test_resuming_replays_only_what_was_missed():
    hub = Hub(retention=10)
    for i in range(5):
        hub.publish("contests/c/x", "e", payload(i))
    _, backlog = hub.subscribe(("contests/c/x",), {"contests/c/x": 3})
    assert [d.sequence for d in backlog] == [4, 5]


def test_one_serialized_payload_is_shared_by_all_subscribers():
    hub = Hub()
    first, _ = hub.subscribe(("contests/c/x",), {})
    second, _ = hub.subscribe(("contests/c/x",), {})
    hub.publish("contests/c/x", "e", payload(1))
    assert first.queue.get_nowait().payload is second.queue.get_nowait().payload


def test_a_slow_subscriber_is_cut_off_not_waited_for():
    hub = Hub(queue_capacity=2)
    slow, _ = hub.subscribe(("contests/c/x",), {})
    for i in range(5):
        hub.publish("contests/c/x", "e", payload(i))
    assert slow.overflowed


def test_idle_topics_are_forgotten():
    now = [0.0]
    hub = Hub(clock=lambda: now[0])
    hub.publish("contests/c/x", "e", payload(1))
    subscription, _ = hub.subscribe(("contests/c/y",), {})
    now[0] = 1000.0
    assert hub.forget_idle(600) == 1  # y still has a subscriber
    hub.unsubscribe(subscription)
    assert hub.forget_idle(600) == 1
