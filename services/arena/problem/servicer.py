"""ProblemService and ProblemInternalService over gRPC: proto ↔ domain values, a few lines per RPC.

Nothing here decides anything: rules live in ``domain``, orchestration in ``app``. A method
reads its request (and the caller from the request context), calls one use case and builds
its response; errors raised below become statuses in the kit's middleware. ListProblems
answers from ``PageCache`` (serialized pages), which every write here empties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeAlias, cast

import grpc

from arena.kit import context as request_context
from arena.kit import pagination
from arena.kit.convert import datetime, duration, timestamp
from arena.kit.errors import InvalidArgument
from arena.problem.app import ProblemApp, Viewed
from arena.problem.domain import (
    DEFAULT_MEMORY_LIMIT_KIB,
    DEFAULT_TIME_LIMIT_MS,
    DEFAULT_TOLERANCE,
    Checker,
    CheckerKind,
    Content,
    Difficulty,
    Interactor,
    Listing,
    Problem,
    TestCase,
    TestGroup,
    Visibility,
    listing,
)
from arena.problem.pages import PageCache
from arena.problem.v1 import (
    problem_internal_service_pb2,
    problem_internal_service_pb2_grpc,
    problem_pb2,
    problem_service_pb2,
    problem_service_pb2_grpc,
)

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

_DIFFICULTY_TO_PROTO: dict[Difficulty, problem_pb2.Difficulty] = {
    d: cast("problem_pb2.Difficulty", problem_pb2.Difficulty.Value(f"DIFFICULTY_{d.name}")) for d in Difficulty
}
_DIFFICULTY_FROM_PROTO = {value: d for d, value in _DIFFICULTY_TO_PROTO.items()}
_CHECKER_TO_PROTO: dict[CheckerKind, problem_pb2.CheckerKind] = {
    k: cast("problem_pb2.CheckerKind", problem_pb2.CheckerKind.Value(f"CHECKER_KIND_{k.name}")) for k in CheckerKind
}
_CHECKER_FROM_PROTO = {value: k for k, value in _CHECKER_TO_PROTO.items()}
_VISIBILITY_TO_PROTO: dict[Visibility, problem_pb2.Visibility] = {
    v: cast("problem_pb2.Visibility", problem_pb2.Visibility.Value(f"VISIBILITY_{v.name}")) for v in Visibility
}
_VISIBILITY_FROM_PROTO = {value: v for v, value in _VISIBILITY_TO_PROTO.items()}


def _tests(messages: Iterable[problem_pb2.TestCase], sample: bool) -> tuple[TestCase, ...]:
    return tuple(TestCase(t.input, t.expected_output, sample, t.explanation if sample else "") for t in messages)


def _checker(message: problem_pb2.Checker) -> Checker:
    if message.kind == 0:
        kind = CheckerKind.TOKENS
    elif message.kind in _CHECKER_FROM_PROTO:
        kind = _CHECKER_FROM_PROTO[message.kind]
    else:
        raise InvalidArgument.field("problem.checker.kind", "is not a known checker")
    return Checker(
        kind,
        message.absolute_tolerance or DEFAULT_TOLERANCE,
        message.relative_tolerance or DEFAULT_TOLERANCE,
        message.program_language_id,
        message.program_source,
    )


def _interactor(message: problem_pb2.Interactor) -> Interactor:
    return Interactor(message.language_id, message.source)


def interactor_message(interactor: Interactor, *, with_source: bool = False) -> problem_pb2.Interactor | None:
    """The interactor (None when the problem is not interactive); its source only for the judge."""
    if not interactor.present:
        return None
    return problem_pb2.Interactor(language_id=interactor.language_id, source=interactor.source if with_source else "")


def _groups(messages: Iterable[problem_pb2.TestGroup]) -> tuple[TestGroup, ...]:
    return tuple(TestGroup(g.name, g.points, tuple(g.test_ordinals)) for g in messages)


def group_message(group: TestGroup) -> problem_pb2.TestGroup:
    return problem_pb2.TestGroup(name=group.name, points=group.points, test_ordinals=group.test_ordinals)


def _time_limit_ms(message: problem_pb2.Problem) -> int:
    if not message.HasField("time_limit"):
        return DEFAULT_TIME_LIMIT_MS
    return message.time_limit.seconds * 1000 + message.time_limit.nanos // 1_000_000


def _difficulty(value: int, field: str) -> Difficulty:
    found = _DIFFICULTY_FROM_PROTO.get(cast("problem_pb2.Difficulty", value))
    if found is None:
        raise InvalidArgument.field(field, "must be EASY, MEDIUM or HARD")
    return found


def _visibility(value: int) -> Visibility:
    if value == 0:
        return Visibility.PUBLIC
    found = _VISIBILITY_FROM_PROTO.get(cast("problem_pb2.Visibility", value))
    if found is None:
        raise InvalidArgument.field("problem.visibility", "is not a known value")
    return found


def content_from(message: problem_pb2.Problem) -> Content:
    return Content(
        slug=message.slug,
        title=message.title,
        statement=message.statement,
        difficulty=_difficulty(message.difficulty, "problem.difficulty"),
        tags=tuple(message.tags),
        time_limit_ms=_time_limit_ms(message),
        memory_limit_kib=message.memory_limit_kib or DEFAULT_MEMORY_LIMIT_KIB,
        checker=_checker(message.checker),
        visibility=_visibility(message.visibility),
        sample_tests=_tests(message.sample_tests, True),
        hidden_tests=_tests(message.hidden_tests, False),
        test_groups=_groups(message.test_groups),
        run_whole_failed_groups=message.run_whole_failed_groups,
        interactor=_interactor(message.interactor),
    )


def test_message(test: TestCase) -> problem_pb2.TestCase:
    return problem_pb2.TestCase(
        ordinal=test.ordinal,
        input=test.input,
        expected_output=test.expected_output,
        sample=test.sample,
        explanation=test.explanation,
    )


def checker_message(checker: Checker, *, with_source: bool = False) -> problem_pb2.Checker:
    """The checker; a checker program's source only for the judge (never in public replies)."""
    return problem_pb2.Checker(
        kind=_CHECKER_TO_PROTO[checker.kind],
        absolute_tolerance=checker.absolute_tolerance,
        relative_tolerance=checker.relative_tolerance,
        program_language_id=checker.program_language_id,
        program_source=checker.program_source if with_source else "",
    )


def problem_message(
    problem: Problem, *, liked: bool = False, bookmarked: bool = False, with_samples: bool = True
) -> problem_pb2.Problem:
    """A problem as any public reply shows it: never with hidden tests."""
    content = problem.content
    return problem_pb2.Problem(
        problem_id=problem.problem_id,
        slug=content.slug,
        title=content.title,
        statement=content.statement,
        difficulty=_DIFFICULTY_TO_PROTO[content.difficulty],
        tags=content.tags,
        time_limit=duration(content.time_limit_ms / 1000),
        memory_limit_kib=content.memory_limit_kib,
        checker=checker_message(content.checker),
        sample_tests=[test_message(t) for t in problem.tests if t.sample] if with_samples else [],
        hidden_test_count=problem.hidden_test_count,
        visibility=_VISIBILITY_TO_PROTO[content.visibility],
        author_id=problem.author_id,
        like_count=problem.like_count,
        bookmark_count=problem.bookmark_count,
        liked=liked,
        bookmarked=bookmarked,
        revision=problem.revision,
        create_time=timestamp(problem.create_time),
        update_time=timestamp(problem.update_time),
        test_groups=[group_message(g) for g in content.test_groups],
        run_whole_failed_groups=content.run_whole_failed_groups,
        interactor=interactor_message(content.interactor),
    )


def viewed_message(viewed: Viewed, *, with_samples: bool = True) -> problem_pb2.Problem:
    return problem_message(viewed.problem, liked=viewed.liked, bookmarked=viewed.bookmarked, with_samples=with_samples)


# Update mask paths of the contract → the Content field each changes, and how to read it from the message.
_MASK_TO_CONTENT: dict[str, tuple[str, Callable[[problem_pb2.Problem], Any]]] = {
    "slug": ("slug", lambda m: m.slug),
    "title": ("title", lambda m: m.title),
    "statement": ("statement", lambda m: m.statement),
    "difficulty": ("difficulty", lambda m: _difficulty(m.difficulty, "problem.difficulty")),
    "tags": ("tags", lambda m: tuple(m.tags)),
    "time_limit": ("time_limit_ms", _time_limit_ms),
    "memory_limit_kib": ("memory_limit_kib", lambda m: m.memory_limit_kib or DEFAULT_MEMORY_LIMIT_KIB),
    "checker": ("checker", lambda m: _checker(m.checker)),
    "sample_tests": ("sample_tests", lambda m: _tests(m.sample_tests, True)),
    "hidden_tests": ("hidden_tests", lambda m: _tests(m.hidden_tests, False)),
    "visibility": ("visibility", lambda m: _visibility(m.visibility)),
    "test_groups": ("test_groups", lambda m: _groups(m.test_groups)),
    "run_whole_failed_groups": ("run_whole_failed_groups", lambda m: m.run_whole_failed_groups),
    "interactor": ("interactor", lambda m: _interactor(m.interactor)),
}


def _token_fingerprint(asked: Listing) -> dict[str, Any]:
    """What a ListProblems page token is bound to: the query and the caller."""
    difficulty = asked.filters.difficulty
    return {
        "d": _DIFFICULTY_TO_PROTO[difficulty] if difficulty is not None else 0,
        "t": asked.filters.tag,
        "q": asked.filters.query,
        "o": asked.order,
        "v": asked.viewer_id,
    }


class ProblemServicer(problem_service_pb2_grpc.ProblemServiceServicer):
    def __init__(self, app: ProblemApp, *, list_cache_ttl_s: float = 2.0) -> None:
        self.app = app
        self.pages = PageCache(ttl_s=list_cache_ttl_s)

    async def CreateProblem(
        self, request: problem_service_pb2.CreateProblemRequest, context: Context
    ) -> problem_service_pb2.CreateProblemResponse:
        problem = await self.pages.writing(
            self.app.create(request_context.require_identity(), content_from(request.problem))
        )
        return problem_service_pb2.CreateProblemResponse(problem=problem_message(problem))

    async def GetProblem(
        self, request: problem_service_pb2.GetProblemRequest, context: Context
    ) -> problem_service_pb2.GetProblemResponse:
        viewed = await self.app.get(request.problem_id, request_context.identity())
        return problem_service_pb2.GetProblemResponse(problem=viewed_message(viewed))

    async def ListProblems(self, request: problem_service_pb2.ListProblemsRequest, context: Context) -> bytes:
        """A page, serialized once and kept (see ``PageCache``); sample tests are left out by contract."""
        asked = listing(
            request_context.identity(),
            difficulty=_difficulty(request.difficulty, "difficulty") if request.difficulty else None,
            tag=request.tag,
            query=request.query,
            order=request.order_by,
        )
        size = pagination.page_size(request.page_size, default=50, maximum=100)

        async def build() -> bytes:
            fingerprint = _token_fingerprint(asked)
            cursor = pagination.decode_token(request.page_token, fingerprint)
            viewed, page = await self.app.list(asked, size, cursor)
            token = pagination.encode_token(page.next_cursor, fingerprint) if page.next_cursor else ""
            return problem_service_pb2.ListProblemsResponse(
                problems=[viewed_message(v, with_samples=False) for v in viewed],
                next_page_token=token,
                total_size=page.total,
            ).SerializeToString()

        return await self.pages.get_or_build((asked, size, request.page_token), build)

    async def UpdateProblem(
        self, request: problem_service_pb2.UpdateProblemRequest, context: Context
    ) -> problem_service_pb2.UpdateProblemResponse:
        changes: dict[str, Any] = {}
        for path in request.update_mask.paths:
            if path not in _MASK_TO_CONTENT:
                raise InvalidArgument.field("update_mask", f"`{path}` cannot be changed", reason="INVALID_UPDATE_MASK")
            field, read = _MASK_TO_CONTENT[path]
            changes[field] = read(request.problem)
        problem = await self.pages.writing(
            self.app.update(request_context.require_identity(), request.problem.problem_id, changes)
        )
        return problem_service_pb2.UpdateProblemResponse(problem=problem_message(problem))

    async def DeleteProblem(
        self, request: problem_service_pb2.DeleteProblemRequest, context: Context
    ) -> problem_service_pb2.DeleteProblemResponse:
        await self.pages.writing(self.app.delete(request_context.require_identity(), request.problem_id))
        return problem_service_pb2.DeleteProblemResponse()

    async def ListTestCases(
        self, request: problem_service_pb2.ListTestCasesRequest, context: Context
    ) -> problem_service_pb2.ListTestCasesResponse:
        tests, hidden_included = await self.app.tests(request_context.identity(), request.problem_id)
        return problem_service_pb2.ListTestCasesResponse(
            tests=[test_message(t) for t in tests], hidden_included=hidden_included
        )

    async def LikeProblem(
        self, request: problem_service_pb2.LikeProblemRequest, context: Context
    ) -> problem_service_pb2.LikeProblemResponse:
        count = await self.pages.writing(
            self.app.mark("like", request_context.require_identity(), request.problem_id, request.liked)
        )
        return problem_service_pb2.LikeProblemResponse(liked=request.liked, like_count=count)

    async def BookmarkProblem(
        self, request: problem_service_pb2.BookmarkProblemRequest, context: Context
    ) -> problem_service_pb2.BookmarkProblemResponse:
        count = await self.pages.writing(
            self.app.mark("bookmark", request_context.require_identity(), request.problem_id, request.bookmarked)
        )
        return problem_service_pb2.BookmarkProblemResponse(bookmarked=request.bookmarked, bookmark_count=count)

    async def ListBookmarks(
        self, request: problem_service_pb2.ListBookmarksRequest, context: Context
    ) -> problem_service_pb2.ListBookmarksResponse:
        caller = request_context.require_identity()
        fingerprint = {"u": caller.user_id}
        size = pagination.page_size(request.page_size, default=50, maximum=100)
        cursor = pagination.decode_token(request.page_token, fingerprint)
        viewed, next_cursor = await self.app.bookmarks(caller, size, cursor)
        token = pagination.encode_token(next_cursor, fingerprint) if next_cursor else ""
        return problem_service_pb2.ListBookmarksResponse(
            problems=[viewed_message(v, with_samples=False) for v in viewed], next_page_token=token
        )


class ProblemInternalServicer(problem_internal_service_pb2_grpc.ProblemInternalServiceServicer):
    def __init__(self, app: ProblemApp, *, pages: PageCache | None = None) -> None:
        self.app = app
        self.pages = pages if pages is not None else PageCache(ttl_s=0)
        """The public servicer's ListProblems pages: an embargo changes what lists show."""

    async def SetContestEmbargo(
        self, request: problem_internal_service_pb2.SetContestEmbargoRequest, context: Context
    ) -> problem_internal_service_pb2.SetContestEmbargoResponse:
        end = datetime(request.end_time) if request.HasField("end_time") else None
        embargo = await self.pages.writing(self.app.set_embargo(request.contest_id, list(request.problem_ids), end))
        return problem_internal_service_pb2.SetContestEmbargoResponse(problem_ids=embargo.problem_ids)

    async def GetJudgeBundle(
        self, request: problem_internal_service_pb2.GetJudgeBundleRequest, context: Context
    ) -> problem_internal_service_pb2.GetJudgeBundleResponse:
        problem = await self.app.judge_bundle(request.problem_id)
        content = problem.content
        bundle = problem_pb2.JudgeBundle(
            problem_id=problem.problem_id,
            revision=problem.revision,
            time_limit=duration(content.time_limit_ms / 1000),
            memory_limit_kib=content.memory_limit_kib,
            checker=checker_message(content.checker, with_source=True),
            tests=[test_message(t) for t in problem.tests],
            test_groups=[group_message(g) for g in content.test_groups],
            run_whole_failed_groups=content.run_whole_failed_groups,
            interactor=interactor_message(content.interactor, with_source=True),
            author_id=problem.author_id,
            hidden=content.visibility is Visibility.HIDDEN,
            embargo_end_time=timestamp(problem.embargo_end),
        )
        return problem_internal_service_pb2.GetJudgeBundleResponse(bundle=bundle)

    async def BatchGetProblemSummaries(
        self, request: problem_internal_service_pb2.BatchGetProblemSummariesRequest, context: Context
    ) -> problem_internal_service_pb2.BatchGetProblemSummariesResponse:
        problems = await self.app.summaries(list(request.problem_ids))
        return problem_internal_service_pb2.BatchGetProblemSummariesResponse(
            problems=[
                problem_pb2.ProblemSummary(
                    problem_id=p.problem_id,
                    slug=p.content.slug,
                    title=p.content.title,
                    difficulty=_DIFFICULTY_TO_PROTO[p.content.difficulty],
                    author_id=p.author_id,
                    hidden=p.content.visibility is Visibility.HIDDEN,
                    embargo_end_time=timestamp(p.embargo_end),
                )
                for p in problems
            ]
        )
