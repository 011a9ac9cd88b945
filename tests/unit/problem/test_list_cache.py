"""ListProblems pages are served from a cache of serialized pages, and the cache never shows a caller
what they may not see, another caller's likes, or a list older than their own write."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import pytest
from google.protobuf import field_mask_pb2

from arena.core.identity import Identity
from arena.kit import context as request_context
from arena.problem.app import ProblemApp
from arena.problem.pages import PageCache
from arena.problem.servicer import ProblemServicer
from arena.problem.store import InMemoryProblemStore
from arena.problem.v1 import problem_pb2, problem_service_pb2
from support.problems import ALICE, BOB, ROOT, USER


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


class CountingStore(InMemoryProblemStore):
    """The in-memory store (held to the SQL stores' contract), counting list reads (a cache hit reads nothing)."""

    lists = 0

    async def list(self, *args, **kwargs):
        self.lists += 1
        return await super().list(*args, **kwargs)


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


@pytest.fixture
def servicer(store) -> ProblemServicer:
    # A long expiry: only invalidation may make a page fresh in these tests.
    return ProblemServicer(ProblemApp(store, clock=Clock()), list_cache_ttl_s=3600)


@contextlib.contextmanager
def acting_as(caller: Identity | None):
    token = request_context.set_current(request_context.RequestContext("r", "/m", "grpc", "t", identity=caller))
    try:
        yield
    finally:
        request_context.reset(token)


async def listed(
    servicer: ProblemServicer, caller: Identity | None, **request
) -> problem_service_pb2.ListProblemsResponse:
    with acting_as(caller):
        reply = await servicer.ListProblems(problem_service_pb2.ListProblemsRequest(**request), None)
    assert type(reply) is bytes  # served serialized: the kit passes bytes through
    return problem_service_pb2.ListProblemsResponse.FromString(reply)


def titles(reply: problem_service_pb2.ListProblemsResponse) -> list[str]:
    return [p.title for p in reply.problems]


async def create(servicer: ProblemServicer, caller: Identity, title: str, **fields) -> problem_pb2.Problem:
    message = problem_pb2.Problem(
        title=title,
        statement="s",
        difficulty=fields.pop("difficulty", problem_pb2.DIFFICULTY_EASY),
        sample_tests=[problem_pb2.TestCase(input="1 2\n", expected_output="3\n")],
        hidden_tests=[problem_pb2.TestCase(input="2 2\n", expected_output="4\n")],
        **fields,
    )
    with acting_as(caller):
        reply = await servicer.CreateProblem(problem_service_pb2.CreateProblemRequest(problem=message), None)
    return reply.problem


async def test_a_repeated_page_is_served_without_reading_the_store(servicer, store):
    await create(servicer, ALICE, "One")
    first = await listed(servicer, None, page_size=20)
    reads = store.lists
    again = await listed(servicer, None, page_size=20)
    assert store.lists == reads and again == first and titles(first) == ["One"]


async def test_without_a_cache_every_page_reads_the_store(store):
    servicer = ProblemServicer(ProblemApp(store, clock=Clock()), list_cache_ttl_s=0)
    await create(servicer, ALICE, "One")
    await listed(servicer, None)
    await listed(servicer, None)
    assert store.lists == 2


async def test_an_expired_page_is_read_again(store):
    servicer = ProblemServicer(ProblemApp(store, clock=Clock()), list_cache_ttl_s=0.05)
    await create(servicer, ALICE, "One")
    await listed(servicer, None)
    await asyncio.sleep(0.1)
    await listed(servicer, None)
    assert store.lists == 2


async def test_hidden_problems_stay_with_their_author_and_admins_whatever_was_cached(servicer):
    await create(servicer, ALICE, "Public")
    await create(servicer, ALICE, "Secret", visibility=problem_pb2.VISIBILITY_HIDDEN)
    # The author's page, cached first, must not be what anyone else gets.
    assert titles(await listed(servicer, ALICE)) == ["Secret", "Public"]
    assert titles(await listed(servicer, ROOT)) == ["Secret", "Public"]
    for other in (None, USER, BOB):
        reply = await listed(servicer, other)
        assert titles(reply) == ["Public"] and reply.total_size == 1
    assert titles(await listed(servicer, ALICE)) == ["Secret", "Public"]


async def test_likes_and_bookmarks_in_a_page_are_the_callers_own(servicer):
    problem = await create(servicer, ALICE, "Liked")
    assert not (await listed(servicer, USER)).problems[0].liked  # cached before the like
    with acting_as(USER):
        await servicer.LikeProblem(
            problem_service_pb2.LikeProblemRequest(problem_id=problem.problem_id, liked=True), None
        )
        await servicer.BookmarkProblem(
            problem_service_pb2.BookmarkProblemRequest(problem_id=problem.problem_id, bookmarked=True), None
        )
    mine = (await listed(servicer, USER)).problems[0]
    assert mine.liked and mine.bookmarked and mine.like_count == 1 and mine.bookmark_count == 1
    for other in (None, BOB, ALICE):
        theirs = (await listed(servicer, other)).problems[0]
        assert not theirs.liked and not theirs.bookmarked and theirs.like_count == 1


@pytest.mark.parametrize(
    ("request_fields", "expected"),
    [
        ({}, ["Hard graph", "Easy graph", "Easy string"]),
        ({"difficulty": problem_pb2.DIFFICULTY_EASY}, ["Easy graph", "Easy string"]),
        ({"tag": "graphs"}, ["Hard graph", "Easy graph"]),
        ({"query": "string"}, ["Easy string"]),
        ({"order_by": "title"}, ["Easy graph", "Easy string", "Hard graph"]),
        ({"order_by": "create_time"}, ["Easy string", "Easy graph", "Hard graph"]),
        ({"page_size": 1}, ["Hard graph"]),
    ],
)
async def test_every_filter_order_and_size_is_its_own_page(servicer, request_fields, expected):
    await create(servicer, ALICE, "Easy string", tags=["strings"])
    await create(servicer, ALICE, "Easy graph", tags=["graphs"])
    await create(servicer, ALICE, "Hard graph", tags=["graphs"], difficulty=problem_pb2.DIFFICULTY_HARD)
    await listed(servicer, None)  # the unfiltered page is cached first
    assert titles(await listed(servicer, None, **request_fields)) == expected


async def test_page_tokens_walk_the_list_through_the_cache(servicer):
    for i in range(5):
        await create(servicer, ALICE, f"P{i}")
    seen, token = [], ""
    for _ in range(2):  # twice: the second walk is served from the cache and must be the same
        walk, token = [], ""
        while True:
            reply = await listed(servicer, USER, page_size=2, page_token=token)
            walk += titles(reply)
            token = reply.next_page_token
            if not token:
                break
        seen.append(walk)
    assert seen[0] == seen[1] == ["P4", "P3", "P2", "P1", "P0"]
    # A token is still bound to its query and its caller, cached or not.
    first = await listed(servicer, USER, page_size=2)
    with pytest.raises(Exception, match="page"):
        await listed(servicer, BOB, page_size=2, page_token=first.next_page_token)


async def test_a_caller_never_sees_a_list_older_than_their_own_write(servicer):
    created = await create(servicer, ALICE, "Before")
    assert titles(await listed(servicer, ALICE)) == ["Before"]
    assert titles(await listed(servicer, None)) == ["Before"]
    # create
    second = await create(servicer, ALICE, "Second")
    assert titles(await listed(servicer, ALICE)) == ["Second", "Before"]
    assert titles(await listed(servicer, None)) == ["Second", "Before"]
    # update (a title, then hiding it)
    with acting_as(ALICE):
        await servicer.UpdateProblem(
            problem_service_pb2.UpdateProblemRequest(
                problem=problem_pb2.Problem(problem_id=created.problem_id, title="After"),
                update_mask=field_mask_pb2.FieldMask(paths=["title"]),
            ),
            None,
        )
    assert titles(await listed(servicer, ALICE)) == ["Second", "After"]
    assert titles(await listed(servicer, None)) == ["Second", "After"]
    with acting_as(ALICE):
        await servicer.UpdateProblem(
            problem_service_pb2.UpdateProblemRequest(
                problem=problem_pb2.Problem(problem_id=second.problem_id, visibility=problem_pb2.VISIBILITY_HIDDEN),
                update_mask=field_mask_pb2.FieldMask(paths=["visibility"]),
            ),
            None,
        )
    assert titles(await listed(servicer, None)) == ["After"]
    # like / unlike
    with acting_as(BOB):
        await servicer.LikeProblem(
            problem_service_pb2.LikeProblemRequest(problem_id=created.problem_id, liked=True), None
        )
    assert (await listed(servicer, BOB)).problems[0].like_count == 1
    assert titles(await listed(servicer, None, order_by="like_count desc")) == ["After"]
    with acting_as(BOB):
        await servicer.LikeProblem(
            problem_service_pb2.LikeProblemRequest(problem_id=created.problem_id, liked=False), None
        )
    after_unlike = (await listed(servicer, BOB)).problems[0]
    assert after_unlike.like_count == 0 and not after_unlike.liked
    # delete
    with acting_as(ALICE):
        await servicer.DeleteProblem(problem_service_pb2.DeleteProblemRequest(problem_id=created.problem_id), None)
    assert titles(await listed(servicer, None)) == []
    assert titles(await listed(servicer, ALICE)) == ["Second"]


async def test_a_page_read_while_a_write_ran_is_not_kept():
    pages = PageCache(ttl_s=3600)
    reading, written = asyncio.Event(), asyncio.Event()

    async def stale_read() -> bytes:
        reading.set()
        await written.wait()  # the write commits and invalidates while this read is in flight
        return b"stale"

    async def write() -> None:
        await reading.wait()
        written.set()

    read = asyncio.create_task(pages.get_or_build("page", stale_read))
    await pages.writing(write())
    assert await read == b"stale"  # that caller asked before the write: fine
    assert await pages.get_or_build("page", _fresh) == b"fresh"  # nobody gets it afterwards


async def _fresh() -> bytes:
    return b"fresh"


async def test_a_failed_write_still_drops_the_pages():
    pages = PageCache(ttl_s=3600)
    await pages.get_or_build("page", _stale)

    async def failing() -> None:
        raise RuntimeError("after the commit")

    with pytest.raises(RuntimeError):
        await pages.writing(failing())
    assert await pages.get_or_build("page", _fresh) == b"fresh"


async def _stale() -> bytes:
    return b"stale"


# -- 7b: lists leave sample tests out, by contract -----------------------------------------------


async def test_lists_leave_sample_tests_out_and_get_problem_has_them(servicer, contract):
    problem = await create(servicer, ALICE, "With samples")
    with acting_as(None):
        got = (
            await servicer.GetProblem(problem_service_pb2.GetProblemRequest(problem_id=problem.problem_id), None)
        ).problem
    assert [t.input for t in got.sample_tests] == ["1 2\n"]
    for caller in (None, ALICE, ROOT):
        listed_problem = (await listed(servicer, caller)).problems[0]
        assert listed_problem.problem_id == problem.problem_id and not listed_problem.sample_tests
        assert not listed_problem.hidden_tests and listed_problem.hidden_test_count == 1
    # The contract says so where a client reads it.
    field = " ".join(contract.comment("arena.problem.v1.Problem.sample_tests").split())
    assert "always empty in lists" in field and "ListProblems" in field and "GetProblem" in field
    listing = " ".join(contract.comment("arena.problem.v1.ListProblemsResponse.problems").split())
    assert "always empty in lists" in listing


def builder(page: bytes):
    async def build() -> bytes:
        return page

    return build


async def test_pages_are_bounded_in_number_and_bytes_least_recently_used_out_first():
    pages = PageCache(ttl_s=3600, max_entries=3, max_bytes=10)
    for key in "abc":
        await pages.get_or_build(key, builder(b"123"))
    assert len(pages) == 3 and pages.size_bytes == 9
    await pages.get_or_build("a", builder(b"new"))  # a hit: "a" is now the most recently used
    await pages.get_or_build("d", builder(b"45"))  # 11 bytes: "b" goes
    assert len(pages) == 3 and pages.size_bytes == 8
    assert await pages.get_or_build("a", builder(b"new")) == b"123"
    assert await pages.get_or_build("b", builder(b"rebuilt")) == b"rebuilt"  # 7 bytes: "c" and "d" go
    assert pages.size_bytes == 10 and len(pages) == 2
    assert await pages.get_or_build("huge", builder(b"x" * 11)) == b"x" * 11  # served, never kept
    assert len(pages) == 2 and pages.size_bytes == 10


async def test_a_page_expires_on_the_clock():
    now = [0.0]
    pages = PageCache(ttl_s=2.0, clock=lambda: now[0])
    await pages.get_or_build("p", builder(b"old"))
    now[0] = 1.9
    assert await pages.get_or_build("p", builder(b"new")) == b"old"
    now[0] = 2.0
    assert await pages.get_or_build("p", builder(b"new")) == b"new"
    assert pages.size_bytes == 3 and len(pages) == 1
