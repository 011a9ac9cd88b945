"""Another instance's events reach a watcher here through a nudge (``Watchers.nudge``), at once and not
at the next poll; a nudge for what the watcher already has, or for another submission, reads nothing."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt

from arena.execution.domain import EventType, Status, Verdict, overall
from arena.execution.store import InMemoryExecutionStore
from arena.execution.watchers import Nudge, Watchers
from arena.kit.db import utcnow
from unit.execution.test_app import USER, make_app, submit


class CountingStore(InMemoryExecutionStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def events_after(self, submission_id, sequence):  # type: ignore[override]
        self.reads += 1
        return await super().events_after(submission_id, sequence)


async def test_a_nudge_wakes_the_watcher_long_before_its_poll():
    store = CountingStore()
    app = make_app(store, watch_poll_s=3600)  # only a nudge can wake it within the test
    submission = await submit(app)
    await store.claim_next("elsewhere", utcnow(), dt.timedelta(seconds=30))
    watching = app.watch(USER, submission.submission_id, 0)
    await asyncio.wait_for(anext(watching), 5)  # the start
    assert (await asyncio.wait_for(anext(watching), 5)).sequence == 1  # QUEUED, from the store
    # Another instance stores an event: no in-process fan-out here, only its nudge.
    event = await store.advance(
        submission.submission_id, EventType.COMPILING, Status.COMPILING, utcnow(), owner="elsewhere"
    )
    app.watchers.nudge(submission.submission_id, event.sequence)
    got = await asyncio.wait_for(anext(watching), 5)
    assert got.sequence == 2 and got.type is EventType.COMPILING
    failed = dataclasses.replace(overall([], 10), verdict=Verdict.INTERNAL_ERROR)
    final = await store.finish(submission.submission_id, failed, utcnow(), [], owner="elsewhere")
    app.watchers.nudge(submission.submission_id, final.sequence)
    last = await asyncio.wait_for(anext(watching), 5)
    assert last.sequence == 3 and last.last
    await watching.aclose()


async def test_stale_and_foreign_nudges_read_nothing():
    store = CountingStore()
    app = make_app(store, watch_poll_s=3600)
    submission = await submit(app)
    watching = app.watch(USER, submission.submission_id, 0)
    await asyncio.wait_for(anext(watching), 5)
    assert (await asyncio.wait_for(anext(watching), 5)).sequence == 1
    reads = store.reads
    app.watchers.nudge(submission.submission_id, 1)  # what it has (its own instance's echo)
    app.watchers.nudge("someone-else", 7)
    waiting = asyncio.ensure_future(anext(watching))
    for _ in range(5):  # (lets the watcher take both nudges)
        await asyncio.sleep(0)
    assert store.reads == reads and not waiting.done()
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    await watching.aclose()


def test_watchers_queue_nudges_only_for_their_submission_and_never_block():
    watchers = Watchers()
    queue = watchers.subscribe("s1")
    watchers.nudge("s2", 4)
    assert queue.empty()
    for sequence in range(2000):
        watchers.nudge("s1", sequence)  # a full queue drops the rest: the poll still reads the store
    assert queue.full() and queue.get_nowait() == Nudge(0)
