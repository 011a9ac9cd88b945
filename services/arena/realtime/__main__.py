"""``python -m arena.realtime``: the realtime service process (live topics)."""

from __future__ import annotations

import asyncio
import contextlib

from arena.kit.server import Runtime, ServiceParts, main
from arena.realtime.hub import Hub
from arena.realtime.servicer import PublisherServicer, RealtimeServicer
from arena.realtime.v1 import realtime_internal_service_pb2_grpc, realtime_service_pb2_grpc
from arena.wiring import standard

_IDLE_TOPIC_S = 600.0


async def build(runtime: Runtime) -> ServiceParts:
    hub = Hub()
    sweeper: list[asyncio.Task] = []

    async def sweep() -> None:
        while True:
            await asyncio.sleep(60)
            hub.forget_idle(_IDLE_TOPIC_S)

    async def start() -> None:
        sweeper.append(asyncio.create_task(sweep(), name="topic-sweeper"))

    async def stop() -> None:
        for task in sweeper:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return ServiceParts(
        servicers=[
            (realtime_service_pb2_grpc.add_RealtimeServiceServicer_to_server, RealtimeServicer(hub)),
            (realtime_internal_service_pb2_grpc.add_RealtimeInternalServiceServicer_to_server, PublisherServicer(hub)),
        ],
        on_serving=[start],
        on_stop=[stop],
    )


if __name__ == "__main__":
    main("realtime", build, standard())
