"""The problem service as the contest needs it: which problems exist, by id or slug, their titles, authors
and visibility; and the embargo that keeps a contest's problems hidden until it starts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from arena.contest.app import ProblemRef
from arena.kit.client import UpstreamStub
from arena.kit.convert import datetime, timestamp
from arena.problem.v1 import problem_internal_service_pb2

LOOKUP_TIMEOUT_S = 5.0
EMBARGO_TIMEOUT_S = 5.0


class ProblemServiceCatalog:
    """``ProblemCatalog`` through ``ProblemInternalService`` (the kit's client: discovery, deadline,
    breaker; an unreachable problem service is UNAVAILABLE to the caller)."""

    def __init__(self, stub: UpstreamStub) -> None:
        self._stub = stub  # the kit's UpstreamStub for ProblemInternalService

    async def find(self, keys: Sequence[str]) -> list[ProblemRef]:
        if not keys:
            return []
        response = await self._stub.BatchGetProblemSummaries(
            problem_internal_service_pb2.BatchGetProblemSummariesRequest(problem_ids=list(keys)),
            timeout_s=LOOKUP_TIMEOUT_S,
        )
        return [
            ProblemRef(
                p.problem_id,
                p.slug,
                p.title,
                author_id=p.author_id,
                hidden=p.hidden,
                embargo_end=datetime(p.embargo_end_time) if p.HasField("embargo_end_time") else None,
            )
            for p in response.problems
        ]

    async def embargo(self, contest_id: str, problem_ids: Sequence[str], end: dt.datetime | None) -> None:
        await self._stub.SetContestEmbargo(
            problem_internal_service_pb2.SetContestEmbargoRequest(
                contest_id=contest_id, problem_ids=list(problem_ids), end_time=timestamp(end)
            ),
            timeout_s=EMBARGO_TIMEOUT_S,
        )
