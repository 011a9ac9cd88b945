"""Rejudging on the in-memory store with the judge pool and a fake judge (no sandbox): a rejudge
after the problem's tests changed is judged beside the official verdict, shows the change, and
applied makes it official for watchers and the outbox; cancelled changes nothing; who may do it,
and what is refused.

The same store contract holds for SQLite and PostgreSQL (tests/integration/db/test_execution_store.py);
through Envoy: tests/e2e/test_rejudge.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from arena.contest.v1 import contest_internal_service_pb2
from arena.core.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from arena.core.identity import Identity
from arena.demo.problems import judge_bundle, load
from arena.execution import outbox
from arena.execution.app import AppSettings, ExecutionApp, WatchStart
from arena.execution.domain import Event, EventType, Final, Status, Submission, TestOutcome, Verdict, overall
from arena.execution.judge import Bundle, BundleTest, Judge, Steps
from arena.execution.languages import LANGUAGES, Available
from arena.execution.rejudge import Rejudged, RejudgingState, Scope, Superseded
from arena.execution.store import InMemoryExecutionStore
from arena.execution.watchers import EventFeed
from arena.execution.worker import JudgePool, PoolSettings
from arena.kit.db import utcnow
from arena.notification.v1 import notification_internal_service_pb2

A_PLUS_B = next(p for p in load() if p.slug == "a-plus-b")
TESTS = len(judge_bundle(A_PLUS_B).tests)
PYTHON = next(language for language in LANGUAGES if language.language_id == "python3")
USER = Identity("u1", "u1", frozenset({"USER"}), token_id="t1", session_id="s1", expires_at=0.0)
SETTER = Identity("s1", "s1", frozenset({"USER", "SETTER"}), token_id="t2", session_id="s2", expires_at=0.0)
ADMIN = Identity("a1", "a1", frozenset({"USER", "SETTER", "ADMIN"}), token_id="t3", session_id="s3", expires_at=0.0)


class Bundles:
    def __init__(self) -> None:
        self.bundle = judge_bundle(A_PLUS_B)

    async def get(self, problem_id: str, *, fresh: bool = False) -> Bundle | None:
        return self.bundle if problem_id == "a-plus-b" else None

    def add_test(self, expected_output: str) -> None:
        """The setter adds a test (the fake judge accepts a test whose answer is not "unsolvable")."""
        tests = self.bundle.tests
        new = BundleTest(len(tests) + 1, "1 1\n", expected_output, sample=False)
        self.bundle = dataclasses.replace(self.bundle, revision=self.bundle.revision + 1, tests=(*tests, new))


class FakeJudge(Judge):
    """Accepts every test except one whose expected answer is "unsolvable"; ``gate`` holds it before running."""

    def __init__(self) -> None:
        self.languages = {PYTHON.language_id: PYTHON}
        self.gate: asyncio.Event | None = None

    async def judge(self, language, source, bundle, *, run_all_tests, done=(), steps: Steps) -> Final:
        results = {r.ordinal: r for r in done}
        await steps.compiling()
        if self.gate is not None:
            await self.gate.wait()
        await steps.running()
        for test in bundle.tests:
            if test.ordinal not in results:
                verdict = Verdict.WRONG_ANSWER if test.expected_output == "unsolvable" else Verdict.ACCEPTED
                results[test.ordinal] = TestOutcome(test.ordinal, test.sample, verdict, cpu_ms=5)
                await steps.test_finished(results[test.ordinal])
        return overall(list(results.values()), len(bundle.tests))


async def in_contest(contest_id: str, user_id: str, problem_id: str) -> bool:
    return False


@dataclasses.dataclass
class Platform:
    store: InMemoryExecutionStore
    app: ExecutionApp
    pool: JudgePool
    judge: FakeJudge
    bundles: Bundles
    emitted: list[tuple[Submission, Event]]


@pytest.fixture
async def platform():
    store = InMemoryExecutionStore()
    bundles = Bundles()
    emitted: list[tuple[Submission, Event]] = []
    feed = EventFeed(on_event=lambda s, e: emitted.append((s, e)))
    app = ExecutionApp(
        store, None, [Available(PYTHON, "test")], bundles, AppSettings(watch_poll_s=0.05), feed=feed,
        authorize=in_contest,
    )  # fmt: skip
    judge = FakeJudge()
    pool = JudgePool(
        store, judge, judge.languages, bundles, PoolSettings(owner="judge-a", workers=2, idle_poll_s=0.01), feed=feed
    )
    app.on_queued = pool.wake
    await pool.start()
    yield Platform(store, app, pool, judge, bundles, emitted)
    await pool.stop()


async def judged(platform: Platform, count: int, contest_id: str = "c1") -> list[Submission]:
    """Submissions judged (all ACCEPTED on the problem as it is)."""
    made = []
    for _ in range(count):
        submission = await platform.app.create_submission(
            USER, problem_id="a-plus-b", language_id="python3", source="print(1)", contest_id=contest_id,
            run_all_tests=False,
        )  # fmt: skip
        made.append(submission)
    for submission in made:
        await asyncio.wait_for(_events(platform.app, submission.submission_id), 10)
    return [await platform.store.get(s.submission_id) for s in made]


async def _events(app: ExecutionApp, submission_id: str, after: int = 0) -> list:
    items = [item async for item in app.watch(USER, submission_id, after)]
    assert isinstance(items[0], WatchStart)
    return items[1:]


async def ready(app: ExecutionApp, rejudging_id: str):
    for _ in range(500):
        rejudging, judgings = await app.get_rejudging(SETTER, rejudging_id)
        if rejudging.state is RejudgingState.READY:
            return rejudging, judgings
        await asyncio.sleep(0.01)
    raise AssertionError(f"rejudging {rejudging_id} never became ready")


async def test_a_rejudge_after_the_tests_changed_is_applied_for_watchers_and_the_contest(platform: Platform):
    app, store = platform.app, platform.store
    first, second = await judged(platform, 2)
    assert {first.verdict, second.verdict} == {Verdict.ACCEPTED}
    platform.bundles.add_test("unsolvable")  # the setter adds a test these programs fail
    outbox_before, emitted_before = len(store.outbox), len(platform.emitted)

    created = await app.create_rejudging(SETTER, Scope(problem_id="a-plus-b"), "  a test was missing ")
    assert (created.judging_count, created.reason, created.create_user_id) == (2, "a test was missing", "s1")
    rejudging, judgings = await ready(app, created.rejudging_id)
    assert (rejudging.judged_count, rejudging.changed_count) == (2, 2)
    assert [(j.old_verdict, j.new.verdict, j.new.test_count, j.changed) for j in judgings] == [
        (Verdict.ACCEPTED, Verdict.WRONG_ANSWER, TESTS + 1, True)
    ] * 2
    # Until applied: the official verdict, its event log and its watchers are untouched, nothing is owed.
    official = await store.get(first.submission_id)
    assert (official.verdict, official.test_count, official.last_sequence) == (
        Verdict.ACCEPTED,
        TESTS,
        first.last_sequence,
    )
    assert len(store.outbox) == outbox_before and len(platform.emitted) == emitted_before

    applied = await app.apply_rejudging(ADMIN, created.rejudging_id)
    assert applied.state is RejudgingState.APPLIED and applied.close_user_id == "a1"
    now_first = await store.get(first.submission_id)
    assert (now_first.verdict, now_first.test_count, now_first.passed_test_count) == (
        Verdict.WRONG_ANSWER,
        TESTS + 1,
        TESTS,
    )
    assert now_first.last_sequence == first.last_sequence + 1
    # Live: the REJUDGED event went to this process's watchers and to realtime.
    rejudged = [e for _, e in platform.emitted[emitted_before:]]
    assert len(rejudged) == 2 and all(isinstance(e, Rejudged) and e.verdict is Verdict.WRONG_ANSWER for e in rejudged)
    # A watcher resuming after the old verdict gets the new one and the end; one replaying everything
    # goes past the superseded FINISHED to the REJUDGED event.
    (resumed,) = await asyncio.wait_for(_events(app, first.submission_id, first.last_sequence), 5)
    assert isinstance(resumed, Rejudged) and resumed.last and resumed.rejudging_id == created.rejudging_id
    replay = await asyncio.wait_for(_events(app, first.submission_id), 5)
    finished = [e for e in replay if e.type is EventType.FINISHED]
    assert [type(e) for e in finished] == [Superseded, Rejudged] and not finished[0].last and replay[-1].last
    assert [e.sequence for e in replay] == list(range(1, now_first.last_sequence + 1))

    owed = store.outbox[outbox_before:]
    contest = [contest_internal_service_pb2.RecordSubmissionResultRequest.FromString(r.payload)
               for r in owed if r.target == outbox.CONTEST]  # fmt: skip
    assert sorted(c.submission_id for c in contest) == sorted([first.submission_id, second.submission_id])
    assert all(c.judging_version == 1 and c.verdict == Verdict.WRONG_ANSWER.value and c.contest_id == "c1"
               for c in contest)  # fmt: skip
    notices = [notification_internal_service_pb2.SendNotificationRequest.FromString(r.payload)
               for r in owed if r.target == outbox.NOTIFICATION]  # fmt: skip
    assert sorted(n.idempotency_key for n in notices) == sorted(
        f"rejudged:{s.submission_id}:1" for s in (first, second)
    )
    assert "wrong answer" in notices[0].title and "Was accepted" in notices[0].body

    for again in (app.apply_rejudging, app.cancel_rejudging):
        with pytest.raises(FailedPrecondition) as closed:
            await again(SETTER, created.rejudging_id)
        assert closed.value.reason == "REJUDGING_CLOSED"


async def test_a_cancelled_rejudge_leaves_the_official_verdicts(platform: Platform):
    app, store = platform.app, platform.store
    (submission,) = await judged(platform, 1, contest_id="")
    platform.bundles.add_test("unsolvable")
    outbox_before, emitted_before = len(store.outbox), len(platform.emitted)
    created = await app.create_rejudging(SETTER, Scope(submission_ids=(submission.submission_id,)), "")
    _, judgings = await ready(app, created.rejudging_id)
    assert judgings[0].new.verdict is Verdict.WRONG_ANSWER

    cancelled = await app.cancel_rejudging(SETTER, created.rejudging_id)
    assert cancelled.state is RejudgingState.CANCELLED
    stored = await store.get(submission.submission_id)
    assert (stored.verdict, stored.test_count, stored.last_sequence) == (
        Verdict.ACCEPTED,
        TESTS,
        submission.last_sequence,
    )
    assert [r.verdict for r in stored.results] == [Verdict.ACCEPTED] * TESTS
    assert len(store.outbox) == outbox_before and len(platform.emitted) == emitted_before
    for again in (app.cancel_rejudging, app.apply_rejudging):
        with pytest.raises(FailedPrecondition) as closed:
            await again(ADMIN, created.rejudging_id)
        assert closed.value.reason == "REJUDGING_CLOSED" and "already cancelled" in str(closed.value)
    listed, _ = await app.list_rejudgings(SETTER, 10, None)
    assert [r.state for r in listed] == [RejudgingState.CANCELLED]


async def test_a_rejudge_cancelled_while_judged_records_nothing_more(platform: Platform):
    app, store = platform.app, platform.store
    (submission,) = await judged(platform, 1)
    platform.judge.gate = asyncio.Event()  # the next judging stops after compiling
    created = await app.create_rejudging(ADMIN, Scope(contest_id="c1"), "")
    for _ in range(500):
        if (await app.get_rejudging(ADMIN, created.rejudging_id))[0].state is RejudgingState.JUDGING:
            break
        await asyncio.sleep(0.01)
    with pytest.raises(FailedPrecondition) as not_ready:
        await app.apply_rejudging(ADMIN, created.rejudging_id)
    assert not_ready.value.reason == "REJUDGING_NOT_READY" and "0 of 1 judged" in str(not_ready.value)
    await app.cancel_rejudging(ADMIN, created.rejudging_id)
    platform.judge.gate.set()  # the judge goes on, loses its claim at its next write
    for _ in range(100):
        if not platform.pool.rejudging:
            break
        await asyncio.sleep(0.01)
    (judging,) = (await app.get_rejudging(ADMIN, created.rejudging_id))[1]
    assert judging.status is Status.RUNNING and judging.new is None and judging.results == ()
    assert (await store.get(submission.submission_id)).last_sequence == submission.last_sequence


async def test_only_setters_and_admins_rejudge(platform: Platform):
    app = platform.app
    (submission,) = await judged(platform, 1)
    scope = Scope(submission_ids=(submission.submission_id,))
    for call in (
        app.create_rejudging(USER, scope, ""),
        app.get_rejudging(USER, "r"),
        app.list_rejudgings(USER, 10, None),
        app.apply_rejudging(USER, "r"),
        app.cancel_rejudging(USER, "r"),
    ):
        with pytest.raises(PermissionDenied):
            await call
    assert (await app.create_rejudging(SETTER, scope, "")).judging_count == 1


async def test_what_a_rejudging_refuses(platform: Platform):
    app = platform.app
    (submission,) = await judged(platform, 1)
    with pytest.raises(InvalidArgument, match="must name submission_ids"):
        await app.create_rejudging(SETTER, Scope(), "")
    with pytest.raises(InvalidArgument):
        await app.create_rejudging(SETTER, Scope(problem_id="a-plus-b", contest_id="c1"), "")
    with pytest.raises(InvalidArgument):
        await app.create_rejudging(SETTER, Scope(submission_ids=("",)), "")
    with pytest.raises(InvalidArgument):
        await app.create_rejudging(SETTER, Scope(problem_id="a-plus-b"), "x" * 1001)
    with pytest.raises(NotFound):
        await app.create_rejudging(SETTER, Scope(submission_ids=(submission.submission_id, "nope")), "")
    with pytest.raises(FailedPrecondition) as nothing:
        await app.create_rejudging(SETTER, Scope(contest_id="no-such-contest"), "")
    assert nothing.value.reason == "NOTHING_TO_REJUDGE"
    for call in (app.get_rejudging, app.apply_rejudging, app.cancel_rejudging):
        with pytest.raises(NotFound):
            await call(SETTER, "no-such-rejudging")
    # Duplicate ids count once; a second open rejudging of the same submission is refused.
    twice = (submission.submission_id, submission.submission_id)
    assert (await app.create_rejudging(SETTER, Scope(submission_ids=twice), "")).judging_count == 1
    with pytest.raises(FailedPrecondition) as overlap:
        await app.create_rejudging(SETTER, Scope(problem_id="a-plus-b"), "")
    assert overlap.value.reason == "REJUDGING_OVERLAPS"


async def test_a_restarted_judge_resumes_its_rejudge_after_the_recorded_tests(platform: Platform):
    app, store = platform.app, platform.store
    (submission,) = await judged(platform, 1)
    await platform.pool.stop()
    created = await app.create_rejudging(SETTER, Scope(problem_id="a-plus-b"), "")
    key = await store.claim_next_judging("judge-a", utcnow(), dt.timedelta(seconds=30))
    await store.start_judging(key, owner="judge-a")
    await store.record_judging_test(key, TestOutcome(1, True, Verdict.ACCEPTED, cpu_ms=99), owner="judge-a")
    await platform.pool.start()  # the same owner: takes the judging back at once
    _, (judging,) = await ready(app, created.rejudging_id)
    assert [r.cpu_ms for r in judging.results] == [99] + [5] * (TESTS - 1) and judging.new.verdict is Verdict.ACCEPTED
    assert (await app.apply_rejudging(SETTER, created.rejudging_id)).changed_count == 0
    assert (await store.get(submission.submission_id)).last_sequence == submission.last_sequence  # no change, no event
