"""The problem service as analytics needs it: each problem's difficulty and tags (for user insights)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import grpc
import structlog

from arena.analytics.domain import ProblemMeta, problem_meta
from arena.core.errors import ArenaError
from arena.kit.client import UpstreamStub
from arena.kit.errors import UpstreamError
from arena.problem.v1 import problem_pb2, problem_service_pb2

log = structlog.get_logger("arena.analytics.problems")

LOOKUP_TIMEOUT_S = 2.0
MAX_LOOKUPS = 20
"""Problems looked up per read at most (the rest stay unknown until a later read)."""
MISSING_TTL_S = 600.0
"""A problem the problem service does not show is not asked about again for this long."""
_HIDDEN = frozenset({grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED})


class ProblemServiceCatalog:
    """``ProblemCatalog`` through ``ProblemService.GetProblem`` (public problems). A hidden or deleted
    problem stays of unknown difficulty, without tags; an unreachable problem service leaves the rest
    unknown for this read (insights still answer)."""

    def __init__(self, stub: UpstreamStub, *, monotonic_s: Callable[[], float] = time.monotonic) -> None:
        self._stub = stub
        self._missing: dict[str, float] = {}
        self._monotonic_s = monotonic_s

    async def metas(self, problem_ids: Sequence[str]) -> dict[str, ProblemMeta]:
        now = self._monotonic_s()
        self._missing = {p: until for p, until in self._missing.items() if until > now}
        found: dict[str, ProblemMeta] = {}
        for problem_id in [p for p in problem_ids if p not in self._missing][:MAX_LOOKUPS]:
            try:
                response = await self._stub.GetProblem(
                    problem_service_pb2.GetProblemRequest(problem_id=problem_id), timeout_s=LOOKUP_TIMEOUT_S
                )
            except UpstreamError as exc:
                if exc.code not in _HIDDEN:
                    raise
                self._missing[problem_id] = now + MISSING_TTL_S
                continue
            except ArenaError as exc:  # unavailable, deadline: answer with what is known
                log.warning("problem lookups failed; difficulty and tags unknown for now", error=str(exc))
                break
            problem = response.problem
            found[problem_id] = problem_meta(
                {"difficulty": problem_pb2.Difficulty.Name(problem.difficulty), "tags": ",".join(problem.tags)}
            )
        return found
