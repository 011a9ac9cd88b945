"""``python -m arena.realtime``: the realtime service process (its composition root).

Builds the broker (JetStream when ``ARENA_NATS_URL`` is set, so every instance shares the topics;
else the in-process hub: one instance), the use cases and the servicers, and hands them to the kit
with the standard platform wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable

from arena.broker.connection import connect
from arena.kit.server import Runtime, ServiceParts, main
from arena.realtime.app import RealtimeApp
from arena.realtime.jetstream import JetStreamBroker
from arena.realtime.servicer import PublisherServicer, RealtimeServicer
from arena.realtime.settings import RealtimeSettings, load_realtime_settings
from arena.realtime.store import InProcessHub, TopicBroker
from arena.realtime.v1 import realtime_internal_service_pb2_grpc, realtime_service_pb2_grpc
from arena.wiring import standard


async def build(settings: RealtimeSettings, runtime: Runtime) -> ServiceParts:
    broker: TopicBroker
    forget_idle: Callable[[], Awaitable[int]]
    closing: list[Callable[[], Awaitable[None]]] = []
    if settings.nats_url:
        connection = await connect(settings.nats_url, runtime.config.instance_id)
        shared = JetStreamBroker(
            connection,
            retention=settings.retention_messages,
            queue_capacity=settings.queue_capacity_messages,
            max_age_s=settings.broker_max_age_s,
        )
        await shared.setup()
        broker = shared
        forget_idle = functools.partial(shared.forget_idle, settings.idle_topic_s)
        closing += [shared.close, connection.drain]
    else:
        hub = InProcessHub(retention=settings.retention_messages, queue_capacity=settings.queue_capacity_messages)
        broker = hub

        async def forget_idle() -> int:
            return hub.forget_idle(settings.idle_topic_s)

    app = RealtimeApp(broker)
    sweeper: list[asyncio.Task[None]] = []

    async def sweep() -> None:
        while True:
            await asyncio.sleep(settings.sweep_interval_s)
            await forget_idle()

    async def start() -> None:
        sweeper.append(asyncio.create_task(sweep(), name="topic-sweeper"))

    async def stop() -> None:
        for task in sweeper:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for close in closing:
            with contextlib.suppress(Exception):
                await close()

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
    main("realtime", functools.partial(build, load_realtime_settings()), standard())
