"""The execution service's use cases: submissions and their judging, watching, running code.

Submissions are persisted before the reply; judges (``workers`` per process) claim them
from the store (see ``store``), so any instance may judge any submission and a restarted
one takes back what it held. Each step is stored, then fanned out to watchers in this
process and, best-effort, to the realtime service; the verdict's calls to other services
go through the outbox (``outbox``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import structlog

from arena.execution import outbox
from arena.execution.bundles import BundleSource
from arena.execution.domain import (
    MAX_BATCH_INPUTS,
    MAX_SOURCE_BYTES,
    MAX_STDIN_BYTES,
    RUN_CODE_DEFAULT_MEMORY_KIB,
    RUN_CODE_DEFAULT_TIME_LIMIT_MS,
    RUN_CODE_MEMORY_LIMIT_KIB,
    RUN_CODE_TIME_LIMIT_MS,
    RUN_OUTPUT_CAP_BYTES,
    Event,
    EventType,
    Final,
    RunReport,
    RunStatus,
    Status,
    Submission,
    SubmissionFilters,
    TestOutcome,
    Verdict,
    cap_text,
    classify,
    overall,
)
from arena.execution.judge import Compiled, Judge, Steps
from arena.execution.languages import Available, Language
from arena.execution.sandbox import Limits
from arena.execution.store import LostClaim, SqlExecutionStore
from arena.execution.watchers import Watchers
from arena.kit.auth import Identity
from arena.kit.db import utcnow
from arena.kit.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
)
from arena.kit.ids import new_id

log = structlog.get_logger("arena.execution")

Authorize = Callable[[str, str, str], Awaitable[bool]]
"""(contest_id, user_id, problem_id) -> run_all_tests; raises when the user may not submit there."""
OnEvent = Callable[[Submission, Event], None]
WATCHER_HEAD_START_S = 0.001


async def contests_closed(contest_id: str, user_id: str, problem_id: str) -> bool:
    raise FailedPrecondition("contest submissions are not open", reason="CONTEST_NOT_RUNNING")


@dataclasses.dataclass(frozen=True)
class Settings:
    owner: str
    """This judge's identity in claims; stable across restarts so a restart takes its work back."""
    workers: int
    queue_limit: int = 1000
    lease: dt.timedelta = dt.timedelta(seconds=30)
    idle_poll_s: float = 0.5
    """How often an idle judge looks for work another instance queued."""
    watch_poll_s: float = 1.0
    """How often a watcher re-reads the store (for events another instance wrote)."""
    retry_bundle_after: dt.timedelta = dt.timedelta(seconds=5)


@dataclasses.dataclass(frozen=True)
class WatchStart:
    """The first item of a watch: the submission as it stands (without source and per-test results;
    the events carry those), and whether it is also the last (finished, nothing after the resume point)."""

    submission: Submission
    last: bool


@dataclasses.dataclass(frozen=True)
class BatchResult:
    input_index: int
    report: RunReport
    completed_count: int
    last: bool


def can_view(submission: Submission, caller: Identity) -> bool:
    """Anyone signed in sees practice submissions' results; contest ones only their author and admins."""
    return not submission.contest_id or submission.user_id == caller.user_id or caller.is_admin


def can_read_source(submission: Submission, caller: Identity) -> bool:
    return submission.user_id == caller.user_id or caller.is_admin


def _limits(time_limit_ms: int | None, memory_kib: int | None) -> tuple[int, int]:
    time_ms = time_limit_ms or RUN_CODE_DEFAULT_TIME_LIMIT_MS
    memory = memory_kib or RUN_CODE_DEFAULT_MEMORY_KIB
    low, high = RUN_CODE_TIME_LIMIT_MS
    if not low <= time_ms <= high:
        raise InvalidArgument.field("time_limit", f"must be between {low} ms and {high} ms")
    low, high = RUN_CODE_MEMORY_LIMIT_KIB
    if not low <= memory <= high:
        raise InvalidArgument.field("memory_limit_kib", f"must be between {low} and {high} KiB")
    return time_ms, memory


def _check_source(source: str, field: str) -> None:
    if not source.strip():
        raise InvalidArgument.field(field, "must not be empty")
    if len(source.encode()) > MAX_SOURCE_BYTES:
        raise InvalidArgument.field(
            field, f"must be at most {MAX_SOURCE_BYTES // 1024} KiB", reason="PAYLOAD_TOO_LARGE"
        )


class _Recorder(Steps):
    """Stores each judging step under this judge's claim and passes it on."""

    def __init__(self, app: ExecutionApp, submission: Submission) -> None:
        self._app = app
        self._submission = submission

    async def _advance(self, type_: EventType, status: Status) -> None:
        app = self._app
        event = await app.store.advance(self._submission.submission_id, type_, status, app.clock(), owner=app.owner)
        app.emit(self._submission, event)

    async def compiling(self) -> None:
        if self._submission.status is Status.QUEUED:  # a resumed submission does not go back
            await self._advance(EventType.COMPILING, Status.COMPILING)

    async def running(self) -> None:
        if self._submission.status in (Status.QUEUED, Status.COMPILING):
            await self._advance(EventType.RUNNING, Status.RUNNING)

    async def test_finished(self, outcome: TestOutcome) -> None:
        app = self._app
        event = await app.store.record_test(self._submission.submission_id, outcome, app.clock(), owner=app.owner)
        app.emit(self._submission, event)
        # Starting the next run is a few milliseconds of synchronous work (cgroups, files, spawn)
        # on this event loop; let the watchers' streams send this result first.
        await asyncio.sleep(WATCHER_HEAD_START_S)


class ExecutionApp:
    def __init__(
        self,
        store: SqlExecutionStore,
        judge: Judge,
        languages: list[Available],
        bundles: BundleSource,
        settings: Settings,
        *,
        authorize: Authorize = contests_closed,
        on_event: OnEvent | None = None,
        dispatcher: outbox.Dispatcher | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.store = store
        self.judge = judge
        self.languages = {a.language.language_id: a for a in languages}
        self.bundles = bundles
        self.settings = settings
        self.owner = settings.owner
        self.authorize = authorize
        self.on_event = on_event
        self.dispatcher = dispatcher
        self.clock = clock
        self.watchers = Watchers()
        self.judging: set[str] = set()
        self._work = asyncio.Event()
        self._reclaimed: collections.deque[str] = collections.deque()
        self._tasks: list[asyncio.Task[Any]] = []

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Takes back what this judge held before a restart, then starts the workers."""
        self._reclaimed.extend(await self.store.reclaim(self.owner, self.clock(), self.settings.lease))
        if self._reclaimed:
            log.info("resuming unfinished submissions", count=len(self._reclaimed))
        self._tasks = [asyncio.create_task(self._worker(), name=f"judge-{i}") for i in range(self.settings.workers)]
        self._tasks.append(asyncio.create_task(self._renew_leases(), name="judge-leases"))
        if self.dispatcher is not None:
            self._tasks.append(asyncio.create_task(self.dispatcher.run(), name="outbox"))

    async def stop(self) -> None:
        """Stops judging at once; claims stay with this owner, so a restart resumes them."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    # -- events -------------------------------------------------------------------------------

    def emit(self, submission: Submission, event: Event) -> None:
        self.watchers.publish(event)
        if self.on_event is not None:
            self.on_event(submission, event)

    # -- submissions --------------------------------------------------------------------------

    def language(self, language_id: str, field: str) -> Language:
        available = self.languages.get(language_id)
        if available is None:
            offered = ", ".join(sorted(self.languages)) or "none"
            raise InvalidArgument.field(
                field, f"is not offered here (offered: {offered})", reason="LANGUAGE_UNSUPPORTED"
            )
        return available.language

    async def create_submission(
        self, caller: Identity, *, problem_id: str, language_id: str, source: str, contest_id: str, run_all_tests: bool
    ) -> Submission:
        self.language(language_id, "submission.language_id")
        _check_source(source, "submission.source")
        bundle = await self.bundles.get(problem_id)
        if bundle is None:
            raise NotFound("problem", problem_id)
        if not bundle.tests:
            raise FailedPrecondition("this problem has no tests to judge against", reason="PROBLEM_NOT_JUDGEABLE")
        if contest_id:
            run_all_tests = await self.authorize(contest_id, caller.user_id, problem_id)
        if await self.store.queued_count() >= self.settings.queue_limit:
            raise ResourceExhausted(
                "the judge queue is full; try again shortly", retry_after_s=5.0, reason="JUDGE_QUEUE_FULL"
            )
        now = self.clock()
        submission = Submission(
            submission_id=new_id(),
            user_id=caller.user_id,
            problem_id=bundle.problem_id,  # the id, also when the caller named the problem by its slug
            contest_id=contest_id,
            language_id=language_id,
            source=source,
            run_all_tests=run_all_tests,
            status=Status.QUEUED,
            create_time=now,
            test_count=len(bundle.tests),
        )
        event = await self.store.create(submission, len(bundle.tests), now, outbox.on_created(submission, now))
        self.emit(submission, event)
        self._work.set()
        if self.dispatcher is not None:
            self.dispatcher.kick()
        log.info("submission queued", submission_id=submission.submission_id, problem_id=problem_id,
                 language=language_id)  # fmt: skip
        return dataclasses.replace(submission, queue_position=await self.store.queue_position(submission))

    async def _viewable(self, caller: Identity, submission_id: str) -> Submission:
        submission = await self.store.get(submission_id)
        if submission is None or not can_view(submission, caller):
            raise NotFound("submission", submission_id)
        return submission

    async def get_submission(self, caller: Identity, submission_id: str) -> Submission:
        submission = await self._viewable(caller, submission_id)
        if not can_read_source(submission, caller):
            submission = dataclasses.replace(submission, source="")
        return dataclasses.replace(submission, queue_position=await self.store.queue_position(submission))

    async def source(self, submission_id: str) -> Submission:
        """A submission with its source, for other services (internal)."""
        submission = await self.store.get(submission_id)
        if submission is None:
            raise NotFound("submission", submission_id)
        return submission

    async def list_submissions(
        self, caller: Identity, filters: SubmissionFilters, limit: int, cursor: list[Any] | None
    ) -> tuple[list[Submission], list[Any] | None]:
        if filters.user_id and filters.user_id != caller.user_id and not caller.is_admin:
            raise PermissionDenied("only admins list other users' submissions", reason="ROLE_REQUIRED")
        if not filters.user_id and not caller.is_admin:
            filters = dataclasses.replace(filters, user_id=caller.user_id)
        submissions, next_cursor = await self.store.list(filters, limit, cursor)
        return [dataclasses.replace(s, source="") for s in submissions], next_cursor

    async def watch(
        self, caller: Identity, submission_id: str, after_sequence: int
    ) -> AsyncGenerator[WatchStart | Event, None]:
        """A ``WatchStart`` as soon as the watch is checked and subscribed, then every event after
        ``after_sequence``, stored ones first, then live; ends after FINISHED.

        Checked before anything is yielded (so a refusal is an error status, not a broken stream):
        the caller may see the submission, and ``after_sequence`` names an event that exists, or is
        at or past the end of a finished submission (then nothing follows the start: the verdict is
        final). Past the end of an unfinished one is OUT_OF_RANGE: no such event was ever sent.
        """
        submission = await self._viewable(caller, submission_id)
        finished = submission.status is Status.FINISHED
        if after_sequence > submission.last_sequence and not finished:
            raise OutOfRange.field(
                "after_sequence",
                f"is past the submission's last event ({submission.last_sequence}); resume with the sequence"
                " of the last event received",
            )
        queue = self.watchers.subscribe(submission_id)  # before reading the store: nothing is missed
        try:
            snapshot = dataclasses.replace(
                submission, source="", results=(), queue_position=await self.store.queue_position(submission)
            )
            ended = finished and after_sequence >= submission.last_sequence
            yield WatchStart(snapshot, last=ended)
            if ended:
                return
            last = max(0, after_sequence)
            pending = await self.store.events_after(submission_id, last)
            while True:
                for event in pending:
                    if event.sequence != last + 1:
                        break  # out of order (a gap): the store fills it in below
                    last = event.sequence
                    yield event
                    if event.last:
                        return
                try:
                    event = await asyncio.wait_for(queue.get(), self.settings.watch_poll_s)
                except TimeoutError:
                    pending = await self.store.events_after(submission_id, last)
                    continue
                if event.sequence <= last:
                    pending = []
                elif event.sequence == last + 1:
                    pending = [event]
                else:
                    pending = await self.store.events_after(submission_id, last)
        finally:
            self.watchers.unsubscribe(submission_id, queue)

    # -- judging ------------------------------------------------------------------------------

    async def _worker(self) -> None:
        while True:
            if self._reclaimed:
                submission_id = self._reclaimed.popleft()
            else:
                self._work.clear()
                submission_id = await self._claim()
                if submission_id is None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._work.wait(), self.settings.idle_poll_s)
                    continue
                self._work.set()  # there may be more: let another idle judge look too
            self.judging.add(submission_id)
            try:
                await self.judge_submission(submission_id)
            except LostClaim:
                log.warning("lost the claim on a submission; another judge has it", submission_id=submission_id)
            except Exception:
                log.exception("judging failed", submission_id=submission_id)
                await self._finish_internal_error(submission_id)
            finally:
                self.judging.discard(submission_id)

    async def _claim(self) -> str | None:
        try:
            return await self.store.claim_next(self.owner, self.clock(), self.settings.lease)
        except Exception:
            log.exception("could not claim work")
            return None

    async def _renew_leases(self) -> None:
        interval = self.settings.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self.store.renew(self.owner, sorted(self.judging), self.clock() + self.settings.lease)
            except Exception:
                log.exception("could not renew judge leases")

    async def judge_submission(self, submission_id: str) -> None:
        """Judges one claimed submission to its verdict (resuming after the tests already recorded)."""
        submission = await self.store.get(submission_id)
        if submission is None or submission.status is Status.FINISHED:
            return
        available = self.languages.get(submission.language_id)
        try:
            bundle = await self.bundles.get(submission.problem_id)
        except Exception as exc:
            log.warning("judge bundle unavailable; retrying later", submission_id=submission_id, error=str(exc))
            await self.store.release(self.owner, submission_id, self.clock() + self.settings.retry_bundle_after)
            return
        if bundle is None or available is None:
            why = "the problem no longer exists" if bundle is None else "the language is no longer offered"
            log.error("cannot judge submission", submission_id=submission_id, reason=why)
            await self._finish(submission, dataclasses.replace(overall([], 0), verdict=Verdict.INTERNAL_ERROR))
            return
        log.info("judging", submission_id=submission_id, tests=len(bundle.tests), resumed=len(submission.results))
        final = await self.judge.judge(
            available.language,
            submission.source,
            bundle,
            run_all_tests=submission.run_all_tests,
            done=submission.results,
            steps=_Recorder(self, submission),
        )
        await self._finish(submission, final)

    async def _finish(self, submission: Submission, final: Final) -> None:
        now = self.clock()
        event = await self.store.finish(
            submission.submission_id, final, now, outbox.on_judged(submission, final, now), owner=self.owner
        )
        self.emit(submission, event)
        if self.dispatcher is not None:
            self.dispatcher.kick()
        log.info("judged", submission_id=submission.submission_id, verdict=final.verdict.name,
                 passed=final.passed, tests=final.test_count)  # fmt: skip

    async def _finish_internal_error(self, submission_id: str) -> None:
        with contextlib.suppress(Exception):
            submission = await self.store.get(submission_id)
            if submission is not None and submission.status is not Status.FINISHED:
                final = overall(list(submission.results), submission.test_count)
                await self._finish(submission, dataclasses.replace(final, verdict=Verdict.INTERNAL_ERROR))

    # -- running code -------------------------------------------------------------------------

    async def _run(
        self, compiled: Compiled, language: Language, stdin: str, time_ms: int, memory_kib: int
    ) -> RunReport:
        cpu_s = time_ms / 1000
        limits = Limits(
            cpu_time_s=cpu_s,
            wall_time_s=cpu_s * 3 + 1,
            memory_kib=memory_kib + language.extra_memory_kib,
            processes=language.run_processes,
            file_size_bytes=RUN_OUTPUT_CAP_BYTES * 16,
        )
        outcome = await self.judge.sandbox.run(
            compiled.workspace,
            language.run_command(memory_kib),
            limits=limits,
            stdin=stdin.encode(),
            capture_bytes=RUN_OUTPUT_CAP_BYTES,
        )
        return RunReport(
            status=classify(outcome, cpu_limit_s=cpu_s, memory_limit_kib=limits.memory_kib),
            stdout=cap_text(outcome.stdout, RUN_OUTPUT_CAP_BYTES),
            stderr=cap_text(outcome.stderr, RUN_OUTPUT_CAP_BYTES),
            stdout_truncated=outcome.stdout_truncated,
            stderr_truncated=outcome.stderr_truncated,
            exit_code=outcome.exit_code or 0,
            signal=outcome.signal or 0,
            cpu_ms=round(outcome.cpu_time_s * 1000),
            wall_ms=round(outcome.wall_time_s * 1000),
            memory_kib=outcome.memory_kib,
            compile_output=compiled.output,
        )

    def _check_run(self, language_id: str, source: str, stdins: list[str], field: str) -> Language:
        language = self.language(language_id, "language_id")
        _check_source(source, "source")
        for index, stdin in enumerate(stdins):
            if len(stdin.encode()) > MAX_STDIN_BYTES:
                raise InvalidArgument.field(
                    field.format(index=index),
                    f"must be at most {MAX_STDIN_BYTES // 1024} KiB",
                    reason="PAYLOAD_TOO_LARGE",
                )
        return language

    async def run_code(
        self, language_id: str, source: str, stdin: str, *, time_limit_ms: int | None, memory_limit_kib: int | None
    ) -> RunReport:
        language = self._check_run(language_id, source, [stdin], "stdin")
        time_ms, memory_kib = _limits(time_limit_ms, memory_limit_kib)
        compiled = await self.judge.compile(language, source)
        try:
            if not compiled.ok:
                return RunReport(status=RunStatus.COMPILATION_ERROR, compile_output=compiled.output)
            return await self._run(compiled, language, stdin, time_ms, memory_kib)
        finally:
            self.judge.sandbox.discard(compiled.workspace)

    def run_batch(
        self,
        language_id: str,
        source: str,
        inputs: list[str],
        *,
        time_limit_ms: int | None,
        memory_limit_kib: int | None,
    ) -> AsyncGenerator[BatchResult, None]:
        """Checks the request at once (raising before anything runs), then compiles once, runs every
        input (as many at once as the sandbox allows) and yields each result as it ends."""
        if not inputs:
            raise InvalidArgument.field("inputs", "must hold at least one input")
        if len(inputs) > MAX_BATCH_INPUTS:
            raise InvalidArgument.field("inputs", f"must hold at most {MAX_BATCH_INPUTS} inputs")
        language = self._check_run(language_id, source, inputs, "inputs[{index}]")
        time_ms, memory_kib = _limits(time_limit_ms, memory_limit_kib)
        return self._run_batch(language, source, inputs, time_ms, memory_kib)

    async def _run_batch(
        self, language: Language, source: str, inputs: list[str], time_ms: int, memory_kib: int
    ) -> AsyncGenerator[BatchResult, None]:
        compiled = await self.judge.compile(language, source)
        try:
            if not compiled.ok:
                failed = RunReport(status=RunStatus.COMPILATION_ERROR, compile_output=compiled.output)
                for index in range(len(inputs)):
                    yield BatchResult(index, failed, index + 1, index + 1 == len(inputs))
                return

            async def one(index: int, stdin: str) -> tuple[int, RunReport]:
                return index, await self._run(compiled, language, stdin, time_ms, memory_kib)

            tasks = [asyncio.create_task(one(i, stdin)) for i, stdin in enumerate(inputs)]
            try:
                for done_count, finished in enumerate(asyncio.as_completed(tasks), start=1):
                    index, report = await finished
                    yield BatchResult(index, report, done_count, done_count == len(inputs))
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self.judge.sandbox.discard(compiled.workspace)
