"""In-process fan-out of a submission's events to the streams watching it.

The store is the record; this only makes delivery immediate. A watcher subscribes
*before* it replays the stored events, so nothing published in between is missed, and
it drops what it has already sent by sequence number (no duplicates). A gap (an event
written by another instance) sends it back to the store.

Events stored by another instance arrive as a ``Nudge`` (``nudge``: with a broker, every instance
hears every stored event's submission id and sequence): the watcher reads the store at once instead
of at its next poll.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
from collections.abc import Callable

from arena.execution.domain import Event, Submission

QUEUE_LIMIT = 1024


@dataclasses.dataclass(frozen=True)
class Nudge:
    """Another instance stored the submission's event ``sequence``: read the store."""

    sequence: int


class Watchers:
    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Event | Nudge]]] = collections.defaultdict(set)

    def subscribe(self, submission_id: str) -> asyncio.Queue[Event | Nudge]:
        queue: asyncio.Queue[Event | Nudge] = asyncio.Queue(QUEUE_LIMIT)
        self._queues[submission_id].add(queue)
        return queue

    def unsubscribe(self, submission_id: str, queue: asyncio.Queue[Event | Nudge]) -> None:
        queues = self._queues.get(submission_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._queues[submission_id]

    def publish(self, event: Event) -> None:
        for queue in self._queues.get(event.submission_id, ()):
            if not queue.full():  # a stalled watcher re-reads the store when it finds the gap
                queue.put_nowait(event)

    def nudge(self, submission_id: str, sequence: int) -> None:
        """Another instance stored event ``sequence`` of the submission: its watchers here look."""
        for queue in self._queues.get(submission_id, ()):
            if not queue.full():
                queue.put_nowait(Nudge(sequence))


OnEvent = Callable[[Submission, Event], None]


class EventFeed:
    """Where a stored event goes next: this process's watchers at once, then ``on_event`` (the
    realtime forwarder, best effort). The use cases (a new submission) and the judges (every
    judging step) emit into the same feed."""

    def __init__(self, on_event: OnEvent | None = None) -> None:
        self.watchers = Watchers()
        self._on_event = on_event

    def emit(self, submission: Submission, event: Event) -> None:
        self.watchers.publish(event)
        if self._on_event is not None:
            self._on_event(submission, event)
