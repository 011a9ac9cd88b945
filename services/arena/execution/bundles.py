"""Where the judge gets a problem's limits, checker and tests: the problem service's GetJudgeBundle.

Bundles are cached briefly: a burst of submissions to one problem costs one call, and an
edited problem is judged by its new tests within ``ttl_s``. A bundle carries the problem's
visibility (author, hidden, embargo end) for CreateSubmission's check: the embargo's end is a
time, so a contest's start opens the problem exactly on time even from a cached bundle, but a
problem made hidden, or a new or moved embargo, is seen up to ``ttl_s`` late.
"""

from __future__ import annotations

from typing import Protocol

import grpc

from arena.execution.checkers import CheckerSpec, InteractorSpec
from arena.execution.domain import TestGroup
from arena.execution.judge import Bundle, BundleTest
from arena.kit.cache import TtlCache
from arena.kit.client import UpstreamStub
from arena.kit.convert import datetime, seconds
from arena.kit.errors import UpstreamError
from arena.problem.v1 import problem_internal_service_pb2, problem_pb2

BUNDLE_TIMEOUT_S = 10.0


class BundleSource(Protocol):
    async def get(self, problem_id: str, *, fresh: bool = False) -> Bundle | None:
        """The problem's judge bundle, or None when there is no such problem. ``fresh``: as the problem
        service has it now, never a cached copy (a rejudge exists to see edited tests)."""


def bundle_from(message: problem_pb2.JudgeBundle) -> Bundle:
    kind = problem_pb2.CheckerKind.Name(message.checker.kind).removeprefix("CHECKER_KIND_")
    return Bundle(
        problem_id=message.problem_id,
        revision=message.revision,
        time_limit_ms=round(seconds(message.time_limit) * 1000),
        memory_limit_kib=message.memory_limit_kib,
        checker=CheckerSpec(
            kind="TOKENS" if kind == "UNSPECIFIED" else kind,
            absolute_tolerance=message.checker.absolute_tolerance,
            relative_tolerance=message.checker.relative_tolerance,
            program_language_id=message.checker.program_language_id,
            program_source=message.checker.program_source,
        ),
        tests=tuple(BundleTest(t.ordinal, t.input, t.expected_output, t.sample) for t in message.tests),
        groups=tuple(TestGroup(g.name, g.points, tuple(g.test_ordinals)) for g in message.test_groups),
        run_whole_failed_groups=message.run_whole_failed_groups,
        interactor=(
            InteractorSpec(message.interactor.language_id, message.interactor.source)
            if message.HasField("interactor") and message.interactor.language_id
            else None
        ),
        author_id=message.author_id,
        hidden=message.hidden,
        embargo_end=datetime(message.embargo_end_time) if message.HasField("embargo_end_time") else None,
    )


class ProblemServiceBundles:
    """Bundles from ``ProblemInternalService.GetJudgeBundle`` through the kit's client."""

    def __init__(self, stub: UpstreamStub, *, ttl_s: float = 10.0) -> None:
        self._stub = stub  # the kit's UpstreamStub for ProblemInternalService
        self._cache: TtlCache[str, Bundle] = TtlCache(max_entries=256, ttl_s=ttl_s)

    async def get(self, problem_id: str, *, fresh: bool = False) -> Bundle | None:
        cached = None if fresh else self._cache.get(problem_id)
        if cached is not None:
            return cached
        try:
            response = await self._stub.GetJudgeBundle(
                problem_internal_service_pb2.GetJudgeBundleRequest(problem_id=problem_id), timeout_s=BUNDLE_TIMEOUT_S
            )
        except UpstreamError as exc:
            if exc.code == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        bundle = bundle_from(response.bundle)
        self._cache.put(problem_id, bundle)
        return bundle
