"""Nudges: small best-effort "look again" signals between the instances of a service, over core NATS.

A nudge names a key (a submission id, a contest id) and carries a few integers (the event's sequence,
the board's version); the receiver reads its own store, which stays the record. Delivery is at most once
(core NATS, no persistence): a lost nudge costs the receiver one poll interval, never a wrong answer.
An instance ignores its own nudges (it woke its own watchers already).

Subject: ``<prefix>.<key as one token>``; body: JSON ``{"origin": ..., "key": ..., **fields}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from arena.broker.subjects import token

log = structlog.get_logger("arena.broker.nudges")

MAX_IN_FLIGHT = 1024

Handler = Callable[[str, Mapping[str, int]], None]
"""(key, fields) -> None: called for every nudge from another instance; must not block."""


class Nudges:
    def __init__(self, connection: Client, origin: str) -> None:
        self.connection = connection
        self._nc = connection
        self._origin = origin
        self._in_flight: set[asyncio.Task[None]] = set()
        self._subscriptions: list[Subscription] = []

    def send(self, prefix: str, key: str, **fields: int) -> None:
        """Sends a nudge without waiting (from synchronous code too); shed when too many are pending."""
        if len(self._in_flight) >= MAX_IN_FLIGHT:
            log.debug("nudge shed", prefix=prefix, key=key)
            return
        body = json.dumps({"origin": self._origin, "key": key, **fields}, separators=(",", ":")).encode()
        task = asyncio.get_running_loop().create_task(self._send(f"{prefix}.{token(key)}", body))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _send(self, subject: str, body: bytes) -> None:
        try:
            await self._nc.publish(subject, body)
        except Exception as exc:  # best effort by design: the receiver's poll covers a lost nudge
            log.debug("nudge not sent", subject=subject, error=str(exc))

    async def listen(self, prefix: str, handler: Handler) -> None:
        """Calls ``handler`` for every other instance's nudge under ``prefix``."""

        async def receive(msg: Msg) -> None:
            try:
                body = json.loads(msg.data)
                if body.get("origin") == self._origin:
                    return
                key = body.pop("key")
                body.pop("origin", None)
                fields = {k: v for k, v in body.items() if isinstance(v, int)}
                if not isinstance(key, str):
                    raise TypeError("key")
            except (ValueError, TypeError, KeyError, AttributeError):
                log.warning("malformed nudge ignored", subject=msg.subject)
                return
            handler(key, fields)

        self._subscriptions.append(await self._nc.subscribe(f"{prefix}.*", cb=receive))
        # The server knows of the subscription once this round trip is back: a nudge sent by another
        # instance after ``listen`` returns reaches this one (else it could pass before the SUB).
        await self._nc.flush()

    async def close(self) -> None:
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        for subscription in self._subscriptions:
            try:
                await subscription.unsubscribe()
            except Exception as exc:  # a connection already gone
                log.debug("nudge subscription not closed", error=str(exc))
        self._subscriptions.clear()
