"""Storage of analyses and of the similarity index's fingerprints: the port, SQL and in-memory.

An analysis is kept whole as JSON (it is read back whole, never queried inside); fingerprints are kept
per submission so the index is rebuilt at start without re-parsing any source.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pathlib
from collections.abc import Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arena.ai_analysis.domain import (
    Analysis,
    Category,
    CodeSummary,
    Complexity,
    Cost,
    Finding,
    FunctionSummary,
    Severity,
    StaticResult,
)
from arena.ai_analysis.similarity import Entry, Fingerprints
from arena.kit.db import NAMING_CONVENTION, UtcDateTime, migrate, session_factory

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")
VERSION_TABLE = "ai_analysis_alembic_version"


class AnalysisStore(Protocol):
    async def add_analysis(self, analysis: Analysis) -> None: ...

    async def get_analysis(self, analysis_id: str) -> Analysis | None: ...

    async def add_fingerprints(self, entry: Entry, problem_id: str, language_id: str) -> None:
        """Keeps a submission's fingerprints (a second add of the same submission is ignored)."""
        ...

    async def all_fingerprints(self) -> list[Entry]: ...


# -- JSON of a static result ------------------------------------------------------------------------


def result_to_json(result: StaticResult) -> str:
    data = dataclasses.asdict(result)
    return json.dumps(data, separators=(",", ":"))


def result_from_json(raw: str) -> StaticResult:
    data: dict[str, Any] = json.loads(raw)
    summary = data["summary"]
    complexity = data["complexity"]
    return StaticResult(
        summary=CodeSummary(
            **{**summary, "functions": tuple(FunctionSummary(**f) for f in summary["functions"])},
        ),
        findings=tuple(
            Finding(**{**f, "severity": Severity(f["severity"]), "category": Category(f["category"])})
            for f in data["findings"]
        ),
        complexity=Complexity(**{**complexity, "time": Cost(**complexity["time"])}),
        quality_score=data["quality_score"],
        text=data["text"],
    )


def _hashes_to_json(fp: Fingerprints) -> str:
    return json.dumps([[h, a, b] for h, (a, b) in fp.hashes.items()], separators=(",", ":"))


def _hashes_from_json(raw: str, token_count: int) -> Fingerprints:
    return Fingerprints({h: (a, b) for h, a, b in json.loads(raw)}, token_count)


# -- SQL ---------------------------------------------------------------------------------------------


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class AnalysisRow(Base):
    __tablename__ = "analyses"
    analysis_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    language_id: Mapped[str] = mapped_column(sa.String(32))
    problem_id: Mapped[str] = mapped_column(sa.String(32))
    submission_id: Mapped[str] = mapped_column(sa.String(32))
    model: Mapped[str] = mapped_column(sa.String(120))
    result: Mapped[str] = mapped_column(sa.Text)
    review: Mapped[str] = mapped_column(sa.Text)
    note: Mapped[str] = mapped_column(sa.Text)
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class FingerprintRow(Base):
    __tablename__ = "fingerprints"
    submission_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(32))
    problem_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    contest_id: Mapped[str] = mapped_column(sa.String(32))
    language_id: Mapped[str] = mapped_column(sa.String(32))
    scope: Mapped[str] = mapped_column(sa.String(80))
    token_count: Mapped[int] = mapped_column(sa.Integer)
    hashes: Mapped[str] = mapped_column(sa.Text)


def _analysis(row: AnalysisRow) -> Analysis:
    return Analysis(
        analysis_id=row.analysis_id,
        user_id=row.user_id,
        language_id=row.language_id,
        problem_id=row.problem_id,
        submission_id=row.submission_id,
        result=result_from_json(row.result),
        model=row.model,
        create_time=row.create_time,
        review=row.review,
        note=row.note,
    )


class SqlAnalysisStore:
    """AnalysisStore on SQLAlchemy 2 (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)

    async def migrate(self) -> None:
        await migrate(self.engine, MIGRATIONS, VERSION_TABLE)

    async def add_analysis(self, analysis: Analysis) -> None:
        async with self._sessions.begin() as session:
            session.add(
                AnalysisRow(
                    analysis_id=analysis.analysis_id,
                    user_id=analysis.user_id,
                    language_id=analysis.language_id,
                    problem_id=analysis.problem_id,
                    submission_id=analysis.submission_id,
                    model=analysis.model,
                    result=result_to_json(analysis.result),
                    review=analysis.review,
                    note=analysis.note,
                    create_time=analysis.create_time,
                )
            )

    async def get_analysis(self, analysis_id: str) -> Analysis | None:
        async with self._sessions() as session:
            row = await session.get(AnalysisRow, analysis_id)
            return _analysis(row) if row is not None else None

    async def add_fingerprints(self, entry: Entry, problem_id: str, language_id: str) -> None:
        async with self._sessions.begin() as session:
            if await session.get(FingerprintRow, entry.submission_id) is not None:
                return
            session.add(
                FingerprintRow(
                    submission_id=entry.submission_id,
                    user_id=entry.user_id,
                    problem_id=problem_id,
                    contest_id=entry.contest_id,
                    language_id=language_id,
                    scope=entry.scope,
                    token_count=entry.fingerprints.token_count,
                    hashes=_hashes_to_json(entry.fingerprints),
                )
            )

    async def all_fingerprints(self) -> list[Entry]:
        async with self._sessions() as session:
            rows: Sequence[FingerprintRow] = (
                await session.scalars(sa.select(FingerprintRow).order_by(FingerprintRow.submission_id))
            ).all()
            return [
                Entry(r.submission_id, r.user_id, r.scope, _hashes_from_json(r.hashes, r.token_count), r.contest_id)
                for r in rows
            ]


class InMemoryAnalysisStore:
    """AnalysisStore in dictionaries, for use-case tests."""

    def __init__(self) -> None:
        self.analyses: dict[str, Analysis] = {}
        self.fingerprints: dict[str, Entry] = {}

    async def add_analysis(self, analysis: Analysis) -> None:
        self.analyses[analysis.analysis_id] = analysis

    async def get_analysis(self, analysis_id: str) -> Analysis | None:
        return self.analyses.get(analysis_id)

    async def add_fingerprints(self, entry: Entry, problem_id: str, language_id: str) -> None:
        self.fingerprints.setdefault(entry.submission_id, entry)

    async def all_fingerprints(self) -> list[Entry]:
        return [self.fingerprints[k] for k in sorted(self.fingerprints)]
