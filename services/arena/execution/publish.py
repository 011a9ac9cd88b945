"""Judging steps pushed to the realtime service (``users/<id>/submissions/<id>``), best effort.

Watchers that must not miss anything use WatchSubmission (replayed from the store); this
feed is for pages that show many submissions at once. A publish never delays judging:
it runs in its own task, and a failure is only logged (the verdict itself is in the store
and its calls to other services in the outbox).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from google.protobuf import json_format, message, struct_pb2

from arena.execution.domain import Event, Submission
from arena.kit.client import Clients
from arena.realtime.v1 import realtime_internal_service_pb2, realtime_internal_service_pb2_grpc

log = structlog.get_logger("arena.execution.publish")

MAX_IN_FLIGHT = 256


def topic(submission: Submission) -> str:
    return f"users/{submission.user_id}/submissions/{submission.submission_id}"


class RealtimeForwarder:
    """Forwards each event as its wire message, built by ``to_message`` (``messages.event_message``
    in production: the same shape WatchSubmission sends, without importing the servicer)."""

    def __init__(self, clients: Clients, to_message: Callable[[Event], message.Message]) -> None:
        self._to_message = to_message
        self._realtime = clients.stub(realtime_internal_service_pb2_grpc.RealtimeInternalServiceStub, "realtime")
        self._in_flight: set[asyncio.Task[None]] = set()

    def __call__(self, submission: Submission, event: Event) -> None:
        if len(self._in_flight) >= MAX_IN_FLIGHT:  # realtime is slow or down: shed, never queue without bound
            log.debug("realtime publish shed", submission_id=submission.submission_id)
            return
        task = asyncio.get_running_loop().create_task(self._publish(submission, event))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _publish(self, submission: Submission, event: Event) -> None:
        payload = struct_pb2.Struct()
        payload.update(json_format.MessageToDict(self._to_message(event), preserving_proto_field_name=True))
        request = realtime_internal_service_pb2.PublishRequest(
            topic=topic(submission), event_type=f"submission.{event.type.name.lower()}", payload=payload
        )
        try:
            await self._realtime.Publish(request, timeout_s=2.0)
        except Exception as exc:  # best effort by design
            log.debug("realtime publish failed", submission_id=submission.submission_id, error=str(exc))

    async def close(self) -> None:
        await asyncio.gather(*self._in_flight, return_exceptions=True)
