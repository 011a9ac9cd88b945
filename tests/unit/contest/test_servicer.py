"""The contest servicers: proto ↔ domain, leaderboard pages served from bytes kept per board version."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

import pytest
from google.protobuf import duration_pb2, field_mask_pb2, timestamp_pb2

from arena.common.v1 import verdict_pb2
from arena.contest.app import ContestApp
from arena.contest.servicer import ContestInternalServicer, ContestServicer
from arena.contest.store import InMemoryContestStore
from arena.contest.v1 import (
    contest_internal_service_pb2 as internal,
)
from arena.contest.v1 import (
    contest_pb2,
)
from arena.contest.v1 import (
    contest_service_pb2 as public,
)
from arena.core.errors import FailedPrecondition, InvalidArgument, OutOfRange
from arena.core.identity import Identity
from arena.kit import context as request_context
from arena.kit.middleware import STREAM_STARTED
from support.leaderboard import FollowedBoard
from unit.contest.test_app import ADMIN, ANN, BOB, T0, Catalog, Clock, who

H = dt.timedelta(hours=1)


def ts(value: dt.datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


def dur(value: dt.timedelta) -> duration_pb2.Duration:
    out = duration_pb2.Duration()
    out.FromTimedelta(value)
    return out


def acting(identity: Identity | None) -> None:
    """Calls from now on (in this test's task, which ends with the test) come from ``identity``."""
    request_context.set_current(request_context.RequestContext("r", "/m", "grpc", "t", identity=identity))


@pytest.fixture
def parts() -> tuple[ContestServicer, ContestInternalServicer, Clock]:
    clock = Clock()
    app = ContestApp(InMemoryContestStore(), Catalog(), clock=clock, poll_s=0.05)
    return ContestServicer(app), ContestInternalServicer(app), clock


def new_contest(**kw: object) -> contest_pb2.Contest:
    message = contest_pb2.Contest(
        title="Winter Cup",
        scoring_rule=contest_pb2.SCORING_RULE_ICPC,
        start_time=ts(T0),
        duration=dur(5 * H),
        freeze_before_end=dur(H),
        problems=[contest_pb2.ContestProblem(problem_id="a-plus-b"), contest_pb2.ContestProblem(problem_id="paths")],
    )
    for k, v in kw.items():
        if isinstance(v, duration_pb2.Duration):
            getattr(message, k).CopyFrom(v)
        else:
            setattr(message, k, v)
    return message


def result(sid: str, user: str, minute: int, verdict: int = verdict_pb2.VERDICT_ACCEPTED, cid: str = "") -> object:
    return internal.RecordSubmissionResultRequest(
        submission_id=sid,
        contest_id=cid,
        user_id=user,
        problem_id="id-sum",
        verdict=verdict,  # type: ignore[arg-type]
        score=1.0,
        submit_time=ts(T0 + dt.timedelta(minutes=minute)),
    )


async def test_a_contest_run_through_the_servicers(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, internal_servicer, clock = parts
    acting(ADMIN)
    created = (await servicer.CreateContest(public.CreateContestRequest(contest=new_contest()), None)).contest
    cid = created.contest_id
    assert created.phase == contest_pb2.CONTEST_PHASE_UPCOMING
    assert [(p.problem_id, p.label, p.title) for p in created.problems] == [
        ("id-sum", "A", "A + B"),
        ("id-path", "B", "Paths"),
    ]
    assert created.penalty_per_rejection.ToTimedelta() == dt.timedelta(minutes=20)
    assert created.end_time.ToDatetime(tzinfo=dt.UTC) == T0 + 5 * H
    for user in (ANN, BOB):
        acting(user)
        await servicer.RegisterForContest(public.RegisterForContestRequest(contest_id=cid), None)
    got = (await servicer.GetContest(public.GetContestRequest(contest_id=cid), None)).contest
    assert got.registered and got.participant_count == 2

    clock.now = T0 + H
    authorized = await internal_servicer.AuthorizeSubmission(
        internal.AuthorizeSubmissionRequest(contest_id=cid, user_id="ann", problem_id="id-path"), None
    )
    assert authorized.label == "B" and not authorized.run_all_tests
    assert (await internal_servicer.RecordSubmissionResult(result("s1", "bob", 30, cid=cid), None)).applied
    assert not (await internal_servicer.RecordSubmissionResult(result("s1", "bob", 30, cid=cid), None)).applied

    acting(None)
    request = public.GetLeaderboardRequest(contest_id=cid, page_size=1)
    first = await servicer.GetLeaderboard(request, None)
    assert await servicer.GetLeaderboard(request, None) is first  # bytes kept for the version
    page = public.GetLeaderboardResponse.FromString(first)
    board = page.leaderboard
    assert [r.user_id for r in board.rows] == ["bob"] and board.participant_count == 2
    assert board.rows[0].cells[0].first_solve and board.rows[0].penalty.ToTimedelta() == dt.timedelta(minutes=30)
    second = public.GetLeaderboardResponse.FromString(
        await servicer.GetLeaderboard(
            public.GetLeaderboardRequest(contest_id=cid, page_size=1, page_token=page.next_page_token), None
        )
    )
    assert [r.user_id for r in second.leaderboard.rows] == ["ann"] and second.next_page_token == ""

    await internal_servicer.RecordSubmissionResult(result("s2", "ann", 20, cid=cid), None)
    moved = public.GetLeaderboardResponse.FromString(await servicer.GetLeaderboard(request, None))
    assert moved.leaderboard.version == board.version + 1 and moved.leaderboard.rows[0].user_id == "ann"

    acting(BOB)
    around = public.GetLeaderboardResponse.FromString(
        await servicer.GetLeaderboard(public.GetLeaderboardRequest(contest_id=cid, page_size=1, around_me=True), None)
    )
    assert [r.user_id for r in around.leaderboard.rows] == ["bob"]


async def test_the_freeze_through_the_servicer(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, internal_servicer, clock = parts
    acting(ADMIN)
    cid = (await servicer.CreateContest(public.CreateContestRequest(contest=new_contest()), None)).contest.contest_id
    acting(BOB)
    await servicer.RegisterForContest(public.RegisterForContestRequest(contest_id=cid), None)
    clock.now = T0 + 4.5 * H
    await internal_servicer.RecordSubmissionResult(result("s1", "bob", 250, cid=cid), None)
    request = public.GetLeaderboardRequest(contest_id=cid)
    acting(None)
    frozen = public.GetLeaderboardResponse.FromString(await servicer.GetLeaderboard(request, None)).leaderboard
    assert frozen.frozen and frozen.rows[0].cells[0].pending_attempts == 1 and not frozen.rows[0].cells[0].solved
    acting(BOB)
    own = public.GetLeaderboardResponse.FromString(await servicer.GetLeaderboard(request, None)).leaderboard
    assert own.rows[0].cells[0].solved
    clock.now = T0 + 6 * H
    acting(ADMIN)
    published = await servicer.PublishFinalStandings(public.PublishFinalStandingsRequest(contest_id=cid), None)
    assert published.contest.final_standings_published
    acting(None)
    final = public.GetLeaderboardResponse.FromString(await servicer.GetLeaderboard(request, None)).leaderboard
    assert not final.frozen and final.rows[0].cells[0].solved


async def test_bad_inputs_are_clear_errors(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, internal_servicer, _clock = parts
    acting(ADMIN)
    with pytest.raises(InvalidArgument) as caught:
        bad = new_contest(scoring_rule=contest_pb2.SCORING_RULE_UNSPECIFIED)
        await servicer.CreateContest(public.CreateContestRequest(contest=bad), None)
    assert caught.value.violations[0].field == "contest.scoring_rule"
    with pytest.raises(InvalidArgument) as caught:
        await servicer.CreateContest(public.CreateContestRequest(contest=new_contest(duration=dur(-H))), None)
    assert caught.value.violations[0].field == "contest.duration"
    cid = (await servicer.CreateContest(public.CreateContestRequest(contest=new_contest()), None)).contest.contest_id
    with pytest.raises(InvalidArgument) as caught:
        await servicer.UpdateContest(
            public.UpdateContestRequest(
                contest=contest_pb2.Contest(contest_id=cid), update_mask=field_mask_pb2.FieldMask(paths=["author_id"])
            ),
            None,
        )
    assert caught.value.reason == "INVALID_UPDATE_MASK"
    updated = await servicer.UpdateContest(
        public.UpdateContestRequest(
            contest=contest_pb2.Contest(contest_id=cid, title="Spring Cup"),
            update_mask=field_mask_pb2.FieldMask(paths=["title"]),
        ),
        None,
    )
    assert updated.contest.title == "Spring Cup"
    with pytest.raises(InvalidArgument):
        await internal_servicer.RecordSubmissionResult(result("s1", "ann", 5, verdict=99, cid=cid), None)
    with pytest.raises(InvalidArgument) as caught:
        await servicer.ListContests(public.ListContestsRequest(page_token="garbage"), None)
    acting(ANN)
    with pytest.raises(FailedPrecondition) as caught2:
        await servicer.GetLeaderboard(public.GetLeaderboardRequest(contest_id=cid, around_me=True), None)
    assert caught2.value.reason == "CONTEST_NOT_REGISTERED"


# -- the stream --------------------------------------------------------------------------------------


async def _stream_setup(parts):  # type: ignore[no-untyped-def]
    servicer, internal_servicer, clock = parts
    acting(ADMIN)
    cid = (await servicer.CreateContest(public.CreateContestRequest(contest=new_contest()), None)).contest.contest_id
    for user in (ANN, BOB):
        acting(user)
        await servicer.RegisterForContest(public.RegisterForContestRequest(contest_id=cid), None)
    clock.now = T0 + H
    acting(None)
    return servicer, internal_servicer, clock, cid


def _board(message: object) -> contest_pb2.Leaderboard:
    assert isinstance(message, bytes)
    return public.GetLeaderboardStreamResponse.FromString(message).leaderboard


def _message(data: object) -> public.GetLeaderboardStreamResponse:
    assert isinstance(data, bytes)
    return public.GetLeaderboardStreamResponse.FromString(data)


async def _page(servicer, cid: str, size: int) -> contest_pb2.Leaderboard:  # type: ignore[no-untyped-def]
    request = public.GetLeaderboardRequest(contest_id=cid, page_size=size)
    return public.GetLeaderboardResponse.FromString(await servicer.GetLeaderboard(request, None)).leaderboard


async def test_the_stream_sends_a_snapshot_then_every_change_as_shared_bytes(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, internal_servicer, _clock, cid = await _stream_setup(parts)
    request = public.GetLeaderboardStreamRequest(contest_id=cid, page_size=10)
    one, two = servicer.GetLeaderboardStream(request, None), servicer.GetLeaderboardStream(request, None)
    first_one, first_two = await anext(one), await anext(two)
    assert first_one is first_two  # one serialization for both followers
    assert _board(first_one).version == 3
    client = FollowedBoard()
    client.take_bytes(first_one)
    await internal_servicer.RecordSubmissionResult(result("s1", "bob", 30, cid=cid), None)
    moved_one, moved_two = await asyncio.wait_for(anext(one), 5), await asyncio.wait_for(anext(two), 5)
    assert moved_one is moved_two
    change = _message(moved_one).change
    # bob climbs over ann: bob's whole row at the top, ann's row moved down (rank and place only).
    assert (change.base_version, change.version, change.row_count) == (3, 4, 2)
    assert [(p.position, p.row.user_id, p.moved) for p in change.rows] == [(0, "bob", False), (1, "ann", True)]
    assert change.rows[1].row == contest_pb2.StandingRow(rank=2, user_id="ann")
    board = client.take_bytes(moved_one)
    assert board.version == 4 and board.rows[0].user_id == "bob" and board.rows[0].solved_count == 1
    assert list(board.rows) == list((await _page(servicer, cid, 10)).rows)
    await one.aclose()
    await two.aclose()
    assert not servicer.app.watch._followed  # the last follower gone, the reader stops


async def test_a_verdict_that_changes_no_shown_row_is_a_change_without_rows(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, internal_servicer, _clock, cid = await _stream_setup(parts)
    await internal_servicer.RecordSubmissionResult(result("s1", "bob", 30, cid=cid), None)
    stream = servicer.GetLeaderboardStream(public.GetLeaderboardStreamRequest(contest_id=cid, page_size=1), None)
    assert [r.user_id for r in _board(await anext(stream)).rows] == ["bob"]
    await internal_servicer.RecordSubmissionResult(result("s2", "ann", 40, verdict=2, cid=cid), None)
    change = _message(await asyncio.wait_for(anext(stream), 5)).change
    assert (change.base_version, change.version, change.row_count, list(change.rows)) == (4, 5, 1, [])
    assert change.participant_count == 2
    await stream.aclose()


async def test_a_follower_applying_every_change_holds_the_served_page(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, internal_servicer, _clock, cid = await _stream_setup(parts)
    people = ["ann", "bob", *(f"u{i}" for i in range(6))]
    for user in people[2:]:
        acting(who(user))
        await servicer.RegisterForContest(public.RegisterForContestRequest(contest_id=cid), None)
    acting(None)
    stream = servicer.GetLeaderboardStream(public.GetLeaderboardStreamRequest(contest_id=cid, page_size=4), None)
    client = FollowedBoard()
    client.take_bytes(await anext(stream))
    rnd = random.Random(7)
    for i in range(40):  # accepted and rejected attempts of random contestants at random times
        verdict = rnd.choice([verdict_pb2.VERDICT_ACCEPTED, verdict_pb2.VERDICT_WRONG_ANSWER])
        attempt = result(f"s{i}", rnd.choice(people), rnd.randrange(1, 200), verdict=verdict, cid=cid)
        attempt.problem_id = rnd.choice(["id-sum", "id-path"])  # type: ignore[attr-defined]
        await internal_servicer.RecordSubmissionResult(attempt, None)
        board = client.take_bytes(await asyncio.wait_for(anext(stream), 5))
        served = await _page(servicer, cid, 4)
        assert board.version == served.version and list(board.rows) == list(served.rows)
        assert board.participant_count == served.participant_count == len(people)
    assert client.snapshots == 1 and client.changes == 40
    await stream.aclose()


async def test_followers_alike_work_out_a_board_once_per_change(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, internal_servicer, _clock, cid = await _stream_setup(parts)
    looked: list[object] = []
    view_of = servicer.app.view_of

    def counted(board, caller):  # type: ignore[no-untyped-def]
        looked.append(caller)
        return view_of(board, caller)

    servicer.app.view_of = counted
    request = public.GetLeaderboardStreamRequest(contest_id=cid)
    anonymous = [servicer.GetLeaderboardStream(request, None) for _ in range(5)]
    for stream in anonymous:
        await anext(stream)
    acting(ANN)  # a contestant sees their own board: worked out apart from the public one
    own = servicer.GetLeaderboardStream(request, None)
    await anext(own)
    assert looked == [None, ANN]
    acting(None)
    await internal_servicer.RecordSubmissionResult(result("s1", "bob", 30, cid=cid), None)
    for stream in [*anonymous, own]:
        assert _message(await asyncio.wait_for(anext(stream), 5)).change.version == 4
    assert looked == [None, ANN, None, ANN]
    for stream in [*anonymous, own]:
        await stream.aclose()


async def test_snapshots_only_sends_the_whole_page_on_every_change(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, internal_servicer, _clock, cid = await _stream_setup(parts)
    request = public.GetLeaderboardStreamRequest(contest_id=cid, snapshots_only=True)
    stream = servicer.GetLeaderboardStream(request, None)
    assert _board(await anext(stream)).version == 3
    await internal_servicer.RecordSubmissionResult(result("s1", "bob", 30, cid=cid), None)
    message = _message(await asyncio.wait_for(anext(stream), 5))
    assert not message.HasField("change") and message.leaderboard.version == 4
    assert [r.user_id for r in message.leaderboard.rows] == ["bob", "ann"]
    await stream.aclose()


async def test_a_slow_follower_gets_one_change_over_every_version_it_missed(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, internal_servicer, _clock, cid = await _stream_setup(parts)
    stream = servicer.GetLeaderboardStream(public.GetLeaderboardStreamRequest(contest_id=cid), None)
    client = FollowedBoard()
    assert client.take_bytes(await anext(stream)).version == 3
    for i in range(5):
        await internal_servicer.RecordSubmissionResult(result(f"s{i}", "ann", 10 + i, verdict=2, cid=cid), None)
    changes = []
    while client.board is not None and client.board.version < 8:  # the changes chain from version to version
        message = _message(await asyncio.wait_for(anext(stream), 5))
        changes.append((message.change.base_version, message.change.version))
        latest = client.take(message)
    assert len(changes) < 5 and changes[0][0] == 3 and changes[-1][1] == 8  # versions it missed come together
    assert latest.rows[0].cells[0].rejected_attempts == 5
    assert list(latest.rows) == list((await _page(servicer, cid, 100)).rows)
    await stream.aclose()


async def test_the_stream_resumes_after_a_version(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, internal_servicer, _clock, cid = await _stream_setup(parts)
    stream = servicer.GetLeaderboardStream(public.GetLeaderboardStreamRequest(contest_id=cid, after_version=3), None)
    assert await anext(stream) is STREAM_STARTED  # nothing new yet: headers only
    await internal_servicer.RecordSubmissionResult(result("s1", "bob", 30, cid=cid), None)
    assert _board(await asyncio.wait_for(anext(stream), 5)).version == 4  # a snapshot: its page is unknown here
    await stream.aclose()
    with pytest.raises(OutOfRange):
        await anext(
            servicer.GetLeaderboardStream(public.GetLeaderboardStreamRequest(contest_id=cid, after_version=9), None)
        )


async def test_the_stream_ends_with_the_final_standings(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, _internal, clock, cid = await _stream_setup(parts)
    stream = servicer.GetLeaderboardStream(public.GetLeaderboardStreamRequest(contest_id=cid), None)
    assert _board(await anext(stream)).version == 3
    clock.now = T0 + 6 * H
    acting(ADMIN)
    await servicer.PublishFinalStandings(public.PublishFinalStandingsRequest(contest_id=cid), None)
    last = _message(await asyncio.wait_for(anext(stream), 5))
    assert last.last and not last.leaderboard.frozen
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_a_quiet_stream_sends_heartbeats(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, _internal, _clock, cid = await _stream_setup(parts)
    servicer.heartbeat_s = 0.05
    stream = servicer.GetLeaderboardStream(public.GetLeaderboardStreamRequest(contest_id=cid), None)
    await anext(stream)
    beat = await asyncio.wait_for(anext(stream), 5)
    change = _message(beat).change
    assert (change.base_version, change.version, list(change.rows)) == (3, 3, [])  # nothing changed
    assert await asyncio.wait_for(anext(stream), 5) is beat  # the same bytes each time
    await stream.aclose()
    whole = servicer.GetLeaderboardStream(public.GetLeaderboardStreamRequest(contest_id=cid, snapshots_only=True), None)
    first = await anext(whole)
    assert await asyncio.wait_for(anext(whole), 5) is first  # without changes: the same snapshot again
    await whole.aclose()


async def test_virtual_participation_through_the_servicers(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, internal_servicer, clock = parts
    acting(ADMIN)
    cid = (await servicer.CreateContest(public.CreateContestRequest(contest=new_contest()), None)).contest.contest_id
    acting(ANN)
    await servicer.RegisterForContest(public.RegisterForContestRequest(contest_id=cid), None)
    clock.now = T0 + H
    await internal_servicer.RecordSubmissionResult(result("s1", "ann", 30, cid=cid), None)
    clock.now = T0 + 10 * H
    acting(BOB)
    with pytest.raises(FailedPrecondition):  # no virtual participation yet
        await servicer.GetLeaderboard(public.GetLeaderboardRequest(contest_id=cid, virtual=True), None)
    started = (
        await servicer.StartVirtualParticipation(public.StartVirtualParticipationRequest(contest_id=cid), None)
    ).virtual_participation
    v0 = clock.now
    assert started.user_id == "bob" and started.end_time.ToDatetime(tzinfo=dt.UTC) == v0 + 5 * H
    got = (await servicer.GetContest(public.GetContestRequest(contest_id=cid), None)).contest
    assert got.virtual_participation == started and not got.registered
    authorized = await internal_servicer.AuthorizeSubmission(
        internal.AuthorizeSubmissionRequest(contest_id=cid, user_id="bob", problem_id="id-sum"), None
    )
    assert authorized.label == "A"
    clock.now = v0 + dt.timedelta(minutes=12)
    virtual = result("v1", "bob", 0, cid=cid)
    virtual.submit_time.FromDatetime(v0 + dt.timedelta(minutes=10))  # type: ignore[attr-defined]
    assert (await internal_servicer.RecordSubmissionResult(virtual, None)).applied
    page = public.GetLeaderboardResponse.FromString(
        await servicer.GetLeaderboard(public.GetLeaderboardRequest(contest_id=cid, virtual=True, around_me=True), None)
    )
    board = page.leaderboard
    assert board.virtual and board.elapsed.ToTimedelta() == dt.timedelta(minutes=12)
    assert [(r.user_id, r.solved_count) for r in board.rows] == [("bob", 1), ("ann", 0)]
    acting(None)
    real = public.GetLeaderboardResponse.FromString(
        await servicer.GetLeaderboard(public.GetLeaderboardRequest(contest_id=cid), None)
    ).leaderboard
    assert not real.virtual and [r.user_id for r in real.rows] == ["ann"]


async def test_clarifications_through_the_servicers(parts) -> None:  # type: ignore[no-untyped-def]
    servicer, _, clock = parts
    acting(ADMIN)
    cid = (await servicer.CreateContest(public.CreateContestRequest(contest=new_contest()), None)).contest.contest_id
    acting(ANN)
    await servicer.RegisterForContest(public.RegisterForContestRequest(contest_id=cid), None)
    with pytest.raises(InvalidArgument):
        await servicer.AskClarification(public.AskClarificationRequest(contest_id=cid, text=""), None)
    asked = (
        await servicer.AskClarification(
            public.AskClarificationRequest(contest_id=cid, problem_id="A", text="Is n ≥ 1?"), None
        )
    ).clarification
    assert asked.kind == contest_pb2.CLARIFICATION_KIND_QUESTION and asked.label == "A" and not asked.answer
    assert not asked.HasField("answer_time")
    acting(ADMIN)
    answer = public.AnswerClarificationRequest(
        contest_id=cid, clarification_id=asked.clarification_id, answer="Yes", public=True
    )
    done = (await servicer.AnswerClarification(answer, None)).clarification
    assert done.public and done.answer == "Yes" and done.HasField("answer_time")
    with pytest.raises(FailedPrecondition):
        await servicer.AnswerClarification(answer, None)
    clock.now += dt.timedelta(minutes=1)
    news = (
        await servicer.CreateAnnouncement(public.CreateAnnouncementRequest(contest_id=cid, text="Welcome"), None)
    ).clarification
    assert news.kind == contest_pb2.CLARIFICATION_KIND_ANNOUNCEMENT
    acting(None)
    first = await servicer.ListClarifications(public.ListClarificationsRequest(contest_id=cid, page_size=1), None)
    rest = await servicer.ListClarifications(
        public.ListClarificationsRequest(contest_id=cid, page_size=1, page_token=first.next_page_token), None
    )
    assert [c.text for c in (*first.clarifications, *rest.clarifications)] == ["Welcome", "Is n ≥ 1?"]
    assert not rest.next_page_token
