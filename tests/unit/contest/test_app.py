"""The contest use cases on the in-memory store, a fake problem catalog and a fake clock."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.contest.app import Boards, ContestApp, ProblemRef, Watch
from arena.contest.domain import (
    JURY,
    ContestProblem,
    Phase,
    Result,
    ScoringRule,
    Spec,
    Standings,
    Verdict,
    ViewerKind,
    standings,
)
from arena.contest.store import Board, InMemoryContestStore
from arena.core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from arena.core.identity import Identity

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


class Catalog:
    """The problem service in a list; its embargoes in a dictionary, each call recorded."""

    def __init__(self) -> None:
        self.problems = [ProblemRef("id-sum", "a-plus-b", "A + B"), ProblemRef("id-path", "paths", "Paths")]
        self.calls = 0
        self.embargoes: dict[str, tuple[tuple[str, ...], dt.datetime | None]] = {}
        self.embargo_calls: list[tuple[str, tuple[str, ...], dt.datetime | None]] = []
        self.down = False

    async def find(self, keys: Sequence[str]) -> list[ProblemRef]:
        self.calls += 1
        return [p for p in self.problems if p.problem_id in keys or p.slug in keys]

    async def embargo(self, contest_id: str, problem_ids: Sequence[str], end: dt.datetime | None) -> None:
        if self.down:
            raise Unavailable("the problem service is down")
        self.embargo_calls.append((contest_id, tuple(problem_ids), end))
        if problem_ids:
            self.embargoes[contest_id] = (tuple(problem_ids), end)
        else:
            self.embargoes.pop(contest_id, None)


class Clock:
    def __init__(self) -> None:
        self.now = T0 - H

    def __call__(self) -> dt.datetime:
        return self.now


def who(user_id: str, *roles: str) -> Identity:
    return Identity(user_id, f"{user_id}-name", frozenset({"USER", *roles}), "t", "s", 0.0)


SETTER = who("setter", "SETTER")
ADMIN = who("root", "SETTER", "ADMIN")
ANN, BOB = who("ann"), who("bob")


def spec(**changes: object) -> Spec:
    base = Spec(
        "Winter Cup",
        ScoringRule.ICPC,
        T0,
        5 * H,
        (ContestProblem("a-plus-b"), ContestProblem("id-path")),
        freeze_before_end=H,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> ContestApp:
    return ContestApp(InMemoryContestStore(), Catalog(), clock=clock)


def ac(sid: str, user: str, minute: int, verdict: Verdict = Verdict.ACCEPTED) -> Result:
    return Result(sid, user, "id-sum", verdict, T0 + dt.timedelta(minutes=minute))


async def test_create_resolves_problems_by_slug_and_keeps_titles(app: ContestApp) -> None:
    contest = await app.create(SETTER, spec())
    assert [(p.problem_id, p.label, p.title) for p in contest.spec.problems] == [
        ("id-sum", "A", "A + B"),
        ("id-path", "B", "Paths"),
    ]
    assert contest.author_id == "setter"


async def test_unknown_and_duplicate_problems_are_field_violations(app: ContestApp) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await app.create(SETTER, spec(problems=(ContestProblem("a-plus-b"), ContestProblem("nope"))))
    assert [v.field for v in caught.value.violations] == ["contest.problems[1].problem_id"]
    with pytest.raises(InvalidArgument) as caught:  # the same problem by slug and by id
        await app.create(SETTER, spec(problems=(ContestProblem("a-plus-b"), ContestProblem("id-sum"))))
    assert "listed twice" in caught.value.violations[0].description


async def test_update_is_for_the_author_or_an_admin_and_locks_after_the_start(app: ContestApp, clock: Clock) -> None:
    contest = await app.create(SETTER, spec())
    with pytest.raises(PermissionDenied):
        await app.update(who("other", "SETTER"), contest.contest_id, {"title": "Mine"})
    updated = await app.update(ADMIN, contest.contest_id, {"problems": (ContestProblem("paths"),)})
    assert [p.problem_id for p in updated.spec.problems] == ["id-path"]
    clock.now = T0 + H
    with pytest.raises(FailedPrecondition):
        await app.update(SETTER, contest.contest_id, {"problems": (ContestProblem("a-plus-b"),)})
    longer = await app.update(SETTER, contest.contest_id, {"duration": 6 * H})
    assert longer.spec.end_time == T0 + 6 * H
    with pytest.raises(NotFound):
        await app.update(SETTER, "missing", {"title": "x"})


async def test_registration_and_authorization(app: ContestApp, clock: Clock) -> None:
    contest = await app.create(SETTER, spec())
    cid = contest.contest_id
    await app.register(ANN, cid)
    with pytest.raises(AlreadyExists):
        await app.register(ANN, cid)
    with pytest.raises(FailedPrecondition) as caught:
        await app.authorize(cid, "ann", "id-sum")
    assert caught.value.reason == "CONTEST_NOT_RUNNING"
    clock.now = T0 + H
    _, problem = await app.authorize(cid, "ann", "id-sum")
    assert problem.label == "A"
    with pytest.raises(FailedPrecondition) as caught:
        await app.authorize(cid, "bob", "id-sum")
    assert caught.value.reason == "CONTEST_NOT_REGISTERED"
    with pytest.raises(NotFound):
        await app.authorize("missing", "ann", "id-sum")
    clock.now = T0 + 5 * H
    with pytest.raises(FailedPrecondition) as caught:
        await app.register(BOB, cid)
    assert caught.value.reason == "CONTEST_REGISTRATION_CLOSED"


async def test_the_board_moves_with_results_and_is_computed_once_per_version(app: ContestApp, clock: Clock) -> None:
    changed: list[str] = []
    app.changed = changed.append
    cid = (await app.create(SETTER, spec())).contest_id
    await app.register(ANN, cid)
    await app.register(BOB, cid)
    clock.now = T0 + H
    assert await app.record(cid, ac("s1", "bob", 30))
    assert not await app.record(cid, ac("s1", "bob", 30))  # a replay: no change, no notification
    view = await app.view(cid, None)
    first = app.standings(view)
    assert app.standings(await app.view(cid, None)) is first  # cached for the version
    assert [r.user_id for r in first.rows] == ["bob", "ann"] and view.board.version == 4
    assert changed == [cid, cid, cid]
    with pytest.raises(NotFound):
        await app.record("missing", ac("s9", "bob", 30))


async def test_the_freeze_and_publishing(app: ContestApp, clock: Clock) -> None:
    cid = (await app.create(SETTER, spec())).contest_id
    await app.register(ANN, cid)
    await app.register(BOB, cid)
    clock.now = T0 + 4.5 * H
    await app.record(cid, ac("s1", "bob", 250))
    public = await app.view(cid, None)
    assert public.frozen and public.viewer.kind is ViewerKind.PUBLIC
    bob_public = next(r for r in app.standings(public).rows if r.user_id == "bob")
    assert bob_public.cells[0].pending_attempts == 1 and not bob_public.cells[0].solved
    own = await app.view(cid, BOB)
    assert own.viewer.kind is ViewerKind.CONTESTANT and app.standings(own).rows[0].solved_count == 1
    jury = await app.view(cid, SETTER)
    assert not jury.frozen and app.standings(jury).rows[0].solved_count == 1
    with pytest.raises(FailedPrecondition):
        await app.publish(SETTER, cid)  # not ended yet
    clock.now = T0 + 6 * H
    with pytest.raises(PermissionDenied):
        await app.publish(ANN, cid)
    published = await app.publish(SETTER, cid)
    assert published.final_standings_published
    after = await app.view(cid, None)
    assert not after.frozen and app.standings(after).rows[0].solved_count == 1


async def test_listing_by_phase(app: ContestApp, clock: Clock) -> None:
    up = await app.create(SETTER, spec(title="Later", start_time=T0 + 10 * H))
    now = await app.create(SETTER, spec(title="Now"))
    clock.now = T0 + H
    running, _ = await app.list(Phase.RUNNING, 10, None)
    upcoming, _ = await app.list(Phase.UPCOMING, 10, None)
    assert [c.contest_id for c in running] == [now.contest_id]
    assert [c.contest_id for c in upcoming] == [up.contest_id]


async def test_a_board_is_read_once_per_expiry_and_at_once_after_a_local_write(clock: Clock) -> None:
    store = InMemoryContestStore()
    app = ContestApp(store, Catalog(), clock=clock)
    ticks = [100.0]
    app.boards = Boards(store, ttl_s=2.0, monotonic=lambda: ticks[0])
    cid = (await app.create(SETTER, spec())).contest_id
    await app.register(ANN, cid)
    clock.now = T0 + H
    assert (await app.view(cid, None)).board.version == 2
    await store.record(cid, ac("s1", "ann", 5), clock.now)  # another process's write
    assert (await app.view(cid, None)).board.version == 2  # not asked again within the expiry
    ticks[0] += 2.5
    assert (await app.view(cid, None)).board.version == 3
    await app.record(cid, ac("s2", "ann", 6, Verdict.WRONG_ANSWER))  # this process's write: seen at once
    assert (await app.view(cid, None)).board.version == 4


# -- virtual participation -----------------------------------------------------------------------------


async def test_a_virtual_participant_is_scored_against_the_past_and_never_changes_the_real_board(
    app: ContestApp, clock: Clock
) -> None:
    changed: list[str] = []
    app.changed = changed.append
    cid = (await app.create(SETTER, spec())).contest_id
    await app.register(ANN, cid)
    clock.now = T0 + H
    await app.record(cid, ac("s1", "ann", 30))
    await app.record(cid, ac("s2", "ann", 200, Verdict.WRONG_ANSWER))
    with pytest.raises(FailedPrecondition) as early:
        await app.start_virtual(BOB, cid)
    assert early.value.reason == "CONTEST_NOT_RUNNING"
    clock.now = T0 + 24 * H
    with pytest.raises(FailedPrecondition) as real:
        await app.start_virtual(ANN, cid)  # took part for real
    assert real.value.reason == "ALREADY_REGISTERED"
    with pytest.raises(FailedPrecondition) as none_yet:
        await app.virtual_view(cid, BOB)
    assert none_yet.value.reason == "CONTEST_NOT_REGISTERED"
    before = await app.view(cid, None)
    started = await app.start_virtual(BOB, cid)
    v0 = clock.now
    assert (started.start_time, started.end_time) == (v0, v0 + 5 * H)
    with pytest.raises(AlreadyExists):
        await app.start_virtual(BOB, cid)
    _, problem = await app.authorize(cid, "bob", "id-sum")
    assert problem.label == "A"
    with pytest.raises(FailedPrecondition):
        await app.authorize(cid, "carol", "id-sum")  # neither registered nor virtual: the contest has ended
    clock.now = v0 + 20 * MINUTE
    assert await app.record(cid, Result("v1", "bob", "id-sum", Verdict.ACCEPTED, v0 + 20 * MINUTE))
    assert not await app.record(cid, Result("v1", "bob", "id-sum", Verdict.ACCEPTED, v0 + 20 * MINUTE))
    seen = await app.virtual_view(cid, BOB)
    assert seen.contest_time == 20 * MINUTE
    assert [(r.user_id, r.solved_count) for r in seen.standings.rows] == [("bob", 1), ("ann", 0)]  # ann solved at 30
    clock.now = v0 + 31 * MINUTE
    seen = await app.virtual_view(cid, BOB)
    assert [(r.user_id, r.rank) for r in seen.standings.rows] == [("bob", 1), ("ann", 2)]  # 20 < 30 minutes
    assert seen.standings.rows[1].cells[0].solved_after == 30 * MINUTE
    after = await app.view(cid, None)
    assert after.board.version == before.board.version  # the real board never moved
    assert [r.user_id for r in app.standings(after).rows] == ["ann"]
    assert changed == [cid, cid, cid]  # register and two results; nothing virtual
    clock.now = v0 + 5 * H
    with pytest.raises(FailedPrecondition) as over:
        await app.authorize(cid, "bob", "id-sum")
    assert over.value.metadata == {"phase": "VIRTUAL_ENDED"}


# -- clarifications ----------------------------------------------------------------------------------


async def test_questions_answers_and_announcements(clock: Clock) -> None:
    pushed: list[tuple[str, str, str]] = []
    app = ContestApp(InMemoryContestStore(), Catalog(), clock=clock, push=lambda t, e, c: pushed.append((t, e, c.text)))
    cid = (await app.create(SETTER, spec())).contest_id
    await app.register(ANN, cid)
    await app.register(BOB, cid)
    with pytest.raises(FailedPrecondition) as stranger:
        await app.ask(who("carol"), cid, "", "hello?")
    assert stranger.value.reason == "CONTEST_NOT_REGISTERED"
    with pytest.raises(InvalidArgument) as empty:
        await app.ask(ANN, cid, "", "   ")
    assert empty.value.violations[0].field == "text"
    with pytest.raises(InvalidArgument) as long:
        await app.ask(ANN, cid, "", "?" * 2001)
    assert long.value.violations[0].field == "text"
    with pytest.raises(InvalidArgument) as unknown:
        await app.ask(ANN, cid, "zz", "which problem?")
    assert unknown.value.violations[0].field == "problem_id"
    clock.now = T0 + H
    q1 = await app.ask(ANN, cid, "a", "Is n ≥ 1?")
    assert (q1.problem_id, q1.label, q1.answered) == ("id-sum", "A", False)
    clock.now += MINUTE
    q2 = await app.ask(BOB, cid, "", "Is C++20 there?")
    with pytest.raises(PermissionDenied):
        await app.answer(ANN, cid, q1.clarification_id, "yes", True)
    with pytest.raises(NotFound):
        await app.answer(SETTER, cid, "nope", "yes", True)
    clock.now += MINUTE
    a1 = await app.answer(SETTER, cid, q1.clarification_id, "Yes.", False)
    assert (a1.answer, a1.public, a1.answerer_id) == ("Yes.", False, "setter")
    with pytest.raises(FailedPrecondition, match="answered already"):
        await app.answer(ADMIN, cid, q1.clarification_id, "Again", True)
    clock.now += MINUTE
    await app.answer(ADMIN, cid, q2.clarification_id, "Yes, g++ 12.", True)
    clock.now += MINUTE
    with pytest.raises(PermissionDenied):
        await app.announce(BOB, cid, "", "I declare")
    news = await app.announce(SETTER, cid, "B", "Problem B: n ≤ 10⁵")
    assert (news.kind.name, news.label, news.public) == ("ANNOUNCEMENT", "B", True)

    async def texts(caller: Identity | None) -> list[str]:
        found, _ = await app.clarifications(caller, cid, 10, None)
        return [c.text for c in found]

    assert await texts(ANN) == ["Problem B: n ≤ 10⁵", "Is C++20 there?", "Is n ≥ 1?"]
    assert await texts(BOB) == ["Problem B: n ≤ 10⁵", "Is C++20 there?"]
    assert await texts(None) == ["Problem B: n ≤ 10⁵", "Is C++20 there?"]
    assert await texts(SETTER) == await texts(ADMIN) == ["Problem B: n ≤ 10⁵", "Is C++20 there?", "Is n ≥ 1?"]
    page, cursor = await app.clarifications(SETTER, cid, 2, None)
    rest, end = await app.clarifications(SETTER, cid, 2, cursor)
    assert [c.text for c in page + rest] == await texts(SETTER) and end is None
    assert [(t, e) for t, e, _ in pushed] == [
        (f"users/setter/contests/{cid}/clarifications", "clarification.asked"),
        (f"users/setter/contests/{cid}/clarifications", "clarification.asked"),
        (f"users/ann/contests/{cid}/clarifications", "clarification.answered"),
        (f"contests/{cid}/clarifications", "clarification.answered"),
        (f"contests/{cid}/clarifications", "clarification.announced"),
    ]
    clock.now = T0 + 5 * H
    with pytest.raises(FailedPrecondition) as late:
        await app.ask(ANN, cid, "", "too late?")
    assert late.value.reason == "CONTEST_NOT_RUNNING"


async def test_a_failing_push_never_fails_the_call(clock: Clock) -> None:
    def broken(topic: str, event_type: str, clarification: object) -> None:
        raise ConnectionError("realtime is down")

    app = ContestApp(InMemoryContestStore(), Catalog(), clock=clock, push=broken)
    cid = (await app.create(SETTER, spec())).contest_id
    news = await app.announce(SETTER, cid, "", "Welcome")
    assert (await app.clarifications(None, cid, 10, None))[0] == [news]


# -- the held board takes this process's results in without reading the store ---------------------------


class CountingStore(InMemoryContestStore):
    def __init__(self) -> None:
        super().__init__()
        self.board_reads = 0

    async def board(self, contest_id: str) -> Board | None:
        self.board_reads += 1
        return await super().board(contest_id)


def recomputed(board: Board) -> Standings:
    return standings(board.contest, board.participants, board.results, JURY, board.update_time)


async def test_a_local_result_updates_the_held_board_without_a_read_and_streams_it(clock: Clock) -> None:
    store = CountingStore()
    app = ContestApp(store, Catalog(), clock=clock, poll_s=60.0)
    cid = (await app.create(SETTER, spec())).contest_id
    await app.register(ANN, cid)
    await app.register(BOB, cid)
    clock.now = T0 + H
    board = await app.boards.board(cid)
    reads = store.board_reads
    async with app.watch.follow(board) as followed:
        generation = followed.generation
        await app.record(cid, ac("s1", "bob", 30, Verdict.WRONG_ANSWER))
        await app.record(cid, ac("s2", "bob", 31))
        await app.record(cid, dataclasses.replace(ac("s1", "bob", 30), judge_time=T0 + H))  # a rejudge
        streamed = await asyncio.wait_for(followed.after(generation), 1.0)
        while streamed.version < 6:
            generation = followed.generation
            streamed = await asyncio.wait_for(followed.after(generation), 1.0)
    assert store.board_reads == reads  # no reread: the three results were folded into the held board
    stored = await store.board(cid)
    assert stored is not None and streamed.version == stored.version
    assert streamed.results == stored.results and streamed.update_time == stored.update_time
    assert recomputed(streamed) == recomputed(stored)


async def test_a_version_made_elsewhere_between_makes_the_next_read_reload(clock: Clock) -> None:
    store = CountingStore()
    app = ContestApp(store, Catalog(), clock=clock)
    cid = (await app.create(SETTER, spec())).contest_id
    await app.register(ANN, cid)
    clock.now = T0 + H
    await app.boards.board(cid)
    await store.record(cid, ac("s1", "ann", 5), clock.now)  # another process's write: version 3
    await app.record(cid, ac("s2", "ann", 6, Verdict.WRONG_ANSWER))  # this process's: version 4
    board = await app.boards.board(cid)  # within the expiry, yet the gap is noticed
    stored = await store.board(cid)
    assert stored is not None and board == stored and board.version == 4


Step = tuple[str, int, int, int, int]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["here", "here", "here", "elsewhere", "register"]),
            st.integers(0, 5),  # submission
            st.integers(0, 2),  # user
            st.integers(0, 3),  # verdict
            st.integers(0, 3),  # judge time
        ),
        max_size=25,
    )
)
def test_the_held_board_always_equals_a_recomputation_from_the_store(steps: list[Step]) -> None:
    asyncio.run(_held_equals_stored(steps))


async def _held_equals_stored(steps: list[Step]) -> None:
    clock = Clock()
    store = InMemoryContestStore()
    ticks = [0.0]
    app = ContestApp(store, Catalog(), clock=clock)
    app.boards = Boards(store, ttl_s=2.0, monotonic=lambda: ticks[0])
    cid = (await app.create(SETTER, spec())).contest_id
    users = [ANN, BOB, who("cy")]
    await app.register(ANN, cid)
    clock.now = T0 + H
    verdicts = [Verdict.ACCEPTED, Verdict.WRONG_ANSWER, Verdict.TIME_LIMIT_EXCEEDED, Verdict.COMPILATION_ERROR]
    for where, sid, user, verdict, judged in steps:
        clock.now += MINUTE
        if where == "register":
            with contextlib.suppress(AlreadyExists):
                await app.register(users[user], cid)
        else:
            result = dataclasses.replace(
                ac(f"s{sid}", users[sid % 3].user_id, sid, verdicts[verdict]), judge_time=T0 + judged * H
            )
            if where == "here":
                await app.record(cid, result)
            else:
                await store.record(cid, result, clock.now)
                ticks[0] += 3.0  # another process's write is seen once the expiry passes
        held = await app.boards.board(cid)
        stored = await store.board(cid)
        assert stored is not None and held.version == stored.version
        assert held == stored
        assert recomputed(held) == recomputed(stored)


async def test_a_burst_while_the_followers_send_becomes_one_board(clock: Clock) -> None:
    store = InMemoryContestStore()
    app = ContestApp(store, Catalog(), clock=clock)
    app.watch = Watch(app.boards, clock, poll_s=60.0, settle_s=1.0)
    app.changed = app.watch.poke
    cid = (await app.create(SETTER, spec())).contest_id
    await app.register(ANN, cid)
    await app.register(BOB, cid)
    clock.now = T0 + H
    async with app.watch.follow(await app.boards.board(cid)) as followed:
        await app.record(cid, ac("s1", "bob", 30))
        await asyncio.wait_for(followed.after(0), 1.0)  # the follower is sending this board now
        for i in range(2, 6):
            await app.record(cid, ac(f"s{i}", "ann", 30 + i, Verdict.WRONG_ANSWER))
        await asyncio.sleep(0.05)
        assert followed.generation == 1  # no board per verdict while the follower is busy
        last = await asyncio.wait_for(followed.after(1), 2.0)  # back: the burst comes as one board
        assert followed.generation == 2
    assert last == await store.board(cid)


async def test_verdicts_arriving_together_are_written_together_with_each_outcome_right() -> None:
    store = InMemoryContestStore()
    writes: list[int] = []
    record_many_at = store.record_many_at

    async def counted(contest_id: str, results: Sequence[Result], now: dt.datetime) -> list[int | None]:
        writes.append(len(results))
        return await record_many_at(contest_id, results, now)

    store.record_many_at = counted  # type: ignore[method-assign]
    clock = Clock()
    app = ContestApp(store, Catalog(), clock=clock)
    cid = (await app.create(SETTER, spec())).contest_id
    await app.register(ANN, cid)
    await app.register(BOB, cid)
    clock.now = T0 + H
    results = [
        ac(f"s{i}", ("ann", "bob")[i % 2], 10 + i, (Verdict.ACCEPTED, Verdict.WRONG_ANSWER)[i % 3 == 0])
        for i in range(12)
    ]
    deliveries = [*results, results[0], results[5]]  # two redeliveries
    applied = await asyncio.gather(*(app.record(cid, r) for r in deliveries))
    assert applied == [True] * 12 + [False, False]
    assert sum(writes) == len(deliveries) and len(writes) < len(deliveries)  # written together
    board = await app.boards.board(cid)
    stored = await store.board(cid)
    assert board == stored and stored is not None and stored.version == 3 + 12
    with pytest.raises(NotFound):
        await app.record("missing", results[0])
