"""``python -m arena.realtime``: the realtime service process (its composition root).

Builds the broker (the in-process hub: one instance), the use cases and the servicers, and
hands them to the kit with the standard platform wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools

from arena.kit.server import Runtime, ServiceParts, main
from arena.realtime.app import RealtimeApp
from arena.realtime.servicer import PublisherServicer, RealtimeServicer
from arena.realtime.settings import RealtimeSettings
from arena.realtime.store import InProcessHub
from arena.realtime.v1 import realtime_internal_service_pb2_grpc, realtime_service_pb2_grpc
from arena.wiring import standard


async def build(settings: RealtimeSettings, runtime: Runtime) -> ServiceParts:
    hub = InProcessHub(retention=settings.retention_messages, queue_capacity=settings.queue_capacity_messages)
    app = RealtimeApp(hub)
    sweeper: list[asyncio.Task[None]] = []

    async def sweep() -> None:
        while True:
            await asyncio.sleep(settings.sweep_interval_s)
            hub.forget_idle(settings.idle_topic_s)

    async def start() -> None:
        sweeper.append(asyncio.create_task(sweep(), name="topic-sweeper"))

    async def stop() -> None:
        for task in sweeper:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return ServiceParts(
        servicers=[
            (
                realtime_service_pb2_grpc.add_RealtimeServiceServicer_to_server,
                RealtimeServicer(app, heartbeat_s=settings.heartbeat_s),
            ),
            (realtime_internal_service_pb2_grpc.add_RealtimeInternalServiceServicer_to_server, PublisherServicer(app)),
        ],
        on_serving=[start],
        on_stop=[stop],
    )


if __name__ == "__main__":
    main("realtime", functools.partial(build, RealtimeSettings()), standard())
