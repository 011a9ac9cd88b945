"""``python -m arena.contest``: the contest service process (its composition root).

Builds the parts (SQL store and the problem service's client → use cases → servicers) and hands them
to the kit with the standard platform wiring. Its settings (``settings.py``): how often a followed board
is re-read for other instances' writes, and the broker (``ARENA_NATS_URL``) that tells the other
instances of every write at once (``arena.contest.changed.<contest id>`` with the board's new version);
the database URL and the read-cache expiry (``ARENA_READ_CACHE_TTL_S``) are the platform's.
"""

from __future__ import annotations

import contextlib
import functools
import os

from arena.broker.connection import connect
from arena.broker.nudges import Nudges
from arena.contest.app import ContestApp
from arena.contest.notify import ContestNotifier
from arena.contest.problems import ProblemServiceCatalog
from arena.contest.publish import ClarificationPublisher
from arena.contest.servicer import ContestInternalServicer, ContestServicer
from arena.contest.settings import ContestSettings, load_contest_settings
from arena.contest.store import SqlContestStore
from arena.contest.v1 import contest_internal_service_pb2_grpc, contest_service_pb2_grpc
from arena.kit.db import make_engine
from arena.kit.server import Runtime, ServiceParts, main
from arena.problem.v1 import problem_internal_service_pb2_grpc
from arena.wiring import standard

CHANGED = "arena.contest.changed"
"""Nudge subject prefix: ``arena.contest.changed.<contest id>`` with the board's new version (0: not known)."""


async def build(settings: ContestSettings, runtime: Runtime) -> ServiceParts:
    engine = make_engine(runtime.config.database_url)
    store = SqlContestStore(engine)
    await store.migrate()
    problems = ProblemServiceCatalog(
        runtime.clients.stub(problem_internal_service_pb2_grpc.ProblemInternalServiceStub, "problem")
    )
    publisher = ClarificationPublisher(runtime.clients)
    notifier = ContestNotifier(runtime.clients, store, publisher)
    app = ContestApp(
        store,
        problems,
        read_cache_ttl_s=runtime.config.platform.read_cache_ttl_s,
        poll_s=settings.board_poll_s,
        push=notifier.push,
        on_published=notifier.published,
    )
    nudges: Nudges | None = None
    if settings.nats_url:  # several instances: each write wakes the others' streams and expires their boards
        origin = f"{runtime.config.instance_id}-{os.getpid()}"
        nudges = Nudges(await connect(settings.nats_url, origin), origin)
        app.tell_others = functools.partial(_tell_others, nudges)
        await nudges.listen(CHANGED, lambda key, fields: app.changed_elsewhere(key, fields.get("version", 0)))

    async def close_nudges() -> None:
        if nudges is not None:
            await nudges.close()
            with contextlib.suppress(Exception):
                await nudges.connection.drain()

    return ServiceParts(
        servicers=[
            (contest_service_pb2_grpc.add_ContestServiceServicer_to_server, ContestServicer(app)),
            (
                contest_internal_service_pb2_grpc.add_ContestInternalServiceServicer_to_server,
                ContestInternalServicer(app),
            ),
        ],
        on_serving=[notifier.start],
        on_stop=[close_nudges, notifier.close, publisher.close, engine.dispose],
    )


def _tell_others(nudges: Nudges, contest_id: str, version: int) -> None:
    nudges.send(CHANGED, contest_id, version=version)


if __name__ == "__main__":
    main("contest", functools.partial(build, load_contest_settings()), standard())
