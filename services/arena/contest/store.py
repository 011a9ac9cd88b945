"""The contest service's storage: the ``ContestStore`` port and its two implementations.

- ``SqlContestStore`` (SQLAlchemy 2, SQLite or PostgreSQL): production. Phases are never stored; the
  contest row keeps its end and freeze times so a phase filter is a time predicate. Recording a result
  locks the contest row, keeps the latest judgement per submission (``domain.Result.supersedes``) and bumps
  the board's version only when the standings' inputs changed, so the outbox's redeliveries and reorderings
  are harmless.
- ``InMemoryContestStore``: dictionaries, for the use-case tests.

``tests/integration/db/test_contest_store.py`` runs one contract against both (SQLite and PostgreSQL).
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import json
import pathlib
from collections.abc import Collection, Sequence
from typing import Any, Protocol, TypeAlias

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arena.contest.domain import (
    Clarification,
    ClarificationKind,
    Contest,
    ContestProblem,
    GroupScore,
    Participant,
    Phase,
    Result,
    ScoringRule,
    Spec,
    Verdict,
    VirtualParticipation,
    phase_at,
)
from arena.contest.ranking import Added
from arena.core.errors import AlreadyExists
from arena.kit.db import NAMING_CONVENTION, UtcDateTime, migrate, session_factory
from arena.kit.pagination import keyset_cursor

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")
VERSION_TABLE = "contest_alembic_version"

Cursor: TypeAlias = list[Any]
"""A list position: the time the first page was read, whether ended (0/1), the start time, the contest id."""


@dataclasses.dataclass(frozen=True)
class Registration:
    contest_id: str
    user_id: str
    display_name: str
    register_time: dt.datetime


@dataclasses.dataclass(frozen=True)
class Board:
    """Everything the standings are computed from, read at one version."""

    contest: Contest
    participants: tuple[Participant, ...]
    results: tuple[Result, ...]
    version: int
    update_time: dt.datetime
    added: Added | None = dataclasses.field(default=None, compare=False, repr=False)
    """Set on a board made by applying recorded results to a held one: what it applied (a hint for
    ``ranking.LiveStandings``; a board read from the store has none)."""


class ContestStore(Protocol):
    """The contest service's port. Times are timezone-aware UTC datetimes.

    Every write that changes a board's inputs (a registration, an applied result, a changed spec,
    publishing the final standings) increases the contest's board version by one.
    """

    async def insert(self, contest_id: str, spec: Spec, author_id: str, now: dt.datetime) -> Contest: ...

    async def get(self, contest_id: str) -> Contest | None: ...

    async def replace_spec(self, contest_id: str, spec: Spec, now: dt.datetime) -> Contest | None: ...

    async def publish(self, contest_id: str, now: dt.datetime) -> Contest | None:
        """Marks the final standings published (idempotent: a second call changes nothing)."""
        ...

    async def list(
        self, phase: Phase | None, now: dt.datetime, limit: int, cursor: Cursor | None
    ) -> tuple[list[Contest], Cursor | None]:
        """Contests in ``phase`` (all when None) as of ``now`` (a cursor keeps its first page's now):
        not yet ended ones first, each group by start time, then id."""
        ...

    async def register(self, contest_id: str, user_id: str, display_name: str, now: dt.datetime) -> Registration:
        """Registers a user; AlreadyExists (ALREADY_REGISTERED) when they are."""
        ...

    async def registered(self, contest_id: str, user_id: str) -> bool: ...

    async def record(self, contest_id: str, result: Result, now: dt.datetime) -> bool:
        """Keeps ``result`` unless the stored judgement of its submission supersedes it or equals it;
        True when the standings' inputs changed."""
        ...

    async def record_at(self, contest_id: str, result: Result, now: dt.datetime) -> int | None:
        """``record``, telling the board version the result made (None when it changed nothing): the
        caller may apply the result to a board it holds at the version before (``Boards.applied``)."""
        ...

    async def record_many_at(
        self, contest_id: str, results: Sequence[Result], now: dt.datetime
    ) -> builtins.list[int | None]:
        """``record_at`` for each result in order, in one transaction (the same outcome as one call per
        result, one write instead of many: a burst of verdicts is written together)."""
        ...

    async def board(self, contest_id: str) -> Board | None: ...

    async def version(self, contest_id: str) -> int | None: ...

    async def start_virtual(self, virtual: VirtualParticipation) -> VirtualParticipation:
        """Stores a virtual participation; AlreadyExists (ALREADY_REGISTERED) when the user has one."""
        ...

    async def virtual(self, contest_id: str, user_id: str) -> VirtualParticipation | None: ...

    async def virtuals(self, contest_id: str, user_ids: Collection[str]) -> dict[str, VirtualParticipation]:
        """The virtual participations of those users in the contest, by user id (one read for many)."""
        ...

    async def record_virtual(self, contest_id: str, result: Result) -> bool:
        """Keeps a virtual participant's result as ``record`` does (the latest judgement wins), apart from
        the real results: the real board and its version never change. True when it changed."""
        ...

    async def virtual_results(self, contest_id: str, user_id: str) -> tuple[Result, ...]: ...

    async def add_clarification(self, clarification: Clarification) -> Clarification: ...

    async def get_clarification(self, contest_id: str, clarification_id: str) -> Clarification | None: ...

    async def answer_clarification(self, answered: Clarification) -> bool:
        """Stores the answer unless the question was answered meanwhile (False then: only one answer wins)."""
        ...

    async def list_clarifications(
        self, contest_id: str, viewer_id: str | None, jury: bool, limit: int, cursor: Cursor | None
    ) -> tuple[builtins.list[Clarification], Cursor | None]:
        """What the viewer may see (``domain.may_see``), newest first (create time, then id)."""
        ...


# -- SQL ---------------------------------------------------------------------------------------------


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class ContestRow(Base):
    __tablename__ = "contests"

    contest_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text())
    scoring_rule: Mapped[str] = mapped_column(sa.String(16))
    start_time: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    end_time: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    freeze_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    """When the public board freezes; the end time for a contest without a freeze."""
    duration_us: Mapped[int] = mapped_column(sa.BigInteger())
    freeze_before_end_us: Mapped[int] = mapped_column(sa.BigInteger())
    penalty_per_rejection_us: Mapped[int] = mapped_column(sa.BigInteger())
    author_id: Mapped[str] = mapped_column(sa.String(32))
    final_standings_published: Mapped[bool] = mapped_column(sa.Boolean())
    participant_count: Mapped[int] = mapped_column(sa.Integer())
    board_version: Mapped[int] = mapped_column(sa.Integer())
    board_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class ContestProblemRow(Base):
    __tablename__ = "contest_problems"

    contest_id: Mapped[str] = mapped_column(sa.ForeignKey("contests.contest_id", ondelete="CASCADE"), primary_key=True)
    ordinal: Mapped[int] = mapped_column(sa.Integer(), primary_key=True)
    problem_id: Mapped[str] = mapped_column(sa.String(64))
    label: Mapped[str] = mapped_column(sa.String(8))
    max_score: Mapped[int] = mapped_column(sa.Integer())
    title: Mapped[str] = mapped_column(sa.String(120))


class RegistrationRow(Base):
    __tablename__ = "contest_registrations"

    contest_id: Mapped[str] = mapped_column(sa.ForeignKey("contests.contest_id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(64))
    register_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class ResultRow(Base):
    __tablename__ = "contest_results"

    submission_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    contest_id: Mapped[str] = mapped_column(sa.ForeignKey("contests.contest_id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(sa.String(32))
    problem_id: Mapped[str] = mapped_column(sa.String(64))
    verdict: Mapped[str] = mapped_column(sa.String(32))
    score: Mapped[float] = mapped_column(sa.Float())
    groups: Mapped[str] = mapped_column(sa.Text())
    """JSON: [[group, points], ...]."""
    submit_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    judge_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class VirtualRow(Base):
    __tablename__ = "contest_virtual_participations"

    contest_id: Mapped[str] = mapped_column(sa.ForeignKey("contests.contest_id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(64))
    start_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    duration_us: Mapped[int] = mapped_column(sa.BigInteger())


class VirtualResultRow(Base):
    """A virtual participant's judged submission: apart from ``contest_results``, so the real board never sees it."""

    __tablename__ = "contest_virtual_results"
    __table_args__ = (sa.Index("ix_contest_virtual_results_contest_user", "contest_id", "user_id"),)

    submission_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    contest_id: Mapped[str] = mapped_column(sa.ForeignKey("contests.contest_id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(sa.String(32))
    problem_id: Mapped[str] = mapped_column(sa.String(64))
    verdict: Mapped[str] = mapped_column(sa.String(32))
    score: Mapped[float] = mapped_column(sa.Float())
    groups: Mapped[str] = mapped_column(sa.Text())
    submit_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    judge_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class ClarificationRow(Base):
    __tablename__ = "contest_clarifications"
    __table_args__ = (sa.Index("ix_contest_clarifications_contest_time", "contest_id", "create_time"),)

    clarification_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    contest_id: Mapped[str] = mapped_column(sa.ForeignKey("contests.contest_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    problem_id: Mapped[str] = mapped_column(sa.String(64))
    label: Mapped[str] = mapped_column(sa.String(8))
    text: Mapped[str] = mapped_column(sa.Text())
    author_id: Mapped[str] = mapped_column(sa.String(32))
    public: Mapped[bool] = mapped_column(sa.Boolean())
    answer: Mapped[str] = mapped_column(sa.Text())
    answerer_id: Mapped[str] = mapped_column(sa.String(32))
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    answer_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


def _clarification(row: ClarificationRow) -> Clarification:
    return Clarification(
        clarification_id=row.clarification_id,
        contest_id=row.contest_id,
        kind=ClarificationKind[row.kind],
        problem_id=row.problem_id,
        label=row.label,
        text=row.text,
        author_id=row.author_id,
        create_time=row.create_time,
        public=row.public,
        answer=row.answer,
        answerer_id=row.answerer_id,
        answer_time=row.answer_time,
    )


def _clarification_cursor(cursor: Cursor) -> tuple[dt.datetime, str]:
    create_time, clarification_id = keyset_cursor(cursor, dt.datetime, str)
    return create_time, clarification_id


def _encode_clarification_cursor(c: Clarification) -> Cursor:
    return [c.create_time.isoformat(), c.clarification_id]


def _virtual(row: VirtualRow) -> VirtualParticipation:
    return VirtualParticipation(row.contest_id, row.user_id, row.display_name, row.start_time, _delta(row.duration_us))


def _us(delta: dt.timedelta) -> int:
    return delta // dt.timedelta(microseconds=1)


def _delta(us: int) -> dt.timedelta:
    return dt.timedelta(microseconds=us)


def _spec(row: ContestRow, problems: Sequence[ContestProblemRow]) -> Spec:
    return Spec(
        title=row.title,
        scoring_rule=ScoringRule[row.scoring_rule],
        start_time=row.start_time,
        duration=_delta(row.duration_us),
        problems=tuple(ContestProblem(p.problem_id, p.label, p.max_score, p.title) for p in problems),
        description=row.description,
        freeze_before_end=_delta(row.freeze_before_end_us),
        penalty_per_rejection=_delta(row.penalty_per_rejection_us),
    )


def _contest(row: ContestRow, problems: Sequence[ContestProblemRow]) -> Contest:
    return Contest(
        row.contest_id,
        _spec(row, problems),
        row.author_id,
        row.create_time,
        row.update_time,
        row.final_standings_published,
        row.participant_count,
    )


def _set_spec(row: ContestRow, spec: Spec) -> None:
    row.title = spec.title
    row.description = spec.description
    row.scoring_rule = spec.scoring_rule.name
    row.start_time = spec.start_time
    row.end_time = spec.end_time
    row.freeze_time = spec.freeze_time or spec.end_time
    row.duration_us = _us(spec.duration)
    row.freeze_before_end_us = _us(spec.freeze_before_end)
    row.penalty_per_rejection_us = _us(spec.penalty_per_rejection)


def _problem_rows(contest_id: str, spec: Spec) -> list[ContestProblemRow]:
    return [
        ContestProblemRow(
            contest_id=contest_id,
            ordinal=i,
            problem_id=p.problem_id,
            label=p.label,
            max_score=p.max_score,
            title=p.title,
        )
        for i, p in enumerate(spec.problems)
    ]


def _result(row: ResultRow | VirtualResultRow) -> Result:
    return Result(
        row.submission_id,
        row.user_id,
        row.problem_id,
        Verdict[row.verdict],
        row.submit_time,
        row.score,
        tuple(GroupScore(g, float(p)) for g, p in json.loads(row.groups)),
        row.judge_time,
    )


def _set_result(row: ResultRow | VirtualResultRow, result: Result) -> None:
    row.user_id = result.user_id
    row.problem_id = result.problem_id
    row.verdict = result.verdict.name
    row.score = result.score
    row.groups = json.dumps([[g.group, g.points] for g in result.groups])
    row.submit_time = result.submit_time
    row.judge_time = result.judge_time


def _list_cursor(cursor: Cursor) -> tuple[dt.datetime, int, dt.datetime, str]:
    now, ended, start, contest_id = keyset_cursor(cursor, dt.datetime, int, dt.datetime, str)
    return now, ended, start, contest_id


def _encode_cursor(now: dt.datetime, contest: Contest) -> Cursor:
    ended = int(contest.spec.end_time <= now)
    return [now.isoformat(), ended, contest.spec.start_time.isoformat(), contest.contest_id]


class SqlContestStore:
    """ContestStore on SQLAlchemy 2 (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)

    async def migrate(self) -> None:
        await migrate(self.engine, MIGRATIONS, VERSION_TABLE)

    async def _problems(self, session: AsyncSession, ids: Sequence[str]) -> dict[str, list[ContestProblemRow]]:
        out: dict[str, list[ContestProblemRow]] = {i: [] for i in ids}
        if ids:
            query = (
                sa.select(ContestProblemRow)
                .where(ContestProblemRow.contest_id.in_(ids))
                .order_by(ContestProblemRow.contest_id, ContestProblemRow.ordinal)
            )
            for p in await session.scalars(query):
                out[p.contest_id].append(p)
        return out

    async def _load(self, session: AsyncSession, row: ContestRow) -> Contest:
        return _contest(row, (await self._problems(session, [row.contest_id]))[row.contest_id])

    async def insert(self, contest_id: str, spec: Spec, author_id: str, now: dt.datetime) -> Contest:
        async with self._sessions.begin() as session:
            row = ContestRow(
                contest_id=contest_id,
                author_id=author_id,
                final_standings_published=False,
                participant_count=0,
                board_version=1,
                board_time=now,
                create_time=now,
                update_time=now,
            )
            _set_spec(row, spec)
            session.add(row)
            await session.flush()
            session.add_all(_problem_rows(contest_id, spec))
            await session.flush()
            return await self._load(session, row)

    async def get(self, contest_id: str) -> Contest | None:
        async with self._sessions() as session:
            row = await session.get(ContestRow, contest_id)
            return None if row is None else await self._load(session, row)

    async def _locked(self, session: AsyncSession, contest_id: str) -> ContestRow | None:
        """The contest row, locked for this transaction: a no-op UPDATE takes the row lock on PostgreSQL
        and the write lock on SQLite (where SELECT ... FOR UPDATE does nothing), so the board's writers
        of one contest run one at a time."""
        touch = sa.update(ContestRow).where(ContestRow.contest_id == contest_id)
        await session.execute(touch.values(board_version=ContestRow.board_version))
        return await session.get(ContestRow, contest_id, populate_existing=True)

    @staticmethod
    def _bump(row: ContestRow, now: dt.datetime) -> None:
        row.board_version += 1
        row.board_time = now

    async def replace_spec(self, contest_id: str, spec: Spec, now: dt.datetime) -> Contest | None:
        async with self._sessions.begin() as session:
            row = await self._locked(session, contest_id)
            if row is None:
                return None
            _set_spec(row, spec)
            row.update_time = now
            self._bump(row, now)
            await session.execute(sa.delete(ContestProblemRow).where(ContestProblemRow.contest_id == contest_id))
            session.add_all(_problem_rows(contest_id, spec))
            await session.flush()
            return await self._load(session, row)

    async def publish(self, contest_id: str, now: dt.datetime) -> Contest | None:
        async with self._sessions.begin() as session:
            row = await self._locked(session, contest_id)
            if row is None:
                return None
            if not row.final_standings_published:
                row.final_standings_published = True
                row.update_time = now
                self._bump(row, now)
                await session.flush()
            return await self._load(session, row)

    async def list(
        self, phase: Phase | None, now: dt.datetime, limit: int, cursor: Cursor | None
    ) -> tuple[list[Contest], Cursor | None]:
        c = ContestRow
        if cursor is not None:
            now, *after = _list_cursor(cursor)
        ended = sa.case((c.end_time <= now, 1), else_=0)
        query = sa.select(c)
        if phase is Phase.UPCOMING:
            query = query.where(c.start_time > now)
        elif phase is Phase.RUNNING:
            query = query.where(c.start_time <= now, c.freeze_time > now)
        elif phase is Phase.FROZEN:
            query = query.where(c.freeze_time <= now, c.end_time > now)
        elif phase is Phase.ENDED:
            query = query.where(c.end_time <= now)
        if cursor is not None:
            query = query.where(sa.tuple_(ended, c.start_time, c.contest_id) > sa.tuple_(*after))
        query = query.order_by(ended, c.start_time, c.contest_id).limit(limit + 1)
        async with self._sessions() as session:
            rows = list(await session.scalars(query))
            more = len(rows) > limit
            rows = rows[:limit]
            problems = await self._problems(session, [r.contest_id for r in rows])
        contests = [_contest(r, problems[r.contest_id]) for r in rows]
        return contests, _encode_cursor(now, contests[-1]) if more else None

    async def register(self, contest_id: str, user_id: str, display_name: str, now: dt.datetime) -> Registration:
        try:
            async with self._sessions.begin() as session:
                row = await self._locked(session, contest_id)
                if row is None:
                    raise LookupError(contest_id)
                session.add(
                    RegistrationRow(
                        contest_id=contest_id, user_id=user_id, display_name=display_name, register_time=now
                    )
                )
                await session.flush()
                row.participant_count += 1
                self._bump(row, now)
        except IntegrityError:
            raise AlreadyExists("already registered for this contest", reason="ALREADY_REGISTERED") from None
        return Registration(contest_id, user_id, display_name, now)

    async def registered(self, contest_id: str, user_id: str) -> bool:
        async with self._sessions() as session:
            return await session.get(RegistrationRow, (contest_id, user_id)) is not None

    async def record(self, contest_id: str, result: Result, now: dt.datetime) -> bool:
        return await self.record_at(contest_id, result, now) is not None

    async def record_at(self, contest_id: str, result: Result, now: dt.datetime) -> int | None:
        return (await self.record_many_at(contest_id, (result,), now))[0]

    async def record_many_at(
        self, contest_id: str, results: Sequence[Result], now: dt.datetime
    ) -> builtins.list[int | None]:
        async with self._sessions.begin() as session:
            contest = await self._locked(session, contest_id)
            if contest is None:
                raise LookupError(contest_id)
            ids = {r.submission_id for r in results}
            found = await session.scalars(sa.select(ResultRow).where(ResultRow.submission_id.in_(sorted(ids))))
            rows = {row.submission_id: row for row in found}
            versions: builtins.list[int | None] = []
            for result in results:
                row = rows.get(result.submission_id)
                if row is not None:
                    if row.contest_id != contest_id:
                        versions.append(None)  # a submission belongs to one contest: a stray replay changes nothing
                        continue
                    have = _result(row)
                    if have == result or not result.supersedes(have):
                        versions.append(None)
                        continue
                    _set_result(row, result)
                else:
                    row = ResultRow(submission_id=result.submission_id, contest_id=contest_id)
                    rows[result.submission_id] = row
                    _set_result(row, result)
                    session.add(row)
                self._bump(contest, now)
                versions.append(contest.board_version)
            return versions

    async def board(self, contest_id: str) -> Board | None:
        async with self._sessions() as session, session.begin():
            row = await session.get(ContestRow, contest_id)
            if row is None:
                return None
            contest = await self._load(session, row)
            people = await session.scalars(
                sa.select(RegistrationRow)
                .where(RegistrationRow.contest_id == contest_id)
                .order_by(RegistrationRow.user_id)
            )
            participants = tuple(Participant(p.user_id, p.display_name) for p in people)
            results = await session.scalars(
                sa.select(ResultRow).where(ResultRow.contest_id == contest_id).order_by(ResultRow.submission_id)
            )
            return Board(contest, participants, tuple(_result(r) for r in results), row.board_version, row.board_time)

    async def version(self, contest_id: str) -> int | None:
        async with self._sessions() as session:
            return await session.scalar(sa.select(ContestRow.board_version).where(ContestRow.contest_id == contest_id))

    async def start_virtual(self, virtual: VirtualParticipation) -> VirtualParticipation:
        try:
            async with self._sessions.begin() as session:
                session.add(
                    VirtualRow(
                        contest_id=virtual.contest_id,
                        user_id=virtual.user_id,
                        display_name=virtual.display_name,
                        start_time=virtual.start_time,
                        duration_us=_us(virtual.duration),
                    )
                )
        except IntegrityError:
            raise AlreadyExists(
                "you have taken part in this contest virtually already", reason="ALREADY_REGISTERED"
            ) from None
        return virtual

    async def virtual(self, contest_id: str, user_id: str) -> VirtualParticipation | None:
        async with self._sessions() as session:
            row = await session.get(VirtualRow, (contest_id, user_id))
            return None if row is None else _virtual(row)

    async def virtuals(self, contest_id: str, user_ids: Collection[str]) -> dict[str, VirtualParticipation]:
        async with self._sessions() as session:
            found = await session.scalars(
                sa.select(VirtualRow).where(VirtualRow.contest_id == contest_id, VirtualRow.user_id.in_(set(user_ids)))
            )
            return {row.user_id: _virtual(row) for row in found}

    async def record_virtual(self, contest_id: str, result: Result) -> bool:
        try:
            return await self._record_virtual(contest_id, result)
        except IntegrityError:  # a concurrent delivery inserted it first: this one is a replay, or newer
            return await self._record_virtual(contest_id, result)

    async def _record_virtual(self, contest_id: str, result: Result) -> bool:
        async with self._sessions.begin() as session:
            row = await session.get(VirtualResultRow, result.submission_id, with_for_update=True)
            if row is not None:
                if row.contest_id != contest_id:
                    return False
                have = _result(row)
                if have == result or not result.supersedes(have):
                    return False
                _set_result(row, result)
                return True
            row = VirtualResultRow(submission_id=result.submission_id, contest_id=contest_id)
            _set_result(row, result)
            session.add(row)
        return True

    async def virtual_results(self, contest_id: str, user_id: str) -> tuple[Result, ...]:
        async with self._sessions() as session:
            rows = await session.scalars(
                sa.select(VirtualResultRow)
                .where(VirtualResultRow.contest_id == contest_id, VirtualResultRow.user_id == user_id)
                .order_by(VirtualResultRow.submission_id)
            )
            return tuple(_result(r) for r in rows)

    async def add_clarification(self, clarification: Clarification) -> Clarification:
        c = clarification
        async with self._sessions.begin() as session:
            session.add(
                ClarificationRow(
                    clarification_id=c.clarification_id,
                    contest_id=c.contest_id,
                    kind=c.kind.name,
                    problem_id=c.problem_id,
                    label=c.label,
                    text=c.text,
                    author_id=c.author_id,
                    public=c.public,
                    answer=c.answer,
                    answerer_id=c.answerer_id,
                    create_time=c.create_time,
                    answer_time=c.answer_time,
                )
            )
        return clarification

    async def get_clarification(self, contest_id: str, clarification_id: str) -> Clarification | None:
        async with self._sessions() as session:
            row = await session.get(ClarificationRow, clarification_id)
            return None if row is None or row.contest_id != contest_id else _clarification(row)

    async def answer_clarification(self, answered: Clarification) -> bool:
        c = ClarificationRow
        async with self._sessions.begin() as session:
            done = await session.execute(
                sa.update(c)
                .where(c.clarification_id == answered.clarification_id, c.answer_time.is_(None))
                .values(
                    answer=answered.answer,
                    public=answered.public,
                    answerer_id=answered.answerer_id,
                    answer_time=answered.answer_time,
                )
            )
            return bool(getattr(done, "rowcount", 0) == 1)

    async def list_clarifications(
        self, contest_id: str, viewer_id: str | None, jury: bool, limit: int, cursor: Cursor | None
    ) -> tuple[builtins.list[Clarification], Cursor | None]:
        c = ClarificationRow
        query = sa.select(c).where(c.contest_id == contest_id)
        if not jury:
            visible: sa.ColumnElement[bool] = c.public.is_(True)
            if viewer_id is not None:
                visible = sa.or_(visible, c.author_id == viewer_id)
            query = query.where(visible)
        if cursor is not None:
            query = query.where(
                sa.tuple_(c.create_time, c.clarification_id) < sa.tuple_(*_clarification_cursor(cursor))
            )
        query = query.order_by(c.create_time.desc(), c.clarification_id.desc()).limit(limit + 1)
        async with self._sessions() as session:
            found = [_clarification(r) for r in await session.scalars(query)]
        page = found[:limit]
        return page, _encode_clarification_cursor(page[-1]) if len(found) > limit else None


# -- in memory ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Stored:
    contest: Contest
    version: int
    board_time: dt.datetime
    registrations: dict[str, Registration] = dataclasses.field(default_factory=dict)
    results: dict[str, Result] = dataclasses.field(default_factory=dict)


class InMemoryContestStore:
    """ContestStore in dictionaries (use-case tests)."""

    def __init__(self) -> None:
        self._contests: dict[str, _Stored] = {}
        self._owner: dict[str, str] = {}  # submission id -> contest id
        self._virtual: dict[tuple[str, str], VirtualParticipation] = {}
        self._virtual_results: dict[str, tuple[str, Result]] = {}  # submission id -> (contest id, result)
        self._clarifications: dict[str, Clarification] = {}

    def _bump(self, stored: _Stored, now: dt.datetime) -> None:
        stored.version += 1
        stored.board_time = now

    async def insert(self, contest_id: str, spec: Spec, author_id: str, now: dt.datetime) -> Contest:
        contest = Contest(contest_id, spec, author_id, now, now)
        self._contests[contest_id] = _Stored(contest, 1, now)
        return contest

    async def get(self, contest_id: str) -> Contest | None:
        stored = self._contests.get(contest_id)
        return None if stored is None else stored.contest

    async def replace_spec(self, contest_id: str, spec: Spec, now: dt.datetime) -> Contest | None:
        stored = self._contests.get(contest_id)
        if stored is None:
            return None
        stored.contest = dataclasses.replace(stored.contest, spec=spec, update_time=now)
        self._bump(stored, now)
        return stored.contest

    async def publish(self, contest_id: str, now: dt.datetime) -> Contest | None:
        stored = self._contests.get(contest_id)
        if stored is None:
            return None
        if not stored.contest.final_standings_published:
            stored.contest = dataclasses.replace(stored.contest, final_standings_published=True, update_time=now)
            self._bump(stored, now)
        return stored.contest

    async def list(
        self, phase: Phase | None, now: dt.datetime, limit: int, cursor: Cursor | None
    ) -> tuple[list[Contest], Cursor | None]:
        after: tuple[int, dt.datetime, str] | None = None
        if cursor is not None:
            now, ended, start, contest_id = _list_cursor(cursor)
            after = (ended, start, contest_id)

        def key(c: Contest) -> tuple[int, dt.datetime, str]:
            return (int(c.spec.end_time <= now), c.spec.start_time, c.contest_id)

        chosen = sorted(
            (
                s.contest
                for s in self._contests.values()
                if (phase is None or phase_at(s.contest.spec, now) is phase)
                and (after is None or key(s.contest) > after)
            ),
            key=key,
        )
        page = chosen[:limit]
        return page, _encode_cursor(now, page[-1]) if len(chosen) > limit else None

    async def register(self, contest_id: str, user_id: str, display_name: str, now: dt.datetime) -> Registration:
        stored = self._contests.get(contest_id)
        if stored is None:
            raise LookupError(contest_id)
        if user_id in stored.registrations:
            raise AlreadyExists("already registered for this contest", reason="ALREADY_REGISTERED")
        registration = Registration(contest_id, user_id, display_name, now)
        stored.registrations[user_id] = registration
        stored.contest = dataclasses.replace(stored.contest, participant_count=len(stored.registrations))
        self._bump(stored, now)
        return registration

    async def registered(self, contest_id: str, user_id: str) -> bool:
        stored = self._contests.get(contest_id)
        return stored is not None and user_id in stored.registrations

    async def record(self, contest_id: str, result: Result, now: dt.datetime) -> bool:
        return await self.record_at(contest_id, result, now) is not None

    async def record_at(self, contest_id: str, result: Result, now: dt.datetime) -> int | None:
        stored = self._contests.get(contest_id)
        if stored is None:
            raise LookupError(contest_id)
        owner = self._owner.setdefault(result.submission_id, contest_id)
        if owner != contest_id:
            return None
        have = stored.results.get(result.submission_id)
        if have is not None and (have == result or not result.supersedes(have)):
            return None
        stored.results[result.submission_id] = result
        self._bump(stored, now)
        return stored.version

    async def record_many_at(
        self, contest_id: str, results: Sequence[Result], now: dt.datetime
    ) -> builtins.list[int | None]:
        if contest_id not in self._contests:
            raise LookupError(contest_id)
        return [await self.record_at(contest_id, result, now) for result in results]

    async def board(self, contest_id: str) -> Board | None:
        stored = self._contests.get(contest_id)
        if stored is None:
            return None
        participants = tuple(Participant(r.user_id, r.display_name) for _, r in sorted(stored.registrations.items()))
        results = tuple(r for _, r in sorted(stored.results.items()))
        return Board(stored.contest, participants, results, stored.version, stored.board_time)

    async def version(self, contest_id: str) -> int | None:
        stored = self._contests.get(contest_id)
        return None if stored is None else stored.version

    async def start_virtual(self, virtual: VirtualParticipation) -> VirtualParticipation:
        key = (virtual.contest_id, virtual.user_id)
        if key in self._virtual:
            raise AlreadyExists("you have taken part in this contest virtually already", reason="ALREADY_REGISTERED")
        self._virtual[key] = virtual
        return virtual

    async def virtual(self, contest_id: str, user_id: str) -> VirtualParticipation | None:
        return self._virtual.get((contest_id, user_id))

    async def virtuals(self, contest_id: str, user_ids: Collection[str]) -> dict[str, VirtualParticipation]:
        found = ((u, self._virtual.get((contest_id, u))) for u in set(user_ids))
        return {u: v for u, v in found if v is not None}

    async def record_virtual(self, contest_id: str, result: Result) -> bool:
        have = self._virtual_results.get(result.submission_id)
        if have is not None and (have[0] != contest_id or have[1] == result or not result.supersedes(have[1])):
            return False
        self._virtual_results[result.submission_id] = (contest_id, result)
        return True

    async def virtual_results(self, contest_id: str, user_id: str) -> tuple[Result, ...]:
        return tuple(
            r for _, (c, r) in sorted(self._virtual_results.items()) if c == contest_id and r.user_id == user_id
        )

    async def add_clarification(self, clarification: Clarification) -> Clarification:
        self._clarifications[clarification.clarification_id] = clarification
        return clarification

    async def get_clarification(self, contest_id: str, clarification_id: str) -> Clarification | None:
        found = self._clarifications.get(clarification_id)
        return found if found is not None and found.contest_id == contest_id else None

    async def answer_clarification(self, answered: Clarification) -> bool:
        have = self._clarifications.get(answered.clarification_id)
        if have is None or have.answered:
            return False
        self._clarifications[answered.clarification_id] = answered
        return True

    async def list_clarifications(
        self, contest_id: str, viewer_id: str | None, jury: bool, limit: int, cursor: Cursor | None
    ) -> tuple[builtins.list[Clarification], Cursor | None]:
        after = _clarification_cursor(cursor) if cursor is not None else None
        found = sorted(
            (
                c
                for c in self._clarifications.values()
                if c.contest_id == contest_id
                and (jury or c.public or (viewer_id is not None and c.author_id == viewer_id))
                and (after is None or (c.create_time, c.clarification_id) < after)
            ),
            key=lambda c: (c.create_time, c.clarification_id),
            reverse=True,
        )
        page = found[:limit]
        return page, _encode_clarification_cursor(page[-1]) if len(found) > limit else None
