"""The use cases: idempotent sends, preferences applied at send time, the inbox, resumable streams with
the unread count, and webhook registration rules."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from arena.core.errors import InvalidArgument, NotFound, OutOfRange, PermissionDenied, ResourceExhausted
from arena.notification.app import NotificationApp, StreamEvent
from arena.notification.domain import Channel, DeliveryChannel, Kind, NewNotification
from arena.notification.hub import Hub
from arena.notification.store import NotificationStore
from arena.notification.webhooks import WebhookSender
from unit.notification.conftest import Clock, person

ANN = person("ann")
ADMIN = person("root", "ADMIN")


async def public_resolver(host: str, port: int) -> list[str]:
    return {"hooks.example.com": ["93.184.215.14"], "internal.example.com": ["10.0.0.7"]}.get(host, ["127.0.0.1"])


def make_app(store: NotificationStore, *, email: bool = False) -> tuple[NotificationApp, list[int]]:
    kicks: list[int] = []
    sender = WebhookSender(resolver=public_resolver)
    app = NotificationApp(
        store, Hub(), email_available=email, check_url=sender.check, kick=lambda: kicks.append(1), clock=Clock()
    )
    return app, kicks


def judged(key: str, user: str = "ann", kind: Kind = Kind.SUBMISSION_JUDGED) -> NewNotification:
    return NewNotification(user, kind, f"Judged {key}", "3 of 3 tests passed.", f"/submissions/{key}", key)


async def test_a_repeated_key_notifies_once(store) -> None:
    app, _ = make_app(store)
    first, created = await app.send(judged("s1"))
    again, created_again = await app.send(judged("s1"))
    assert created and not created_again and first == again and first is not None
    page, next_cursor, unread = await app.page(ANN, False, 10, None)
    assert [n.notification_id for n in page] == [first.notification_id] and next_cursor is None and unread == 1


async def test_bad_sends_are_invalid_arguments(store) -> None:
    app, _ = make_app(store)
    with pytest.raises(InvalidArgument) as caught:
        await app.send(NewNotification("ann", Kind.ANNOUNCEMENT, "", "", "", ""))
    assert {v.field for v in caught.value.violations} == {"title", "idempotency_key"}


async def test_preferences_decide_channels_at_send_time(store) -> None:
    app, kicks = make_app(store, email=True)
    await app.update_preferences(ANN, muted=[Kind.ANNOUNCEMENT])
    muted, created = await app.send(judged("a1", kind=Kind.ANNOUNCEMENT))
    assert muted is None and not created
    # In-app off for verdicts but email on: stored for the email only, not shown in the app.
    await app.update_preferences(
        ANN, settings=[(Kind.SUBMISSION_JUDGED, Channel.IN_APP, False), (Kind.SUBMISSION_JUDGED, Channel.EMAIL, True)]
    )
    hidden, created = await app.send(judged("s1"))
    assert hidden is None and created and kicks == [1]
    assert await store.pending_count() == 1
    claimed = await store.claim(app.clock(), app.clock(), 10)
    assert [c.delivery.channel for c in claimed] == [DeliveryChannel.EMAIL]
    assert (await app.page(ANN, False, 10, None))[0] == []
    # Email switched off: a reminder (emailed by default) is only in-app.
    await app.update_preferences(ANN, email_enabled=False)
    shown, _ = await app.send(judged("r1", kind=Kind.CONTEST_REMINDER))
    assert shown is not None and await store.pending_count() == 1  # still only the verdict's email
    prefs = await app.preferences(ANN)
    assert prefs.muted == frozenset({Kind.ANNOUNCEMENT}) and not prefs.email_enabled


async def test_without_smtp_no_email_delivery_is_created(store) -> None:
    app, kicks = make_app(store, email=False)
    await app.send(judged("r1", kind=Kind.CONTEST_REMINDER))
    assert await store.pending_count() == 0 and kicks == []


async def test_pages_and_mark_read(store) -> None:
    app, _ = make_app(store)
    sent = [(await app.send(judged(f"s{i}")))[0] for i in range(5)]
    first, cursor, unread = await app.page(ANN, False, 2, None)
    assert [n.sequence for n in first] == [5, 4] and cursor == 4 and unread == 5
    rest, cursor2, _ = await app.page(ANN, False, 10, cursor)
    assert [n.sequence for n in rest] == [3, 2, 1] and cursor2 is None
    assert await app.mark_read(ANN, [sent[0].notification_id], False) == (1, 4)  # type: ignore[union-attr]
    assert [n.sequence for n in (await app.page(ANN, True, 10, None))[0]] == [5, 4, 3, 2]
    assert await app.mark_read(ANN, [], True) == (4, 0)
    with pytest.raises(InvalidArgument):
        await app.mark_read(ANN, [], False)
    with pytest.raises(InvalidArgument):
        await app.mark_read(ANN, [f"n{i}" for i in range(101)], False)


async def _take(stream, count: int) -> list[StreamEvent]:
    out = []
    async for event in stream:
        out.append(event)
        if len(out) == count:
            return out
    return out


async def test_a_stream_starts_with_a_heartbeat_then_delivers_live(store) -> None:
    app, _ = make_app(store)
    await app.send(judged("old"))
    stream = app.follow(ANN, 0, heartbeat_s=30)
    async with contextlib.aclosing(stream):
        first = await anext(stream)
        assert first.notification is None and first.unread_count == 1
        await app.send(judged("new"))
        live = await asyncio.wait_for(anext(stream), 5)
        assert live.notification is not None and live.notification.title == "Judged new" and live.unread_count == 2
        await app.mark_read(ANN, [], True)
        beat = await asyncio.wait_for(anext(stream), 5)
        assert beat.notification is None and beat.unread_count == 0


async def test_a_resumed_stream_has_no_gap_and_no_repeat(store) -> None:
    app, _ = make_app(store)
    for i in range(3):
        await app.send(judged(f"s{i}"))
    stream = app.follow(ANN, 0, heartbeat_s=30)
    received = []
    async with contextlib.aclosing(stream):
        await anext(stream)
        await app.send(judged("s3"))
        received.append(await asyncio.wait_for(anext(stream), 5))
    # Disconnected; two more arrive meanwhile; the client resumes after the last sequence it saw.
    await app.send(judged("s4"))
    await app.send(judged("s5"))
    last = received[-1].notification.sequence  # type: ignore[union-attr]
    resumed = app.follow(ANN, last, heartbeat_s=30)
    async with contextlib.aclosing(resumed):
        events = [await asyncio.wait_for(anext(resumed), 5) for _ in range(3)]
        await app.send(judged("s6"))
        events.append(await asyncio.wait_for(anext(resumed), 5))
    assert events[0].notification is None
    assert [e.notification.sequence for e in events[1:]] == [5, 6, 7]  # type: ignore[union-attr]
    assert [e.unread_count for e in events[1:]] == [6, 6, 7]


async def test_a_stream_cannot_resume_past_the_end(store) -> None:
    app, _ = make_app(store)
    await app.send(judged("s1"))
    for bad, error in ((5, OutOfRange), (-1, InvalidArgument)):
        with pytest.raises(error):
            await anext(app.follow(ANN, bad, heartbeat_s=30))


async def test_a_quiet_stream_beats(store) -> None:
    app, _ = make_app(store)
    stream = app.follow(ANN, 0, heartbeat_s=0.05)
    async with contextlib.aclosing(stream):
        events = await asyncio.wait_for(_take(stream, 3), 5)
    assert all(e.notification is None for e in events)


async def test_webhook_rules(store) -> None:
    app, _ = make_app(store)
    created = await app.create_webhook(ANN, "https://hooks.example.com/in", frozenset({Kind.ANNOUNCEMENT}), False)
    assert created.secret.startswith("whsec_") and created.owner_id == "ann"
    with pytest.raises(InvalidArgument) as caught:
        await app.create_webhook(ANN, "https://internal.example.com/in", frozenset(), False)
    assert caught.value.reason == "WEBHOOK_URL_FORBIDDEN"
    with pytest.raises(InvalidArgument) as caught:
        await app.create_webhook(ANN, "http://169.254.169.254/latest/meta-data", frozenset(), False)
    assert caught.value.reason == "WEBHOOK_URL_FORBIDDEN"
    with pytest.raises(PermissionDenied):
        await app.create_webhook(ANN, "https://hooks.example.com/all", frozenset(), True)
    everyone = await app.create_webhook(ADMIN, "https://hooks.example.com/all", frozenset(), True)
    with pytest.raises(NotFound):
        await app.delete_webhook(person("bob"), created.webhook_id)
    with pytest.raises(NotFound):
        await app.deliveries(person("bob"), created.webhook_id, 10, None)
    # A send plans one delivery per matching webhook: ann's (announcements) and the platform-wide one.
    await app.send(judged("a1", kind=Kind.ANNOUNCEMENT))
    await app.send(judged("s1"))
    assert len((await app.deliveries(ANN, created.webhook_id, 10, None))[0]) == 1
    assert len((await app.deliveries(ADMIN, everyone.webhook_id, 10, None))[0]) == 2
    for i in range(9):
        await app.create_webhook(ANN, f"https://hooks.example.com/{i}", frozenset(), False)
    with pytest.raises(ResourceExhausted) as limited:
        await app.create_webhook(ANN, "https://hooks.example.com/11", frozenset(), False)
    assert limited.value.reason == "WEBHOOK_LIMIT_REACHED"
    await app.delete_webhook(ANN, created.webhook_id)
    assert len(await app.webhooks(ANN)) == 9
