"""The problem service's use cases."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import structlog

from arena.kit.auth import Identity
from arena.kit.db import utcnow
from arena.kit.errors import InvalidArgument, NotFound, PermissionDenied
from arena.kit.ids import new_id
from arena.problem.domain import UPDATABLE_FIELDS, Content, Problem, TestCase, can_edit, can_see, validate
from arena.problem.store import ORDERS, Filters, Page, SqlProblemStore

log = structlog.get_logger("arena.problem")


@dataclasses.dataclass(frozen=True)
class Viewed:
    """A problem as one caller sees it."""

    problem: Problem
    liked: bool = False
    bookmarked: bool = False


class ProblemApp:
    def __init__(self, store: SqlProblemStore, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock

    async def _visible(self, problem_id: str, caller: Identity | None, *, with_tests: bool = True) -> Problem:
        problem = await self.store.get(problem_id, with_tests=with_tests)
        if problem is None or not can_see(problem, caller):
            raise NotFound("problem", problem_id)  # hidden problems are indistinguishable from missing ones
        return problem

    async def _editable(self, problem_id: str, caller: Identity) -> Problem:
        problem = await self._visible(problem_id, caller)
        if not can_edit(problem, caller):
            raise PermissionDenied("only the problem's author or an admin may change it", reason="NOT_OWNER")
        return problem

    async def _viewed(self, problems: list[Problem], caller: Identity | None) -> list[Viewed]:
        if caller is None:
            return [Viewed(p) for p in problems]
        liked, bookmarked = await self.store.marks(caller.user_id, [p.problem_id for p in problems])
        return [Viewed(p, p.problem_id in liked, p.problem_id in bookmarked) for p in problems]

    async def create(self, caller: Identity, content: Content) -> Problem:
        problem = await self.store.insert(new_id(), validate(content), caller.user_id, self.clock())
        log.info("problem created", problem_id=problem.problem_id, slug=problem.content.slug)
        return problem

    async def get(self, problem_id: str, caller: Identity | None) -> Viewed:
        problem = await self._visible(problem_id, caller)
        return (await self._viewed([problem], caller))[0]

    async def list(
        self, filters: Filters, order: str, limit: int, cursor: list[Any] | None, caller: Identity | None
    ) -> tuple[list[Viewed], Page]:
        if order not in ORDERS:
            raise InvalidArgument.field("order_by", f"must be one of: {', '.join(ORDERS)}")
        page = await self.store.list(filters, order, limit, cursor)
        return await self._viewed(page.problems, caller), page

    async def update(self, caller: Identity, problem_id: str, changes: dict[str, Any]) -> Problem:
        unknown = sorted(set(changes) - UPDATABLE_FIELDS)
        if unknown:
            raise InvalidArgument.field(
                "update_mask", f"cannot change {', '.join(unknown)}", reason="INVALID_UPDATE_MASK"
            )
        if not changes:
            raise InvalidArgument.field("update_mask", "names no field to change", reason="INVALID_UPDATE_MASK")
        current = await self._editable(problem_id, caller)
        merged = dataclasses.replace(current.content, **changes)
        updated = await self.store.replace_content(current.problem_id, validate(merged), self.clock())
        if updated is None:
            raise NotFound("problem", problem_id)
        log.info("problem updated", problem_id=problem_id, fields=sorted(changes), revision=updated.revision)
        return updated

    async def delete(self, caller: Identity, problem_id: str) -> None:
        problem = await self._editable(problem_id, caller)
        await self.store.soft_delete(problem.problem_id, self.clock())
        log.info("problem deleted", problem_id=problem.problem_id)

    async def tests(self, caller: Identity | None, problem_id: str) -> tuple[tuple[TestCase, ...], bool]:
        """The problem's tests the caller may see: samples, or all of them for the author and admins."""
        problem = await self._visible(problem_id, caller)
        if can_edit(problem, caller):
            return problem.tests, True
        return tuple(t for t in problem.tests if t.sample), False

    async def mark(self, kind: str, caller: Identity, problem_id: str, on: bool) -> int:
        problem = await self._visible(problem_id, caller, with_tests=False)
        return await self.store.mark(kind, problem.problem_id, caller.user_id, on, self.clock())

    async def bookmarks(
        self, caller: Identity, limit: int, cursor: list[Any] | None
    ) -> tuple[list[Viewed], list[Any] | None]:
        problems, next_cursor = await self.store.bookmarks(caller.user_id, limit, cursor, admin=caller.is_admin)
        return await self._viewed(problems, caller), next_cursor

    async def judge_bundle(self, problem_id: str) -> Problem:
        """Everything the judge needs, hidden tests included (service-to-service only)."""
        problem = await self.store.get(problem_id)
        if problem is None:
            raise NotFound("problem", problem_id)
        return problem
