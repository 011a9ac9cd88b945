"""One contract for every NotificationStore: the in-memory one, SQLite and PostgreSQL pass the same assertions.

It holds what the service promises on top of it: an idempotency key stores one notification however
often and however concurrently it is sent; a user's sequences are 1, 2, 3... in commit order even
under concurrent sends; the unread count follows MarkRead; deliveries are written with their
notification and claimed by one taker at a time; a webhook turns FAILING when a delivery fails for good.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest

from arena.kit.db import make_engine
from arena.notification.domain import (
    Attempt,
    Channel,
    DeliveryChannel,
    DeliveryState,
    Kind,
    NewNotification,
    PlannedDelivery,
    Preferences,
    Webhook,
)
from arena.notification.store import InMemoryNotificationStore, NotificationStore, SqlNotificationStore

pytestmark = pytest.mark.timeout(120)

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)


def new(user: str = "ann", key: str = "k1", kind: Kind = Kind.SUBMISSION_JUDGED) -> NewNotification:
    return NewNotification(user, kind, "Submission judged: accepted", "3 of 3 tests passed.", "/submissions/s1", key)


def hook(webhook_id: str = "w1", owner: str = "ann", **kw: object) -> Webhook:
    fields: dict[str, object] = {
        "webhook_id": webhook_id,
        "owner_id": owner,
        "url": "https://example.com/hook",
        "kinds": frozenset(),
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "all_users": False,
        "create_time": T0,
    }
    fields.update(kw)
    return Webhook(**fields)  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[NotificationStore]:  # type: ignore[no-untyped-def]
    # No test below is SQL-only: each is a promise of the port, so all three run every one. (The SQL-only
    # part, migrating twice, runs below for SQLite and PostgreSQL.)
    if request.param == "memory":
        memory = InMemoryNotificationStore()
        await memory.migrate()
        yield memory
        return
    if request.param == "postgres":
        url = request.getfixturevalue("postgres").create_database(f"notification_{uuid.uuid4().hex[:12]}")
        engine = make_engine(url, pool_size=20, max_overflow=20)
    else:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/notification.db")
    sql = SqlNotificationStore(engine)
    await sql.migrate()
    await sql.migrate()  # idempotent
    yield sql
    await engine.dispose()


async def test_an_idempotency_key_stores_one_notification(store: NotificationStore) -> None:
    first, created = await store.create("n1", new(), True, [], T0)
    assert created and first.sequence == 1 and first.notification_id == "n1" and not first.read
    again, created_again = await store.create("n2", new(), True, [], T0 + S)
    assert not created_again and again == first
    other_user, created_other = await store.create("n3", new(user="bob"), True, [], T0)
    assert created_other and other_user.sequence == 1  # keys and sequences are per user
    assert await store.inbox("ann") == await store.inbox("bob")
    assert (await store.inbox("ann")).unread_count == 1


async def test_concurrent_sends_of_one_key_store_it_once(store: NotificationStore) -> None:
    results = await asyncio.gather(*(store.create(f"n{i}", new(), True, [], T0) for i in range(8)))
    assert sum(created for _n, created in results) == 1
    assert len({n.notification_id for n, _c in results}) == 1
    assert (await store.inbox("ann")).last_sequence == 1 and (await store.inbox("ann")).unread_count == 1


async def test_concurrent_sends_get_consecutive_sequences(store: NotificationStore) -> None:
    results = await asyncio.gather(*(store.create(f"n{i}", new(key=f"k{i}"), True, [], T0) for i in range(12)))
    assert sorted(n.sequence for n, _c in results) == list(range(1, 13))
    after = await store.after("ann", 4, 100)
    assert [n.sequence for n in after] == list(range(5, 13))
    assert [n.sequence for n in await store.page("ann", False, 3, None)] == [12, 11, 10]
    assert [n.sequence for n in await store.page("ann", False, 3, 10)] == [9, 8, 7]


async def test_mark_read_moves_the_unread_count(store: NotificationStore) -> None:
    for i in range(4):
        await store.create(f"n{i}", new(key=f"k{i}"), True, [], T0)
    assert await store.mark_read("ann", ["n1", "n2", "missing"], T0 + S) == (2, 2)
    assert await store.mark_read("ann", ["n1"], T0 + S) == (0, 2)  # already read
    assert await store.mark_read("bob", ["n0"], T0 + S) == (0, 0)  # not bob's
    assert [n.notification_id for n in await store.page("ann", True, 10, None)] == ["n3", "n0"]
    assert await store.mark_read("ann", None, T0 + 2 * S) == (2, 0)
    read = (await store.page("ann", False, 1, None))[0]
    assert read.read and read.read_time == T0 + 2 * S
    changed = await store.changed_inboxes(T0 + S)
    assert [u for u, _t in changed] == ["ann"]


async def test_a_notification_kept_only_for_its_deliveries_is_not_in_the_app(store: NotificationStore) -> None:
    await store.create("n1", new(), False, [PlannedDelivery("d1", DeliveryChannel.EMAIL)], T0)
    assert await store.page("ann", False, 10, None) == [] and await store.after("ann", 0, 10) == []
    assert (await store.inbox("ann")).unread_count == 0


async def test_preferences_round_trip(store: NotificationStore) -> None:
    assert await store.preferences("ann") == Preferences()
    chosen = Preferences(
        muted=frozenset({Kind.ANNOUNCEMENT}),
        email_enabled=False,
        overrides={(Kind.SUBMISSION_JUDGED, Channel.EMAIL): True, (Kind.CONTEST_RESULT, Channel.IN_APP): False},
    )
    await store.save_preferences("ann", chosen, T0)
    assert await store.preferences("ann") == chosen
    await store.save_preferences("ann", Preferences(), T0)
    assert await store.preferences("ann") == Preferences()


async def test_webhooks_have_a_limit_per_owner_and_match_recipients(store: NotificationStore) -> None:
    assert await store.add_webhook(hook("w1"), limit=2)
    assert await store.add_webhook(hook("w2", kinds=frozenset({Kind.ANNOUNCEMENT})), limit=2)
    assert not await store.add_webhook(hook("w3"), limit=2)
    assert await store.add_webhook(hook("w9", owner="admin", all_users=True), limit=2)
    assert [w.webhook_id for w in await store.webhooks("ann")] == ["w1", "w2"]
    got = await store.get_webhook("w2")
    assert got is not None and got.kinds == frozenset({Kind.ANNOUNCEMENT}) and got.secret.startswith("whsec_")
    assert sorted(w.webhook_id for w in await store.webhooks_for("ann")) == ["w1", "w2", "w9"]
    assert [w.webhook_id for w in await store.webhooks_for("bob")] == ["w9"]
    assert await store.delete_webhook("w2") and not await store.delete_webhook("w2")


async def test_deliveries_are_claimed_once_retried_and_recorded(store: NotificationStore) -> None:
    await store.add_webhook(hook("w1"), limit=10)
    planned = [PlannedDelivery("d1", DeliveryChannel.WEBHOOK, "w1"), PlannedDelivery("d2", DeliveryChannel.EMAIL)]
    await store.create("n1", new(), True, planned, T0)
    assert await store.pending_count() == 2
    claims = await asyncio.gather(*(store.claim(T0, T0 + 60 * S, 10) for _ in range(4)))
    taken = [c.delivery.delivery_id for claim in claims for c in claim]
    assert sorted(taken) == ["d1", "d2"]  # each by one taker
    assert await store.claim(T0 + 30 * S, T0 + 90 * S, 10) == []  # leased
    webhook_claim = next(c for claim in claims for c in claim if c.delivery.delivery_id == "d1")
    assert webhook_claim.webhook is not None and webhook_claim.notification.notification_id == "n1"

    await store.record("d1", Attempt(T0, 503, "HTTP 503", 12), DeliveryState.PENDING, T0 + 10 * S)
    again = await store.claim(T0 + 61 * S, T0 + 120 * S, 10)
    assert sorted(c.delivery.delivery_id for c in again) == ["d1", "d2"]  # retry due; d2's lease ran out
    assert next(c for c in again if c.delivery.delivery_id == "d1").delivery.attempt_count == 1
    await store.record("d1", Attempt(T0 + 61 * S, 0, "timed out", 5000), DeliveryState.FAILED, T0 + 61 * S)
    await store.record("d2", Attempt(T0 + 61 * S, 250, "", 30), DeliveryState.DELIVERED, T0 + 61 * S)
    assert await store.pending_count() == 0
    failing = await store.get_webhook("w1")
    assert failing is not None and failing.failing and failing.last_error == "timed out"

    records = await store.deliveries("w1", 10, None)
    assert len(records) == 1
    record = records[0]
    assert record.delivery.state is DeliveryState.FAILED and record.delivery.attempt_count == 2
    assert [(a.status_code, a.error) for a in record.attempts] == [(503, "HTTP 503"), (0, "timed out")]


async def test_delivery_pages_are_newest_first(store: NotificationStore) -> None:
    await store.add_webhook(hook("w1"), limit=10)
    for i in range(5):
        await store.create(
            f"n{i}", new(key=f"k{i}"), True, [PlannedDelivery(f"d{i}", DeliveryChannel.WEBHOOK, "w1")], T0 + i * S
        )
    first = await store.deliveries("w1", 2, None)
    assert [r.delivery.delivery_id for r in first] == ["d4", "d3"]
    last = first[-1].delivery
    second = await store.deliveries("w1", 10, (last.create_time, last.delivery_id))
    assert [r.delivery.delivery_id for r in second] == ["d2", "d1", "d0"]
