"""One contract for every ProblemStore: the in-memory fake, SQLite and PostgreSQL pass the same assertions.

The use-case tests (tests/unit/problem/test_app.py) run on the in-memory store; this file is what
makes that trustworthy. It holds the races the SQL stores must win (concurrent likes and bookmarks
counted exactly, one winner among concurrent creates with one slug), and that the SQL translation
of the domain's visibility rule lists exactly what ``domain.can_see`` allows, for every caller.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest

from arena.core.errors import AlreadyExists, InvalidArgument, NotFound
from arena.core.identity import Identity
from arena.kit.db import make_engine
from arena.problem.app import ProblemApp
from arena.problem.domain import (
    ORDERS,
    Checker,
    CheckerKind,
    Difficulty,
    Filters,
    Interactor,
    Problem,
    TestGroup,
    Visibility,
    VisibleProblems,
    can_see,
    visible_to,
)
from arena.problem.domain import TestCase as Case
from arena.problem.store import InMemoryProblemStore, ProblemStore, SqlProblemStore
from support.problems import ALICE, BOB, ROOT, T0, USER, caller, insert, valid

pytestmark = pytest.mark.timeout(120)

EVERYTHING = VisibleProblems(all_hidden=True)
ANONYMOUS = visible_to(None)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[ProblemStore]:
    if request.param == "memory":
        yield InMemoryProblemStore()
        return
    if request.param == "postgres":
        url = request.getfixturevalue("postgres").create_database(f"problem_{uuid.uuid4().hex[:12]}")
        engine = make_engine(url, pool_size=20, max_overflow=20)
    else:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/problem.db")
    sql = SqlProblemStore(engine)
    await sql.migrate()
    await sql.migrate()  # idempotent
    yield sql
    await engine.dispose()


async def test_a_problem_round_trips_with_tests_tags_and_checker(store: ProblemStore):
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


async def test_test_groups_and_a_checker_program_round_trip(store: ProblemStore):
    checker = Checker(CheckerKind.PROGRAM, program_language_id="cpp", program_source="int main() { return 0; }\n")
    groups = (TestGroup("n <= 10", 30, (2,)), TestGroup("full", 70.5, (3, 4)))
    created = await insert(
        store,
        slug="subtasks",
        checker=checker,
        hidden_tests=(Case("h1", "o1", False), Case("h2", "o2", False), Case("h3", "o3", False)),
        test_groups=groups,
        run_whole_failed_groups=True,
    )
    found = await store.get(created.problem_id)
    assert found == created
    assert found is not None
    assert (found.content.checker, found.content.test_groups, found.content.run_whole_failed_groups) == (
        checker,
        groups,
        True,
    )
    changed = dataclasses.replace(created.content, test_groups=(), run_whole_failed_groups=False, checker=Checker())
    updated = await store.replace_content(created.problem_id, changed, T0 + dt.timedelta(days=1))
    assert updated is not None and updated.content.test_groups == () and updated.content.checker == Checker()


async def test_an_interactor_round_trips(store: ProblemStore):
    interactor = Interactor("python3", "import sys\nsys.exit(0)\n")
    created = await insert(store, slug="interactive", interactor=interactor)
    found = await store.get(created.problem_id)
    assert found == created and found is not None and found.content.interactor == interactor
    changed = dataclasses.replace(created.content, interactor=Interactor())
    updated = await store.replace_content(created.problem_id, changed, T0 + dt.timedelta(days=1))
    assert updated is not None and not updated.content.interactor.present


async def test_replace_content_and_soft_delete(store: ProblemStore):
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
    assert (await store.list(Filters(), "create_time", 10, None, EVERYTHING)).total == 0


async def test_filters_orders_and_pages(store: ProblemStore):
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

    async def titles(
        filters: Filters, order: str = "title", visible: VisibleProblems = ANONYMOUS
    ) -> tuple[list[str], int]:
        page = await store.list(filters, order, 100, None, visible)
        return [p.content.title for p in page.problems], page.total

    assert await titles(Filters(tag="graphs")) == (["binary lifting", "dynamic graph", "graph walk"], 3)
    assert await titles(Filters(tag="graphs"), visible=visible_to(ALICE)) == (
        ["binary lifting", "dynamic graph", "graph walk", "hidden graph"],
        4,
    )
    assert (await titles(Filters(tag="graphs"), visible=visible_to(BOB)))[1] == 3
    assert (await titles(Filters(tag="graphs"), visible=visible_to(ROOT)))[1] == 4
    assert await titles(Filters(difficulty=Difficulty.MEDIUM)) == (["coin change", "graph walk"], 2)
    assert await titles(Filters(query="GRAPH")) == (["dynamic graph", "graph walk"], 2)
    assert await titles(Filters(query="%")) == ([], 0)
    assert await titles(Filters(tag="graphs", difficulty=Difficulty.HARD, query="lift")) == (["binary lifting"], 1)

    for likers, title in ((3, "coin change"), (1, "apple picking"), (3, "graph walk")):
        for n in range(likers):
            await store.mark("like", made[title].problem_id, f"u{n}", True, T0)
    problems = (await store.list(Filters(), "create_time", 100, None, EVERYTHING)).problems
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
                page = await store.list(Filters(), order, size, cursor, EVERYTHING)
                assert page.total == 6
                seen.extend(p.problem_id for p in page.problems)
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert seen == expected, (order, size)


async def test_concurrent_likes_by_many_users_keep_the_counter_exact(store: ProblemStore):
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


async def test_concurrent_bookmarks_keep_their_own_counter(store: ProblemStore):
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
    mine, cursor = await store.bookmarks("user007", visible_to(None), 10, None)
    assert [p.problem_id for p in mine] == [problem.problem_id] and cursor is None


async def test_two_concurrent_creates_with_one_slug_one_wins(store: ProblemStore):
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


async def test_many_concurrent_creates_with_one_slug_one_wins(store: ProblemStore):
    results = await asyncio.gather(
        *(insert(store, author=f"setter{i}", slug="crowded", tags=("a", "b")) for i in range(8)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Problem) for r in results) == 1
    assert all(isinstance(r, AlreadyExists) for r in results if not isinstance(r, Problem)), results
    # The losers left no tags or tests behind.
    page = await store.list(Filters(tag="a"), "create_time", 10, None)
    assert page.total == 1 and len(page.problems[0].content.tags) == 2


async def test_the_app_end_to_end(store: ProblemStore):
    app = ProblemApp(store)
    created = await app.create(ALICE, valid(slug="app-pg"))
    with pytest.raises(AlreadyExists):
        await app.create(BOB, valid(slug="app-pg", title="Other"))
    other = await app.create(BOB, valid(slug="other-pg", title="Other"))
    with pytest.raises(AlreadyExists) as caught:
        await app.update(BOB, other.problem_id, {"slug": "app-pg"})
    assert caught.value.reason == "SLUG_TAKEN"
    assert (await app.get("other-pg", None)).problem.revision == 1
    user = caller("u1")
    assert await app.mark("like", user, "app-pg", True) == 1
    assert await app.mark("like", user, "app-pg", True) == 1
    assert await app.mark("like", user, "app-pg", False) == 0
    assert await app.mark("like", user, "app-pg", True) == 1
    second = caller("u2")
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
        await app.create(ALICE, dataclasses.replace(valid(), slug="Bad Slug"))


async def test_a_title_at_the_limit_is_stored_whatever_its_letters(store: ProblemStore):
    title = "\u0130" * 120  # "İ": one character, whose lowercase is two
    created = await insert(store, slug="dotted-i", title=title)
    assert created.content.title == title
    assert [p.problem_id for p in (await store.list(Filters(query="\u0130"), "title", 10, None)).problems] == [
        created.problem_id
    ]


async def test_a_slug_equal_to_another_id_does_not_hijack_it(store: ProblemStore):
    app = ProblemApp(store)
    victim = await app.create(ALICE, valid(title="Victim"))
    try:
        await app.create(BOB, valid(title="Impostor", slug=victim.problem_id, hidden_tests=(Case("x", "y", False),)))
    except InvalidArgument:
        return
    # An update writes a new row version after the impostor's: a scan by id or slug now meets the impostor first.
    await app.update(ALICE, victim.problem_id, {"statement": "Edited."})
    assert (await app.get(victim.problem_id, None)).problem.content.title == "Victim"
    assert (await app.judge_bundle(victim.problem_id)).content.title == "Victim"


# -- the domain's visibility rule, translated: the store lists exactly what can_see allows ---------

CALLERS: list[Identity | None] = [None, USER, ALICE, BOB, ROOT]


async def test_lists_and_bookmarks_show_exactly_what_the_domain_lets_each_caller_see(store: ProblemStore):
    made = [
        await insert(store, author=author, slug=f"{author}-{visibility.name.lower()}", visibility=visibility)
        for author in ("alice", "bob")
        for visibility in Visibility
    ]
    gone = await insert(store, author="alice", slug="alice-deleted", visibility=Visibility.HIDDEN)
    await store.soft_delete(gone.problem_id, T0)
    for problem in (*made, gone):
        await store.mark("bookmark", problem.problem_id, "ursula", True, T0)
    for who in CALLERS:
        name = who.user_id if who else "anonymous"
        expected = {p.problem_id for p in made if can_see(p, who, T0)}
        assert expected >= {p.problem_id for p in made if p.content.visibility is Visibility.PUBLIC}, name
        visible = visible_to(who)
        for order in ORDERS:
            page = await store.list(Filters(), order, 100, None, visible)
            assert {p.problem_id for p in page.problems} == expected and page.total == len(expected), (name, order)
        page = await store.list(Filters(tag="math"), "title", 100, None, visible)
        assert {p.problem_id for p in page.problems} == expected, name
        bookmarked, _ = await store.bookmarks("ursula", visible, 100, None)
        assert {p.problem_id for p in bookmarked} == expected, name
    assert len({p.problem_id for p in made if can_see(p, ROOT, T0)}) == 4
    assert {p.content.slug for p in made if can_see(p, ALICE, T0)} == {"alice-public", "alice-hidden", "bob-public"}
    assert {p.content.slug for p in made if can_see(p, None, T0)} == {"alice-public", "bob-public"}


async def test_embargoed_problems_are_listed_exactly_as_the_domain_says_at_each_moment(store: ProblemStore):
    """The SQL translation of "public and not embargoed at now" against the domain's predicate, before,
    at and after an embargo's end, for every caller, in lists (each order) and bookmarks."""
    made = [
        await insert(store, author=author, slug=f"{author}-{visibility.name.lower()}-{n}", visibility=visibility)
        for author in ("alice", "bob")
        for visibility in Visibility
        for n in (1, 2)
    ]
    start, later = T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=2)
    embargoed = [p.problem_id for p in made if p.content.slug.endswith("-1")]
    await store.set_embargo("cup", embargoed, start)
    await store.set_embargo("late-cup", [made[0].problem_id], later)  # the latest end counts
    await store.set_embargo("old-cup", [made[2].problem_id], T0 - dt.timedelta(days=1))  # over: hides nothing
    for problem in made:
        await store.mark("bookmark", problem.problem_id, "ursula", True, T0)
    stored = {
        p.problem_id: p for p in (await store.list(Filters(), "title", 100, None, VisibleProblems(True))).problems
    }
    assert stored[made[0].problem_id].embargo_end == later
    assert stored[made[1].problem_id].embargo_end is None
    assert stored[made[2].problem_id].embargo_end == start  # the later of its two embargoes
    assert stored[made[4].problem_id].embargo_end == start
    for now in (T0, start - dt.timedelta(microseconds=1), start, later - dt.timedelta(seconds=1), later):
        for who in CALLERS:
            name = (who.user_id if who else "anonymous", now)
            expected = {i for i, p in stored.items() if can_see(p, who, now)}
            visible = visible_to(who)
            for order in ORDERS:
                page = await store.list(Filters(), order, 100, None, visible, now=now)
                assert {p.problem_id for p in page.problems} == expected and page.total == len(expected), name
            bookmarked, _ = await store.bookmarks("ursula", visible, 100, None, now=now)
            assert {p.problem_id for p in bookmarked} == expected, name
    public_1 = {p.problem_id for p in made if p.content.slug.endswith("public-1")}
    anonymous_at_t0 = {p.problem_id for p in (await store.list(Filters(), "title", 100, None, now=T0)).problems}
    assert not public_1 & anonymous_at_t0 and len(anonymous_at_t0) == 2
    anonymous_at_start = {p.problem_id for p in (await store.list(Filters(), "title", 100, None, now=start)).problems}
    assert anonymous_at_start == anonymous_at_t0 | {made[4].problem_id}  # made[0] waits for the late cup


async def test_an_embargo_is_replaced_whole_and_travels_with_reads(store: ProblemStore):
    a, b, c = [await insert(store, slug=slug) for slug in ("emb-a", "emb-b", "emb-c")]
    start = T0 + dt.timedelta(hours=1)
    await store.set_embargo("cup", [a.problem_id, b.problem_id], start)
    assert (await store.get(a.problem_id)).embargo_end == start
    assert (await store.get("emb-b", with_tests=False)).embargo_end == start
    await store.set_embargo("cup", [b.problem_id, c.problem_id], start + dt.timedelta(hours=1))  # replaces
    assert (await store.get(a.problem_id)).embargo_end is None
    assert {p.problem_id: p.embargo_end for p in await store.summaries(["emb-a", "emb-b", c.problem_id])} == {
        a.problem_id: None,
        b.problem_id: start + dt.timedelta(hours=1),
        c.problem_id: start + dt.timedelta(hours=1),
    }
    updated = await store.replace_content(c.problem_id, valid(slug="emb-c", title="Changed"), T0)
    assert updated is not None and updated.embargo_end == start + dt.timedelta(hours=1)
    await store.set_embargo("cup", [], None)  # lifted
    assert [p.embargo_end for p in await store.summaries(["emb-a", "emb-b", "emb-c"])] == [None, None, None]
    await store.soft_delete(c.problem_id, T0)
    assert await store.live_ids([a.problem_id, c.problem_id, "f" * 32]) == {a.problem_id}
    assert await store.live_ids([]) == set()


# -- reads by id or slug, summaries, marks ----------------------------------------------------------


async def test_an_id_wins_over_a_slug_and_deleted_problems_are_gone(store: ProblemStore):
    first = await insert(store, slug="first")
    # Not a slug the use cases accept (it looks like an id): the store must still prefer the id.
    shadow = await store.insert("f" * 32, dataclasses.replace(valid(), slug=first.problem_id), "bob", T0)
    assert (await store.get(first.problem_id)).problem_id == first.problem_id
    assert (await store.get("first")).problem_id == first.problem_id
    await store.soft_delete(first.problem_id, T0)
    assert (await store.get(first.problem_id)).problem_id == shadow.problem_id  # now only the slug matches
    assert await store.get("first") is None
    await store.soft_delete(first.problem_id, T0 + dt.timedelta(days=1))  # again: nothing happens
    summaries = await store.summaries([first.problem_id, "first", "missing"])
    assert [(p.problem_id, p.content.hidden_tests) for p in summaries] == [(shadow.problem_id, ())]


async def test_a_deleted_problems_slug_stays_taken(store: ProblemStore):
    doomed = await insert(store, slug="reserved")
    await store.soft_delete(doomed.problem_id, T0)
    with pytest.raises(AlreadyExists) as caught:
        await insert(store, slug="reserved")
    assert caught.value.reason == "SLUG_TAKEN"
    other = await insert(store, slug="other")
    with pytest.raises(AlreadyExists):
        await store.replace_content(other.problem_id, valid(slug="reserved"), T0)
    assert (await store.get("other")).revision == 1


async def test_marks_say_what_one_user_set_and_a_bookmark_keeps_its_first_time(store: ProblemStore):
    a, b, c = [await insert(store, slug=slug) for slug in ("a", "b", "c")]
    await store.mark("like", a.problem_id, "ursula", True, T0)
    await store.mark("bookmark", b.problem_id, "ursula", True, T0)
    await store.mark("bookmark", c.problem_id, "ursula", True, T0 + dt.timedelta(minutes=1))
    await store.mark("like", c.problem_id, "victor", True, T0)
    ids = [a.problem_id, b.problem_id, c.problem_id]
    assert await store.marks("ursula", ids) == ({a.problem_id}, {b.problem_id, c.problem_id})
    assert await store.marks("ursula", []) == (set(), set())
    assert await store.marks("nobody", ids) == (set(), set())
    # Setting b again later changes nothing: c stays the newest bookmark.
    assert await store.mark("bookmark", b.problem_id, "ursula", True, T0 + dt.timedelta(hours=1)) == 1
    newest, cursor = await store.bookmarks("ursula", visible_to(USER), 1, None)
    assert [p.problem_id for p in newest] == [c.problem_id] and cursor is not None
    rest, cursor = await store.bookmarks("ursula", visible_to(USER), 1, cursor)
    assert [p.problem_id for p in rest] == [b.problem_id] and cursor is None
    assert (await store.get(c.problem_id)).like_count == 1


@pytest.mark.parametrize("cursor", [["not a time", "x"], [1], ["2026-01-01T00:00:00+00:00", 5]])
async def test_a_malformed_cursor_is_an_invalid_page_token(store: ProblemStore, cursor: list):
    await insert(store, slug="one")
    for call in (
        store.list(Filters(), "create_time", 10, cursor),
        store.bookmarks("ursula", visible_to(USER), 10, cursor),
    ):
        with pytest.raises(InvalidArgument) as caught:
            await call
        assert caught.value.reason == "INVALID_PAGE_TOKEN"
