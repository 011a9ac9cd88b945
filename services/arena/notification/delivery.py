"""The delivery worker: sends due emails and webhook calls, records each attempt, retries with backoff.

Everything it needs is in the store (deliveries are written with their notification), so a restart
loses nothing: pending deliveries are picked up again, including those a crashed process had claimed
(their lease runs out). A delivery keeps its id across attempts: the ``webhook-id`` header and the
email's Message-ID, so a receiver that saw an attempt whose outcome was never recorded can dedupe.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
import time
from collections.abc import Callable
from typing import Protocol

import structlog

from arena.core.errors import NotFound
from arena.notification.contacts import Contacts
from arena.notification.domain import (
    Attempt,
    Claimed,
    Contact,
    DeliveryChannel,
    DeliveryState,
    Email,
    Outcome,
    RetryPolicy,
    render_email,
    webhook_payload,
)
from arena.notification.store import NotificationStore, Recorded

log = structlog.get_logger("arena.notification.delivery")


class Mailer(Protocol):
    async def send(self, delivery_id: str, to: Contact, content: Email) -> Outcome: ...


class Poster(Protocol):
    async def send(
        self, url: str, secret: str, message_id: str, body: bytes, timestamp_s: int | None = None
    ) -> Outcome: ...


class Deliverer:
    """Delivers due deliveries; woken at once by ``kick()`` after a send, else every interval."""

    def __init__(
        self,
        store: NotificationStore,
        *,
        mailer: Mailer | None,
        webhooks: Poster,
        contacts: Contacts,
        policy: RetryPolicy,
        app_url: str,
        clock: Callable[[], dt.datetime],
        interval_s: float = 1.0,
        lease: dt.timedelta = dt.timedelta(minutes=2),
        batch: int = 100,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._mailer = mailer
        self._webhooks = webhooks
        self._contacts = contacts
        self._policy = policy
        self._app_url = app_url
        self._clock = clock
        self._interval_s = interval_s
        self._lease = lease
        self._batch = batch
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def kick(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="deliveries")

    async def stop(self, *, grace_s: float = 6.0) -> None:
        """Lets the pass under way finish and record its attempts (bounded by ``grace_s``), then stops: a
        graceful restart leaves no delivery waiting for its lease to run out."""
        if self._task is None:
            return
        self._stopping.set()
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_s)
        except TimeoutError:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                while await self.deliver_due() >= self._batch and not self._stopping.is_set():
                    pass
            except Exception:
                log.exception("delivery pass failed; retrying")
            if self._stopping.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval_s)

    async def deliver_due(self) -> int:
        """Attempts every due delivery once; returns how many were attempted."""
        now = self._clock()
        claimed = await self._store.claim(now, now + self._lease, self._batch)
        results = await asyncio.gather(*(self._attempt(c) for c in claimed))
        await self._store.record_many(results)  # one transaction for the pass, not one per delivery
        return len(claimed)

    async def _outcome(self, claimed: Claimed) -> Outcome:
        delivery, notification = claimed.delivery, claimed.notification
        if delivery.channel is DeliveryChannel.EMAIL:
            if self._mailer is None:
                return Outcome(False, 0, "email is not configured on this service", permanent=True)
            try:
                contact = await self._contacts.contact(delivery.user_id)
            except NotFound:
                return Outcome(False, 0, "the recipient's account does not exist", permanent=True)
            except Exception as exc:
                return Outcome(False, 0, f"user service: {type(exc).__name__}: {exc}"[:500])
            if not contact.email:
                return Outcome(False, 0, "the recipient has no email address", permanent=True)
            content = render_email(notification, contact, self._app_url)
            return await self._mailer.send(delivery.delivery_id, contact, content)
        webhook = claimed.webhook
        if webhook is None:
            return Outcome(False, 0, "the webhook was deleted", permanent=True)
        body = webhook_payload(notification, notification.create_time)
        return await self._webhooks.send(webhook.url, webhook.secret, delivery.delivery_id, body)

    async def _attempt(self, claimed: Claimed) -> Recorded:
        delivery = claimed.delivery
        started = time.monotonic()
        attempt_time = self._clock()
        try:
            outcome = await self._outcome(claimed)
        except Exception as exc:  # a bug or an unexpected library error: retried like a failure
            log.exception("delivery attempt crashed", delivery_id=delivery.delivery_id)
            outcome = Outcome(False, 0, f"{type(exc).__name__}: {exc}"[:500])
        attempts = delivery.attempt_count + 1
        now = self._clock()
        if outcome.delivered:
            state, next_time = DeliveryState.DELIVERED, now
        elif outcome.permanent or self._policy.exhausted(attempts):
            state, next_time = DeliveryState.FAILED, now
        else:
            state, next_time = DeliveryState.PENDING, now + self._policy.delay(attempts, self._rng)
        attempt = Attempt(attempt_time, outcome.status_code, outcome.error, int((time.monotonic() - started) * 1000))
        (log.debug if outcome.delivered else log.info)(
            "delivery attempted",
            delivery_id=delivery.delivery_id,
            channel=delivery.channel.value,
            attempts=attempts,
            state=state.name,
            error=outcome.error[:200],
        )
        return (delivery.delivery_id, attempt, state, next_time)
