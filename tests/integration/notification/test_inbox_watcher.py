"""Streams in another process: two apps, each with its own engine on one SQLite database, stand for two
service processes. A send in one reaches a stream held by the other through the inbox watcher, which
polls the shared database (the in-memory store of the use-case tests cannot stand for this)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import pytest

from arena.core.identity import Identity
from arena.kit.db import make_engine, utcnow
from arena.notification.app import NotificationApp
from arena.notification.domain import Kind, NewNotification
from arena.notification.hub import Hub, InboxWatcher
from arena.notification.store import SqlNotificationStore
from arena.notification.webhooks import WebhookSender

pytestmark = pytest.mark.timeout(60)

ANN = Identity("ann", "ann", frozenset({"USER"}), "t", "s", 0.0)


async def test_streams_in_another_process_are_woken_by_the_inbox_watcher(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/notification.db"
    sender_engine, stream_engine = make_engine(url), make_engine(url)
    sender_store, stream_store = SqlNotificationStore(sender_engine), SqlNotificationStore(stream_engine)
    await sender_store.migrate()
    sender_side = NotificationApp(
        sender_store, Hub(), email_available=False, check_url=WebhookSender().check, clock=utcnow
    )
    hub = Hub()
    stream_side = NotificationApp(
        stream_store, hub, email_available=False, check_url=WebhookSender().check, clock=utcnow
    )
    watcher = InboxWatcher(stream_store.changed_inboxes, hub, utcnow, interval_s=0.02, overlap=dt.timedelta(seconds=1))
    await watcher.start()
    try:
        stream = stream_side.follow(ANN, 0, heartbeat_s=30)
        async with contextlib.aclosing(stream):
            await anext(stream)
            await sender_side.send(
                NewNotification("ann", Kind.SUBMISSION_JUDGED, "Judged elsewhere", "ok", "/submissions/s1", "s1")
            )
            got = await asyncio.wait_for(anext(stream), 5)
        assert got.notification is not None and got.notification.title == "Judged elsewhere"
        assert got.unread_count == 1
    finally:
        await watcher.stop()
        await sender_engine.dispose()
        await stream_engine.dispose()
