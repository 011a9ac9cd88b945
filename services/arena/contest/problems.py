"""The problem service as the contest needs it: which problems exist, by id or slug, and their titles."""

from __future__ import annotations

from collections.abc import Sequence

from arena.contest.app import ProblemRef
from arena.kit.client import UpstreamStub
from arena.problem.v1 import problem_internal_service_pb2

LOOKUP_TIMEOUT_S = 5.0


class ProblemServiceCatalog:
    """``ProblemCatalog`` through ``ProblemInternalService.BatchGetProblemSummaries`` (the kit's client:
    discovery, deadline, breaker; an unreachable problem service is UNAVAILABLE to the caller)."""

    def __init__(self, stub: UpstreamStub) -> None:
        self._stub = stub  # the kit's UpstreamStub for ProblemInternalService

    async def find(self, keys: Sequence[str]) -> list[ProblemRef]:
        if not keys:
            return []
        response = await self._stub.BatchGetProblemSummaries(
            problem_internal_service_pb2.BatchGetProblemSummariesRequest(problem_ids=list(keys)),
            timeout_s=LOOKUP_TIMEOUT_S,
        )
        return [ProblemRef(p.problem_id, p.slug, p.title) for p in response.problems]
