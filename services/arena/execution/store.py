"""The execution service's storage: submissions, per-test results, event logs, the outbox.

``ExecutionStore`` is the port the use cases (``app``) and the judges (``worker``) depend on;
``SqlExecutionStore`` implements it on SQLAlchemy 2 (SQLite or PostgreSQL), and
``InMemoryExecutionStore`` for the use-case tests. One contract test
(tests/integration/db/test_execution_store.py) runs against all three.

A submission's events are numbered in its own row (``last_sequence``) inside the transaction
that records them, so sequences have no gaps or repeats even with several judges writing.

The table is also the judge queue: a judge *claims* a submission with a lease
(``claimed_by``/``lease_until``) and renews it while judging. A claim whose holder died
expires and another judge takes the submission over; every write checks the claim, so a
judge that lost its claim cannot record anything (nothing is judged twice).
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import pathlib
from collections.abc import Sequence
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arena.execution.domain import (
    Event,
    EventType,
    Final,
    GroupScore,
    Status,
    Submission,
    SubmissionFilters,
    TestOutcome,
    Verdict,
)
from arena.kit.db import NAMING_CONVENTION, UtcDateTime, migrate, session_factory
from arena.kit.pagination import keyset_cursor

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")
VERSION_TABLE = "execution_alembic_version"
UNFINISHED = (Status.QUEUED.name, Status.COMPILING.name, Status.RUNNING.name)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class SubmissionRow(Base):
    __tablename__ = "submissions"
    __table_args__ = (sa.Index("ix_submissions_status_create_time", "status", "create_time"),)

    submission_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    problem_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    contest_id: Mapped[str] = mapped_column(sa.String(32), default="", index=True)
    language_id: Mapped[str] = mapped_column(sa.String(32))
    source: Mapped[str] = mapped_column(sa.Text())
    run_all_tests: Mapped[bool] = mapped_column(sa.Boolean())
    status: Mapped[str] = mapped_column(sa.String(16))
    verdict: Mapped[int | None] = mapped_column(sa.Integer(), nullable=True)
    score: Mapped[float] = mapped_column(sa.Float(), default=0.0)
    test_count: Mapped[int] = mapped_column(sa.Integer(), default=0)
    passed_test_count: Mapped[int] = mapped_column(sa.Integer(), default=0)
    max_cpu_ms: Mapped[int] = mapped_column(sa.Integer(), default=0)
    max_memory_kib: Mapped[int] = mapped_column(sa.Integer(), default=0)
    compile_output: Mapped[str] = mapped_column(sa.Text(), default="")
    points: Mapped[float] = mapped_column(sa.Float(), default=0.0)
    max_points: Mapped[float] = mapped_column(sa.Float(), default=0.0)
    group_results: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON(), default=list)
    judge_notes: Mapped[str] = mapped_column(sa.Text(), default="")
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    judge_start_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finish_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_sequence: Mapped[int] = mapped_column(sa.Integer(), default=0)
    claimed_by: Mapped[str] = mapped_column(sa.String(128), default="")
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class TestResultRow(Base):
    __tablename__ = "test_results"

    submission_id: Mapped[str] = mapped_column(
        sa.ForeignKey("submissions.submission_id", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(sa.Integer(), primary_key=True)
    sample: Mapped[bool] = mapped_column(sa.Boolean())
    verdict: Mapped[int] = mapped_column(sa.Integer())
    cpu_ms: Mapped[int] = mapped_column(sa.Integer())
    wall_ms: Mapped[int] = mapped_column(sa.Integer())
    memory_kib: Mapped[int] = mapped_column(sa.Integer())
    exit_code: Mapped[int] = mapped_column(sa.Integer())
    signal: Mapped[int] = mapped_column(sa.Integer())
    checker_message: Mapped[str] = mapped_column(sa.Text(), default="")
    score: Mapped[float] = mapped_column(sa.Float(), default=0.0)


class EventRow(Base):
    __tablename__ = "submission_events"

    submission_id: Mapped[str] = mapped_column(
        sa.ForeignKey("submissions.submission_id", ondelete="CASCADE"), primary_key=True
    )
    sequence: Mapped[int] = mapped_column(sa.Integer(), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(16))
    time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON())


class OutboxRow(Base):
    """A call to another service that must happen eventually (the verdict must reach it)."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_pending", "delivered", "next_attempt_time"),)

    outbox_id: Mapped[int] = mapped_column(sa.Integer(), primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(sa.String(96))
    payload: Mapped[bytes] = mapped_column(sa.LargeBinary())
    attempts: Mapped[int] = mapped_column(sa.Integer(), default=0)
    delivered: Mapped[bool] = mapped_column(sa.Boolean(), default=False)
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    next_attempt_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    last_error: Mapped[str] = mapped_column(sa.Text(), default="")


class LostClaim(Exception):
    """This judge no longer holds the submission's claim (it expired and another judge took it)."""


@dataclasses.dataclass(frozen=True)
class OutboxItem:
    outbox_id: int
    target: str
    payload: bytes
    attempts: int


Outbox = Sequence[tuple[str, bytes]]
"""Calls owed to other services: (target, serialized request)."""


class OutboxStore(Protocol):
    """The outbox as its dispatcher sees it."""

    async def due(self, now: dt.datetime, limit: int) -> list[OutboxItem]:
        """Undelivered items due by ``now``, soonest first (then oldest first)."""
        ...

    async def delivered(self, outbox_id: int) -> None: ...

    async def retry_later(self, outbox_id: int, next_attempt: dt.datetime, error: str) -> None:
        """One more failed attempt: due again at ``next_attempt``, ``error`` kept for operators."""
        ...


class ExecutionStore(OutboxStore, Protocol):
    """Submissions, their numbered events, the judge queue (claims with leases) and the outbox.

    Every write with an ``owner`` checks that this judge still holds the claim and that the
    submission is unfinished, else raises ``LostClaim`` and changes nothing.
    """

    async def create(self, submission: Submission, test_count: int, now: dt.datetime, outbox: Outbox = ()) -> Event:
        """Stores a new submission, its first event (QUEUED) and its outbox items, atomically."""
        ...

    async def advance(
        self, submission_id: str, type_: EventType, status: Status, now: dt.datetime, *, owner: str
    ) -> Event: ...

    async def record_test(self, submission_id: str, outcome: TestOutcome, now: dt.datetime, *, owner: str) -> Event: ...

    async def finish(self, submission_id: str, final: Final, now: dt.datetime, outbox: Outbox, *, owner: str) -> Event:
        """The verdict and the calls it owes other services, atomically."""
        ...

    async def claim_next(self, owner: str, now: dt.datetime, lease: dt.timedelta) -> str | None:
        """Claims the oldest unfinished submission nobody holds (or whose lease ran out)."""
        ...

    async def reclaim(self, owner: str, now: dt.datetime, lease: dt.timedelta) -> builtins.list[str]:
        """The unfinished submissions ``owner`` held, their leases renewed (a restarted judge)."""
        ...

    async def renew(self, owner: str, submission_ids: Sequence[str], until: dt.datetime) -> None: ...

    async def release(self, owner: str, submission_id: str, retry_at: dt.datetime) -> None:
        """Gives a claim back; nobody claims the submission before ``retry_at``."""
        ...

    async def get(self, submission_id: str) -> Submission | None:
        """With its per-test results (by ordinal); ``queue_position`` is not filled in."""
        ...

    async def queue_position(self, submission: Submission) -> int:
        """1 for the next submission to be judged; 0 once judging started."""
        ...

    async def queued_count(self) -> int: ...

    async def events_after(self, submission_id: str, after: int) -> builtins.list[Event]: ...

    async def list(
        self, filters: SubmissionFilters, limit: int, cursor: builtins.list[Any] | None
    ) -> tuple[builtins.list[Submission], builtins.list[Any] | None]:
        """Newest first, without per-test results; the cursor continues after the last one."""
        ...


def _add_outbox(session: AsyncSession, items: Outbox, now: dt.datetime) -> None:
    """Outbox items written in the caller's transaction, due at once."""
    for target, payload in items:
        session.add(OutboxRow(target=target, payload=payload, create_time=now, next_attempt_time=now))


def _outcome(row: TestResultRow) -> TestOutcome:
    return TestOutcome(
        ordinal=row.ordinal,
        sample=row.sample,
        verdict=Verdict(row.verdict),
        cpu_ms=row.cpu_ms,
        wall_ms=row.wall_ms,
        memory_kib=row.memory_kib,
        exit_code=row.exit_code,
        signal=row.signal,
        checker_message=row.checker_message,
        score=row.score,
    )


def _groups_json(groups: Sequence[GroupScore]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(g) | {"verdict": g.verdict.value} for g in groups]


def _groups_from_json(data: Sequence[dict[str, Any]] | None) -> tuple[GroupScore, ...]:
    return tuple(GroupScore(**{**g, "verdict": Verdict(g["verdict"])}) for g in data or ())


def _submission(row: SubmissionRow, results: Sequence[TestResultRow] = ()) -> Submission:
    return Submission(
        submission_id=row.submission_id,
        user_id=row.user_id,
        problem_id=row.problem_id,
        contest_id=row.contest_id,
        language_id=row.language_id,
        source=row.source,
        run_all_tests=row.run_all_tests,
        status=Status[row.status],
        create_time=row.create_time,
        verdict=Verdict(row.verdict) if row.verdict else None,
        score=row.score,
        test_count=row.test_count,
        passed_test_count=row.passed_test_count,
        max_cpu_ms=row.max_cpu_ms,
        max_memory_kib=row.max_memory_kib,
        compile_output=row.compile_output,
        judge_start_time=row.judge_start_time,
        finish_time=row.finish_time,
        results=tuple(_outcome(r) for r in results),
        last_sequence=row.last_sequence,
        points=row.points,
        max_points=row.max_points,
        groups=_groups_from_json(row.group_results),
        judge_notes=row.judge_notes,
    )


def _event_payload(event: Event) -> dict[str, Any]:
    return {
        "status": event.status.name,
        "test": dataclasses.asdict(event.test) | {"verdict": event.test.verdict.value} if event.test else None,
        "verdict": event.verdict.value if event.verdict else None,
        "score": event.score,
        "compile_output": event.compile_output,
        "test_count": event.test_count,
        "points": event.points,
        "max_points": event.max_points,
        "groups": _groups_json(event.groups),
    }


def _event(row: EventRow) -> Event:
    data = row.payload
    test = data.get("test")
    return Event(
        submission_id=row.submission_id,
        sequence=row.sequence,
        type=EventType[row.type],
        time=row.time,
        status=Status[data["status"]],
        test=TestOutcome(**{**test, "verdict": Verdict(test["verdict"])}) if test else None,
        verdict=Verdict(data["verdict"]) if data.get("verdict") else None,
        score=data.get("score", 0.0),
        compile_output=data.get("compile_output", ""),
        test_count=data.get("test_count", 0),
        points=data.get("points", 0.0),
        max_points=data.get("max_points", 0.0),
        groups=_groups_from_json(data.get("groups")),
    )


class SqlExecutionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)

    async def migrate(self) -> None:
        await migrate(self.engine, MIGRATIONS, VERSION_TABLE)

    async def create(self, submission: Submission, test_count: int, now: dt.datetime, outbox: Outbox = ()) -> Event:
        """Stores a new submission with its first event (QUEUED) and its outbox items in one transaction."""
        async with self._sessions.begin() as session:
            _add_outbox(session, outbox, now)
            session.add(
                SubmissionRow(
                    submission_id=submission.submission_id,
                    user_id=submission.user_id,
                    problem_id=submission.problem_id,
                    contest_id=submission.contest_id,
                    language_id=submission.language_id,
                    source=submission.source,
                    run_all_tests=submission.run_all_tests,
                    status=Status.QUEUED.name,
                    test_count=test_count,
                    create_time=submission.create_time,
                    last_sequence=0,
                )
            )
            await session.flush()
            return await self._append(session, submission.submission_id, EventType.QUEUED, Status.QUEUED, now)

    async def _append(
        self,
        session: AsyncSession,
        submission_id: str,
        type_: EventType,
        status: Status,
        now: dt.datetime,
        *,
        test: TestOutcome | None = None,
        final: Final | None = None,
        owner: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> Event:
        """The next event, numbered and stored; it carries the submission's test count (every event does)."""
        update = sa.update(SubmissionRow).where(SubmissionRow.submission_id == submission_id)
        if owner is not None:
            update = update.where(SubmissionRow.claimed_by == owner, SubmissionRow.status != Status.FINISHED.name)
        numbered = (
            await session.execute(
                update.values(
                    last_sequence=SubmissionRow.last_sequence + 1, status=status.name, **(values or {})
                ).returning(SubmissionRow.last_sequence, SubmissionRow.test_count)
            )
        ).first()
        if numbered is None:
            raise LostClaim(submission_id)
        sequence, test_count = numbered
        event = Event(
            submission_id=submission_id,
            sequence=int(sequence),
            type=type_,
            time=now,
            status=status,
            test=test,
            verdict=final.verdict if final else None,
            score=final.score if final else 0.0,
            compile_output=final.compile_output if final else "",
            test_count=int(test_count),
            points=final.points if final else 0.0,
            max_points=final.max_points if final else 0.0,
            groups=final.groups if final else (),
        )
        session.add(
            EventRow(
                submission_id=submission_id,
                sequence=event.sequence,
                type=type_.name,
                time=now,
                payload=_event_payload(event),
            )
        )
        return event

    async def advance(
        self, submission_id: str, type_: EventType, status: Status, now: dt.datetime, *, owner: str
    ) -> Event:
        values = {"judge_start_time": now} if type_ is EventType.COMPILING else {}
        async with self._sessions.begin() as session:
            return await self._append(session, submission_id, type_, status, now, owner=owner, values=values)

    async def record_test(self, submission_id: str, outcome: TestOutcome, now: dt.datetime, *, owner: str) -> Event:
        async with self._sessions.begin() as session:
            # The claim is checked (and the sequence taken) before the result row is added.
            event = await self._append(
                session, submission_id, EventType.TEST_FINISHED, Status.RUNNING, now, test=outcome, owner=owner
            )
            session.add(
                TestResultRow(
                    submission_id=submission_id,
                    ordinal=outcome.ordinal,
                    sample=outcome.sample,
                    verdict=outcome.verdict.value,
                    cpu_ms=outcome.cpu_ms,
                    wall_ms=outcome.wall_ms,
                    memory_kib=outcome.memory_kib,
                    exit_code=outcome.exit_code,
                    signal=outcome.signal,
                    checker_message=outcome.checker_message,
                    score=outcome.score,
                )
            )
            return event

    async def finish(
        self,
        submission_id: str,
        final: Final,
        now: dt.datetime,
        outbox: Outbox,
        *,
        owner: str,
    ) -> Event:
        """The final verdict and the calls it owes other services, atomically: neither is ever lost."""
        values = {
            "verdict": final.verdict.value,
            "score": final.score,
            "test_count": final.test_count,
            "passed_test_count": final.passed,
            "max_cpu_ms": final.max_cpu_ms,
            "max_memory_kib": final.max_memory_kib,
            "compile_output": final.compile_output,
            "points": final.points,
            "max_points": final.max_points,
            "group_results": _groups_json(final.groups),
            "judge_notes": final.judge_notes,
            "finish_time": now,
            "lease_until": None,
        }
        async with self._sessions.begin() as session:
            event = await self._append(
                session,
                submission_id,
                EventType.FINISHED,
                Status.FINISHED,
                now,
                final=final,
                owner=owner,
                values=values,
            )
            _add_outbox(session, outbox, now)
            return event

    # -- claims (the judge queue) ---------------------------------------------------------------

    async def claim_next(self, owner: str, now: dt.datetime, lease: dt.timedelta) -> str | None:
        """Claims the oldest unfinished submission nobody holds (or whose holder's lease ran out)."""
        claimable = sa.and_(
            SubmissionRow.status.in_(UNFINISHED),
            sa.or_(SubmissionRow.lease_until.is_(None), SubmissionRow.lease_until < now),
        )
        for _ in range(5):  # another judge may win the race for the same row; try the next one
            async with self._sessions.begin() as session:
                candidate = await session.scalar(
                    sa.select(SubmissionRow.submission_id)
                    .where(claimable)
                    .order_by(SubmissionRow.create_time, SubmissionRow.submission_id)
                    .limit(1)
                )
                if candidate is None:
                    return None
                claimed = await session.execute(
                    sa.update(SubmissionRow)
                    .where(SubmissionRow.submission_id == candidate, claimable)
                    .values(claimed_by=owner, lease_until=now + lease)
                )
                if cast("CursorResult[Any]", claimed).rowcount == 1:
                    return candidate
        return None

    async def reclaim(self, owner: str, now: dt.datetime, lease: dt.timedelta) -> list[str]:
        """Submissions this judge held before it restarted (same owner id), taken back at once."""
        async with self._sessions.begin() as session:
            ids = list(
                await session.scalars(
                    sa.update(SubmissionRow)
                    .where(SubmissionRow.claimed_by == owner, SubmissionRow.status.in_(UNFINISHED))
                    .values(lease_until=now + lease)
                    .returning(SubmissionRow.submission_id)
                )
            )
        return ids

    async def renew(self, owner: str, submission_ids: Sequence[str], until: dt.datetime) -> None:
        if not submission_ids:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                sa.update(SubmissionRow)
                .where(SubmissionRow.submission_id.in_(list(submission_ids)), SubmissionRow.claimed_by == owner)
                .values(lease_until=until)
            )

    async def release(self, owner: str, submission_id: str, retry_at: dt.datetime) -> None:
        """Gives a claimed submission back until ``retry_at`` (its problem could not be fetched)."""
        async with self._sessions.begin() as session:
            await session.execute(
                sa.update(SubmissionRow)
                .where(SubmissionRow.submission_id == submission_id, SubmissionRow.claimed_by == owner)
                .values(claimed_by="", lease_until=retry_at)
            )

    async def get(self, submission_id: str) -> Submission | None:
        async with self._sessions() as session:
            row = await session.get(SubmissionRow, submission_id)
            if row is None:
                return None
            results = list(
                await session.scalars(
                    sa.select(TestResultRow)
                    .where(TestResultRow.submission_id == submission_id)
                    .order_by(TestResultRow.ordinal)
                )
            )
        return _submission(row, results)

    async def queue_position(self, submission: Submission) -> int:
        """1 for the next submission to be judged; 0 once judging started."""
        if submission.status is not Status.QUEUED:
            return 0
        async with self._sessions() as session:
            ahead = await session.scalar(
                sa.select(sa.func.count())
                .select_from(SubmissionRow)
                .where(SubmissionRow.status == Status.QUEUED.name, SubmissionRow.create_time < submission.create_time)
            )
        return int(ahead or 0) + 1

    async def queued_count(self) -> int:
        async with self._sessions() as session:
            return int(
                await session.scalar(
                    sa.select(sa.func.count())
                    .select_from(SubmissionRow)
                    .where(SubmissionRow.status == Status.QUEUED.name)
                )
                or 0
            )

    async def events_after(self, submission_id: str, after: int) -> list[Event]:
        async with self._sessions() as session:
            rows = await session.scalars(
                sa.select(EventRow)
                .where(EventRow.submission_id == submission_id, EventRow.sequence > after)
                .order_by(EventRow.sequence)
            )
            return [_event(r) for r in rows]

    async def list(
        self, filters: SubmissionFilters, limit: int, cursor: list[Any] | None
    ) -> tuple[list[Submission], list[Any] | None]:
        query = sa.select(SubmissionRow).order_by(SubmissionRow.create_time.desc(), SubmissionRow.submission_id.desc())
        if filters.user_id:
            query = query.where(SubmissionRow.user_id == filters.user_id)
        if filters.problem_id:
            query = query.where(SubmissionRow.problem_id == filters.problem_id)
        if filters.contest_id:
            query = query.where(SubmissionRow.contest_id == filters.contest_id)
        if filters.verdict is not None:
            query = query.where(SubmissionRow.verdict == filters.verdict.value)
        if cursor is not None:
            created, last_id = keyset_cursor(cursor, dt.datetime, str)
            query = query.where(
                sa.or_(
                    SubmissionRow.create_time < created,
                    sa.and_(SubmissionRow.create_time == created, SubmissionRow.submission_id < last_id),
                )
            )
        async with self._sessions() as session:
            rows = list(await session.scalars(query.limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = [rows[-1].create_time.isoformat(), rows[-1].submission_id] if more and rows else None
        return [_submission(r) for r in rows], next_cursor

    # -- outbox -------------------------------------------------------------------------------

    async def due(self, now: dt.datetime, limit: int) -> builtins.list[OutboxItem]:
        async with self._sessions() as session:
            rows = await session.scalars(
                sa.select(OutboxRow)
                .where(OutboxRow.delivered.is_(False), OutboxRow.next_attempt_time <= now)
                .order_by(OutboxRow.next_attempt_time, OutboxRow.outbox_id)
                .limit(limit)
            )
            return [OutboxItem(r.outbox_id, r.target, r.payload, r.attempts) for r in rows]

    async def delivered(self, outbox_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(sa.update(OutboxRow).where(OutboxRow.outbox_id == outbox_id).values(delivered=True))

    async def retry_later(self, outbox_id: int, next_attempt: dt.datetime, error: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                sa.update(OutboxRow)
                .where(OutboxRow.outbox_id == outbox_id)
                .values(attempts=OutboxRow.attempts + 1, next_attempt_time=next_attempt, last_error=error[:2000])
            )


@dataclasses.dataclass
class _Held:
    """One submission in memory, with what the SQL store keeps beside it."""

    submission: Submission
    claimed_by: str = ""
    lease_until: dt.datetime | None = None
    results: dict[int, TestOutcome] = dataclasses.field(default_factory=dict)
    events: builtins.list[Event] = dataclasses.field(default_factory=builtins.list)


@dataclasses.dataclass
class OutboxRecord:
    """An outbox item as the in-memory store keeps it (tests read ``InMemoryExecutionStore.outbox``)."""

    outbox_id: int
    target: str
    payload: bytes
    create_time: dt.datetime
    next_attempt_time: dt.datetime
    attempts: int = 0
    delivered: bool = False
    last_error: str = ""


class InMemoryExecutionStore:
    """``ExecutionStore`` in a dict, for use-case tests: the same contract, one process, no database.

    Each method runs without awaiting, so on one event loop it is atomic like a transaction.
    """

    def __init__(self) -> None:
        self._held: dict[str, _Held] = {}
        self.outbox: builtins.list[OutboxRecord] = []

    def _add_outbox(self, items: Outbox, now: dt.datetime) -> None:
        for target, payload in items:
            self.outbox.append(OutboxRecord(len(self.outbox) + 1, target, payload, now, now))

    async def create(self, submission: Submission, test_count: int, now: dt.datetime, outbox: Outbox = ()) -> Event:
        if submission.submission_id in self._held:
            raise ValueError(f"submission {submission.submission_id} exists")
        stored = Submission(
            submission_id=submission.submission_id,
            user_id=submission.user_id,
            problem_id=submission.problem_id,
            contest_id=submission.contest_id,
            language_id=submission.language_id,
            source=submission.source,
            run_all_tests=submission.run_all_tests,
            status=Status.QUEUED,
            create_time=submission.create_time,
            test_count=test_count,
        )
        self._held[submission.submission_id] = _Held(stored)
        self._add_outbox(outbox, now)
        return self._append(submission.submission_id, EventType.QUEUED, Status.QUEUED, now)

    def _append(
        self,
        submission_id: str,
        type_: EventType,
        status: Status,
        now: dt.datetime,
        *,
        test: TestOutcome | None = None,
        final: Final | None = None,
        owner: str | None = None,
        **values: Any,
    ) -> Event:
        held = self._held.get(submission_id)
        if held is None or (
            owner is not None and (held.claimed_by != owner or held.submission.status is Status.FINISHED)
        ):
            raise LostClaim(submission_id)
        lease_until = values.pop("lease_until", held.lease_until)
        held.lease_until = lease_until
        held.submission = dataclasses.replace(
            held.submission, last_sequence=held.submission.last_sequence + 1, status=status, **values
        )
        event = Event(
            submission_id=submission_id,
            sequence=held.submission.last_sequence,
            type=type_,
            time=now,
            status=status,
            test=test,
            verdict=final.verdict if final else None,
            score=final.score if final else 0.0,
            compile_output=final.compile_output if final else "",
            test_count=held.submission.test_count,
            points=final.points if final else 0.0,
            max_points=final.max_points if final else 0.0,
            groups=final.groups if final else (),
        )
        held.events.append(event)
        return event

    async def advance(
        self, submission_id: str, type_: EventType, status: Status, now: dt.datetime, *, owner: str
    ) -> Event:
        values: dict[str, Any] = {"judge_start_time": now} if type_ is EventType.COMPILING else {}
        return self._append(submission_id, type_, status, now, owner=owner, **values)

    async def record_test(self, submission_id: str, outcome: TestOutcome, now: dt.datetime, *, owner: str) -> Event:
        event = self._append(submission_id, EventType.TEST_FINISHED, Status.RUNNING, now, test=outcome, owner=owner)
        self._held[submission_id].results[outcome.ordinal] = outcome
        return event

    async def finish(self, submission_id: str, final: Final, now: dt.datetime, outbox: Outbox, *, owner: str) -> Event:
        event = self._append(
            submission_id,
            EventType.FINISHED,
            Status.FINISHED,
            now,
            final=final,
            owner=owner,
            verdict=final.verdict,
            score=final.score,
            test_count=final.test_count,
            passed_test_count=final.passed,
            max_cpu_ms=final.max_cpu_ms,
            max_memory_kib=final.max_memory_kib,
            compile_output=final.compile_output,
            points=final.points,
            max_points=final.max_points,
            groups=final.groups,
            judge_notes=final.judge_notes,
            finish_time=now,
            lease_until=None,
        )
        self._add_outbox(outbox, now)
        return event

    # -- claims -----------------------------------------------------------------------------------

    def _unfinished(self) -> builtins.list[_Held]:
        held = [h for h in self._held.values() if h.submission.status is not Status.FINISHED]
        return sorted(held, key=lambda h: (h.submission.create_time, h.submission.submission_id))

    async def claim_next(self, owner: str, now: dt.datetime, lease: dt.timedelta) -> str | None:
        for held in self._unfinished():
            if held.lease_until is None or held.lease_until < now:
                held.claimed_by, held.lease_until = owner, now + lease
                return held.submission.submission_id
        return None

    async def reclaim(self, owner: str, now: dt.datetime, lease: dt.timedelta) -> builtins.list[str]:
        mine = [h for h in self._unfinished() if h.claimed_by == owner]
        for held in mine:
            held.lease_until = now + lease
        return [h.submission.submission_id for h in mine]

    async def renew(self, owner: str, submission_ids: Sequence[str], until: dt.datetime) -> None:
        for submission_id in submission_ids:
            held = self._held.get(submission_id)
            if held is not None and held.claimed_by == owner:
                held.lease_until = until

    async def release(self, owner: str, submission_id: str, retry_at: dt.datetime) -> None:
        held = self._held.get(submission_id)
        if held is not None and held.claimed_by == owner:
            held.claimed_by, held.lease_until = "", retry_at

    # -- reads ------------------------------------------------------------------------------------

    async def get(self, submission_id: str) -> Submission | None:
        held = self._held.get(submission_id)
        if held is None:
            return None
        results = tuple(held.results[o] for o in sorted(held.results))
        return dataclasses.replace(held.submission, results=results)

    async def queue_position(self, submission: Submission) -> int:
        if submission.status is not Status.QUEUED:
            return 0
        return 1 + sum(
            h.submission.status is Status.QUEUED and h.submission.create_time < submission.create_time
            for h in self._held.values()
        )

    async def queued_count(self) -> int:
        return sum(h.submission.status is Status.QUEUED for h in self._held.values())

    async def events_after(self, submission_id: str, after: int) -> builtins.list[Event]:
        held = self._held.get(submission_id)
        return [] if held is None else [e for e in held.events if e.sequence > after]

    async def list(
        self, filters: SubmissionFilters, limit: int, cursor: builtins.list[Any] | None
    ) -> tuple[builtins.list[Submission], builtins.list[Any] | None]:
        chosen = [
            h.submission
            for h in self._held.values()
            if (not filters.user_id or h.submission.user_id == filters.user_id)
            and (not filters.problem_id or h.submission.problem_id == filters.problem_id)
            and (not filters.contest_id or h.submission.contest_id == filters.contest_id)
            and (filters.verdict is None or h.submission.verdict is filters.verdict)
        ]
        chosen.sort(key=lambda s: (s.create_time, s.submission_id), reverse=True)
        if cursor is not None:
            created, last_id = keyset_cursor(cursor, dt.datetime, str)
            chosen = [s for s in chosen if (s.create_time, s.submission_id) < (created, last_id)]
        page = chosen[:limit]
        more = len(chosen) > limit
        next_cursor = [page[-1].create_time.isoformat(), page[-1].submission_id] if more and page else None
        return page, next_cursor

    # -- outbox -----------------------------------------------------------------------------------

    async def due(self, now: dt.datetime, limit: int) -> builtins.list[OutboxItem]:
        pending = [r for r in self.outbox if not r.delivered and r.next_attempt_time <= now]
        pending.sort(key=lambda r: (r.next_attempt_time, r.outbox_id))
        return [OutboxItem(r.outbox_id, r.target, r.payload, r.attempts) for r in pending[:limit]]

    async def delivered(self, outbox_id: int) -> None:
        self.outbox[outbox_id - 1].delivered = True

    async def retry_later(self, outbox_id: int, next_attempt: dt.datetime, error: str) -> None:
        record = self.outbox[outbox_id - 1]
        record.attempts += 1
        record.next_attempt_time = next_attempt
        record.last_error = error[:2000]


def _both_implement_the_port(sql: SqlExecutionStore, memory: InMemoryExecutionStore) -> list[ExecutionStore]:
    """Never called: makes the type checker prove that both stores implement ``ExecutionStore``."""
    return [sql, memory]
