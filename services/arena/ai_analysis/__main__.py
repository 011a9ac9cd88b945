"""``python -m arena.ai_analysis``: the ai_analysis service process (its composition root).

Builds the parts (SQL store, the problem and execution services' clients, the model when
``ARENA_AI_MODEL_BASE_URL`` is set → use cases → servicer) and hands them to the kit with the standard
platform wiring.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from arena.ai_analysis.app import AiAnalysisApp, Quotas
from arena.ai_analysis.llm import OpenAiChatModel
from arena.ai_analysis.servicer import AiAnalysisServicer
from arena.ai_analysis.settings import load_ai_analysis_settings
from arena.ai_analysis.store import SqlAnalysisStore
from arena.ai_analysis.upstream import ExecutionServiceLinter, ExecutionServiceSubmissions, ProblemServiceProblems
from arena.ai_analysis.v1 import analysis_service_pb2_grpc
from arena.execution.v1 import execution_internal_service_pb2_grpc, execution_service_pb2_grpc
from arena.kit.db import make_engine
from arena.kit.server import Runtime, ServiceParts, main
from arena.problem.v1 import problem_service_pb2_grpc
from arena.wiring import standard


async def build(runtime: Runtime) -> ServiceParts:
    settings = load_ai_analysis_settings()
    engine = make_engine(runtime.config.database_url)
    store = SqlAnalysisStore(engine)
    await store.migrate()
    clients = runtime.clients
    problems = ProblemServiceProblems(clients.stub(problem_service_pb2_grpc.ProblemServiceStub, "problem"))
    execution_internal = clients.stub(execution_internal_service_pb2_grpc.ExecutionInternalServiceStub, "execution")
    submissions = ExecutionServiceSubmissions(
        clients.stub(execution_service_pb2_grpc.ExecutionServiceStub, "execution"), execution_internal
    )
    model = OpenAiChatModel(settings.model) if settings.model is not None else None
    app = AiAnalysisApp(
        store,
        problems,
        submissions,
        model=model,
        quotas=Quotas(settings.requests_per_user_per_minute, settings.tokens_per_user_per_day),
        cache_entries=settings.cache_entries,
        linter=ExecutionServiceLinter(execution_internal),
    )
    on_stop: list[Callable[[], Awaitable[None]]] = [engine.dispose]
    if model is not None:
        on_stop.insert(0, model.close)
    return ServiceParts(
        servicers=[(analysis_service_pb2_grpc.add_AiAnalysisServiceServicer_to_server, AiAnalysisServicer(app))],
        on_stop=on_stop,
    )


if __name__ == "__main__":
    main("ai_analysis", build, standard())
