"""The judges of one process: workers that claim submissions from the store's queue, and the
lease renewal that keeps their claims.

Submissions are persisted before CreateSubmission replies; any instance's judges may claim
them (``ExecutionStore.claim_next``, with a lease renewed every third of its length while
judging), so a judge that died loses its claims when the lease runs out, and one restarted
under the same owner id takes them back at once (``reclaim``) and resumes after the tests
already recorded. Each step is stored under the claim (a judge that lost it records nothing),
then emitted to the event feed; the verdict and the calls it owes other services are stored
in one transaction (``outbox``).

The same judges take the new judgings of rejudgings from the store's queue (new submissions
first), with the same claims and leases; a new judging's steps are stored beside the submission
(``record_judging_test``), never on it and never to its watchers: the official verdict stays until
the rejudging is applied (``app``), and a cancelled rejudging takes the claim away.
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
from arena.execution.rejudge import Judging, JudgingKey
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


class _JudgingRecorder(Steps):
    """Stores a new judging's steps beside its submission (nothing reaches the submission's watchers)."""

    def __init__(self, pool: JudgePool, judging: Judging) -> None:
        self._pool = pool
        self._judging = judging

    async def compiling(self) -> None:
        if self._judging.status is Status.QUEUED:
            await self._pool.store.start_judging(self._judging.key, owner=self._pool.owner)

    async def test_finished(self, outcome: TestOutcome) -> None:
        await self._pool.store.record_judging_test(self._judging.key, outcome, owner=self._pool.owner)


Work = str | JudgingKey
"""A submission to judge (its id) or a rejudging's new judging."""


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
        self.rejudging: set[JudgingKey] = set()
        self._work = asyncio.Event()
        self._reclaimed: collections.deque[Work] = collections.deque()
        self._tasks: list[asyncio.Task[Any]] = []

    async def start(self) -> None:
        """Takes back what this judge held before a restart, then starts the workers."""
        self._reclaimed.extend(await self.store.reclaim(self.owner, self.clock(), self.settings.lease))
        self._reclaimed.extend(await self.store.reclaim_judgings(self.owner, self.clock(), self.settings.lease))
        if self._reclaimed:
            log.info("resuming unfinished submissions", count=len(self._reclaimed))
        self._tasks = [asyncio.create_task(self._worker(), name=f"judge-{i}") for i in range(self.settings.workers)]
        self._tasks.append(asyncio.create_task(self._renew_leases(), name="judge-leases"))

    async def stop(self) -> None:
        """Stops judging at once; claims stay with this owner, so a restart resumes them."""
        # Cancelled until done: on Python 3.11 asyncio.wait_for (an idle judge's wait) can swallow a
        # cancellation that arrives as its wait ends, and that judge would go on forever.
        while pending := [task for task in self._tasks if not task.done()]:
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=0.1)
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def wake(self) -> None:
        """Work was queued in this process: an idle judge looks now rather than at its next poll."""
        self._work.set()

    async def _next(self) -> Work | None:
        if self._reclaimed:
            return self._reclaimed.popleft()
        self._work.clear()
        work = await self._claim()
        if work is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._work.wait(), self.settings.idle_poll_s)
            return None
        self._work.set()  # there may be more: let another idle judge look too
        return work

    async def _worker(self) -> None:
        while True:
            work = await self._next()
            if work is None:
                continue
            if isinstance(work, JudgingKey):
                await self._rejudge(work)
                continue
            submission_id = work
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

    async def _rejudge(self, key: JudgingKey) -> None:
        self.rejudging.add(key)
        try:
            await self.judge_judging(key)
        except LostClaim:
            log.info("lost the claim on a new judging (its rejudging closed, or another judge has it)",
                     rejudging_id=key.rejudging_id, submission_id=key.submission_id)  # fmt: skip
        except Exception:
            log.exception("rejudging failed", rejudging_id=key.rejudging_id, submission_id=key.submission_id)
            await self._finish_judging_internal_error(key)
        finally:
            self.rejudging.discard(key)

    async def _claim(self) -> Work | None:
        try:  # new submissions first: a rejudging waits behind the live queue
            return await self.store.claim_next(self.owner, self.clock(), self.settings.lease) or (
                await self.store.claim_next_judging(self.owner, self.clock(), self.settings.lease)
            )
        except Exception:
            log.exception("could not claim work")
            return None

    async def _renew_leases(self) -> None:
        interval = self.settings.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            try:
                until = self.clock() + self.settings.lease
                await self.store.renew(self.owner, sorted(self.judging), until)
                await self.store.renew_judgings(self.owner, sorted(self.rejudging), until)
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

    async def judge_judging(self, key: JudgingKey) -> None:
        """Judges one claimed new judging of a rejudging (resuming after the tests already recorded),
        storing its steps and result beside the submission."""
        judging = await self.store.get_judging(key)
        submission = await self.store.get(key.submission_id)
        if judging is None or submission is None or judging.status is Status.FINISHED:
            return
        language = self.languages.get(submission.language_id)
        try:
            bundle = await self.bundles.get(submission.problem_id, fresh=True)
        except Exception as exc:
            log.warning("judge bundle unavailable; retrying the rejudge later", submission_id=key.submission_id,
                        error=str(exc))  # fmt: skip
            await self.store.release_judging(self.owner, key, self.clock() + self.settings.retry_bundle_after)
            return
        if bundle is None or language is None:
            why = "the problem no longer exists" if bundle is None else "the language is no longer offered"
            log.error("cannot rejudge submission", submission_id=key.submission_id, reason=why)
            final = dataclasses.replace(overall([], 0), verdict=Verdict.INTERNAL_ERROR)
            await self.store.finish_judging(key, final, self.clock(), owner=self.owner)
            return
        log.info("rejudging", rejudging_id=key.rejudging_id, submission_id=key.submission_id, tests=len(bundle.tests))
        final = await self.judge.judge(
            language,
            submission.source,
            bundle,
            run_all_tests=submission.run_all_tests,
            done=judging.results,
            steps=_JudgingRecorder(self, judging),
        )
        await self.store.finish_judging(key, final, self.clock(), owner=self.owner)
        log.info("rejudged", rejudging_id=key.rejudging_id, submission_id=key.submission_id,
                 verdict=final.verdict.name, was=judging.old_verdict.name if judging.old_verdict else None)  # fmt: skip

    async def _finish_judging_internal_error(self, key: JudgingKey) -> None:
        with contextlib.suppress(Exception):
            judging = await self.store.get_judging(key)
            if judging is not None and judging.status is not Status.FINISHED:
                final = overall(list(judging.results), len(judging.results))
                final = dataclasses.replace(final, verdict=Verdict.INTERNAL_ERROR)
                await self.store.finish_judging(key, final, self.clock(), owner=self.owner)
