"""The contest service's use cases.

``ContestApp`` depends on the ``ContestStore`` port and a ``ProblemCatalog`` (the problem service,
reached through its internal stub in production, a dictionary in tests), never on SQL or protobuf.
The rules are the domain's (``validate``, ``phase_at``, ``authorize``, ``standings``); the app applies
them and keeps the boards: the standings of a contest are computed once per (board version, view) and
shared by every request and stream with that view (``Boards``).
"""

from __future__ import annotations

import asyncio
import bisect
import builtins
import contextlib
import dataclasses
import datetime as dt
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import structlog

from arena.contest.batching import Batches
from arena.contest.domain import (
    PUBLIC,
    Clarification,
    ClarificationKind,
    Contest,
    ContestProblem,
    Phase,
    Result,
    Spec,
    Standings,
    Viewer,
    ViewerKind,
    VirtualParticipation,
    answered,
    authorize,
    authorize_virtual,
    check_ask,
    check_registration,
    check_virtual_start,
    clarification_event,
    clarification_problem,
    clean_text,
    is_frozen_board,
    kept_hidden,
    may_manage,
    may_use_problem,
    phase_at,
    require_manager,
    standings,
    validate,
    validate_update,
    viewer_for,
    virtual_standings,
)
from arena.contest.ranking import Added, LiveStandings, RevealStep, reveal
from arena.contest.store import Board as Board  # (re-exported: the board type streams follow)
from arena.contest.store import ContestStore, Cursor, Registration
from arena.core.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound, PermissionDenied
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
    author_id: str = ""
    hidden: bool = False
    """Hidden by its author: only they and admins see it."""
    embargo_end: dt.datetime | None = None
    """Until when contests keep it from everyone but its author and admins (None: never embargoed)."""


class ProblemCatalog(Protocol):
    """The problem service as the contest sees it."""

    async def find(self, keys: Sequence[str]) -> list[ProblemRef]:
        """The problems named by id or slug, whatever their visibility; unknown ones are left out."""
        ...

    async def embargo(self, contest_id: str, problem_ids: Sequence[str], end: dt.datetime | None) -> None:
        """Replaces the contest's embargo: these problems (ids) are invisible to everyone but their authors
        and admins until ``end``; none lifts it. Raises (UNAVAILABLE) when the problem service is down."""
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

    def __init__(
        self,
        store: ContestStore,
        *,
        ttl_s: float = 2.0,
        max_contests: int = 1000,
        max_views: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._checked: dict[str, float] = {}
        """Until when a contest's board counts as current without asking the store for its version."""
        self._boards: OrderedDict[str, Board] = OrderedDict()
        self._standings: OrderedDict[tuple[str, str, int, bool], Standings] = OrderedDict()
        self._members: dict[str, tuple[int, frozenset[str]]] = {}
        self._max_contests = max_contests
        self._max_views = max_views
        self._locks: dict[str, asyncio.Lock] = {}
        self._lives: dict[tuple[str, str], LiveStandings] = {}
        """Per (contest, JURY or PUBLIC view) the standings kept up to date across versions."""
        self._index: dict[str, tuple[int, dict[str, Result], list[str]]] = {}
        """Per contest the held board's results by submission id and their ids in order (``_fold``)."""
        self._applied: dict[str, dict[int, tuple[Result, dt.datetime]]] = {}
        """Results this process recorded on a held board, by the version each made, not yet folded in."""

    def applied(self, contest_id: str, version: int, result: Result, now: dt.datetime) -> None:
        """This process recorded ``result`` and it made board ``version`` (at ``now``): the held board takes
        it in without reading the store once every version between is accounted for (``_fold``). A version
        between made elsewhere (another process, a registration) leaves a gap: the next read reloads."""
        have = self._boards.get(contest_id)
        if have is not None and version > have.version:
            self._applied.setdefault(contest_id, {})[version] = (result, now)

    def _fold(self, contest_id: str) -> Board | None:
        """The held board with the recorded results that directly follow its version applied: the board the
        store holds at that version (the latest judgement per submission wins, as in ``store.record``)."""
        have = self._boards.get(contest_id)
        pending = self._applied.get(contest_id)
        if have is None or not pending or have.version + 1 not in pending:
            return have
        index = self._index.get(contest_id)
        if index is not None and index[0] == have.version:
            _, results, ids = index
        else:  # (built once per board read from the store; folds keep it up to date)
            results = {r.submission_id: r for r in have.results}
            ids = sorted(results)
        version, update_time = have.version, have.update_time
        applied: list[Result] = []
        while version + 1 in pending:
            version += 1
            result, update_time = pending.pop(version)
            known = results.get(result.submission_id)
            if known is None:
                bisect.insort(ids, result.submission_id)
            if known is None or result.supersedes(known):
                results[result.submission_id] = result
                applied.append(result)
        for stale in [v for v in pending if v <= version]:
            del pending[stale]
        board = dataclasses.replace(
            have,
            results=tuple(map(results.__getitem__, ids)),  # by submission id, as the store orders them
            version=version,
            update_time=update_time,
            added=Added(have.results, tuple(applied)),
        )
        self._index[contest_id] = (version, results, ids)
        self._boards[contest_id] = board
        return board

    def _keep(self, board: Board) -> None:
        contest_id = board.contest.contest_id
        self._boards[contest_id] = board
        self._boards.move_to_end(contest_id)
        pending = self._applied.get(contest_id)
        if pending:
            for stale in [v for v in pending if v <= board.version]:
                del pending[stale]
        while len(self._boards) > self._max_contests:
            evicted = self._boards.popitem(last=False)[0]
            self._checked.pop(evicted, None)
            self._index.pop(evicted, None)
            for key in [k for k in self._lives if k[0] == evicted]:
                del self._lives[key]
            self._applied.pop(evicted, None)

    async def board(self, contest_id: str) -> Board:
        """The contest's board at its current version: the results this process recorded are folded into
        the held board without a read (``applied``); otherwise no read at all for ``ttl_s`` after the last
        check (other writes in this process invalidate at once; ``ttl_s`` bounds how long another process's
        write may go unseen), then one small version read, and the whole board only when the version moved
        past what this process knows."""
        have = self._fold(contest_id)
        gap = bool(self._applied.get(contest_id))  # a version made elsewhere came between: ask now
        if have is not None and not gap and self._checked.get(contest_id, 0.0) > self._monotonic():
            return have
        version = await self._store.version(contest_id)
        if version is None:
            raise NotFound("contest", contest_id)
        if self._ttl_s > 0:
            self._checked[contest_id] = self._monotonic() + self._ttl_s
        have = self._fold(contest_id)
        if have is not None and have.version >= version:
            self._boards.move_to_end(contest_id)
            return have
        async with self._locks.setdefault(contest_id, asyncio.Lock()):  # one reload per change, not one per caller
            have = self._fold(contest_id)
            if have is not None and have.version >= version:
                return have
            board = await self._store.board(contest_id)
            if board is None:
                raise NotFound("contest", contest_id)
            have = self._fold(contest_id)  # results recorded while the board was read may be newer still
            if have is not None and have.version >= board.version:
                return have
            self._keep(board)
            return board

    def invalidate(self, contest_id: str) -> None:
        """This process (or, told by its nudge, another) changed the contest: the next read asks the store."""
        self._checked.pop(contest_id, None)

    def held_version(self, contest_id: str) -> int:
        """The version of the board held for the contest (0: none held)."""
        have = self._boards.get(contest_id)
        return have.version if have is not None else 0

    def members(self, board: Board) -> frozenset[str]:
        """The board's participants as a set (built once per version)."""
        have = self._members.get(board.contest.contest_id)
        if have is None or have[0] != board.version:
            have = self._members[board.contest.contest_id] = (
                board.version,
                frozenset(p.user_id for p in board.participants),
            )
        return have[1]

    def _live(self, contest_id: str, viewer: Viewer) -> LiveStandings:
        key = (contest_id, viewer.key)
        live = self._lives.get(key)
        if live is None:
            live = self._lives[key] = LiveStandings(viewer)
        return live

    def standings(self, view: View, now: dt.datetime) -> Standings:
        """The view's standings, computed once per (view, version); from one version to the next only the
        participants whose results changed are scored again (``ranking.LiveStandings``). A contestant's
        view during the freeze is the public one with their own row as they see it."""
        found = self._standings.get(view.key)
        if found is None:
            board, viewer = view.board, view.viewer
            contest_id = board.contest.contest_id
            if viewer.kind is ViewerKind.CONTESTANT:
                found = self._live(contest_id, PUBLIC).seen_by(
                    viewer, board.contest, board.participants, board.results, now, board.added
                )
            else:
                live = self._live(contest_id, viewer)
                found = live.update(board.contest, board.participants, board.results, now, board.added)
            self._standings[view.key] = found
            while len(self._standings) > self._max_views:
                self._standings.popitem(last=False)
        return found


def is_final(contest: Contest, now: dt.datetime) -> bool:
    """Whether the standings can no longer change: the contest has ended and nothing is frozen."""
    return phase_at(contest.spec, now) is Phase.ENDED and not is_frozen_board(contest)


def _boundaries(contest: Contest) -> tuple[dt.datetime, ...]:
    """The moments a view changes without a write: the start (the columns show the problems), the freeze
    start and the end."""
    spec = contest.spec
    return tuple(t for t in (spec.start_time, spec.freeze_time, spec.end_time) if t is not None)


class Followed:
    """One contest's board as its followers see it: the latest board read, and a generation that moves
    when the board's version does or a time boundary (freeze, end) passes. Followers never queue: a
    follower that was busy sending wakes to the newest board, skipping what it missed."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self.generation = 0
        self.followers = 0
        self.poked = asyncio.Event()
        self._moved = asyncio.Event()
        """Set (and replaced) when the generation moves."""
        self.task: asyncio.Task[None] | None = None
        self._caught_up = 0
        """Followers waiting for the generation after the current one: they have taken the current board."""
        self._idle = asyncio.Event()
        self.shared: dict[Hashable, object] = {}
        """What followers work out alike for this generation (per caller), worked out by the first of them:
        emptied when the generation moves."""

    def advance(self, board: Board) -> None:
        self.board = board
        self.shared = {}
        self.generation += 1
        self._caught_up = 0
        self._idle.clear()
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()  # wakes every follower waiting for this generation

    def check_idle(self) -> None:
        if self._caught_up >= self.followers:
            self._idle.set()

    async def settled(self, timeout_s: float) -> None:
        """Returns once every follower has taken the current board (or after ``timeout_s``, so a slow one
        cannot hold the others back): what arrives meanwhile goes into the next board, not one board each."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout_s)

    async def after(self, generation: int) -> Board:
        """The board, once the generation has moved past ``generation``."""
        if self.generation > generation:
            return self.board
        counted = generation == self.generation
        if counted:
            self._caught_up += 1
            self.check_idle()
        try:
            while self.generation <= generation:
                await self._moved.wait()  # (an Event: cancelling one follower's wait leaves the others')
        finally:
            if counted and self.generation == generation:  # left without a new board (a heartbeat, a cancel)
                self._caught_up -= 1
        return self.board


class Watch:
    """The contests being followed by streams: one reader per followed contest, however many followers.

    The reader wakes when this process changed the board (``poke``), when ``poll_s`` passes (another
    process may have written: a version read costs one small query), and at the freeze and end times;
    a burst of writes coalesces: while the followers send one board (at most ``settle_s``) and for as long
    again after it, what arrives is folded into the next one.
    """

    def __init__(
        self, boards: Boards, clock: Callable[[], dt.datetime], *, poll_s: float = 1.0, settle_s: float = 0.5
    ) -> None:
        self._boards = boards
        self._clock = clock
        self._poll_s = poll_s
        self._settle_s = settle_s
        self._followed: dict[str, Followed] = {}

    def poke(self, contest_id: str) -> None:
        followed = self._followed.get(contest_id)
        if followed is not None:
            followed.poked.set()

    @contextlib.asynccontextmanager
    async def follow(self, board: Board) -> AsyncIterator[Followed]:
        contest_id = board.contest.contest_id
        followed = self._followed.get(contest_id)
        if followed is None:
            followed = self._followed[contest_id] = Followed(board)
            followed.task = asyncio.create_task(self._read(contest_id, followed), name=f"board {contest_id}")
        followed.followers += 1
        try:
            yield followed
        finally:
            followed.followers -= 1
            followed.check_idle()
            if followed.followers == 0 and self._followed.get(contest_id) is followed:
                del self._followed[contest_id]
                if followed.task is not None:
                    followed.task.cancel()

    def _timeout_s(self, board: Board) -> float:
        now = self._clock()
        ahead = [(t - now).total_seconds() for t in _boundaries(board.contest) if t > now]
        return max(0.0, min([self._poll_s, *ahead]))

    async def _read(self, contest_id: str, followed: Followed) -> None:
        while True:
            timeout_s = self._timeout_s(followed.board)
            before = {t for t in _boundaries(followed.board.contest) if t <= self._clock()}
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(followed.poked.wait(), timeout_s)
            followed.poked.clear()
            try:
                board = await self._boards.board(contest_id)
            except Exception:  # a failed read (or a deleted contest): followers keep the last board
                log.warning("board read failed", contest_id=contest_id, exc_info=True)
                await asyncio.sleep(self._poll_s)
                continue
            crossed = {t for t in _boundaries(board.contest) if t <= self._clock()} != before
            if board.version > followed.board.version or crossed:
                started = time.monotonic()
                followed.advance(board)
                await followed.settled(self._settle_s)  # a burst coalesces: one board per round of sends
                # and the sends take at most half the loop: the writes (and everything else) get the rest
                await asyncio.sleep(min(time.monotonic() - started, self._poll_s))


Push = Callable[[str, str, Clarification], None]
"""(realtime topic, event type, clarification) -> None: pushes a clarification live, best effort, never raising
into the caller (``publish.ClarificationPublisher`` in production)."""


def _no_push(topic: str, event_type: str, clarification: Clarification) -> None:
    return None


@dataclasses.dataclass(frozen=True)
class VirtualView:
    """A virtual participant's board at one moment."""

    board: Board
    virtual: VirtualParticipation
    standings: Standings
    contest_time: dt.timedelta


class ContestApp:
    def __init__(
        self,
        store: ContestStore,
        problems: ProblemCatalog,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        poll_s: float = 1.0,
        read_cache_ttl_s: float = 2.0,
        push: Push = _no_push,
        on_published: Callable[[Contest], None] = lambda contest: None,
    ) -> None:
        self.store = store
        self.on_published = on_published
        """Called after the final standings are published (``notify.ContestNotifier`` tells participants)."""
        self.problems = problems
        self.clock = clock
        self.push = push
        self.boards = Boards(store, ttl_s=read_cache_ttl_s)
        self.watch = Watch(self.boards, clock, poll_s=poll_s)
        self.changed: Callable[[str], None] = self.watch.poke
        """Called with a contest id after every write that moved its board (the streams listen)."""
        self.tell_others: Callable[[str, int], None] = lambda contest_id, version: None
        """Called with a contest id and its board's new version (0: not known) after every write that moved
        the board: with a broker, other instances hear it (``changed_elsewhere``)."""
        self._recorded: Batches[str, Result, bool] = Batches(self._record_together)

    def _moved(self, contest_id: str) -> None:
        self.boards.invalidate(contest_id)
        self.changed(contest_id)
        self.tell_others(contest_id, 0)

    def changed_elsewhere(self, contest_id: str, version: int = 0) -> None:
        """Another instance moved the contest's board (to ``version``; 0: not known): unless the held board
        is that new already, the next read asks the store (the read cache's expiry must not hide the
        change) and the contest's stream reader wakes now instead of at its next poll."""
        if version and self.boards.held_version(contest_id) >= version:
            return
        self.boards.invalidate(contest_id)
        self.watch.poke(contest_id)

    async def _contest(self, contest_id: str) -> Contest:
        contest = await self.store.get(contest_id) if contest_id else None
        if contest is None:
            raise NotFound("contest", contest_id)
        return contest

    async def _with_titles(
        self, spec: Spec, caller: Identity, now: dt.datetime, kept: Sequence[str] = ()
    ) -> tuple[Spec, dict[str, ProblemRef]]:
        """The spec with canonical problem ids and titles, and the problems found (by id); unknown problems,
        and problems the caller may not see (``may_use_problem``; those in ``kept``, already in the contest,
        excepted), are the same field violation."""
        found = await self.problems.find([p.problem_id for p in spec.problems])
        by_key = {r.problem_id: r for r in found} | {r.slug: r for r in found}
        bad: list[FieldViolation] = []
        problems: list[ContestProblem] = []
        for i, p in enumerate(spec.problems):
            ref = by_key.get(p.problem_id)
            if ref is None or not (
                ref.problem_id in kept or may_use_problem(caller, ref.author_id, ref.hidden, ref.embargo_end, now)
            ):
                bad.append(FieldViolation(f"contest.problems[{i}].problem_id", f"no problem {p.problem_id!r}"))
                continue
            problems.append(dataclasses.replace(p, problem_id=ref.problem_id, title=ref.title))
        if bad:
            raise InvalidArgument(f"unknown problems: {bad[0].description}", violations=bad)
        spec = validate(dataclasses.replace(spec, problems=tuple(problems)))  # duplicates by slug and id
        return spec, {r.problem_id: r for r in found}

    async def create(self, caller: Identity, spec: Spec) -> Contest:
        """Stores a contest. The problems its author wrote are hidden until the start (``kept_hidden``)
        before the contest exists: when the problem service cannot hide them, no contest is made."""
        now = self.clock()
        spec, refs = await self._with_titles(validate(spec), caller, now)
        contest_id = new_id()
        hidden = kept_hidden(caller.user_id, ((p.problem_id, refs[p.problem_id].author_id) for p in spec.problems))
        embargoed = bool(hidden) and spec.start_time > now
        if embargoed:
            await self.problems.embargo(contest_id, hidden, spec.start_time)
        try:
            contest = await self.store.insert(contest_id, spec, caller.user_id, now)
        except Exception:
            if embargoed:  # no contest: nothing to keep hidden (best effort; a left-over ends at the start)
                with contextlib.suppress(Exception):
                    await self.problems.embargo(contest_id, (), None)
            raise
        log.info("contest created", contest_id=contest.contest_id, rule=spec.scoring_rule.name, hidden=len(hidden))
        return contest

    async def get(self, contest_id: str, caller: Identity | None) -> tuple[Contest, bool]:
        """The contest and whether the caller is registered."""
        contest = await self._contest(contest_id)
        registered = caller is not None and await self.store.registered(contest_id, caller.user_id)
        return contest, registered

    async def list(self, phase: Phase | None, limit: int, cursor: Cursor | None) -> tuple[list[Contest], Cursor | None]:
        return await self.store.list(phase, self.clock(), limit, cursor)

    async def update(self, caller: Identity, contest_id: str, changes: Mapping[str, Any]) -> Contest:
        """Changes a contest. When its problems or start change (only possible before the start), what it
        keeps hidden follows, fail safe: first the old and the new problems are hidden until the later of
        both starts, then the contest is stored, then exactly the new ones until the new start (should that
        last step fail, more stays hidden a while longer, never less)."""
        current = await self._contest(contest_id)
        require_manager(current, caller)
        now = self.clock()
        spec = validate_update(current.spec, changes, now)
        embargo = "problems" in changes or "start_time" in changes
        before: tuple[str, ...] = ()
        after: tuple[str, ...] = ()
        both: tuple[str, ...] = ()
        until = spec.start_time
        if embargo:
            old = [p.problem_id for p in current.spec.problems]
            old_refs = {r.problem_id: r for r in await self.problems.find(old)} if old else {}
            if "problems" in changes:
                spec, refs = await self._with_titles(spec, caller, now, kept=old)
            else:
                refs = old_refs
            before = kept_hidden(current.author_id, ((p, old_refs[p].author_id) for p in old if p in old_refs))
            after = kept_hidden(current.author_id, ((p.problem_id, refs[p.problem_id].author_id)
                                                    for p in spec.problems if p.problem_id in refs))  # fmt: skip
            both = tuple(dict.fromkeys((*before, *after)))
            until = max(current.spec.start_time, spec.start_time)
            if both:
                await self.problems.embargo(contest_id, both, until)
        try:
            updated = await self.store.replace_spec(contest_id, spec, now)
        except Exception:
            if both:  # the contest is as it was: so is what it keeps hidden (best effort)
                with contextlib.suppress(Exception):
                    await self.problems.embargo(contest_id, before, current.spec.start_time)
            raise
        if updated is None:
            raise NotFound("contest", contest_id)
        if embargo and (both != after or until != spec.start_time):
            try:
                await self.problems.embargo(contest_id, after, spec.start_time)
            except Exception:
                log.warning("contest embargo not narrowed; the previous one holds until it ends",
                            contest_id=contest_id, until=until, exc_info=True)  # fmt: skip
        log.info("contest updated", contest_id=contest_id, fields=sorted(changes))
        self._moved(contest_id)
        return updated

    async def register(self, caller: Identity, contest_id: str) -> Registration:
        contest = await self._contest(contest_id)
        now = self.clock()
        check_registration(contest, now)
        registration = await self.store.register(contest_id, caller.user_id, caller.username, now)
        log.info("registered", contest_id=contest_id, user_id=caller.user_id)
        self._moved(contest_id)
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
        self._moved(contest_id)
        self.on_published(published)  # idempotent downstream: a second publish notifies nobody twice
        return published

    async def authorize(self, contest_id: str, user_id: str, problem_id: str) -> tuple[Contest, ContestProblem]:
        """The contest problem ``user_id`` may submit now (service-to-service; errors say why not): during
        the contest for a registered participant, after it inside the user's virtual window."""
        contest = await self._contest(contest_id)
        registered = await self.store.registered(contest_id, user_id)
        now = self.clock()
        if not registered and phase_at(contest.spec, now) is Phase.ENDED:
            virtual = await self.store.virtual(contest_id, user_id)
            if virtual is not None:
                return contest, authorize_virtual(contest, virtual, problem_id, now)
        return contest, authorize(contest, registered, problem_id, now)

    async def start_virtual(self, caller: Identity, contest_id: str) -> VirtualParticipation:
        """Starts the caller's virtual window now (after the end; once; not for a real participant)."""
        contest = await self._contest(contest_id)
        now = self.clock()
        check_virtual_start(contest, await self.store.registered(contest_id, caller.user_id), now)
        virtual = await self.store.start_virtual(
            VirtualParticipation(contest_id, caller.user_id, caller.username, now, contest.spec.duration)
        )
        log.info("virtual participation started", contest_id=contest_id, user_id=caller.user_id)
        return virtual

    async def virtual_of(self, contest_id: str, caller: Identity | None) -> VirtualParticipation | None:
        """The caller's virtual participation in the contest, if any."""
        return None if caller is None else await self.store.virtual(contest_id, caller.user_id)

    async def final_reveal(self, contest_id: str, caller: Identity | None) -> tuple[Board, Iterator[RevealStep]]:
        """The ICPC-style unfreeze reveal of an ended contest's board: for its jury once it has ended, for
        everyone once the final standings are published (``ranking.reveal``: computed step by step)."""
        board = await self.boards.board(contest_id)
        contest = board.contest
        phase = phase_at(contest.spec, self.clock())
        if phase is not Phase.ENDED:
            raise FailedPrecondition(
                "the reveal starts once the contest has ended",
                reason="CONTEST_NOT_RUNNING",
                metadata={"phase": phase.name},
            )
        if not contest.final_standings_published and (caller is None or not may_manage(contest, caller)):
            raise PermissionDenied(
                "the final standings are not published yet: only the contest's jury may watch the reveal",
                reason="STANDINGS_NOT_PUBLISHED",
            )
        return board, reveal(contest, board.participants, board.results)

    async def virtual_view(self, contest_id: str, caller: Identity | None) -> VirtualView:
        """The caller's virtual board now: the real standings at the same time into the contest, plus the caller."""
        if caller is None:
            raise FailedPrecondition(
                "a virtual board needs a virtual participation: sign in and start one", reason="CONTEST_NOT_REGISTERED"
            )
        board = await self.boards.board(contest_id)
        virtual = await self.store.virtual(contest_id, caller.user_id)
        if virtual is None:
            raise FailedPrecondition(
                "you have no virtual participation in this contest (start one with :startVirtual)",
                reason="CONTEST_NOT_REGISTERED",
            )
        now = self.clock()
        mine = await self.store.virtual_results(contest_id, caller.user_id)
        ranked = virtual_standings(board.contest, board.participants, board.results, virtual, mine, now)
        return VirtualView(board, virtual, ranked, virtual.contest_time(now))

    async def record(self, contest_id: str, result: Result) -> bool:
        """Scores a judged submission; False for a replay or an older judgement (idempotent). A virtual
        participant's result is kept apart: it never changes the real board. Verdicts for one contest that
        arrive while one is being written are written together, next (``batching.Batches``)."""
        return await self._recorded.submit(contest_id, result)

    async def _record_together(self, contest_id: str, results: Sequence[Result]) -> Sequence[bool]:
        virtual = await self.store.virtuals(contest_id, {r.user_id for r in results})

        applied = [False] * len(results)
        real = []
        for i, result in enumerate(results):
            mine = virtual.get(result.user_id)
            if mine is None or result.submit_time < mine.start_time:
                real.append(i)
                continue
            applied[i] = await self.store.record_virtual(contest_id, result)
            log.info(
                "virtual result recorded" if applied[i] else "virtual result already recorded",
                contest_id=contest_id,
                submission_id=result.submission_id,
                verdict=result.verdict.name,
            )
        if not real:
            return applied
        now = self.clock()
        try:
            versions = await self.store.record_many_at(contest_id, [results[i] for i in real], now)
        except LookupError:
            raise NotFound("contest", contest_id) from None
        for i, version in zip(real, versions, strict=True):
            result = results[i]
            log.info(
                "result recorded" if version is not None else "result already recorded",
                contest_id=contest_id,
                submission_id=result.submission_id,
                verdict=result.verdict.name,
            )
            if version is not None:
                self.boards.applied(contest_id, version, result, now)  # no reread: the held board takes it in
                self.tell_others(contest_id, version)
                applied[i] = True
        if any(applied[i] for i in real):
            self.changed(contest_id)
        return applied

    async def view(self, contest_id: str, caller: Identity | None) -> View:
        """The board as the caller sees it, at its current version."""
        return self.view_of(await self.boards.board(contest_id), caller)

    def view_of(self, board: Board, caller: Identity | None) -> View:
        """A board as the caller sees it (no I/O: what a stream does on every change)."""
        registered = caller is not None and caller.user_id in self.boards.members(board)
        viewer = viewer_for(board.contest, caller, registered)
        now = self.clock()
        frozen = standings(board.contest, (), (), viewer, now).frozen
        return View(board, viewer, frozen)

    def standings(self, view: View) -> Standings:
        """The view's standings, computed once per (board version, view)."""
        return self.boards.standings(view, self.clock())

    def is_final(self, contest: Contest) -> bool:
        return is_final(contest, self.clock())

    # -- clarifications ---------------------------------------------------------------------------------

    def _push(self, contest: Contest, clarification: Clarification) -> None:
        topic, event_type = clarification_event(contest, clarification)
        try:
            self.push(topic, event_type, clarification)
        except Exception:  # best effort: the clarification is stored; listing shows it
            log.warning("clarification push failed", contest_id=contest.contest_id, exc_info=True)

    def _require_judge(self, contest: Contest, caller: Identity) -> None:
        if not may_manage(contest, caller):
            raise PermissionDenied("only the contest's author or an admin judges this contest", reason="NOT_OWNER")

    async def ask(self, caller: Identity, contest_id: str, problem_id: str, text: str) -> Clarification:
        """A registered participant's question about a problem (by id or label) or the contest in general."""
        contest = await self._contest(contest_id)
        text = clean_text(text, "text")
        problem = clarification_problem(contest, problem_id)
        now = self.clock()
        check_ask(contest, await self.store.registered(contest_id, caller.user_id), now)
        question = await self.store.add_clarification(
            Clarification(
                clarification_id=new_id(),
                contest_id=contest_id,
                kind=ClarificationKind.QUESTION,
                problem_id=problem.problem_id if problem else "",
                label=problem.label if problem else "",
                text=text,
                author_id=caller.user_id,
                create_time=now,
            )
        )
        log.info("clarification asked", contest_id=contest_id, clarification_id=question.clarification_id)
        self._push(contest, question)
        return question

    async def answer(
        self, caller: Identity, contest_id: str, clarification_id: str, answer: str, public: bool
    ) -> Clarification:
        """A judge's answer, to the asker or to all; only one answer per question."""
        contest = await self._contest(contest_id)
        self._require_judge(contest, caller)
        question = await self.store.get_clarification(contest_id, clarification_id) if clarification_id else None
        if question is None:
            raise NotFound("clarification", clarification_id)
        done = answered(question, answer, public, caller, self.clock())
        if not await self.store.answer_clarification(done):
            raise FailedPrecondition("this question has been answered already")
        log.info("clarification answered", contest_id=contest_id, clarification_id=clarification_id, public=public)
        self._push(contest, done)
        return done

    async def announce(self, caller: Identity, contest_id: str, problem_id: str, text: str) -> Clarification:
        """A judge's announcement to every participant."""
        contest = await self._contest(contest_id)
        self._require_judge(contest, caller)
        text = clean_text(text, "text")
        problem = clarification_problem(contest, problem_id)
        announcement = await self.store.add_clarification(
            Clarification(
                clarification_id=new_id(),
                contest_id=contest_id,
                kind=ClarificationKind.ANNOUNCEMENT,
                problem_id=problem.problem_id if problem else "",
                label=problem.label if problem else "",
                text=text,
                author_id=caller.user_id,
                create_time=self.clock(),
                public=True,
            )
        )
        log.info("announcement made", contest_id=contest_id, clarification_id=announcement.clarification_id)
        self._push(contest, announcement)
        return announcement

    async def clarifications(
        self, caller: Identity | None, contest_id: str, limit: int, cursor: Cursor | None
    ) -> tuple[builtins.list[Clarification], Cursor | None]:
        """What the caller may see (``domain.may_see``), newest first."""
        contest = await self._contest(contest_id)
        jury = caller is not None and may_manage(contest, caller)
        return await self.store.list_clarifications(contest_id, caller.user_id if caller else None, jury, limit, cursor)
