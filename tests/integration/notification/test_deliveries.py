"""The delivery worker against real servers and a real database: retries with backoff until delivered
or failed, attempts listed, pending deliveries picked up after a restart (the same webhook-id)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from standardwebhooks.webhooks import Webhook as ReferenceVerifier

from arena.core.errors import NotFound
from arena.core.identity import Identity
from arena.kit.db import make_engine
from arena.notification.app import NotificationApp
from arena.notification.delivery import Deliverer
from arena.notification.domain import Contact, DeliveryState, Kind, NewNotification, RetryPolicy
from arena.notification.hub import Hub
from arena.notification.mail import SmtpMailer
from arena.notification.settings import SmtpSettings
from arena.notification.store import SqlNotificationStore
from arena.notification.webhooks import WebhookSender
from integration.notification.servers import Receiver, SmtpServer
from support.ports import free_port

pytestmark = pytest.mark.timeout(60)

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
ANN = Identity("ann", "ann", frozenset({"USER"}), "t", "s", 0.0)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


class Contacts:
    async def contact(self, user_id: str) -> Contact:
        if user_id == "ghost":
            raise NotFound("user", user_id)
        return Contact(user_id, user_id.title(), f"{user_id}@example.com")


class Parts:
    def __init__(self, url: str, clock: Clock, *, smtp_port: int | None = None, max_attempts: int = 4) -> None:
        self.engine = make_engine(url)
        self.store = SqlNotificationStore(self.engine)
        self.sender = WebhookSender(allowed_hosts=frozenset({"127.0.0.1"}), timeout_s=2)
        mailer = SmtpMailer(SmtpSettings("127.0.0.1", smtp_port, security="none", timeout_s=2)) if smtp_port else None
        self.deliverer = Deliverer(
            self.store,
            mailer=mailer,
            webhooks=self.sender,
            contacts=Contacts(),
            policy=RetryPolicy(first_s=10, max_s=60, max_attempts=max_attempts),
            app_url="http://arena.test",
            clock=clock,
            rng=random.Random(1),
        )
        self.app = NotificationApp(
            self.store, Hub(), email_available=smtp_port is not None, check_url=self.sender.check, clock=clock
        )

    async def __aenter__(self) -> Parts:
        await self.store.migrate()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.sender.close()
        await self.engine.dispose()


def judged(key: str, user: str = "ann", kind: Kind = Kind.SUBMISSION_JUDGED) -> NewNotification:
    return NewNotification(user, kind, f"Judged {key}", "ok", f"/submissions/{key}", key)


async def test_a_webhook_is_retried_with_backoff_until_delivered(tmp_path) -> None:
    clock = Clock()
    with Receiver() as receiver:
        async with Parts(f"sqlite+aiosqlite:///{tmp_path}/n.db", clock) as parts:
            hook = await parts.app.create_webhook(ANN, receiver.url, frozenset(), False)
            receiver.statuses = [503, 500]
            await parts.app.send(judged("s1"))
            assert await parts.deliverer.deliver_due() == 1
            assert await parts.deliverer.deliver_due() == 0  # not due before its backoff
            clock.now += dt.timedelta(seconds=10)  # the first delay is 5-10 s
            assert await parts.deliverer.deliver_due() == 1
            clock.now += dt.timedelta(seconds=10)
            assert await parts.deliverer.deliver_due() == 0  # the second delay is 10-20 s
            clock.now += dt.timedelta(seconds=10)
            assert await parts.deliverer.deliver_due() == 1
            [record], _ = await parts.app.deliveries(ANN, hook.webhook_id, 10, None)
            [listed] = await parts.app.webhooks(ANN)
    assert record.delivery.state is DeliveryState.DELIVERED
    assert [a.status_code for a in record.attempts] == [503, 500, 200]
    assert [a.error for a in record.attempts] == ["HTTP 503", "HTTP 500", ""]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1  # stable across retries
    assert receiver.requests[0].headers["webhook-id"] == record.delivery.delivery_id
    for request in receiver.requests:
        ReferenceVerifier(hook.secret).verify(request.body, request.headers)
    assert not listed.failing and listed.last_error == ""


async def test_a_webhook_that_keeps_failing_is_marked_failed_for_its_owner(tmp_path) -> None:
    clock = Clock()
    with Receiver() as receiver:
        async with Parts(f"sqlite+aiosqlite:///{tmp_path}/n.db", clock, max_attempts=3) as parts:
            hook = await parts.app.create_webhook(ANN, receiver.url, frozenset(), False)
            receiver.statuses = [500] * 10
            await parts.app.send(judged("s1"))
            for _ in range(5):
                await parts.deliverer.deliver_due()
                clock.now += dt.timedelta(minutes=5)
            [record], _ = await parts.app.deliveries(ANN, hook.webhook_id, 10, None)
            [listed] = await parts.app.webhooks(ANN)
    assert record.delivery.state is DeliveryState.FAILED and len(record.attempts) == 3
    assert listed.failing and listed.last_error == "HTTP 500"
    assert len(receiver.requests) == 3


async def test_pending_deliveries_survive_a_restart_and_keep_their_id(tmp_path) -> None:
    clock = Clock()
    url = f"sqlite+aiosqlite:///{tmp_path}/n.db"
    with Receiver() as receiver, SmtpServer() as smtp:
        async with Parts(url, clock, smtp_port=smtp.port) as first:
            await first.app.create_webhook(ANN, receiver.url, frozenset(), False)
            await first.app.send(judged("r1", kind=Kind.CONTEST_REMINDER))  # a webhook call and an email
            # The process claims both and "crashes" before recording (sent or not, nobody knows).
            claimed = await first.store.claim(clock.now, clock.now + dt.timedelta(minutes=2), 10)
            assert len(claimed) == 2
            ids = {c.delivery.channel.value: c.delivery.delivery_id for c in claimed}
        # A new process on the same database: nothing is due while the lease runs...
        async with Parts(url, clock, smtp_port=smtp.port) as second:
            assert await second.deliverer.deliver_due() == 0
            clock.now += dt.timedelta(minutes=3)  # ...then both are delivered once.
            assert await second.deliverer.deliver_due() == 2
            assert await second.deliverer.deliver_due() == 0
            assert await second.store.pending_count() == 0
    assert [r.headers["webhook-id"] for r in receiver.requests] == [ids["WEBHOOK"]]
    [message] = smtp.box.messages
    assert message["Message-ID"] == f"<{ids['EMAIL']}@arena.notification>"
    assert message["To"] == "Ann <ann@example.com>"


async def test_emails_refused_or_for_unknown_users_fail_and_a_down_server_is_retried(tmp_path) -> None:
    clock = Clock()
    with SmtpServer() as smtp:
        async with Parts(f"sqlite+aiosqlite:///{tmp_path}/n.db", clock, smtp_port=smtp.port) as parts:
            await parts.app.send(judged("r1", user="ghost", kind=Kind.CONTEST_REMINDER))
            await parts.deliverer.deliver_due()
            assert await parts.store.pending_count() == 0  # failed for good: no such account
    async with Parts(f"sqlite+aiosqlite:///{tmp_path}/n.db", clock, smtp_port=free_port()) as parts:
        await parts.app.send(judged("r2", kind=Kind.CONTEST_REMINDER))
        await parts.deliverer.deliver_due()
        assert await parts.store.pending_count() == 1  # the server is down: retried later
        claimed = await parts.store.claim(clock.now + dt.timedelta(minutes=1), clock.now, 10)
        assert claimed[0].delivery.attempt_count == 1 and "unreachable" in claimed[0].delivery.last_error


async def test_email_deliveries_need_email_enabled_in_preferences(tmp_path) -> None:
    clock = Clock()
    with SmtpServer() as smtp:
        async with Parts(f"sqlite+aiosqlite:///{tmp_path}/n.db", clock, smtp_port=smtp.port) as parts:
            await parts.app.update_preferences(ANN, email_enabled=False)
            await parts.app.send(judged("r1", kind=Kind.CONTEST_REMINDER))
            await parts.app.update_preferences(ANN, email_enabled=True)
            await parts.app.send(judged("r2", kind=Kind.CONTEST_REMINDER))
            await parts.app.send(judged("s3"))  # verdicts are not emailed by default
            assert await parts.deliverer.deliver_due() == 1
    assert [m["Subject"] for m in smtp.box.messages] == ["[Arena] Judged r2"]


async def test_a_graceful_stop_lets_the_attempt_under_way_finish_and_record(tmp_path) -> None:
    import asyncio

    clock = Clock()
    with Receiver() as receiver:
        async with Parts(f"sqlite+aiosqlite:///{tmp_path}/n.db", clock) as parts:
            hook = await parts.app.create_webhook(ANN, receiver.url, frozenset(), False)
            receiver.delay_s = 1.0
            await parts.app.send(judged("s1"))
            await parts.deliverer.start()
            parts.deliverer.kick()
            for _ in range(100):
                if receiver.requests:
                    break
                await asyncio.sleep(0.02)
            assert receiver.requests, "no attempt started"
            await parts.deliverer.stop()  # while the receiver is still answering
            [record], _ = await parts.app.deliveries(ANN, hook.webhook_id, 10, None)
    assert record.delivery.state is DeliveryState.DELIVERED and [a.status_code for a in record.attempts] == [200]
