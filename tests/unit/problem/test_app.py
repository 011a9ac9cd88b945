"""The problem service's use cases on the in-memory store, and its servicer's public/private boundary.

The store contract (tests/integration/db/test_problem_store.py) holds the in-memory store to what
SQLite and PostgreSQL do, so these run without a database."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import uuid

import pytest
from google.protobuf import field_mask_pb2

from arena.common.v1 import access_pb2
from arena.core.identity import Identity
from arena.kit import context as request_context
from arena.kit.auth import authorize
from arena.kit.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from arena.kit.middleware import MethodInfo
from arena.problem.app import ProblemApp, Viewed
from arena.problem.domain import ORDERS, Checker, CheckerKind, Difficulty, Problem, TestGroup, Visibility, listing
from arena.problem.domain import TestCase as Case
from arena.problem.servicer import ProblemInternalServicer, ProblemServicer
from arena.problem.store import InMemoryProblemStore, Page
from arena.problem.v1 import (
    problem_internal_service_pb2,
    problem_pb2,
    problem_service_pb2,
)
from support.problems import ALICE, BOB, ROOT, USER, USER2, new


class Clock:
    """A clock that moves one second on every reading (so creation times differ), unless frozen."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        self.step = dt.timedelta(seconds=1)

    def __call__(self) -> dt.datetime:
        self.now += self.step
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> ProblemApp:
    return ProblemApp(InMemoryProblemStore(), clock=clock)


async def listed(
    app: ProblemApp,
    caller: Identity | None = None,
    *,
    order: str = "create_time",
    limit: int = 10,
    cursor: list | None = None,
    **filters,
) -> tuple[list[Viewed], Page]:
    """One page of ListProblems' use case, from a request's plain values."""
    return await app.list(listing(caller, order=order, **filters), limit, cursor)


# -- create and get -------------------------------------------------------------------------------


async def test_create_stores_everything_and_get_finds_it_by_id_or_slug(app: ProblemApp, clock: Clock):
    created = await new(app, slug="sum-of-two", tags=("Math", "implementation"))
    assert len(created.problem_id) == 32
    assert created.author_id == "alice"
    assert (created.revision, created.like_count, created.bookmark_count) == (1, 0, 0)
    assert created.hidden_test_count == 2
    assert created.create_time == created.update_time == clock.now
    assert created.content.tags == ("implementation", "math")  # cleaned, stored sorted
    assert [(t.ordinal, t.sample) for t in created.tests] == [(1, True), (2, False), (3, False)]
    for key in (created.problem_id, "sum-of-two"):
        viewed = await app.get(key, None)
        assert viewed.problem == created
        assert (viewed.liked, viewed.bookmarked) == (False, False)


async def test_the_slug_is_derived_from_the_title_when_empty(app: ProblemApp):
    created = await new(app, title="  Longest Path in a DAG ")
    assert created.content.slug == "longest-path-in-a-dag"
    assert created.content.title == "Longest Path in a DAG"
    assert (await app.get("longest-path-in-a-dag", USER)).problem.problem_id == created.problem_id


async def test_a_missing_problem_is_not_found(app: ProblemApp):
    with pytest.raises(NotFound):
        await app.get("nope", USER)
    with pytest.raises(NotFound):
        await app.get(uuid.uuid4().hex, None)


async def test_a_taken_slug_is_already_exists(app: ProblemApp):
    first = await new(app, slug="dup")
    with pytest.raises(AlreadyExists) as caught:
        await new(app, BOB, slug="dup", title="Another")
    assert caught.value.reason == "SLUG_TAKEN"
    # Derived slugs collide too, and nothing half-written is left behind.
    with pytest.raises(AlreadyExists):
        await new(app, BOB, title="Dup")
    page = await listed(app)
    assert [v.problem.problem_id for v in page[0]] == [first.problem_id]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "problem.title"),
        ({"title": "x" * 121}, "problem.title"),
        ({"statement": ""}, "problem.statement"),
        ({"slug": "Not A Slug"}, "problem.slug"),
        ({"tags": ("no spaces allowed",)}, "problem.tags"),
        ({"tags": tuple(f"t{i}" for i in range(11))}, "problem.tags"),
        ({"time_limit_ms": 50}, "problem.time_limit"),
        ({"time_limit_ms": 20_000}, "problem.time_limit"),
        ({"memory_limit_kib": 1024}, "problem.memory_limit_kib"),
        ({"memory_limit_kib": 4 * 1024 * 1024}, "problem.memory_limit_kib"),
        ({"checker": Checker(CheckerKind.FLOAT, absolute_tolerance=-0.5)}, "problem.checker.absolute_tolerance"),
        ({"checker": Checker(CheckerKind.FLOAT, relative_tolerance=2.0)}, "problem.checker.relative_tolerance"),
        ({"hidden_tests": tuple(Case("1", "1", False) for _ in range(100))}, "problem.hidden_tests"),
    ],
)
async def test_invalid_problems_are_refused_and_not_stored(app: ProblemApp, changes: dict, field: str):
    with pytest.raises(InvalidArgument) as caught:
        await new(app, **changes)
    assert field in {v.field for v in caught.value.violations}
    assert (await listed(app))[1].total == 0


@pytest.mark.parametrize(
    "checker",
    [
        Checker(CheckerKind.EXACT),
        Checker(CheckerKind.TOKENS),
        Checker(CheckerKind.FLOAT, absolute_tolerance=1e-4, relative_tolerance=1e-9),
        Checker(CheckerKind.FLOAT, absolute_tolerance=0.0, relative_tolerance=1.0),
    ],
)
async def test_the_checker_is_stored_and_returned(app: ProblemApp, checker: Checker):
    created = await new(app, checker=checker)
    assert created.content.checker == checker
    assert (await app.get(created.problem_id, USER)).problem.content.checker == checker
    assert (await app.judge_bundle(created.problem_id)).content.checker == checker


# -- who may write --------------------------------------------------------------------------------


def _access(method: str) -> int:
    descriptor = problem_service_pb2.DESCRIPTOR.services_by_name["ProblemService"].methods_by_name[method]
    return MethodInfo.from_descriptor(descriptor).access


@pytest.mark.parametrize("method", ["CreateProblem", "UpdateProblem", "DeleteProblem"])
def test_writes_need_the_setter_role(method: str):
    access = _access(method)
    assert access == access_pb2.ACCESS_SETTER
    with pytest.raises(PermissionDenied) as caught:
        authorize(access, USER)
    assert caught.value.reason == "ROLE_REQUIRED"
    with pytest.raises(Unauthenticated):
        authorize(access, None)
    authorize(access, ALICE)
    authorize(access, ROOT)


@pytest.mark.parametrize("method", ["LikeProblem", "BookmarkProblem", "ListBookmarks"])
def test_marks_need_a_signed_in_user(method: str):
    with pytest.raises(Unauthenticated):
        authorize(_access(method), None)
    authorize(_access(method), USER)


@pytest.mark.parametrize("method", ["GetProblem", "ListProblems", "ListTestCases"])
def test_reading_is_public(method: str):
    assert _access(method) == access_pb2.ACCESS_PUBLIC


def test_the_judge_bundle_is_internal_only():
    descriptor = problem_internal_service_pb2.DESCRIPTOR.services_by_name["ProblemInternalService"]
    assert MethodInfo.from_descriptor(descriptor.methods_by_name["GetJudgeBundle"]).access == (
        access_pb2.ACCESS_INTERNAL
    )


# -- list -----------------------------------------------------------------------------------------


async def _seed(app: ProblemApp) -> dict[str, Problem]:
    specs = [
        ("Graph Walk", Difficulty.MEDIUM, ("graphs", "bfs")),
        ("apple picking", Difficulty.EASY, ("greedy",)),
        ("Binary Lifting", Difficulty.HARD, ("trees", "graphs")),
        ("Coin Change", Difficulty.MEDIUM, ("dp",)),
        ("Dynamic Graph", Difficulty.HARD, ("graphs", "dp")),
    ]
    return {title: await new(app, title=title, difficulty=d, tags=tags) for title, d, tags in specs}


def _titles(viewed) -> list[str]:
    return [v.problem.content.title for v in viewed]


async def test_list_filters_by_difficulty_tag_and_title_text(app: ProblemApp):
    await _seed(app)

    async def titles(**filters) -> tuple[set[str], int]:
        viewed, page = await listed(app, limit=100, **filters)
        assert page.next_cursor is None
        return set(_titles(viewed)), page.total

    assert await titles() == ({"Graph Walk", "apple picking", "Binary Lifting", "Coin Change", "Dynamic Graph"}, 5)
    assert await titles(difficulty=Difficulty.MEDIUM) == ({"Graph Walk", "Coin Change"}, 2)
    assert await titles(tag="graphs") == ({"Graph Walk", "Binary Lifting", "Dynamic Graph"}, 3)
    assert await titles(tag="GRAPHS") == ({"Graph Walk", "Binary Lifting", "Dynamic Graph"}, 3)
    assert await titles(query="graph") == ({"Graph Walk", "Dynamic Graph"}, 2)
    assert await titles(query="APPLE") == ({"apple picking"}, 1)
    assert await titles(tag="graphs", difficulty=Difficulty.HARD) == ({"Binary Lifting", "Dynamic Graph"}, 2)
    assert await titles(tag="graphs", query="walk", difficulty=Difficulty.MEDIUM) == ({"Graph Walk"}, 1)
    assert await titles(tag="nothing") == (set(), 0)
    assert await titles(query="zebra") == (set(), 0)


async def test_title_search_treats_like_wildcards_literally(app: ProblemApp):
    await new(app, title="100% Correct", slug="percent")
    await new(app, title="snake_case names", slug="underscore")
    await new(app, title="Plain words", slug="plain")
    for query, expected in (("%", {"100% Correct"}), ("_", {"snake_case names"}), ("e_c", {"snake_case names"})):
        viewed, _ = await listed(app, order="title", query=query)
        assert set(_titles(viewed)) == expected, query


async def _all_pages(app: ProblemApp, order: str, size: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        viewed, page = await listed(app, order=order, limit=size, cursor=cursor)
        pages.append([v.problem.problem_id for v in viewed])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor
        assert len(pages) < 50


def _expected(problems: list[Problem], order: str) -> list[str]:
    keys = {
        "create_time desc": lambda p: (p.create_time, p.problem_id),
        "create_time": lambda p: (p.create_time, p.problem_id),
        "title": lambda p: (p.content.title.lower(), p.problem_id),
        "difficulty": lambda p: (p.content.difficulty.value, p.problem_id),
        "like_count desc": lambda p: (p.like_count, p.problem_id),
    }
    return [p.problem_id for p in sorted(problems, key=keys[order], reverse=order.endswith(" desc"))]


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.parametrize("frozen", [False, True], ids=["distinct-times", "same-time"])
async def test_every_order_pages_through_every_problem_once(app: ProblemApp, clock: Clock, order: str, frozen: bool):
    if frozen:
        clock.step = dt.timedelta(0)  # ties on the first key: the id breaks them
    seeded = await _seed(app)
    await new(app, title="Binary Lifting II", difficulty=Difficulty.HARD, tags=("trees",))
    for liker, title in ((USER, "Coin Change"), (USER2, "Coin Change"), (USER, "Graph Walk")):
        await app.mark("like", liker, seeded[title].problem_id, True)
    problems = [v.problem for v in (await listed(app, order=order, limit=100))[0]]
    assert len(problems) == 6
    expected = _expected(problems, order)
    assert [p.problem_id for p in problems] == expected
    for size in (1, 2, 4, 6, 7):
        pages = await _all_pages(app, order, size)
        assert all(len(page) == size for page in pages[:-1]) and 0 < len(pages[-1]) <= size
        assert [i for page in pages for i in page] == expected, size


async def test_paging_keeps_the_filter_and_total(app: ProblemApp):
    await _seed(app)
    viewed, page = await listed(app, order="title", limit=2, tag="graphs")
    assert _titles(viewed) == ["Binary Lifting", "Dynamic Graph"] and page.total == 3
    viewed, page = await listed(app, order="title", limit=2, cursor=page.next_cursor, tag="graphs")
    assert _titles(viewed) == ["Graph Walk"] and page.total == 3 and page.next_cursor is None


async def test_an_unknown_order_is_invalid(app: ProblemApp):
    with pytest.raises(InvalidArgument) as caught:
        await listed(app, order="likes")
    assert caught.value.violations[0].field == "order_by"


async def test_hidden_problems_are_listed_only_for_their_author_and_admins(app: ProblemApp):
    public = await new(app, title="Open Problem")
    hidden = await new(app, title="Secret Problem", visibility=Visibility.HIDDEN)

    async def ids(caller: Identity | None) -> set[str]:
        return {v.problem.problem_id for v in (await listed(app, caller, order="title"))[0]}

    assert await ids(None) == await ids(USER) == await ids(BOB) == {public.problem_id}
    assert await ids(ALICE) == await ids(ROOT) == {public.problem_id, hidden.problem_id}
    for outsider in (None, USER, BOB):
        with pytest.raises(NotFound):
            await app.get(hidden.problem_id, outsider)
        with pytest.raises(NotFound):
            await app.tests(outsider, hidden.problem_id)
    assert (await app.get(hidden.content.slug, ALICE)).problem.problem_id == hidden.problem_id
    assert (await app.get(hidden.problem_id, ROOT)).problem.problem_id == hidden.problem_id


# -- update ---------------------------------------------------------------------------------------


async def test_update_changes_only_the_named_fields(app: ProblemApp, clock: Clock):
    created = await new(app, slug="before", tags=("math",))
    updated = await app.update(ALICE, created.problem_id, {"title": "  After  ", "tags": ("DP", "greedy")})
    assert updated.content.title == "After"
    assert updated.content.tags == ("dp", "greedy")
    assert updated.revision == 2
    assert updated.update_time == clock.now > created.update_time
    assert updated.create_time == created.create_time
    # Everything else is as it was, hidden tests included.
    untouched = dataclasses.replace(updated.content, title=created.content.title, tags=created.content.tags)
    assert untouched == created.content
    assert (await app.judge_bundle(created.problem_id)).tests == created.tests
    assert (await app.get("before", USER)).problem == updated


async def test_update_every_updatable_field(app: ProblemApp):
    created = await new(app, slug="old-slug")
    changes = {
        "slug": "new-slug",
        "statement": "A new statement.",
        "difficulty": Difficulty.HARD,
        "memory_limit_kib": 64 * 1024,
        "checker": Checker(CheckerKind.FLOAT, 1e-3, 1e-2),
        "sample_tests": (Case("s", "t", True, "why"), Case("u", "v", True)),
        "hidden_tests": (Case("h", "i", False),),
        "visibility": Visibility.HIDDEN,
        "test_groups": (TestGroup("all hidden", 100, (3,)),),
        "run_whole_failed_groups": True,
    }
    updated = await app.update(ALICE, created.problem_id, changes)
    for name, value in changes.items():
        if name.endswith("_tests"):
            value = tuple(dataclasses.replace(t, ordinal=0) for t in value)
            assert tuple(dataclasses.replace(t, ordinal=0) for t in getattr(updated.content, name)) == value
        else:
            assert getattr(updated.content, name) == value, name
    assert updated.hidden_test_count == 1
    assert [(t.ordinal, t.input, t.sample) for t in updated.tests] == [(1, "s", True), (2, "u", True), (3, "h", False)]
    with pytest.raises(NotFound):
        await app.get("old-slug", ALICE)
    with pytest.raises(NotFound):
        await app.get("new-slug", USER)  # hidden now


async def test_an_update_leaving_a_group_without_its_tests_is_refused(app: ProblemApp):
    created = await new(app, test_groups=(TestGroup("hidden", 100, (2, 3)),))
    with pytest.raises(InvalidArgument) as caught:
        await app.update(ALICE, created.problem_id, {"hidden_tests": (Case("h", "i", False),)})
    assert [v.field for v in caught.value.violations] == ["problem.test_groups[0].test_ordinals"]
    assert (await app.judge_bundle(created.problem_id)).content.test_groups == created.content.test_groups


async def test_update_refuses_unknown_or_no_fields(app: ProblemApp):
    created = await new(app)
    for changes in ({"author_id": "bob"}, {"like_count": 99}, {"title": "ok", "revision": 7}):
        with pytest.raises(InvalidArgument) as caught:
            await app.update(ALICE, created.problem_id, changes)
        assert caught.value.reason == "INVALID_UPDATE_MASK"
        assert caught.value.violations[0].field == "update_mask"
    with pytest.raises(InvalidArgument) as caught:
        await app.update(ALICE, created.problem_id, {})
    assert caught.value.reason == "INVALID_UPDATE_MASK"
    assert (await app.get(created.problem_id, None)).problem == created


async def test_update_validates_the_result(app: ProblemApp):
    created = await new(app)
    with pytest.raises(InvalidArgument) as caught:
        await app.update(ALICE, created.problem_id, {"title": "", "memory_limit_kib": 1})
    assert {v.field for v in caught.value.violations} == {"problem.title", "problem.memory_limit_kib"}
    assert (await app.get(created.problem_id, None)).problem.revision == 1


async def test_update_to_a_taken_slug_is_already_exists(app: ProblemApp):
    await new(app, slug="taken")
    mine = await new(app, slug="mine")
    with pytest.raises(AlreadyExists) as caught:
        await app.update(ALICE, mine.problem_id, {"slug": "taken"})
    assert caught.value.reason == "SLUG_TAKEN"
    assert (await app.get(mine.problem_id, None)).problem == mine


async def test_only_the_author_or_an_admin_may_update_or_delete(app: ProblemApp):
    created = await new(app)
    for intruder in (BOB, USER):
        with pytest.raises(PermissionDenied) as caught:
            await app.update(intruder, created.problem_id, {"title": "Mine now"})
        assert caught.value.reason == "NOT_OWNER"
        with pytest.raises(PermissionDenied) as caught:
            await app.delete(intruder, created.problem_id)
        assert caught.value.reason == "NOT_OWNER"
    assert (await app.get(created.problem_id, None)).problem == created
    updated = await app.update(ROOT, created.problem_id, {"title": "Edited by an admin"})
    assert updated.author_id == "alice" and updated.content.title == "Edited by an admin"
    await app.delete(ROOT, created.problem_id)
    with pytest.raises(NotFound):
        await app.get(created.problem_id, ALICE)


async def test_updating_a_missing_problem_is_not_found(app: ProblemApp):
    with pytest.raises(NotFound):
        await app.update(ALICE, "missing", {"title": "x"})


# -- delete ---------------------------------------------------------------------------------------


async def test_a_deleted_problem_is_gone_everywhere(app: ProblemApp):
    kept = await new(app, slug="kept")
    doomed = await new(app, slug="doomed", tags=("unique-tag",))
    await app.mark("bookmark", USER, doomed.problem_id, True)
    await app.delete(ALICE, doomed.problem_id)
    for key in (doomed.problem_id, "doomed"):
        for viewer in (None, USER, ALICE, ROOT):
            with pytest.raises(NotFound):
                await app.get(key, viewer)
    for viewer, filters in ((None, {}), (None, {"tag": "unique-tag"}), (ALICE, {}), (ROOT, {})):
        viewed, page = await listed(app, viewer, **filters)
        assert doomed.problem_id not in {v.problem.problem_id for v in viewed}
        assert page.total == (0 if filters else 1)
    assert (await app.bookmarks(USER, 10, None))[0] == []
    with pytest.raises(NotFound):
        await app.mark("like", USER, doomed.problem_id, True)
    with pytest.raises(NotFound):
        await app.update(ALICE, doomed.problem_id, {"title": "Back"})
    with pytest.raises(NotFound):
        await app.delete(ALICE, doomed.problem_id)  # once is enough
    with pytest.raises(NotFound):
        await app.tests(ALICE, doomed.problem_id)
    assert (await app.get("kept", None)).problem == kept


# -- tests: samples public, hidden tests private ---------------------------------------------------


async def test_only_the_author_and_admins_list_hidden_tests(app: ProblemApp):
    created = await new(app)
    for outsider in (None, USER, BOB):
        tests, hidden_included = await app.tests(outsider, created.problem_id)
        assert not hidden_included
        assert [(t.ordinal, t.input, t.sample, t.explanation) for t in tests] == [(1, "1 2\n", True, "1 + 2 = 3")]
    for insider in (ALICE, ROOT):
        tests, hidden_included = await app.tests(insider, created.content.slug)
        assert hidden_included
        assert [t.input for t in tests] == ["1 2\n", "40 2\n", "-1 1\n"]


async def test_the_judge_bundle_has_every_test(app: ProblemApp):
    created = await new(app, checker=Checker(CheckerKind.EXACT), time_limit_ms=2500)
    bundle = await app.judge_bundle(created.problem_id)
    assert [(t.ordinal, t.input, t.expected_output, t.sample) for t in bundle.tests] == [
        (1, "1 2\n", "3\n", True),
        (2, "40 2\n", "42\n", False),
        (3, "-1 1\n", "0\n", False),
    ]
    assert bundle.content.time_limit_ms == 2500 and bundle.content.checker.kind is CheckerKind.EXACT
    with pytest.raises(NotFound):
        await app.judge_bundle("missing")


# -- likes and bookmarks --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["like", "bookmark"])
async def test_marks_are_idempotent_and_counted_exactly(app: ProblemApp, kind: str):
    created = await new(app)
    counter = f"{kind}_count"
    flag = "liked" if kind == "like" else "bookmarked"
    assert await app.mark(kind, USER, created.problem_id, True) == 1
    assert await app.mark(kind, USER, created.problem_id, True) == 1
    viewed = await app.get(created.problem_id, USER)
    assert getattr(viewed.problem, counter) == 1 and getattr(viewed, flag)
    assert not getattr(await app.get(created.problem_id, USER2), flag)
    assert not getattr(await app.get(created.problem_id, None), flag)
    assert await app.mark(kind, USER2, created.content.slug, True) == 2
    assert await app.mark(kind, USER, created.problem_id, False) == 1
    assert await app.mark(kind, USER, created.problem_id, False) == 1
    assert await app.mark(kind, USER2, created.problem_id, False) == 0
    viewed = await app.get(created.problem_id, USER2)
    assert getattr(viewed.problem, counter) == 0 and not getattr(viewed, flag)
    other = "bookmark_count" if kind == "like" else "like_count"
    assert getattr(viewed.problem, other) == 0  # the two counters are independent


async def test_likes_and_bookmarks_show_in_lists_per_caller(app: ProblemApp):
    a = await new(app, title="Alpha")
    b = await new(app, title="Beta")
    await app.mark("like", USER, a.problem_id, True)
    await app.mark("bookmark", USER, b.problem_id, True)
    viewed, _ = await listed(app, USER, order="title")
    assert [(v.problem.content.title, v.liked, v.bookmarked) for v in viewed] == [
        ("Alpha", True, False),
        ("Beta", False, True),
    ]
    assert [(v.problem.like_count, v.problem.bookmark_count) for v in viewed] == [(1, 0), (0, 1)]
    viewed, _ = await listed(app, USER2, order="title")
    assert [(v.liked, v.bookmarked) for v in viewed] == [(False, False), (False, False)]


async def test_marking_a_missing_or_hidden_problem_is_not_found(app: ProblemApp):
    hidden = await new(app, visibility=Visibility.HIDDEN)
    for problem_id in ("missing", hidden.problem_id):
        with pytest.raises(NotFound):
            await app.mark("like", USER, problem_id, True)
        with pytest.raises(NotFound):
            await app.mark("bookmark", USER, problem_id, True)
    assert await app.mark("like", ALICE, hidden.problem_id, True) == 1


async def test_my_bookmarks_newest_first_one_page_at_a_time(app: ProblemApp):
    problems = [await new(app, title=f"Problem {i}") for i in range(5)]
    for p in problems:
        await app.mark("bookmark", USER, p.problem_id, True)
    await app.mark("bookmark", USER2, problems[0].problem_id, True)
    await app.mark("bookmark", USER, problems[2].problem_id, False)
    await app.mark("bookmark", USER, problems[2].problem_id, True)  # bookmarked again: newest now
    seen, cursor = [], None
    while True:
        viewed, cursor = await app.bookmarks(USER, 2, cursor)
        assert len(viewed) <= 2 and all(v.bookmarked for v in viewed)
        seen.extend(v.problem.content.title for v in viewed)
        if cursor is None:
            break
    assert seen == ["Problem 2", "Problem 4", "Problem 3", "Problem 1", "Problem 0"]
    assert _titles((await app.bookmarks(USER2, 10, None))[0]) == ["Problem 0"]
    assert (await app.bookmarks(ROOT, 10, None)) == ([], None)


async def test_bookmarks_with_the_same_time_page_by_id(app: ProblemApp, clock: Clock):
    problems = [await new(app, title=f"Same {i}") for i in range(5)]
    clock.step = dt.timedelta(0)
    for p in problems:
        await app.mark("bookmark", USER, p.problem_id, True)
    seen, cursor = [], None
    while True:
        viewed, cursor = await app.bookmarks(USER, 2, cursor)
        seen.extend(v.problem.problem_id for v in viewed)
        if cursor is None:
            break
    assert seen == sorted((p.problem_id for p in problems), reverse=True)


async def test_a_problem_made_hidden_leaves_other_users_bookmarks(app: ProblemApp):
    created = await new(app, title="Soon Secret")
    await app.mark("bookmark", USER, created.problem_id, True)
    await app.update(ALICE, created.problem_id, {"visibility": Visibility.HIDDEN})
    with pytest.raises(NotFound):
        await app.get(created.problem_id, USER)
    assert (await app.bookmarks(USER, 10, None))[0] == []


async def test_a_slug_cannot_shadow_another_problems_id(app: ProblemApp):
    victim = await new(app, title="Victim")
    try:
        await new(app, BOB, title="Impostor", slug=victim.problem_id, hidden_tests=(Case("x", "y", False),))
    except InvalidArgument:
        return  # refusing id-shaped slugs is one fix
    assert (await app.get(victim.problem_id, None)).problem.content.title == "Victim"
    assert (await app.judge_bundle(victim.problem_id)).content.title == "Victim"
    # With two rows matching, which one wins is up to the database: make the failure deterministic.
    rows = await app.store.summaries([victim.problem_id])
    assert [p.content.title for p in rows] == ["Victim"]


# -- the servicer: what crosses the public boundary -------------------------------------------------

MARKER = "HIDDEN-" + uuid.uuid4().hex


@contextlib.contextmanager
def acting_as(caller: Identity | None):
    token = request_context.set_current(request_context.RequestContext("r", "/m", "grpc", "t", identity=caller))
    try:
        yield
    finally:
        request_context.reset(token)


@pytest.fixture
def servicers(app: ProblemApp) -> tuple[ProblemServicer, ProblemInternalServicer]:
    return ProblemServicer(app), ProblemInternalServicer(app)


def problem_message(**changes) -> problem_pb2.Problem:
    message = problem_pb2.Problem(
        title="Hidden Marker",
        statement="Echo the input.",
        difficulty=problem_pb2.DIFFICULTY_MEDIUM,
        tags=["echo"],
        checker=problem_pb2.Checker(kind=problem_pb2.CHECKER_KIND_FLOAT, absolute_tolerance=1e-3),
        sample_tests=[problem_pb2.TestCase(input="sample in", expected_output="sample out", explanation="see")],
        hidden_tests=[
            problem_pb2.TestCase(input=f"{MARKER}-in", expected_output=f"{MARKER}-out", explanation=f"{MARKER}-why")
        ],
    )
    message.MergeFrom(problem_pb2.Problem(**changes))
    return message


async def test_hidden_tests_never_leave_through_public_methods(servicers):
    public, internal = servicers
    replies = []
    with acting_as(ALICE):
        created = await public.CreateProblem(problem_service_pb2.CreateProblemRequest(problem=problem_message()), None)
        replies.append(created)
        problem_id = created.problem.problem_id
        replies.append(
            await public.UpdateProblem(
                problem_service_pb2.UpdateProblemRequest(
                    problem=problem_pb2.Problem(problem_id=problem_id, title="Hidden Marker 2"),
                    update_mask=field_mask_pb2.FieldMask(paths=["title"]),
                ),
                None,
            )
        )
    assert created.problem.hidden_test_count == 1 and not created.problem.hidden_tests
    assert [t.input for t in created.problem.sample_tests] == ["sample in"]
    for caller in (None, USER, BOB):
        with acting_as(caller):
            replies.append(await public.GetProblem(problem_service_pb2.GetProblemRequest(problem_id=problem_id), None))
            replies.append(
                problem_service_pb2.ListProblemsResponse.FromString(
                    await public.ListProblems(problem_service_pb2.ListProblemsRequest(), None)
                )
            )
            tests = await public.ListTestCases(problem_service_pb2.ListTestCasesRequest(problem_id=problem_id), None)
            assert not tests.hidden_included and [t.input for t in tests.tests] == ["sample in"]
            replies.append(tests)
            if caller is not None:
                await public.BookmarkProblem(
                    problem_service_pb2.BookmarkProblemRequest(problem_id=problem_id, bookmarked=True), None
                )
                replies.append(await public.ListBookmarks(problem_service_pb2.ListBookmarksRequest(), None))
    for reply in replies:
        assert MARKER.encode() not in reply.SerializeToString(), type(reply).__name__
        assert MARKER not in str(reply)
    got = replies[2].problem
    assert got.hidden_test_count == 1 and got.title == "Hidden Marker 2"
    assert got.checker.kind == problem_pb2.CHECKER_KIND_FLOAT and got.checker.absolute_tolerance == 1e-3
    # The judge gets every test.
    bundle = (
        await internal.GetJudgeBundle(problem_internal_service_pb2.GetJudgeBundleRequest(problem_id=problem_id), None)
    ).bundle
    assert [(t.ordinal, t.sample, t.input, t.expected_output) for t in bundle.tests] == [
        (1, True, "sample in", "sample out"),
        (2, False, f"{MARKER}-in", f"{MARKER}-out"),
    ]
    assert bundle.tests[1].explanation == ""  # hidden tests keep no explanation
    assert bundle.checker.kind == problem_pb2.CHECKER_KIND_FLOAT and bundle.checker.absolute_tolerance == 1e-3
    assert bundle.revision == 2 and bundle.time_limit.seconds == 1 and bundle.memory_limit_kib == 256 * 1024
    # The author sees hidden tests only where the contract says so: ListTestCases.
    with acting_as(ALICE):
        tests = await public.ListTestCases(problem_service_pb2.ListTestCasesRequest(problem_id=problem_id), None)
    assert tests.hidden_included and [t.input for t in tests.tests] == ["sample in", f"{MARKER}-in"]


async def test_servicer_defaults_and_list_pages(servicers):
    public, _ = servicers
    with acting_as(ALICE):
        for i in range(3):
            message = problem_pb2.Problem(
                title=f"Default {i}", statement="s", difficulty=problem_pb2.DIFFICULTY_EASY, tags=["defaults"]
            )
            created = (
                await public.CreateProblem(problem_service_pb2.CreateProblemRequest(problem=message), None)
            ).problem
            assert created.checker.kind == problem_pb2.CHECKER_KIND_TOKENS
            assert created.time_limit.seconds == 1 and created.memory_limit_kib == 256 * 1024
            assert created.visibility == problem_pb2.VISIBILITY_PUBLIC
    with acting_as(None):
        request = problem_service_pb2.ListProblemsRequest(page_size=2, tag="defaults", order_by="title")
        first = problem_service_pb2.ListProblemsResponse.FromString(await public.ListProblems(request, None))
        assert [p.title for p in first.problems] == ["Default 0", "Default 1"] and first.total_size == 3
        assert first.next_page_token
        request.page_token = first.next_page_token
        second = problem_service_pb2.ListProblemsResponse.FromString(await public.ListProblems(request, None))
        assert [p.title for p in second.problems] == ["Default 2"] and not second.next_page_token
        # A token is bound to its query.
        with pytest.raises(InvalidArgument) as caught:
            await public.ListProblems(
                problem_service_pb2.ListProblemsRequest(page_token=first.next_page_token, order_by="title"), None
            )
        assert caught.value.reason == "INVALID_PAGE_TOKEN"
        with pytest.raises(InvalidArgument):
            await public.ListProblems(problem_service_pb2.ListProblemsRequest(order_by="random"), None)


async def test_servicer_refuses_an_unknown_update_mask_path(servicers):
    public, _ = servicers
    with acting_as(ALICE):
        created = await public.CreateProblem(problem_service_pb2.CreateProblemRequest(problem=problem_message()), None)
        for path in ("author_id", "like_count", "hidden_test_count", "nonsense"):
            with pytest.raises(InvalidArgument) as caught:
                await public.UpdateProblem(
                    problem_service_pb2.UpdateProblemRequest(
                        problem=problem_pb2.Problem(problem_id=created.problem.problem_id, author_id="bob"),
                        update_mask=field_mask_pb2.FieldMask(paths=[path]),
                    ),
                    None,
                )
            assert caught.value.reason == "INVALID_UPDATE_MASK"


async def test_the_app_updates_the_time_limit(app: ProblemApp):
    created = await new(app)
    updated = await app.update(ALICE, created.problem_id, {"time_limit_ms": 2500})
    assert updated.content.time_limit_ms == 2500 and updated.revision == 2


async def test_servicer_updates_the_time_limit(servicers):
    public, _ = servicers
    with acting_as(ALICE):
        created = await public.CreateProblem(problem_service_pb2.CreateProblemRequest(problem=problem_message()), None)
        problem = problem_pb2.Problem(problem_id=created.problem.problem_id)
        problem.time_limit.FromMilliseconds(2500)
        updated = await public.UpdateProblem(
            problem_service_pb2.UpdateProblemRequest(
                problem=problem, update_mask=field_mask_pb2.FieldMask(paths=["time_limit"])
            ),
            None,
        )
    assert updated.problem.time_limit.ToMilliseconds() == 2500


async def test_summaries_come_in_the_order_asked_by_id_or_slug_and_at_most_100(app: ProblemApp):
    a = await new(app, slug="a-one")
    b = await new(app, slug="b-two", visibility=Visibility.HIDDEN)  # service-to-service: hidden ones too
    gone = await new(app, slug="gone")
    await app.delete(ALICE, gone.problem_id)
    found = await app.summaries(["b-two", "missing", a.problem_id, gone.problem_id, "a-one"])
    assert [p.problem_id for p in found] == [b.problem_id, a.problem_id, a.problem_id]
    assert all(p.content.hidden_tests == () for p in found)
    with pytest.raises(InvalidArgument) as caught:
        await app.summaries([a.problem_id] * 101)
    assert caught.value.violations[0].field == "problem_ids"


async def test_servicer_updates_groups_and_the_checker_program_whose_source_only_the_judge_sees(servicers):
    public, internal = servicers
    source = "import sys\nsys.exit(0)  # secret-checker\n"
    with acting_as(ALICE):
        created = await public.CreateProblem(problem_service_pb2.CreateProblemRequest(problem=problem_message()), None)
        problem_id = created.problem.problem_id
        changed = problem_pb2.Problem(
            problem_id=problem_id,
            test_groups=[problem_pb2.TestGroup(name="hidden", points=100, test_ordinals=[2])],
            run_whole_failed_groups=True,
            checker=problem_pb2.Checker(
                kind=problem_pb2.CHECKER_KIND_PROGRAM, program_language_id="python3", program_source=source
            ),
        )
        updated = await public.UpdateProblem(
            problem_service_pb2.UpdateProblemRequest(
                problem=changed,
                update_mask=field_mask_pb2.FieldMask(paths=["test_groups", "run_whole_failed_groups", "checker"]),
            ),
            None,
        )
        got = await public.GetProblem(problem_service_pb2.GetProblemRequest(problem_id=problem_id), None)
    for reply in (updated.problem, got.problem):
        assert [(g.name, g.points, list(g.test_ordinals)) for g in reply.test_groups] == [("hidden", 100, [2])]
        assert reply.run_whole_failed_groups and reply.checker.kind == problem_pb2.CHECKER_KIND_PROGRAM
        assert reply.checker.program_language_id == "python3" and reply.checker.program_source == ""
    bundle = await internal.GetJudgeBundle(
        problem_internal_service_pb2.GetJudgeBundleRequest(problem_id=problem_id), None
    )
    assert bundle.bundle.checker.program_source == source
    assert [list(g.test_ordinals) for g in bundle.bundle.test_groups] == [[2]]
    assert bundle.bundle.run_whole_failed_groups


async def test_servicer_keeps_the_interactors_source_for_the_judge_only(servicers):
    public, internal = servicers
    source = "import sys\nsys.exit(0)  # secret-interactor\n"
    message = problem_message()
    message.interactor.CopyFrom(problem_pb2.Interactor(language_id="python3", source=source))
    with acting_as(ALICE):
        created = await public.CreateProblem(problem_service_pb2.CreateProblemRequest(problem=message), None)
        problem_id = created.problem.problem_id
        got = await public.GetProblem(problem_service_pb2.GetProblemRequest(problem_id=problem_id), None)
    for reply in (created.problem, got.problem):
        assert reply.interactor.language_id == "python3" and reply.interactor.source == ""
    bundle = await internal.GetJudgeBundle(
        problem_internal_service_pb2.GetJudgeBundleRequest(problem_id=problem_id), None
    )
    assert bundle.bundle.interactor.source == source
    with acting_as(ALICE):  # an update of `interactor` with an empty one makes the problem plain again
        updated = await public.UpdateProblem(
            problem_service_pb2.UpdateProblemRequest(
                problem=problem_pb2.Problem(problem_id=problem_id),
                update_mask=field_mask_pb2.FieldMask(paths=["interactor"]),
            ),
            None,
        )
    assert not updated.problem.HasField("interactor")
