"""The problem service as analytics needs it: each problem's difficulty and tags (for user insights)."""

from __future__ import annotations

from collections.abc import Sequence

from arena.analytics.domain import ProblemMeta, problem_meta
from arena.core.errors import NotFound, PermissionDenied
from arena.kit.client import UpstreamStub
from arena.problem.v1 import problem_pb2, problem_service_pb2

LOOKUP_TIMEOUT_S = 5.0
MAX_LOOKUPS = 50
"""Problems looked up per read at most (the rest stay unknown until a later read)."""


class ProblemServiceCatalog:
    """``ProblemCatalog`` through ``ProblemService.GetProblem`` (public problems; a hidden or deleted one
    stays of unknown difficulty, without tags)."""

    def __init__(self, stub: UpstreamStub) -> None:
        self._stub = stub

    async def metas(self, problem_ids: Sequence[str]) -> dict[str, ProblemMeta]:
        found: dict[str, ProblemMeta] = {}
        for problem_id in problem_ids[:MAX_LOOKUPS]:
            try:
                response = await self._stub.GetProblem(
                    problem_service_pb2.GetProblemRequest(problem_id=problem_id), timeout_s=LOOKUP_TIMEOUT_S
                )
            except (NotFound, PermissionDenied):
                continue
            problem = response.problem
            found[problem_id] = problem_meta(
                {"difficulty": problem_pb2.Difficulty.Name(problem.difficulty), "tags": ",".join(problem.tags)}
            )
        return found
