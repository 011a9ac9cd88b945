"""ProblemService and ProblemInternalService over gRPC: proto ↔ use case."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from arena.kit import context as request_context
from arena.kit import pagination
from arena.kit.convert import duration, timestamp
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
    Problem,
    TestCase,
    Visibility,
)
from arena.problem.store import Filters
from arena.problem.v1 import (
    problem_internal_service_pb2,
    problem_internal_service_pb2_grpc,
    problem_pb2,
    problem_service_pb2,
    problem_service_pb2_grpc,
)


def _tests(messages: Any, sample: bool) -> tuple[TestCase, ...]:
    return tuple(TestCase(t.input, t.expected_output, sample, t.explanation if sample else "") for t in messages)


def _checker(message: problem_pb2.Checker) -> Checker:
    if message.kind == 0:
        kind = CheckerKind.TOKENS
    elif message.kind in problem_pb2.CheckerKind.values():
        kind = CheckerKind[problem_pb2.CheckerKind.Name(message.kind).removeprefix("CHECKER_KIND_")]
    else:
        raise InvalidArgument.field("problem.checker.kind", "is not a known checker")
    return Checker(
        kind, message.absolute_tolerance or DEFAULT_TOLERANCE, message.relative_tolerance or DEFAULT_TOLERANCE
    )


def _time_limit_ms(message: problem_pb2.Problem) -> int:
    if not message.HasField("time_limit"):
        return DEFAULT_TIME_LIMIT_MS
    return message.time_limit.seconds * 1000 + message.time_limit.nanos // 1_000_000


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
    )


def _difficulty(value: int, field: str) -> Difficulty:
    if value == 0 or value not in problem_pb2.Difficulty.values():
        raise InvalidArgument.field(field, "must be EASY, MEDIUM or HARD")
    return Difficulty[problem_pb2.Difficulty.Name(value).removeprefix("DIFFICULTY_")]


def _visibility(value: int) -> Visibility:
    if value == 0:
        return Visibility.PUBLIC
    if value not in problem_pb2.Visibility.values():
        raise InvalidArgument.field("problem.visibility", "is not a known value")
    return Visibility[problem_pb2.Visibility.Name(value).removeprefix("VISIBILITY_")]


def test_message(test: TestCase) -> problem_pb2.TestCase:
    return problem_pb2.TestCase(
        ordinal=test.ordinal,
        input=test.input,
        expected_output=test.expected_output,
        sample=test.sample,
        explanation=test.explanation,
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
        difficulty=problem_pb2.Difficulty.Value(f"DIFFICULTY_{content.difficulty.name}"),
        tags=content.tags,
        time_limit=duration(content.time_limit_ms / 1000),
        memory_limit_kib=content.memory_limit_kib,
        checker=problem_pb2.Checker(
            kind=problem_pb2.CheckerKind.Value(f"CHECKER_KIND_{content.checker.kind.name}"),
            absolute_tolerance=content.checker.absolute_tolerance,
            relative_tolerance=content.checker.relative_tolerance,
        ),
        sample_tests=[test_message(t) for t in problem.tests if t.sample] if with_samples else [],
        hidden_test_count=problem.hidden_test_count,
        visibility=problem_pb2.Visibility.Value(f"VISIBILITY_{content.visibility.name}"),
        author_id=problem.author_id,
        like_count=problem.like_count,
        bookmark_count=problem.bookmark_count,
        liked=liked,
        bookmarked=bookmarked,
        revision=problem.revision,
        create_time=timestamp(problem.create_time),
        update_time=timestamp(problem.update_time),
    )


def viewed_message(viewed: Viewed, *, with_samples: bool = True) -> problem_pb2.Problem:
    return problem_message(viewed.problem, liked=viewed.liked, bookmarked=viewed.bookmarked, with_samples=with_samples)


_MASK_TO_CONTENT = {
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
}


T = TypeVar("T")


class PageCache:
    """Serialized ListProblems pages, dropped whenever this process changes a problem, a like or a bookmark.

    A page depends on the caller (what they may see, what they liked and bookmarked), the filters,
    the order, the size and the page token, so all of them are the key. Every write drops every
    page once it has committed (writes are rare next to the first page every visitor opens), and a
    page read before a write finished is not stored after it (the generation moved), so a client
    never reads a list older than its own write from this process. The expiry bounds how long
    another process of the service may still serve a page from before a write. Pages are bounded
    in number and in bytes (statements make pages large), least recently used out first.
    """

    def __init__(
        self,
        *,
        ttl_s: float = 2.0,
        max_entries: int = 10_000,
        max_bytes: int = 32 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pages: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        self.size_bytes = 0
        self.generation = 0

    def __len__(self) -> int:
        return len(self._pages)

    def _drop(self, key: Hashable) -> None:
        self.size_bytes -= len(self._pages.pop(key)[1])

    async def get_or_build(self, key: Hashable, build: Callable[[], Awaitable[bytes]]) -> bytes:
        if self._ttl_s <= 0:
            return await build()
        found = self._pages.get(key)
        if found is not None:
            if found[0] > self._clock():
                self._pages.move_to_end(key)
                return found[1]
            self._drop(key)
        generation = self.generation
        page = await build()
        if generation == self.generation and len(page) <= self._max_bytes:
            if key in self._pages:  # built twice at once: keep the newer
                self._drop(key)
            self._pages[key] = (self._clock() + self._ttl_s, page)
            self.size_bytes += len(page)
            while len(self._pages) > self._max_entries or self.size_bytes > self._max_bytes:
                self._drop(next(iter(self._pages)))
        return page

    def invalidate(self) -> None:
        self.generation += 1
        self._pages.clear()
        self.size_bytes = 0

    async def writing(self, write: Awaitable[T]) -> T:
        """Runs a write, then drops every page (also when the write failed part-way)."""
        try:
            return await write
        finally:
            self.invalidate()


class ProblemServicer(problem_service_pb2_grpc.ProblemServiceServicer):
    def __init__(self, app: ProblemApp, *, list_cache_ttl_s: float = 2.0) -> None:
        self.app = app
        self.pages = PageCache(ttl_s=list_cache_ttl_s)

    async def CreateProblem(self, request, context):
        problem = await self.pages.writing(
            self.app.create(request_context.require_identity(), content_from(request.problem))
        )
        return problem_service_pb2.CreateProblemResponse(problem=problem_message(problem))

    async def GetProblem(self, request, context):
        viewed = await self.app.get(request.problem_id, request_context.identity())
        return problem_service_pb2.GetProblemResponse(problem=viewed_message(viewed))

    async def ListProblems(self, request, context):
        """A page, serialized once and kept (see ``PageCache``); sample tests are left out by contract."""
        caller = request_context.identity()
        difficulty = _difficulty(request.difficulty, "difficulty") if request.difficulty else None
        filters = Filters(
            difficulty=difficulty,
            tag=request.tag[:32],
            query=request.query[:120],
            viewer_id=caller.user_id if caller else None,
            viewer_is_admin=bool(caller and caller.is_admin),
        )
        order = request.order_by.strip() or "create_time desc"
        size = pagination.page_size(request.page_size, default=50, maximum=100)
        key = (
            filters.viewer_id,
            filters.viewer_is_admin,
            request.difficulty,
            filters.tag,
            filters.query,
            order,
            size,
            request.page_token,
        )

        async def build() -> bytes:
            fingerprint = {
                "d": request.difficulty,
                "t": filters.tag,
                "q": filters.query,
                "o": order,
                "v": filters.viewer_id,
            }
            cursor = pagination.decode_token(request.page_token, fingerprint)
            viewed, page = await self.app.list(filters, order, size, cursor, caller)
            token = pagination.encode_token(page.next_cursor, fingerprint) if page.next_cursor else ""
            return problem_service_pb2.ListProblemsResponse(
                problems=[viewed_message(v, with_samples=False) for v in viewed],
                next_page_token=token,
                total_size=page.total,
            ).SerializeToString()

        return await self.pages.get_or_build(key, build)

    async def UpdateProblem(self, request, context):
        changes = {}
        for path in request.update_mask.paths:
            if path not in _MASK_TO_CONTENT:
                raise InvalidArgument.field("update_mask", f"`{path}` cannot be changed", reason="INVALID_UPDATE_MASK")
            field, read = _MASK_TO_CONTENT[path]
            changes[field] = read(request.problem)
        problem = await self.pages.writing(
            self.app.update(request_context.require_identity(), request.problem.problem_id, changes)
        )
        return problem_service_pb2.UpdateProblemResponse(problem=problem_message(problem))

    async def DeleteProblem(self, request, context):
        await self.pages.writing(self.app.delete(request_context.require_identity(), request.problem_id))
        return problem_service_pb2.DeleteProblemResponse()

    async def ListTestCases(self, request, context):
        tests, hidden_included = await self.app.tests(request_context.identity(), request.problem_id)
        return problem_service_pb2.ListTestCasesResponse(
            tests=[test_message(t) for t in tests], hidden_included=hidden_included
        )

    async def LikeProblem(self, request, context):
        count = await self.pages.writing(
            self.app.mark("like", request_context.require_identity(), request.problem_id, request.liked)
        )
        return problem_service_pb2.LikeProblemResponse(liked=request.liked, like_count=count)

    async def BookmarkProblem(self, request, context):
        count = await self.pages.writing(
            self.app.mark("bookmark", request_context.require_identity(), request.problem_id, request.bookmarked)
        )
        return problem_service_pb2.BookmarkProblemResponse(bookmarked=request.bookmarked, bookmark_count=count)

    async def ListBookmarks(self, request, context):
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
    def __init__(self, app: ProblemApp) -> None:
        self.app = app

    async def GetJudgeBundle(self, request, context):
        problem = await self.app.judge_bundle(request.problem_id)
        content = problem.content
        bundle = problem_pb2.JudgeBundle(
            problem_id=problem.problem_id,
            revision=problem.revision,
            time_limit=duration(content.time_limit_ms / 1000),
            memory_limit_kib=content.memory_limit_kib,
            checker=problem_message(problem).checker,
            tests=[test_message(t) for t in problem.tests],
        )
        return problem_internal_service_pb2.GetJudgeBundleResponse(bundle=bundle)

    async def BatchGetProblemSummaries(self, request, context):
        if len(request.problem_ids) > 100:
            raise InvalidArgument.field("problem_ids", "at most 100")
        found = {p.problem_id: p for p in await self.app.store.summaries(list(request.problem_ids))}
        by_slug = {p.content.slug: p for p in found.values()}
        ordered = [found.get(i) or by_slug.get(i) for i in request.problem_ids]
        return problem_internal_service_pb2.BatchGetProblemSummariesResponse(
            problems=[
                problem_pb2.ProblemSummary(
                    problem_id=p.problem_id,
                    slug=p.content.slug,
                    title=p.content.title,
                    difficulty=problem_pb2.Difficulty.Value(f"DIFFICULTY_{p.content.difficulty.name}"),
                )
                for p in ordered
                if p is not None
            ]
        )
