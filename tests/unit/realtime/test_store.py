"""Topic rules, resume tokens and the in-process hub's delivery guarantees (the broker port)."""

from __future__ import annotations

import time

import pytest

from arena.core.errors import InvalidArgument, PermissionDenied
from arena.core.identity import Identity
from arena.realtime.domain import (
    MAX_PAYLOAD_BYTES,
    MAX_TOPICS,
    check_readable,
    decode_resume_token,
    encode_resume_token,
    validate_publication,
    validate_topic,
    validate_topics,
)
from arena.realtime.store import InProcessHub


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


def test_subscriptions_drop_duplicates_and_are_bounded():
    assert validate_topics(["problems/p1", "contests/c1", "problems/p1"]) == ("problems/p1", "contests/c1")
    with pytest.raises(InvalidArgument):
        validate_topics(f"problems/p{i}" for i in range(MAX_TOPICS + 1))


def test_publications_are_bounded():
    assert validate_publication("contests/c1/x", "e" * 64, MAX_PAYLOAD_BYTES) == "contests/c1/x"
    for topic, event_type, size in [("nope", "e", 1), ("contests/c1", "e" * 65, 1), ("contests/c1", "e", 1 << 17)]:
        with pytest.raises(InvalidArgument):
            validate_publication(topic, event_type, size)


def render(value: int):
    """A message's bytes for its sequence (the servicer serializes a protobuf message here)."""
    return lambda sequence: f"{sequence}:{value}".encode()


async def test_sequences_have_no_gaps_and_subscribers_get_every_message():
    hub = InProcessHub()
    subscription, backlog = await hub.subscribe(("contests/c/x",), {})
    assert backlog == [] and subscription.positions == {"contests/c/x": 0}
    assert [(await hub.publish("contests/c/x", render(i)))[0] for i in range(3)] == [1, 2, 3]
    received = [subscription.queue.get_nowait() for _ in range(3)]
    assert [d.sequence for d in received] == [1, 2, 3]
    assert received[2].payload == b"3:2" and received[2].topic == "contests/c/x"


async def test_a_new_subscription_starts_at_the_current_sequence_unless_resumed():
    hub = InProcessHub()
    for i in range(2):
        await hub.publish("contests/c/x", render(i))
    subscription, _ = await hub.subscribe(("contests/c/x", "contests/c/y"), {"contests/c/y": 0})
    assert subscription.positions == {"contests/c/x": 2, "contests/c/y": 0}


async def test_resuming_replays_only_what_was_missed():
    hub = InProcessHub(retention=10)
    for i in range(5):
        await hub.publish("contests/c/x", render(i))
    _, backlog = await hub.subscribe(("contests/c/x",), {"contests/c/x": 3})
    assert [d.sequence for d in backlog] == [4, 5]


async def test_one_rendered_payload_is_shared_by_all_subscribers():
    hub = InProcessHub()
    first, _ = await hub.subscribe(("contests/c/x",), {})
    second, _ = await hub.subscribe(("contests/c/x",), {})
    rendered: list[int] = []

    def counting(sequence: int) -> bytes:
        rendered.append(sequence)
        return b"x"

    assert await hub.publish("contests/c/x", counting) == (1, 2)
    assert rendered == [1]
    assert first.queue.get_nowait().payload is second.queue.get_nowait().payload


async def test_a_slow_subscriber_is_cut_off_not_waited_for():
    hub = InProcessHub(queue_capacity=2)
    slow, _ = await hub.subscribe(("contests/c/x",), {})
    for i in range(5):
        await hub.publish("contests/c/x", render(i))
    assert slow.overflowed
    assert [slow.queue.get_nowait().sequence for _ in range(2)] == [1, 2]
    await hub.publish("contests/c/x", render(6))
    assert slow.queue.empty()  # nothing after the gap: the subscriber resumes from its token instead


async def test_idle_topics_are_forgotten():
    now = [0.0]
    hub = InProcessHub(clock=lambda: now[0])
    await hub.publish("contests/c/x", render(1))
    subscription, _ = await hub.subscribe(("contests/c/y",), {})
    now[0] = 1000.0
    assert hub.forget_idle(600) == 1  # y still has a subscriber
    await hub.unsubscribe(subscription)
    assert hub.forget_idle(600) == 1
