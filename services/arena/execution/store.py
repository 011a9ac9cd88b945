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
from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arena.core.errors import FailedPrecondition, NotFound
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
from arena.execution.rejudge import (
    Judging,
    JudgingKey,
    Rejudged,
    Rejudging,
    RejudgingState,
    Scope,
    closed_error,
    not_ready_error,
    overlap_error,
    state_of,
)
from arena.kit.db import NAMING_CONVENTION, UtcDateTime, migrate, session_factory
from arena.kit.pagination import keyset_cursor

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")
VERSION_TABLE = "execution_alembic_version"
REJUDGED = "REJUDGED"
"""The stored type of a ``Rejudged`` event (a FINISHED event of the domain, REJUDGED on the wire)."""
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
    judging_version: Mapped[int] = mapped_column(sa.Integer(), default=0, server_default="0")
    """0 for the first judging; each applied rejudging that covered the submission adds 1."""


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


class RejudgingRow(Base):
    """A group of new judgings, applied or cancelled as a whole (``closed_state`` set then)."""

    __tablename__ = "rejudgings"

    rejudging_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    submission_ids: Mapped[list[str]] = mapped_column(sa.JSON())
    problem_id: Mapped[str] = mapped_column(sa.String(32), default="")
    contest_id: Mapped[str] = mapped_column(sa.String(32), default="")
    create_user_id: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.Text(), default="")
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    closed_state: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    close_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    close_user_id: Mapped[str] = mapped_column(sa.String(32), default="")


class JudgingRow(Base):
    """One submission's new judging in a rejudging: queued for the judges like a submission (a claim
    with a lease), its results kept here until the rejudging is applied. ``open`` while its rejudging
    is: a submission is in at most one open rejudging (a partial unique index)."""

    __tablename__ = "judgings"
    __table_args__ = (
        sa.Index(
            "ux_judgings_open_submission",
            "submission_id",
            unique=True,
            sqlite_where=sa.text("open"),
            postgresql_where=sa.text("open"),
        ),
        sa.Index("ix_judgings_queue", "open", "status"),
    )

    rejudging_id: Mapped[str] = mapped_column(
        sa.ForeignKey("rejudgings.rejudging_id", ondelete="CASCADE"), primary_key=True
    )
    submission_id: Mapped[str] = mapped_column(
        sa.ForeignKey("submissions.submission_id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(sa.Integer())
    open: Mapped[bool] = mapped_column(sa.Boolean(), default=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    old_verdict: Mapped[int | None] = mapped_column(sa.Integer(), nullable=True)
    old_score: Mapped[float] = mapped_column(sa.Float(), default=0.0)
    new_verdict: Mapped[int | None] = mapped_column(sa.Integer(), nullable=True)
    new_score: Mapped[float] = mapped_column(sa.Float(), default=0.0)
    passed_test_count: Mapped[int] = mapped_column(sa.Integer(), default=0)
    test_count: Mapped[int] = mapped_column(sa.Integer(), default=0)
    max_cpu_ms: Mapped[int] = mapped_column(sa.Integer(), default=0)
    max_memory_kib: Mapped[int] = mapped_column(sa.Integer(), default=0)
    compile_output: Mapped[str] = mapped_column(sa.Text(), default="")
    new_points: Mapped[float] = mapped_column(sa.Float(), default=0.0)
    new_max_points: Mapped[float] = mapped_column(sa.Float(), default=0.0)
    new_group_results: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON(), default=list)
    new_judge_notes: Mapped[str] = mapped_column(sa.Text(), default="")
    results: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON())
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    finish_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    claimed_by: Mapped[str] = mapped_column(sa.String(128), default="")
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


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

Owed = Callable[[Submission, Judging, int, dt.datetime], Outbox]
"""What applying a changed judging owes other services: (the submission as it was, its new judging,
the submission's new judging version, when it was applied)."""


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

    # -- rejudgings -------------------------------------------------------------------------------

    async def create_rejudging(self, rejudging: Rejudging) -> Rejudging:
        """Stores the rejudging and a queued new judging of each finished submission in its scope.

        Named submissions must exist (else NotFound) and be finished (else FailedPrecondition);
        a problem or a contest must have at least one finished submission. A submission already in
        an open rejudging is refused (FailedPrecondition ``REJUDGING_OVERLAPS``), also in a race.
        """
        ...

    async def get_rejudging(self, rejudging_id: str) -> Rejudging | None: ...

    async def list_rejudgings(
        self, limit: int, cursor: builtins.list[Any] | None
    ) -> tuple[builtins.list[Rejudging], builtins.list[Any] | None]:
        """Newest first."""
        ...

    async def judgings(self, rejudging_id: str) -> builtins.list[Judging]:
        """The rejudging's judgings in the order the submissions were made."""
        ...

    async def get_judging(self, key: JudgingKey) -> Judging | None: ...

    async def claim_next_judging(self, owner: str, now: dt.datetime, lease: dt.timedelta) -> JudgingKey | None:
        """Claims the oldest unfinished judging of an open rejudging nobody holds (or whose lease ran out)."""
        ...

    async def reclaim_judgings(
        self, owner: str, now: dt.datetime, lease: dt.timedelta
    ) -> builtins.list[JudgingKey]: ...

    async def renew_judgings(self, owner: str, keys: Sequence[JudgingKey], until: dt.datetime) -> None: ...

    async def release_judging(self, owner: str, key: JudgingKey, retry_at: dt.datetime) -> None: ...

    async def start_judging(self, key: JudgingKey, *, owner: str) -> None:
        """The judging started (its rejudging is JUDGING now). Like every judging write: ``LostClaim``
        unless this judge holds it, it is unfinished and its rejudging open."""
        ...

    async def record_judging_test(self, key: JudgingKey, outcome: TestOutcome, *, owner: str) -> None: ...

    async def finish_judging(self, key: JudgingKey, final: Final, now: dt.datetime, *, owner: str) -> None: ...

    async def apply_rejudging(
        self, rejudging_id: str, user_id: str, now: dt.datetime, owed: Owed
    ) -> tuple[Rejudging, builtins.list[tuple[Submission, Event]]]:
        """In one transaction: every new judging becomes its submission's official result; each
        submission whose verdict or score changed gets a REJUDGED event (returned, with the submission
        as it now is) and the calls ``owed`` says. NotFound for an unknown id; FailedPrecondition
        ``REJUDGING_CLOSED`` when applied or cancelled already, ``REJUDGING_NOT_READY`` while judging."""
        ...

    async def cancel_rejudging(self, rejudging_id: str, user_id: str, now: dt.datetime) -> Rejudging:
        """Discards the new judgings (a judge still running one loses its claim); the official results
        stay. NotFound for an unknown id; FailedPrecondition ``REJUDGING_CLOSED`` when closed already."""
        ...


def _add_outbox(session: AsyncSession, items: Outbox, now: dt.datetime) -> None:
    """Outbox items written in the caller's transaction, due at once."""
    for target, payload in items:
        session.add(OutboxRow(target=target, payload=payload, create_time=now, next_attempt_time=now))


def _result_row(submission_id: str, outcome: TestOutcome) -> TestResultRow:
    return TestResultRow(
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
    } | ({"rejudging_id": event.rejudging_id} if isinstance(event, Rejudged) else {})


def _event(row: EventRow) -> Event:
    data = row.payload
    test = data.get("test")
    rejudged = row.type == REJUDGED
    return (Rejudged if rejudged else Event)(
        submission_id=row.submission_id,
        sequence=row.sequence,
        type=EventType.FINISHED if rejudged else EventType[row.type],
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
        **({"rejudging_id": data.get("rejudging_id", "")} if rejudged else {}),
    )


def _final_values(final: Final) -> dict[str, Any]:
    return {
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
    }


def _final_fields(final: Final) -> dict[str, Any]:
    """A ``Final`` as ``Submission`` fields."""
    values = _final_values(final)
    del values["group_results"]
    return values | {"verdict": final.verdict, "groups": final.groups}


def _outcome_dict(outcome: TestOutcome) -> dict[str, Any]:
    return dataclasses.asdict(outcome) | {"verdict": outcome.verdict.value}


def _outcome_from(data: dict[str, Any]) -> TestOutcome:
    return TestOutcome(**{**data, "verdict": Verdict(data["verdict"])})


def _judging(row: JudgingRow) -> Judging:
    new = None
    if row.new_verdict is not None:
        new = Final(
            verdict=Verdict(row.new_verdict),
            score=row.new_score,
            passed=row.passed_test_count,
            test_count=row.test_count,
            max_cpu_ms=row.max_cpu_ms,
            max_memory_kib=row.max_memory_kib,
            compile_output=row.compile_output,
            points=row.new_points,
            max_points=row.new_max_points,
            groups=_groups_from_json(row.new_group_results),
            judge_notes=row.new_judge_notes,
        )
    results = sorted((_outcome_from(r) for r in row.results), key=lambda r: r.ordinal)
    return Judging(
        rejudging_id=row.rejudging_id,
        submission_id=row.submission_id,
        status=Status[row.status],
        old_verdict=Verdict(row.old_verdict) if row.old_verdict else None,
        old_score=row.old_score,
        new=new,
        results=tuple(results),
        finish_time=row.finish_time,
    )


def _rejudging(row: RejudgingRow, counts: tuple[int, int, int, int]) -> Rejudging:
    total, started, judged, changed = counts
    return Rejudging(
        rejudging_id=row.rejudging_id,
        scope=Scope(tuple(row.submission_ids), row.problem_id, row.contest_id),
        create_user_id=row.create_user_id,
        reason=row.reason,
        state=state_of(RejudgingState[row.closed_state] if row.closed_state else None, total, started, judged),
        create_time=row.create_time,
        close_time=row.close_time,
        close_user_id=row.close_user_id,
        judging_count=total,
        judged_count=judged,
        changed_count=changed,
    )


_CHANGED = sa.or_(
    JudgingRow.new_verdict.is_distinct_from(JudgingRow.old_verdict), JudgingRow.new_score != JudgingRow.old_score
)
_FINISHED_JUDGING = JudgingRow.status == Status.FINISHED.name


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
        rejudging_id: str = "",
    ) -> Event:
        """The next event, numbered and stored; it carries the submission's test count (every event does).
        With ``rejudging_id``: the REJUDGED event of an applied rejudging."""
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
        event = (Rejudged if rejudging_id else Event)(
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
            **({"rejudging_id": rejudging_id} if rejudging_id else {}),
        )
        session.add(
            EventRow(
                submission_id=submission_id,
                sequence=event.sequence,
                type=REJUDGED if rejudging_id else type_.name,
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
            session.add(_result_row(submission_id, outcome))
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

    # -- rejudgings -------------------------------------------------------------------------------

    async def create_rejudging(self, rejudging: Rejudging) -> Rejudging:
        scope = rejudging.scope
        query = sa.select(
            SubmissionRow.submission_id,
            SubmissionRow.status,
            SubmissionRow.verdict,
            SubmissionRow.score,
            SubmissionRow.create_time,
        )
        if scope.submission_ids:
            query = query.where(SubmissionRow.submission_id.in_(list(scope.submission_ids)))
        elif scope.problem_id:
            query = query.where(SubmissionRow.problem_id == scope.problem_id)
        else:
            query = query.where(SubmissionRow.contest_id == scope.contest_id)
        try:
            async with self._sessions.begin() as session:
                rows = {r.submission_id: r for r in await session.execute(query)}
                if scope.submission_ids:
                    for submission_id in scope.submission_ids:
                        if submission_id not in rows:
                            raise NotFound("submission", submission_id)
                        if rows[submission_id].status != Status.FINISHED.name:
                            raise FailedPrecondition(
                                f"submission {submission_id} is not judged yet; rejudge it once it is",
                                reason="SUBMISSION_NOT_JUDGED",
                            )
                chosen = sorted(
                    (r for r in rows.values() if r.status == Status.FINISHED.name),
                    key=lambda r: (r.create_time, r.submission_id),
                )
                if not chosen:
                    raise FailedPrecondition(
                        "no judged submission to rejudge in this scope", reason="NOTHING_TO_REJUDGE"
                    )
                busy = await session.scalar(
                    sa.select(JudgingRow.submission_id)
                    .where(JudgingRow.open.is_(True), JudgingRow.submission_id.in_([r.submission_id for r in chosen]))
                    .limit(1)
                )
                if busy is not None:
                    raise overlap_error(busy)
                session.add(
                    RejudgingRow(
                        rejudging_id=rejudging.rejudging_id,
                        submission_ids=list(scope.submission_ids),
                        problem_id=scope.problem_id,
                        contest_id=scope.contest_id,
                        create_user_id=rejudging.create_user_id,
                        reason=rejudging.reason,
                        create_time=rejudging.create_time,
                    )
                )
                await session.flush()
                session.add_all(
                    JudgingRow(
                        rejudging_id=rejudging.rejudging_id,
                        submission_id=r.submission_id,
                        position=position,
                        open=True,
                        status=Status.QUEUED.name,
                        old_verdict=r.verdict,
                        old_score=r.score,
                        results=[],
                        create_time=rejudging.create_time,
                    )
                    for position, r in enumerate(chosen)
                )
        except sa.exc.IntegrityError as exc:  # another rejudging took one of them in the meantime
            raise overlap_error() from exc
        created = await self.get_rejudging(rejudging.rejudging_id)
        assert created is not None
        return created

    async def _counts(self, session: AsyncSession, ids: builtins.list[str]) -> dict[str, tuple[int, int, int, int]]:
        rows = await session.execute(
            sa.select(
                JudgingRow.rejudging_id,
                sa.func.count(),
                sa.func.sum(sa.case((JudgingRow.status != Status.QUEUED.name, 1), else_=0)),
                sa.func.sum(sa.case((_FINISHED_JUDGING, 1), else_=0)),
                sa.func.sum(sa.case((sa.and_(_FINISHED_JUDGING, _CHANGED), 1), else_=0)),
            )
            .where(JudgingRow.rejudging_id.in_(ids))
            .group_by(JudgingRow.rejudging_id)
        )
        return {r[0]: (int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0)) for r in rows}

    async def _read_rejudging(self, session: AsyncSession, rejudging_id: str) -> Rejudging | None:
        row = await session.get(RejudgingRow, rejudging_id, populate_existing=True)
        if row is None:
            return None
        counts = await self._counts(session, [rejudging_id])
        return _rejudging(row, counts.get(rejudging_id, (0, 0, 0, 0)))

    async def get_rejudging(self, rejudging_id: str) -> Rejudging | None:
        async with self._sessions() as session:
            return await self._read_rejudging(session, rejudging_id)

    async def list_rejudgings(
        self, limit: int, cursor: builtins.list[Any] | None
    ) -> tuple[builtins.list[Rejudging], builtins.list[Any] | None]:
        query = sa.select(RejudgingRow).order_by(RejudgingRow.create_time.desc(), RejudgingRow.rejudging_id.desc())
        if cursor is not None:
            created, last_id = keyset_cursor(cursor, dt.datetime, str)
            query = query.where(
                sa.or_(
                    RejudgingRow.create_time < created,
                    sa.and_(RejudgingRow.create_time == created, RejudgingRow.rejudging_id < last_id),
                )
            )
        async with self._sessions() as session:
            rows = list(await session.scalars(query.limit(limit + 1)))
            more = len(rows) > limit
            rows = rows[:limit]
            counts = await self._counts(session, [r.rejudging_id for r in rows])
        next_cursor = [rows[-1].create_time.isoformat(), rows[-1].rejudging_id] if more and rows else None
        return [_rejudging(r, counts.get(r.rejudging_id, (0, 0, 0, 0))) for r in rows], next_cursor

    async def judgings(self, rejudging_id: str) -> builtins.list[Judging]:
        async with self._sessions() as session:
            rows = await session.scalars(
                sa.select(JudgingRow).where(JudgingRow.rejudging_id == rejudging_id).order_by(JudgingRow.position)
            )
            return [_judging(r) for r in rows]

    async def get_judging(self, key: JudgingKey) -> Judging | None:
        async with self._sessions() as session:
            row = await session.get(JudgingRow, tuple(key))
            return None if row is None else _judging(row)

    async def claim_next_judging(self, owner: str, now: dt.datetime, lease: dt.timedelta) -> JudgingKey | None:
        claimable = sa.and_(
            JudgingRow.open.is_(True),
            JudgingRow.status != Status.FINISHED.name,
            sa.or_(JudgingRow.lease_until.is_(None), JudgingRow.lease_until < now),
        )
        for _ in range(5):  # another judge may win the race for the same row; try the next one
            async with self._sessions.begin() as session:
                candidate = (
                    await session.execute(
                        sa.select(JudgingRow.rejudging_id, JudgingRow.submission_id)
                        .where(claimable)
                        .order_by(JudgingRow.create_time, JudgingRow.rejudging_id, JudgingRow.position)
                        .limit(1)
                    )
                ).first()
                if candidate is None:
                    return None
                key = JudgingKey(candidate[0], candidate[1])
                claimed = await session.execute(
                    sa.update(JudgingRow)
                    .where(
                        JudgingRow.rejudging_id == key.rejudging_id,
                        JudgingRow.submission_id == key.submission_id,
                        claimable,
                    )
                    .values(claimed_by=owner, lease_until=now + lease)
                )
                if cast("CursorResult[Any]", claimed).rowcount == 1:
                    return key
        return None

    async def reclaim_judgings(self, owner: str, now: dt.datetime, lease: dt.timedelta) -> builtins.list[JudgingKey]:
        async with self._sessions.begin() as session:
            rows = await session.execute(
                sa.update(JudgingRow)
                .where(
                    JudgingRow.claimed_by == owner, JudgingRow.open.is_(True), JudgingRow.status != Status.FINISHED.name
                )
                .values(lease_until=now + lease)
                .returning(JudgingRow.rejudging_id, JudgingRow.submission_id)
            )
            return [JudgingKey(r[0], r[1]) for r in rows]

    def _held_by(self, key: JudgingKey, owner: str) -> sa.ColumnElement[bool]:
        return sa.and_(
            JudgingRow.rejudging_id == key.rejudging_id,
            JudgingRow.submission_id == key.submission_id,
            JudgingRow.claimed_by == owner,
        )

    async def renew_judgings(self, owner: str, keys: Sequence[JudgingKey], until: dt.datetime) -> None:
        if not keys:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                sa.update(JudgingRow).where(sa.or_(*(self._held_by(k, owner) for k in keys))).values(lease_until=until)
            )

    async def release_judging(self, owner: str, key: JudgingKey, retry_at: dt.datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                sa.update(JudgingRow).where(self._held_by(key, owner)).values(claimed_by="", lease_until=retry_at)
            )

    async def _write_judging(self, session: AsyncSession, key: JudgingKey, owner: str, **values: Any) -> None:
        written = await session.execute(
            sa.update(JudgingRow)
            .where(self._held_by(key, owner), JudgingRow.open.is_(True), JudgingRow.status != Status.FINISHED.name)
            .values(**values)
        )
        if cast("CursorResult[Any]", written).rowcount != 1:
            raise LostClaim(key.submission_id)

    async def start_judging(self, key: JudgingKey, *, owner: str) -> None:
        async with self._sessions.begin() as session:
            await self._write_judging(session, key, owner, status=Status.RUNNING.name)

    async def record_judging_test(self, key: JudgingKey, outcome: TestOutcome, *, owner: str) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(JudgingRow, tuple(key), with_for_update=True)
            results = [r for r in (row.results if row else []) if r["ordinal"] != outcome.ordinal]
            await self._write_judging(
                session, key, owner, status=Status.RUNNING.name, results=[*results, _outcome_dict(outcome)]
            )

    async def finish_judging(self, key: JudgingKey, final: Final, now: dt.datetime, *, owner: str) -> None:
        async with self._sessions.begin() as session:
            await self._write_judging(
                session,
                key,
                owner,
                status=Status.FINISHED.name,
                new_verdict=final.verdict.value,
                new_score=final.score,
                passed_test_count=final.passed,
                test_count=final.test_count,
                max_cpu_ms=final.max_cpu_ms,
                max_memory_kib=final.max_memory_kib,
                compile_output=final.compile_output,
                new_points=final.points,
                new_max_points=final.max_points,
                new_group_results=_groups_json(final.groups),
                new_judge_notes=final.judge_notes,
                finish_time=now,
                lease_until=None,
            )

    async def _close(
        self,
        session: AsyncSession,
        rejudging_id: str,
        state: RejudgingState,
        user_id: str,
        now: dt.datetime,
        *,
        ready_only: bool,
    ) -> None:
        """Closes the rejudging if still open (and, to apply, every judging finished), else raises why not."""
        update = sa.update(RejudgingRow).where(
            RejudgingRow.rejudging_id == rejudging_id, RejudgingRow.closed_state.is_(None)
        )
        if ready_only:
            update = update.where(
                ~sa.exists().where(JudgingRow.rejudging_id == rejudging_id, JudgingRow.status != Status.FINISHED.name)
            )
        closed = await session.execute(update.values(closed_state=state.name, close_time=now, close_user_id=user_id))
        if cast("CursorResult[Any]", closed).rowcount == 1:
            return
        current = await self._read_rejudging(session, rejudging_id)
        if current is None:
            raise NotFound("rejudging", rejudging_id)
        if current.state.closed:
            raise closed_error(current, "applied" if state is RejudgingState.APPLIED else "cancelled")
        raise not_ready_error(current)

    async def apply_rejudging(
        self, rejudging_id: str, user_id: str, now: dt.datetime, owed: Owed
    ) -> tuple[Rejudging, builtins.list[tuple[Submission, Event]]]:
        applied: builtins.list[tuple[Submission, Event]] = []
        async with self._sessions.begin() as session:
            await self._close(session, rejudging_id, RejudgingState.APPLIED, user_id, now, ready_only=True)
            rows = list(
                await session.scalars(
                    sa.select(JudgingRow).where(JudgingRow.rejudging_id == rejudging_id).order_by(JudgingRow.position)
                )
            )
            for row in rows:
                judging = _judging(row)
                assert judging.new is not None
                submission_row = await session.get(SubmissionRow, row.submission_id, with_for_update=True)
                assert submission_row is not None
                before = _submission(submission_row)
                version = (submission_row.judging_version or 0) + 1  # read before the update refreshes the row
                await session.execute(sa.delete(TestResultRow).where(TestResultRow.submission_id == row.submission_id))
                session.add_all(_result_row(row.submission_id, r) for r in judging.results)
                values = _final_values(judging.new) | {"judging_version": version}
                if not judging.changed:
                    await session.execute(
                        sa.update(SubmissionRow)
                        .where(SubmissionRow.submission_id == row.submission_id)
                        .values(**values)
                    )
                    continue
                event = await self._append(
                    session,
                    row.submission_id,
                    EventType.FINISHED,
                    Status.FINISHED,
                    now,
                    final=judging.new,
                    values=values,
                    rejudging_id=rejudging_id,
                )
                _add_outbox(session, owed(before, judging, version, now), now)
                after = dataclasses.replace(before, **_final_fields(judging.new), last_sequence=event.sequence)
                applied.append((after, event))
            await session.execute(
                sa.update(JudgingRow).where(JudgingRow.rejudging_id == rejudging_id).values(open=False, claimed_by="")
            )
        rejudging = await self.get_rejudging(rejudging_id)
        assert rejudging is not None
        return rejudging, applied

    async def cancel_rejudging(self, rejudging_id: str, user_id: str, now: dt.datetime) -> Rejudging:
        async with self._sessions.begin() as session:
            await self._close(session, rejudging_id, RejudgingState.CANCELLED, user_id, now, ready_only=False)
            await session.execute(
                sa.update(JudgingRow)
                .where(JudgingRow.rejudging_id == rejudging_id)
                .values(open=False, claimed_by="", lease_until=None)
            )
        rejudging = await self.get_rejudging(rejudging_id)
        assert rejudging is not None
        return rejudging

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
    judging_version: int = 0


@dataclasses.dataclass
class _HeldJudging:
    judging: Judging
    create_time: dt.datetime
    position: int
    open: bool = True
    claimed_by: str = ""
    lease_until: dt.datetime | None = None


@dataclasses.dataclass
class _HeldRejudging:
    rejudging: Rejudging
    """As created, plus ``state`` once closed (an open one's state follows from its judgings)."""
    judgings: builtins.list[_HeldJudging]


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
        self._rejudgings: dict[str, _HeldRejudging] = {}
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

    # -- rejudgings -------------------------------------------------------------------------------

    async def create_rejudging(self, rejudging: Rejudging) -> Rejudging:
        scope = rejudging.scope
        if scope.submission_ids:
            for submission_id in scope.submission_ids:
                held = self._held.get(submission_id)
                if held is None:
                    raise NotFound("submission", submission_id)
                if held.submission.status is not Status.FINISHED:
                    raise FailedPrecondition(
                        f"submission {submission_id} is not judged yet; rejudge it once it is",
                        reason="SUBMISSION_NOT_JUDGED",
                    )
            chosen = [self._held[i].submission for i in scope.submission_ids]
        else:
            chosen = [
                h.submission
                for h in self._held.values()
                if h.submission.status is Status.FINISHED
                and (
                    h.submission.problem_id == scope.problem_id
                    if scope.problem_id
                    else h.submission.contest_id == scope.contest_id
                )
            ]
        if not chosen:
            raise FailedPrecondition("no judged submission to rejudge in this scope", reason="NOTHING_TO_REJUDGE")
        chosen.sort(key=lambda s: (s.create_time, s.submission_id))
        busy = {j.judging.submission_id for r in self._rejudgings.values() for j in r.judgings if j.open}
        for submission in chosen:
            if submission.submission_id in busy:
                raise overlap_error(submission.submission_id)
        judgings = [
            _HeldJudging(
                Judging(rejudging.rejudging_id, s.submission_id, Status.QUEUED, s.verdict, s.score),
                rejudging.create_time,
                position,
            )
            for position, s in enumerate(chosen)
        ]
        self._rejudgings[rejudging.rejudging_id] = _HeldRejudging(rejudging, judgings)
        created = await self.get_rejudging(rejudging.rejudging_id)
        assert created is not None
        return created

    def _view(self, held: _HeldRejudging) -> Rejudging:
        judgings = [h.judging for h in held.judgings]
        started = sum(j.status is not Status.QUEUED for j in judgings)
        judged = sum(j.status is Status.FINISHED for j in judgings)
        changed = sum(j.status is Status.FINISHED and j.changed for j in judgings)
        closed = held.rejudging.state if held.rejudging.state.closed else None
        return dataclasses.replace(
            held.rejudging,
            state=state_of(closed, len(judgings), started, judged),
            judging_count=len(judgings),
            judged_count=judged,
            changed_count=changed,
        )

    async def get_rejudging(self, rejudging_id: str) -> Rejudging | None:
        held = self._rejudgings.get(rejudging_id)
        return None if held is None else self._view(held)

    async def list_rejudgings(
        self, limit: int, cursor: builtins.list[Any] | None
    ) -> tuple[builtins.list[Rejudging], builtins.list[Any] | None]:
        chosen = sorted(
            (self._view(h) for h in self._rejudgings.values()),
            key=lambda r: (r.create_time, r.rejudging_id),
            reverse=True,
        )
        if cursor is not None:
            created, last_id = keyset_cursor(cursor, dt.datetime, str)
            chosen = [r for r in chosen if (r.create_time, r.rejudging_id) < (created, last_id)]
        page = chosen[:limit]
        more = len(chosen) > limit
        next_cursor = [page[-1].create_time.isoformat(), page[-1].rejudging_id] if more and page else None
        return page, next_cursor

    async def judgings(self, rejudging_id: str) -> builtins.list[Judging]:
        held = self._rejudgings.get(rejudging_id)
        return [] if held is None else [h.judging for h in held.judgings]

    def _judging(self, key: JudgingKey) -> _HeldJudging | None:
        held = self._rejudgings.get(key.rejudging_id)
        if held is None:
            return None
        return next((h for h in held.judgings if h.judging.submission_id == key.submission_id), None)

    async def get_judging(self, key: JudgingKey) -> Judging | None:
        held = self._judging(key)
        return None if held is None else held.judging

    def _unfinished_judgings(self) -> builtins.list[_HeldJudging]:
        held = [
            h
            for r in self._rejudgings.values()
            for h in r.judgings
            if h.open and h.judging.status is not Status.FINISHED
        ]
        return sorted(held, key=lambda h: (h.create_time, h.judging.rejudging_id, h.position))

    async def claim_next_judging(self, owner: str, now: dt.datetime, lease: dt.timedelta) -> JudgingKey | None:
        for held in self._unfinished_judgings():
            if held.lease_until is None or held.lease_until < now:
                held.claimed_by, held.lease_until = owner, now + lease
                return held.judging.key
        return None

    async def reclaim_judgings(self, owner: str, now: dt.datetime, lease: dt.timedelta) -> builtins.list[JudgingKey]:
        mine = [h for h in self._unfinished_judgings() if h.claimed_by == owner]
        for held in mine:
            held.lease_until = now + lease
        return [h.judging.key for h in mine]

    async def renew_judgings(self, owner: str, keys: Sequence[JudgingKey], until: dt.datetime) -> None:
        for key in keys:
            held = self._judging(key)
            if held is not None and held.claimed_by == owner:
                held.lease_until = until

    async def release_judging(self, owner: str, key: JudgingKey, retry_at: dt.datetime) -> None:
        held = self._judging(key)
        if held is not None and held.claimed_by == owner:
            held.claimed_by, held.lease_until = "", retry_at

    def _write_judging(self, key: JudgingKey, owner: str, **values: Any) -> None:
        held = self._judging(key)
        if held is None or held.claimed_by != owner or not held.open or held.judging.status is Status.FINISHED:
            raise LostClaim(key.submission_id)
        lease_until = values.pop("lease_until", held.lease_until)
        held.lease_until = lease_until
        held.judging = dataclasses.replace(held.judging, **values)

    async def start_judging(self, key: JudgingKey, *, owner: str) -> None:
        self._write_judging(key, owner, status=Status.RUNNING)

    async def record_judging_test(self, key: JudgingKey, outcome: TestOutcome, *, owner: str) -> None:
        held = self._judging(key)
        kept = [r for r in (held.judging.results if held else ()) if r.ordinal != outcome.ordinal]
        results = tuple(sorted([*kept, outcome], key=lambda r: r.ordinal))
        self._write_judging(key, owner, status=Status.RUNNING, results=results)

    async def finish_judging(self, key: JudgingKey, final: Final, now: dt.datetime, *, owner: str) -> None:
        self._write_judging(key, owner, status=Status.FINISHED, new=final, finish_time=now, lease_until=None)

    def _close(self, rejudging_id: str, state: RejudgingState, user_id: str, now: dt.datetime) -> _HeldRejudging:
        held = self._rejudgings.get(rejudging_id)
        if held is None:
            raise NotFound("rejudging", rejudging_id)
        current = self._view(held)
        if current.state.closed:
            raise closed_error(current, "applied" if state is RejudgingState.APPLIED else "cancelled")
        if state is RejudgingState.APPLIED and current.state is not RejudgingState.READY:
            raise not_ready_error(current)
        held.rejudging = dataclasses.replace(held.rejudging, state=state, close_time=now, close_user_id=user_id)
        for judging in held.judgings:
            judging.open, judging.claimed_by = False, ""
        return held

    async def apply_rejudging(
        self, rejudging_id: str, user_id: str, now: dt.datetime, owed: Owed
    ) -> tuple[Rejudging, builtins.list[tuple[Submission, Event]]]:
        held = self._close(rejudging_id, RejudgingState.APPLIED, user_id, now)
        applied: builtins.list[tuple[Submission, Event]] = []
        for entry in held.judgings:
            judging = entry.judging
            assert judging.new is not None
            target = self._held[judging.submission_id]
            before = target.submission
            target.results = {r.ordinal: r for r in judging.results}
            target.judging_version += 1
            fields = _final_fields(judging.new)
            if not judging.changed:
                target.submission = dataclasses.replace(before, **fields)
                continue
            target.submission = dataclasses.replace(before, **fields, last_sequence=before.last_sequence + 1)
            event = Rejudged(
                submission_id=judging.submission_id,
                sequence=target.submission.last_sequence,
                type=EventType.FINISHED,
                time=now,
                status=Status.FINISHED,
                verdict=judging.new.verdict,
                score=judging.new.score,
                compile_output=judging.new.compile_output,
                test_count=judging.new.test_count,
                points=judging.new.points,
                max_points=judging.new.max_points,
                groups=judging.new.groups,
                rejudging_id=rejudging_id,
            )
            target.events.append(event)
            self._add_outbox(owed(before, judging, target.judging_version, now), now)
            applied.append((target.submission, event))
        return self._view(held), applied

    async def cancel_rejudging(self, rejudging_id: str, user_id: str, now: dt.datetime) -> Rejudging:
        return self._view(self._close(rejudging_id, RejudgingState.CANCELLED, user_id, now))

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
