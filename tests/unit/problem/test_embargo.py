"""Contest embargoes in the problem service: a contest's problems are invisible to everyone but their
authors and admins until it starts (NotFound, left out of lists, bookmarks, likes and tests), on the
in-memory store with a fake clock; SetContestEmbargo's checks and its page-cache invalidation."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from arena.common.v1 import access_pb2
from arena.core.identity import Identity
from arena.kit import context as request_context
from arena.kit.convert import timestamp
from arena.kit.errors import InvalidArgument, NotFound
from arena.kit.middleware import MethodInfo
from arena.problem.app import ProblemApp
from arena.problem.domain import Problem, Visibility, listing
from arena.problem.servicer import ProblemInternalServicer, ProblemServicer
from arena.problem.store import InMemoryProblemStore
from arena.problem.v1 import problem_internal_service_pb2, problem_service_pb2
from support.problems import ALICE, BOB, ROOT, USER, new

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
START = T0 + dt.timedelta(hours=1)


class Clock:
    """Stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> ProblemApp:
    return ProblemApp(InMemoryProblemStore(), clock=clock)


async def seen_by(app: ProblemApp, problem: Problem, who: Identity | None) -> dict[str, bool]:
    """Where ``who`` meets the problem: get, tests, list, bookmarks, like."""
    found: dict[str, bool] = {}
    for name, call in (("get", app.get(problem.problem_id, who)), ("tests", app.tests(who, problem.problem_id))):
        try:
            await call
            found[name] = True
        except NotFound:
            found[name] = False
    viewed, _ = await app.list(listing(who), 100)
    found["list"] = problem.problem_id in {v.problem.problem_id for v in viewed}
    if who is not None:
        bookmarked, _ = await app.bookmarks(who, 100, None)
        found["bookmarks"] = problem.problem_id in {v.problem.problem_id for v in bookmarked}
        try:
            await app.mark("like", who, problem.problem_id, True)
            found["like"] = True
        except NotFound:
            found["like"] = False
    return found


async def test_an_embargoed_problem_is_the_authors_and_admins_until_the_contest_starts(app: ProblemApp, clock: Clock):
    problem = await new(app, ALICE, slug="cup-a")
    for who in (USER, BOB, ALICE, ROOT):
        await app.mark("bookmark", who, problem.problem_id, True)  # bookmarked while it was public
    embargo = await app.set_embargo("cup-1", [problem.problem_id], START)
    assert embargo.problem_ids == (problem.problem_id,) and embargo.end == START
    for who in (None, USER, BOB):
        assert not any((await seen_by(app, problem, who)).values()), who
        with pytest.raises(NotFound):
            await app.get("cup-a", who)  # by slug too
    for who in (ALICE, ROOT):
        assert all((await seen_by(app, problem, who)).values()), who
    clock.now = START - dt.timedelta(microseconds=1)
    assert not (await seen_by(app, problem, USER))["get"]
    clock.now = START  # the contest starts: the problem is everyone's again
    for who in (None, USER, BOB):
        assert all((await seen_by(app, problem, who)).values()), who


async def test_a_hidden_problem_stays_hidden_after_the_embargo(app: ProblemApp, clock: Clock):
    problem = await new(app, ALICE, slug="secret", visibility=Visibility.HIDDEN)
    await app.set_embargo("cup-1", [problem.problem_id], START)
    clock.now = START + dt.timedelta(hours=1)
    assert not any((await seen_by(app, problem, USER)).values())
    seen = await seen_by(app, problem, ALICE)
    assert seen["get"] and seen["tests"] and seen["list"] and seen["like"]


async def test_an_embargo_is_replaced_whole_and_the_latest_of_several_counts(app: ProblemApp, clock: Clock):
    a, b = await new(app, ALICE, slug="emb-a"), await new(app, ALICE, slug="emb-b")
    await app.set_embargo("cup-1", [a.problem_id, b.problem_id], START)
    await app.set_embargo("cup-2", [b.problem_id], START + dt.timedelta(hours=1))
    await app.set_embargo("cup-1", [a.problem_id], START)  # cup 1 no longer has b; cup 2 still does
    summaries = {p.problem_id: p.embargo_end for p in await app.summaries([a.problem_id, b.problem_id])}
    assert summaries == {a.problem_id: START, b.problem_id: START + dt.timedelta(hours=1)}
    clock.now = START
    assert (await seen_by(app, a, USER))["get"] and not (await seen_by(app, b, USER))["get"]
    await app.set_embargo("cup-2", [], None)  # lifted
    assert (await seen_by(app, b, USER))["get"]
    assert (await app.judge_bundle(b.problem_id)).embargo_end is None


async def test_an_embargo_names_existing_problems_by_id(app: ProblemApp):
    a = await new(app, ALICE, slug="real")
    gone = await new(app, ALICE, slug="gone")
    await app.delete(ALICE, gone.problem_id)
    with pytest.raises(InvalidArgument) as caught:
        await app.set_embargo("cup-1", [a.problem_id, "f" * 32, gone.problem_id, "real"], START)
    assert {v.field: v.description for v in caught.value.violations} == {
        "problem_ids[3]": "must be a problem id (32 hexadecimal digits)"
    }
    with pytest.raises(InvalidArgument) as caught:
        await app.set_embargo("cup-1", [a.problem_id, "f" * 32, gone.problem_id], START)
    assert [v.field for v in caught.value.violations] == ["problem_ids[1]", "problem_ids[2]"]
    assert "no problem" in caught.value.violations[0].description
    assert (await app.summaries([a.problem_id]))[0].embargo_end is None  # nothing stored on a failure


# -- the servicer ------------------------------------------------------------------------------------


@contextlib.contextmanager
def acting_as(caller: Identity | None):
    token = request_context.set_current(request_context.RequestContext("r", "/m", "grpc", "t", identity=caller))
    try:
        yield
    finally:
        request_context.reset(token)


def test_set_contest_embargo_is_internal_only():
    descriptor = problem_internal_service_pb2.DESCRIPTOR.services_by_name["ProblemInternalService"]
    info = MethodInfo.from_descriptor(descriptor.methods_by_name["SetContestEmbargo"])
    assert info.access == access_pb2.ACCESS_INTERNAL


async def test_set_contest_embargo_drops_cached_pages_and_carries_the_embargo_to_the_judge(app: ProblemApp):
    public = ProblemServicer(app, list_cache_ttl_s=3600)  # only invalidation may make a page fresh
    internal = ProblemInternalServicer(app, pages=public.pages)
    problem = await new(app, ALICE, slug="cup-a")

    async def listed() -> list[str]:
        with acting_as(USER):
            reply = await public.ListProblems(problem_service_pb2.ListProblemsRequest(), None)
        return [p.problem_id for p in problem_service_pb2.ListProblemsResponse.FromString(reply).problems]

    assert await listed() == [problem.problem_id]  # cached
    reply = await internal.SetContestEmbargo(
        problem_internal_service_pb2.SetContestEmbargoRequest(
            contest_id="cup-1", problem_ids=[problem.problem_id, problem.problem_id], end_time=timestamp(START)
        ),
        None,
    )
    assert list(reply.problem_ids) == [problem.problem_id]
    assert await listed() == []
    bundle = (
        await internal.GetJudgeBundle(
            problem_internal_service_pb2.GetJudgeBundleRequest(problem_id=problem.problem_id), None
        )
    ).bundle
    assert (bundle.author_id, bundle.hidden, bundle.embargo_end_time.ToDatetime(tzinfo=dt.UTC)) == (
        "alice",
        False,
        START,
    )
    summary = (
        await internal.BatchGetProblemSummaries(
            problem_internal_service_pb2.BatchGetProblemSummariesRequest(problem_ids=["cup-a"]), None
        )
    ).problems[0]
    assert (summary.author_id, summary.hidden, summary.embargo_end_time.ToDatetime(tzinfo=dt.UTC)) == (
        "alice",
        False,
        START,
    )
    await internal.SetContestEmbargo(problem_internal_service_pb2.SetContestEmbargoRequest(contest_id="cup-1"), None)
    assert await listed() == [problem.problem_id]
    hidden = await new(app, ALICE, slug="hid", visibility=Visibility.HIDDEN)
    summary = (
        await internal.BatchGetProblemSummaries(
            problem_internal_service_pb2.BatchGetProblemSummariesRequest(problem_ids=["hid"]), None
        )
    ).problems[0]
    assert summary.problem_id == hidden.problem_id and summary.hidden and not summary.HasField("embargo_end_time")


async def test_bad_embargoes_are_clear_errors_and_keep_the_cache(app: ProblemApp):
    public = ProblemServicer(app, list_cache_ttl_s=3600)
    internal = ProblemInternalServicer(app, pages=public.pages)
    problem = await new(app, ALICE, slug="cup-a")
    request = problem_internal_service_pb2.SetContestEmbargoRequest
    cases = [
        (request(problem_ids=[problem.problem_id], end_time=timestamp(START)), {"contest_id"}),
        (request(contest_id="cup-1", problem_ids=[problem.problem_id]), {"end_time"}),
        (
            request(contest_id="cup 1", problem_ids=["nope"], end_time=timestamp(START)),
            {"contest_id", "problem_ids[0]"},
        ),
        (request(contest_id="cup-1", problem_ids=["0" * 32], end_time=timestamp(START)), {"problem_ids[0]"}),
    ]
    for bad, fields in cases:
        with pytest.raises(InvalidArgument) as caught:
            await internal.SetContestEmbargo(bad, None)
        assert caught.value.reason == "VALIDATION_FAILED"
        assert {v.field for v in caught.value.violations} == fields, bad
    assert (await app.judge_bundle(problem.problem_id)).embargo_end is None
