"""The contest's notifications (services/arena/contest/notify.py): answers to their asker, announcements and
final standings to every participant, reminders before the start, each with a key naming the fact."""

from __future__ import annotations

import asyncio
import datetime as dt

from arena.contest.app import ContestApp
from arena.contest.notify import ContestNotifier
from arena.contest.store import InMemoryContestStore
from arena.notification.v1 import notification_pb2
from unit.contest.test_app import ADMIN, ANN, BOB, T0, Catalog, Clock, H, spec


class Stub:
    def __init__(self, fail_first: int = 0) -> None:
        self.sent: list = []
        self.fail_first = fail_first

    async def SendNotification(self, request, timeout_s: float):  # type: ignore[no-untyped-def]
        if self.fail_first:
            self.fail_first -= 1
            raise ConnectionError("notification service down")
        self.sent.append(request)


class Clients:
    def __init__(self, stub: Stub) -> None:
        self._stub = stub

    def stub(self, stub_class: type, upstream: str) -> Stub:
        assert upstream == "notification"
        return self._stub


def parts(stub: Stub) -> tuple[ContestApp, ContestNotifier, Clock, list]:
    clock = Clock()
    store = InMemoryContestStore()
    pushed: list = []
    notifier = ContestNotifier(
        Clients(stub),
        store,
        lambda *a: pushed.append(a),
        clock=clock,
        first_retry_s=0.001,  # type: ignore[arg-type]
    )
    app = ContestApp(store, Catalog(), clock=clock, push=notifier.push, on_published=notifier.published)
    return app, notifier, clock, pushed


async def settle(notifier: ContestNotifier) -> None:
    await notifier.close()


async def test_answers_announcements_and_results_notify_the_right_people() -> None:
    stub = Stub()
    app, notifier, clock, pushed = parts(stub)
    contest = await app.create(ADMIN, spec())
    cid = contest.contest_id
    for user in (ANN, BOB):
        await app.register(user, cid)
    clock.now = T0 + H
    question = await app.ask(ANN, cid, "A", "May n be 0?")
    await app.answer(ADMIN, cid, question.clarification_id, "Yes.", False)
    announcement = await app.announce(ADMIN, cid, "", "Problem B's limits changed.")
    await settle(notifier)
    assert len(pushed) == 3  # realtime still gets every clarification
    kinds = [(r.user_id, r.kind, r.idempotency_key) for r in stub.sent]
    assert kinds[0] == (
        "ann",
        notification_pb2.NOTIFICATION_KIND_CLARIFICATION_ANSWERED,
        f"clarification:{question.clarification_id}",
    )
    assert stub.sent[0].body == "Yes." and stub.sent[0].title == "Your question about problem A was answered"
    assert sorted(kinds[1:]) == [
        (u, notification_pb2.NOTIFICATION_KIND_ANNOUNCEMENT, f"announcement:{announcement.clarification_id}")
        for u in ("ann", "bob")
    ]
    stub.sent.clear()
    clock.now = T0 + 6 * H
    await app.publish(ADMIN, cid)
    await settle(notifier)
    assert sorted((r.user_id, r.idempotency_key) for r in stub.sent) == [
        ("ann", f"results:{cid}"),
        ("bob", f"results:{cid}"),
    ]
    assert {r.kind for r in stub.sent} == {notification_pb2.NOTIFICATION_KIND_CONTEST_RESULT}


async def test_reminders_go_once_per_participant_shortly_before_the_start() -> None:
    stub = Stub(fail_first=1)  # the first send fails and is retried
    app, notifier, clock, _ = parts(stub)
    cid = (await app.create(ADMIN, spec())).contest_id
    await app.register(ANN, cid)
    clock.now = T0 - dt.timedelta(minutes=30)
    assert await notifier.scan() == 0
    clock.now = T0 - dt.timedelta(minutes=10)
    assert await notifier.scan() == 1
    await app.register(BOB, cid)  # registers late: reminded at the next scan
    clock.now = T0 - dt.timedelta(minutes=9)
    assert await notifier.scan() == 1
    await asyncio.sleep(0)
    await settle(notifier)
    assert [(r.user_id, r.idempotency_key) for r in stub.sent] == [
        ("ann", f"reminder:{cid}"),
        ("bob", f"reminder:{cid}"),
    ]
    assert stub.sent[0].title == "Winter Cup starts in 10 minutes"
