"""What a verdict owes other services, and the dispatcher that delivers it at least once.

The calls are written to the outbox table in the same transaction as the verdict, so a
crash can lose neither. The dispatcher sends due items and retries failures with
exponential backoff (a receiver that is down or restarting gets its items once it is back).
Every receiver deduplicates (submission id, event id, idempotency key), so delivering twice is
harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, cast

import grpc
import structlog

from arena.analytics.v1 import analytics_internal_service_pb2, analytics_internal_service_pb2_grpc, analytics_pb2
from arena.common.v1 import verdict_pb2
from arena.contest.v1 import contest_internal_service_pb2, contest_internal_service_pb2_grpc
from arena.core.errors import ArenaError
from arena.execution.domain import Final, Submission, Verdict
from arena.execution.rejudge import Judging
from arena.execution.store import Outbox, OutboxItem, OutboxStore
from arena.kit.client import Clients
from arena.kit.convert import duration, timestamp
from arena.kit.db import utcnow
from arena.kit.status import code_of
from arena.notification.v1 import (
    notification_internal_service_pb2,
    notification_internal_service_pb2_grpc,
    notification_pb2,
)

log = structlog.get_logger("arena.execution.outbox")

CONTEST = "contest.RecordSubmissionResult"
ANALYTICS = "analytics.RecordEvents"
NOTIFICATION = "notification.SendNotification"

DELIVERED_CODES = frozenset({grpc.StatusCode.OK, grpc.StatusCode.ALREADY_EXISTS})
"""ALREADY_EXISTS: the receiver has it from an earlier attempt."""


def _analytics_event(
    event_type: analytics_pb2.EventType, submission: Submission, now: dt.datetime, **fields: Any
) -> bytes:
    event = analytics_pb2.Event(
        event_id=f"{analytics_pb2.EventType.Name(event_type).removeprefix('EVENT_TYPE_').lower()}:{submission.submission_id}",
        type=event_type,
        user_id=submission.user_id,
        problem_id=submission.problem_id,
        contest_id=submission.contest_id,
        submission_id=submission.submission_id,
        language_id=submission.language_id,
        event_time=timestamp(now),
        **fields,
    )
    return analytics_internal_service_pb2.RecordEventsRequest(events=[event]).SerializeToString()


def on_created(submission: Submission, now: dt.datetime) -> Outbox:
    return [(ANALYTICS, _analytics_event(analytics_pb2.EVENT_TYPE_SUBMISSION_CREATED, submission, now))]


def on_judged(submission: Submission, final: Final, now: dt.datetime) -> Outbox:
    items: list[tuple[str, bytes]] = [
        (
            ANALYTICS,
            _analytics_event(
                analytics_pb2.EVENT_TYPE_SUBMISSION_JUDGED,
                submission,
                now,
                verdict=final.verdict.value,
                cpu_duration=duration(final.max_cpu_ms / 1000),
                memory_kib=final.max_memory_kib,
            ),
        ),
        (
            NOTIFICATION,
            notification_internal_service_pb2.SendNotificationRequest(
                user_id=submission.user_id,
                kind=notification_pb2.NOTIFICATION_KIND_SUBMISSION_JUDGED,
                title=f"Submission judged: {final.verdict.name.replace('_', ' ').lower()}",
                body=f"{final.passed} of {final.test_count} tests passed.",
                link=f"/submissions/{submission.submission_id}",
                idempotency_key=f"judged:{submission.submission_id}",
            ).SerializeToString(),
        ),
    ]
    if submission.contest_id:
        items.append(_contest_result(submission, final, judging_version=0, judge_time=now))
    return items


def _contest_result(
    submission: Submission, final: Final, *, judging_version: int, judge_time: dt.datetime
) -> tuple[str, bytes]:
    """The result the contest records: IOI scores it per group (subtask) where the problem has groups;
    of two results for one submission (a rejudge) the later ``judge_time`` and higher version win."""
    return (
        CONTEST,
        contest_internal_service_pb2.RecordSubmissionResultRequest(
            submission_id=submission.submission_id,
            contest_id=submission.contest_id,
            user_id=submission.user_id,
            problem_id=submission.problem_id,
            verdict=cast(verdict_pb2.Verdict, final.verdict.value if final.verdict is not Verdict.SKIPPED else 0),
            score=final.score,
            submit_time=timestamp(submission.create_time),
            group_scores=[
                contest_internal_service_pb2.GroupScore(group=group.name, points=group.points) for group in final.groups
            ],
            judge_time=timestamp(judge_time),
            judging_version=judging_version,
        ).SerializeToString(),
    )


def on_rejudged(submission: Submission, judging: Judging, judging_version: int, now: dt.datetime) -> Outbox:
    """What an applied rejudging owes for a submission whose result it changed: the contest records
    the new result (its higher ``judging_version`` supersedes the old one, so standings follow), and
    the author is told when the verdict changed. Analytics is not told: its events count judgings
    and have no way to retract one (a verdict change there needs an event type of its own)."""
    new = judging.new
    assert new is not None
    items: list[tuple[str, bytes]] = []
    if submission.contest_id:
        items.append(_contest_result(submission, new, judging_version=judging_version, judge_time=now))
    if new.verdict is not judging.old_verdict:
        old = judging.old_verdict.name.replace("_", " ").lower() if judging.old_verdict else "none"
        items.append(
            (
                NOTIFICATION,
                notification_internal_service_pb2.SendNotificationRequest(
                    user_id=submission.user_id,
                    kind=notification_pb2.NOTIFICATION_KIND_SUBMISSION_JUDGED,
                    title=f"Submission rejudged: {new.verdict.name.replace('_', ' ').lower()}",
                    body=f"Was {old}; now {new.passed} of {new.test_count} tests passed.",
                    link=f"/submissions/{submission.submission_id}",
                    idempotency_key=f"rejudged:{submission.submission_id}:{judging_version}",
                ).SerializeToString(),
            )
        )
    return items


Send = Callable[[bytes], Awaitable[object]]


def senders(clients: Clients) -> dict[str, Send]:
    """How each target is called, through the kit's client (deadlines, breakers, discovery)."""
    contest = clients.stub(contest_internal_service_pb2_grpc.ContestInternalServiceStub, "contest")
    analytics = clients.stub(analytics_internal_service_pb2_grpc.AnalyticsInternalServiceStub, "analytics")
    notification = clients.stub(notification_internal_service_pb2_grpc.NotificationInternalServiceStub, "notification")
    parse = contest_internal_service_pb2.RecordSubmissionResultRequest.FromString
    return {
        CONTEST: lambda data: contest.RecordSubmissionResult(parse(data), timeout_s=5.0),
        ANALYTICS: lambda data: analytics.RecordEvents(
            analytics_internal_service_pb2.RecordEventsRequest.FromString(data), timeout_s=5.0
        ),
        NOTIFICATION: lambda data: notification.SendNotification(
            notification_internal_service_pb2.SendNotificationRequest.FromString(data), timeout_s=5.0
        ),
    }


def backoff(attempts: int, *, first_s: float = 1.0, max_s: float = 600.0) -> dt.timedelta:
    return dt.timedelta(seconds=min(max_s, first_s * 2 ** min(attempts, 20)))


class Dispatcher:
    """Delivers due outbox items; woken at once by ``kick()`` after a verdict, else every interval."""

    def __init__(
        self,
        store: OutboxStore,
        send: dict[str, Send],
        *,
        interval_s: float = 1.0,
        batch: int = 50,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._store = store
        self._send = send
        self._interval_s = interval_s
        self._batch = batch
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def kick(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:
                log.exception("outbox pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval_s)

    async def deliver_due(self) -> int:
        """Tries every due item once; returns how many were delivered."""
        items = await self._store.due(self._clock(), self._batch)
        results = await asyncio.gather(*(self._deliver(item) for item in items))
        return sum(results)

    async def _deliver(self, item: OutboxItem) -> bool:
        send = self._send.get(item.target)
        try:
            if send is None:
                raise LookupError(f"no sender for {item.target}")
            await send(item.payload)
        except ArenaError as exc:
            code = code_of(exc)
            if code in DELIVERED_CODES:
                await self._store.delivered(item.outbox_id)
                return True
            await self._later(item, f"{code.name}: {exc}")
            return False
        except Exception as exc:
            await self._later(item, f"{type(exc).__name__}: {exc}")
            return False
        await self._store.delivered(item.outbox_id)
        return True

    async def _later(self, item: OutboxItem, error: str) -> None:
        delay = backoff(item.attempts)
        await self._store.retry_later(item.outbox_id, self._clock() + delay, error)
        log.info("outbox delivery deferred", target=item.target, attempts=item.attempts + 1, retry_in_s=delay.seconds,
                 error=error[:200])  # fmt: skip
