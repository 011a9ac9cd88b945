"""RealtimeService (Subscribe) and RealtimeInternalService (Publish): proto ↔ use cases.

Nothing here decides anything: topic rules live in ``domain``, the subscription's course in
``app``. This module only turns requests into calls and deliveries into bytes: a message is
serialized once per publication (``render``), and each subscriber's few-byte resume token is
appended to it (protobuf concatenation merges the two into one message).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import grpc

from arena.common.v1 import stream_pb2
from arena.kit import context as request_context
from arena.kit.middleware import announces_start
from arena.realtime.app import RealtimeApp
from arena.realtime.domain import Render, encode_resume_token
from arena.realtime.v1 import (
    realtime_internal_service_pb2,
    realtime_internal_service_pb2_grpc,
    realtime_pb2,
    realtime_service_pb2,
    realtime_service_pb2_grpc,
)

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


def _token(positions: dict[str, int]) -> bytes:
    return realtime_service_pb2.SubscribeResponse(resume_token=encode_resume_token(positions)).SerializeToString()


def _subscribed(topics: tuple[str, ...]) -> bytes:
    acknowledgement = realtime_service_pb2.Subscribed(topics=topics)
    return realtime_service_pb2.SubscribeResponse(subscribed=acknowledgement).SerializeToString()


def _heartbeat() -> bytes:
    beat = stream_pb2.Heartbeat()
    beat.time.GetCurrentTime()
    return realtime_service_pb2.SubscribeResponse(heartbeat=beat).SerializeToString()


def _renderer(request: realtime_internal_service_pb2.PublishRequest) -> Render:
    """Serializes the published message for its sequence: a SubscribeResponse holding just it."""

    def render(sequence: int) -> bytes:
        message = realtime_pb2.TopicMessage(
            topic=request.topic, sequence=sequence, event_type=request.event_type, payload=request.payload
        )
        message.publish_time.GetCurrentTime()
        return realtime_service_pb2.SubscribeResponse(message=message).SerializeToString()

    return render


class RealtimeServicer(realtime_service_pb2_grpc.RealtimeServiceServicer):
    def __init__(self, app: RealtimeApp, *, heartbeat_s: float = 15.0) -> None:
        self._app = app
        self._heartbeat_s = heartbeat_s

    @announces_start  # the acknowledgement comes right after the checks
    async def Subscribe(self, request: realtime_service_pb2.SubscribeRequest, context: Context) -> AsyncIterator[bytes]:
        feed = await self._app.subscribe(request.topics, request.resume_token, request_context.identity())
        try:
            # The acknowledgement: in place, checks passed (errors above are statuses, no message).
            yield _subscribed(feed.topics) + _token(feed.positions)
            async with contextlib.aclosing(self._app.follow(feed, self._heartbeat_s)) as deliveries:
                async for delivery in deliveries:
                    # One shared serialized message (or a heartbeat) plus this subscriber's token.
                    payload = _heartbeat() if delivery is None else delivery.payload
                    yield payload + _token(feed.positions)
        finally:
            await self._app.close(feed)


class PublisherServicer(realtime_internal_service_pb2_grpc.RealtimeInternalServiceServicer):
    def __init__(self, app: RealtimeApp) -> None:
        self._app = app

    async def Publish(
        self, request: realtime_internal_service_pb2.PublishRequest, context: Context
    ) -> realtime_internal_service_pb2.PublishResponse:
        sequence, subscribers = await self._app.publish(
            request.topic, request.event_type, request.payload.ByteSize(), _renderer(request)
        )
        return realtime_internal_service_pb2.PublishResponse(sequence=sequence, subscriber_count=subscribers)
