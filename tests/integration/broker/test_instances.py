"""Streams across instances, with real processes: the platform started with its broker (a real
nats-server, as ``make up`` does with ``broker``) plus second instances of realtime, execution and
contest on their own ports, sharing the platform's databases and broker.

Every instance's watch and board polls are set far beyond what a test waits (``POLL_S``): what reaches
an instance from another in time came through the broker.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import grpc
import httpx
import pytest
from google.protobuf import struct_pb2, timestamp_pb2

from arena.common.v1 import verdict_pb2
from arena.contest.v1 import (
    contest_internal_service_pb2,
    contest_internal_service_pb2_grpc,
    contest_service_pb2,
    contest_service_pb2_grpc,
)
from arena.execution.v1 import execution_pb2, execution_service_pb2, execution_service_pb2_grpc
from arena.launcher import ExtraInstances, Platform
from arena.realtime.v1 import (
    realtime_internal_service_pb2,
    realtime_internal_service_pb2_grpc,
    realtime_service_pb2,
    realtime_service_pb2_grpc,
)
from e2e.conftest import admin_token, register_and_login
from support.leaderboard import FollowedBoard

pytestmark = pytest.mark.timeout(300)

WAIT_S = 20.0
"""How long a test waits for a cross-instance delivery: far less than the polls (``POLL_S``)."""


def target(platform: Platform, name: str) -> str:
    return f"127.0.0.1:{platform.settings.ports[name].grpc}"


def auth(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


# -- realtime ---------------------------------------------------------------------------------------


async def publish(channel: grpc.aio.Channel, topic: str, n: object) -> int:
    stub = realtime_internal_service_pb2_grpc.RealtimeInternalServiceStub(channel)
    payload = struct_pb2.Struct()
    payload.update({"n": str(n)})
    request = realtime_internal_service_pb2.PublishRequest(topic=topic, event_type="test.tick", payload=payload)
    return (await stub.Publish(request, timeout=10)).sequence


class Reader:
    """A Subscribe stream: its acknowledgement read, then messages on demand (heartbeats skipped)."""

    def __init__(self, channel: grpc.aio.Channel, topic: str, resume_token: str = "") -> None:
        stub = realtime_service_pb2_grpc.RealtimeServiceStub(channel)
        self.call = stub.Subscribe(realtime_service_pb2.SubscribeRequest(topics=[topic], resume_token=resume_token))
        self.token = ""

    async def start(self) -> Reader:
        first = await asyncio.wait_for(self.call.read(), WAIT_S)
        assert first.HasField("subscribed"), first
        self.token = first.resume_token
        return self

    async def take(self, count: int) -> list[tuple[int, str]]:
        got: list[tuple[int, str]] = []
        async with asyncio.timeout(WAIT_S):
            while len(got) < count:
                response = await self.call.read()
                assert response is not grpc.aio.EOF, "the stream ended"
                if response.HasField("message"):
                    got.append((response.message.sequence, response.message.payload["n"]))
                    self.token = response.resume_token
        return got


async def test_realtime_publish_on_one_instance_reaches_both_and_resumes_on_the_other(
    platform: Platform, second: ExtraInstances
):
    b = second.start("realtime")
    topic = f"contests/x{time.time_ns()}/ticks"
    async with (
        grpc.aio.insecure_channel(target(platform, "realtime")) as on_a,
        grpc.aio.insecure_channel(b.grpc_target) as on_b,
    ):
        readers = [await Reader(on_a, topic).start(), await Reader(on_b, topic).start()]
        assert [await publish(on_a, topic, i) for i in range(5)] == [1, 2, 3, 4, 5]
        for reader in readers:
            assert await reader.take(5) == [(i + 1, str(i)) for i in range(5)]
        # A subscriber of A read message 6, then lost A: it resumes on B with its token, missing nothing.
        mover = await Reader(on_a, topic).start()
        await publish(on_a, topic, 5)
        assert await mover.take(1) == [(6, "5")]
        token = mover.token
        mover.call.cancel()
        await publish(on_a, topic, 6)
        await publish(on_b, topic, 7)
        resumed = await Reader(on_b, topic, token).start()
        assert await resumed.take(2) == [(7, "6"), (8, "7")]
        for reader in readers:
            reader.call.cancel()
        resumed.call.cancel()


async def test_realtime_concurrent_publishers_on_two_instances_make_one_order(
    platform: Platform, second: ExtraInstances
):
    b = second.start("realtime")
    topic = f"contests/y{time.time_ns()}/ticks"
    count = 30
    async with (
        grpc.aio.insecure_channel(target(platform, "realtime")) as on_a,
        grpc.aio.insecure_channel(b.grpc_target) as on_b,
    ):
        readers = [await Reader(on_a, topic).start(), await Reader(on_b, topic).start()]
        sequences = await asyncio.gather(
            *(publish(on_a if i % 2 else on_b, topic, f"{'ba'[i % 2]}{i}") for i in range(count))
        )
        assert sorted(sequences) == list(range(1, count + 1))
        seen = [await reader.take(count) for reader in readers]
        assert [s for s, _ in seen[0]] == list(range(1, count + 1))
        assert seen[0] == seen[1]
        assert sorted(n for _, n in seen[0]) == sorted(f"{'ba'[i % 2]}{i}" for i in range(count))
        for reader in readers:
            reader.call.cancel()


# -- WatchSubmission ------------------------------------------------------------------------------

SLOW_ACCEPTED_PY = "import time\na, b = map(int, input().split())\ntime.sleep(0.2)\nprint(a + b)\n"
"""Accepted, and slow enough (10 tests) that the watches below start before the verdict."""


async def watch(channel: grpc.aio.Channel, token: str, submission_id: str) -> tuple[bool, list, float]:
    """(whether the snapshot was unfinished, the events, seconds from the snapshot to the last event)."""
    stub = execution_service_pb2_grpc.ExecutionServiceStub(channel)
    call = stub.WatchSubmission(
        execution_service_pb2.WatchSubmissionRequest(submission_id=submission_id), metadata=auth(token)
    )
    first = await asyncio.wait_for(call.read(), WAIT_S)
    started = time.monotonic()
    unfinished = first.submission.status != execution_pb2.SUBMISSION_STATUS_FINISHED
    events = []
    async with asyncio.timeout(WAIT_S):
        while True:
            response = await call.read()
            assert response is not grpc.aio.EOF, "the watch ended before the verdict"
            events.append(response.event)
            if response.last:
                break
    return unfinished, events, time.monotonic() - started


async def test_a_watch_on_one_execution_instance_follows_a_submission_judged_on_either(
    platform: Platform, second: ExtraInstances
):
    b = second.start("execution", ARENA_JUDGE_WORKERS="1")
    with httpx.Client(base_url=platform.settings.edge_url, timeout=10) as rest:
        token = register_and_login(rest, "watcher-across")
    async with (
        grpc.aio.insecure_channel(target(platform, "execution")) as on_a,
        grpc.aio.insecure_channel(b.grpc_target) as on_b,
    ):
        stub = execution_service_pb2_grpc.ExecutionServiceStub(on_a)
        created = await stub.CreateSubmission(
            execution_service_pb2.CreateSubmissionRequest(
                submission=execution_pb2.Submission(
                    problem_id="a-plus-b", language_id="python3", source=SLOW_ACCEPTED_PY
                )
            ),
            metadata=auth(token),
            timeout=10,
        )
        submission_id = created.submission.submission_id
        # One watch on each instance: one of them judges it, the other hears only the broker's nudges.
        results = await asyncio.gather(watch(on_a, token, submission_id), watch(on_b, token, submission_id))
    for unfinished, events, took_s in results:
        assert unfinished, "the verdict came before the watch started: nothing would prove the nudges"
        assert [e.sequence for e in events] == list(range(1, len(events) + 1))
        assert events[-1].type == execution_pb2.SUBMISSION_EVENT_TYPE_FINISHED
        assert events[-1].verdict == verdict_pb2.VERDICT_ACCEPTED
        assert took_s < float(WAIT_S)  # (and the poll is 120 s: the other instance's events came by nudge)
    assert [e.sequence for e in results[0][1]] == [e.sequence for e in results[1][1]]


# -- leaderboard stream ---------------------------------------------------------------------------


def stamp(value: dt.datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


async def test_a_leaderboard_stream_on_one_contest_instance_moves_with_a_result_recorded_on_another(
    platform: Platform, second: ExtraInstances
):
    # B keeps boards for a minute without asking the store: only the broker's nudge can expire it in time.
    b = second.start("contest", ARENA_READ_CACHE_TTL_S="60")
    with httpx.Client(base_url=platform.settings.edge_url, timeout=10) as rest:
        admin = admin_token(rest)
        now = dt.datetime.now(dt.UTC)
        created = rest.post(
            "/v1/contests",
            json={
                "title": "Across Instances Cup",
                "scoring_rule": "SCORING_RULE_IOI",
                "start_time": (now - dt.timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
                "duration": "3600s",
                "problems": [{"problem_id": "a-plus-b", "max_score": 100}],
            },
            headers={"authorization": f"Bearer {admin}"},
        )
        assert created.status_code == 200, created.text
        contest = created.json()["contest"]
        cid, problem_id = contest["contest_id"], contest["problems"][0]["problem_id"]
        user = register_and_login(rest, "board-across")
        headers = {"authorization": f"Bearer {user}"}
        assert rest.post(f"/v1/contests/{cid}:register", json={}, headers=headers).status_code == 200
        user_id = rest.get("/v1/users/me", headers=headers).json()["user"]["user_id"]

    async with grpc.aio.insecure_channel(b.grpc_target) as on_b:
        public = contest_service_pb2_grpc.ContestServiceStub(on_b)
        before = await public.GetLeaderboard(contest_service_pb2.GetLeaderboardRequest(contest_id=cid), timeout=10)
        stream = public.GetLeaderboardStream(contest_service_pb2.GetLeaderboardStreamRequest(contest_id=cid))
        followed = FollowedBoard()
        version = followed.take(await asyncio.wait_for(stream.read(), WAIT_S)).version
        async with grpc.aio.insecure_channel(target(platform, "contest")) as on_a:
            internal = contest_internal_service_pb2_grpc.ContestInternalServiceStub(on_a)
            recorded = await internal.RecordSubmissionResult(
                contest_internal_service_pb2.RecordSubmissionResultRequest(
                    submission_id=f"s{time.time_ns()}",
                    contest_id=cid,
                    user_id=user_id,
                    problem_id=problem_id,
                    verdict=verdict_pb2.VERDICT_ACCEPTED,
                    score=1.0,
                    submit_time=stamp(dt.datetime.now(dt.UTC)),
                ),
                timeout=10,
            )
            assert recorded.applied
        sent = time.monotonic()
        async with asyncio.timeout(WAIT_S):
            while True:
                update = await stream.read()
                assert update is not grpc.aio.EOF
                if (board := followed.take(update)).version > version:
                    break
        took_s = time.monotonic() - sent
        rows = {r.user_id: r for r in board.rows}
        assert rows[user_id].score == pytest.approx(100.0), board
        assert took_s < float(WAIT_S)
        stream.cancel()
        # The unary read on B sees it too, although B's read cache would have kept the old board a minute.
        after = await public.GetLeaderboard(contest_service_pb2.GetLeaderboardRequest(contest_id=cid), timeout=10)
        assert after.leaderboard.version > before.leaderboard.version
