"""``python -m arena.analytics``: the analytics service process.

Its issue is still open, so it serves the generated base servicers: every RPC answers
UNIMPLEMENTED while health, discovery and the ops views work as for any service.
"""

from arena.analytics.v1 import analytics_internal_service_pb2_grpc as internal
from arena.analytics.v1 import analytics_service_pb2_grpc as public
from arena.kit.server import main, placeholder
from arena.wiring import standard

if __name__ == "__main__":
    main(
        "analytics",
        placeholder(
            (public.add_AnalyticsServiceServicer_to_server, public.AnalyticsServiceServicer()),
            (
                internal.add_AnalyticsInternalServiceServicer_to_server,
                internal.AnalyticsInternalServiceServicer(),
            ),
        ),
        standard(),
    )
