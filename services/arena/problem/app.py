"""The problem service's use cases.

``ProblemApp`` depends on the ``ProblemStore`` port, never on SQL: production wires it to
``SqlProblemStore``, the use-case tests to ``InMemoryProblemStore``. Who may see and change
a problem is the domain's rule (``can_see``, ``can_edit``, ``visible_to``); the app applies it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import structlog

from arena.core.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied
from arena.core.identity import Identity
from arena.kit.ids import new_id
from arena.problem.domain import (
    UPDATABLE_FIELDS,
    Content,
    Embargo,
    Listing,
    MarkKind,
    Problem,
    TestCase,
    can_edit,
    can_see,
    check_embargo,
    validate,
    visible_to,
)
from arena.problem.store import Cursor, Page, Problems, ProblemStore

log = structlog.get_logger("arena.problem")

MAX_SUMMARIES = 100
"""Problems one BatchGetProblemSummaries call may name."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True)
class Viewed:
    """A problem as one caller sees it."""

    problem: Problem
    liked: bool = False
    bookmarked: bool = False


Vieweds: TypeAlias = list[Viewed]


class ProblemApp:
    def __init__(self, store: ProblemStore, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock

    async def _visible(self, problem_id: str, caller: Identity | None, *, with_tests: bool = True) -> Problem:
        problem = await self.store.get(problem_id, with_tests=with_tests)
        if problem is None or not can_see(problem, caller, self.clock()):
            raise NotFound("problem", problem_id)  # hidden problems are indistinguishable from missing ones
        return problem

    async def _editable(self, problem_id: str, caller: Identity) -> Problem:
        problem = await self._visible(problem_id, caller)
        if not can_edit(problem, caller):
            raise PermissionDenied("only the problem's author or an admin may change it", reason="NOT_OWNER")
        return problem

    async def _viewed(self, problems: Sequence[Problem], viewer_id: str | None) -> Vieweds:
        if viewer_id is None:
            return [Viewed(p) for p in problems]
        liked, bookmarked = await self.store.marks(viewer_id, [p.problem_id for p in problems])
        return [Viewed(p, p.problem_id in liked, p.problem_id in bookmarked) for p in problems]

    async def create(self, caller: Identity, content: Content) -> Problem:
        problem = await self.store.insert(new_id(), validate(content), caller.user_id, self.clock())
        log.info("problem created", problem_id=problem.problem_id, slug=problem.content.slug)
        return problem

    async def get(self, problem_id: str, caller: Identity | None) -> Viewed:
        problem = await self._visible(problem_id, caller)
        return (await self._viewed([problem], caller.user_id if caller else None))[0]

    async def list(self, listing: Listing, limit: int, cursor: Cursor | None = None) -> tuple[Vieweds, Page]:
        """One page of a list (``domain.listing`` makes one from a request's values)."""
        page = await self.store.list(listing.filters, listing.order, limit, cursor, listing.visible, now=self.clock())
        return await self._viewed(page.problems, listing.viewer_id), page

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

    async def mark(self, kind: MarkKind, caller: Identity, problem_id: str, on: bool) -> int:
        problem = await self._visible(problem_id, caller, with_tests=False)
        return await self.store.mark(kind, problem.problem_id, caller.user_id, on, self.clock())

    async def bookmarks(self, caller: Identity, limit: int, cursor: Cursor | None) -> tuple[Vieweds, Cursor | None]:
        problems, next_cursor = await self.store.bookmarks(
            caller.user_id, visible_to(caller), limit, cursor, now=self.clock()
        )
        return await self._viewed(problems, caller.user_id), next_cursor

    async def summaries(self, keys: Sequence[str]) -> Problems:
        """The problems named by id or slug, in the order asked, the missing ones left out (service-to-service)."""
        if len(keys) > MAX_SUMMARIES:
            raise InvalidArgument.field("problem_ids", f"at most {MAX_SUMMARIES}")
        found = {p.problem_id: p for p in await self.store.summaries(keys)}
        by_slug = {p.content.slug: p for p in found.values()}
        ordered = (found.get(key) or by_slug.get(key) for key in keys)
        return [p for p in ordered if p is not None]

    async def set_embargo(self, contest_id: str, problem_ids: Sequence[str], end: dt.datetime | None) -> Embargo:
        """Replaces a contest's embargo (service-to-service only): its problems stay hidden from everyone
        but their authors and admins until ``end``. Every problem must exist (by id); else field violations."""
        embargo = check_embargo(contest_id, problem_ids, end)
        live = await self.store.live_ids(embargo.problem_ids)
        missing = [
            FieldViolation(f"problem_ids[{i}]", f"no problem {p!r}") for i, p in enumerate(problem_ids) if p not in live
        ]
        if missing:
            raise InvalidArgument(f"{missing[0].field}: {missing[0].description}", violations=missing)
        await self.store.set_embargo(embargo.contest_id, embargo.problem_ids, embargo.end)
        log.info("contest embargo set", contest_id=contest_id, problems=len(embargo.problem_ids), end=embargo.end)
        return embargo

    async def judge_bundle(self, problem_id: str) -> Problem:
        """Everything the judge needs, hidden tests included (service-to-service only); the caller decides who
        may submit (``Problem.author_id``, its visibility and ``embargo_end`` travel with it)."""
        problem = await self.store.get(problem_id)
        if problem is None:
            raise NotFound("problem", problem_id)
        return problem
