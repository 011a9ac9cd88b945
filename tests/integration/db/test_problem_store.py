"""The problem store on real PostgreSQL: round trips, filters and pages, and exact counters under concurrency."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import uuid

import pytest

from arena.kit.auth import Identity
from arena.kit.db import make_engine
from arena.kit.errors import AlreadyExists, InvalidArgument, NotFound
from arena.kit.ids import new_id
from arena.problem.app import ProblemApp
from arena.problem.domain import Checker, CheckerKind, Content, Difficulty, Problem, Visibility, validate
from arena.problem.domain import TestCase as Case
from arena.problem.store import ORDERS, Filters, SqlProblemStore

pytestmark = pytest.mark.timeout(120)

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
ALICE = Identity("alice", "alice", frozenset({"USER", "SETTER"}), "t", "s", 9e9)
BOB = Identity("bob", "bob", frozenset({"USER", "SETTER"}), "t", "s", 9e9)


@pytest.fixture
async def store(postgres):
    url = postgres.create_database(f"problem_{uuid.uuid4().hex[:12]}")
    engine = make_engine(url, pool_size=20, max_overflow=20)
    store = SqlProblemStore(engine)
    await store.migrate()
    await store.migrate()  # idempotent
    yield store
    await engine.dispose()


def content(**changes) -> Content:
    base = Content(
        slug="",
        title="Sum of Two",
        statement="Print the sum.",
        difficulty=Difficulty.EASY,
        tags=("math",),
        time_limit_ms=1000,
        memory_limit_kib=256 * 1024,
        checker=Checker(),
        visibility=Visibility.PUBLIC,
        sample_tests=(Case("1 2\n", "3\n", True, "why"),),
        hidden_tests=(Case("40 2\n", "42\n", False),),
    )
    return validate(dataclasses.replace(base, **changes))


_tick = itertools.count(1)


async def insert(store: SqlProblemStore, author: str = "alice", when: dt.datetime | None = None, **changes) -> Problem:
    return await store.insert(new_id(), content(**changes), author, when or T0 + dt.timedelta(seconds=next(_tick)))


async def test_a_problem_round_trips_with_tests_tags_and_checker(store: SqlProblemStore):
    checker = Checker(CheckerKind.FLOAT, absolute_tolerance=1.5e-7, relative_tolerance=0.25)
    created = await insert(
        store,
        slug="round-trip",
        tags=("graphs", "dp"),
        checker=checker,
        statement="Unicode: ∑ café 🚀",
        sample_tests=(Case("a\n", "b\n", True, "x"), Case("c\n", "d\n", True)),
        hidden_tests=(Case("h1", "o1", False), Case("h2", "o2", False), Case("h3", "o3", False)),
    )
    for key in (created.problem_id, "round-trip"):
        found = await store.get(key)
        assert found == created
    assert created.content.checker == checker
    assert created.content.tags == ("dp", "graphs")
    assert created.content.statement == "Unicode: ∑ café 🚀"
    assert created.hidden_test_count == 3
    assert [(t.ordinal, t.sample, t.input) for t in created.tests] == [
        (1, True, "a\n"),
        (2, True, "c\n"),
        (3, False, "h1"),
        (4, False, "h2"),
        (5, False, "h3"),
    ]
    assert created.create_time.tzinfo is not None
    summary = await store.get(created.problem_id, with_tests=False)
    assert summary is not None and summary.content.sample_tests == summary.content.hidden_tests == ()
    assert summary.hidden_test_count == 3  # the count is stored, not derived from loaded tests


async def test_replace_content_and_soft_delete(store: SqlProblemStore):
    created = await insert(store, slug="to-change")
    changed = dataclasses.replace(created.content, title="Changed", tags=("new",), hidden_tests=())
    updated = await store.replace_content(created.problem_id, changed, T0 + dt.timedelta(days=1))
    assert updated is not None
    assert (updated.revision, updated.content.title, updated.content.tags, updated.hidden_test_count) == (
        2,
        "Changed",
        ("new",),
        0,
    )
    assert updated.update_time == T0 + dt.timedelta(days=1) and updated.create_time == created.create_time
    assert [t.sample for t in updated.tests] == [True]
    await store.soft_delete(created.problem_id, T0 + dt.timedelta(days=2))
    assert await store.get(created.problem_id) is None
    assert await store.get("to-change") is None
    assert await store.summaries([created.problem_id]) == []
    assert await store.replace_content(created.problem_id, changed, T0) is None
    assert (await store.list(Filters(viewer_is_admin=True), "create_time", 10, None)).total == 0


async def test_filters_orders_and_pages(store: SqlProblemStore):
    specs = [
        ("graph walk", Difficulty.MEDIUM, ("graphs",)),
        ("apple picking", Difficulty.EASY, ("greedy",)),
        ("binary lifting", Difficulty.HARD, ("graphs", "trees")),
        ("coin change", Difficulty.MEDIUM, ("dp",)),
        ("dynamic graph", Difficulty.HARD, ("graphs", "dp")),
        ("hidden graph", Difficulty.HARD, ("graphs",)),
    ]
    same_time = T0 + dt.timedelta(hours=1)
    made = {}
    for i, (title, difficulty, tags) in enumerate(specs):
        made[title] = await insert(
            store,
            title=title,
            difficulty=difficulty,
            tags=tags,
            when=same_time if i % 2 else None,  # some creation times tie
            visibility=Visibility.HIDDEN if title.startswith("hidden") else Visibility.PUBLIC,
        )

    async def titles(filters: Filters, order: str = "title") -> tuple[list[str], int]:
        page = await store.list(filters, order, 100, None)
        return [p.content.title for p in page.problems], page.total

    assert await titles(Filters(tag="graphs")) == (["binary lifting", "dynamic graph", "graph walk"], 3)
    assert await titles(Filters(tag="graphs", viewer_id="alice")) == (
        ["binary lifting", "dynamic graph", "graph walk", "hidden graph"],
        4,
    )
    assert (await titles(Filters(tag="graphs", viewer_id="bob")))[1] == 3
    assert (await titles(Filters(tag="graphs", viewer_is_admin=True)))[1] == 4
    assert await titles(Filters(difficulty=Difficulty.MEDIUM)) == (["coin change", "graph walk"], 2)
    assert await titles(Filters(query="GRAPH")) == (["dynamic graph", "graph walk"], 2)
    assert await titles(Filters(query="%")) == ([], 0)
    assert await titles(Filters(tag="graphs", difficulty=Difficulty.HARD, query="lift")) == (["binary lifting"], 1)

    for likers, title in ((3, "coin change"), (1, "apple picking"), (3, "graph walk")):
        for n in range(likers):
            await store.mark("like", made[title].problem_id, f"u{n}", True, T0)
    everything = Filters(viewer_is_admin=True)
    problems = (await store.list(everything, "create_time", 100, None)).problems
    keys = {
        "create_time desc": lambda p: (p.create_time, p.problem_id),
        "create_time": lambda p: (p.create_time, p.problem_id),
        "title": lambda p: (p.content.title, p.problem_id),
        "difficulty": lambda p: (p.content.difficulty.value, p.problem_id),
        "like_count desc": lambda p: (p.like_count, p.problem_id),
    }
    for order in ORDERS:
        expected = [p.problem_id for p in sorted(problems, key=keys[order], reverse=order.endswith(" desc"))]
        for size in (1, 2, 5, 6):
            seen, cursor = [], None
            while True:
                page = await store.list(everything, order, size, cursor)
                assert page.total == 6
                seen.extend(p.problem_id for p in page.problems)
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert seen == expected, (order, size)


async def test_concurrent_likes_by_many_users_keep_the_counter_exact(store: SqlProblemStore):
    problem = await insert(store, slug="popular")
    users = [f"user{i:03d}" for i in range(60)]

    async def like(user: str, on: bool) -> int:
        return await store.mark("like", problem.problem_id, user, on, T0)

    counts = await asyncio.gather(*(like(u, True) for u in users))
    assert all(1 <= c <= len(users) for c in counts)
    assert (await store.get(problem.problem_id)).like_count == len(users)
    # Everyone likes again while half take their like back: repeats change nothing.
    await asyncio.gather(*(like(u, True) for u in users[30:]), *(like(u, False) for u in users[:30]))
    assert (await store.get(problem.problem_id)).like_count == 30
    liked, _ = await store.marks("user045", [problem.problem_id])
    assert liked == {problem.problem_id}
    assert await store.marks("user005", [problem.problem_id]) == (set(), set())


async def test_concurrent_bookmarks_keep_their_own_counter(store: SqlProblemStore):
    problem = await insert(store, slug="saved")
    users = [f"user{i:03d}" for i in range(40)]
    await asyncio.gather(
        *(
            store.mark("bookmark", problem.problem_id, u, True, T0 + dt.timedelta(seconds=i))
            for i, u in enumerate(users)
        ),
        *(store.mark("like", problem.problem_id, u, True, T0) for u in users[:10]),
    )
    found = await store.get(problem.problem_id)
    assert (found.bookmark_count, found.like_count) == (40, 10)
    mine, cursor = await store.bookmarks("user007", 10, None)
    assert [p.problem_id for p in mine] == [problem.problem_id] and cursor is None


async def test_two_concurrent_creates_with_one_slug_one_wins(store: SqlProblemStore):
    results = await asyncio.gather(
        *(insert(store, author=f"setter{i}", slug="contested", title=f"Contested {i}") for i in range(2)),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, Problem)]
    lost = [r for r in results if not isinstance(r, Problem)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], AlreadyExists) and lost[0].reason == "SLUG_TAKEN"
    assert await store.get("contested") == won[0]
    assert (await store.list(Filters(), "create_time", 10, None)).total == 1


async def test_many_concurrent_creates_with_one_slug_one_wins(store: SqlProblemStore):
    results = await asyncio.gather(
        *(insert(store, author=f"setter{i}", slug="crowded", tags=("a", "b")) for i in range(8)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Problem) for r in results) == 1
    assert all(isinstance(r, AlreadyExists) for r in results if not isinstance(r, Problem)), results
    # The losers left no tags or tests behind.
    page = await store.list(Filters(tag="a"), "create_time", 10, None)
    assert page.total == 1 and len(page.problems[0].content.tags) == 2


async def test_the_app_on_postgres_end_to_end(store: SqlProblemStore):
    app = ProblemApp(store)
    created = await app.create(ALICE, content(slug="app-pg"))
    with pytest.raises(AlreadyExists):
        await app.create(BOB, content(slug="app-pg", title="Other"))
    other = await app.create(BOB, content(slug="other-pg", title="Other"))
    with pytest.raises(AlreadyExists) as caught:
        await app.update(BOB, other.problem_id, {"slug": "app-pg"})
    assert caught.value.reason == "SLUG_TAKEN"
    assert (await app.get("other-pg", None)).problem.revision == 1
    user = Identity("u1", "u1", frozenset({"USER"}), "t", "s", 9e9)
    assert await app.mark("like", user, "app-pg", True) == 1
    assert await app.mark("like", user, "app-pg", True) == 1
    assert await app.mark("like", user, "app-pg", False) == 0
    assert await app.mark("like", user, "app-pg", True) == 1
    second = Identity("u2", "u2", frozenset({"USER"}), "t", "s", 9e9)
    assert await app.mark("like", second, created.problem_id, True) == 2
    assert await app.mark("like", second, created.problem_id, False) == 1
    await app.mark("bookmark", user, created.problem_id, True)
    await app.mark("bookmark", user, other.problem_id, True)
    viewed = await app.get(created.problem_id, user)
    assert viewed.liked and viewed.bookmarked and viewed.problem.like_count == 1
    await app.delete(ALICE, created.problem_id)
    with pytest.raises(NotFound):
        await app.get("app-pg", user)
    bookmarked, _ = await app.bookmarks(user, 10, None)
    assert [v.problem.problem_id for v in bookmarked] == [other.problem_id]
    with pytest.raises(InvalidArgument):
        await app.create(ALICE, dataclasses.replace(content(), slug="Bad Slug"))


async def test_a_title_at_the_limit_is_stored_whatever_its_letters(store: SqlProblemStore):
    title = "\u0130" * 120  # "İ": one character, whose lowercase is two
    created = await insert(store, slug="dotted-i", title=title)
    assert created.content.title == title
    assert [p.problem_id for p in (await store.list(Filters(query="\u0130"), "title", 10, None)).problems] == [
        created.problem_id
    ]


async def test_a_slug_equal_to_another_id_does_not_hijack_it(store: SqlProblemStore):
    app = ProblemApp(store)
    victim = await app.create(ALICE, content(title="Victim"))
    try:
        await app.create(BOB, content(title="Impostor", slug=victim.problem_id, hidden_tests=(Case("x", "y", False),)))
    except InvalidArgument:
        return
    # An update writes a new row version after the impostor's: a scan by id or slug now meets the impostor first.
    await app.update(ALICE, victim.problem_id, {"statement": "Edited."})
    assert (await app.get(victim.problem_id, None)).problem.content.title == "Victim"
    assert (await app.judge_bundle(victim.problem_id)).content.title == "Victim"
