"""The execution service's use cases, one per RPC: submitting, reading, listing and watching
submissions, running code (RunCode, ExecuteBatchStream), rejudging (SETTER/ADMIN).

``ExecutionApp`` depends on the ``ExecutionStore`` port, never on SQL. A submission is stored
(with its QUEUED event and the outbox items it owes) before the reply; the judges that claim
it from the store's queue live in ``worker``. Events reach watchers in this process through
the shared ``EventFeed``; a watcher subscribes before it replays the store, so it misses nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Protocol

import structlog

from arena.core.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
)
from arena.core.identity import Identity, Role
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
    Event,
    Isolation,
    RunReport,
    RunStatus,
    Status,
    Submission,
    SubmissionFilters,
)
from arena.execution.judge import Compiled
from arena.execution.languages import Available, Language
from arena.execution.rejudge import Judging, Rejudging, RejudgingState, Scope, check_scope, superseded
from arena.execution.store import ExecutionStore
from arena.execution.watchers import EventFeed, Watchers
from arena.kit.db import utcnow
from arena.kit.ids import new_id

log = structlog.get_logger("arena.execution")

Authorize = Callable[[str, str, str], Awaitable[bool]]
"""(contest_id, user_id, problem_id) -> run_all_tests; raises when the user may not submit there."""


async def contests_closed(contest_id: str, user_id: str, problem_id: str) -> bool:
    raise FailedPrecondition("contest submissions are not open", reason="CONTEST_NOT_RUNNING")


@dataclasses.dataclass(frozen=True)
class AppSettings:
    queue_limit: int = 1000
    """Queued submissions beyond which CreateSubmission is refused (RESOURCE_EXHAUSTED)."""
    watch_poll_s: float = 1.0
    """How often a watcher re-reads the store (for events another instance wrote; with a broker their
    nudges wake it at once, and the poll only covers a lost nudge)."""


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


def require_setter(caller: Identity) -> None:
    """Rejudging is for problem setters and admins (the edge checks it too, from the method's access)."""
    if not caller.has_role(Role.SETTER):
        raise PermissionDenied("rejudging needs the SETTER role", reason="ROLE_REQUIRED")


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


class SourceLinter(Protocol):
    """The language's own linter run in the sandbox (``lint.Linter``): (linter, findings), ("", []) for none."""

    async def lint(self, language_id: str, source: str) -> tuple[str, list[Any]]: ...


class _NoLinter:
    async def lint(self, language_id: str, source: str) -> tuple[str, list[Any]]:
        return "", []


class Runner(Protocol):
    """Compiles a program once and runs it on one stdin at a time (``runs.SandboxRunner``)."""

    async def compile(self, language: Language, source: str) -> Compiled: ...
    def discard(self, compiled: Compiled) -> None: ...
    async def run(
        self, compiled: Compiled, language: Language, stdin: str, time_ms: int, memory_kib: int
    ) -> RunReport: ...


UNISOLATED = Isolation()
"""What an app is told when nobody says (tests without a sandbox)."""


def _nothing() -> None:
    pass


class ExecutionApp:
    def __init__(
        self,
        store: ExecutionStore,
        runner: Runner,
        languages: list[Available],
        bundles: BundleSource,
        settings: AppSettings,
        *,
        feed: EventFeed,
        authorize: Authorize = contests_closed,
        on_queued: Callable[[], None] = _nothing,
        clock: Callable[[], dt.datetime] = utcnow,
        isolation: Isolation = UNISOLATED,
        linter: SourceLinter | None = None,
    ) -> None:
        self.store = store
        self.isolation = isolation
        self.linter: SourceLinter = linter or _NoLinter()
        self.runner = runner
        """Compiles and runs RunCode's programs (submissions are judged by ``worker.JudgePool``)."""
        self.languages = {a.language.language_id: a for a in languages}
        self.bundles = bundles
        self.settings = settings
        self.feed = feed
        self.authorize = authorize
        self.on_queued = on_queued
        """Called once a submission is stored: wakes an idle judge and the outbox dispatcher."""
        self.clock = clock

    @property
    def watchers(self) -> Watchers:
        return self.feed.watchers

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
        if bundle is None or not (contest_id or bundle.open_to(caller.user_id, caller.is_admin, self.clock())):
            # Outside a contest, a problem the caller may not see (hidden, or kept hidden by a contest until
            # it starts) is indistinguishable from a missing one; in a contest, AuthorizeSubmission decides.
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
        self.feed.emit(submission, event)
        self.on_queued()
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
        if submission.judge_notes and not await self._may_read_judge_notes(caller, submission.problem_id):
            submission = dataclasses.replace(submission, judge_notes="")
        return dataclasses.replace(submission, queue_position=await self.store.queue_position(submission))

    async def _may_read_judge_notes(self, caller: Identity, problem_id: str) -> bool:
        """A checker's or interactor's messages may quote hidden tests: the problem's author and admins only
        (the author from the judge bundle, cached; an unreachable problem service shows nothing)."""
        if caller.is_admin:
            return True
        if not caller.has_role(Role.SETTER):
            return False
        try:
            bundle = await self.bundles.get(problem_id)
        except Exception:
            log.warning("judge notes withheld: the problem's author is unknown", problem_id=problem_id, exc_info=True)
            return False
        return bundle is not None and bool(bundle.author_id) and bundle.author_id == caller.user_id

    async def lint(self, language_id: str, source: str) -> tuple[str, list[Any]]:
        """The language's linter on a source, in the sandbox (service-to-service: ai_analysis)."""
        self.language(language_id, "language_id")
        _check_source(source, "source")
        return await self.linter.lint(language_id, source)

    async def source(self, submission_id: str) -> Submission:
        """A submission with its source, for other services (internal)."""
        submission = await self.store.get(submission_id)
        if submission is None:
            raise NotFound("submission", submission_id)
        return submission

    async def list_refs(
        self, filters: SubmissionFilters, limit: int, cursor: list[Any] | None
    ) -> tuple[list[Submission], list[Any] | None]:
        """Everyone's submissions of a problem or contest, without sources, for other services (internal)."""
        if not filters.problem_id and not filters.contest_id:
            raise InvalidArgument.field("problem_id", "give a problem_id or a contest_id")
        submissions, next_cursor = await self.store.list(dataclasses.replace(filters, user_id=None), limit, cursor)
        return [dataclasses.replace(s, source="", judge_notes="") for s in submissions], next_cursor

    async def list_submissions(
        self, caller: Identity, filters: SubmissionFilters, limit: int, cursor: list[Any] | None
    ) -> tuple[list[Submission], list[Any] | None]:
        if filters.user_id and filters.user_id != caller.user_id and not caller.is_admin:
            raise PermissionDenied("only admins list other users' submissions", reason="ROLE_REQUIRED")
        if not filters.user_id and not caller.is_admin:
            filters = dataclasses.replace(filters, user_id=caller.user_id)
        submissions, next_cursor = await self.store.list(filters, limit, cursor)
        return [dataclasses.replace(s, source="", judge_notes="") for s in submissions], next_cursor

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
                submission,
                source="",
                results=(),
                judge_notes="",
                queue_position=await self.store.queue_position(submission),
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
                    if event.last and event.sequence < submission.last_sequence:
                        yield superseded(event)  # an applied rejudging replaced this verdict: go on
                        continue
                    yield event
                    if event.last:
                        return
                try:
                    arrived = await asyncio.wait_for(queue.get(), self.settings.watch_poll_s)
                except TimeoutError:
                    pending = await self.store.events_after(submission_id, last)
                    continue
                if arrived.sequence <= last:
                    pending = []
                elif arrived.sequence == last + 1 and isinstance(arrived, Event):
                    pending = [arrived]
                else:  # a gap, or another instance's event (a nudge): the store has it
                    pending = await self.store.events_after(submission_id, last)
        finally:
            self.watchers.unsubscribe(submission_id, queue)

    # -- rejudging ------------------------------------------------------------------------------

    async def create_rejudging(self, caller: Identity, scope: Scope, reason: str) -> Rejudging:
        """Queues a new judging of every judged submission in ``scope``; the old verdicts stay official
        until the rejudging is applied."""
        require_setter(caller)
        scope = check_scope(scope, reason)
        rejudging = await self.store.create_rejudging(
            Rejudging(
                rejudging_id=new_id(),
                scope=scope,
                create_user_id=caller.user_id,
                reason=reason.strip(),
                state=RejudgingState.PENDING,
                create_time=self.clock(),
            )
        )
        self.on_queued()
        log.info("rejudging queued", rejudging_id=rejudging.rejudging_id, judgings=rejudging.judging_count,
                 by=caller.user_id)  # fmt: skip
        return rejudging

    async def get_rejudging(self, caller: Identity, rejudging_id: str) -> tuple[Rejudging, list[Judging]]:
        """The rejudging and its judgings: per submission the official result and the new one."""
        require_setter(caller)
        rejudging = await self.store.get_rejudging(rejudging_id)
        if rejudging is None:
            raise NotFound("rejudging", rejudging_id)
        return rejudging, await self.store.judgings(rejudging_id)

    async def list_rejudgings(
        self, caller: Identity, limit: int, cursor: list[Any] | None
    ) -> tuple[list[Rejudging], list[Any] | None]:
        require_setter(caller)
        return await self.store.list_rejudgings(limit, cursor)

    async def apply_rejudging(self, caller: Identity, rejudging_id: str) -> Rejudging:
        """Makes every new judging official at once; watchers get a REJUDGED event for each changed
        result, other services the calls ``outbox.on_rejudged`` owes."""
        require_setter(caller)
        rejudging, applied = await self.store.apply_rejudging(
            rejudging_id, caller.user_id, self.clock(), outbox.on_rejudged
        )
        for submission, event in applied:
            self.feed.emit(submission, event)
        self.on_queued()  # wakes the outbox dispatcher
        log.info("rejudging applied", rejudging_id=rejudging_id, changed=len(applied), by=caller.user_id)
        return rejudging

    async def cancel_rejudging(self, caller: Identity, rejudging_id: str) -> Rejudging:
        require_setter(caller)
        rejudging = await self.store.cancel_rejudging(rejudging_id, caller.user_id, self.clock())
        log.info("rejudging cancelled", rejudging_id=rejudging_id, by=caller.user_id)
        return rejudging

    # -- running code -------------------------------------------------------------------------

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
        compiled = await self.runner.compile(language, source)
        try:
            if not compiled.ok:
                return RunReport(status=RunStatus.COMPILATION_ERROR, compile_output=compiled.output)
            return await self.runner.run(compiled, language, stdin, time_ms, memory_kib)
        finally:
            self.runner.discard(compiled)

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
        compiled = await self.runner.compile(language, source)
        try:
            if not compiled.ok:
                failed = RunReport(status=RunStatus.COMPILATION_ERROR, compile_output=compiled.output)
                for index in range(len(inputs)):
                    yield BatchResult(index, failed, index + 1, index + 1 == len(inputs))
                return

            async def one(index: int, stdin: str) -> tuple[int, RunReport]:
                return index, await self.runner.run(compiled, language, stdin, time_ms, memory_kib)

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
            self.runner.discard(compiled)
