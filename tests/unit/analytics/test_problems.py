"""Problem facts from the problem service: found, hidden (remembered for a while) or unreachable."""

from __future__ import annotations

import grpc
import pytest

from arena.analytics.domain import ProblemMeta
from arena.analytics.problems import MISSING_TTL_S, ProblemServiceCatalog
from arena.core.errors import Unavailable
from arena.kit.errors import UpstreamError
from arena.problem.v1 import problem_pb2, problem_service_pb2


class Stub:
    def __init__(self) -> None:
        self.asked: list[str] = []
        self.down = False

    async def GetProblem(
        self, request: problem_service_pb2.GetProblemRequest, *, timeout_s: float
    ) -> problem_service_pb2.GetProblemResponse:
        self.asked.append(request.problem_id)
        if self.down:
            raise Unavailable("the problem service is unavailable")
        if request.problem_id == "hidden":
            raise UpstreamError(grpc.StatusCode.NOT_FOUND, "problem 'hidden' not found")
        if request.problem_id == "broken":
            raise UpstreamError(grpc.StatusCode.INVALID_ARGUMENT, "bad")
        problem = problem_pb2.Problem(
            problem_id=request.problem_id, difficulty=problem_pb2.DIFFICULTY_HARD, tags=["dp"]
        )
        return problem_service_pb2.GetProblemResponse(problem=problem)


async def test_found_hidden_and_unreachable_problems() -> None:
    stub, clock = Stub(), [0.0]
    catalog = ProblemServiceCatalog(stub, monotonic_s=lambda: clock[0])  # type: ignore[arg-type]
    assert await catalog.metas(["p", "hidden"]) == {"p": ProblemMeta("DIFFICULTY_HARD", ("dp",))}
    assert await catalog.metas(["hidden"]) == {} and stub.asked == ["p", "hidden"]  # remembered as hidden
    clock[0] = MISSING_TTL_S + 1
    await catalog.metas(["hidden"])
    assert stub.asked[-1] == "hidden"  # asked again after a while
    stub.down = True
    assert await catalog.metas(["q", "r"]) == {} and stub.asked[-1] == "q"  # one failure stops this read
    stub.down = False
    with pytest.raises(UpstreamError):
        await catalog.metas(["broken"])
