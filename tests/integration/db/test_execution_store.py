"""One contract for every ExecutionStore: the in-memory store, SQLite and PostgreSQL pass the same
assertions (the judge queue under concurrent judges, event logs, claims, pages, the outbox).

The use-case tests (tests/unit/execution/test_app.py) run on the in-memory store; this file is what
makes that trustworthy."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest

from arena.execution.domain import EventType, Final, Status, Submission, SubmissionFilters, TestOutcome, Verdict
from arena.execution.store import ExecutionStore, InMemoryExecutionStore, LostClaim, SqlExecutionStore
from arena.kit.db import make_engine

pytestmark = pytest.mark.timeout(120)

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)
LATER = T0 + dt.timedelta(days=365)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[ExecutionStore]:
    if request.param == "memory":
        yield InMemoryExecutionStore()
        return
    if request.param == "postgres":
        url = request.getfixturevalue("postgres").create_database(f"execution_{uuid.uuid4().hex[:12]}")
        engine = make_engine(url, pool_size=20)
    else:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/execution.db")
    sql = SqlExecutionStore(engine)
    await sql.migrate()
    yield sql
    await engine.dispose()


async def queue(store: ExecutionStore, count: int, user: str = "u1") -> list[str]:
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


async def test_concurrent_judges_claim_each_submission_exactly_once(store: ExecutionStore):
    ids = await queue(store, 20)

    async def judge(name: str) -> list[str]:
        claimed = []
        while (submission_id := await store.claim_next(name, T0 + dt.timedelta(minutes=1), LEASE)) is not None:
            claimed.append(submission_id)
        return claimed

    claims = await asyncio.gather(*(judge(f"judge-{i}") for i in range(5)))
    everything = [submission_id for claimed in claims for submission_id in claimed]
    assert sorted(everything) == sorted(ids)  # none lost, none claimed twice


async def test_events_are_numbered_without_gaps_and_a_finished_submission_takes_no_more(store: ExecutionStore):
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
    assert [item.target for item in await store.due(LATER, 100)] == ["analytics.RecordEvents", "n"]


async def test_queue_positions_pages_and_a_released_claim(store: ExecutionStore):
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


async def test_a_restarted_judge_takes_back_its_claims_and_renewals_keep_them(store: ExecutionStore):
    first, second, third = await queue(store, 3)
    now = T0 + dt.timedelta(minutes=1)
    assert await store.claim_next("a", now, LEASE) == first
    assert await store.claim_next("b", now, LEASE) == second
    assert sorted(await store.reclaim("a", now + dt.timedelta(seconds=10), LEASE)) == [first]
    await store.renew("a", [first, second], now + dt.timedelta(minutes=10))  # only its own
    later = now + dt.timedelta(minutes=2)  # b's lease ran out, a's was renewed
    assert await store.claim_next("c", later, LEASE) == second
    assert await store.claim_next("c", later, LEASE) == third
    assert await store.claim_next("c", later, LEASE) is None
    with pytest.raises(LostClaim):
        await store.record_test(second, TestOutcome(1, True, Verdict.ACCEPTED), later, owner="b")
    assert (await store.get(second)).results == ()
    assert await store.get("nobody") is None and await store.events_after("nobody", 0) == []


async def test_a_finished_submission_carries_its_verdict_and_is_listed_by_filters(store: ExecutionStore):
    (submission_id,) = await queue(store, 1)
    now = T0 + dt.timedelta(minutes=1)
    await store.claim_next("j", now, LEASE)
    compiling = await store.advance(submission_id, EventType.COMPILING, Status.COMPILING, now, owner="j")
    assert (compiling.sequence, compiling.test_count, compiling.status) == (2, 3, Status.COMPILING)
    final = Final(Verdict.WRONG_ANSWER, 0.5, 1, 2, 30, 400, compile_output="warning")
    finished = await store.finish(submission_id, final, now, [], owner="j")
    assert (finished.verdict, finished.score, finished.compile_output, finished.test_count) == (
        Verdict.WRONG_ANSWER, 0.5, "warning", 2,
    )  # fmt: skip
    stored = await store.get(submission_id)
    assert (stored.verdict, stored.test_count, stored.passed_test_count, stored.max_cpu_ms) == (
        Verdict.WRONG_ANSWER, 2, 1, 30,
    )  # fmt: skip
    assert (stored.judge_start_time, stored.finish_time, stored.last_sequence) == (now, now, 3)
    assert await store.queue_position(stored) == 0 and await store.queued_count() == 0
    listed, _ = await store.list(SubmissionFilters(verdict=Verdict.WRONG_ANSWER), 10, None)
    assert [s.submission_id for s in listed] == [submission_id]
    assert (await store.list(SubmissionFilters(verdict=Verdict.ACCEPTED), 10, None))[0] == []
    assert (await store.list(SubmissionFilters(problem_id="other"), 10, None))[0] == []


async def test_the_outbox_hands_out_due_items_and_backs_off_failures(store: ExecutionStore):
    await queue(store, 1)  # one item, due at T0
    assert await store.due(T0 - dt.timedelta(seconds=1), 10) == []
    (item,) = await store.due(T0, 10)
    assert (item.target, item.payload, item.attempts) == ("analytics.RecordEvents", b"x", 0)
    await store.retry_later(item.outbox_id, T0 + dt.timedelta(seconds=2), "UNAVAILABLE: down")
    assert await store.due(T0 + dt.timedelta(seconds=1), 10) == []
    (again,) = await store.due(T0 + dt.timedelta(seconds=2), 10)
    assert (again.outbox_id, again.attempts) == (item.outbox_id, 1)
    await store.delivered(item.outbox_id)
    assert await store.due(LATER, 10) == []
