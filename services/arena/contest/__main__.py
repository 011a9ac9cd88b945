"""``python -m arena.contest``: the contest service process.

Its issue is still open, so it serves the generated base servicers: every RPC answers
UNIMPLEMENTED while health, discovery and the ops views work as for any service.
"""

from arena.contest.v1 import contest_internal_service_pb2_grpc as internal
from arena.contest.v1 import contest_service_pb2_grpc as public
from arena.kit.server import main, placeholder
from arena.wiring import standard

if __name__ == "__main__":
    main(
        "contest",
        placeholder(
            (public.add_ContestServiceServicer_to_server, public.ContestServiceServicer()),
            (
                internal.add_ContestInternalServiceServicer_to_server,
                internal.ContestInternalServiceServicer(),
            ),
        ),
        standard(),
    )
