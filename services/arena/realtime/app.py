"""Realtime use cases: publish to a topic, open a subscription and follow it.

Depends on the ``TopicBroker`` port only; rules come from ``domain``, bytes from the servicer.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncGenerator, Iterable

from arena.core.errors import ResourceExhausted
from arena.core.identity import Identity
from arena.realtime.domain import (
    Delivery,
    Render,
    check_readable,
    decode_resume_token,
    validate_publication,
    validate_topics,
)
from arena.realtime.store import Subscription, TopicBroker


@dataclasses.dataclass
class Feed:
    """An open subscription: its topics, where the subscriber stands, and what it missed."""

    topics: tuple[str, ...]
    positions: dict[str, int]
    """Per topic, the last sequence handed to the subscriber (its resume token's content)."""
    subscription: Subscription
    backlog: list[Delivery]


class RealtimeApp:
    def __init__(self, broker: TopicBroker) -> None:
        self._broker = broker

    async def publish(self, topic: str, event_type: str, payload_bytes: int, render: Render) -> tuple[int, int]:
        """Publishes one message; (its sequence, subscribers reached)."""
        validate_publication(topic, event_type, payload_bytes)
        return await self._broker.publish(topic, render)

    async def subscribe(self, topics: Iterable[str], resume_token: str, caller: Identity | None) -> Feed:
        """Checks the topics and the caller's right to read them, then subscribes (resuming if asked)."""
        wanted = validate_topics(topics)
        for topic in wanted:
            check_readable(topic, caller)
        resume = {t: p for t, p in decode_resume_token(resume_token).items() if t in wanted}
        subscription, backlog = await self._broker.subscribe(wanted, resume)
        return Feed(wanted, dict(subscription.positions), subscription, backlog)

    async def follow(self, feed: Feed, heartbeat_s: float) -> AsyncGenerator[Delivery | None, None]:
        """The backlog, then live messages, each once and in order per topic; None when
        ``heartbeat_s`` passed without one. ``feed.positions`` is updated before each yield."""
        positions = feed.positions
        for delivery in feed.backlog:
            positions[delivery.topic] = delivery.sequence
            yield delivery
        queue = feed.subscription.queue
        while True:
            try:
                live = await asyncio.wait_for(queue.get(), heartbeat_s)
            except TimeoutError:
                yield None
                continue
            if live is None or feed.subscription.overflowed:
                raise ResourceExhausted(
                    "this subscriber fell too far behind; resubscribe with the last resume token",
                    retry_after_s=0.1,
                )
            if live.sequence <= positions[live.topic]:
                continue  # already sent from the backlog
            positions[live.topic] = live.sequence
            yield live

    async def close(self, feed: Feed) -> None:
        await self._broker.unsubscribe(feed.subscription)
