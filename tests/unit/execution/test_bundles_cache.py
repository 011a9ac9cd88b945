"""Judge bundles are cached briefly, except when a rejudge asks for the problem as it is now."""

from __future__ import annotations

from typing import Any

from arena.execution.bundles import ProblemServiceBundles
from arena.problem.v1 import problem_internal_service_pb2, problem_pb2


class Stub:
    """ProblemInternalService as the kit's client would call it, counting calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def GetJudgeBundle(self, request: Any, *, timeout_s: float) -> Any:
        self.calls += 1
        bundle = problem_pb2.JudgeBundle(problem_id=request.problem_id, revision=self.calls, memory_limit_kib=65536)
        return problem_internal_service_pb2.GetJudgeBundleResponse(bundle=bundle)


async def test_a_fresh_read_skips_the_cache_and_refreshes_it():
    stub = Stub()
    bundles = ProblemServiceBundles(stub, ttl_s=60.0)  # type: ignore[arg-type]
    assert (await bundles.get("p")).revision == 1
    assert (await bundles.get("p")).revision == 1 and stub.calls == 1  # cached
    assert (await bundles.get("p", fresh=True)).revision == 2 and stub.calls == 2  # a rejudge sees edits now
    assert (await bundles.get("p")).revision == 2 and stub.calls == 2  # and later reads get the fresh copy
