"""``python -m arena.problem``: the problem service process (its composition root).

Builds the parts (SQL store → use cases → servicers) and hands them to the kit with the
standard platform wiring. The service has no settings of its own: the database URL and the
read-cache expiry (``ARENA_READ_CACHE_TTL_S``) are the platform's.
"""

from __future__ import annotations

from arena.kit.db import make_engine
from arena.kit.server import Runtime, ServiceParts, main
from arena.problem.app import ProblemApp
from arena.problem.servicer import ProblemInternalServicer, ProblemServicer
from arena.problem.store import SqlProblemStore
from arena.problem.v1 import problem_internal_service_pb2_grpc, problem_service_pb2_grpc
from arena.wiring import standard


async def build(runtime: Runtime) -> ServiceParts:
    engine = make_engine(runtime.config.database_url)
    store = SqlProblemStore(engine)
    await store.migrate()
    app = ProblemApp(store)
    servicer = ProblemServicer(app, list_cache_ttl_s=runtime.config.platform.read_cache_ttl_s)
    return ServiceParts(
        servicers=[
            (problem_service_pb2_grpc.add_ProblemServiceServicer_to_server, servicer),
            (
                problem_internal_service_pb2_grpc.add_ProblemInternalServiceServicer_to_server,
                ProblemInternalServicer(app, pages=servicer.pages),
            ),
        ],
        on_stop=[engine.dispose],
    )


if __name__ == "__main__":
    main("problem", build, standard())
