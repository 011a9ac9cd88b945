"""``python -m arena.problem``: the problem service process.

Its issue is still open, so it serves the generated base servicers: every RPC answers
UNIMPLEMENTED while health, discovery and the ops views work as for any service.
"""

from arena.kit.server import main, placeholder
from arena.problem.v1 import problem_internal_service_pb2_grpc as internal
from arena.problem.v1 import problem_service_pb2_grpc as public

if __name__ == "__main__":
    main(
        "problem",
        placeholder(
            (public.add_ProblemServiceServicer_to_server, public.ProblemServiceServicer()),
            (
                internal.add_ProblemInternalServiceServicer_to_server,
                internal.ProblemInternalServiceServicer(),
            ),
        ),
    )
