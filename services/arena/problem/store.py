"""The problem service's storage: SQLAlchemy 2 tables and a store with keyset pagination."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arena.kit.db import NAMING_CONVENTION, UtcDateTime, migrate, session_factory, upsert_statement
from arena.kit.errors import AlreadyExists
from arena.kit.pagination import keyset_cursor
from arena.problem.domain import Checker, CheckerKind, Content, Difficulty, Problem, TestCase, Visibility

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")
VERSION_TABLE = "problem_alembic_version"
TITLE_KEY_MAX = 120


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class ProblemRow(Base):
    __tablename__ = "problems"

    problem_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    title_key: Mapped[str] = mapped_column(sa.String(TITLE_KEY_MAX), index=True)
    statement: Mapped[str] = mapped_column(sa.Text())
    difficulty: Mapped[int] = mapped_column(sa.Integer(), index=True)
    time_limit_ms: Mapped[int] = mapped_column(sa.Integer())
    memory_limit_kib: Mapped[int] = mapped_column(sa.Integer())
    checker_kind: Mapped[str] = mapped_column(sa.String(16))
    absolute_tolerance: Mapped[float] = mapped_column(sa.Float())
    relative_tolerance: Mapped[float] = mapped_column(sa.Float())
    visibility: Mapped[str] = mapped_column(sa.String(16))
    author_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    like_count: Mapped[int] = mapped_column(sa.Integer(), default=0)
    bookmark_count: Mapped[int] = mapped_column(sa.Integer(), default=0)
    revision: Mapped[int] = mapped_column(sa.Integer(), default=1)
    hidden_test_count: Mapped[int] = mapped_column(sa.Integer(), default=0)
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    delete_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class TagRow(Base):
    __tablename__ = "problem_tags"

    problem_id: Mapped[str] = mapped_column(sa.ForeignKey("problems.problem_id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(32), primary_key=True, index=True)


class TestCaseRow(Base):
    __tablename__ = "test_cases"

    problem_id: Mapped[str] = mapped_column(sa.ForeignKey("problems.problem_id", ondelete="CASCADE"), primary_key=True)
    ordinal: Mapped[int] = mapped_column(sa.Integer(), primary_key=True)
    sample: Mapped[bool] = mapped_column(sa.Boolean())
    input: Mapped[str] = mapped_column(sa.Text())
    expected_output: Mapped[str] = mapped_column(sa.Text())
    explanation: Mapped[str] = mapped_column(sa.Text(), default="")


class LikeRow(Base):
    __tablename__ = "likes"

    problem_id: Mapped[str] = mapped_column(sa.ForeignKey("problems.problem_id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class BookmarkRow(Base):
    __tablename__ = "bookmarks"
    __table_args__ = (sa.Index("ix_bookmarks_user_id_create_time", "user_id", "create_time"),)

    problem_id: Mapped[str] = mapped_column(sa.ForeignKey("problems.problem_id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())


# Sort orders: the columns of the keyset, most significant first, and whether descending.
ORDERS: dict[str, tuple[tuple[str, bool], ...]] = {
    "create_time desc": (("create_time", True), ("problem_id", True)),
    "create_time": (("create_time", False), ("problem_id", False)),
    "title": (("title_key", False), ("problem_id", False)),
    "difficulty": (("difficulty", False), ("problem_id", False)),
    "like_count desc": (("like_count", True), ("problem_id", True)),
}


@dataclasses.dataclass(frozen=True)
class Filters:
    difficulty: Difficulty | None = None
    tag: str = ""
    query: str = ""
    viewer_id: str | None = None
    """Hidden problems of this author are listed too."""
    viewer_is_admin: bool = False


@dataclasses.dataclass(frozen=True)
class Page:
    problems: list[Problem]
    next_cursor: list[Any] | None
    total: int


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlProblemStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)

    async def migrate(self) -> None:
        await migrate(self.engine, MIGRATIONS, VERSION_TABLE)

    # -- reading ----------------------------------------------------------------------------

    async def _load(self, session: AsyncSession, rows: Sequence[ProblemRow], *, with_tests: bool) -> list[Problem]:
        ids = [r.problem_id for r in rows]
        tags: dict[str, list[str]] = {i: [] for i in ids}
        tests: dict[str, list[TestCaseRow]] = {i: [] for i in ids}
        if ids:
            for tag in await session.scalars(sa.select(TagRow).where(TagRow.problem_id.in_(ids)).order_by(TagRow.tag)):
                tags[tag.problem_id].append(tag.tag)
            if with_tests:
                query = sa.select(TestCaseRow).where(TestCaseRow.problem_id.in_(ids)).order_by(TestCaseRow.ordinal)
                for test in await session.scalars(query):
                    tests[test.problem_id].append(test)
        return [_problem(r, tags[r.problem_id], tests[r.problem_id] if with_tests else None) for r in rows]

    async def get(self, problem_id_or_slug: str, *, with_tests: bool = True) -> Problem | None:
        async with self._sessions() as session:
            row = await session.scalar(
                sa.select(ProblemRow)
                .where(
                    sa.or_(ProblemRow.problem_id == problem_id_or_slug, ProblemRow.slug == problem_id_or_slug),
                    ProblemRow.delete_time.is_(None),
                )
                .order_by((ProblemRow.problem_id == problem_id_or_slug).desc())  # an id beats a slug
                .limit(1)
            )
            if row is None:
                return None
            return (await self._load(session, [row], with_tests=with_tests))[0]

    async def summaries(self, ids: Sequence[str]) -> list[Problem]:
        async with self._sessions() as session:
            rows = list(
                await session.scalars(
                    sa.select(ProblemRow).where(
                        sa.or_(ProblemRow.problem_id.in_(ids), ProblemRow.slug.in_(ids)),
                        ProblemRow.delete_time.is_(None),
                    )
                )
            )
            return await self._load(session, rows, with_tests=False)

    def _visible(self, filters: Filters) -> list[Any]:
        conditions: list[Any] = [ProblemRow.delete_time.is_(None)]
        if not filters.viewer_is_admin:
            public = ProblemRow.visibility == Visibility.PUBLIC.name
            conditions.append(
                sa.or_(public, ProblemRow.author_id == filters.viewer_id) if filters.viewer_id else public
            )
        if filters.difficulty is not None:
            conditions.append(ProblemRow.difficulty == filters.difficulty.value)
        if filters.tag:
            conditions.append(
                sa.exists().where(TagRow.problem_id == ProblemRow.problem_id, TagRow.tag == filters.tag.lower())
            )
        if filters.query:
            conditions.append(ProblemRow.title_key.like(f"%{_escape_like(filters.query.lower())}%", escape="\\"))
        return conditions

    async def list(self, filters: Filters, order: str, limit: int, cursor: list[Any] | None) -> Page:
        columns = ORDERS[order]
        conditions = self._visible(filters)
        query = sa.select(ProblemRow).where(*conditions)
        if cursor is not None:
            query = query.where(_after(columns, cursor))
        for name, descending in columns:
            column = getattr(ProblemRow, name)
            query = query.order_by(column.desc() if descending else column.asc())
        async with self._sessions() as session:
            rows = list(await session.scalars(query.limit(limit + 1)))
            total = await session.scalar(sa.select(sa.func.count()).select_from(ProblemRow).where(*conditions))
            more = len(rows) > limit
            rows = rows[:limit]
            problems = await self._load(session, rows, with_tests=False)
        next_cursor = [_cursor_value(getattr(rows[-1], name)) for name, _ in columns] if more and rows else None
        return Page(problems, next_cursor, int(total or 0))

    async def marks(self, user_id: str, problem_ids: Sequence[str]) -> tuple[set[str], set[str]]:
        """Which of these problems the user likes, and which they bookmarked."""
        if not problem_ids:
            return set(), set()
        async with self._sessions() as session:
            liked = set(
                await session.scalars(
                    sa.select(LikeRow.problem_id).where(LikeRow.user_id == user_id, LikeRow.problem_id.in_(problem_ids))
                )
            )
            bookmarked = set(
                await session.scalars(
                    sa.select(BookmarkRow.problem_id).where(
                        BookmarkRow.user_id == user_id, BookmarkRow.problem_id.in_(problem_ids)
                    )
                )
            )
        return liked, bookmarked

    async def bookmarks(
        self, user_id: str, limit: int, cursor: list[Any] | None, *, admin: bool = False
    ) -> tuple[list[Problem], list[Any] | None]:
        """The user's bookmarks they may still see (a problem made hidden since drops out), newest first."""
        query = (
            sa.select(ProblemRow, BookmarkRow.create_time)
            .join(BookmarkRow, BookmarkRow.problem_id == ProblemRow.problem_id)
            .where(BookmarkRow.user_id == user_id, *self._visible(Filters(viewer_id=user_id, viewer_is_admin=admin)))
            .order_by(BookmarkRow.create_time.desc(), ProblemRow.problem_id.desc())
        )
        if cursor is not None:
            marked, last_id = keyset_cursor(cursor, dt.datetime, str)
            query = query.where(
                sa.or_(
                    BookmarkRow.create_time < marked,
                    sa.and_(BookmarkRow.create_time == marked, ProblemRow.problem_id < last_id),
                )
            )
        async with self._sessions() as session:
            found = list((await session.execute(query.limit(limit + 1))).all())
            more = len(found) > limit
            found = found[:limit]
            problems = await self._load(session, [row for row, _ in found], with_tests=False)
        next_cursor = [found[-1][1].isoformat(), found[-1][0].problem_id] if more and found else None
        return problems, next_cursor

    # -- writing ----------------------------------------------------------------------------

    async def insert(self, problem_id: str, content: Content, author_id: str, now: dt.datetime) -> Problem:
        row = ProblemRow(
            problem_id=problem_id,
            author_id=author_id,
            like_count=0,
            bookmark_count=0,
            revision=1,
            create_time=now,
            update_time=now,
            delete_time=None,
            **_content_columns(content),
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
                await session.flush()
                _add_children(session, problem_id, content)
        except IntegrityError:
            raise AlreadyExists(f"the slug {content.slug!r} is taken", reason="SLUG_TAKEN") from None
        found = await self.get(problem_id)
        assert found is not None
        return found

    async def replace_content(self, problem_id: str, content: Content, now: dt.datetime) -> Problem | None:
        try:
            async with self._sessions.begin() as session:
                row = await session.get(ProblemRow, problem_id, with_for_update=True)
                if row is None or row.delete_time is not None:
                    return None
                for name, value in _content_columns(content).items():
                    setattr(row, name, value)
                row.revision += 1
                row.update_time = now
                await session.execute(sa.delete(TagRow).where(TagRow.problem_id == problem_id))
                await session.execute(sa.delete(TestCaseRow).where(TestCaseRow.problem_id == problem_id))
                await session.flush()
                _add_children(session, problem_id, content)
        except IntegrityError:
            raise AlreadyExists(f"the slug {content.slug!r} is taken", reason="SLUG_TAKEN") from None
        return await self.get(problem_id)

    async def soft_delete(self, problem_id: str, now: dt.datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                sa.update(ProblemRow)
                .where(ProblemRow.problem_id == problem_id, ProblemRow.delete_time.is_(None))
                .values(delete_time=now)
            )

    async def mark(self, kind: str, problem_id: str, user_id: str, on: bool, now: dt.datetime) -> int:
        """Sets a like or bookmark; the counter is recounted in the same transaction, so it stays exact."""
        table = LikeRow if kind == "like" else BookmarkRow
        counter = "like_count" if kind == "like" else "bookmark_count"
        async with self._sessions.begin() as session:
            # Lock the problem row first: concurrent marks then recount one after another, each
            # seeing the others' committed rows (without it they recount stale snapshots).
            await session.execute(
                sa.select(ProblemRow.problem_id).where(ProblemRow.problem_id == problem_id).with_for_update()
            )
            if on:
                insert = upsert_statement(session.bind.dialect.name, table)
                await session.execute(
                    insert.values(problem_id=problem_id, user_id=user_id, create_time=now).on_conflict_do_nothing()
                )
            else:
                await session.execute(sa.delete(table).where(table.problem_id == problem_id, table.user_id == user_id))
            count = (
                sa.select(sa.func.count()).select_from(table).where(table.problem_id == problem_id).scalar_subquery()
            )
            await session.execute(
                sa.update(ProblemRow).where(ProblemRow.problem_id == problem_id).values({counter: count})
            )
            return int(
                await session.scalar(sa.select(getattr(ProblemRow, counter)).where(ProblemRow.problem_id == problem_id))
                or 0
            )


_CURSOR_KINDS: dict[str, type] = {"create_time": dt.datetime, "title_key": str, "difficulty": int, "like_count": int}


def _after(columns: tuple[tuple[str, bool], ...], cursor: list[Any]) -> Any:
    """Rows strictly after the cursor in the sort order (all keyset columns share a direction)."""
    (first, descending), (second, _) = columns
    value, last_id = keyset_cursor(cursor, _CURSOR_KINDS[first], str)
    a, b = getattr(ProblemRow, first), getattr(ProblemRow, second)
    if descending:
        return sa.or_(a < value, sa.and_(a == value, b < last_id))
    return sa.or_(a > value, sa.and_(a == value, b > last_id))


def _cursor_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _content_columns(content: Content) -> dict[str, Any]:
    return {
        "slug": content.slug,
        "title": content.title,
        "title_key": content.title.lower()[:TITLE_KEY_MAX],  # lowercasing can lengthen ("İ" → "i̇")
        "statement": content.statement,
        "difficulty": content.difficulty.value,
        "time_limit_ms": content.time_limit_ms,
        "memory_limit_kib": content.memory_limit_kib,
        "checker_kind": content.checker.kind.name,
        "absolute_tolerance": content.checker.absolute_tolerance,
        "relative_tolerance": content.checker.relative_tolerance,
        "visibility": content.visibility.name,
        "hidden_test_count": len(content.hidden_tests),
    }


def _add_children(session: AsyncSession, problem_id: str, content: Content) -> None:
    for tag in content.tags:
        session.add(TagRow(problem_id=problem_id, tag=tag))
    tests = (*content.sample_tests, *content.hidden_tests)
    for ordinal, test in enumerate(tests, start=1):
        session.add(
            TestCaseRow(
                problem_id=problem_id,
                ordinal=ordinal,
                sample=test.sample,
                input=test.input,
                expected_output=test.expected_output,
                explanation=test.explanation,
            )
        )


def _problem(row: ProblemRow, tags: list[str], tests: list[TestCaseRow] | None) -> Problem:
    samples = tuple(_test(t) for t in tests or () if t.sample)
    hidden = tuple(_test(t) for t in tests or () if not t.sample)
    return Problem(
        problem_id=row.problem_id,
        content=Content(
            slug=row.slug,
            title=row.title,
            statement=row.statement,
            difficulty=Difficulty(row.difficulty),
            tags=tuple(tags),
            time_limit_ms=row.time_limit_ms,
            memory_limit_kib=row.memory_limit_kib,
            checker=Checker(CheckerKind[row.checker_kind], row.absolute_tolerance, row.relative_tolerance),
            visibility=Visibility[row.visibility],
            sample_tests=samples,
            hidden_tests=hidden,
        ),
        author_id=row.author_id,
        like_count=row.like_count,
        bookmark_count=row.bookmark_count,
        revision=row.revision,
        create_time=row.create_time,
        update_time=row.update_time,
        hidden_test_count=row.hidden_test_count,
    )


def _test(row: TestCaseRow) -> TestCase:
    return TestCase(
        input=row.input,
        expected_output=row.expected_output,
        sample=row.sample,
        explanation=row.explanation,
        ordinal=row.ordinal,
    )
