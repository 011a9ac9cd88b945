"""``python -m arena.ai_analysis``: the ai_analysis service process.

Its issue is still open, so it serves the generated base servicers: every RPC answers
UNIMPLEMENTED while health, discovery and the ops views work as for any service.
"""

from arena.ai_analysis.v1 import analysis_service_pb2_grpc as public
from arena.kit.server import main, placeholder
from arena.wiring import standard

if __name__ == "__main__":
    main(
        "ai_analysis",
        placeholder(
            (public.add_AiAnalysisServiceServicer_to_server, public.AiAnalysisServiceServicer()),
        ),
        standard(),
    )
