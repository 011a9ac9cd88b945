"""The execution store on real PostgreSQL: the judge queue under concurrent judges, event logs, pages."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from arena.execution.domain import EventType, Final, Status, Submission, TestOutcome, Verdict
from arena.execution.store import LostClaim, SqlExecutionStore, SubmissionFilters
from arena.kit.db import make_engine

pytestmark = pytest.mark.timeout(120)

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


@pytest.fixture
async def store(postgres):
    engine = make_engine(postgres.create_database(f"execution_{uuid.uuid4().hex[:12]}"), pool_size=20)
    store = SqlExecutionStore(engine)
    await store.migrate()
    yield store
    await engine.dispose()


async def queue(store: SqlExecutionStore, count: int, user: str = "u1") -> list[str]:
    ids = []
    for index in range(count):
        submission = Submission(
            submission_id=uuid.uuid4().hex,
            user_id=user,
            problem_id="p1",
            contest_id="",
            language_id="python3",
            source="print(1)",
            run_all_tests=False,
            status=Status.QUEUED,
            create_time=T0 + dt.timedelta(seconds=index),
        )
        await store.create(submission, 3, submission.create_time, [("analytics.RecordEvents", b"x")])
        ids.append(submission.submission_id)
    return ids


async def test_concurrent_judges_claim_each_submission_exactly_once(store: SqlExecutionStore):
    ids = await queue(store, 20)

    async def judge(name: str) -> list[str]:
        claimed = []
        while (submission_id := await store.claim_next(name, T0 + dt.timedelta(minutes=1), LEASE)) is not None:
            claimed.append(submission_id)
        return claimed

    claims = await asyncio.gather(*(judge(f"judge-{i}") for i in range(5)))
    everything = [submission_id for claimed in claims for submission_id in claimed]
    assert sorted(everything) == sorted(ids)  # none lost, none claimed twice


async def test_events_are_numbered_without_gaps_and_a_finished_submission_takes_no_more(store: SqlExecutionStore):
    (submission_id,) = await queue(store, 1)
    now = T0 + dt.timedelta(minutes=1)
    await store.claim_next("j", now, LEASE)
    await store.advance(submission_id, EventType.COMPILING, Status.COMPILING, now, owner="j")
    await store.advance(submission_id, EventType.RUNNING, Status.RUNNING, now, owner="j")
    for ordinal in (1, 2, 3):
        await store.record_test(submission_id, TestOutcome(ordinal, ordinal == 1, Verdict.ACCEPTED), now, owner="j")
    await store.finish(submission_id, Final(Verdict.ACCEPTED, 1.0, 3, 3, 5, 100), now, [("n", b"y")], owner="j")
    events = await store.events_after(submission_id, 0)
    assert [e.sequence for e in events] == list(range(1, 8))
    assert events[-1].type is EventType.FINISHED and events[-1].verdict is Verdict.ACCEPTED
    assert [e.sequence for e in await store.events_after(submission_id, 5)] == [6, 7]
    with pytest.raises(LostClaim):
        await store.advance(submission_id, EventType.RUNNING, Status.RUNNING, now, owner="j")
    stored = await store.get(submission_id)
    assert stored.status is Status.FINISHED and stored.passed_test_count == 3 and len(stored.results) == 3
    assert [target for target, _, _ in await store.pending_outbox()] == ["analytics.RecordEvents", "n"]


async def test_queue_positions_pages_and_a_released_claim(store: SqlExecutionStore):
    ids = await queue(store, 5)
    first = await store.get(ids[0])
    last = await store.get(ids[-1])
    assert (await store.queue_position(first), await store.queue_position(last)) == (1, 5)
    assert await store.queued_count() == 5

    page, cursor = await store.list(SubmissionFilters(user_id="u1"), 2, None)
    assert [s.submission_id for s in page] == [ids[4], ids[3]]  # newest first
    page, cursor = await store.list(SubmissionFilters(user_id="u1"), 2, cursor)
    assert [s.submission_id for s in page] == [ids[2], ids[1]]
    assert (await store.list(SubmissionFilters(user_id="someone-else"), 2, None))[0] == []

    now = T0 + dt.timedelta(minutes=1)
    claimed = await store.claim_next("j", now, LEASE)
    await store.release("j", claimed, now + dt.timedelta(seconds=5))  # its problem could not be fetched
    assert await store.claim_next("k", now + dt.timedelta(seconds=1), LEASE) != claimed  # not yet
    assert claimed in {await store.claim_next("k", now + dt.timedelta(seconds=6), LEASE) for _ in range(5)}
