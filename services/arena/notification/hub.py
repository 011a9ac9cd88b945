"""Wakes a user's open notification streams in this process when their inbox changes.

A wake carries nothing: the stream reads what is new from the store after its last sequence, so a
missed or repeated wake can neither lose nor duplicate a notification. Streams in other processes of
the service are woken by ``InboxWatcher``, which polls the inboxes' change times.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable, Iterator

import structlog

log = structlog.get_logger("arena.notification.hub")


class Hub:
    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def subscribe(self, user_id: str) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        self._waiters.setdefault(user_id, set()).add(event)
        try:
            yield event
        finally:
            waiters = self._waiters.get(user_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[user_id]

    def wake(self, user_id: str) -> None:
        for event in self._waiters.get(user_id, ()):
            event.set()

    def watched(self) -> bool:
        return bool(self._waiters)


class InboxWatcher:
    """Polls which inboxes changed (in any process) and wakes the local streams of their users."""

    def __init__(
        self,
        changed: Callable[[dt.datetime], Awaitable[list[tuple[str, dt.datetime]]]],
        hub: Hub,
        clock: Callable[[], dt.datetime],
        *,
        interval_s: float = 0.5,
        overlap: dt.timedelta = dt.timedelta(seconds=2),
    ) -> None:
        self._changed = changed
        self._hub = hub
        self._clock = clock
        self._interval_s = interval_s
        self._overlap = overlap
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        since = self._clock()
        while True:
            await asyncio.sleep(self._interval_s)
            if not self._hub.watched():
                since = self._clock() - self._overlap
                continue
            try:
                # A little overlap: another process's clock or a slow commit must not hide a change.
                changes = await self._changed(since - self._overlap)
            except Exception:
                log.exception("inbox poll failed")
                continue
            for user_id, when in changes:
                self._hub.wake(user_id)
                since = max(since, when)
