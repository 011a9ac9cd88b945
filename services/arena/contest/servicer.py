"""ContestService and ContestInternalService over gRPC: proto ↔ domain values, a few lines per RPC.

Nothing here decides anything: rules live in ``domain``, orchestration in ``app``. Leaderboard pages are
served from serialized bytes kept per (contest, view, board version, page): a page is built once per
version of the board, whoever asks for it and however often (DESIGN.md, "Performance facts").
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeAlias, cast

import grpc
from google.api import httpbody_pb2

from arena.contest import icpc
from arena.contest.app import Board, ContestApp, Followed, View, VirtualView
from arena.contest.changes import PageChange, page_change
from arena.contest.domain import (
    DEFAULT_PENALTY,
    PUBLIC,
    Contest,
    ContestProblem,
    GroupScore,
    Phase,
    Result,
    Row,
    ScoringRule,
    Spec,
    Standings,
    Verdict,
    phase_at,
    problems_shown,
)
from arena.contest.messages import clarification_message, virtual_message
from arena.contest.v1 import (
    contest_internal_service_pb2,
    contest_internal_service_pb2_grpc,
    contest_pb2,
    contest_service_pb2,
    contest_service_pb2_grpc,
)
from arena.core.errors import FailedPrecondition, FieldViolation, InvalidArgument, OutOfRange
from arena.core.identity import Identity
from arena.kit import context as request_context
from arena.kit import pagination
from arena.kit.cache import TtlCache
from arena.kit.convert import datetime, duration, seconds, timestamp
from arena.kit.middleware import STREAM_STARTED, announces_start

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

_RULE_TO_PROTO: dict[ScoringRule, contest_pb2.ScoringRule] = {
    r: cast("contest_pb2.ScoringRule", contest_pb2.ScoringRule.Value(f"SCORING_RULE_{r.name}")) for r in ScoringRule
}
_RULE_FROM_PROTO = {value: r for r, value in _RULE_TO_PROTO.items()}
_PHASE_TO_PROTO: dict[Phase, contest_pb2.ContestPhase] = {
    p: cast("contest_pb2.ContestPhase", contest_pb2.ContestPhase.Value(f"CONTEST_PHASE_{p.name}")) for p in Phase
}
_PHASE_FROM_PROTO = {value: p for p, value in _PHASE_TO_PROTO.items()}
_VERDICTS = {v.value: v for v in Verdict}

LEADERBOARD_PAGE_DEFAULT = 100
LEADERBOARD_PAGE_MAX = 1000
STREAM_HEARTBEAT_S = 15.0
"""A quiet leaderboard stream sends a heartbeat (an empty change) this often (Envoy closes streams idle
for 300 s)."""
PAGE_BYTES_TTL_S = 60.0
"""Pages are keyed by board version, so they never go stale; the expiry only frees memory."""


REVEAL_STEP_DEFAULT_S = 1.0
REVEAL_STEP_MAX_S = 10.0
"""The pause between two steps of a final reveal: by default, and at most."""


def _delta(message: Any) -> dt.timedelta:
    return dt.timedelta(seconds=seconds(message))


def _rule(value: int) -> ScoringRule:
    found = _RULE_FROM_PROTO.get(cast("contest_pb2.ScoringRule", value))
    if found is None:
        raise InvalidArgument.field("contest.scoring_rule", "must be ICPC or IOI")
    return found


def _start(message: contest_pb2.Contest) -> dt.datetime:
    if not message.HasField("start_time"):
        raise InvalidArgument.field("contest.start_time", "is required")
    return datetime(message.start_time)


def _problems(message: contest_pb2.Contest) -> tuple[ContestProblem, ...]:
    return tuple(ContestProblem(p.problem_id, p.label, p.max_score) for p in message.problems)


def _penalty(message: contest_pb2.Contest) -> dt.timedelta:
    return _delta(message.penalty_per_rejection) if message.HasField("penalty_per_rejection") else DEFAULT_PENALTY


def spec_from(message: contest_pb2.Contest) -> Spec:
    return Spec(
        title=message.title,
        scoring_rule=_rule(message.scoring_rule),
        start_time=_start(message),
        duration=_delta(message.duration),
        problems=_problems(message),
        description=message.description,
        freeze_before_end=_delta(message.freeze_before_end),
        penalty_per_rejection=_penalty(message),
    )


# Update mask paths of the contract → the Spec field each changes, and how to read it from the message.
_MASK_TO_SPEC: dict[str, tuple[str, Callable[[contest_pb2.Contest], Any]]] = {
    "title": ("title", lambda m: m.title),
    "description": ("description", lambda m: m.description),
    "start_time": ("start_time", _start),
    "duration": ("duration", lambda m: _delta(m.duration)),
    "freeze_before_end": ("freeze_before_end", lambda m: _delta(m.freeze_before_end)),
    "penalty_per_rejection": ("penalty_per_rejection", _penalty),
    "problems": ("problems", _problems),
}


def _problem_message(p: ContestProblem) -> contest_pb2.ContestProblem:
    return contest_pb2.ContestProblem(problem_id=p.problem_id, label=p.label, max_score=p.max_score, title=p.title)


def contest_message(
    contest: Contest,
    now: dt.datetime,
    *,
    registered: bool = False,
    caller: Identity | None = None,
    manager: bool = True,
) -> contest_pb2.Contest:
    """The contest as ``caller`` sees it (``manager``: the answer goes to who just changed it, who sees all)."""
    spec = contest.spec
    problems = spec.problems if manager else problems_shown(contest, caller, now)
    return contest_pb2.Contest(
        contest_id=contest.contest_id,
        title=spec.title,
        description=spec.description,
        scoring_rule=_RULE_TO_PROTO[spec.scoring_rule],
        start_time=timestamp(spec.start_time),
        duration=duration(spec.duration),
        end_time=timestamp(spec.end_time),
        freeze_before_end=duration(spec.freeze_before_end),
        penalty_per_rejection=duration(spec.penalty_per_rejection),
        problems=[_problem_message(p) for p in problems],
        phase=_PHASE_TO_PROTO[phase_at(spec, now)],
        author_id=contest.author_id,
        participant_count=contest.participant_count,
        registered=registered,
        final_standings_published=contest.final_standings_published,
        create_time=timestamp(contest.create_time),
        update_time=timestamp(contest.update_time),
    )


def _row_message(row: Row) -> contest_pb2.StandingRow:
    return contest_pb2.StandingRow(
        rank=row.rank,
        user_id=row.user_id,
        display_name=row.display_name,
        score=row.score,
        solved_count=row.solved_count,
        penalty=duration(row.penalty),
        cells=[
            contest_pb2.ProblemCell(
                label=c.label,
                solved=c.solved,
                rejected_attempts=c.rejected_attempts,
                pending_attempts=c.pending_attempts,
                score=c.score,
                solved_after=duration(c.solved_after),
                first_solve=c.first_solve,
            )
            for c in row.cells
        ],
    )


def leaderboard_message(
    view: View, standings: Standings, rows: slice, now: dt.datetime | None = None
) -> contest_pb2.Leaderboard:
    """A board page; before the start (``now`` given) its columns show labels and points only."""
    contest = view.board.contest
    problems = contest.spec.problems if now is None else problems_shown(contest, None, now)
    return contest_pb2.Leaderboard(
        contest_id=contest.contest_id,
        scoring_rule=_RULE_TO_PROTO[contest.spec.scoring_rule],
        problems=[_problem_message(p) for p in problems],
        rows=[_row_message(r) for r in standings.rows[rows]],
        frozen=standings.frozen,
        version=view.board.version,
        participant_count=len(standings.rows),
        update_time=timestamp(view.board.update_time),
    )


def change_message(
    view: View, standings: Standings, change: PageChange, base_version: int
) -> contest_service_pb2.LeaderboardChange:
    """A streamed page's change from ``base_version`` to the view's version."""
    return contest_service_pb2.LeaderboardChange(
        version=view.board.version,
        base_version=base_version,
        row_count=change.row_count,
        rows=[
            contest_service_pb2.PlacedRow(
                position=p.position,
                row=contest_pb2.StandingRow(rank=p.row.rank, user_id=p.row.user_id) if p.moved else _row_message(p.row),
                moved=p.moved,
            )
            for p in change.placed
        ],
        participant_count=len(standings.rows),
        update_time=timestamp(view.board.update_time),
    )


def virtual_leaderboard_message(seen: VirtualView, rows: slice) -> contest_pb2.Leaderboard:
    contest = seen.board.contest
    return contest_pb2.Leaderboard(
        contest_id=contest.contest_id,
        scoring_rule=_RULE_TO_PROTO[contest.spec.scoring_rule],
        problems=[_problem_message(p) for p in contest.spec.problems],
        rows=[_row_message(r) for r in seen.standings.rows[rows]],
        frozen=seen.standings.frozen,
        version=seen.board.version,
        participant_count=len(seen.standings.rows),
        update_time=timestamp(seen.board.update_time),
        virtual=True,
        elapsed=duration(seen.contest_time),
    )


def result_from(request: contest_internal_service_pb2.RecordSubmissionResultRequest) -> Result:
    # The judge reports a skipped run as no verdict at all: no attempt either way.
    verdict = _VERDICTS.get(request.verdict) if request.verdict else Verdict.SKIPPED
    bad = []
    if verdict is None:
        bad.append(FieldViolation("verdict", "must be a final verdict"))
    if not request.HasField("submit_time"):
        bad.append(FieldViolation("submit_time", "is required"))
    if not 0.0 <= request.score <= 1.0:
        bad.append(FieldViolation("score", "a fraction from 0 to 1"))
    if bad or verdict is None:
        raise InvalidArgument(f"{bad[0].field}: {bad[0].description}", violations=bad)
    return Result(
        submission_id=request.submission_id,
        user_id=request.user_id,
        problem_id=request.problem_id,
        verdict=verdict,
        submit_time=datetime(request.submit_time),
        score=request.score,
        groups=tuple(GroupScore(g.group, g.points) for g in request.group_scores),
        **({"judge_time": datetime(request.judge_time)} if request.HasField("judge_time") else {}),
    )


@dataclasses.dataclass(frozen=True)
class Shown:
    """What a leaderboard stream last sent: the board version, and what only a snapshot can change."""

    version: int
    frozen: bool
    upcoming: bool

    def same_columns(self, other: Shown) -> bool:
        return (self.frozen, self.upcoming) == (other.frozen, other.upcoming)


@dataclasses.dataclass(frozen=True)
class Look:
    """A board as one kind of follower shows it: the view, whether it is final, what it shows, its page."""

    view: View
    final: bool
    shown: Shown
    rows: tuple[Row, ...]


class ContestServicer(contest_service_pb2_grpc.ContestServiceServicer):
    def __init__(self, app: ContestApp, *, heartbeat_s: float = STREAM_HEARTBEAT_S) -> None:
        self.app = app
        self.heartbeat_s = heartbeat_s
        self.pages: TtlCache[tuple[Any, ...], bytes] = TtlCache(ttl_s=PAGE_BYTES_TTL_S, max_entries=10_000)

    async def CreateContest(
        self, request: contest_service_pb2.CreateContestRequest, context: Context
    ) -> contest_service_pb2.CreateContestResponse:
        contest = await self.app.create(request_context.require_identity(), spec_from(request.contest))
        return contest_service_pb2.CreateContestResponse(contest=contest_message(contest, self.app.clock()))

    async def GetContest(
        self, request: contest_service_pb2.GetContestRequest, context: Context
    ) -> contest_service_pb2.GetContestResponse:
        caller = request_context.identity()
        contest, registered = await self.app.get(request.contest_id, caller)
        message = contest_message(contest, self.app.clock(), registered=registered, caller=caller, manager=False)
        virtual = await self.app.virtual_of(request.contest_id, caller)
        if virtual is not None:
            message.virtual_participation.CopyFrom(virtual_message(virtual))
        return contest_service_pb2.GetContestResponse(contest=message)

    async def ListContests(
        self, request: contest_service_pb2.ListContestsRequest, context: Context
    ) -> contest_service_pb2.ListContestsResponse:
        phase = None
        if request.phase:
            phase = _PHASE_FROM_PROTO.get(request.phase)
            if phase is None:
                raise InvalidArgument.field("phase", "is not a known phase")
        size = pagination.page_size(request.page_size, default=50, maximum=100)
        fingerprint = {"p": int(request.phase)}
        cursor = pagination.decode_token(request.page_token, fingerprint)
        contests, next_cursor = await self.app.list(phase, size, cursor)
        now, caller = self.app.clock(), request_context.identity()
        return contest_service_pb2.ListContestsResponse(
            contests=[contest_message(c, now, caller=caller, manager=False) for c in contests],
            next_page_token=pagination.encode_token(next_cursor, fingerprint) if next_cursor else "",
        )

    async def UpdateContest(
        self, request: contest_service_pb2.UpdateContestRequest, context: Context
    ) -> contest_service_pb2.UpdateContestResponse:
        changes: dict[str, Any] = {}
        for path in request.update_mask.paths:
            if path not in _MASK_TO_SPEC:
                raise InvalidArgument.field("update_mask", f"`{path}` cannot be changed", reason="INVALID_UPDATE_MASK")
            field, read = _MASK_TO_SPEC[path]
            changes[field] = read(request.contest)
        contest = await self.app.update(request_context.require_identity(), request.contest.contest_id, changes)
        return contest_service_pb2.UpdateContestResponse(contest=contest_message(contest, self.app.clock()))

    async def RegisterForContest(
        self, request: contest_service_pb2.RegisterForContestRequest, context: Context
    ) -> contest_service_pb2.RegisterForContestResponse:
        registration = await self.app.register(request_context.require_identity(), request.contest_id)
        return contest_service_pb2.RegisterForContestResponse(
            registration=contest_pb2.Registration(
                contest_id=registration.contest_id,
                user_id=registration.user_id,
                register_time=timestamp(registration.register_time),
            )
        )

    async def GetLeaderboard(self, request: contest_service_pb2.GetLeaderboardRequest, context: Context) -> bytes:
        """A page of the board as the caller sees it, serialized once per (view, version, page)."""
        caller = request_context.identity()
        if request.virtual:
            return await self._virtual_page(request, caller)
        view = await self.app.view(request.contest_id, caller)
        size = pagination.page_size(request.page_size, default=LEADERBOARD_PAGE_DEFAULT, maximum=LEADERBOARD_PAGE_MAX)
        fingerprint = {"c": request.contest_id}
        if request.around_me:
            if caller is None or caller.user_id not in self.app.boards.members(view.board):
                raise FailedPrecondition(
                    "rows around you need you to be registered for the contest", reason="CONTEST_NOT_REGISTERED"
                )
            standings = self.app.standings(view)
            mine = next(i for i, r in enumerate(standings.rows) if r.user_id == caller.user_id)
            offset = max(0, mine - size // 2)
        else:
            cursor = pagination.decode_token(request.page_token, fingerprint)
            offset = pagination.keyset_cursor(cursor, int)[0] if cursor is not None else 0
            if offset < 0:
                raise InvalidArgument.field("page_token", "is not a valid page token", reason="INVALID_PAGE_TOKEN")
        now = self.app.clock()
        key = (*view.key, size, offset, phase_at(view.board.contest.spec, now) is Phase.UPCOMING)
        page = self.pages.get(key)
        if page is None:
            standings = self.app.standings(view)
            end = offset + size
            token = pagination.encode_token([end], fingerprint) if end < len(standings.rows) else ""
            page = contest_service_pb2.GetLeaderboardResponse(
                leaderboard=leaderboard_message(view, standings, slice(offset, end), now), next_page_token=token
            ).SerializeToString()
            self.pages.put(key, page)
        return page

    async def _virtual_page(self, request: contest_service_pb2.GetLeaderboardRequest, caller: Identity | None) -> bytes:
        """The caller's virtual board (computed per request: it moves with the caller's clock)."""
        seen = await self.app.virtual_view(request.contest_id, caller)
        size = pagination.page_size(request.page_size, default=LEADERBOARD_PAGE_DEFAULT, maximum=LEADERBOARD_PAGE_MAX)
        fingerprint = {"c": request.contest_id, "v": 1}
        if request.around_me:
            mine = next(i for i, r in enumerate(seen.standings.rows) if r.user_id == seen.virtual.user_id)
            offset = max(0, mine - size // 2)
        else:
            cursor = pagination.decode_token(request.page_token, fingerprint)
            offset = pagination.keyset_cursor(cursor, int)[0] if cursor is not None else 0
            if offset < 0:
                raise InvalidArgument.field("page_token", "is not a valid page token", reason="INVALID_PAGE_TOKEN")
        end = offset + size
        return contest_service_pb2.GetLeaderboardResponse(
            leaderboard=virtual_leaderboard_message(seen, slice(offset, end)),
            next_page_token=pagination.encode_token([end], fingerprint) if end < len(seen.standings.rows) else "",
        ).SerializeToString()

    def _upcoming(self, contest: Contest) -> bool:
        return phase_at(contest.spec, self.app.clock()) is Phase.UPCOMING

    def _snapshot(self, view: View, size: int, last: bool) -> bytes:
        """The stream's message for a view: serialized once per (view, version) and shared by every follower."""
        now = self.app.clock()
        key = ("stream", *view.key, size, last, phase_at(view.board.contest.spec, now) is Phase.UPCOMING)
        message = self.pages.get(key)
        if message is None:
            board = leaderboard_message(view, self.app.standings(view), slice(0, size), now)
            message = contest_service_pb2.GetLeaderboardStreamResponse(leaderboard=board, last=last).SerializeToString()
            self.pages.put(key, message)
        return message

    def _change(self, view: View, size: int, base_version: int, base: tuple[Row, ...]) -> bytes:
        """The stream's change from the page ``base`` (at ``base_version``) to the view's: serialized once per
        (view, version, base version), shared by every follower that was sent the same base (a follower that
        skipped versions while it was busy gets one change over all of them)."""
        key = ("change", *view.key, size, base_version)
        message = self.pages.get(key)
        if message is None:
            standings = self.app.standings(view)
            change = page_change(base, standings.rows[:size])
            message = contest_service_pb2.GetLeaderboardStreamResponse(
                change=change_message(view, standings, change, base_version)
            ).SerializeToString()
            self.pages.put(key, message)
        return message

    def _look(self, followed: Followed, board: Board, caller: Identity | None, size: int) -> Look:
        """What a follower shows of ``board`` (the same for every follower with the same caller and page size
        in this generation: worked out once, by the first of them, not by each of 1,000)."""
        key = (followed.generation, board.version, size, None if caller is None else (caller.user_id, caller.roles))
        found = followed.shared.get(key)
        if isinstance(found, Look):
            return found
        view = self.app.view_of(board, caller)
        shown = Shown(view.board.version, view.frozen, self._upcoming(board.contest))
        look = Look(view, self.app.is_final(board.contest), shown, self.app.standings(view).rows[:size])
        followed.shared[key] = look
        return look

    @announces_start  # the snapshot (or, resuming at the current version, STREAM_STARTED) right after the checks
    async def GetLeaderboardStream(
        self, request: contest_service_pb2.GetLeaderboardStreamRequest, context: Context
    ) -> AsyncIterator[Any]:
        """The top of the board now, then what changed after every change (or, when quiet, a heartbeat every
        ``heartbeat_s``), until the standings are final."""
        caller = request_context.identity()
        size = pagination.page_size(request.page_size, default=LEADERBOARD_PAGE_DEFAULT, maximum=LEADERBOARD_PAGE_MAX)
        if request.after_version < 0:
            raise InvalidArgument.field("after_version", "must not be negative")
        board = await self.app.boards.board(request.contest_id)
        if request.after_version > board.version:
            raise OutOfRange.field("after_version", f"the board is at version {board.version}")
        async with self.app.watch.follow(board) as followed:
            board = followed.board if followed.board.version > board.version else board
            generation = followed.generation
            sent: Shown | None = None  # what the client was last sent
            page: tuple[Row, ...] | None = None  # the rows it holds (at sent.version), when changes apply to them
            if board.version <= request.after_version and not self.app.is_final(board.contest):
                sent = Shown(board.version, self.app.view_of(board, caller).frozen, self._upcoming(board.contest))
                yield STREAM_STARTED
            quiet = False
            while True:
                look = self._look(followed, board, caller, size)
                view, final, shown = look.view, look.final, look.shown
                if shown != sent or final or quiet:
                    changes = not (final or request.snapshots_only)
                    if changes and page is not None and sent is not None and shown.same_columns(sent):
                        yield self._change(view, size, sent.version, page)  # nothing changed: a heartbeat
                    else:
                        yield self._snapshot(view, size, final)
                    if final:
                        return
                    sent = shown
                    page = look.rows if changes else None
                try:
                    async with asyncio.timeout(self.heartbeat_s):  # a timer, not a task per follower and board
                        board = await followed.after(generation)
                    generation = followed.generation
                    quiet = False
                except TimeoutError:
                    quiet = True  # something every heartbeat_s keeps idle proxies from closing the stream

    @announces_start  # the frozen board right after the checks
    async def WatchFinalReveal(
        self, request: contest_service_pb2.WatchFinalRevealRequest, context: Context
    ) -> AsyncIterator[contest_service_pb2.WatchFinalRevealResponse]:
        """The frozen board, then one resolved cell per ``step_interval``, until the final standings."""
        size = pagination.page_size(request.page_size, default=LEADERBOARD_PAGE_DEFAULT, maximum=LEADERBOARD_PAGE_MAX)
        interval_s = seconds(request.step_interval) if request.HasField("step_interval") else REVEAL_STEP_DEFAULT_S
        if not 0 <= interval_s <= REVEAL_STEP_MAX_S:
            raise InvalidArgument.field("step_interval", f"must be from 0 to {REVEAL_STEP_MAX_S:g} s")
        board, steps = await self.app.final_reveal(request.contest_id, request_context.identity())
        labels = {p.problem_id: p.label for p in board.contest.spec.problems}
        rows = slice(0, size)
        for n, step in enumerate(steps):
            if n:
                await asyncio.sleep(interval_s)  # (also 0: the loop serves others between steps)
            yield contest_service_pb2.WatchFinalRevealResponse(
                leaderboard=leaderboard_message(View(board, PUBLIC, step.standings.frozen), step.standings, rows),
                user_id=step.user_id,
                problem_label=labels.get(step.problem_id, ""),
                solved=step.solved,
                remaining=step.remaining,
                last=step.remaining == 0,
            )

    async def PublishFinalStandings(
        self, request: contest_service_pb2.PublishFinalStandingsRequest, context: Context
    ) -> contest_service_pb2.PublishFinalStandingsResponse:
        contest = await self.app.publish(request_context.require_identity(), request.contest_id)
        return contest_service_pb2.PublishFinalStandingsResponse(contest=contest_message(contest, self.app.clock()))

    async def StartVirtualParticipation(
        self, request: contest_service_pb2.StartVirtualParticipationRequest, context: Context
    ) -> contest_service_pb2.StartVirtualParticipationResponse:
        virtual = await self.app.start_virtual(request_context.require_identity(), request.contest_id)
        return contest_service_pb2.StartVirtualParticipationResponse(virtual_participation=virtual_message(virtual))

    async def AskClarification(
        self, request: contest_service_pb2.AskClarificationRequest, context: Context
    ) -> contest_service_pb2.AskClarificationResponse:
        question = await self.app.ask(
            request_context.require_identity(), request.contest_id, request.problem_id, request.text
        )
        return contest_service_pb2.AskClarificationResponse(clarification=clarification_message(question))

    async def AnswerClarification(
        self, request: contest_service_pb2.AnswerClarificationRequest, context: Context
    ) -> contest_service_pb2.AnswerClarificationResponse:
        answered = await self.app.answer(
            request_context.require_identity(),
            request.contest_id,
            request.clarification_id,
            request.answer,
            request.public,
        )
        return contest_service_pb2.AnswerClarificationResponse(clarification=clarification_message(answered))

    async def CreateAnnouncement(
        self, request: contest_service_pb2.CreateAnnouncementRequest, context: Context
    ) -> contest_service_pb2.CreateAnnouncementResponse:
        announcement = await self.app.announce(
            request_context.require_identity(), request.contest_id, request.problem_id, request.text
        )
        return contest_service_pb2.CreateAnnouncementResponse(clarification=clarification_message(announcement))

    async def ListClarifications(
        self, request: contest_service_pb2.ListClarificationsRequest, context: Context
    ) -> contest_service_pb2.ListClarificationsResponse:
        size = pagination.page_size(request.page_size, default=50, maximum=100)
        fingerprint = {"c": request.contest_id}
        cursor = pagination.decode_token(request.page_token, fingerprint)
        found, next_cursor = await self.app.clarifications(request_context.identity(), request.contest_id, size, cursor)
        return contest_service_pb2.ListClarificationsResponse(
            clarifications=[clarification_message(c) for c in found],
            next_page_token=pagination.encode_token(next_cursor, fingerprint) if next_cursor else "",
        )

    async def _icpc(self, contest_id: str, kind: str) -> bytes:
        """An ICPC Contest API document of the caller's view as an HttpBody, serialized once per (view,
        version, phase): the document's state moves with the phase even when the board does not."""
        view = await self.app.view(contest_id, request_context.identity())
        now = self.app.clock()
        board = view.board
        key = ("icpc", kind, *view.key, phase_at(board.contest.spec, now), board.contest.final_standings_published)
        found = self.pages.get(key)
        if found is not None:
            return found
        if kind == "scoreboard":
            document = icpc.scoreboard(board.contest, self.app.standings(view), board.update_time, now)
            body = httpbody_pb2.HttpBody(content_type="application/json", data=icpc.json_bytes(document))
        else:
            events = icpc.event_feed(board.contest, board.participants, board.results, view.viewer, now)
            body = httpbody_pb2.HttpBody(content_type="application/x-ndjson", data=icpc.ndjson(events))
        serialized: bytes = body.SerializeToString()
        self.pages.put(key, serialized)
        return serialized

    async def GetIcpcScoreboard(self, request: contest_service_pb2.GetIcpcScoreboardRequest, context: Context) -> bytes:
        return await self._icpc(request.contest_id, "scoreboard")

    async def GetIcpcEventFeed(self, request: contest_service_pb2.GetIcpcEventFeedRequest, context: Context) -> bytes:
        return await self._icpc(request.contest_id, "event-feed")


class ContestInternalServicer(contest_internal_service_pb2_grpc.ContestInternalServiceServicer):
    def __init__(self, app: ContestApp) -> None:
        self.app = app

    async def AuthorizeSubmission(
        self, request: contest_internal_service_pb2.AuthorizeSubmissionRequest, context: Context
    ) -> contest_internal_service_pb2.AuthorizeSubmissionResponse:
        contest, problem = await self.app.authorize(request.contest_id, request.user_id, request.problem_id)
        return contest_internal_service_pb2.AuthorizeSubmissionResponse(
            label=problem.label, run_all_tests=contest.spec.scoring_rule is ScoringRule.IOI
        )

    async def RecordSubmissionResult(
        self, request: contest_internal_service_pb2.RecordSubmissionResultRequest, context: Context
    ) -> contest_internal_service_pb2.RecordSubmissionResultResponse:
        applied = await self.app.record(request.contest_id, result_from(request))
        return contest_internal_service_pb2.RecordSubmissionResultResponse(applied=applied)
