"""The execution use cases and judges on the in-memory store, no sandbox: submitting, watching,
claims, the queue limit, RunCode's checks, and the judge pool's handling of a bundle it cannot
fetch, a language gone and a judge that fails (a fake judge stands in for the sandbox).

The same contract holds for SQLite and PostgreSQL (tests/integration/db/test_execution_store.py);
judging real programs is in tests/integration/execution/test_app.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import pathlib

import grpc
import pytest

from arena.core.errors import InvalidArgument, NotFound, OutOfRange, PermissionDenied, ResourceExhausted
from arena.core.identity import Identity
from arena.demo.problems import judge_bundle, load
from arena.execution import outbox
from arena.execution.app import AppSettings, ExecutionApp, WatchStart
from arena.execution.domain import (
    EventType,
    Final,
    RunReport,
    RunStatus,
    Status,
    SubmissionFilters,
    TestOutcome,
    Verdict,
    overall,
)
from arena.execution.judge import Bundle, Compiled, Judge, Steps
from arena.execution.languages import LANGUAGES, Available, Language
from arena.execution.store import InMemoryExecutionStore, LostClaim
from arena.execution.watchers import EventFeed
from arena.execution.worker import JudgePool, PoolSettings
from arena.kit.db import utcnow
from arena.kit.status import code_of

A_PLUS_B = next(p for p in load() if p.slug == "a-plus-b")
ACCEPTED = A_PLUS_B.solutions["accepted.py"][1]
USER = Identity("u1", "u1", frozenset({"USER"}), token_id="t1", session_id="s1", expires_at=0.0)
OTHER = Identity("u2", "u2", frozenset({"USER"}), token_id="t2", session_id="s2", expires_at=0.0)
ADMIN = Identity("a1", "a1", frozenset({"USER", "SETTER", "ADMIN"}), token_id="t3", session_id="s3", expires_at=0.0)
PYTHON = next(language for language in LANGUAGES if language.language_id == "python3")


class Bundles:
    def __init__(self) -> None:
        self.bundle = judge_bundle(A_PLUS_B)
        self.failing = False

    async def get(self, problem_id: str, *, fresh: bool = False) -> Bundle | None:
        if self.failing:
            raise ConnectionError("the problem service is down")
        return self.bundle if problem_id == "a-plus-b" else None


class FakeRunner:
    """RunCode's sandbox side, faked: echoes stdin; a source containing "syntax error" fails to compile."""

    def __init__(self) -> None:
        self.discarded = 0

    async def compile(self, language: Language, source: str) -> Compiled:
        ok = "syntax error" not in source
        return Compiled(pathlib.Path("/nonexistent"), ok, "" if ok else "SyntaxError")

    def discard(self, compiled: Compiled) -> None:
        self.discarded += 1

    async def run(self, compiled: Compiled, language: Language, stdin: str, time_ms: int, memory_kib: int) -> RunReport:
        return RunReport(status=RunStatus.OK, stdout=stdin, cpu_ms=time_ms // 100, memory_kib=memory_kib // 1024)


class FakeJudge(Judge):
    """Every test accepted (or the judge fails, when told to), without a sandbox."""

    def __init__(self) -> None:
        self.languages = {PYTHON.language_id: PYTHON}
        self.fail = False

    async def judge(self, language, source, bundle, *, run_all_tests, done=(), steps: Steps) -> Final:
        results = {r.ordinal: r for r in done}
        await steps.compiling()
        await steps.running()
        for test in bundle.tests:
            if test.ordinal in results:
                continue
            if self.fail and test.ordinal == 2:
                raise RuntimeError("the sandbox broke")
            results[test.ordinal] = TestOutcome(test.ordinal, test.sample, Verdict.ACCEPTED, cpu_ms=5)
            await steps.test_finished(results[test.ordinal])
        return overall(list(results.values()), len(bundle.tests))


@pytest.fixture
def store() -> InMemoryExecutionStore:
    return InMemoryExecutionStore()


def make_app(store, *, runner=None, **settings) -> ExecutionApp:
    return ExecutionApp(
        store, runner or FakeRunner(), [Available(PYTHON, "test")], Bundles(), AppSettings(**settings), feed=EventFeed()
    )


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


async def _rest(events) -> list:
    return [e async for e in events]


async def test_a_judge_that_lost_its_claim_cannot_record_anything(store):
    app = make_app(store)
    submission = await submit(app)
    past = utcnow() - dt.timedelta(minutes=5)
    assert await store.claim_next("judge-a", past, dt.timedelta(seconds=30)) == submission.submission_id
    # judge-a stalled past its lease; judge-b takes the submission over.
    assert await store.claim_next("judge-b", utcnow(), dt.timedelta(seconds=30)) == submission.submission_id
    assert await store.claim_next("judge-c", utcnow(), dt.timedelta(seconds=30)) is None
    with pytest.raises(LostClaim):
        await store.advance(submission.submission_id, EventType.COMPILING, Status.COMPILING, utcnow(), owner="judge-a")
    event = await store.advance(
        submission.submission_id, EventType.COMPILING, Status.COMPILING, utcnow(), owner="judge-b"
    )
    assert event.sequence == 2


async def test_a_watcher_fills_gaps_from_the_store_and_resumes_after_a_sequence(store):
    app = make_app(store, watch_poll_s=0.05)
    submission = await submit(app)
    await store.claim_next("elsewhere", utcnow(), dt.timedelta(seconds=30))

    watching = app.watch(USER, submission.submission_id, 0)
    start = await asyncio.wait_for(anext(watching), 10)
    assert start.submission.status is Status.QUEUED and not start.last
    events = [await asyncio.wait_for(anext(watching), 10)]  # QUEUED, replayed: the watcher now waits
    # Another instance judges: it writes to the store only, with no in-process fan-out.
    await store.advance(submission.submission_id, EventType.COMPILING, Status.COMPILING, utcnow(), owner="elsewhere")
    failed = dataclasses.replace(overall([], 10), verdict=Verdict.INTERNAL_ERROR)
    await store.finish(submission.submission_id, failed, utcnow(), [], owner="elsewhere")
    events += await asyncio.wait_for(_rest(watching), 10)
    assert [e.sequence for e in events] == [1, 2, 3]
    assert [e.sequence for e in await watch_all(app, submission.submission_id, after=2)] == [3]


async def test_watching_a_finished_submission_from_its_end_ends_at_once(store):
    app = make_app(store)
    submission = await submit(app)
    await store.claim_next("elsewhere", utcnow(), dt.timedelta(seconds=30))
    await store.advance(submission.submission_id, EventType.COMPILING, Status.COMPILING, utcnow(), owner="elsewhere")
    final = dataclasses.replace(overall([], 10), verdict=Verdict.COMPILATION_ERROR)
    await store.finish(submission.submission_id, final, utcnow(), [], owner="elsewhere")  # event 3, the last

    for after in (3, 4, 1000):  # at or past the last event: only the start, marked last, then the end
        items = await asyncio.wait_for(_rest(app.watch(USER, submission.submission_id, after)), 5)
        assert len(items) == 1 and isinstance(items[0], WatchStart) and items[0].last
        snapshot = items[0].submission
        assert snapshot.status is Status.FINISHED and snapshot.verdict is Verdict.COMPILATION_ERROR
        assert snapshot.last_sequence == 3 and snapshot.source == "" and snapshot.results == ()
    start, *events = await asyncio.wait_for(_rest(app.watch(USER, submission.submission_id, 2)), 5)
    assert not start.last and [e.sequence for e in events] == [3] and events[0].last


async def test_watching_past_the_end_of_an_unfinished_submission_is_out_of_range(store):
    app = make_app(store)
    submission = await submit(app)  # event 1 (QUEUED); nobody judges it here
    with pytest.raises(OutOfRange) as caught:
        await anext(app.watch(USER, submission.submission_id, 2))
    assert code_of(caught.value) is grpc.StatusCode.OUT_OF_RANGE
    assert [v.field for v in caught.value.violations] == ["after_sequence"]
    assert "(1)" in caught.value.violations[0].description
    watching = app.watch(USER, submission.submission_id, 1)  # at the end: waits for what comes next
    start = await asyncio.wait_for(anext(watching), 5)
    assert not start.last and start.submission.queue_position == 1
    await watching.aclose()
    assert not app.watchers._queues  # the watch unsubscribed when closed


async def test_bad_submissions_and_a_full_queue_are_refused(store):
    app = make_app(store, queue_limit=2)
    with pytest.raises(InvalidArgument) as caught:
        await app.create_submission(USER, problem_id="a-plus-b", language_id="cobol", source="x", contest_id="",
                                    run_all_tests=False)  # fmt: skip
    assert caught.value.reason == "LANGUAGE_UNSUPPORTED"
    with pytest.raises(InvalidArgument) as caught:
        await submit(app, source="#" * (64 * 1024 + 1))
    assert caught.value.reason == "PAYLOAD_TOO_LARGE"
    with pytest.raises(NotFound):
        await app.create_submission(USER, problem_id="nope", language_id="python3", source="x", contest_id="",
                                    run_all_tests=False)  # fmt: skip
    await submit(app)
    await submit(app)
    with pytest.raises(ResourceExhausted) as caught:
        await submit(app)
    assert caught.value.reason == "JUDGE_QUEUE_FULL"


async def test_sources_are_shown_only_to_their_author(store):
    app = make_app(store)
    submission = await submit(app)
    assert (await app.get_submission(OTHER, submission.submission_id)).source == ""
    assert (await app.get_submission(USER, submission.submission_id)).source == ACCEPTED


def test_outbox_backoff_grows_and_is_capped():
    assert [outbox.backoff(n).total_seconds() for n in range(4)] == [1, 2, 4, 8]
    assert outbox.backoff(50).total_seconds() == 600


async def test_a_verdict_owes_analytics_notification_and_the_contest(store):
    submission = dataclasses.replace(await submit(make_app(store)), contest_id="c1")
    final = Final(Verdict.ACCEPTED, 1.0, 10, 10, 20, 3000)
    targets = [target for target, _ in outbox.on_judged(submission, final, utcnow())]
    assert sorted(targets) == sorted([outbox.ANALYTICS, outbox.NOTIFICATION, outbox.CONTEST])


async def test_listing_is_the_callers_own_unless_an_admin_asks(store):
    app = make_app(store)
    mine = await submit(app)
    theirs = await submit(app, caller=OTHER)
    listed, _ = await app.list_submissions(USER, SubmissionFilters(), 10, None)
    assert [s.submission_id for s in listed] == [mine.submission_id] and listed[0].source == ""
    with pytest.raises(PermissionDenied):
        await app.list_submissions(USER, SubmissionFilters(user_id="u2"), 10, None)
    everyone, _ = await app.list_submissions(ADMIN, SubmissionFilters(), 10, None)
    assert {s.submission_id for s in everyone} == {mine.submission_id, theirs.submission_id}
    with pytest.raises(NotFound):
        await app.get_submission(USER, "nope")


async def test_run_code_checks_limits_and_reports_compilation_errors(store):
    runner = FakeRunner()
    app = make_app(store, runner=runner)
    report = await app.run_code("python3", "print(input())", "hi", time_limit_ms=None, memory_limit_kib=None)
    assert (report.status, report.stdout, report.cpu_ms) == (RunStatus.OK, "hi", 20)  # 2000 ms by default
    failed = await app.run_code("python3", "syntax error", "", time_limit_ms=None, memory_limit_kib=None)
    assert (failed.status, failed.compile_output) == (RunStatus.COMPILATION_ERROR, "SyntaxError")
    assert runner.discarded == 2
    with pytest.raises(InvalidArgument) as caught:
        await app.run_code("python3", "x", "", time_limit_ms=50, memory_limit_kib=None)
    assert [v.field for v in caught.value.violations] == ["time_limit"]
    with pytest.raises(InvalidArgument) as caught:
        app.run_batch("python3", "x", [], time_limit_ms=None, memory_limit_kib=None)
    assert [v.field for v in caught.value.violations] == ["inputs"]
    results = [r async for r in app.run_batch("python3", "x", ["a", "b"], time_limit_ms=None, memory_limit_kib=None)]
    assert sorted((r.input_index, r.report.stdout) for r in results) == [(0, "a"), (1, "b")]
    assert [r.completed_count for r in results] == [1, 2] and results[-1].last


def make_pool(store, app: ExecutionApp, judge: FakeJudge, **settings) -> JudgePool:
    return JudgePool(
        store, judge, judge.languages, app.bundles, PoolSettings(owner="judge-a", workers=1, **settings), feed=app.feed
    )


async def test_the_pool_judges_what_is_queued_and_a_verdict_owes_its_calls(store):
    app = make_app(store)
    finished = []
    pool = make_pool(store, app, FakeJudge())
    pool.on_finished = lambda: finished.append(True)
    app.on_queued = pool.wake
    await pool.start()
    try:
        submission = await submit(app)
        events = await asyncio.wait_for(watch_all(app, submission.submission_id), 10)
    finally:
        await pool.stop()
    assert [e.type for e in events][:3] == [EventType.QUEUED, EventType.COMPILING, EventType.RUNNING]
    assert events[-1].verdict is Verdict.ACCEPTED and finished == [True]
    owed = sorted(r.target for r in store.outbox)
    assert owed == sorted([outbox.ANALYTICS, outbox.ANALYTICS, outbox.NOTIFICATION])  # created, judged


async def test_the_pool_gives_back_a_submission_whose_problem_it_cannot_fetch(store):
    app = make_app(store)
    submission = await submit(app)
    pool = make_pool(store, app, FakeJudge())
    now = utcnow()
    assert await store.claim_next("judge-a", now, dt.timedelta(seconds=30)) == submission.submission_id
    app.bundles.failing = True
    await pool.judge_submission(submission.submission_id)
    assert (await store.get(submission.submission_id)).status is Status.QUEUED
    assert await store.claim_next("judge-b", now + dt.timedelta(seconds=1), dt.timedelta(seconds=30)) is None
    later = now + dt.timedelta(seconds=6)  # retry_bundle_after: 5 s
    assert await store.claim_next("judge-b", later, dt.timedelta(seconds=30)) == submission.submission_id


async def test_a_failing_judge_finishes_with_an_internal_error_keeping_recorded_tests(store):
    app = make_app(store)
    judge = FakeJudge()
    judge.fail = True
    pool = make_pool(store, app, judge, idle_poll_s=0.01)
    submission = await submit(app)
    await pool.start()
    try:
        events = await asyncio.wait_for(watch_all(app, submission.submission_id), 10)
    finally:
        await pool.stop()
    assert events[-1].verdict is Verdict.INTERNAL_ERROR
    stored = await store.get(submission.submission_id)
    assert [r.ordinal for r in stored.results] == [1] and stored.passed_test_count == 1
    assert not pool.judging


async def test_a_submission_in_a_language_no_longer_offered_is_an_internal_error(store):
    app = make_app(store)
    submission = await submit(app)
    judge = FakeJudge()
    judge.languages = {}
    pool = make_pool(store, app, judge)
    await store.claim_next("judge-a", utcnow(), dt.timedelta(seconds=30))
    await pool.judge_submission(submission.submission_id)
    assert (await store.get(submission.submission_id)).verdict is Verdict.INTERNAL_ERROR


SETTER = Identity("s1", "s1", frozenset({"USER", "SETTER"}), token_id="t4", session_id="s4", expires_at=0.0)


async def test_judge_notes_are_for_the_problems_author_and_admins_only(store):
    app = make_app(store)
    app.bundles.bundle = dataclasses.replace(app.bundles.bundle, author_id=SETTER.user_id)
    submission = await submit(app)
    await store.claim_next("elsewhere", utcnow(), dt.timedelta(seconds=30))
    notes = "test 3: checker failed: expected 42, found 41"  # may quote a hidden test's data
    final = dataclasses.replace(overall([], 10), verdict=Verdict.INTERNAL_ERROR, judge_notes=notes)
    await store.finish(submission.submission_id, final, utcnow(), [], owner="elsewhere")

    assert (await app.get_submission(SETTER, submission.submission_id)).judge_notes == notes
    assert (await app.get_submission(ADMIN, submission.submission_id)).judge_notes == notes
    assert (await app.get_submission(USER, submission.submission_id)).judge_notes == ""  # its own author
    assert (await app.get_submission(OTHER, submission.submission_id)).judge_notes == ""
    another_setter = dataclasses.replace(SETTER, user_id="s2")
    assert (await app.get_submission(another_setter, submission.submission_id)).judge_notes == ""
    app.bundles.failing = True  # the author cannot be told: nothing shown (admins still see the notes)
    assert (await app.get_submission(SETTER, submission.submission_id)).judge_notes == ""
    assert (await app.get_submission(ADMIN, submission.submission_id)).judge_notes == notes
    app.bundles.failing = False
    listed, _ = await app.list_submissions(ADMIN, SubmissionFilters(), 10, None)
    assert [s.judge_notes for s in listed] == [""]
    start = (await asyncio.wait_for(_rest(app.watch(SETTER, submission.submission_id, 0)), 5))[0]
    assert start.submission.judge_notes == ""


async def test_lint_checks_the_language_and_the_source_before_the_linter_runs(store):
    class Linter:
        calls = 0

        async def lint(self, language_id: str, source: str):
            Linter.calls += 1
            return "ruff 0", []

    app = ExecutionApp(
        store, FakeRunner(), [Available(PYTHON, "test")], Bundles(), AppSettings(), feed=EventFeed(), linter=Linter()
    )
    with pytest.raises(InvalidArgument):
        await app.lint("cobol", "print(1)\n")
    with pytest.raises(InvalidArgument):
        await app.lint("python3", "   ")
    with pytest.raises(InvalidArgument):
        await app.lint("python3", "x" * (70 * 1024))
    assert Linter.calls == 0
    assert await app.lint("python3", "print(1)\n") == ("ruff 0", [])
