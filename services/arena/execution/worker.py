"""The judges of one process: workers that claim submissions from the store's queue, and the
lease renewal that keeps their claims.

Submissions are persisted before CreateSubmission replies; any instance's judges may claim
them (``ExecutionStore.claim_next``, with a lease renewed every third of its length while
judging), so a judge that died loses its claims when the lease runs out, and one restarted
under the same owner id takes them back at once (``reclaim``) and resumes after the tests
already recorded. Each step is stored under the claim (a judge that lost it records nothing),
then emitted to the event feed; the verdict and the calls it owes other services are stored
in one transaction (``outbox``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import structlog

from arena.execution import outbox
from arena.execution.bundles import BundleSource
from arena.execution.domain import EventType, Final, Status, Submission, TestOutcome, Verdict, overall
from arena.execution.judge import Judge, Steps
from arena.execution.languages import Language
from arena.execution.store import ExecutionStore, LostClaim
from arena.execution.watchers import EventFeed
from arena.kit.db import utcnow

log = structlog.get_logger("arena.execution")

WATCHER_HEAD_START_S = 0.001


@dataclasses.dataclass(frozen=True)
class PoolSettings:
    owner: str
    """This judge's identity in claims; stable across restarts so a restart takes its work back."""
    workers: int
    """Submissions judged at once."""
    lease: dt.timedelta = dt.timedelta(seconds=30)
    idle_poll_s: float = 0.5
    """How often an idle judge looks for work another instance queued."""
    retry_bundle_after: dt.timedelta = dt.timedelta(seconds=5)
    """How long a submission whose problem could not be fetched waits before it is claimed again."""


def _nothing() -> None:
    pass


class _Recorder(Steps):
    """Stores each judging step under this judge's claim and passes it on."""

    def __init__(self, pool: JudgePool, submission: Submission) -> None:
        self._pool = pool
        self._submission = submission

    async def _advance(self, type_: EventType, status: Status) -> None:
        pool = self._pool
        event = await pool.store.advance(self._submission.submission_id, type_, status, pool.clock(), owner=pool.owner)
        pool.feed.emit(self._submission, event)

    async def compiling(self) -> None:
        if self._submission.status is Status.QUEUED:  # a resumed submission does not go back
            await self._advance(EventType.COMPILING, Status.COMPILING)

    async def running(self) -> None:
        if self._submission.status in (Status.QUEUED, Status.COMPILING):
            await self._advance(EventType.RUNNING, Status.RUNNING)

    async def test_finished(self, outcome: TestOutcome) -> None:
        pool = self._pool
        event = await pool.store.record_test(self._submission.submission_id, outcome, pool.clock(), owner=pool.owner)
        pool.feed.emit(self._submission, event)
        # Starting the next run is a few milliseconds of synchronous work (cgroups, files, spawn)
        # on this event loop; let the watchers' streams send this result first.
        await asyncio.sleep(WATCHER_HEAD_START_S)


class JudgePool:
    """``settings.workers`` judges claiming from the store, plus the task renewing their leases."""

    def __init__(
        self,
        store: ExecutionStore,
        judge: Judge,
        languages: Mapping[str, Language],
        bundles: BundleSource,
        settings: PoolSettings,
        *,
        feed: EventFeed,
        on_finished: Callable[[], None] = _nothing,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.store = store
        self.judge = judge
        self.languages = dict(languages)
        self.bundles = bundles
        self.settings = settings
        self.owner = settings.owner
        self.feed = feed
        self.on_finished = on_finished
        """Called after a verdict is stored (wired to the outbox dispatcher's ``kick``)."""
        self.clock = clock
        self.judging: set[str] = set()
        self._work = asyncio.Event()
        self._reclaimed: collections.deque[str] = collections.deque()
        self._tasks: list[asyncio.Task[Any]] = []

    async def start(self) -> None:
        """Takes back what this judge held before a restart, then starts the workers."""
        self._reclaimed.extend(await self.store.reclaim(self.owner, self.clock(), self.settings.lease))
        if self._reclaimed:
            log.info("resuming unfinished submissions", count=len(self._reclaimed))
        self._tasks = [asyncio.create_task(self._worker(), name=f"judge-{i}") for i in range(self.settings.workers)]
        self._tasks.append(asyncio.create_task(self._renew_leases(), name="judge-leases"))

    async def stop(self) -> None:
        """Stops judging at once; claims stay with this owner, so a restart resumes them."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def wake(self) -> None:
        """Work was queued in this process: an idle judge looks now rather than at its next poll."""
        self._work.set()

    async def _next(self) -> str | None:
        if self._reclaimed:
            return self._reclaimed.popleft()
        self._work.clear()
        submission_id = await self._claim()
        if submission_id is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._work.wait(), self.settings.idle_poll_s)
            return None
        self._work.set()  # there may be more: let another idle judge look too
        return submission_id

    async def _worker(self) -> None:
        while True:
            submission_id = await self._next()
            if submission_id is None:
                continue
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
        language = self.languages.get(submission.language_id)
        try:
            bundle = await self.bundles.get(submission.problem_id)
        except Exception as exc:
            log.warning("judge bundle unavailable; retrying later", submission_id=submission_id, error=str(exc))
            await self.store.release(self.owner, submission_id, self.clock() + self.settings.retry_bundle_after)
            return
        if bundle is None or language is None:
            why = "the problem no longer exists" if bundle is None else "the language is no longer offered"
            log.error("cannot judge submission", submission_id=submission_id, reason=why)
            await self._finish(submission, dataclasses.replace(overall([], 0), verdict=Verdict.INTERNAL_ERROR))
            return
        log.info("judging", submission_id=submission_id, tests=len(bundle.tests), resumed=len(submission.results))
        final = await self.judge.judge(
            language,
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
        self.feed.emit(submission, event)
        self.on_finished()
        log.info("judged", submission_id=submission.submission_id, verdict=final.verdict.name,
                 passed=final.passed, tests=final.test_count)  # fmt: skip

    async def _finish_internal_error(self, submission_id: str) -> None:
        with contextlib.suppress(Exception):
            submission = await self.store.get(submission_id)
            if submission is not None and submission.status is not Status.FINISHED:
                final = overall(list(submission.results), submission.test_count)
                await self._finish(submission, dataclasses.replace(final, verdict=Verdict.INTERNAL_ERROR))
