"""The execution app and its judges with a real sandbox and store (SQLite), no network: the judge
queue, resuming after a crash, claims, watching, the queue limit and the outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import pathlib

import grpc
import pytest
import sqlalchemy as sa

from arena.demo.problems import load
from arena.execution import outbox
from arena.execution.app import AppSettings, ExecutionApp, WatchStart
from arena.execution.domain import EventType, Status, Submission, TestOutcome, Verdict
from arena.execution.languages import Available
from arena.execution.runs import SandboxRunner
from arena.execution.store import OutboxRow, SqlExecutionStore
from arena.execution.watchers import EventFeed
from arena.execution.worker import JudgePool, PoolSettings
from arena.kit.auth import Identity
from arena.kit.db import make_engine, utcnow
from arena.kit.errors import UpstreamError
from integration.execution.conftest import bundle_of

A_PLUS_B = next(p for p in load() if p.slug == "a-plus-b")
ACCEPTED = A_PLUS_B.solutions["accepted.py"][1]
USER = Identity("u1", "u1", frozenset({"USER"}), token_id="t1", session_id="s1", expires_at=0.0)
OTHER = Identity("u2", "u2", frozenset({"USER"}), token_id="t2", session_id="s2", expires_at=0.0)


class Bundles:
    def __init__(self) -> None:
        self.bundle = bundle_of(A_PLUS_B)

    async def get(self, problem_id: str, *, fresh: bool = False):
        return self.bundle if problem_id == "a-plus-b" else None


@pytest.fixture
async def store(tmp_path: pathlib.Path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/execution.db")
    store = SqlExecutionStore(engine)
    await store.migrate()
    yield store
    await engine.dispose()


class Service:
    """The use cases and this process's judges, wired as ``__main__`` wires them (one event feed)."""

    def __init__(self, store, judge, languages, *, owner: str, **settings) -> None:
        available = [Available(language, "test") for language in languages.values()]
        feed = EventFeed()
        self.pool = JudgePool(store, judge, languages, Bundles(), PoolSettings(owner=owner, workers=2), feed=feed)
        self.app = ExecutionApp(
            store, SandboxRunner(judge), available, Bundles(), AppSettings(**settings), feed=feed,
            on_queued=self.pool.wake,
        )  # fmt: skip


def make(store, judge, languages, *, owner="judge-a", **settings) -> Service:
    return Service(store, judge, languages, owner=owner, **settings)


def make_app(store, judge, languages, *, owner="judge-a", **settings) -> ExecutionApp:
    return make(store, judge, languages, owner=owner, **settings).app


async def pending_outbox(store: SqlExecutionStore) -> list[tuple[str, int, str]]:
    """(target, attempts, last error) of every undelivered item, oldest first: read by the test itself."""
    async with store.engine.connect() as connection:
        rows = await connection.execute(
            sa.select(OutboxRow.target, OutboxRow.attempts, OutboxRow.last_error)
            .where(OutboxRow.delivered.is_(False))
            .order_by(OutboxRow.outbox_id)
        )
        return [tuple(row) for row in rows]


async def submit(app: ExecutionApp, source: str = ACCEPTED, caller: Identity = USER, **extra):
    return await app.create_submission(
        caller, problem_id="a-plus-b", language_id="python3", source=source, contest_id="",
        run_all_tests=extra.get("run_all_tests", False),
    )  # fmt: skip


async def watch_all(app: ExecutionApp, submission_id: str, after: int = 0, caller: Identity = USER):
    """The events of a watch (after its start, which is checked to come first and only once)."""
    items = [e async for e in app.watch(caller, submission_id, after)]
    assert isinstance(items[0], WatchStart) and not any(isinstance(i, WatchStart) for i in items[1:])
    return items[1:]


async def test_workers_judge_queued_submissions_and_watchers_see_every_step(store, judge, languages):
    service = make(store, judge, languages)
    app = service.app
    first, second = await submit(app), await submit(app)
    assert (first.queue_position, second.queue_position) == (1, 2)
    await service.pool.start()
    try:
        events = await asyncio.wait_for(watch_all(app, second.submission_id), 60)
    finally:
        await service.pool.stop()
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert [e.type for e in events][:3] == [EventType.QUEUED, EventType.COMPILING, EventType.RUNNING]
    assert [e.test.ordinal for e in events if e.test] == list(range(1, 11))
    assert events[-1].verdict is Verdict.ACCEPTED and events[-1].last
    judged = await store.get(second.submission_id)
    assert judged.status is Status.FINISHED and judged.passed_test_count == 10


async def test_a_restarted_judge_resumes_after_the_tests_it_already_recorded(store, judge, languages):
    app = make_app(store, judge, languages)
    submission = await submit(app)
    # The judge's previous life: it claimed the submission, ran three tests, and died.
    assert await store.claim_next("judge-a", utcnow(), dt.timedelta(seconds=30)) == submission.submission_id
    await store.advance(submission.submission_id, EventType.COMPILING, Status.COMPILING, utcnow(), owner="judge-a")
    await store.advance(submission.submission_id, EventType.RUNNING, Status.RUNNING, utcnow(), owner="judge-a")
    for ordinal in (1, 2, 3):
        done = TestOutcome(ordinal=ordinal, sample=ordinal <= 2, verdict=Verdict.ACCEPTED, cpu_ms=7)
        await store.record_test(submission.submission_id, done, utcnow(), owner="judge-a")

    restarted = make(store, judge, languages)  # same owner id: takes its claim back at once
    await restarted.pool.start()
    try:
        events = await asyncio.wait_for(watch_all(restarted.app, submission.submission_id), 60)
    finally:
        await restarted.pool.stop()
    ordinals = [e.test.ordinal for e in events if e.test]
    assert ordinals == list(range(1, 11))  # each test once: 1-3 from before, 4-10 now
    assert [e.type for e in events].count(EventType.COMPILING) == 1  # no step repeated
    results = (await store.get(submission.submission_id)).results
    assert [r.cpu_ms for r in results[:3]] == [7, 7, 7]  # not judged again
    assert events[-1].verdict is Verdict.ACCEPTED


async def _rest(events) -> list:
    return [e async for e in events]


async def test_every_event_carries_the_test_count(store, judge, languages):
    service = make(store, judge, languages)
    app = service.app
    submission = await submit(app)
    await service.pool.start()
    try:
        events = await asyncio.wait_for(watch_all(app, submission.submission_id), 60)
    finally:
        await service.pool.stop()
    assert {e.type for e in events} == set(EventType)
    assert [e.test_count for e in events] == [len(A_PLUS_B.tests)] * len(events)


class Receiver:
    def __init__(self, failures: list[BaseException | None]) -> None:
        self.failures = failures
        self.received: list[bytes] = []

    async def __call__(self, payload: bytes) -> None:
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise failure
        self.received.append(payload)


async def test_the_outbox_retries_until_delivered_and_never_loses_an_item(store, judge, languages):
    clock = [utcnow()]
    unimplemented = UpstreamError(grpc.StatusCode.UNIMPLEMENTED, "this method is not implemented yet")
    analytics = Receiver([unimplemented, unimplemented])
    notification = Receiver([UpstreamError(grpc.StatusCode.ALREADY_EXISTS, "sent before")])
    dispatcher = outbox.Dispatcher(
        store, {outbox.ANALYTICS: analytics, outbox.NOTIFICATION: notification}, clock=lambda: clock[0]
    )
    submission = Submission("s1", "u1", "p1", "", "python3", "x", False, Status.QUEUED, clock[0])
    await store.create(submission, 1, clock[0], [(outbox.ANALYTICS, b"a1"), (outbox.NOTIFICATION, b"n1")])
    assert await dispatcher.deliver_due() == 1  # the notification: ALREADY_EXISTS means it has it
    assert [(t, a) for t, a, _ in await pending_outbox(store)] == [(outbox.ANALYTICS, 1)]
    assert await dispatcher.deliver_due() == 0  # not due yet: backing off
    clock[0] += dt.timedelta(seconds=1.5)
    assert await dispatcher.deliver_due() == 0  # failed again
    pending = await pending_outbox(store)
    assert pending[0][1] == 2 and "UNIMPLEMENTED" in pending[0][2]
    clock[0] += dt.timedelta(seconds=2.5)
    assert await dispatcher.deliver_due() == 1
    assert analytics.received == [b"a1"] and await pending_outbox(store) == []
