"""``python -m arena.execution``: the execution service process.

Its issue is still open, so it serves the generated base servicers: every RPC answers
UNIMPLEMENTED while health, discovery and the ops views work as for any service.
"""

from arena.execution.v1 import execution_internal_service_pb2_grpc as internal
from arena.execution.v1 import execution_service_pb2_grpc as public
from arena.kit.server import main, placeholder

if __name__ == "__main__":
    main(
        "execution",
        placeholder(
            (public.add_ExecutionServiceServicer_to_server, public.ExecutionServiceServicer()),
            (
                internal.add_ExecutionInternalServiceServicer_to_server,
                internal.ExecutionInternalServiceServicer(),
            ),
        ),
    )
