"""The notification service's use cases: send (idempotent), list, mark read, follow a user's stream,
preferences, webhooks and their deliveries.

Sending decides at send time, from the recipient's preferences, which channels a notification takes,
then stores it together with every delivery it owes in one transaction; the delivery worker is only
woken, never awaited, so SendNotification answers as soon as the notification is stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import secrets
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence

from arena.core.errors import InvalidArgument, NotFound, OutOfRange, PermissionDenied, ResourceExhausted
from arena.core.identity import Identity
from arena.kit.db import utcnow
from arena.kit.ids import new_id
from arena.notification.domain import (
    MARK_READ_MAX_IDS,
    WEBHOOKS_PER_OWNER,
    Channel,
    DeliveryChannel,
    DeliveryRecord,
    Inbox,
    Kind,
    NewNotification,
    Notification,
    PlannedDelivery,
    Preferences,
    Webhook,
    new_secret,
    updated_preferences,
    validate_new,
)
from arena.notification.hub import Hub
from arena.notification.store import NotificationStore

STREAM_BATCH = 100


@dataclasses.dataclass(frozen=True)
class StreamEvent:
    """One message of a user's stream: a notification, or a heartbeat (``notification`` None)."""

    notification: Notification | None
    unread_count: int


class NotificationApp:
    def __init__(
        self,
        store: NotificationStore,
        hub: Hub,
        *,
        email_available: bool,
        check_url: Callable[[str], Awaitable[None]],
        kick: Callable[[], None] = lambda: None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.store = store
        self.hub = hub
        self.email_available = email_available
        self._check_url = check_url
        self._kick = kick
        self.clock = clock

    # -- sending ------------------------------------------------------------------------------------

    async def send(self, new: NewNotification) -> tuple[Notification | None, bool]:
        """Stores and delivers a notification unless its key was seen or no channel wants it.

        Returns the in-app notification (None when it is not shown in-app) and whether it was created now.
        """
        validate_new(new)
        preferences = await self.store.preferences(new.user_id)
        in_app = preferences.wants(new.kind, Channel.IN_APP)
        planned = [
            PlannedDelivery(new_id(), DeliveryChannel.WEBHOOK, w.webhook_id)
            for w in await self.store.webhooks_for(new.user_id)
            if w.wants(new, preferences)
        ]
        if self.email_available and preferences.wants(new.kind, Channel.EMAIL):
            planned.append(PlannedDelivery(new_id(), DeliveryChannel.EMAIL))
        if not in_app and not planned:
            found = await self.store.find(new.user_id, new.idempotency_key)
            return (found if found is not None and found.in_app else None), False
        notification, created = await self.store.create(new_id(), new, in_app, planned, self.clock())
        if created:
            if in_app:
                self.hub.wake(new.user_id)
            if planned:
                self._kick()
        return (notification if notification.in_app else None), created

    # -- the inbox ----------------------------------------------------------------------------------

    async def page(
        self, caller: Identity, unread_only: bool, limit: int, before_sequence: int | None
    ) -> tuple[list[Notification], int | None, int]:
        """A page (newest first), the cursor of the next page (None on the last) and the unread count."""
        found = await self.store.page(caller.user_id, unread_only, limit + 1, before_sequence)
        inbox = await self.store.inbox(caller.user_id)
        more = len(found) > limit
        page = found[:limit]
        return page, (page[-1].sequence if more else None), inbox.unread_count

    async def mark_read(self, caller: Identity, ids: Sequence[str], everything: bool) -> tuple[int, int]:
        if not everything:
            if not ids:
                raise InvalidArgument.field("notification_ids", "name at least one notification, or set `all`")
            if len(ids) > MARK_READ_MAX_IDS:
                raise InvalidArgument.field("notification_ids", f"at most {MARK_READ_MAX_IDS} at once")
        changed, unread = await self.store.mark_read(caller.user_id, None if everything else list(ids), self.clock())
        if changed:
            self.hub.wake(caller.user_id)
        return changed, unread

    async def follow(self, caller: Identity, after_sequence: int, heartbeat_s: float) -> AsyncGenerator[StreamEvent]:
        """The caller's stream: a heartbeat at once, then notifications after ``after_sequence`` (0: only
        new ones) in order, a heartbeat when only the unread count changed, and one every ``heartbeat_s``.

        It subscribes before it reads, and reads by sequence from the store, so nothing created
        meanwhile is missed and nothing is sent twice."""
        if after_sequence < 0:
            raise InvalidArgument.field("after_sequence", "must not be negative")
        with self.hub.subscribe(caller.user_id) as woken:
            inbox = await self.store.inbox(caller.user_id)
            if after_sequence > inbox.last_sequence:
                raise OutOfRange.field("after_sequence", f"the latest notification is {inbox.last_sequence}")
            last = after_sequence or inbox.last_sequence
            unread = inbox.unread_count
            yield StreamEvent(None, unread)
            while True:
                woken.clear()
                sent = False
                while True:
                    fresh = await self.store.after(caller.user_id, last, STREAM_BATCH)
                    if not fresh:
                        break
                    inbox = await self.store.inbox(caller.user_id)
                    for notification in fresh:
                        yield StreamEvent(notification, inbox.unread_count)
                        last = notification.sequence
                    unread, sent = inbox.unread_count, True
                    if len(fresh) < STREAM_BATCH:
                        break
                if not sent:
                    inbox = await self.store.inbox(caller.user_id)
                    if inbox.unread_count != unread:
                        unread = inbox.unread_count
                        yield StreamEvent(None, unread)
                try:
                    await asyncio.wait_for(woken.wait(), heartbeat_s)
                except TimeoutError:
                    yield StreamEvent(None, unread)

    async def inbox(self, caller: Identity) -> Inbox:
        return await self.store.inbox(caller.user_id)

    # -- preferences --------------------------------------------------------------------------------

    async def preferences(self, caller: Identity) -> Preferences:
        return await self.store.preferences(caller.user_id)

    async def update_preferences(
        self,
        caller: Identity,
        *,
        muted: Iterable[Kind] | None = None,
        email_enabled: bool | None = None,
        settings: Iterable[tuple[Kind, Channel, bool]] | None = None,
    ) -> Preferences:
        current = await self.store.preferences(caller.user_id)
        updated = updated_preferences(current, muted=muted, email_enabled=email_enabled, settings=settings)
        await self.store.save_preferences(caller.user_id, updated, self.clock())
        return updated

    # -- webhooks -----------------------------------------------------------------------------------

    async def create_webhook(self, caller: Identity, url: str, kinds: frozenset[Kind], all_users: bool) -> Webhook:
        if all_users and not caller.has_role("ADMIN"):
            raise PermissionDenied("only administrators may register a webhook for every user's notifications")
        await self._check_url(url)
        webhook = Webhook(
            webhook_id=new_id(),
            owner_id=caller.user_id,
            url=url,
            kinds=kinds,
            secret=new_secret(secrets.token_bytes(32)),
            all_users=all_users,
            create_time=self.clock(),
        )
        if not await self.store.add_webhook(webhook, WEBHOOKS_PER_OWNER):
            raise ResourceExhausted(
                f"at most {WEBHOOKS_PER_OWNER} webhooks per account; delete one first",
                reason="WEBHOOK_LIMIT_REACHED",
            )
        return webhook

    async def webhooks(self, caller: Identity) -> list[Webhook]:
        return await self.store.webhooks(caller.user_id)

    async def _own_webhook(self, caller: Identity, webhook_id: str) -> Webhook:
        if not webhook_id:
            raise InvalidArgument.field("webhook_id", "is required")
        found = await self.store.get_webhook(webhook_id)
        if found is None or (found.owner_id != caller.user_id and not caller.has_role("ADMIN")):
            raise NotFound("webhook", webhook_id)
        return found

    async def delete_webhook(self, caller: Identity, webhook_id: str) -> None:
        await self._own_webhook(caller, webhook_id)
        await self.store.delete_webhook(webhook_id)

    async def deliveries(
        self, caller: Identity, webhook_id: str, limit: int, before: tuple[dt.datetime, str] | None
    ) -> tuple[list[DeliveryRecord], tuple[dt.datetime, str] | None]:
        await self._own_webhook(caller, webhook_id)
        found = await self.store.deliveries(webhook_id, limit + 1, before)
        page = found[:limit]
        last = page[-1].delivery if len(found) > limit else None
        return page, ((last.create_time, last.delivery_id) if last is not None else None)
