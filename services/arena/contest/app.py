"""The contest service's use cases.

``ContestApp`` depends on the ``ContestStore`` port and a ``ProblemCatalog`` (the problem service,
reached through its internal stub in production, a dictionary in tests), never on SQL or protobuf.
The rules are the domain's (``validate``, ``phase_at``, ``authorize``, ``standings``); the app applies
them and keeps the boards: the standings of a contest are computed once per (board version, view) and
shared by every request and stream with that view (``Boards``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import structlog

from arena.contest.domain import (
    Contest,
    ContestProblem,
    Phase,
    Result,
    Spec,
    Standings,
    Viewer,
    authorize,
    check_registration,
    phase_at,
    require_manager,
    standings,
    validate,
    validate_update,
    viewer_for,
)
from arena.contest.store import Board, ContestStore, Cursor, Registration
from arena.core.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from arena.core.identity import Identity
from arena.kit.ids import new_id

log = structlog.get_logger("arena.contest")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True)
class ProblemRef:
    problem_id: str
    slug: str
    title: str


class ProblemCatalog(Protocol):
    """The problem service as the contest sees it."""

    async def find(self, keys: Sequence[str]) -> list[ProblemRef]:
        """The problems named by id or slug; unknown ones are left out."""
        ...


@dataclasses.dataclass(frozen=True)
class View:
    """One caller's view of one board version: what the served bytes are keyed by."""

    board: Board
    viewer: Viewer
    frozen: bool
    """Whether this view hides results (the public or a contestant during the freeze)."""

    @property
    def key(self) -> tuple[str, str, int, bool]:
        return (self.board.contest.contest_id, self.viewer.key, self.board.version, self.frozen)


class Boards:
    """The latest board read per contest and its standings per view, computed once per version."""

    def __init__(self, store: ContestStore, *, max_contests: int = 1000, max_views: int = 10_000) -> None:
        self._store = store
        self._boards: OrderedDict[str, Board] = OrderedDict()
        self._standings: OrderedDict[tuple[str, str, int, bool], Standings] = OrderedDict()
        self._members: dict[str, tuple[int, frozenset[str]]] = {}
        self._max_contests = max_contests
        self._max_views = max_views
        self._locks: dict[str, asyncio.Lock] = {}

    async def board(self, contest_id: str) -> Board:
        """The contest's board at its current version (one small read when nothing changed)."""
        version = await self._store.version(contest_id)
        if version is None:
            raise NotFound("contest", contest_id)
        have = self._boards.get(contest_id)
        if have is not None and have.version >= version:
            self._boards.move_to_end(contest_id)
            return have
        async with self._locks.setdefault(contest_id, asyncio.Lock()):  # one reload per change, not one per caller
            have = self._boards.get(contest_id)
            if have is not None and have.version >= version:
                return have
            board = await self._store.board(contest_id)
            if board is None:
                raise NotFound("contest", contest_id)
            self._boards[contest_id] = board
            self._boards.move_to_end(contest_id)
            while len(self._boards) > self._max_contests:
                self._boards.popitem(last=False)
            return board

    def members(self, board: Board) -> frozenset[str]:
        """The board's participants as a set (built once per version)."""
        have = self._members.get(board.contest.contest_id)
        if have is None or have[0] != board.version:
            have = self._members[board.contest.contest_id] = (
                board.version,
                frozenset(p.user_id for p in board.participants),
            )
        return have[1]

    def standings(self, view: View, now: dt.datetime) -> Standings:
        found = self._standings.get(view.key)
        if found is None:
            board = view.board
            found = standings(board.contest, board.participants, board.results, view.viewer, now)
            self._standings[view.key] = found
            while len(self._standings) > self._max_views:
                self._standings.popitem(last=False)
        return found


class ContestApp:
    def __init__(
        self,
        store: ContestStore,
        problems: ProblemCatalog,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.store = store
        self.problems = problems
        self.clock = clock
        self.boards = Boards(store)
        self.changed: Callable[[str], None] = lambda contest_id: None
        """Called with a contest id after every write that moved its board (the streams listen)."""

    async def _contest(self, contest_id: str) -> Contest:
        contest = await self.store.get(contest_id) if contest_id else None
        if contest is None:
            raise NotFound("contest", contest_id)
        return contest

    async def _with_titles(self, spec: Spec) -> Spec:
        """The spec with canonical problem ids and titles; unknown problems are field violations."""
        found = await self.problems.find([p.problem_id for p in spec.problems])
        by_key = {r.problem_id: r for r in found} | {r.slug: r for r in found}
        bad: list[FieldViolation] = []
        problems: list[ContestProblem] = []
        for i, p in enumerate(spec.problems):
            ref = by_key.get(p.problem_id)
            if ref is None:
                bad.append(FieldViolation(f"contest.problems[{i}].problem_id", f"no problem {p.problem_id!r}"))
                continue
            problems.append(dataclasses.replace(p, problem_id=ref.problem_id, title=ref.title))
        if bad:
            raise InvalidArgument(f"unknown problems: {bad[0].description}", violations=bad)
        return validate(dataclasses.replace(spec, problems=tuple(problems)))  # duplicates by slug and id

    async def create(self, caller: Identity, spec: Spec) -> Contest:
        spec = await self._with_titles(validate(spec))
        contest = await self.store.insert(new_id(), spec, caller.user_id, self.clock())
        log.info("contest created", contest_id=contest.contest_id, rule=spec.scoring_rule.name)
        return contest

    async def get(self, contest_id: str, caller: Identity | None) -> tuple[Contest, bool]:
        """The contest and whether the caller is registered."""
        contest = await self._contest(contest_id)
        registered = caller is not None and await self.store.registered(contest_id, caller.user_id)
        return contest, registered

    async def list(self, phase: Phase | None, limit: int, cursor: Cursor | None) -> tuple[list[Contest], Cursor | None]:
        return await self.store.list(phase, self.clock(), limit, cursor)

    async def update(self, caller: Identity, contest_id: str, changes: Mapping[str, Any]) -> Contest:
        current = await self._contest(contest_id)
        require_manager(current, caller)
        now = self.clock()
        spec = validate_update(current.spec, changes, now)
        if "problems" in changes:
            spec = await self._with_titles(spec)
        updated = await self.store.replace_spec(contest_id, spec, now)
        if updated is None:
            raise NotFound("contest", contest_id)
        log.info("contest updated", contest_id=contest_id, fields=sorted(changes))
        self.changed(contest_id)
        return updated

    async def register(self, caller: Identity, contest_id: str) -> Registration:
        contest = await self._contest(contest_id)
        now = self.clock()
        check_registration(contest, now)
        registration = await self.store.register(contest_id, caller.user_id, caller.username, now)
        log.info("registered", contest_id=contest_id, user_id=caller.user_id)
        self.changed(contest_id)
        return registration

    async def publish(self, caller: Identity, contest_id: str) -> Contest:
        contest = await self._contest(contest_id)
        require_manager(contest, caller)
        if phase_at(contest.spec, self.clock()) is not Phase.ENDED:
            raise FailedPrecondition("the final standings can be published once the contest has ended")
        published = await self.store.publish(contest_id, self.clock())
        if published is None:
            raise NotFound("contest", contest_id)
        log.info("final standings published", contest_id=contest_id)
        self.changed(contest_id)
        return published

    async def authorize(self, contest_id: str, user_id: str, problem_id: str) -> tuple[Contest, ContestProblem]:
        """The contest problem ``user_id`` may submit now (service-to-service; errors say why not)."""
        contest = await self._contest(contest_id)
        registered = await self.store.registered(contest_id, user_id)
        return contest, authorize(contest, registered, problem_id, self.clock())

    async def record(self, contest_id: str, result: Result) -> bool:
        """Scores a judged submission; False for a replay or an older judgement (idempotent)."""
        try:
            applied = await self.store.record(contest_id, result, self.clock())
        except LookupError:
            raise NotFound("contest", contest_id) from None
        log.info(
            "result recorded" if applied else "result already recorded",
            contest_id=contest_id,
            submission_id=result.submission_id,
            verdict=result.verdict.name,
        )
        if applied:
            self.changed(contest_id)
        return applied

    async def view(self, contest_id: str, caller: Identity | None) -> View:
        """The board as the caller sees it, at its current version."""
        board = await self.boards.board(contest_id)
        registered = caller is not None and caller.user_id in self.boards.members(board)
        viewer = viewer_for(board.contest, caller, registered)
        now = self.clock()
        frozen = standings(board.contest, (), (), viewer, now).frozen
        return View(board, viewer, frozen)

    def standings(self, view: View) -> Standings:
        """The view's standings, computed once per (board version, view)."""
        return self.boards.standings(view, self.clock())
