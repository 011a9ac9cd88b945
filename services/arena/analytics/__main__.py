"""``python -m arena.analytics``: the analytics service process (its composition root).

Builds the parts (SQL store, rate limiter, the problem service's client → use cases → servicers) and
hands them to the kit with the standard platform wiring. Its own settings: ``settings.VARIABLES``.
"""

from __future__ import annotations

from arena.analytics.app import AnalyticsApp
from arena.analytics.domain import RateLimiter
from arena.analytics.problems import ProblemServiceCatalog
from arena.analytics.servicer import AnalyticsInternalServicer, AnalyticsServicer
from arena.analytics.settings import load_analytics_settings
from arena.analytics.store import SqlAnalyticsStore
from arena.analytics.v1 import analytics_internal_service_pb2_grpc, analytics_service_pb2_grpc
from arena.kit.db import make_engine
from arena.kit.server import Runtime, ServiceParts, main
from arena.problem.v1 import problem_service_pb2_grpc
from arena.wiring import standard


async def build(runtime: Runtime) -> ServiceParts:
    settings = load_analytics_settings()
    engine = make_engine(runtime.config.database_url)
    store = SqlAnalyticsStore(engine)
    await store.migrate()
    catalog = ProblemServiceCatalog(runtime.clients.stub(problem_service_pb2_grpc.ProblemServiceStub, "problem"))
    app = AnalyticsApp(store, RateLimiter(settings.events_per_s, settings.event_burst), catalog=catalog)
    return ServiceParts(
        servicers=[
            (analytics_service_pb2_grpc.add_AnalyticsServiceServicer_to_server, AnalyticsServicer(app)),
            (
                analytics_internal_service_pb2_grpc.add_AnalyticsInternalServiceServicer_to_server,
                AnalyticsInternalServicer(app),
            ),
        ],
        on_stop=[engine.dispose],
    )


if __name__ == "__main__":
    main("analytics", build, standard())
