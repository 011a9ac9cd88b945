"""A contest keeps its author's problems hidden until it starts (through the problem service's embargo,
fail safe), and refuses problems its caller may not see exactly like unknown ones; in-memory store, a
catalog of problems with authors and visibility, a fake clock."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from arena.contest.app import ContestApp, ProblemRef
from arena.contest.domain import ContestProblem, kept_hidden, may_use_problem
from arena.contest.store import InMemoryContestStore
from arena.core.errors import InvalidArgument, Unavailable
from unit.contest.test_app import ADMIN, ANN, SETTER, T0, Catalog, Clock, H, spec, who

OTHER = who("other-setter", "SETTER")
NOW = T0 - H  # the clock's start: an hour before the contest


def catalog() -> Catalog:
    found = Catalog()
    found.problems = [
        ProblemRef("id-mine", "mine", "Mine", author_id="setter"),
        ProblemRef("id-mine-hidden", "mine-hidden", "Mine, hidden", author_id="setter", hidden=True),
        ProblemRef("id-theirs", "theirs", "Theirs", author_id="other-setter"),
        ProblemRef("id-theirs-hidden", "theirs-hidden", "Theirs, hidden", author_id="other-setter", hidden=True),
        ProblemRef("id-theirs-cup", "theirs-cup", "Theirs, in a cup", author_id="other-setter", embargo_end=T0 + H),
    ]
    return found


@pytest.fixture
def problems() -> Catalog:
    return catalog()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> InMemoryContestStore:
    return InMemoryContestStore()


@pytest.fixture
def app(store: InMemoryContestStore, problems: Catalog, clock: Clock) -> ContestApp:
    return ContestApp(store, problems, clock=clock)


def with_problems(*keys: str, **changes: object) -> object:
    return spec(problems=tuple(ContestProblem(k) for k in keys), **changes)


# -- the rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hidden", "embargo_end", "caller", "expected"),
    [
        (False, None, ANN, True),
        (False, NOW, ANN, True),  # an embargo that ended hides nothing
        (False, NOW + dt.timedelta(seconds=1), ANN, False),
        (True, None, ANN, False),
        (True, None, SETTER, True),  # their own
        (False, NOW + H, SETTER, True),
        (True, NOW + H, ADMIN, True),
        (True, None, OTHER, False),
    ],
)
def test_a_caller_may_use_the_problems_they_may_see(hidden, embargo_end, caller, expected):
    assert may_use_problem(caller, "setter", hidden, embargo_end, NOW) is expected


def test_a_contest_keeps_hidden_the_problems_its_author_wrote():
    pairs = [("a", "setter"), ("b", "other"), ("c", "setter"), ("a", "setter"), ("d", "")]
    assert kept_hidden("setter", pairs) == ("a", "c")
    assert kept_hidden("", pairs) == ()
    assert kept_hidden("nobody", pairs) == ()


# -- create ------------------------------------------------------------------------------------------


async def test_creating_a_contest_hides_its_authors_problems_until_the_start(app: ContestApp, problems: Catalog):
    contest = await app.create(SETTER, with_problems("mine", "id-mine-hidden", "theirs"))
    assert problems.embargoes == {contest.contest_id: (("id-mine", "id-mine-hidden"), T0)}
    assert [p.problem_id for p in contest.spec.problems] == ["id-mine", "id-mine-hidden", "id-theirs"]


async def test_a_contest_that_already_started_hides_nothing(app: ContestApp, problems: Catalog, clock: Clock):
    clock.now = T0 + dt.timedelta(minutes=1)
    await app.create(SETTER, with_problems("mine"))
    assert problems.embargo_calls == []


async def test_an_admins_contest_hides_only_the_admins_own_problems(app: ContestApp, problems: Catalog):
    problems.problems.append(ProblemRef("id-root", "roots", "Roots", author_id="root"))
    contest = await app.create(ADMIN, with_problems("mine", "theirs-hidden", "roots"))
    assert problems.embargoes == {contest.contest_id: (("id-root",), T0)}


async def test_no_contest_is_made_when_its_problems_cannot_be_hidden(
    app: ContestApp, problems: Catalog, store: InMemoryContestStore
):
    problems.down = True
    with pytest.raises(Unavailable):
        await app.create(SETTER, with_problems("mine"))
    assert (await store.list(None, NOW, 10, None))[0] == []


async def test_an_embargo_is_lifted_when_the_contest_cannot_be_stored(
    app: ContestApp, problems: Catalog, store: InMemoryContestStore, monkeypatch: pytest.MonkeyPatch
):
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "insert", broken)
    with pytest.raises(RuntimeError):
        await app.create(SETTER, with_problems("mine"))
    assert [(ids, end) for _, ids, end in problems.embargo_calls] == [(("id-mine",), T0), ((), None)]
    assert problems.embargoes == {}


@pytest.mark.parametrize("key", ["theirs-hidden", "id-theirs-hidden", "theirs-cup", "no-such-problem"])
async def test_problems_the_caller_may_not_see_are_refused_like_unknown_ones(app: ContestApp, key: str):
    with pytest.raises(InvalidArgument) as caught:
        await app.create(SETTER, with_problems("mine", key))
    assert [(v.field, v.description) for v in caught.value.violations] == [
        ("contest.problems[1].problem_id", f"no problem {key!r}")
    ]
    assert caught.value.reason == "VALIDATION_FAILED"


async def test_the_author_and_admins_may_use_hidden_problems(app: ContestApp, clock: Clock):
    await app.create(OTHER, with_problems("theirs-hidden", "theirs-cup"))
    await app.create(ADMIN, with_problems("theirs-hidden", "mine-hidden"))
    clock.now = T0 + H  # the other cup started: its problem is everyone's
    await app.create(SETTER, with_problems("theirs-cup", start_time=T0 + 2 * H))


# -- update ------------------------------------------------------------------------------------------


async def test_moving_the_start_hides_the_problems_until_the_new_start(app: ContestApp, problems: Catalog):
    contest = await app.create(SETTER, with_problems("mine", "theirs"))
    problems.embargo_calls.clear()
    later = T0 + 3 * H
    await app.update(SETTER, contest.contest_id, {"start_time": later})
    assert problems.embargo_calls == [(contest.contest_id, ("id-mine",), later)]  # later covers both: one call
    earlier = T0 - dt.timedelta(minutes=30)
    problems.embargo_calls.clear()
    await app.update(SETTER, contest.contest_id, {"start_time": earlier})
    assert problems.embargo_calls == [  # hidden until the later start first, then narrowed once stored
        (contest.contest_id, ("id-mine",), later),
        (contest.contest_id, ("id-mine",), earlier),
    ]


async def test_changing_the_problems_hides_the_new_set_fail_safe(app: ContestApp, problems: Catalog):
    problems.problems.append(ProblemRef("id-mine-2", "mine-2", "Mine 2", author_id="setter"))
    contest = await app.create(SETTER, with_problems("mine", "theirs"))
    problems.embargo_calls.clear()
    updated = await app.update(
        SETTER, contest.contest_id, {"problems": (ContestProblem("mine-2"), ContestProblem("theirs"))}
    )
    assert [p.problem_id for p in updated.spec.problems] == ["id-mine-2", "id-theirs"]
    assert problems.embargo_calls == [
        (contest.contest_id, ("id-mine", "id-mine-2"), T0),  # the old and the new, while the change is stored
        (contest.contest_id, ("id-mine-2",), T0),
    ]
    assert problems.embargoes == {contest.contest_id: (("id-mine-2",), T0)}


async def test_an_update_is_refused_when_the_problems_cannot_be_hidden(
    app: ContestApp, problems: Catalog, store: InMemoryContestStore
):
    contest = await app.create(SETTER, with_problems("mine"))
    problems.down = True
    with pytest.raises(Unavailable):
        await app.update(SETTER, contest.contest_id, {"start_time": T0 + 5 * H})
    assert (await store.get(contest.contest_id)).spec.start_time == T0


async def test_an_update_refuses_new_hidden_problems_but_keeps_those_already_in(app: ContestApp, problems: Catalog):
    contest = await app.create(SETTER, with_problems("mine", "theirs"))
    # Its author hides "theirs" after it joined the contest: it stays, but no hidden problem may come in.
    problems.problems[2] = dataclasses.replace(problems.problems[2], hidden=True)
    kept = (ContestProblem("id-mine"), ContestProblem("id-theirs"), ContestProblem("mine-hidden"))
    updated = await app.update(SETTER, contest.contest_id, {"problems": kept})
    assert [p.problem_id for p in updated.spec.problems] == ["id-mine", "id-theirs", "id-mine-hidden"]
    with pytest.raises(InvalidArgument) as caught:
        await app.update(SETTER, contest.contest_id, {"problems": (*kept, ContestProblem("theirs-cup"))})
    assert [v.field for v in caught.value.violations] == ["contest.problems[3].problem_id"]
