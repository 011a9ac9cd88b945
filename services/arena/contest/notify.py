"""What contests tell their participants through the notification service.

- an answered question → its asker (CLARIFICATION_ANSWERED);
- an announcement → every registered participant (ANNOUNCEMENT);
- published final standings → every participant (CONTEST_RESULT);
- a contest starting within ``REMINDER_BEFORE`` → every registered participant (CONTEST_REMINDER),
  found by a scan every ``scan_s`` (a contest registered for late still gets its reminder).

Every notification carries an idempotency key naming the fact (``announcement:<id>``, ``reminder:<contest>``),
so retries and repeated scans never notify twice. Sends never delay nor fail the RPC that caused them: they
run in their own tasks, retried a few times with backoff; the contest's own data stays the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

import structlog

from arena.contest.domain import Clarification, ClarificationKind, Contest, Phase
from arena.contest.store import ContestStore
from arena.kit.client import Clients
from arena.kit.db import utcnow
from arena.notification.v1 import (
    notification_internal_service_pb2,
    notification_internal_service_pb2_grpc,
    notification_pb2,
)

log = structlog.get_logger("arena.contest.notify")

REMINDER_BEFORE = dt.timedelta(minutes=15)
SEND_TIMEOUT_S = 5.0
ATTEMPTS = 5
MAX_IN_FLIGHT = 512

Push = Callable[[str, str, Clarification], None]


class ContestNotifier:
    """Sends contest notifications; wraps the realtime push so clarifications also notify."""

    def __init__(
        self,
        clients: Clients,
        store: ContestStore,
        push: Push,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        scan_s: float = 60.0,
        first_retry_s: float = 1.0,
    ) -> None:
        self._stub = clients.stub(
            notification_internal_service_pb2_grpc.NotificationInternalServiceStub, "notification"
        )
        self._store = store
        self._push = push
        self._clock = clock
        self._scan_s = scan_s
        self._first_retry_s = first_retry_s
        self._in_flight: set[asyncio.Task[None]] = set()
        self._reminded: dict[str, set[str]] = {}
        """Who was reminded of which contest by this process (the idempotency keys cover restarts)."""
        self._scanner: asyncio.Task[None] | None = None

    # -- hooks the contest app calls ---------------------------------------------------------------------

    def push(self, topic: str, event_type: str, clarification: Clarification) -> None:
        """``ContestApp``'s push: realtime as before, plus a notification for answers and announcements."""
        self._push(topic, event_type, clarification)
        if clarification.kind is ClarificationKind.QUESTION and clarification.answered:
            where = f" about problem {clarification.label}" if clarification.label else ""
            self._spawn(
                self._send_all(
                    [clarification.author_id],
                    notification_pb2.NOTIFICATION_KIND_CLARIFICATION_ANSWERED,
                    f"Your question{where} was answered",
                    clarification.answer,
                    f"/contests/{clarification.contest_id}/clarifications",
                    f"clarification:{clarification.clarification_id}",
                )
            )
        elif clarification.kind is ClarificationKind.ANNOUNCEMENT:
            self._spawn(self._announce(clarification))

    def published(self, contest: Contest) -> None:
        """``ContestApp``'s hook after the final standings are published."""
        self._spawn(self._results(contest))

    # -- sending -----------------------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        if len(self._in_flight) >= MAX_IN_FLIGHT:
            log.warning("contest notification shed: too many in flight")
            work.close()
            return
        task = asyncio.get_running_loop().create_task(work)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _participants(self, contest_id: str) -> list[str]:
        board = await self._store.board(contest_id)
        return [p.user_id for p in board.participants] if board is not None else []

    async def _announce(self, announcement: Clarification) -> None:
        contest = await self._store.get(announcement.contest_id)
        title = contest.spec.title if contest is not None else "a contest"
        await self._send_all(
            await self._participants(announcement.contest_id),
            notification_pb2.NOTIFICATION_KIND_ANNOUNCEMENT,
            f"Announcement in {title}",
            announcement.text,
            f"/contests/{announcement.contest_id}/clarifications",
            f"announcement:{announcement.clarification_id}",
        )

    async def _results(self, contest: Contest) -> None:
        await self._send_all(
            await self._participants(contest.contest_id),
            notification_pb2.NOTIFICATION_KIND_CONTEST_RESULT,
            f"Final standings of {contest.spec.title}",
            "The final standings are published.",
            f"/contests/{contest.contest_id}/leaderboard",
            f"results:{contest.contest_id}",
        )

    async def remind(self, contest: Contest) -> None:
        """Reminds the contest's participants not reminded yet (those registered since the last scan)."""
        minutes = max(0, int((contest.spec.start_time - self._clock()).total_seconds() // 60))
        done = self._reminded.setdefault(contest.contest_id, set())
        users = [u for u in await self._participants(contest.contest_id) if u not in done]
        done.update(users)
        await self._send_all(
            users,
            notification_pb2.NOTIFICATION_KIND_CONTEST_REMINDER,
            f"{contest.spec.title} starts in {minutes} minutes" if minutes else f"{contest.spec.title} starts now",
            "Good luck!",
            f"/contests/{contest.contest_id}",
            f"reminder:{contest.contest_id}",
        )

    async def _send_all(
        self, user_ids: Iterable[str], kind: notification_pb2.NotificationKind, title: str, body: str, link: str,
        key: str,
    ) -> None:  # fmt: skip
        await asyncio.gather(*(self._send(u, kind, title, body, link, key) for u in user_ids))

    async def _send(
        self, user_id: str, kind: notification_pb2.NotificationKind, title: str, body: str, link: str, key: str
    ) -> None:
        request = notification_internal_service_pb2.SendNotificationRequest(
            user_id=user_id, kind=kind, title=title[:200], body=body[:2000], link=link, idempotency_key=key
        )
        for attempt in range(ATTEMPTS):
            try:
                await self._stub.SendNotification(request, timeout_s=SEND_TIMEOUT_S)
                return
            except Exception as exc:
                if attempt == ATTEMPTS - 1:
                    log.warning("contest notification not sent", user_id=user_id, key=key, error=str(exc)[:200])
                    return
                await asyncio.sleep(self._first_retry_s * 2**attempt)

    # -- reminders ---------------------------------------------------------------------------------------

    async def scan(self) -> int:
        """Reminds the participants of every upcoming contest that starts soon; returns how many contests."""
        now = self._clock()
        cursor = None
        due: list[Contest] = []
        while True:
            contests, cursor = await self._store.list(Phase.UPCOMING, now, 100, cursor)
            for contest in contests:
                if contest.spec.start_time - now <= REMINDER_BEFORE:
                    due.append(contest)
            if cursor is None or (contests and contests[-1].spec.start_time - now > REMINDER_BEFORE):
                break
        for contest in due:
            await self.remind(contest)
        for contest_id in set(self._reminded) - {c.contest_id for c in due}:
            del self._reminded[contest_id]  # started: forget it
        return len(due)

    async def _scan_forever(self) -> None:
        while True:
            try:
                await self.scan()
            except Exception:
                log.exception("contest reminder scan failed")
            await asyncio.sleep(self._scan_s)

    async def start(self) -> None:
        self._scanner = asyncio.create_task(self._scan_forever(), name="contest-reminders")

    async def close(self) -> None:
        if self._scanner is not None:
            self._scanner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scanner
        await asyncio.gather(*self._in_flight, return_exceptions=True)
