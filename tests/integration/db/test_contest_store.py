"""One contract for every ContestStore: the in-memory fake, SQLite and PostgreSQL pass the same assertions.

It holds what the outbox relies on (recording a result is idempotent per submission and correct in any
order, concurrent deliveries included), that the board version moves exactly when the board's inputs do,
and that listing by phase agrees with ``domain.phase_at``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator

import pytest

from arena.contest.domain import (
    Clarification,
    ClarificationKind,
    Contest,
    ContestProblem,
    GroupScore,
    Participant,
    Phase,
    Result,
    ScoringRule,
    Spec,
    Verdict,
    VirtualParticipation,
    phase_at,
    standings,
)
from arena.contest.store import ContestStore, InMemoryContestStore, SqlContestStore
from arena.core.errors import AlreadyExists
from arena.kit.db import make_engine

pytestmark = pytest.mark.timeout(120)

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def spec(start: dt.datetime = T0, **changes: object) -> Spec:
    base = Spec(
        title="Winter Cup",
        scoring_rule=ScoringRule.ICPC,
        start_time=start,
        duration=5 * H,
        problems=(ContestProblem("p1", "A", 100, "Sum"), ContestProblem("p2", "B", 50, "Café ∑")),
        description="Rules: *none*.",
        freeze_before_end=H,
        penalty_per_rejection=dt.timedelta(minutes=15),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def result(sid: str, user: str, verdict: Verdict, minute: int, judged_h: int = 0, **kw: object) -> Result:
    return Result(
        sid,
        user,
        "p1",
        verdict,
        T0 + dt.timedelta(minutes=minute),
        judge_time=T0 + dt.timedelta(hours=judged_h),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[ContestStore]:  # type: ignore[no-untyped-def]
    if request.param == "memory":
        yield InMemoryContestStore()
        return
    if request.param == "postgres":
        url = request.getfixturevalue("postgres").create_database(f"contest_{uuid.uuid4().hex[:12]}")
        engine = make_engine(url, pool_size=20, max_overflow=20)
    else:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/contest.db")
    sql = SqlContestStore(engine)
    await sql.migrate()
    await sql.migrate()  # idempotent
    yield sql
    await engine.dispose()


async def test_a_contest_round_trips(store: ContestStore) -> None:
    created = await store.insert("c1", spec(), "setter", T0 - H)
    assert created == Contest("c1", spec(), "setter", T0 - H, T0 - H)
    assert await store.get("c1") == created
    assert await store.get("nope") is None
    assert await store.version("c1") == 1 and await store.version("nope") is None


async def test_replacing_the_spec_and_publishing_bump_the_version(store: ContestStore) -> None:
    await store.insert("c1", spec(), "setter", T0 - H)
    new = spec(title="Spring Cup", problems=(ContestProblem("p9", "Z", 7),), duration=6 * H)
    updated = await store.replace_spec("c1", new, T0)
    assert updated is not None and updated.spec == new and updated.update_time == T0
    assert await store.get("c1") == updated and await store.version("c1") == 2
    published = await store.publish("c1", T0 + 7 * H)
    assert published is not None and published.final_standings_published
    assert await store.publish("c1", T0 + 8 * H) == published  # idempotent
    assert await store.version("c1") == 3
    assert await store.replace_spec("nope", new, T0) is None and await store.publish("nope", T0) is None


async def test_registration_is_once_per_user_and_counted(store: ContestStore) -> None:
    await store.insert("c1", spec(), "setter", T0 - H)
    await store.register("c1", "ann", "Ann", T0 - H)
    with pytest.raises(AlreadyExists) as caught:
        await store.register("c1", "ann", "Ann", T0 - H)
    assert caught.value.reason == "ALREADY_REGISTERED"
    await store.register("c1", "bob", "Bob", T0)
    assert await store.registered("c1", "ann") and not await store.registered("c1", "cyd")
    contest = await store.get("c1")
    assert contest is not None and contest.participant_count == 2
    board = await store.board("c1")
    assert board is not None and board.participants == (Participant("ann", "Ann"), Participant("bob", "Bob"))
    assert board.version == 3


async def test_recording_is_idempotent_and_a_later_judgement_wins_in_any_order(store: ContestStore) -> None:
    await store.insert("c1", spec(), "setter", T0 - H)
    groups = (GroupScore("g1", 30.0), GroupScore("g2", 12.5))
    first = result("s1", "ann", Verdict.WRONG_ANSWER, 5, score=0.5, groups=groups)
    rejudged = dataclasses.replace(first, verdict=Verdict.ACCEPTED, score=1.0, judge_time=T0 + 2 * H)
    assert await store.record("c1", first, T0)
    assert not await store.record("c1", first, T0)  # a replay
    assert await store.record("c1", rejudged, T0)
    assert not await store.record("c1", first, T0)  # the older judgement arrives late
    board = await store.board("c1")
    assert board is not None and board.results == (rejudged,) and board.version == 3
    assert board.update_time == T0


async def test_recording_several_in_one_write_is_recording_them_one_by_one(store: ContestStore) -> None:
    await store.insert("c1", spec(), "setter", T0 - H)
    await store.insert("c2", spec(), "setter", T0 - H)
    await store.record("c2", result("elsewhere", "ann", Verdict.ACCEPTED, 5), T0)  # v2 of c2
    first = result("s1", "ann", Verdict.WRONG_ANSWER, 5)
    rejudged = dataclasses.replace(first, verdict=Verdict.ACCEPTED, judge_time=T0 + 2 * H)
    other = result("s2", "bob", Verdict.ACCEPTED, 9)
    stray = result("elsewhere", "ann", Verdict.ACCEPTED, 5, judged_h=3)
    batch = [first, first, other, rejudged, first, stray, other]
    # In order: new (v2), replay, new (v3), a later judgement (v4), older than kept, another contest's, replay.
    assert await store.record_many_at("c1", batch, T0 + H) == [2, None, 3, 4, None, None, None]
    board = await store.board("c1")
    assert board is not None and board.version == 4 and board.update_time == T0 + H
    assert sorted(board.results, key=lambda r: r.submission_id) == [rejudged, other]
    assert await store.record_many_at("c1", [], T0) == []
    with pytest.raises(LookupError):
        await store.record_many_at("nope", [first], T0)


async def test_a_submission_belongs_to_one_contest(store: ContestStore) -> None:
    await store.insert("c1", spec(), "setter", T0 - H)
    await store.insert("c2", spec(), "setter", T0 - H)
    assert await store.record("c1", result("s1", "ann", Verdict.ACCEPTED, 5), T0)
    assert not await store.record("c2", result("s1", "ann", Verdict.ACCEPTED, 5, judged_h=3), T0)
    board = await store.board("c2")
    assert board is not None and board.results == ()


async def test_concurrent_redelivered_results_give_the_recomputed_board(store: ContestStore) -> None:
    await store.insert("c1", spec(), "setter", T0 - H)
    people = [Participant(u, u) for u in ("ann", "bob", "cyd")]
    for p in people:
        await store.register("c1", p.user_id, p.display_name, T0 - H)
    rnd = random.Random(7)
    verdicts = [Verdict.ACCEPTED, Verdict.WRONG_ANSWER, Verdict.COMPILATION_ERROR]
    results = [
        result(f"s{i}", rnd.choice(people).user_id, rnd.choice(verdicts), rnd.randrange(0, 290), rnd.randrange(3))
        for i in range(30)
    ]
    deliveries = results * 3
    rnd.shuffle(deliveries)
    await asyncio.gather(*(store.record("c1", r, T0) for r in deliveries))
    board = await store.board("c1")
    assert board is not None
    assert standings(board.contest, board.participants, board.results) == standings(board.contest, people, results)


async def test_listing_by_phase_agrees_with_the_domain_and_pages(store: ContestStore) -> None:
    now = T0
    starts = {
        "up1": now + 2 * H,
        "up2": now + H,
        "run": now - H,  # runs until now + 3h, freezes at now + 3h
        "frz": now - 4.5 * H,  # freeze started at now - 0.5h
        "end": now - 9 * H,
    }
    for contest_id, start in starts.items():
        await store.insert(contest_id, spec(start), "setter", now - 10 * H)
    for phase in Phase:
        page, _ = await store.list(phase, now, 10, None)
        expected = sorted((c for c, s in starts.items() if phase_at(spec(s), now) is phase), key=starts.__getitem__)
        assert [c.contest_id for c in page] == expected
    seen: list[str] = []
    cursor = None
    while True:
        page, cursor = await store.list(None, now, 2, cursor)
        seen += [c.contest_id for c in page]
        if cursor is None:
            break
        now += 100 * H  # the cursor keeps its first page's clock
    assert seen == ["frz", "run", "up2", "up1", "end"]


# -- virtual participation -------------------------------------------------------------------------------

V0 = T0 + 30 * H


async def test_a_virtual_participation_is_once_per_user_and_its_results_stay_apart(store: ContestStore) -> None:
    await store.insert("c1", spec(), "setter", T0 - H)
    await store.register("c1", "ann", "Ann", T0 - H)
    await store.record("c1", result("s1", "ann", Verdict.ACCEPTED, 10), T0 + H)
    version = await store.version("c1")
    board = await store.board("c1")
    vic = VirtualParticipation("c1", "vic", "Vic", V0, 5 * H)
    assert await store.start_virtual(vic) == vic
    with pytest.raises(AlreadyExists):
        await store.start_virtual(dataclasses.replace(vic, start_time=V0 + H))
    assert await store.virtual("c1", "vic") == vic
    assert await store.virtual("c1", "ann") is None and await store.virtual("nope", "vic") is None
    assert await store.virtuals("c1", ["vic", "ann", "zed"]) == {"vic": vic}
    assert await store.virtuals("nope", ["vic"]) == {} and await store.virtuals("c1", []) == {}
    first = Result("v1", "vic", "p1", Verdict.WRONG_ANSWER, V0 + H, groups=(GroupScore("g", 2.5),), judge_time=V0 + H)
    rejudged = dataclasses.replace(first, verdict=Verdict.ACCEPTED, judge_time=V0 + 2 * H)
    assert await store.record_virtual("c1", first)
    assert not await store.record_virtual("c1", first)  # a replay
    assert await store.record_virtual("c1", rejudged)
    assert not await store.record_virtual("c1", first)  # older than what is kept
    assert await store.record_virtual("c1", Result("v2", "vic", "p2", Verdict.ACCEPTED, V0 + 2 * H, judge_time=V0))
    assert await store.virtual_results("c1", "vic") == (
        rejudged,
        Result("v2", "vic", "p2", Verdict.ACCEPTED, V0 + 2 * H, judge_time=V0),
    )
    assert await store.virtual_results("c1", "ann") == ()
    assert await store.version("c1") == version  # the real board never moved
    assert await store.board("c1") == board


# -- clarifications --------------------------------------------------------------------------------------


def clarification(cid: str, minute: int, author: str = "ann", **changes: object) -> Clarification:
    base = Clarification(
        cid,
        "c1",
        ClarificationKind.QUESTION,
        "p1",
        "A",
        f"Question ∑ {cid}",
        author,
        T0 + minute * dt.timedelta(minutes=1),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


async def test_clarifications_are_answered_once_and_listed_by_who_may_see_them(store: ContestStore) -> None:
    await store.insert("c1", spec(), "setter", T0 - H)
    await store.insert("c2", spec(), "setter", T0 - H)
    q1 = await store.add_clarification(clarification("q1", 1))
    await store.add_clarification(clarification("q2", 2, "bob", problem_id="", label=""))
    news = await store.add_clarification(
        clarification("n1", 2, "setter", kind=ClarificationKind.ANNOUNCEMENT, public=True)
    )
    await store.add_clarification(clarification("other", 3, contest_id="c2"))
    assert await store.get_clarification("c1", "q1") == q1
    assert await store.get_clarification("c2", "q1") is None and await store.get_clarification("c1", "x") is None
    done = dataclasses.replace(q1, answer="Yes ≥", public=True, answerer_id="setter", answer_time=T0 + H)
    assert await store.answer_clarification(done)
    assert not await store.answer_clarification(dataclasses.replace(done, answer="No"))  # answered already
    assert await store.get_clarification("c1", "q1") == done

    async def ids(viewer: str | None, jury: bool, limit: int = 10) -> list[str]:
        out: list[str] = []
        cursor = None
        while True:
            page, cursor = await store.list_clarifications("c1", viewer, jury, limit, cursor)
            out += [c.clarification_id for c in page]
            if cursor is None:
                return out

    assert await ids(None, jury=True) == ["q2", "n1", "q1"]  # newest first, ties by id descending
    assert await ids(None, jury=True, limit=1) == ["q2", "n1", "q1"]
    assert await ids("bob", jury=False) == ["q2", "n1", "q1"]
    assert await ids("cy", jury=False, limit=1) == ["n1", "q1"]
    assert await ids(None, jury=False) == ["n1", "q1"]
    assert news.public


async def test_concurrent_answers_to_one_question_only_one_wins(store: ContestStore) -> None:
    await store.insert("c1", spec(), "setter", T0 - H)
    q = await store.add_clarification(clarification("q1", 1))
    answers = [dataclasses.replace(q, answer=f"answer {i}", answerer_id="setter", answer_time=T0 + H) for i in range(8)]
    won = await asyncio.gather(*(store.answer_clarification(a) for a in answers))
    assert sum(won) == 1
    kept = await store.get_clarification("c1", "q1")
    assert kept == answers[won.index(True)]


async def test_concurrent_deliveries_of_one_virtual_result_apply_once(store: ContestStore) -> None:
    await store.insert("c1", spec(), "setter", T0 - H)
    await store.start_virtual(VirtualParticipation("c1", "vic", "Vic", V0, 5 * H))
    one = Result("v1", "vic", "p1", Verdict.ACCEPTED, V0 + H, judge_time=V0 + H)
    applied = await asyncio.gather(*(store.record_virtual("c1", one) for _ in range(8)))
    assert sum(applied) == 1
    assert await store.virtual_results("c1", "vic") == (one,)
