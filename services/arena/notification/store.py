"""The notification service's storage: the ``NotificationStore`` port, its SQLAlchemy 2 implementation and
an in-memory one.

A notification and every delivery it owes (its email, one per webhook) are written in one transaction,
so a crash loses neither, and redelivering the same idempotency key finds the stored one. Each user has
an inbox row holding the last sequence number and the unread count: creating a notification updates
that row first, which serializes a user's notifications, so sequences increase in commit order with no
gap and a stream resumed after sequence N misses nothing.

Deliveries are claimed with a lease (the next attempt time moves past the lease), so several processes
never attempt one delivery at once; a crash after sending and before recording retries it after the
lease, under the same delivery id (the ``webhook-id``; the email's Message-ID), so receivers can dedupe.

``InMemoryNotificationStore`` keeps the same contract in dictionaries (use-case tests);
``tests/integration/db/test_notification_store.py`` runs the contract on it, SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import pathlib
import secrets
from collections.abc import Sequence
from typing import Protocol, TypeAlias

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arena.kit.db import NAMING_CONVENTION, UtcDateTime, migrate, session_factory, upsert_statement
from arena.notification.domain import (
    Attempt,
    Channel,
    Claimed,
    Delivery,
    DeliveryChannel,
    DeliveryRecord,
    DeliveryState,
    Inbox,
    Kind,
    NewNotification,
    Notification,
    PlannedDelivery,
    Preferences,
    Webhook,
)

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")
VERSION_TABLE = "notification_alembic_version"

Recorded: TypeAlias = tuple[str, Attempt, DeliveryState, dt.datetime]
"""(delivery id, the attempt, the delivery's new state, its next attempt time)."""


class NotificationStore(Protocol):
    """The notification service's port. Times are timezone-aware UTC datetimes."""

    async def migrate(self) -> None: ...

    async def create(
        self,
        notification_id: str,
        new: NewNotification,
        in_app: bool,
        deliveries: Sequence[PlannedDelivery],
        now: dt.datetime,
    ) -> tuple[Notification, bool]:
        """Stores the notification and its deliveries unless the user has one with the same idempotency key
        (then returns that one and False)."""
        ...

    async def find(self, user_id: str, idempotency_key: str) -> Notification | None: ...

    async def page(
        self, user_id: str, unread_only: bool, limit: int, before_sequence: int | None
    ) -> list[Notification]:
        """In-app notifications, newest first, with sequence below ``before_sequence`` (all when None)."""
        ...

    async def after(self, user_id: str, sequence: int, limit: int) -> list[Notification]:
        """In-app notifications with sequence above ``sequence``, oldest first."""
        ...

    async def inbox(self, user_id: str) -> Inbox: ...

    async def mark_read(self, user_id: str, ids: Sequence[str] | None, now: dt.datetime) -> tuple[int, int]:
        """Marks the given (None: every) unread notification read; (how many changed, unread left)."""
        ...

    async def changed_inboxes(self, since: dt.datetime) -> list[tuple[str, dt.datetime]]:
        """Users whose inbox changed after ``since``, with the change time (streams in other processes)."""
        ...

    async def preferences(self, user_id: str) -> Preferences: ...

    async def save_preferences(self, user_id: str, preferences: Preferences, now: dt.datetime) -> None: ...

    async def add_webhook(self, webhook: Webhook, limit: int) -> bool:
        """Stores the webhook unless its owner already has ``limit`` (False then)."""
        ...

    async def webhooks(self, owner_id: str) -> list[Webhook]: ...

    async def get_webhook(self, webhook_id: str) -> Webhook | None: ...

    async def delete_webhook(self, webhook_id: str) -> bool: ...

    async def webhooks_for(self, user_id: str) -> list[Webhook]:
        """The recipient's own webhooks and every platform-wide one."""
        ...

    async def claim(self, now: dt.datetime, lease_until: dt.datetime, limit: int) -> list[Claimed]:
        """Pending deliveries due at ``now``, each moved to ``lease_until`` so no one else takes them."""
        ...

    async def record(
        self, delivery_id: str, attempt: Attempt, state: DeliveryState, next_attempt_time: dt.datetime
    ) -> None:
        """Adds an attempt and moves the delivery to ``state``; a webhook's failing flag follows the outcome."""
        ...

    async def record_many(self, results: Sequence[Recorded]) -> None:
        """``record`` for each of a pass's attempts, in one transaction."""
        ...

    async def deliveries(
        self, webhook_id: str, limit: int, before: tuple[dt.datetime, str] | None
    ) -> list[DeliveryRecord]:
        """A webhook's deliveries, newest first (create time, then id), with their attempts."""
        ...

    async def pending_count(self) -> int: ...


# -- SQL ---------------------------------------------------------------------------------------------


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class InboxRow(Base):
    __tablename__ = "notification_inboxes"

    user_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(sa.BigInteger())
    unread_count: Mapped[int] = mapped_column(sa.Integer())
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)


class NotificationRow(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "idempotency_key"),
        sa.UniqueConstraint("user_id", "sequence"),
    )

    notification_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(64))
    sequence: Mapped[int] = mapped_column(sa.BigInteger())
    kind: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text())
    link: Mapped[str] = mapped_column(sa.String(500))
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    in_app: Mapped[bool] = mapped_column(sa.Boolean())
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    read_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class PreferencesRow(Base):
    __tablename__ = "notification_preferences"

    user_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    muted: Mapped[str] = mapped_column(sa.Text())
    """JSON: [kind name, ...]."""
    email_enabled: Mapped[bool] = mapped_column(sa.Boolean())
    overrides: Mapped[str] = mapped_column(sa.Text())
    """JSON: [[kind name, channel name, enabled], ...]."""
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class WebhookRow(Base):
    __tablename__ = "webhooks"

    webhook_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    kinds: Mapped[str] = mapped_column(sa.Text())
    secret: Mapped[str] = mapped_column(sa.String(100))
    all_users: Mapped[bool] = mapped_column(sa.Boolean(), index=True)
    failing: Mapped[bool] = mapped_column(sa.Boolean())
    last_error: Mapped[str] = mapped_column(sa.Text())
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class DeliveryRow(Base):
    __tablename__ = "notification_deliveries"
    __table_args__ = (
        sa.Index("ix_notification_deliveries_state_next", "state", "next_attempt_time"),
        sa.Index("ix_notification_deliveries_webhook_time", "webhook_id", "create_time"),
    )

    delivery_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    notification_id: Mapped[str] = mapped_column(sa.ForeignKey("notifications.notification_id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(sa.String(64))
    webhook_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("webhooks.webhook_id", ondelete="CASCADE"), nullable=True
    )
    kind: Mapped[str] = mapped_column(sa.String(32))
    state: Mapped[str] = mapped_column(sa.String(16))
    attempt_count: Mapped[int] = mapped_column(sa.Integer())
    next_attempt_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    last_error: Mapped[str] = mapped_column(sa.Text())
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class AttemptRow(Base):
    __tablename__ = "notification_delivery_attempts"

    attempt_id: Mapped[int] = mapped_column(sa.Integer(), primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        sa.ForeignKey("notification_deliveries.delivery_id", ondelete="CASCADE"), index=True
    )
    attempt_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    status_code: Mapped[int] = mapped_column(sa.Integer())
    error: Mapped[str] = mapped_column(sa.Text())
    duration_ms: Mapped[int] = mapped_column(sa.Integer())


def _notification(row: NotificationRow) -> Notification:
    return Notification(
        notification_id=row.notification_id,
        user_id=row.user_id,
        kind=Kind[row.kind],
        title=row.title,
        body=row.body,
        link=row.link,
        create_time=row.create_time,
        sequence=row.sequence,
        read_time=row.read_time,
        in_app=row.in_app,
    )


def _webhook(row: WebhookRow) -> Webhook:
    return Webhook(
        webhook_id=row.webhook_id,
        owner_id=row.owner_id,
        url=row.url,
        kinds=frozenset(Kind[k] for k in json.loads(row.kinds)),
        secret=row.secret,
        all_users=row.all_users,
        create_time=row.create_time,
        failing=row.failing,
        last_error=row.last_error,
    )


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        delivery_id=row.delivery_id,
        channel=DeliveryChannel(row.channel),
        notification_id=row.notification_id,
        user_id=row.user_id,
        webhook_id=row.webhook_id,
        kind=Kind[row.kind],
        state=DeliveryState[row.state],
        attempt_count=row.attempt_count,
        next_attempt_time=row.next_attempt_time,
        last_error=row.last_error,
        create_time=row.create_time,
    )


def _preferences(row: PreferencesRow | None) -> Preferences:
    if row is None:
        return Preferences()
    return Preferences(
        muted=frozenset(Kind[k] for k in json.loads(row.muted)),
        email_enabled=row.email_enabled,
        overrides={(Kind[k], Channel[c]): bool(e) for k, c, e in json.loads(row.overrides)},
    )


class SqlNotificationStore:
    """NotificationStore on SQLAlchemy 2 (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)

    async def migrate(self) -> None:
        await migrate(self.engine, MIGRATIONS, VERSION_TABLE)

    async def find(self, user_id: str, idempotency_key: str) -> Notification | None:
        async with self._sessions() as session:
            row = await session.scalar(
                sa.select(NotificationRow).where(
                    NotificationRow.user_id == user_id, NotificationRow.idempotency_key == idempotency_key
                )
            )
            return _notification(row) if row is not None else None

    async def _bump_inbox(self, session: AsyncSession, user_id: str, unread: int, now: dt.datetime) -> int:
        """Takes the next sequence of the user's inbox (locking the row until commit)."""
        insert = upsert_statement(self.engine.dialect.name, InboxRow.__table__)
        statement = (
            insert.values(user_id=user_id, last_sequence=1, unread_count=unread, update_time=now)
            .on_conflict_do_update(
                index_elements=["user_id"],
                set_={
                    "last_sequence": InboxRow.__table__.c.last_sequence + 1,
                    "unread_count": InboxRow.__table__.c.unread_count + unread,
                    "update_time": now,
                },
            )
            .returning(InboxRow.__table__.c.last_sequence)
        )
        return int((await session.execute(statement)).scalar_one())

    async def create(
        self,
        notification_id: str,
        new: NewNotification,
        in_app: bool,
        deliveries: Sequence[PlannedDelivery],
        now: dt.datetime,
    ) -> tuple[Notification, bool]:
        try:
            async with self._sessions.begin() as session:
                existing = await session.scalar(
                    sa.select(NotificationRow).where(
                        NotificationRow.user_id == new.user_id, NotificationRow.idempotency_key == new.idempotency_key
                    )
                )
                if existing is not None:
                    return _notification(existing), False
                sequence = await self._bump_inbox(session, new.user_id, 1 if in_app else 0, now)
                row = NotificationRow(
                    notification_id=notification_id,
                    user_id=new.user_id,
                    sequence=sequence,
                    kind=new.kind.name,
                    title=new.title,
                    body=new.body,
                    link=new.link,
                    idempotency_key=new.idempotency_key,
                    in_app=in_app,
                    create_time=now,
                    read_time=None,
                )
                session.add(row)
                await session.flush()
                session.add_all(
                    DeliveryRow(
                        delivery_id=planned.delivery_id,
                        channel=planned.channel.value,
                        notification_id=notification_id,
                        user_id=new.user_id,
                        webhook_id=planned.webhook_id,
                        kind=new.kind.name,
                        state=DeliveryState.PENDING.name,
                        attempt_count=0,
                        next_attempt_time=now,
                        last_error="",
                        create_time=now,
                    )
                    for planned in deliveries
                )
                await session.flush()
                return _notification(row), True
        except IntegrityError:
            # The same key won in a concurrent transaction: that one is the notification.
            found = await self.find(new.user_id, new.idempotency_key)
            if found is None:
                raise
            return found, False

    async def page(
        self, user_id: str, unread_only: bool, limit: int, before_sequence: int | None
    ) -> list[Notification]:
        query = sa.select(NotificationRow).where(NotificationRow.user_id == user_id, NotificationRow.in_app)
        if unread_only:
            query = query.where(NotificationRow.read_time.is_(None))
        if before_sequence is not None:
            query = query.where(NotificationRow.sequence < before_sequence)
        query = query.order_by(NotificationRow.sequence.desc()).limit(limit)
        async with self._sessions() as session:
            return [_notification(r) for r in await session.scalars(query)]

    async def after(self, user_id: str, sequence: int, limit: int) -> list[Notification]:
        query = (
            sa.select(NotificationRow)
            .where(NotificationRow.user_id == user_id, NotificationRow.in_app, NotificationRow.sequence > sequence)
            .order_by(NotificationRow.sequence)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [_notification(r) for r in await session.scalars(query)]

    async def inbox(self, user_id: str) -> Inbox:
        async with self._sessions() as session:
            row = await session.get(InboxRow, user_id)
            return Inbox(row.last_sequence, row.unread_count) if row is not None else Inbox(0, 0)

    async def mark_read(self, user_id: str, ids: Sequence[str] | None, now: dt.datetime) -> tuple[int, int]:
        async with self._sessions.begin() as session:
            inbox = await session.scalar(sa.select(InboxRow).where(InboxRow.user_id == user_id).with_for_update())
            if inbox is None:
                return 0, 0
            statement = sa.update(NotificationRow).where(
                NotificationRow.user_id == user_id, NotificationRow.in_app, NotificationRow.read_time.is_(None)
            )
            if ids is not None:
                statement = statement.where(NotificationRow.notification_id.in_(list(ids)))
            changed = (await session.execute(statement.values(read_time=now))).rowcount or 0  # type: ignore[attr-defined]
            if changed:
                inbox.unread_count = max(0, inbox.unread_count - changed)
                inbox.update_time = now
            return int(changed), inbox.unread_count

    async def changed_inboxes(self, since: dt.datetime) -> list[tuple[str, dt.datetime]]:
        async with self._sessions() as session:
            rows = await session.execute(
                sa.select(InboxRow.user_id, InboxRow.update_time).where(InboxRow.update_time > since)
            )
            return [(u, t) for u, t in rows]

    async def preferences(self, user_id: str) -> Preferences:
        async with self._sessions() as session:
            return _preferences(await session.get(PreferencesRow, user_id))

    async def save_preferences(self, user_id: str, preferences: Preferences, now: dt.datetime) -> None:
        values = {
            "muted": json.dumps(sorted(k.name for k in preferences.muted)),
            "email_enabled": preferences.email_enabled,
            "overrides": json.dumps(sorted([k.name, c.name, e] for (k, c), e in preferences.overrides.items())),
            "update_time": now,
        }
        async with self._sessions.begin() as session:
            insert = upsert_statement(self.engine.dialect.name, PreferencesRow.__table__)
            await session.execute(
                insert.values(user_id=user_id, **values).on_conflict_do_update(index_elements=["user_id"], set_=values)
            )

    async def add_webhook(self, webhook: Webhook, limit: int) -> bool:
        async with self._sessions.begin() as session:
            if self.engine.dialect.name == "postgresql":
                await session.execute(
                    sa.text("SELECT pg_advisory_xact_lock(hashtext(:owner))"), {"owner": f"webhooks:{webhook.owner_id}"}
                )
            count = await session.scalar(
                sa.select(sa.func.count()).select_from(WebhookRow).where(WebhookRow.owner_id == webhook.owner_id)
            )
            if (count or 0) >= limit:
                return False
            session.add(
                WebhookRow(
                    webhook_id=webhook.webhook_id,
                    owner_id=webhook.owner_id,
                    url=webhook.url,
                    kinds=json.dumps(sorted(k.name for k in webhook.kinds)),
                    secret=webhook.secret,
                    all_users=webhook.all_users,
                    failing=False,
                    last_error="",
                    create_time=webhook.create_time,
                )
            )
            return True

    async def webhooks(self, owner_id: str) -> list[Webhook]:
        async with self._sessions() as session:
            rows = await session.scalars(
                sa.select(WebhookRow)
                .where(WebhookRow.owner_id == owner_id)
                .order_by(WebhookRow.create_time, WebhookRow.webhook_id)
            )
            return [_webhook(r) for r in rows]

    async def get_webhook(self, webhook_id: str) -> Webhook | None:
        async with self._sessions() as session:
            row = await session.get(WebhookRow, webhook_id)
            return _webhook(row) if row is not None else None

    async def delete_webhook(self, webhook_id: str) -> bool:
        async with self._sessions.begin() as session:
            ids = sa.select(DeliveryRow.delivery_id).where(DeliveryRow.webhook_id == webhook_id)
            await session.execute(sa.delete(AttemptRow).where(AttemptRow.delivery_id.in_(ids)))
            await session.execute(sa.delete(DeliveryRow).where(DeliveryRow.webhook_id == webhook_id))
            result = await session.execute(sa.delete(WebhookRow).where(WebhookRow.webhook_id == webhook_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def webhooks_for(self, user_id: str) -> list[Webhook]:
        async with self._sessions() as session:
            rows = await session.scalars(
                sa.select(WebhookRow).where(sa.or_(WebhookRow.owner_id == user_id, WebhookRow.all_users))
            )
            return [_webhook(r) for r in rows]

    async def claim(self, now: dt.datetime, lease_until: dt.datetime, limit: int) -> list[Claimed]:
        async with self._sessions.begin() as session:
            query = (
                sa.select(DeliveryRow)
                .where(DeliveryRow.state == DeliveryState.PENDING.name, DeliveryRow.next_attempt_time <= now)
                .order_by(DeliveryRow.next_attempt_time)
                .limit(limit)
            )
            if self.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = [row.delivery_id for row in await session.scalars(query)]
            if not ids:
                return []
            # Compare-and-set in one statement: only rows still pending and due move to this claim's lease,
            # whose time is made unique (microseconds drawn at random), so the rows it moved are this claim's.
            lease = lease_until.replace(microsecond=0) + dt.timedelta(microseconds=secrets.randbelow(999_999) + 1)
            await session.execute(
                sa.update(DeliveryRow)
                .where(
                    DeliveryRow.delivery_id.in_(ids),
                    DeliveryRow.state == DeliveryState.PENDING.name,
                    DeliveryRow.next_attempt_time <= now,
                )
                .values(next_attempt_time=lease)
                .execution_options(synchronize_session=False)
            )
            taken = list(
                await session.scalars(
                    sa.select(DeliveryRow).where(
                        DeliveryRow.delivery_id.in_(ids), DeliveryRow.next_attempt_time == lease
                    )
                )
            )
            if not taken:
                return []
            notifications = {
                r.notification_id: _notification(r)
                for r in await session.scalars(
                    sa.select(NotificationRow).where(
                        NotificationRow.notification_id.in_({t.notification_id for t in taken})
                    )
                )
            }
            hook_ids = {t.webhook_id for t in taken if t.webhook_id}
            hooks = (
                {
                    r.webhook_id: _webhook(r)
                    for r in await session.scalars(sa.select(WebhookRow).where(WebhookRow.webhook_id.in_(hook_ids)))
                }
                if hook_ids
                else {}
            )
            return [
                Claimed(_delivery(t), notifications[t.notification_id], hooks.get(t.webhook_id or "")) for t in taken
            ]

    async def record(
        self, delivery_id: str, attempt: Attempt, state: DeliveryState, next_attempt_time: dt.datetime
    ) -> None:
        await self.record_many([(delivery_id, attempt, state, next_attempt_time)])

    async def record_many(self, results: Sequence[Recorded]) -> None:
        if not results:
            return
        async with self._sessions.begin() as session:
            ids = [delivery_id for delivery_id, *_ in results]
            rows = {
                r.delivery_id: r
                for r in await session.scalars(sa.select(DeliveryRow).where(DeliveryRow.delivery_id.in_(ids)))
            }
            hook_ids = {r.webhook_id for r in rows.values() if r.webhook_id}
            hooks = (
                {
                    h.webhook_id: h
                    for h in await session.scalars(sa.select(WebhookRow).where(WebhookRow.webhook_id.in_(hook_ids)))
                }
                if hook_ids
                else {}
            )
            for delivery_id, attempt, state, next_attempt_time in results:
                row = rows.get(delivery_id)
                if row is None:  # its webhook was deleted meanwhile
                    continue
                session.add(
                    AttemptRow(
                        delivery_id=delivery_id,
                        attempt_time=attempt.attempt_time,
                        status_code=attempt.status_code,
                        error=attempt.error,
                        duration_ms=attempt.duration_ms,
                    )
                )
                row.attempt_count += 1
                row.state = state.name
                row.next_attempt_time = next_attempt_time
                row.last_error = attempt.error
                hook = hooks.get(row.webhook_id or "")
                if hook is not None and state is not DeliveryState.PENDING:
                    hook.failing = state is DeliveryState.FAILED
                    if state is DeliveryState.FAILED:
                        hook.last_error = attempt.error

    async def deliveries(
        self, webhook_id: str, limit: int, before: tuple[dt.datetime, str] | None
    ) -> list[DeliveryRecord]:
        query = sa.select(DeliveryRow).where(DeliveryRow.webhook_id == webhook_id)
        if before is not None:
            query = query.where(sa.tuple_(DeliveryRow.create_time, DeliveryRow.delivery_id) < sa.tuple_(*before))
        query = query.order_by(DeliveryRow.create_time.desc(), DeliveryRow.delivery_id.desc()).limit(limit)
        async with self._sessions() as session:
            rows = list(await session.scalars(query))
            attempts: dict[str, list[Attempt]] = {r.delivery_id: [] for r in rows}
            if rows:
                for a in await session.scalars(
                    sa.select(AttemptRow)
                    .where(AttemptRow.delivery_id.in_(list(attempts)))
                    .order_by(AttemptRow.attempt_id)
                ):
                    attempts[a.delivery_id].append(Attempt(a.attempt_time, a.status_code, a.error, a.duration_ms))
            return [DeliveryRecord(_delivery(r), tuple(attempts[r.delivery_id])) for r in rows]

    async def pending_count(self) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                sa.select(sa.func.count())
                .select_from(DeliveryRow)
                .where(DeliveryRow.state == DeliveryState.PENDING.name)
            )
            return int(count or 0)


# -- in memory ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class _MemoryInbox:
    last_sequence: int
    unread_count: int
    update_time: dt.datetime


@dataclasses.dataclass
class _MemoryDelivery:
    delivery: Delivery
    attempts: list[Attempt] = dataclasses.field(default_factory=list)


class InMemoryNotificationStore:
    """NotificationStore in dictionaries (use-case tests), with the SQL store's semantics.

    Where the SQL store relies on a transaction (a send with its deliveries and the inbox bump, MarkRead
    with the unread count, the webhook limit, a claim's compare-and-set, a pass's records), this one holds
    an ``asyncio.Lock``, so the contract's concurrent callers see the same outcomes.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._notifications: dict[str, Notification] = {}  # by id, in insertion order
        self._by_key: dict[tuple[str, str], str] = {}  # (user id, idempotency key) -> notification id
        self._by_user: dict[str, list[str]] = {}  # user id -> notification ids in sequence order
        self._inboxes: dict[str, _MemoryInbox] = {}
        self._preferences: dict[str, Preferences] = {}
        self._webhooks: dict[str, Webhook] = {}
        self._deliveries: dict[str, _MemoryDelivery] = {}  # by id, in insertion order

    async def migrate(self) -> None:
        return None

    async def find(self, user_id: str, idempotency_key: str) -> Notification | None:
        notification_id = self._by_key.get((user_id, idempotency_key))
        return self._notifications[notification_id] if notification_id is not None else None

    async def create(
        self,
        notification_id: str,
        new: NewNotification,
        in_app: bool,
        deliveries: Sequence[PlannedDelivery],
        now: dt.datetime,
    ) -> tuple[Notification, bool]:
        async with self._lock:
            existing = await self.find(new.user_id, new.idempotency_key)
            if existing is not None:
                return existing, False
            if notification_id in self._notifications:
                raise ValueError(f"notification {notification_id!r} exists")
            for planned in deliveries:
                if planned.delivery_id in self._deliveries:
                    raise ValueError(f"delivery {planned.delivery_id!r} exists")
                if planned.webhook_id is not None and planned.webhook_id not in self._webhooks:
                    raise ValueError(f"webhook {planned.webhook_id!r} does not exist")
            inbox = self._inboxes.get(new.user_id)
            if inbox is None:
                inbox = self._inboxes[new.user_id] = _MemoryInbox(0, 0, now)
            inbox.last_sequence += 1
            inbox.unread_count += 1 if in_app else 0
            inbox.update_time = now
            notification = Notification(
                notification_id=notification_id,
                user_id=new.user_id,
                kind=new.kind,
                title=new.title,
                body=new.body,
                link=new.link,
                create_time=now,
                sequence=inbox.last_sequence,
                read_time=None,
                in_app=in_app,
            )
            self._notifications[notification_id] = notification
            self._by_key[(new.user_id, new.idempotency_key)] = notification_id
            self._by_user.setdefault(new.user_id, []).append(notification_id)
            for planned in deliveries:
                self._deliveries[planned.delivery_id] = _MemoryDelivery(
                    Delivery(
                        delivery_id=planned.delivery_id,
                        channel=planned.channel,
                        notification_id=notification_id,
                        user_id=new.user_id,
                        webhook_id=planned.webhook_id,
                        kind=new.kind,
                        state=DeliveryState.PENDING,
                        attempt_count=0,
                        next_attempt_time=now,
                        last_error="",
                        create_time=now,
                    )
                )
            return notification, True

    def _in_app(self, user_id: str) -> list[Notification]:
        """The user's in-app notifications, oldest (lowest sequence) first."""
        found = (self._notifications[i] for i in self._by_user.get(user_id, []))
        return [n for n in found if n.in_app]

    async def page(
        self, user_id: str, unread_only: bool, limit: int, before_sequence: int | None
    ) -> list[Notification]:
        chosen = [
            n
            for n in reversed(self._in_app(user_id))
            if (not unread_only or n.read_time is None) and (before_sequence is None or n.sequence < before_sequence)
        ]
        return chosen[:limit]

    async def after(self, user_id: str, sequence: int, limit: int) -> list[Notification]:
        return [n for n in self._in_app(user_id) if n.sequence > sequence][:limit]

    async def inbox(self, user_id: str) -> Inbox:
        row = self._inboxes.get(user_id)
        return Inbox(row.last_sequence, row.unread_count) if row is not None else Inbox(0, 0)

    async def mark_read(self, user_id: str, ids: Sequence[str] | None, now: dt.datetime) -> tuple[int, int]:
        async with self._lock:
            inbox = self._inboxes.get(user_id)
            if inbox is None:
                return 0, 0
            wanted = None if ids is None else set(ids)
            changed = 0
            for n in self._in_app(user_id):
                if n.read_time is None and (wanted is None or n.notification_id in wanted):
                    self._notifications[n.notification_id] = dataclasses.replace(n, read_time=now)
                    changed += 1
            if changed:
                inbox.unread_count = max(0, inbox.unread_count - changed)
                inbox.update_time = now
            return changed, inbox.unread_count

    async def changed_inboxes(self, since: dt.datetime) -> list[tuple[str, dt.datetime]]:
        return [(user_id, row.update_time) for user_id, row in self._inboxes.items() if row.update_time > since]

    async def preferences(self, user_id: str) -> Preferences:
        return self._preferences.get(user_id, Preferences())

    async def save_preferences(self, user_id: str, preferences: Preferences, now: dt.datetime) -> None:
        # A copy: the caller's overrides mapping may change after it is saved.
        self._preferences[user_id] = dataclasses.replace(preferences, overrides=dict(preferences.overrides))

    async def add_webhook(self, webhook: Webhook, limit: int) -> bool:
        async with self._lock:
            if webhook.webhook_id in self._webhooks:
                raise ValueError(f"webhook {webhook.webhook_id!r} exists")
            if sum(1 for w in self._webhooks.values() if w.owner_id == webhook.owner_id) >= limit:
                return False
            self._webhooks[webhook.webhook_id] = dataclasses.replace(webhook, failing=False, last_error="")
            return True

    async def webhooks(self, owner_id: str) -> list[Webhook]:
        return sorted(
            (w for w in self._webhooks.values() if w.owner_id == owner_id), key=lambda w: (w.create_time, w.webhook_id)
        )

    async def get_webhook(self, webhook_id: str) -> Webhook | None:
        return self._webhooks.get(webhook_id)

    async def delete_webhook(self, webhook_id: str) -> bool:
        async with self._lock:
            for delivery_id in [d for d, m in self._deliveries.items() if m.delivery.webhook_id == webhook_id]:
                del self._deliveries[delivery_id]
            return self._webhooks.pop(webhook_id, None) is not None

    async def webhooks_for(self, user_id: str) -> list[Webhook]:
        return [w for w in self._webhooks.values() if w.owner_id == user_id or w.all_users]

    async def claim(self, now: dt.datetime, lease_until: dt.datetime, limit: int) -> list[Claimed]:
        async with self._lock:
            due = sorted(
                (
                    m
                    for m in self._deliveries.values()
                    if m.delivery.state is DeliveryState.PENDING and m.delivery.next_attempt_time <= now
                ),
                key=lambda m: m.delivery.next_attempt_time,
            )[:limit]
            claimed = []
            for m in due:
                m.delivery = dataclasses.replace(m.delivery, next_attempt_time=lease_until)
                claimed.append(
                    Claimed(
                        m.delivery,
                        self._notifications[m.delivery.notification_id],
                        self._webhooks.get(m.delivery.webhook_id or ""),
                    )
                )
            return claimed

    async def record(
        self, delivery_id: str, attempt: Attempt, state: DeliveryState, next_attempt_time: dt.datetime
    ) -> None:
        await self.record_many([(delivery_id, attempt, state, next_attempt_time)])

    async def record_many(self, results: Sequence[Recorded]) -> None:
        async with self._lock:
            for delivery_id, attempt, state, next_attempt_time in results:
                m = self._deliveries.get(delivery_id)
                if m is None:  # its webhook was deleted meanwhile
                    continue
                m.attempts.append(attempt)
                m.delivery = dataclasses.replace(
                    m.delivery,
                    attempt_count=m.delivery.attempt_count + 1,
                    state=state,
                    next_attempt_time=next_attempt_time,
                    last_error=attempt.error,
                )
                hook = self._webhooks.get(m.delivery.webhook_id or "")
                if hook is not None and state is not DeliveryState.PENDING:
                    failed = state is DeliveryState.FAILED
                    self._webhooks[hook.webhook_id] = dataclasses.replace(
                        hook, failing=failed, last_error=attempt.error if failed else hook.last_error
                    )

    async def deliveries(
        self, webhook_id: str, limit: int, before: tuple[dt.datetime, str] | None
    ) -> list[DeliveryRecord]:
        chosen = sorted(
            (
                m
                for m in self._deliveries.values()
                if m.delivery.webhook_id == webhook_id
                and (before is None or (m.delivery.create_time, m.delivery.delivery_id) < before)
            ),
            key=lambda m: (m.delivery.create_time, m.delivery.delivery_id),
            reverse=True,
        )[:limit]
        return [DeliveryRecord(m.delivery, tuple(m.attempts)) for m in chosen]

    async def pending_count(self) -> int:
        return sum(1 for m in self._deliveries.values() if m.delivery.state is DeliveryState.PENDING)
