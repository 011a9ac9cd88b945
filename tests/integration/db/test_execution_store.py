"""One contract for every ExecutionStore: the in-memory store, SQLite and PostgreSQL pass the same
assertions (the judge queue under concurrent judges, event logs, claims, pages, the outbox,
rejudgings: judged beside the official results, applied or cancelled as a whole).

The use-case tests (tests/unit/execution/test_app.py) run on the in-memory store; this file is what
makes that trustworthy."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest

from arena.core.errors import FailedPrecondition, NotFound
from arena.execution.domain import EventType, Final, Status, Submission, SubmissionFilters, TestOutcome, Verdict
from arena.execution.rejudge import Judging, JudgingKey, Rejudged, Rejudging, RejudgingState, Scope
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


# -- rejudgings (the DOMjudge model: new judgings beside the official results, applied or cancelled whole) --


def _rejudging(scope: Scope, rejudging_id: str | None = None) -> Rejudging:
    return Rejudging(rejudging_id or uuid.uuid4().hex, scope, "setter", "tests changed", RejudgingState.PENDING, T0)


async def judged(store: ExecutionStore, verdicts: list[Verdict], *, contest_id: str = "") -> list[str]:
    """Submissions judged to these verdicts (three tests each; score = passed / 3)."""
    ids = []
    for index in range(len(verdicts)):
        submission = Submission(
            submission_id=uuid.uuid4().hex,
            user_id=f"u{index}",
            problem_id="p1",
            contest_id=contest_id,
            language_id="python3",
            source="print(1)",
            run_all_tests=False,
            status=Status.QUEUED,
            create_time=T0 + dt.timedelta(seconds=index),
        )
        await store.create(submission, 3, submission.create_time)
        ids.append(submission.submission_id)
    for submission_id, verdict in zip(ids, verdicts, strict=True):
        assert await store.claim_next("j", T0, LEASE) == submission_id
        await store.record_test(submission_id, TestOutcome(1, True, verdict), T0, owner="j")
        passed = 3 if verdict is Verdict.ACCEPTED else 0
        await store.finish(submission_id, Final(verdict, passed / 3, passed, 3, 5, 100), T0, [], owner="j")
    return ids


async def rejudge_all(store: ExecutionStore, new: dict[str, Verdict], owner: str = "r") -> None:
    """Claims every open judging and finishes it with the verdict ``new`` gives its submission."""
    now = T0 + dt.timedelta(minutes=1)
    while (key := await store.claim_next_judging(owner, now, LEASE)) is not None:
        verdict = new[key.submission_id]
        passed = 3 if verdict is Verdict.ACCEPTED else 0
        await store.start_judging(key, owner=owner)
        await store.record_judging_test(key, TestOutcome(1, True, verdict, cpu_ms=7), owner=owner)
        await store.finish_judging(key, Final(verdict, passed / 3, passed, 3, 7, 200), now, owner=owner)


def owed(submission: Submission, judging: Judging, version: int, now: dt.datetime) -> list[tuple[str, bytes]]:
    return [("contest", f"{submission.submission_id}:{judging.new.verdict.name}:{version}".encode())]


async def test_a_rejudging_is_judged_beside_the_official_results_then_applied_as_a_whole(store: ExecutionStore):
    ok, wrong, same = await judged(store, [Verdict.ACCEPTED, Verdict.WRONG_ANSWER, Verdict.ACCEPTED], contest_id="c1")
    outbox_before = len(await store.due(LATER, 100))
    created = await store.create_rejudging(_rejudging(Scope(contest_id="c1")))
    assert created.state is RejudgingState.PENDING and created.judging_count == 3 and created.judged_count == 0
    assert await store.claim_next("j", T0 + dt.timedelta(minutes=1), LEASE) is None  # no submission went back

    now = T0 + dt.timedelta(minutes=1)
    first = await store.claim_next_judging("r", now, LEASE)
    assert first is not None and first.submission_id == ok  # oldest submission first
    await store.start_judging(first, owner="r")
    assert (await store.get_rejudging(created.rejudging_id)).state is RejudgingState.JUDGING
    with pytest.raises(FailedPrecondition) as not_ready:
        await store.apply_rejudging(created.rejudging_id, "setter", now, owed)
    assert not_ready.value.reason == "REJUDGING_NOT_READY"
    await store.finish_judging(first, Final(Verdict.WRONG_ANSWER, 0.0, 0, 4, 7, 200), now, owner="r")
    with pytest.raises(LostClaim):  # a finished judging takes no more
        await store.record_judging_test(first, TestOutcome(2, False, Verdict.ACCEPTED), owner="r")
    await rejudge_all(store, {wrong: Verdict.ACCEPTED, same: Verdict.ACCEPTED})

    # Judged anew, nothing official moved yet: verdicts, events and the outbox are as they were.
    ready = await store.get_rejudging(created.rejudging_id)
    assert (ready.state, ready.judged_count, ready.changed_count) == (RejudgingState.READY, 3, 2)
    assert (await store.get(ok)).verdict is Verdict.ACCEPTED and (
        await store.get(wrong)
    ).verdict is Verdict.WRONG_ANSWER
    assert [e.sequence for e in await store.events_after(ok, 0)][-1] == 3
    assert len(await store.due(LATER, 100)) == outbox_before
    diff = {
        j.submission_id: (j.old_verdict, j.new.verdict, j.changed) for j in await store.judgings(created.rejudging_id)
    }
    assert diff == {
        ok: (Verdict.ACCEPTED, Verdict.WRONG_ANSWER, True),
        wrong: (Verdict.WRONG_ANSWER, Verdict.ACCEPTED, True),
        same: (Verdict.ACCEPTED, Verdict.ACCEPTED, False),
    }

    applied, events = await store.apply_rejudging(created.rejudging_id, "admin", LATER, owed)
    assert applied.state is RejudgingState.APPLIED and applied.close_user_id == "admin" and applied.close_time == LATER
    assert sorted(s.submission_id for s, _ in events) == sorted([ok, wrong])  # the changed ones
    now_ok, now_wrong, now_same = [await store.get(i) for i in (ok, wrong, same)]
    assert (now_ok.verdict, now_ok.test_count, now_ok.score) == (Verdict.WRONG_ANSWER, 4, 0.0)
    assert (now_wrong.verdict, now_wrong.score, now_wrong.passed_test_count) == (Verdict.ACCEPTED, 1.0, 3)
    assert [(r.ordinal, r.verdict, r.cpu_ms) for r in now_wrong.results] == [(1, Verdict.ACCEPTED, 7)]
    assert now_same.verdict is Verdict.ACCEPTED and now_same.results[0].cpu_ms == 7  # official, unchanged verdict
    log = await store.events_after(wrong, 0)
    assert [e.sequence for e in log] == [1, 2, 3, 4] and now_wrong.last_sequence == 4
    assert isinstance(log[-1], Rejudged) and log[-1].rejudging_id == created.rejudging_id
    assert (log[-1].type, log[-1].status, log[-1].verdict, log[-1].last) == (
        EventType.FINISHED,
        Status.FINISHED,
        Verdict.ACCEPTED,
        True,
    )
    assert [e.sequence for e in await store.events_after(same, 0)] == [1, 2, 3]  # no change, no event
    sent = sorted(item.payload for item in (await store.due(LATER, 100))[outbox_before:])
    assert sent == sorted([f"{ok}:WRONG_ANSWER:1".encode(), f"{wrong}:ACCEPTED:1".encode()])

    for action in (
        lambda: store.apply_rejudging(created.rejudging_id, "admin", LATER, owed),
        lambda: store.cancel_rejudging(created.rejudging_id, "admin", LATER),
    ):
        with pytest.raises(FailedPrecondition) as closed:
            await action()
        assert closed.value.reason == "REJUDGING_CLOSED" and "already applied" in str(closed.value)

    # Applied, the submissions may be rejudged again; the version goes on from 1.
    again = await store.create_rejudging(_rejudging(Scope(submission_ids=(wrong,))))
    await rejudge_all(store, {wrong: Verdict.TIME_LIMIT_EXCEEDED})
    _, events = await store.apply_rejudging(again.rejudging_id, "admin", LATER, owed)
    assert [e.sequence for _, e in events] == [5]
    assert (await store.due(LATER, 100))[-1].payload == f"{wrong}:TIME_LIMIT_EXCEEDED:2".encode()


async def test_a_cancelled_rejudging_leaves_the_official_results_and_stops_its_judges(store: ExecutionStore):
    first, second = await judged(store, [Verdict.ACCEPTED, Verdict.WRONG_ANSWER])
    created = await store.create_rejudging(_rejudging(Scope(problem_id="p1")))
    now = T0 + dt.timedelta(minutes=1)
    running = await store.claim_next_judging("r", now, LEASE)
    await store.start_judging(running, owner="r")

    cancelled = await store.cancel_rejudging(created.rejudging_id, "setter", now)
    assert cancelled.state is RejudgingState.CANCELLED and cancelled.close_user_id == "setter"
    with pytest.raises(LostClaim):  # the judge still running it records nothing more
        await store.record_judging_test(running, TestOutcome(1, True, Verdict.WRONG_ANSWER), owner="r")
    with pytest.raises(LostClaim):
        await store.finish_judging(running, Final(Verdict.WRONG_ANSWER, 0.0, 0, 3, 1, 1), now, owner="r")
    assert await store.claim_next_judging("r", now, LEASE) is None  # nothing left to judge
    assert await store.reclaim_judgings("r", now, LEASE) == []
    assert [(await store.get(i)).verdict for i in (first, second)] == [Verdict.ACCEPTED, Verdict.WRONG_ANSWER]
    assert [e.sequence for e in await store.events_after(first, 0)] == [1, 2, 3]
    for action in (
        lambda: store.cancel_rejudging(created.rejudging_id, "setter", now),
        lambda: store.apply_rejudging(created.rejudging_id, "setter", now, owed),
    ):
        with pytest.raises(FailedPrecondition) as closed:
            await action()
        assert closed.value.reason == "REJUDGING_CLOSED" and "already cancelled" in str(closed.value)
    # Its submissions are free for the next rejudging.
    assert (await store.create_rejudging(_rejudging(Scope(submission_ids=(first,))))).judging_count == 1


async def test_rejudging_scopes_that_cannot_be_rejudged(store: ExecutionStore):
    (finished,) = await judged(store, [Verdict.ACCEPTED])
    (unfinished,) = await queue(store, 1)
    with pytest.raises(NotFound):
        await store.create_rejudging(_rejudging(Scope(submission_ids=(finished, "no-such-submission"))))
    with pytest.raises(FailedPrecondition) as not_judged:
        await store.create_rejudging(_rejudging(Scope(submission_ids=(unfinished,))))
    assert not_judged.value.reason == "SUBMISSION_NOT_JUDGED"
    for scope in (Scope(problem_id="no-such-problem"), Scope(contest_id="no-such-contest")):
        with pytest.raises(FailedPrecondition) as nothing:
            await store.create_rejudging(_rejudging(scope))
        assert nothing.value.reason == "NOTHING_TO_REJUDGE"
    assert await store.get_rejudging("no-such-rejudging") is None
    with pytest.raises(NotFound):
        await store.apply_rejudging("no-such-rejudging", "setter", T0, owed)
    with pytest.raises(NotFound):
        await store.cancel_rejudging("no-such-rejudging", "setter", T0)
    # The problem scope takes only the judged submissions; refused attempts stored nothing.
    open_one = await store.create_rejudging(_rejudging(Scope(problem_id="p1")))
    assert [j.submission_id for j in await store.judgings(open_one.rejudging_id)] == [finished]
    with pytest.raises(FailedPrecondition) as overlap:
        await store.create_rejudging(_rejudging(Scope(submission_ids=(finished,))))
    assert overlap.value.reason == "REJUDGING_OVERLAPS"
    assert [r.rejudging_id for r in (await store.list_rejudgings(10, None))[0]] == [open_one.rejudging_id]


async def test_concurrent_rejudgings_of_one_submission_one_wins(store: ExecutionStore):
    (submission_id,) = await judged(store, [Verdict.ACCEPTED])
    results = await asyncio.gather(
        *(store.create_rejudging(_rejudging(Scope(submission_ids=(submission_id,)))) for _ in range(4)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Rejudging) for r in results) == 1
    assert all(isinstance(r, FailedPrecondition) and r.reason == "REJUDGING_OVERLAPS" for r in results
               if not isinstance(r, Rejudging))  # fmt: skip


async def test_rejudging_judges_claim_once_restart_and_page(store: ExecutionStore):
    ids = await judged(store, [Verdict.ACCEPTED] * 6)
    created = []
    for index, submission_id in enumerate(ids[:3]):
        rejudging = dataclasses.replace(_rejudging(Scope(submission_ids=(submission_id,))),
                                        create_time=T0 + dt.timedelta(seconds=index))  # fmt: skip
        created.append((await store.create_rejudging(rejudging)).rejudging_id)
    await store.create_rejudging(_rejudging(Scope(submission_ids=tuple(ids[3:]))))
    now = T0 + dt.timedelta(minutes=1)

    async def judge(name: str) -> list[JudgingKey]:
        claimed = []
        while (key := await store.claim_next_judging(name, now, LEASE)) is not None:
            claimed.append(key)
        return claimed

    claims = await asyncio.gather(*(judge(f"judge-{i}") for i in range(4)))
    everything = sorted(k.submission_id for claimed in claims for k in claimed)
    assert everything == sorted(ids)  # none lost, none claimed twice
    mine = sorted(claims[0])
    assert sorted(await store.reclaim_judgings("judge-0", now, LEASE)) == mine  # a restart takes them back
    later = now + LEASE + dt.timedelta(seconds=1)
    await store.renew_judgings("judge-0", mine[:1], later + LEASE)
    taken = {await store.claim_next_judging("other", later, LEASE) for _ in range(len(ids))} - {None}
    assert mine[:1] and mine[0] not in taken  # renewed: kept; the others' leases ran out and moved on
    if len(mine) > 1:
        await store.release_judging("other", mine[1], later)
    page, cursor = await store.list_rejudgings(2, None)
    assert len(page) == 2 and cursor is not None and page[0].create_time >= page[1].create_time
    rest, end = await store.list_rejudgings(2, cursor)
    assert len(rest) == 2 and end is None
    assert {r.rejudging_id for r in page + rest} >= set(created)
