"""The in-memory topic hub: sequences, a replay window per topic, and subscriber queues.

A published message is serialized once; every subscriber gets the same bytes plus its
own few-byte resume token (protobuf concatenation merges the two into one message), so
fan-out to N watchers costs N queue puts, not N message builds.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import time
from collections.abc import Callable

from google.protobuf import struct_pb2, timestamp_pb2

from arena.realtime.v1 import realtime_pb2, realtime_service_pb2


@dataclasses.dataclass(frozen=True)
class Delivery:
    topic: str
    sequence: int
    payload: bytes
    """A serialized SubscribeResponse holding just the message."""


class Subscription:
    """One subscriber's queue. A slow subscriber is cut off rather than slowing everyone."""

    def __init__(self, topics: tuple[str, ...], capacity: int) -> None:
        self.topics = topics
        self.queue: asyncio.Queue[Delivery | None] = asyncio.Queue(maxsize=capacity)
        self.overflowed = False

    def offer(self, delivery: Delivery) -> None:
        try:
            self.queue.put_nowait(delivery)
        except asyncio.QueueFull:
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)  # wakes the reader, which ends the stream


class _Topic:
    def __init__(self, retention: int) -> None:
        self.sequence = 0
        self.recent: collections.deque[Delivery] = collections.deque(maxlen=retention)
        self.subscribers: set[Subscription] = set()
        self.touched = time.monotonic()


class Hub:
    def __init__(
        self, *, retention: int = 1000, queue_capacity: int = 1000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._topics: dict[str, _Topic] = {}
        self._retention = retention
        self._queue_capacity = queue_capacity
        self._clock = clock

    def _topic(self, name: str) -> _Topic:
        topic = self._topics.get(name)
        if topic is None:
            topic = self._topics[name] = _Topic(self._retention)
        topic.touched = self._clock()
        return topic

    def publish(self, name: str, event_type: str, payload: struct_pb2.Struct) -> tuple[int, int]:
        """Appends a message to a topic and hands it to its subscribers; (sequence, subscribers)."""
        topic = self._topic(name)
        topic.sequence += 1
        published = timestamp_pb2.Timestamp()
        published.GetCurrentTime()
        message = realtime_pb2.TopicMessage(
            topic=name, sequence=topic.sequence, event_type=event_type, payload=payload, publish_time=published
        )
        delivery = Delivery(
            name, topic.sequence, realtime_service_pb2.SubscribeResponse(message=message).SerializeToString()
        )
        topic.recent.append(delivery)
        for subscription in topic.subscribers:
            subscription.offer(delivery)
        return topic.sequence, len(topic.subscribers)

    def subscribe(self, topics: tuple[str, ...], after: dict[str, int]) -> tuple[Subscription, list[Delivery]]:
        """A live subscription plus the retained messages after the given positions (no gap, no repeat)."""
        subscription = Subscription(topics, self._queue_capacity)
        backlog: list[Delivery] = []
        for name in topics:
            topic = self._topic(name)
            position = after.get(name)
            if position is not None:
                backlog.extend(d for d in topic.recent if d.sequence > position)
            topic.subscribers.add(subscription)
        return subscription, backlog

    def unsubscribe(self, subscription: Subscription) -> None:
        for name in subscription.topics:
            topic = self._topics.get(name)
            if topic is not None:
                topic.subscribers.discard(subscription)

    def positions(self, topics: tuple[str, ...]) -> dict[str, int]:
        """The current sequence of each topic (where a new subscriber starts)."""
        return {name: self._topic(name).sequence for name in topics}

    def forget_idle(self, idle_s: float) -> int:
        """Drops topics nobody watched or published to for a while; returns how many."""
        now = self._clock()
        idle = [n for n, t in self._topics.items() if not t.subscribers and now - t.touched > idle_s]
        for name in idle:
            del self._topics[name]
        return len(idle)
