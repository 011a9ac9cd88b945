"""Clarifications and announcements pushed to the realtime service, best effort.

A push never delays nor fails the RPC that made it: it runs in its own task, a failure is only logged
(the clarification is stored; ``ListClarifications`` shows it), and when realtime is slow or down the
pushes beyond ``MAX_IN_FLIGHT`` are shed rather than queued.
"""

from __future__ import annotations

import asyncio

import structlog
from google.protobuf import json_format, struct_pb2

from arena.contest.domain import Clarification
from arena.contest.messages import clarification_message
from arena.kit.client import Clients
from arena.realtime.v1 import realtime_internal_service_pb2, realtime_internal_service_pb2_grpc

log = structlog.get_logger("arena.contest.publish")

MAX_IN_FLIGHT = 256
PUBLISH_TIMEOUT_S = 2.0


class ClarificationPublisher:
    """``app.Push`` through ``RealtimeInternalService.Publish`` (the kit's client)."""

    def __init__(self, clients: Clients) -> None:
        self._realtime = clients.stub(realtime_internal_service_pb2_grpc.RealtimeInternalServiceStub, "realtime")
        self._in_flight: set[asyncio.Task[None]] = set()

    def __call__(self, topic: str, event_type: str, clarification: Clarification) -> None:
        if len(self._in_flight) >= MAX_IN_FLIGHT:
            log.debug("realtime publish shed", clarification_id=clarification.clarification_id)
            return
        task = asyncio.get_running_loop().create_task(self._publish(topic, event_type, clarification))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _publish(self, topic: str, event_type: str, clarification: Clarification) -> None:
        payload = struct_pb2.Struct()
        payload.update(
            json_format.MessageToDict(clarification_message(clarification), preserving_proto_field_name=True)
        )
        request = realtime_internal_service_pb2.PublishRequest(topic=topic, event_type=event_type, payload=payload)
        try:
            await self._realtime.Publish(request, timeout_s=PUBLISH_TIMEOUT_S)
        except Exception as exc:  # best effort by design
            log.debug("realtime publish failed", clarification_id=clarification.clarification_id, error=str(exc))

    async def close(self) -> None:
        await asyncio.gather(*self._in_flight, return_exceptions=True)
