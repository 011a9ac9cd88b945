"""The problem service's storage: the ``ProblemStore`` port and its two implementations.

- ``SqlProblemStore`` (SQLAlchemy 2, SQLite or PostgreSQL): production. Slugs are unique in
  the database, so of two concurrent creates with one slug exactly one wins; a like or a
  bookmark recounts its counter under the problem row's lock, so concurrent marks stay exact.
- ``InMemoryProblemStore``: dictionaries, for the use-case tests.

Both list only what ``domain.VisibleProblems`` includes at a moment: the in-memory store evaluates
the domain's predicate, the SQL store translates it (``_visible``). A contest's embargo is a set of
rows (contest, problem, end), replaced whole by ``set_embargo``; a problem read carries the latest
end of its embargoes (``Problem.embargo_end``). ``tests/integration/db/
test_problem_store.py`` runs one contract against the in-memory store, SQLite and PostgreSQL,
including that the SQL translation and the domain agree on who sees which problem.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arena.core.errors import AlreadyExists
from arena.kit.db import NAMING_CONVENTION, UtcDateTime, migrate, session_factory, upsert_statement
from arena.kit.pagination import keyset_cursor
from arena.problem.domain import (
    ORDERS,
    PUBLIC_ONLY,
    TITLE_KEY_MAX,
    Checker,
    CheckerKind,
    Content,
    Difficulty,
    Filters,
    Interactor,
    MarkKind,
    Problem,
    TestCase,
    TestGroup,
    Visibility,
    VisibleProblems,
    title_key,
)

__all__ = [
    "ORDERS",
    "Cursor",
    "Filters",
    "InMemoryProblemStore",
    "Page",
    "ProblemStore",
    "Problems",
    "SqlProblemStore",
]

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")
VERSION_TABLE = "problem_alembic_version"

Cursor: TypeAlias = list[Any]
"""A keyset position: the last item's sort value (ISO text for a time) and its problem id."""
Problems: TypeAlias = list[Problem]


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
    checker_language_id: Mapped[str] = mapped_column(sa.String(32), default="")
    checker_source: Mapped[str] = mapped_column(sa.Text(), default="")
    test_groups: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON(), default=list)
    run_whole_failed_groups: Mapped[bool] = mapped_column(sa.Boolean(), default=False)
    interactor_language_id: Mapped[str] = mapped_column(sa.String(32), default="")
    interactor_source: Mapped[str] = mapped_column(sa.Text(), default="")
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


class EmbargoRow(Base):
    """One contest keeps one problem from the public until ``end_time`` (the contest's start)."""

    __tablename__ = "problem_embargoes"
    __table_args__ = (sa.Index("ix_problem_embargoes_problem_id_end_time", "problem_id", "end_time"),)

    contest_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    problem_id: Mapped[str] = mapped_column(sa.ForeignKey("problems.problem_id", ondelete="CASCADE"), primary_key=True)
    end_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class BookmarkRow(Base):
    __tablename__ = "bookmarks"
    __table_args__ = (sa.Index("ix_bookmarks_user_id_create_time", "user_id", "create_time"),)

    problem_id: Mapped[str] = mapped_column(sa.ForeignKey("problems.problem_id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())


@dataclasses.dataclass(frozen=True)
class SortKey:
    """How one of the domain's ``ORDERS`` sorts: by a column (then the problem id), one direction for both."""

    column: str
    """The ``ProblemRow`` column."""
    descending: bool
    kind: type
    """The type of the column's value in a cursor (a time travels as ISO text)."""
    value: Callable[[Problem], Any]
    """The same value, read from a problem (what the in-memory store sorts by)."""


SORT_KEYS: dict[str, SortKey] = {
    "create_time desc": SortKey("create_time", True, dt.datetime, lambda p: p.create_time),
    "create_time": SortKey("create_time", False, dt.datetime, lambda p: p.create_time),
    "title": SortKey("title_key", False, str, lambda p: title_key(p.content.title)),
    "difficulty": SortKey("difficulty", False, int, lambda p: p.content.difficulty.value),
    "like_count desc": SortKey("like_count", True, int, lambda p: p.like_count),
}


@dataclasses.dataclass(frozen=True)
class Page:
    problems: Problems
    next_cursor: Cursor | None
    total: int
    """How many problems the filters match in all (every page says the same)."""


class ProblemStore(Protocol):
    """The problem service's port: what its use cases need from storage.

    Two implementations: ``SqlProblemStore`` (SQLite or PostgreSQL) and ``InMemoryProblemStore``
    (use-case tests); ``tests/integration/db/test_problem_store.py`` holds them to this contract.
    Times are timezone-aware UTC datetimes. A deleted problem is gone for every read. Problems
    read without their tests have empty ``sample_tests`` and ``hidden_tests`` (``hidden_test_count``
    still counts them); tags come back sorted, tests numbered from 1, samples first.
    """

    async def get(self, problem_id_or_slug: str, *, with_tests: bool = True) -> Problem | None:
        """The problem with this id or slug (an id wins over another problem's equal slug), whatever
        its visibility: the caller decides who may see it."""
        ...

    async def summaries(self, keys: Sequence[str]) -> Problems:
        """The problems whose id or slug is among ``keys``, without tests, in no particular order."""
        ...

    async def list(
        self,
        filters: Filters,
        order: str,
        limit: int,
        cursor: Cursor | None,
        visible: VisibleProblems = PUBLIC_ONLY,
        *,
        now: dt.datetime | None = None,
    ) -> Page:
        """The problems ``visible`` includes at ``now`` (default: the wall clock's now) that match
        ``filters``, without tests, sorted by ``order`` (one of ``ORDERS``, ties by problem id), at
        most ``limit`` of them after the ``cursor`` (the previous page's ``next_cursor``, None for
        the first page; a malformed one is InvalidArgument INVALID_PAGE_TOKEN).
        ``next_cursor`` is None on the last page."""
        ...

    async def marks(self, user_id: str, problem_ids: Sequence[str]) -> tuple[set[str], set[str]]:
        """Which of these problems the user likes, and which they bookmarked."""
        ...

    async def bookmarks(
        self,
        user_id: str,
        visible: VisibleProblems,
        limit: int,
        cursor: Cursor | None,
        *,
        now: dt.datetime | None = None,
    ) -> tuple[Problems, Cursor | None]:
        """The user's bookmarked problems that ``visible`` includes at ``now`` (default: the wall clock's
        now; one made hidden or embargoed since drops out), without tests, most recently bookmarked
        first (ties by problem id, descending)."""
        ...

    async def insert(self, problem_id: str, content: Content, author_id: str, now: dt.datetime) -> Problem:
        """Stores a new problem (revision 1, no marks); AlreadyExists (SLUG_TAKEN) when its slug is
        another problem's, a deleted one's included. Of concurrent inserts with one slug, one wins
        and the others leave nothing behind."""
        ...

    async def replace_content(self, problem_id: str, content: Content, now: dt.datetime) -> Problem | None:
        """Replaces everything an author wrote, tests included, and counts a revision; None when the
        problem is missing or deleted; AlreadyExists (SLUG_TAKEN) as for ``insert``."""
        ...

    async def soft_delete(self, problem_id: str, now: dt.datetime) -> None:
        """Deletes the problem for every read (its slug stays taken); nothing when already deleted."""
        ...

    async def mark(self, kind: MarkKind, problem_id: str, user_id: str, on: bool, now: dt.datetime) -> int:
        """Sets (or clears) one user's like or bookmark on an existing problem, idempotently, and
        returns that kind's count. Concurrent marks are all counted: the count is always exact.
        A bookmark set again keeps its first time."""
        ...

    async def live_ids(self, problem_ids: Sequence[str]) -> set[str]:
        """Which of these problem ids (ids only, not slugs) name problems that are not deleted."""
        ...

    async def set_embargo(self, contest_id: str, problem_ids: Sequence[str], end: dt.datetime | None) -> None:
        """Replaces the contest's embargo rows with one per problem, each ending at ``end`` (none when
        ``problem_ids`` is empty), in one transaction."""
        ...


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _visible(visible: VisibleProblems, now: dt.datetime) -> sa.ColumnElement[bool]:
    """``VisibleProblems.includes`` in SQL, term by term."""
    if visible.all_hidden:
        return sa.true()
    embargoed = sa.exists().where(EmbargoRow.problem_id == ProblemRow.problem_id, EmbargoRow.end_time > now)
    public = sa.and_(ProblemRow.visibility == Visibility.PUBLIC.name, sa.not_(embargoed))
    if visible.hidden_of_author is None:
        return public
    return sa.or_(public, ProblemRow.author_id == visible.hidden_of_author)


def _matching(filters: Filters) -> list[sa.ColumnElement[bool]]:
    """``Filters.matches`` in SQL."""
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.difficulty is not None:
        conditions.append(ProblemRow.difficulty == filters.difficulty.value)
    if filters.tag:
        conditions.append(
            sa.exists().where(TagRow.problem_id == ProblemRow.problem_id, TagRow.tag == filters.tag.lower())
        )
    if filters.query:
        conditions.append(ProblemRow.title_key.like(f"%{_escape_like(filters.query.lower())}%", escape="\\"))
    return conditions


_LIVE = ProblemRow.delete_time.is_(None)


class SqlProblemStore:
    """ProblemStore on SQLAlchemy 2 (SQLite or PostgreSQL), with keyset pagination."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)

    async def migrate(self) -> None:
        await migrate(self.engine, MIGRATIONS, VERSION_TABLE)

    # -- reading ----------------------------------------------------------------------------

    async def _load(self, session: AsyncSession, rows: Sequence[ProblemRow], *, with_tests: bool) -> Problems:
        ids = [r.problem_id for r in rows]
        tags: dict[str, list[str]] = {i: [] for i in ids}
        tests: dict[str, list[TestCaseRow]] = {i: [] for i in ids}
        embargo_ends: dict[str, dt.datetime] = {}
        if ids:
            ends = sa.select(EmbargoRow.problem_id, sa.func.max(EmbargoRow.end_time)).where(
                EmbargoRow.problem_id.in_(ids)
            )
            for problem_id, end in (await session.execute(ends.group_by(EmbargoRow.problem_id))).all():
                embargo_ends[problem_id] = _utc(end)
            for tag in await session.scalars(sa.select(TagRow).where(TagRow.problem_id.in_(ids)).order_by(TagRow.tag)):
                tags[tag.problem_id].append(tag.tag)
            if with_tests:
                query = sa.select(TestCaseRow).where(TestCaseRow.problem_id.in_(ids)).order_by(TestCaseRow.ordinal)
                for test in await session.scalars(query):
                    tests[test.problem_id].append(test)
        return [
            _problem(r, tags[r.problem_id], tests[r.problem_id] if with_tests else None, embargo_ends.get(r.problem_id))
            for r in rows
        ]

    async def get(self, problem_id_or_slug: str, *, with_tests: bool = True) -> Problem | None:
        async with self._sessions() as session:
            row = await session.scalar(
                sa.select(ProblemRow)
                .where(
                    sa.or_(ProblemRow.problem_id == problem_id_or_slug, ProblemRow.slug == problem_id_or_slug), _LIVE
                )
                .order_by((ProblemRow.problem_id == problem_id_or_slug).desc())  # an id beats a slug
                .limit(1)
            )
            if row is None:
                return None
            return (await self._load(session, [row], with_tests=with_tests))[0]

    async def summaries(self, keys: Sequence[str]) -> Problems:
        async with self._sessions() as session:
            rows = list(
                await session.scalars(
                    sa.select(ProblemRow).where(
                        sa.or_(ProblemRow.problem_id.in_(keys), ProblemRow.slug.in_(keys)), _LIVE
                    )
                )
            )
            return await self._load(session, rows, with_tests=False)

    async def list(
        self,
        filters: Filters,
        order: str,
        limit: int,
        cursor: Cursor | None,
        visible: VisibleProblems = PUBLIC_ONLY,
        *,
        now: dt.datetime | None = None,
    ) -> Page:
        key = SORT_KEYS[order]
        conditions = [_LIVE, _visible(visible, now or _utcnow()), *_matching(filters)]
        column, last = getattr(ProblemRow, key.column), ProblemRow.problem_id
        query = sa.select(ProblemRow).where(*conditions)
        if cursor is not None:
            value, last_id = keyset_cursor(cursor, key.kind, str)
            if key.descending:
                query = query.where(sa.or_(column < value, sa.and_(column == value, last < last_id)))
            else:
                query = query.where(sa.or_(column > value, sa.and_(column == value, last > last_id)))
        query = query.order_by(*((column.desc(), last.desc()) if key.descending else (column.asc(), last.asc())))
        async with self._sessions() as session:
            rows = list(await session.scalars(query.limit(limit + 1)))
            total = await session.scalar(sa.select(sa.func.count()).select_from(ProblemRow).where(*conditions))
            more = len(rows) > limit
            rows = rows[:limit]
            problems = await self._load(session, rows, with_tests=False)
        next_cursor = [_cursor_value(getattr(rows[-1], key.column)), rows[-1].problem_id] if more and rows else None
        return Page(problems, next_cursor, int(total or 0))

    async def marks(self, user_id: str, problem_ids: Sequence[str]) -> tuple[set[str], set[str]]:
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
        self,
        user_id: str,
        visible: VisibleProblems,
        limit: int,
        cursor: Cursor | None,
        *,
        now: dt.datetime | None = None,
    ) -> tuple[Problems, Cursor | None]:
        query = (
            sa.select(ProblemRow, BookmarkRow.create_time)
            .join(BookmarkRow, BookmarkRow.problem_id == ProblemRow.problem_id)
            .where(BookmarkRow.user_id == user_id, _LIVE, _visible(visible, now or _utcnow()))
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

    async def live_ids(self, problem_ids: Sequence[str]) -> set[str]:
        if not problem_ids:
            return set()
        async with self._sessions() as session:
            query = sa.select(ProblemRow.problem_id).where(ProblemRow.problem_id.in_(list(problem_ids)), _LIVE)
            return set(await session.scalars(query))

    # -- writing ----------------------------------------------------------------------------

    async def set_embargo(self, contest_id: str, problem_ids: Sequence[str], end: dt.datetime | None) -> None:
        async with self._sessions.begin() as session:
            await session.execute(sa.delete(EmbargoRow).where(EmbargoRow.contest_id == contest_id))
            if problem_ids:
                assert end is not None
                session.add_all(EmbargoRow(contest_id=contest_id, problem_id=p, end_time=end) for p in problem_ids)

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
                sa.update(ProblemRow).where(ProblemRow.problem_id == problem_id, _LIVE).values(delete_time=now)
            )

    async def mark(self, kind: MarkKind, problem_id: str, user_id: str, on: bool, now: dt.datetime) -> int:
        """The counter is recounted in the same transaction, under the problem row's lock, so it stays exact."""
        table: type[LikeRow] | type[BookmarkRow] = LikeRow if kind == "like" else BookmarkRow
        counter = "like_count" if kind == "like" else "bookmark_count"
        async with self._sessions.begin() as session:
            # Lock the problem row first: concurrent marks then recount one after another, each
            # seeing the others' committed rows (without it they recount stale snapshots).
            await session.execute(
                sa.select(ProblemRow.problem_id).where(ProblemRow.problem_id == problem_id).with_for_update()
            )
            if on:
                insert = upsert_statement(self.engine.dialect.name, table)
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


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: Any) -> dt.datetime:
    """An aggregate's time as an aware UTC datetime, whatever the driver hands back for it."""
    when: dt.datetime = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _cursor_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _content_columns(content: Content) -> dict[str, Any]:
    return {
        "slug": content.slug,
        "title": content.title,
        "title_key": title_key(content.title),
        "statement": content.statement,
        "difficulty": content.difficulty.value,
        "time_limit_ms": content.time_limit_ms,
        "memory_limit_kib": content.memory_limit_kib,
        "checker_kind": content.checker.kind.name,
        "absolute_tolerance": content.checker.absolute_tolerance,
        "relative_tolerance": content.checker.relative_tolerance,
        "checker_language_id": content.checker.program_language_id,
        "checker_source": content.checker.program_source,
        "test_groups": [
            {"name": g.name, "points": g.points, "test_ordinals": list(g.test_ordinals)} for g in content.test_groups
        ],
        "run_whole_failed_groups": content.run_whole_failed_groups,
        "interactor_language_id": content.interactor.language_id,
        "interactor_source": content.interactor.source,
        "visibility": content.visibility.name,
        "hidden_test_count": len(content.hidden_tests),
    }


def _add_children(session: AsyncSession, problem_id: str, content: Content) -> None:
    for tag in content.tags:
        session.add(TagRow(problem_id=problem_id, tag=tag))
    for test in _numbered(content):
        session.add(
            TestCaseRow(
                problem_id=problem_id,
                ordinal=test.ordinal,
                sample=test.sample,
                input=test.input,
                expected_output=test.expected_output,
                explanation=test.explanation,
            )
        )


def _numbered(content: Content) -> list[TestCase]:
    """Every test as stored: samples first, numbered from 1."""
    tests = (*content.sample_tests, *content.hidden_tests)
    return [dataclasses.replace(t, ordinal=i) for i, t in enumerate(tests, start=1)]


def _with_tests(content: Content, tests: Sequence[TestCase] | None) -> Content:
    """The content with its tests as read back: split by their sample flag (none when not loaded)."""
    return dataclasses.replace(
        content,
        sample_tests=tuple(t for t in tests or () if t.sample),
        hidden_tests=tuple(t for t in tests or () if not t.sample),
    )


def _problem(
    row: ProblemRow, tags: list[str], tests: list[TestCaseRow] | None, embargo_end: dt.datetime | None = None
) -> Problem:
    content = Content(
        slug=row.slug,
        title=row.title,
        statement=row.statement,
        difficulty=Difficulty(row.difficulty),
        tags=tuple(tags),
        time_limit_ms=row.time_limit_ms,
        memory_limit_kib=row.memory_limit_kib,
        checker=Checker(
            CheckerKind[row.checker_kind],
            row.absolute_tolerance,
            row.relative_tolerance,
            row.checker_language_id,
            row.checker_source,
        ),
        visibility=Visibility[row.visibility],
        sample_tests=(),
        hidden_tests=(),
        test_groups=tuple(
            TestGroup(g["name"], float(g["points"]), tuple(int(o) for o in g["test_ordinals"]))
            for g in row.test_groups or ()
        ),
        run_whole_failed_groups=row.run_whole_failed_groups,
        interactor=Interactor(row.interactor_language_id, row.interactor_source),
    )
    return Problem(
        problem_id=row.problem_id,
        content=_with_tests(content, None if tests is None else [_test(t) for t in tests]),
        author_id=row.author_id,
        like_count=row.like_count,
        bookmark_count=row.bookmark_count,
        revision=row.revision,
        create_time=row.create_time,
        update_time=row.update_time,
        hidden_test_count=row.hidden_test_count,
        embargo_end=embargo_end,
    )


def _test(row: TestCaseRow) -> TestCase:
    return TestCase(
        input=row.input,
        expected_output=row.expected_output,
        sample=row.sample,
        explanation=row.explanation,
        ordinal=row.ordinal,
    )


# -- in memory ---------------------------------------------------------------------------------


@dataclasses.dataclass
class _Stored:
    problem: Problem
    """With its tests, as ``SqlProblemStore.get`` returns it."""
    deleted: bool = False


class InMemoryProblemStore:
    """ProblemStore in dictionaries: the fast fake the use-case tests run against.

    Same contract as ``SqlProblemStore`` (the shared contract test proves it); it lists with the
    domain's own ``VisibleProblems.includes`` and ``Filters.matches``. No method awaits between
    reading and writing, so each is atomic on the event loop, as a transaction is.
    """

    def __init__(self) -> None:
        self._problems: dict[str, _Stored] = {}
        self._marks: dict[MarkKind, dict[tuple[str, str], dt.datetime]] = {"like": {}, "bookmark": {}}
        """(problem id, user id) → when it was set."""
        self._embargoes: dict[str, dict[str, dt.datetime]] = {}
        """contest id → {problem id → when its embargo ends}."""

    def _embargoed(self, problem: Problem) -> Problem:
        """The problem with the latest end of its embargoes, as ``SqlProblemStore`` reads it."""
        ends = [e[problem.problem_id] for e in self._embargoes.values() if problem.problem_id in e]
        return dataclasses.replace(problem, embargo_end=max(ends) if ends else None)

    def _live(self) -> Problems:
        return [self._embargoed(s.problem) for s in self._problems.values() if not s.deleted]

    def _slug_taken(self, slug: str, problem_id: str) -> bool:
        return any(s.problem.content.slug == slug for i, s in self._problems.items() if i != problem_id)

    async def get(self, problem_id_or_slug: str, *, with_tests: bool = True) -> Problem | None:
        stored = self._problems.get(problem_id_or_slug)
        found = self._embargoed(stored.problem) if stored is not None and not stored.deleted else None
        if found is None:
            found = next((p for p in self._live() if p.content.slug == problem_id_or_slug), None)
        return found if found is None or with_tests else _without_tests(found)

    async def summaries(self, keys: Sequence[str]) -> Problems:
        wanted = set(keys)
        return [_without_tests(p) for p in self._live() if p.problem_id in wanted or p.content.slug in wanted]

    async def list(
        self,
        filters: Filters,
        order: str,
        limit: int,
        cursor: Cursor | None,
        visible: VisibleProblems = PUBLIC_ONLY,
        *,
        now: dt.datetime | None = None,
    ) -> Page:
        key = SORT_KEYS[order]
        at = now or _utcnow()
        found = sorted(
            (p for p in self._live() if visible.includes(p, at) and filters.matches(p)),
            key=lambda p: (key.value(p), p.problem_id),
            reverse=key.descending,
        )
        total = len(found)
        if cursor is not None:
            position = tuple(keyset_cursor(cursor, key.kind, str))
            found = [
                p
                for p in found
                if (
                    (key.value(p), p.problem_id) < position
                    if key.descending
                    else (key.value(p), p.problem_id) > position
                )
            ]
        page = found[:limit]
        more = len(found) > limit
        next_cursor = [_cursor_value(key.value(page[-1])), page[-1].problem_id] if more and page else None
        return Page([_without_tests(p) for p in page], next_cursor, total)

    async def marks(self, user_id: str, problem_ids: Sequence[str]) -> tuple[set[str], set[str]]:
        wanted = set(problem_ids)
        liked, bookmarked = (
            {pid for pid, uid in self._marks[kind] if uid == user_id and pid in wanted} for kind in ("like", "bookmark")
        )
        return liked, bookmarked

    async def bookmarks(
        self,
        user_id: str,
        visible: VisibleProblems,
        limit: int,
        cursor: Cursor | None,
        *,
        now: dt.datetime | None = None,
    ) -> tuple[Problems, Cursor | None]:
        at = now or _utcnow()
        found: list[tuple[dt.datetime, Problem]] = []
        for (problem_id, uid), marked in self._marks["bookmark"].items():
            stored = self._problems.get(problem_id)
            if uid != user_id or stored is None or stored.deleted:
                continue
            problem = self._embargoed(stored.problem)
            if visible.includes(problem, at):
                found.append((marked, problem))
        found.sort(key=lambda item: (item[0], item[1].problem_id), reverse=True)
        if cursor is not None:
            position = tuple(keyset_cursor(cursor, dt.datetime, str))
            found = [item for item in found if (item[0], item[1].problem_id) < position]
        page = found[:limit]
        more = len(found) > limit
        next_cursor = [page[-1][0].isoformat(), page[-1][1].problem_id] if more and page else None
        return [_without_tests(p) for _, p in page], next_cursor

    async def live_ids(self, problem_ids: Sequence[str]) -> set[str]:
        return {p for p in problem_ids if p in self._problems and not self._problems[p].deleted}

    async def set_embargo(self, contest_id: str, problem_ids: Sequence[str], end: dt.datetime | None) -> None:
        if problem_ids:
            assert end is not None
            self._embargoes[contest_id] = dict.fromkeys(problem_ids, end)
        else:
            self._embargoes.pop(contest_id, None)

    async def insert(self, problem_id: str, content: Content, author_id: str, now: dt.datetime) -> Problem:
        if problem_id in self._problems or self._slug_taken(content.slug, problem_id):
            raise AlreadyExists(f"the slug {content.slug!r} is taken", reason="SLUG_TAKEN")
        problem = Problem(
            problem_id=problem_id,
            content=_as_stored(content),
            author_id=author_id,
            like_count=0,
            bookmark_count=0,
            revision=1,
            create_time=now,
            update_time=now,
            hidden_test_count=len(content.hidden_tests),
        )
        self._problems[problem_id] = _Stored(problem)
        return problem

    async def replace_content(self, problem_id: str, content: Content, now: dt.datetime) -> Problem | None:
        stored = self._problems.get(problem_id)
        if stored is None or stored.deleted:
            return None
        if self._slug_taken(content.slug, problem_id):
            raise AlreadyExists(f"the slug {content.slug!r} is taken", reason="SLUG_TAKEN")
        stored.problem = dataclasses.replace(
            stored.problem,
            content=_as_stored(content),
            revision=stored.problem.revision + 1,
            update_time=now,
            hidden_test_count=len(content.hidden_tests),
        )
        return self._embargoed(stored.problem)

    async def soft_delete(self, problem_id: str, now: dt.datetime) -> None:
        stored = self._problems.get(problem_id)
        if stored is not None:
            stored.deleted = True

    async def mark(self, kind: MarkKind, problem_id: str, user_id: str, on: bool, now: dt.datetime) -> int:
        stored = self._problems.get(problem_id)
        if stored is None:
            return 0
        marks = self._marks[kind]
        if on:
            marks.setdefault((problem_id, user_id), now)
        else:
            marks.pop((problem_id, user_id), None)
        count = sum(1 for pid, _ in marks if pid == problem_id)
        if kind == "like":
            stored.problem = dataclasses.replace(stored.problem, like_count=count)
        else:
            stored.problem = dataclasses.replace(stored.problem, bookmark_count=count)
        return count


def _as_stored(content: Content) -> Content:
    """The content as ``SqlProblemStore`` reads it back: tags sorted, tests numbered and split by their flag."""
    return _with_tests(dataclasses.replace(content, tags=tuple(sorted(content.tags))), _numbered(content))


def _without_tests(problem: Problem) -> Problem:
    return dataclasses.replace(problem, content=_with_tests(problem.content, None))


if TYPE_CHECKING:  # the type checker holds both implementations to the port

    def _both_are_stores(sql: SqlProblemStore, memory: InMemoryProblemStore) -> tuple[ProblemStore, ProblemStore]:
        return sql, memory
