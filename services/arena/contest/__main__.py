"""``python -m arena.contest``: the contest service process (its composition root).

Builds the parts (SQL store and the problem service's client → use cases → servicers) and hands them
to the kit with the standard platform wiring. The service has no settings of its own: the database URL
and the read-cache expiry (``ARENA_READ_CACHE_TTL_S``: how long a board counts as current without
asking the database for its version) are the platform's.
"""

from __future__ import annotations

from arena.contest.app import ContestApp
from arena.contest.notify import ContestNotifier
from arena.contest.problems import ProblemServiceCatalog
from arena.contest.publish import ClarificationPublisher
from arena.contest.servicer import ContestInternalServicer, ContestServicer
from arena.contest.store import SqlContestStore
from arena.contest.v1 import contest_internal_service_pb2_grpc, contest_service_pb2_grpc
from arena.kit.db import make_engine
from arena.kit.server import Runtime, ServiceParts, main
from arena.problem.v1 import problem_internal_service_pb2_grpc
from arena.wiring import standard


async def build(runtime: Runtime) -> ServiceParts:
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
        push=notifier.push,
        on_published=notifier.published,
    )
    return ServiceParts(
        servicers=[
            (contest_service_pb2_grpc.add_ContestServiceServicer_to_server, ContestServicer(app)),
            (
                contest_internal_service_pb2_grpc.add_ContestInternalServiceServicer_to_server,
                ContestInternalServicer(app),
            ),
        ],
        on_serving=[notifier.start],
        on_stop=[notifier.close, publisher.close, engine.dispose],
    )


if __name__ == "__main__":
    main("contest", build, standard())
