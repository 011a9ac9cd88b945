"""The realtime port (``TopicBroker``) and its in-process implementation (``InProcessHub``).

A broker keeps, per topic, a gap-free sequence, a replay window of recent messages, and its
subscribers' queues. A published message is rendered (serialized) once for its sequence; every
subscriber gets the same bytes plus its own few-byte resume token (the servicer appends it), so
fan-out to N watchers costs N queue puts, not N message builds.

``InProcessHub`` serves one instance. A cross-instance broker (NATS JetStream or Redis, issue 16)
implements the same port: it assigns the sequence centrally (an expected-last-sequence publish or
an atomic counter), renders the message for it, and feeds remote messages into local
``Subscription`` queues.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from arena.realtime.domain import Delivery, Render


class Subscription:
    """One subscriber's queue. A slow subscriber is cut off rather than slowing everyone: once its
    queue overflowed it gets nothing more (no silent gap) and its reader ends the stream; the
    subscriber resumes from its last token and the replay window fills the gap."""

    def __init__(self, topics: tuple[str, ...], positions: dict[str, int], capacity: int) -> None:
        self.topics = topics
        self.positions = positions
        """Per topic, the last sequence this subscriber has (resumed or current at subscription)."""
        self.queue: asyncio.Queue[Delivery | None] = asyncio.Queue(maxsize=capacity)
        self.overflowed = False

    def offer(self, delivery: Delivery) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(delivery)
        except asyncio.QueueFull:
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)  # wakes the reader, which ends the stream


class TopicBroker(Protocol):
    """The port: publish to topics and subscribe to them with replay after a position."""

    async def publish(self, topic: str, render: Render) -> tuple[int, int]:
        """Appends a message to a topic (rendered once for its new sequence) and hands it to the
        topic's subscribers; returns (sequence, subscribers reached)."""
        ...

    async def subscribe(self, topics: tuple[str, ...], after: Mapping[str, int]) -> tuple[Subscription, list[Delivery]]:
        """A live subscription plus the retained messages after the given positions (no gap, no
        repeat); a topic not in ``after`` starts at its current sequence."""
        ...

    async def unsubscribe(self, subscription: Subscription) -> None:
        """Stops deliveries to a subscription (idempotent)."""
        ...


class _Topic:
    def __init__(self, retention: int) -> None:
        self.sequence = 0
        self.recent: collections.deque[Delivery] = collections.deque(maxlen=retention)
        self.subscribers: set[Subscription] = set()
        self.touched = time.monotonic()


class InProcessHub:
    """``TopicBroker`` within one process: the one-instance default."""

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

    async def publish(self, topic: str, render: Render) -> tuple[int, int]:
        state = self._topic(topic)
        state.sequence += 1
        delivery = Delivery(topic, state.sequence, render(state.sequence))
        state.recent.append(delivery)
        for subscription in state.subscribers:
            subscription.offer(delivery)
        return state.sequence, len(state.subscribers)

    async def subscribe(self, topics: tuple[str, ...], after: Mapping[str, int]) -> tuple[Subscription, list[Delivery]]:
        positions = {name: after.get(name, self._topic(name).sequence) for name in topics}
        subscription = Subscription(topics, positions, self._queue_capacity)
        backlog: list[Delivery] = []
        for name in topics:
            topic = self._topic(name)
            position = after.get(name)
            if position is not None:
                backlog.extend(d for d in topic.recent if d.sequence > position)
            topic.subscribers.add(subscription)
        return subscription, backlog

    async def unsubscribe(self, subscription: Subscription) -> None:
        for name in subscription.topics:
            topic = self._topics.get(name)
            if topic is not None:
                topic.subscribers.discard(subscription)

    def forget_idle(self, idle_s: float) -> int:
        """Drops topics nobody watched or published to for a while; returns how many."""
        now = self._clock()
        idle = [n for n, t in self._topics.items() if not t.subscribers and now - t.touched > idle_s]
        for name in idle:
            del self._topics[name]
        return len(idle)
