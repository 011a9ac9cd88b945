"""The analytics service's storage: the ``AnalyticsStore`` port and its two implementations.

- ``SqlAnalyticsStore`` (SQLAlchemy 2 Core, SQLite or PostgreSQL): production. ``ingest`` stores the raw
  events (deduplicated by event id: ``INSERT … ON CONFLICT DO NOTHING RETURNING``) and, in the same
  transaction, adds the batch's contribution to the rollups: per (problem, UTC day), per (user, quarter
  hour), per (UTC day), per submission and per (user, problem). A batch's deltas are summed in Python
  first, so a batch of 1,000 events costs a few multi-row statements, not thousands. Reads touch only
  the rollups of the requested keys and range; none scans the events.
- ``InMemoryAnalyticsStore``: the events in a list, every read a full scan (``domain.scan_*``): for
  the use-case tests, and the definition the rollups must agree with.

``tests/integration/db/test_analytics_store.py`` runs one contract against both (SQLite and PostgreSQL),
against answers it computes itself from a generated data set.
"""

from __future__ import annotations

import json
import pathlib
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from arena.analytics.domain import (
    ACCEPTED,
    TIME_TO_SOLVE_PERCENTILES,
    TOP_PROBLEMS,
    DayRange,
    Event,
    EventType,
    PlatformDay,
    PlatformStats,
    ProblemInsights,
    ProblemMeta,
    UserInsights,
    day_of,
    percentile,
    percentile_counted,
    problem_meta,
    quarter_of,
    scan_platform,
    scan_problem,
    scan_user,
    user_insights_from,
    window_24h,
)
from arena.kit.db import NAMING_CONVENTION, migrate, upsert_statement

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")
VERSION_TABLE = "analytics_alembic_version"
CPU, MEMORY = 1, 2
"""``problem_day_values.metric``."""
USERS, PROBLEMS, QUEUE = "users", "problems", "queue"
"""``counters.name``."""


class AnalyticsStore(Protocol):
    """The analytics port. Times are epoch milliseconds (UTC)."""

    async def ingest(self, events: Sequence[Event]) -> tuple[int, int]:
        """Records the events whose ids are new (and updates every aggregate); (recorded, duplicates)."""
        ...

    async def problem_insights(self, problem_id: str, days: DayRange) -> ProblemInsights: ...

    async def user_insights(
        self,
        user_id: str,
        zone: zoneinfo.ZoneInfo,
        activity_days: int,
        now_ms: int,
        metas: Mapping[str, ProblemMeta],
    ) -> UserInsights:
        """``metas`` adds to (and overrides) the problem facts the store has from PROBLEM_CREATED events."""
        ...

    async def user_problems(self, user_id: str) -> list[str]:
        """The problems the user has judged submissions for."""
        ...

    async def problem_metas(self, problem_ids: Sequence[str]) -> dict[str, ProblemMeta]: ...

    async def put_problem_metas(self, metas: Mapping[str, ProblemMeta]) -> None: ...

    async def platform_stats(self, days: DayRange, now_ms: int) -> PlatformStats: ...


metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
ID = sa.String(64)


def _count(name: str = "count") -> sa.Column[int]:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", ID, primary_key=True),
    sa.Column("type", sa.SmallInteger, nullable=False),
    sa.Column("time_ms", sa.BigInteger, nullable=False),
    sa.Column("user_id", ID, nullable=False),
    sa.Column("client_id", ID, nullable=False),
    sa.Column("problem_id", ID, nullable=False),
    sa.Column("contest_id", ID, nullable=False),
    sa.Column("submission_id", ID, nullable=False),
    sa.Column("language_id", ID, nullable=False),
    sa.Column("verdict", sa.SmallInteger, nullable=False),
    sa.Column("cpu_ms", sa.Integer, nullable=False),
    sa.Column("memory_kib", sa.BigInteger, nullable=False),
    sa.Column("attributes", sa.Text, nullable=False),
)
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("submission_id", ID, primary_key=True),
    sa.Column("user_id", ID, nullable=False),
    sa.Column("problem_id", ID, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=True),
    sa.Column("judged_ms", sa.BigInteger, nullable=True),
    sa.Column("verdict", sa.SmallInteger, nullable=True),
    sa.Index(None, "user_id", "problem_id"),
)
user_problems = sa.Table(
    "user_problems",
    metadata,
    sa.Column("user_id", ID, primary_key=True),
    sa.Column("problem_id", ID, primary_key=True),
    sa.Column("first_try_ms", sa.BigInteger, nullable=True),
    sa.Column("first_accept_ms", sa.BigInteger, nullable=True),
    sa.Column("accept_day", sa.Integer, nullable=True),
    _count("judged_count"),
    _count("failed_before"),
    sa.Index(None, "problem_id", "accept_day"),
)
problem_days = sa.Table(
    "problem_days",
    metadata,
    sa.Column("problem_id", ID, primary_key=True),
    sa.Column("day", sa.Integer, primary_key=True),
    _count("views"),
    _count("judged"),
    _count("accepted"),
)
problem_day_verdicts = sa.Table(
    "problem_day_verdicts",
    metadata,
    sa.Column("problem_id", ID, primary_key=True),
    sa.Column("day", sa.Integer, primary_key=True),
    sa.Column("verdict", sa.SmallInteger, primary_key=True),
    _count(),
)
problem_day_languages = sa.Table(
    "problem_day_languages",
    metadata,
    sa.Column("problem_id", ID, primary_key=True),
    sa.Column("day", sa.Integer, primary_key=True),
    sa.Column("language_id", ID, primary_key=True),
    _count(),
)
problem_day_users = sa.Table(
    "problem_day_users",
    metadata,
    sa.Column("problem_id", ID, primary_key=True),
    sa.Column("day", sa.Integer, primary_key=True),
    sa.Column("user_id", ID, primary_key=True),
    _count("judged"),
    _count("accepted"),
)
problem_day_values = sa.Table(
    "problem_day_values",
    metadata,
    sa.Column("problem_id", ID, primary_key=True),
    sa.Column("day", sa.Integer, primary_key=True),
    sa.Column("metric", sa.SmallInteger, primary_key=True),
    sa.Column("value", sa.BigInteger, primary_key=True),
    _count(),
)
problem_totals = sa.Table(
    "problem_totals",
    metadata,
    sa.Column("problem_id", ID, primary_key=True),
    _count("judged"),
)
user_quarters = sa.Table(
    "user_quarters",
    metadata,
    sa.Column("user_id", ID, primary_key=True),
    sa.Column("quarter", sa.Integer, primary_key=True),
    _count("events"),
    _count("judged"),
    sa.Index(None, "quarter"),
)
user_verdicts = sa.Table(
    "user_verdicts",
    metadata,
    sa.Column("user_id", ID, primary_key=True),
    sa.Column("verdict", sa.SmallInteger, primary_key=True),
    _count(),
)
user_languages = sa.Table(
    "user_languages",
    metadata,
    sa.Column("user_id", ID, primary_key=True),
    sa.Column("language_id", ID, primary_key=True),
    _count(),
)
platform_days = sa.Table(
    "platform_days",
    metadata,
    sa.Column("day", sa.Integer, primary_key=True),
    _count("judged"),
    _count("accepted"),
)
platform_day_users = sa.Table(
    "platform_day_users",
    metadata,
    sa.Column("day", sa.Integer, primary_key=True),
    sa.Column("user_id", ID, primary_key=True),
)
platform_day_verdicts = sa.Table(
    "platform_day_verdicts",
    metadata,
    sa.Column("day", sa.Integer, primary_key=True),
    sa.Column("verdict", sa.SmallInteger, primary_key=True),
    _count(),
)
platform_languages = sa.Table(
    "platform_languages",
    metadata,
    sa.Column("language_id", ID, primary_key=True),
    _count(),
)
platform_waits = sa.Table(
    "platform_waits",
    metadata,
    sa.Column("day", sa.Integer, primary_key=True),
    sa.Column("wait_ms", sa.BigInteger, primary_key=True),
    _count(),
)
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False, server_default="0"),
)
problems = sa.Table(
    "problems",
    metadata,
    sa.Column("problem_id", ID, primary_key=True),
    sa.Column("difficulty", sa.String(32), nullable=False),
    sa.Column("tags", sa.Text, nullable=False),
)

Key = tuple[Any, ...]
T = TypeVar("T")


class _Deltas:
    """One batch's additions to every counting rollup, keyed by each table's primary key."""

    def __init__(self) -> None:
        self.tables: dict[sa.Table, dict[Key, list[int]]] = {}
        self.present: dict[sa.Table, set[Key]] = defaultdict(set)

    def add(self, table: sa.Table, key: Key, *amounts: int) -> None:
        counts = self.tables.get(table)
        if counts is None:
            counts = self.tables[table] = {}
        row = counts.get(key)
        if row is None:
            counts[key] = list(amounts)
        elif len(amounts) == 1:
            row[0] += amounts[0]
        else:
            for i, amount in enumerate(amounts):
                row[i] += amount


def _keys(table: sa.Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def _amount_columns(table: sa.Table) -> list[str]:
    keys = set(_keys(table))
    return [c.name for c in table.columns if c.name not in keys]


class SqlAnalyticsStore:
    """AnalyticsStore on SQLAlchemy 2 Core (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name
        self._postgres = self._dialect == "postgresql"

    async def migrate(self) -> None:
        await migrate(self.engine, MIGRATIONS, VERSION_TABLE)

    # ----- ingest -----

    async def ingest(self, batch: Sequence[Event]) -> tuple[int, int]:
        unique: dict[str, Event] = {}
        for e in batch:
            unique.setdefault(e.event_id, e)
        async with self.engine.begin() as conn:
            fresh = await self._insert_events(conn, list(unique.values()))
            if fresh:
                await self._roll_up(conn, fresh)
        return len(fresh), len(batch) - len(fresh)

    async def _insert_events(self, conn: AsyncConnection, batch: list[Event]) -> list[Event]:
        rows = [
            (
                e.event_id,
                int(e.type),
                e.time_ms,
                e.user_id,
                e.client_id,
                e.problem_id,
                e.contest_id,
                e.submission_id,
                e.language_id,
                e.verdict,
                e.cpu_ms,
                e.memory_kib,
                json.dumps(e.attributes, separators=(",", ":")) if e.attributes else "",
            )
            for e in sorted(batch, key=lambda e: e.event_id)  # one lock order for concurrent batches
        ]
        inserted: set[str] = set()
        for chunk in _chunks(rows, 1000):
            result = await conn.exec_driver_sql(
                *self._values_sql(events, chunk, "ON CONFLICT DO NOTHING RETURNING event_id")
            )
            inserted.update(r[0] for r in result)
        return [e for e in batch if e.event_id in inserted]

    def _marks(self, sql: str) -> str:
        """``sql`` written with ``?`` in the driver's parameter style."""
        return sql.replace("?", "%s") if self._postgres else sql

    def _values_sql(self, table: sa.Table, rows: Sequence[tuple[Any, ...]], tail: str) -> tuple[str, tuple[Any, ...]]:
        """One multi-row ``INSERT … VALUES`` (the driver's own parameters: no per-row work in SQLAlchemy)."""
        mark = "%s" if self._postgres else "?"
        width = len(rows[0])
        one = f"({', '.join([mark] * width)})"
        columns = ", ".join(c.name for c in list(table.columns)[:width])
        sql = f"INSERT INTO {table.name} ({columns}) VALUES {', '.join([one] * len(rows))} {tail}"
        return sql, tuple(v for row in rows for v in row)

    async def _roll_up(self, conn: AsyncConnection, fresh: list[Event]) -> None:
        d = _Deltas()
        submission_events: list[Event] = []
        metas: dict[str, ProblemMeta] = {}
        for e in fresh:
            day = e.time_ms // 86_400_000
            kind = e.type
            if e.user_id:
                judged = int(kind is EventType.SUBMISSION_JUDGED)
                d.add(user_quarters, (e.user_id, e.time_ms // 900_000), 1, judged)
                d.present[platform_day_users].add((day, e.user_id))
            if kind is EventType.PROBLEM_VIEWED:
                d.add(problem_days, (e.problem_id, day), 1, 0, 0)
            elif kind is EventType.SUBMISSION_JUDGED:
                ok = int(e.verdict == ACCEPTED)
                d.add(problem_days, (e.problem_id, day), 0, 1, ok)
                d.add(problem_day_verdicts, (e.problem_id, day, e.verdict), 1)
                d.add(problem_day_languages, (e.problem_id, day, e.language_id), 1)
                d.add(problem_day_users, (e.problem_id, day, e.user_id), 1, ok)
                if ok:
                    d.add(problem_day_values, (e.problem_id, day, CPU, e.cpu_ms), 1)
                    d.add(problem_day_values, (e.problem_id, day, MEMORY, e.memory_kib), 1)
                d.add(problem_totals, (e.problem_id,), 1)
                d.add(user_verdicts, (e.user_id, e.verdict), 1)
                d.add(user_languages, (e.user_id, e.language_id), 1)
                d.add(platform_days, (day,), 1, ok)
                d.add(platform_day_verdicts, (day, e.verdict), 1)
                d.add(platform_languages, (e.language_id,), 1)
                submission_events.append(e)
            elif kind is EventType.SUBMISSION_CREATED:
                submission_events.append(e)
            elif kind is EventType.USER_REGISTERED:
                d.add(counters, (USERS,), 1)
            elif kind is EventType.PROBLEM_CREATED:
                d.add(counters, (PROBLEMS,), 1)
                metas[e.problem_id] = problem_meta(e.attributes)
        if submission_events:
            await self._submissions(conn, submission_events, d)
        for table, counts in sorted(d.tables.items(), key=lambda tc: tc[0].name):  # one lock order
            await self._add(conn, table, counts)
        for table, keys in d.present.items():
            for chunk in _chunks(sorted(keys), 1000):
                await conn.exec_driver_sql(*self._values_sql(table, chunk, "ON CONFLICT DO NOTHING"))
        if metas:
            await self._put_metas(conn, metas)

    async def _add(self, conn: AsyncConnection, table: sa.Table, counts: Mapping[Key, list[int]]) -> None:
        """Adds each row's amounts to the stored ones (inserting missing rows), in key order (no
        deadlocks between concurrent batches on PostgreSQL). One driver-level ``executemany``: the
        hottest statement of ingest, so SQLAlchemy's per-row parameter processing is skipped."""
        names = _keys(table)
        amounts = _amount_columns(table)
        mark = "%s" if self._postgres else "?"
        columns = [*names, *amounts]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))}) "
            f"ON CONFLICT ({', '.join(names)}) DO UPDATE SET "
            + ", ".join(f"{a} = {table.name}.{a} + excluded.{a}" for a in amounts)
        )
        rows = [(*key, *values) for key, values in sorted(counts.items())]
        await conn.exec_driver_sql(sql, rows)

    async def _submissions(self, conn: AsyncConnection, batch: list[Event], d: _Deltas) -> None:
        """Keeps each submission's receive and verdict times (the judge's queue and wait) and each
        (user, problem)'s first try, first accept and failures before it, recomputed from the
        submissions of the pairs this batch touched (rows locked first, in key order)."""
        pairs = sorted({(e.user_id, e.problem_id) for e in batch})
        for chunk in _chunks(pairs, 1000):
            await conn.exec_driver_sql(*self._values_sql(user_problems, chunk, "ON CONFLICT DO NOTHING"))
        if self._postgres:
            for chunk in _chunks(pairs):
                lock = sa.select(user_problems.c.user_id).where(
                    sa.tuple_(user_problems.c.user_id, user_problems.c.problem_id).in_(chunk)
                )
                await conn.execute(lock.order_by(user_problems.c.user_id, user_problems.c.problem_id).with_for_update())
        incoming: dict[str, Event] = {}
        judged: dict[str, Event] = {}
        for e in batch:
            if e.type is EventType.SUBMISSION_CREATED:
                if e.submission_id not in incoming or e.time_ms < incoming[e.submission_id].time_ms:
                    incoming[e.submission_id] = e
            elif e.submission_id not in judged:
                judged[e.submission_id] = e
        ids = sorted(set(incoming) | set(judged))
        firsts = [(s, (incoming.get(s) or judged[s]).user_id, (incoming.get(s) or judged[s]).problem_id) for s in ids]
        for rows in _chunks(firsts, 1000):
            await conn.exec_driver_sql(*self._values_sql(submissions, rows, "ON CONFLICT DO NOTHING"))
        stored: dict[str, tuple[int | None, int | None]] = {}
        for some in _chunks(ids):
            query = sa.select(submissions.c.submission_id, submissions.c.created_ms, submissions.c.judged_ms).where(
                submissions.c.submission_id.in_(some)
            )
            if self._postgres:
                query = query.order_by(submissions.c.submission_id).with_for_update()
            stored.update({r.submission_id: (r.created_ms, r.judged_ms) for r in await conn.execute(query)})
        updates = []
        queue = 0
        for s in ids:
            old_created, old_judged = stored[s]
            created = old_created
            if s in incoming:
                t = incoming[s].time_ms
                created = t if created is None else min(created, t)
            judged_ms, verdict = old_judged, None
            if old_judged is None and s in judged:
                judged_ms, verdict = judged[s].time_ms, judged[s].verdict
            queue += int(created is not None and judged_ms is None) - int(
                old_created is not None and old_judged is None
            )
            if created is not None and judged_ms is not None and (old_created is None or old_judged is None):
                d.add(platform_waits, (day_of(judged_ms), max(0, judged_ms - created)), 1)
            if (created, judged_ms) != (old_created, old_judged):
                updates.append((created, judged_ms, verdict, s))
        if queue:
            d.add(counters, (QUEUE,), queue)
        if updates:
            await conn.exec_driver_sql(
                self._marks(
                    "UPDATE submissions SET created_ms = ?, judged_ms = ?, verdict = COALESCE(?, verdict) "
                    "WHERE submission_id = ?"
                ),
                updates,
            )
        await self._recompute_pairs(conn, pairs)

    async def _recompute_pairs(self, conn: AsyncConnection, pairs: list[tuple[str, str]]) -> None:
        """First try, first accept and failures before it, from the pairs' submissions (indexed)."""
        wanted = set(pairs)
        rows: list[Any] = []
        users = sorted({u for u, _ in pairs})
        for chunk in _chunks(users):
            # By user (the index's prefix): SQLite scans for a row-value IN list.
            rows += (
                await conn.execute(
                    sa.select(
                        submissions.c.user_id,
                        submissions.c.problem_id,
                        submissions.c.created_ms,
                        submissions.c.judged_ms,
                        submissions.c.verdict,
                    ).where(submissions.c.user_id.in_(chunk))
                )
            ).all()
        runs: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        tries: dict[tuple[str, str], int] = {}
        for r in rows:
            key = (r.user_id, r.problem_id)
            if key not in wanted:
                continue
            first = min(t for t in (r.created_ms, r.judged_ms) if t is not None)
            tries[key] = min(tries.get(key, first), first)
            if r.judged_ms is not None:
                runs[key].append((r.judged_ms, r.verdict))
        updates = []
        for key in pairs:
            judged = runs.get(key, [])
            first_try = tries.get(key)
            accept = min((t for t, v in judged if v == ACCEPTED), default=None)
            failed = sum(1 for t, v in judged if v != ACCEPTED and accept is not None and t < accept)
            updates.append((first_try, accept, None if accept is None else day_of(accept), len(judged), failed, *key))
        await conn.exec_driver_sql(
            self._marks(
                "UPDATE user_problems SET first_try_ms = ?, first_accept_ms = ?, accept_day = ?, judged_count = ?, "
                "failed_before = ? WHERE user_id = ? AND problem_id = ?"
            ),
            updates,
        )

    # ----- bulk loads -----

    async def load_raw(self, batch: Sequence[Event]) -> int:
        """Stores events without touching the rollups (a bulk load; ``rebuild`` must follow); how many
        were new."""
        async with self.engine.begin() as conn:
            return len(await self._insert_events(conn, list({e.event_id: e for e in batch}.values())))

    async def rebuild(self) -> None:
        """Recomputes every rollup from the stored events, in SQL (after a bulk load, or to repair);
        the result equals what incremental ingest of the same events keeps."""
        day, quarter = "time_ms / 86400000", "time_ms / 900000"
        judged, accepted = "type = 11", "CASE WHEN verdict = 1 THEN 1 ELSE 0 END"
        statements = [
            f"INSERT INTO problem_days (problem_id, day, views, judged, accepted) SELECT problem_id, {day}, "
            "SUM(CASE WHEN type = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN type = 11 THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN type = 11 AND verdict = 1 THEN 1 ELSE 0 END) FROM events WHERE type IN (1, 11) "
            f"GROUP BY problem_id, {day}",
            f"INSERT INTO problem_day_verdicts (problem_id, day, verdict, count) SELECT problem_id, {day}, verdict, "
            f"COUNT(*) FROM events WHERE {judged} GROUP BY problem_id, {day}, verdict",
            f"INSERT INTO problem_day_languages (problem_id, day, language_id, count) SELECT problem_id, {day}, "
            f"language_id, COUNT(*) FROM events WHERE {judged} GROUP BY problem_id, {day}, language_id",
            f"INSERT INTO problem_day_users (problem_id, day, user_id, judged, accepted) SELECT problem_id, {day}, "
            f"user_id, COUNT(*), SUM({accepted}) FROM events WHERE {judged} GROUP BY problem_id, {day}, user_id",
            *(
                f"INSERT INTO problem_day_values (problem_id, day, metric, value, count) SELECT problem_id, {day}, "
                f"{metric}, {column}, COUNT(*) FROM events WHERE {judged} AND verdict = 1 "
                f"GROUP BY problem_id, {day}, {column}"
                for metric, column in ((CPU, "cpu_ms"), (MEMORY, "memory_kib"))
            ),
            f"INSERT INTO problem_totals (problem_id, judged) SELECT problem_id, COUNT(*) FROM events WHERE {judged} "
            "GROUP BY problem_id",
            f"INSERT INTO user_quarters (user_id, quarter, events, judged) SELECT user_id, {quarter}, COUNT(*), "
            f"SUM(CASE WHEN {judged} THEN 1 ELSE 0 END) FROM events WHERE user_id <> '' GROUP BY user_id, {quarter}",
            f"INSERT INTO user_verdicts (user_id, verdict, count) SELECT user_id, verdict, COUNT(*) FROM events "
            f"WHERE {judged} GROUP BY user_id, verdict",
            f"INSERT INTO user_languages (user_id, language_id, count) SELECT user_id, language_id, COUNT(*) "
            f"FROM events WHERE {judged} GROUP BY user_id, language_id",
            f"INSERT INTO platform_days (day, judged, accepted) SELECT {day}, COUNT(*), SUM({accepted}) FROM events "
            f"WHERE {judged} GROUP BY {day}",
            f"INSERT INTO platform_day_users (day, user_id) SELECT DISTINCT {day}, user_id FROM events "
            "WHERE user_id <> ''",
            f"INSERT INTO platform_day_verdicts (day, verdict, count) SELECT {day}, verdict, COUNT(*) FROM events "
            f"WHERE {judged} GROUP BY {day}, verdict",
            f"INSERT INTO platform_languages (language_id, count) SELECT language_id, COUNT(*) FROM events "
            f"WHERE {judged} GROUP BY language_id",
            "INSERT INTO submissions (submission_id, user_id, problem_id, created_ms, judged_ms, verdict) "
            "SELECT submission_id, MIN(user_id), MIN(problem_id), MIN(CASE WHEN type = 10 THEN time_ms END), "
            "MIN(CASE WHEN type = 11 THEN time_ms END), MIN(CASE WHEN type = 11 THEN verdict END) FROM events "
            "WHERE type IN (10, 11) GROUP BY submission_id",
            "INSERT INTO platform_waits (day, wait_ms, count) SELECT judged_ms / 86400000, "
            "CASE WHEN judged_ms > created_ms THEN judged_ms - created_ms ELSE 0 END, COUNT(*) FROM submissions "
            "WHERE judged_ms IS NOT NULL AND created_ms IS NOT NULL GROUP BY judged_ms / 86400000, "
            "CASE WHEN judged_ms > created_ms THEN judged_ms - created_ms ELSE 0 END",
            "INSERT INTO user_problems (user_id, problem_id, first_try_ms, first_accept_ms, accept_day, judged_count, "
            "failed_before) SELECT user_id, problem_id, MIN(CASE WHEN created_ms IS NULL THEN judged_ms "
            "WHEN judged_ms IS NULL OR created_ms < judged_ms THEN created_ms ELSE judged_ms END), "
            "MIN(CASE WHEN verdict = 1 THEN judged_ms END), MIN(CASE WHEN verdict = 1 THEN judged_ms END) / 86400000, "
            "COUNT(judged_ms), 0 FROM submissions GROUP BY user_id, problem_id",
            "UPDATE user_problems SET failed_before = (SELECT COUNT(*) FROM submissions s WHERE s.user_id = "
            "user_problems.user_id AND s.problem_id = user_problems.problem_id AND s.judged_ms IS NOT NULL AND "
            "s.verdict <> 1 AND s.judged_ms < user_problems.first_accept_ms) WHERE first_accept_ms IS NOT NULL",
            "INSERT INTO counters (name, value) SELECT 'users', COUNT(*) FROM events WHERE type = 13",
            "INSERT INTO counters (name, value) SELECT 'problems', COUNT(*) FROM events WHERE type = 14",
            "INSERT INTO counters (name, value) SELECT 'queue', COUNT(*) FROM submissions "
            "WHERE created_ms IS NOT NULL AND judged_ms IS NULL",
        ]
        rollups = [t for t in metadata.sorted_tables if t.name not in ("events", "problems")]
        async with self.engine.begin() as conn:
            for table in rollups:
                await conn.execute(table.delete())
            for statement in statements:
                await conn.exec_driver_sql(statement)
            created = [
                (r.problem_id, json.loads(r.attributes) if r.attributes else {})
                for r in await conn.execute(
                    sa.select(events.c.problem_id, events.c.attributes).where(
                        events.c.type == int(EventType.PROBLEM_CREATED)
                    )
                )
            ]
            if created:
                await self._put_metas(conn, {p: problem_meta(a) for p, a in created})

    async def _put_metas(self, conn: AsyncConnection, metas: Mapping[str, ProblemMeta]) -> None:
        insert = upsert_statement(self._dialect, problems)
        await conn.execute(
            insert.on_conflict_do_update(
                index_elements=["problem_id"],
                set_={"difficulty": insert.excluded.difficulty, "tags": insert.excluded.tags},
            ),
            [{"problem_id": p, "difficulty": m.difficulty, "tags": ",".join(m.tags)} for p, m in sorted(metas.items())],
        )

    # ----- reads -----

    async def problem_insights(self, problem_id: str, days: DayRange) -> ProblemInsights:
        def ranged(table: sa.Table) -> Any:
            return (table.c.problem_id == problem_id) & (table.c.day >= days.start_day) & (table.c.day < days.end_day)

        async with self.engine.connect() as conn:
            totals = (
                await conn.execute(
                    sa.select(
                        sa.func.coalesce(sa.func.sum(problem_days.c.views), 0),
                        sa.func.coalesce(sa.func.sum(problem_days.c.judged), 0),
                        sa.func.coalesce(sa.func.sum(problem_days.c.accepted), 0),
                    ).where(ranged(problem_days))
                )
            ).one()
            verdicts = await conn.execute(
                sa.select(problem_day_verdicts.c.verdict, sa.func.sum(problem_day_verdicts.c.count))
                .where(ranged(problem_day_verdicts))
                .group_by(problem_day_verdicts.c.verdict)
            )
            languages = await conn.execute(
                sa.select(problem_day_languages.c.language_id, sa.func.sum(problem_day_languages.c.count))
                .where(ranged(problem_day_languages))
                .group_by(problem_day_languages.c.language_id)
            )
            users = (
                await conn.execute(
                    sa.select(
                        sa.func.count(
                            sa.distinct(sa.case((problem_day_users.c.accepted > 0, problem_day_users.c.user_id)))
                        ),
                        sa.func.count(sa.distinct(problem_day_users.c.user_id)),
                    ).where(ranged(problem_day_users))
                )
            ).one()
            values: dict[int, list[tuple[int, int]]] = {CPU: [], MEMORY: []}
            for metric, value, count in await conn.execute(
                sa.select(
                    problem_day_values.c.metric, problem_day_values.c.value, sa.func.sum(problem_day_values.c.count)
                )
                .where(ranged(problem_day_values))
                .group_by(problem_day_values.c.metric, problem_day_values.c.value)
            ):
                values[metric].append((value, int(count)))
            solved = (
                await conn.execute(
                    sa.select(
                        user_problems.c.failed_before, user_problems.c.first_accept_ms - user_problems.c.first_try_ms
                    )
                    .where(user_problems.c.problem_id == problem_id)
                    .where(user_problems.c.accept_day >= days.start_day)
                    .where(user_problems.c.accept_day < days.end_day)
                )
            ).all()
        attempts: dict[int, int] = defaultdict(int)
        for failed, _ in solved:
            attempts[failed] += 1
        solve_ms = sorted(int(ms) for _, ms in solved)
        return ProblemInsights(
            problem_id,
            days,
            int(totals[0]),
            int(totals[1]),
            int(totals[2]),
            int(users[0]),
            int(users[1]),
            _ranked((int(v), int(c)) for v, c in verdicts),
            _ranked((str(lang), int(c)) for lang, c in languages),
            percentile_counted(values[CPU], 50),
            percentile_counted(values[CPU], 90),
            percentile_counted(values[MEMORY], 50),
            percentile_counted(values[MEMORY], 90),
            sorted(attempts.items()),
            [(p, percentile(solve_ms, p)) for p in TIME_TO_SOLVE_PERCENTILES] if solve_ms else [],
        )

    async def user_problems(self, user_id: str) -> list[str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(user_problems.c.problem_id)
                .where(user_problems.c.user_id == user_id)
                .where(user_problems.c.judged_count > 0)
            )
            return [r[0] for r in rows]

    async def problem_metas(self, problem_ids: Sequence[str]) -> dict[str, ProblemMeta]:
        if not problem_ids:
            return {}
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(problems).where(problems.c.problem_id.in_(sorted(set(problem_ids)))))
            return {r.problem_id: ProblemMeta(r.difficulty, tuple(t for t in r.tags.split(",") if t)) for r in rows}

    async def put_problem_metas(self, metas: Mapping[str, ProblemMeta]) -> None:
        if metas:
            async with self.engine.begin() as conn:
                await self._put_metas(conn, metas)

    async def user_insights(
        self,
        user_id: str,
        zone: zoneinfo.ZoneInfo,
        activity_days: int,
        now_ms: int,
        metas: Mapping[str, ProblemMeta],
    ) -> UserInsights:
        async with self.engine.connect() as conn:
            verdicts = {
                int(v): int(c)
                for v, c in await conn.execute(
                    sa.select(user_verdicts.c.verdict, user_verdicts.c.count).where(user_verdicts.c.user_id == user_id)
                )
            }
            languages = {
                str(lang): int(c)
                for lang, c in await conn.execute(
                    sa.select(user_languages.c.language_id, user_languages.c.count).where(
                        user_languages.c.user_id == user_id
                    )
                )
            }
            quarters = [
                (int(q), int(n))
                for q, n in await conn.execute(
                    sa.select(user_quarters.c.quarter, user_quarters.c.judged)
                    .where(user_quarters.c.user_id == user_id)
                    .where(user_quarters.c.judged > 0)
                )
            ]
            tried = [
                (str(p), None if a is None else int(a))
                for p, a in await conn.execute(
                    sa.select(user_problems.c.problem_id, user_problems.c.first_accept_ms)
                    .where(user_problems.c.user_id == user_id)
                    .where(user_problems.c.judged_count > 0)
                )
            ]
        known = await self.problem_metas([p for p, _ in tried])
        return user_insights_from(
            user_id,
            zone,
            activity_days,
            now_ms,
            {**known, **metas},
            verdicts=verdicts,
            languages=languages,
            judged_per_quarter=quarters,
            problems=tried,
        )

    async def platform_stats(self, days: DayRange, now_ms: int) -> PlatformStats:
        def in_range(column: Any) -> Any:
            return (column >= days.start_day) & (column < days.end_day)

        async with self.engine.connect() as conn:
            named = {n: int(v) for n, v in await conn.execute(sa.select(counters.c.name, counters.c.value))}
            totals = (
                await conn.execute(
                    sa.select(
                        sa.func.coalesce(sa.func.sum(platform_days.c.judged), 0),
                        sa.func.coalesce(sa.func.sum(platform_days.c.accepted), 0),
                    )
                )
            ).one()
            per_day = {
                int(day): (int(j), int(a))
                for day, j, a in await conn.execute(
                    sa.select(platform_days.c.day, platform_days.c.judged, platform_days.c.accepted).where(
                        in_range(platform_days.c.day)
                    )
                )
            }
            active = {
                int(day): int(n)
                for day, n in await conn.execute(
                    sa.select(platform_day_users.c.day, sa.func.count())
                    .where(in_range(platform_day_users.c.day))
                    .group_by(platform_day_users.c.day)
                )
            }
            recent = (
                await conn.execute(
                    sa.select(
                        sa.func.count(sa.distinct(user_quarters.c.user_id)),
                        sa.func.coalesce(sa.func.sum(user_quarters.c.judged), 0),
                    ).where(user_quarters.c.quarter >= window_24h(now_ms))
                )
            ).one()
            all_verdicts = await conn.execute(
                sa.select(platform_day_verdicts.c.verdict, sa.func.sum(platform_day_verdicts.c.count)).group_by(
                    platform_day_verdicts.c.verdict
                )
            )
            verdicts = _ranked((int(v), int(c)) for v, c in all_verdicts)
            range_rows = await conn.execute(
                sa.select(platform_day_verdicts.c.verdict, sa.func.sum(platform_day_verdicts.c.count))
                .where(in_range(platform_day_verdicts.c.day))
                .group_by(platform_day_verdicts.c.verdict)
            )
            range_verdicts = _ranked((int(v), int(c)) for v, c in range_rows)
            languages = _ranked(
                (str(lang), int(c))
                for lang, c in await conn.execute(
                    sa.select(platform_languages.c.language_id, platform_languages.c.count)
                )
            )
            top = [
                (str(p), int(c))
                for p, c in await conn.execute(
                    sa.select(problem_totals.c.problem_id, problem_totals.c.judged)
                    .order_by(problem_totals.c.judged.desc(), problem_totals.c.problem_id)
                    .limit(TOP_PROBLEMS)
                )
            ]
            waits = [
                (int(w), int(c))
                for w, c in await conn.execute(
                    sa.select(platform_waits.c.wait_ms, sa.func.sum(platform_waits.c.count))
                    .where(in_range(platform_waits.c.day))
                    .group_by(platform_waits.c.wait_ms)
                )
            ]
        return PlatformStats(
            days,
            named.get(USERS, 0),
            named.get(PROBLEMS, 0),
            int(totals[0]),
            int(totals[1]),
            int(recent[1]),
            int(recent[0]),
            verdicts,
            languages,
            top,
            [PlatformDay(d, active.get(d, 0), *per_day.get(d, (0, 0))) for d in range(days.start_day, days.end_day)],
            named.get(QUEUE, 0),
            percentile_counted(waits, 50),
            percentile_counted(waits, 95),
            range_verdicts,
        )

    async def scan_events(self, **where: str) -> list[Event]:
        """The raw events (those matching ``where``), for the full-scan baseline of the benchmark."""
        query = sa.select(events)
        for name, value in where.items():
            query = query.where(events.c[name] == value)
        async with self.engine.connect() as conn:
            return [_event(r) for r in await conn.execute(query)]


def _event(r: Any) -> Event:
    return Event(
        r.event_id,
        EventType(r.type),
        r.time_ms,
        r.user_id,
        r.client_id,
        r.problem_id,
        r.contest_id,
        r.submission_id,
        r.language_id,
        r.verdict,
        r.cpu_ms,
        r.memory_kib,
        json.loads(r.attributes) if r.attributes else {},
    )


def _chunks(items: Sequence[T], size: int = 2000) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _ranked(pairs: Iterable[tuple[Any, int]]) -> list[Any]:
    return sorted(((k, c) for k, c in pairs if c), key=lambda kc: (-kc[1], kc[0]))


class InMemoryAnalyticsStore:
    """AnalyticsStore over a list of events, every read a full scan."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._ids: set[str] = set()
        self._metas: dict[str, ProblemMeta] = {}

    async def ingest(self, batch: Sequence[Event]) -> tuple[int, int]:
        recorded = 0
        for e in batch:
            if e.event_id in self._ids:
                continue
            self._ids.add(e.event_id)
            self.events.append(e)
            recorded += 1
            if e.type is EventType.PROBLEM_CREATED:
                self._metas[e.problem_id] = problem_meta(e.attributes)
        return recorded, len(batch) - recorded

    async def problem_insights(self, problem_id: str, days: DayRange) -> ProblemInsights:
        return scan_problem(self.events, problem_id, days)

    async def user_insights(
        self,
        user_id: str,
        zone: zoneinfo.ZoneInfo,
        activity_days: int,
        now_ms: int,
        metas: Mapping[str, ProblemMeta],
    ) -> UserInsights:
        return scan_user(self.events, user_id, zone, activity_days, now_ms, {**self._metas, **metas})

    async def user_problems(self, user_id: str) -> list[str]:
        return sorted(
            {e.problem_id for e in self.events if e.user_id == user_id and e.type is EventType.SUBMISSION_JUDGED}
        )

    async def problem_metas(self, problem_ids: Sequence[str]) -> dict[str, ProblemMeta]:
        return {p: self._metas[p] for p in problem_ids if p in self._metas}

    async def put_problem_metas(self, metas: Mapping[str, ProblemMeta]) -> None:
        self._metas.update(metas)

    async def platform_stats(self, days: DayRange, now_ms: int) -> PlatformStats:
        return scan_platform(self.events, days, now_ms)


__all__ = ["AnalyticsStore", "InMemoryAnalyticsStore", "SqlAnalyticsStore", "metadata", "quarter_of"]
