"""One contract for every AnalyticsStore: the in-memory full scan, SQLite and PostgreSQL rollups.

The insight numbers are checked against a generated data set whose answers this test computes itself,
from the generator's own records (submissions, views, registrations), not from the events or any code
of the service. The events reach the store shuffled, in batches of random size, with redeliveries, as
the outbox and clients may send them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import math
import random
import uuid
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import AsyncIterator

import pytest

from arena.analytics.domain import DayRange, Event, EventType, ProblemMeta
from arena.analytics.store import AnalyticsStore, InMemoryAnalyticsStore, SqlAnalyticsStore
from arena.kit.db import make_engine

pytestmark = pytest.mark.timeout(180)

DAY = 86_400_000
T0 = 1_764_547_200_000  # 2025-12-01T00:00:00Z
NOW = T0 + 12 * DAY + 7 * 3_600_000  # day 12, 07:00 UTC
AC = 1
LANGUAGES = ("python3", "cpp", "java")
TAGS = ("dp", "graphs", "math", "greedy")
DIFFICULTY = ("DIFFICULTY_EASY", "DIFFICULTY_MEDIUM", "DIFFICULTY_HARD")


@dataclasses.dataclass(frozen=True)
class Sub:
    sid: str
    user: str
    problem: str
    language: str
    created: int
    judged: int | None
    verdict: int
    cpu: int
    memory: int


@dataclasses.dataclass
class World:
    subs: list[Sub]
    views: list[tuple[str, str, int]]  # (user, problem, time)
    pages: list[tuple[str, int]]  # (client id, time) anonymous page views
    users: list[tuple[str, int]]
    problems: dict[str, ProblemMeta]


def generate(seed: int, users: int = 12, problems: int = 5, subs: int = 400) -> World:
    rng = random.Random(seed)
    problem_ids = [f"p{i}" for i in range(problems)]
    metas = {
        p: ProblemMeta(DIFFICULTY[i % 3], tuple(sorted(rng.sample(TAGS, rng.randint(1, 2)))))
        for i, p in enumerate(problem_ids)
    }
    user_ids = [f"u{i}" for i in range(users)]
    out: list[Sub] = []
    for n in range(subs):
        created = T0 + rng.randrange(12 * DAY) + rng.randrange(7 * 3_600_000)
        judged = created + rng.choice((0, 500, 1500, 2500, 40_000)) if rng.random() > 0.05 else None
        verdict = rng.choice((1, 1, 2, 3, 4, 5, 6))
        out.append(
            Sub(
                f"s{n}",
                rng.choice(user_ids),
                rng.choice(problem_ids),
                rng.choice(LANGUAGES),
                created,
                judged,
                verdict,
                rng.choice((10, 20, 30, 45, 100)),
                rng.choice((1024, 2048, 4096, 9000)),
            )
        )
    views = [(rng.choice(user_ids), rng.choice(problem_ids), T0 + rng.randrange(12 * DAY)) for _ in range(150)]
    pages = [(f"client-{rng.randrange(5):04d}", T0 + rng.randrange(12 * DAY)) for _ in range(30)]
    return World(out, views, pages, [(u, T0 + i) for i, u in enumerate(user_ids)], metas)


def events_of(world: World) -> list[Event]:
    found: list[Event] = []
    for s in world.subs:
        common = {"user_id": s.user, "problem_id": s.problem, "submission_id": s.sid, "language_id": s.language}
        found.append(Event(f"created:{s.sid}", EventType.SUBMISSION_CREATED, s.created, **common))  # type: ignore[arg-type]
        if s.judged is not None:
            found.append(
                Event(
                    f"judged:{s.sid}",
                    EventType.SUBMISSION_JUDGED,
                    s.judged,
                    verdict=s.verdict,
                    cpu_ms=s.cpu,
                    memory_kib=s.memory,
                    **common,  # type: ignore[arg-type]
                )
            )
    for i, (user, problem, t) in enumerate(world.views):
        found.append(Event(f"view:{i}", EventType.PROBLEM_VIEWED, t, user, problem_id=problem))
    for i, (client, t) in enumerate(world.pages):
        found.append(Event(f"page:{i}", EventType.PAGE_VIEWED, t, client_id=client, attributes={"path": "/"}))
    for user, t in world.users:
        found.append(Event(f"user:{user}", EventType.USER_REGISTERED, t, user))
    for p, meta in world.problems.items():
        attributes = {"difficulty": meta.difficulty, "tags": ",".join(meta.tags)}
        found.append(Event(f"problem:{p}", EventType.PROBLEM_CREATED, T0, problem_id=p, attributes=attributes))
    return found


def nearest_rank(values: list[int], p: int) -> int:
    values = sorted(values)
    return values[math.ceil(p / 100 * len(values)) - 1] if values else 0


def by_count(counter: Counter) -> list:
    return sorted(counter.items(), key=lambda kc: (-kc[1], kc[0]))


async def deliver(store: AnalyticsStore, events: list[Event], seed: int) -> int:
    """Shuffled, in batches of 1 to 200, a tenth of them delivered twice; returns the duplicates seen."""
    rng = random.Random(seed)
    shuffled = events[:]
    rng.shuffle(shuffled)
    redelivered = rng.sample(shuffled, len(shuffled) // 10)
    stream = shuffled + redelivered
    duplicates = 0
    i = 0
    while i < len(stream):
        size = rng.randint(1, 200)
        recorded, dup = await store.ingest(stream[i : i + size])
        assert recorded + dup == len(stream[i : i + size])
        duplicates += dup
        i += size
    return duplicates


async def sql_store(request: pytest.FixtureRequest, kind: str, name: str, tmp_path) -> SqlAnalyticsStore:  # type: ignore[no-untyped-def]
    if kind == "postgres":
        url = request.getfixturevalue("postgres").create_database(f"analytics_{uuid.uuid4().hex[:12]}")
        engine = make_engine(url, pool_size=20, max_overflow=20)
    else:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/{name}.db")
    sql = SqlAnalyticsStore(engine)
    await sql.migrate()
    await sql.migrate()  # idempotent
    return sql


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[AnalyticsStore]:  # type: ignore[no-untyped-def]
    if request.param == "memory":
        yield InMemoryAnalyticsStore()
        return
    sql = await sql_store(request, request.param, "analytics", tmp_path)
    yield sql
    await sql.engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_a_rebuild_from_the_events_equals_incremental_ingest(
    request: pytest.FixtureRequest, tmp_path, kind: str
) -> None:  # type: ignore[no-untyped-def]
    w = generate(9, users=8, problems=4, subs=300)
    events = events_of(w)
    incremental = await sql_store(request, kind, "incremental", tmp_path)
    bulk = await sql_store(request, kind, "bulk", tmp_path)
    try:
        await deliver(incremental, events, 3)
        assert await bulk.load_raw(events[:500]) == 500
        assert await bulk.load_raw(events) == len(events) - 500  # duplicates are not stored twice
        await bulk.rebuild()
        await bulk.rebuild()  # repeatable
        days = DayRange(T0 // DAY, T0 // DAY + 13)
        zone = zoneinfo.ZoneInfo("Asia/Kathmandu")
        for problem in w.problems:
            assert await bulk.problem_insights(problem, days) == await incremental.problem_insights(problem, days)
        for user in sorted({s.user for s in w.subs}):
            assert await bulk.user_insights(user, zone, 20, NOW, {}) == await incremental.user_insights(
                user, zone, 20, NOW, {}
            )
        assert await bulk.platform_stats(days, NOW) == await incremental.platform_stats(days, NOW)
    finally:
        await incremental.engine.dispose()
        await bulk.engine.dispose()


@pytest.fixture
async def world(store: AnalyticsStore) -> World:
    w = generate(7)
    events = events_of(w)
    duplicates = await deliver(store, events, 11)
    assert duplicates == len(events) // 10
    return w


def expected_problem(w: World, problem: str, days: DayRange) -> dict:
    def in_range(t: int) -> bool:
        return days.start_day <= t // DAY < days.end_day

    judged = [s for s in w.subs if s.problem == problem and s.judged is not None]
    ranged = [s for s in judged if in_range(s.judged)]  # type: ignore[arg-type]
    accepted = [s for s in ranged if s.verdict == AC]
    attempts: Counter[int] = Counter()
    solve_times = []
    for user in {s.user for s in judged}:
        mine = [s for s in judged if s.user == user]
        wins = [s.judged for s in mine if s.verdict == AC]
        if not wins:
            continue
        first_win = min(wins)  # type: ignore[type-var]
        if not in_range(first_win):  # type: ignore[arg-type]
            continue
        attempts[sum(1 for s in mine if s.verdict != AC and s.judged < first_win)] += 1  # type: ignore[operator]
        first_try = min(
            min(s.created, s.judged or s.created) for s in w.subs if s.user == user and s.problem == problem
        )
        solve_times.append(first_win - first_try)  # type: ignore[operator]
    return {
        "view_count": sum(1 for _, p, t in w.views if p == problem and in_range(t)),
        "submission_count": len(ranged),
        "accepted_count": len(accepted),
        "solver_count": len({s.user for s in accepted}),
        "attempter_count": len({s.user for s in ranged}),
        "verdicts": by_count(Counter(s.verdict for s in ranged)),
        "languages": by_count(Counter(s.language for s in ranged)),
        "cpu_p50_ms": nearest_rank([s.cpu for s in accepted], 50),
        "cpu_p90_ms": nearest_rank([s.cpu for s in accepted], 90),
        "memory_p50_kib": nearest_rank([s.memory for s in accepted], 50),
        "memory_p90_kib": nearest_rank([s.memory for s in accepted], 90),
        "attempts_before_first_accept": sorted(attempts.items()),
        "time_to_solve_ms": [(p, nearest_rank(solve_times, p)) for p in (25, 50, 75, 90)] if solve_times else [],
    }


@pytest.mark.parametrize("window", [(0, 100_000), (3, 9), (11, 12)])
async def test_problem_insights_match_an_independent_count(store: AnalyticsStore, world: World, window) -> None:
    start, end = window
    days = DayRange(T0 // DAY + start, T0 // DAY + end) if end < 100_000 else DayRange(0, 100_000)
    for problem in world.problems:
        got = await store.problem_insights(problem, days)
        want = expected_problem(world, problem, days)
        assert {k: getattr(got, k) for k in want} == want, problem
    assert (await store.problem_insights("nope", days)).submission_count == 0


@pytest.mark.parametrize("zone_name", ["UTC", "Asia/Kathmandu", "America/Los_Angeles"])
async def test_user_insights_match_an_independent_count(store: AnalyticsStore, world: World, zone_name: str) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)

    def local(t: int) -> dt.date:
        return dt.datetime.fromtimestamp(t / 1000, zone).date()

    today = local(NOW)
    for user in sorted({s.user for s in world.subs}):
        judged = [s for s in world.subs if s.user == user and s.judged is not None]
        first_win: dict[str, int] = {}
        for s in judged:
            if s.verdict == AC:
                first_win[s.problem] = min(first_win.get(s.problem, s.judged), s.judged)  # type: ignore[arg-type, type-var]
        tried = {s.problem for s in judged}
        per_day = Counter(local(s.judged) for s in judged)  # type: ignore[arg-type]
        active = sorted(per_day)
        longest = best = 0
        for i, day in enumerate(active):
            best = best + 1 if i and (day - active[i - 1]).days == 1 else 1
            longest = max(longest, best)
        current = 0
        cursor = today if today in per_day else today - dt.timedelta(days=1)
        while cursor in per_day:
            current, cursor = current + 1, cursor - dt.timedelta(days=1)
        difficulty: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        tags: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for p in tried:
            meta = world.problems[p]
            for bucket in (difficulty[meta.difficulty], *(tags[t] for t in meta.tags)):
                bucket[0] += p in first_win
                bucket[1] += 1
        got = await store.user_insights(user, zone, 14, NOW, {})
        assert got.time_zone == zone_name
        assert (got.solved_count, got.attempted_count, got.submission_count) == (
            len(first_win),
            len(tried),
            len(judged),
        )
        assert got.accepted_count == sum(1 for s in judged if s.verdict == AC)
        assert got.verdicts == by_count(Counter(s.verdict for s in judged))
        assert got.languages == by_count(Counter(s.language for s in judged))
        days = [today - dt.timedelta(days=n) for n in range(13, -1, -1)]
        solved_on = Counter(local(t) for t in first_win.values())
        assert [(a.date, a.submission_count, a.solved_count) for a in got.activity] == [
            (d, per_day.get(d, 0), solved_on.get(d, 0)) for d in days
        ]
        assert (got.current_streak_days, got.longest_streak_days) == (current, longest), user
        order = {d: i for i, d in enumerate(DIFFICULTY)}
        assert [(g.group, g.solved_count, g.attempted_count) for g in got.by_difficulty] == [
            (d, s, a) for d, (s, a) in sorted(difficulty.items(), key=lambda kv: order[kv[0]])
        ]
        want_tags = sorted(tags.items(), key=lambda kv: (kv[1][0] / kv[1][1], -kv[1][1], kv[0]))
        assert [(g.group, g.solved_count, g.attempted_count) for g in got.by_tag] == [
            (t, s, a) for t, (s, a) in want_tags
        ]
        if len(want_tags) > 1:
            assert got.by_tag[0].solve_rate <= got.by_tag[-1].solve_rate  # weakest first
    nobody = await store.user_insights("nobody", zoneinfo.ZoneInfo("UTC"), 3, NOW, {})
    assert nobody.submission_count == 0 and [a.submission_count for a in nobody.activity] == [0, 0, 0]


async def test_platform_stats_match_an_independent_count(store: AnalyticsStore, world: World) -> None:
    first_day = T0 // DAY + 2
    days = DayRange(first_day, first_day + 8)
    got = await store.platform_stats(days, NOW)
    judged = [s for s in world.subs if s.judged is not None]
    in_range = [s for s in judged if s.judged // DAY in days]  # type: ignore[operator]
    since = (NOW // 900_000 - 95) * 900_000
    activity: dict[int, set[str]] = defaultdict(set)
    recent: set[str] = set()
    stamps = [(s.user, s.created) for s in world.subs] + [(s.user, s.judged) for s in judged]
    stamps += [(u, t) for u, _, t in world.views] + world.users
    for user, t in stamps:
        activity[t // DAY].add(user)  # type: ignore[operator]
        if t >= since:  # type: ignore[operator]
            recent.add(user)
    waits = [s.judged - s.created for s in in_range]  # type: ignore[operator]
    assert got.user_count == len(world.users) and got.problem_count == len(world.problems)
    assert (got.submission_count, got.accepted_count) == (len(judged), sum(1 for s in judged if s.verdict == AC))
    assert got.submission_count_24h == sum(1 for s in judged if s.judged >= since)  # type: ignore[operator]
    assert got.active_user_count_24h == len(recent)
    assert got.verdicts == by_count(Counter(s.verdict for s in judged))
    assert got.range_verdicts == by_count(Counter(s.verdict for s in in_range))
    assert got.languages == by_count(Counter(s.language for s in judged))
    assert got.top_problems == by_count(Counter(s.problem for s in judged))[:10]
    assert [(d.day, d.active_user_count, d.submission_count, d.accepted_count) for d in got.per_day] == [
        (
            day,
            len(activity.get(day, ())),
            sum(1 for s in judged if s.judged // DAY == day),  # type: ignore[operator]
            sum(1 for s in judged if s.judged // DAY == day and s.verdict == AC),  # type: ignore[operator]
        )
        for day in range(days.start_day, days.end_day)
    ]
    assert got.judge_queue_length == sum(1 for s in world.subs if s.judged is None) > 0
    assert (got.judge_wait_p50_ms, got.judge_wait_p95_ms) == (nearest_rank(waits, 50), nearest_rank(waits, 95))
    assert got.judge_wait_p95_ms == 40_000  # the generator's slow tail


async def test_redelivery_changes_nothing(store: AnalyticsStore) -> None:
    w = generate(3, users=4, problems=2, subs=60)
    events = events_of(w)
    assert await store.ingest(events) == (len(events), 0)
    days = DayRange(0, 100_000)
    before = [await store.problem_insights(p, days) for p in w.problems], await store.platform_stats(days, NOW)
    assert await store.ingest(events[::-1]) == (0, len(events))
    assert await store.ingest(events[:5] + events[:5]) == (0, 10)
    after = [await store.problem_insights(p, days) for p in w.problems], await store.platform_stats(days, NOW)
    assert after == before


async def test_a_verdict_before_its_submission_still_counts_once(store: AnalyticsStore) -> None:
    common = {"user_id": "ann", "problem_id": "p", "submission_id": "s1", "language_id": "cpp"}
    judged = Event("j", EventType.SUBMISSION_JUDGED, T0 + 9000, verdict=AC, cpu_ms=5, **common)  # type: ignore[arg-type]
    created = Event("c", EventType.SUBMISSION_CREATED, T0 + 1000, **common)  # type: ignore[arg-type]
    assert await store.ingest([judged]) == (1, 0)
    stats = await store.platform_stats(DayRange(T0 // DAY, T0 // DAY + 1), NOW)
    assert stats.judge_queue_length == 0 and stats.judge_wait_p50_ms == 0
    assert await store.ingest([created]) == (1, 0)
    stats = await store.platform_stats(DayRange(T0 // DAY, T0 // DAY + 1), NOW)
    assert stats.judge_queue_length == 0 and stats.judge_wait_p50_ms == 8000
    insights = await store.problem_insights("p", DayRange(0, 100_000))
    assert insights.time_to_solve_ms == [(25, 8000), (50, 8000), (75, 8000), (90, 8000)]
    assert insights.attempts_before_first_accept == [(0, 1)]


async def test_concurrent_batches_count_every_event_once(store: AnalyticsStore) -> None:
    w = generate(5, users=6, problems=3, subs=300)
    events = events_of(w)
    rng = random.Random(1)
    rng.shuffle(events)
    chunks = [events[i : i + 37] for i in range(0, len(events), 37)]
    results = await asyncio.gather(*(store.ingest(c + c[:3]) for c in chunks * 2))
    assert sum(r for r, _ in results) == len(events)
    days = DayRange(0, 100_000)
    for problem in w.problems:
        got = await store.problem_insights(problem, days)
        want = expected_problem(w, problem, days)
        assert {k: getattr(got, k) for k in want} == want
    stats = await store.platform_stats(DayRange(T0 // DAY, T0 // DAY + 13), NOW)
    assert stats.judge_queue_length == sum(1 for s in w.subs if s.judged is None)


async def test_problem_facts_can_be_added_later(store: AnalyticsStore) -> None:
    common = {"user_id": "ann", "problem_id": "late", "submission_id": "s1", "language_id": "cpp"}
    await store.ingest([Event("j", EventType.SUBMISSION_JUDGED, T0, verdict=AC, **common)])  # type: ignore[arg-type]
    assert await store.user_problems("ann") == ["late"]
    assert await store.problem_metas(["late"]) == {}
    await store.put_problem_metas({"late": ProblemMeta("DIFFICULTY_HARD", ("dp",))})
    assert await store.problem_metas(["late", "other"]) == {"late": ProblemMeta("DIFFICULTY_HARD", ("dp",))}
    got = await store.user_insights("ann", zoneinfo.ZoneInfo("UTC"), 1, NOW, {})
    assert [(g.group, g.solved_count) for g in got.by_difficulty] == [("DIFFICULTY_HARD", 1)]
    assert [g.group for g in got.by_tag] == ["dp"]
