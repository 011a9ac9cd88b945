"""CreateSubmission outside a contest only for problems the caller may see: a hidden problem, or one a
contest keeps hidden until it starts, is NOT_FOUND like a missing one, except to its author and admins
(fake clock, in-memory store, bundles in a dictionary); with a contest, the contest decides."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from arena.core.errors import NotFound
from arena.core.identity import Identity
from arena.execution.app import AppSettings, ExecutionApp
from arena.execution.bundles import bundle_from
from arena.execution.judge import Bundle
from arena.execution.languages import Available
from arena.execution.store import InMemoryExecutionStore
from arena.execution.watchers import EventFeed
from arena.kit.convert import timestamp
from arena.problem.v1 import problem_pb2
from unit.execution.test_app import ACCEPTED, ADMIN, OTHER, PYTHON, USER, Bundles, FakeRunner

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
START = T0 + dt.timedelta(hours=1)
AUTHOR = USER


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def make_app(bundle: Bundle, clock: Clock, authorized: list[str]) -> ExecutionApp:
    bundles = Bundles()
    bundles.bundle = bundle

    async def authorize(contest_id: str, user_id: str, problem_id: str) -> bool:
        authorized.append(contest_id)
        return False

    return ExecutionApp(
        InMemoryExecutionStore(), FakeRunner(), [Available(PYTHON, "test")], bundles, AppSettings(),
        authorize=authorize, clock=clock, feed=EventFeed(),
    )  # fmt: skip


async def submit(app: ExecutionApp, caller: Identity, contest_id: str = "") -> str:
    submission = await app.create_submission(
        caller, problem_id="a-plus-b", language_id="python3", source=ACCEPTED, contest_id=contest_id,
        run_all_tests=False,
    )  # fmt: skip
    return submission.submission_id


def a_plus_b(**changes: object) -> Bundle:
    return dataclasses.replace(Bundles().bundle, author_id=AUTHOR.user_id, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bundle",
    [a_plus_b(hidden=True), a_plus_b(embargo_end=START), a_plus_b(hidden=True, embargo_end=START)],
    ids=["hidden", "embargoed", "both"],
)
async def test_a_problem_the_caller_may_not_see_is_not_found(bundle: Bundle):
    clock, authorized = Clock(), []
    app = make_app(bundle, clock, authorized)
    with pytest.raises(NotFound) as caught:
        await submit(app, OTHER)
    assert caught.value.reason == "RESOURCE_NOT_FOUND"
    assert str(caught.value) == str(NotFound("problem", "a-plus-b"))  # word for word a missing problem's
    assert await submit(app, AUTHOR) and await submit(app, ADMIN)
    assert await submit(app, OTHER, contest_id="c1") and authorized == ["c1"]  # in a contest: the contest decides


async def test_an_embargoed_problem_opens_at_the_contests_start_even_from_a_cached_bundle():
    clock, authorized = Clock(), []
    app = make_app(a_plus_b(embargo_end=START), clock, authorized)
    clock.now = START - dt.timedelta(microseconds=1)
    with pytest.raises(NotFound):
        await submit(app, OTHER)
    clock.now = START
    assert await submit(app, OTHER)
    hidden = make_app(a_plus_b(hidden=True, embargo_end=START), clock, authorized)
    with pytest.raises(NotFound):  # hidden stays hidden after the start
        await submit(hidden, OTHER)


def test_the_bundle_carries_the_problems_visibility():
    message = problem_pb2.JudgeBundle(problem_id="p", revision=1, author_id="alice", hidden=True)
    bundle = bundle_from(message)
    assert (bundle.author_id, bundle.hidden, bundle.embargo_end) == ("alice", True, None)
    message = problem_pb2.JudgeBundle(problem_id="p", revision=1, author_id="alice", embargo_end_time=timestamp(START))
    assert bundle_from(message).embargo_end == START
    assert not bundle_from(message).open_to("bob", False, T0)
    assert bundle_from(message).open_to("bob", False, START)
    assert bundle_from(message).open_to("alice", False, T0) and bundle_from(message).open_to("root", True, T0)
    assert bundle_from(problem_pb2.JudgeBundle(problem_id="p", revision=1)).open_to("bob", False, T0)
