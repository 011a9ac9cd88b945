"""A contest run through Envoy: REST, gRPC-Web and native gRPC; a judged submission moves the board;
the freeze hides others' late attempts until the final standings are published."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time

import grpc
import httpx
import pytest
from google.protobuf import timestamp_pb2

from arena.common.v1 import verdict_pb2
from arena.contest.v1 import (
    contest_internal_service_pb2,
    contest_internal_service_pb2_grpc,
    contest_pb2,
    contest_service_pb2,
    contest_service_pb2_grpc,
)
from arena.launcher import Platform
from e2e.conftest import admin_token, error_reason, register_and_login
from support.grpcweb_client import WebChannel
from support.leaderboard import FollowedBoard

pytestmark = pytest.mark.timeout(180)

ACCEPTED_PY = "a, b = map(int, input().split())\nprint(a + b)\n"


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def board(rest: httpx.Client, contest_id: str, token: str | None = None) -> dict:
    response = rest.get(f"/v1/contests/{contest_id}/leaderboard", headers=auth(token) if token else {})
    assert response.status_code == 200, response.text
    return response.json()["leaderboard"]


def row(leaderboard: dict, username: str) -> dict:
    return next(r for r in leaderboard["rows"] if r["display_name"] == username)


async def record(platform: Platform, **fields) -> bool:
    target = f"127.0.0.1:{platform.settings.ports['contest'].grpc}"
    async with grpc.aio.insecure_channel(target) as channel:
        stub = contest_internal_service_pb2_grpc.ContestInternalServiceStub(channel)
        response = await stub.RecordSubmissionResult(
            contest_internal_service_pb2.RecordSubmissionResultRequest(**fields), timeout=10
        )
        return response.applied


def stamp(value: dt.datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


def test_bad_contests_are_clear_errors(platform: Platform, rest: httpx.Client):
    admin = admin_token(rest)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    body = {
        "title": "Broken",
        "scoring_rule": "SCORING_RULE_ICPC",
        "start_time": rfc3339(start),
        "duration": "-60s",
        "problems": [{"problem_id": "a-plus-b"}, {"problem_id": "a-plus-b"}, {"problem_id": "no-such-problem"}],
    }
    response = rest.post("/v1/contests", json=body, headers=auth(admin))
    assert response.status_code == 400, response.text
    assert error_reason(response.json()) == "VALIDATION_FAILED"
    fields = {
        v["field"]
        for d in response.json()["details"]
        if d["@type"].endswith("BadRequest")
        for v in d["field_violations"]
    }
    assert {"contest.duration", "contest.problems[1].problem_id"} <= fields
    user = register_and_login(rest, "contest-nobody")
    assert rest.post("/v1/contests", json=body, headers=auth(user)).status_code == 403
    assert rest.get("/v1/contests/missing").status_code == 404


def test_a_contest_with_a_judged_submission_a_freeze_and_the_final_standings(platform: Platform, rest: httpx.Client):
    admin = admin_token(rest)
    ann = register_and_login(rest, "contest-ann")
    bob = register_and_login(rest, "contest-bob")
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(seconds=90)
    # Runs 2 minutes: frozen from 30 s ago, over in 30 s.
    created = rest.post(
        "/v1/contests",
        json={
            "title": "E2E Cup",
            "scoring_rule": "SCORING_RULE_ICPC",
            "start_time": rfc3339(start),
            "duration": "120s",
            "freeze_before_end": "60s",
            "problems": [{"problem_id": "a-plus-b"}, {"problem_id": "mean-value", "label": "M"}],
        },
        headers=auth(admin),
    )
    assert created.status_code == 200, created.text
    contest = created.json()["contest"]
    cid = contest["contest_id"]
    assert contest["phase"] == "CONTEST_PHASE_FROZEN" and contest["problems"][0]["label"] == "A"
    a_plus_b = contest["problems"][0]["problem_id"]

    listed = rest.get("/v1/contests", params={"phase": "CONTEST_PHASE_FROZEN"}).json()["contests"]
    assert cid in [c["contest_id"] for c in listed]

    for token in (ann, bob):
        registered = rest.post(f"/v1/contests/{cid}:register", json={}, headers=auth(token))
        assert registered.status_code == 200, registered.text
    again = rest.post(f"/v1/contests/{cid}:register", json={}, headers=auth(ann))
    assert again.status_code == 409 and error_reason(again.json()) == "ALREADY_REGISTERED"

    # A stranger may not submit in the contest; a problem outside it is refused too.
    stranger = register_and_login(rest, "contest-stranger")
    refused = rest.post(
        "/v1/submissions",
        json={"problem_id": a_plus_b, "language_id": "python3", "source": ACCEPTED_PY, "contest_id": cid},
        headers=auth(stranger),
    )
    assert refused.status_code == 400 and error_reason(refused.json()) == "CONTEST_NOT_REGISTERED", refused.text

    before = board(rest, cid)
    assert before["frozen"] and {r["display_name"] for r in before["rows"]} == {"contest-ann", "contest-bob"}

    # Bob's accepted attempt before the freeze (recorded as the outbox would, twice: a redelivery).
    bob_id = row(before, "contest-bob")["user_id"]
    fields = {
        "submission_id": "e2e-bob-1",
        "contest_id": cid,
        "user_id": bob_id,
        "problem_id": a_plus_b,
        "verdict": verdict_pb2.VERDICT_ACCEPTED,
        "score": 1.0,
        "submit_time": stamp(start + dt.timedelta(seconds=20)),
    }
    assert asyncio.run(record(platform, **fields)) is True
    assert asyncio.run(record(platform, **fields)) is False
    moved = board(rest, cid)
    assert moved["version"] > before["version"]
    assert row(moved, "contest-bob")["solved_count"] == 1 and row(moved, "contest-bob")["rank"] == 1
    assert row(moved, "contest-bob")["cells"][0]["first_solve"]

    # Ann submits during the freeze through execution: judged, recorded through the outbox.
    submitted = rest.post(
        "/v1/submissions",
        json={"problem_id": a_plus_b, "language_id": "python3", "source": ACCEPTED_PY, "contest_id": cid},
        headers=auth(ann),
    )
    assert submitted.status_code == 200, submitted.text
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        own = board(rest, cid, ann)
        if row(own, "contest-ann")["solved_count"] == 1:
            break
        time.sleep(0.3)
    else:
        pytest.fail("ann's accepted submission never reached her own board")
    public = board(rest, cid)
    assert row(public, "contest-ann")["cells"][0]["pending_attempts"] == 1  # hidden from everyone else
    assert row(public, "contest-ann")["solved_count"] == 0
    assert row(board(rest, cid, admin), "contest-ann")["solved_count"] == 1  # the jury sees the live board

    # gRPC-Web through Envoy: the same public page.
    async def web_board() -> contest_service_pb2.GetLeaderboardResponse:
        async with WebChannel(platform.settings.edge_url) as channel:
            stub = contest_service_pb2_grpc.ContestServiceStub(channel)
            return await stub.GetLeaderboard(contest_service_pb2.GetLeaderboardRequest(contest_id=cid))

    web = asyncio.run(web_board()).leaderboard
    assert web.frozen and web.version == public["version"]

    # Native gRPC through Envoy: follow the stream until the final standings.
    end = start + dt.timedelta(seconds=120)
    time.sleep(max(0.0, (end - dt.datetime.now(dt.UTC)).total_seconds()) + 0.5)

    async def follow_to_the_end() -> list[contest_service_pb2.GetLeaderboardStreamResponse]:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
            stub = contest_service_pb2_grpc.ContestServiceStub(channel)
            stream = stub.GetLeaderboardStream(contest_service_pb2.GetLeaderboardStreamRequest(contest_id=cid))
            received = [await asyncio.wait_for(stream.read(), 10)]
            published = rest.post(f"/v1/contests/{cid}:publishFinalStandings", json={}, headers=auth(admin))
            assert published.status_code == 200, published.text
            while (message := await asyncio.wait_for(stream.read(), 10)) is not grpc.aio.EOF:
                received.append(message)
            return received

    messages = asyncio.run(follow_to_the_end())
    assert messages[0].leaderboard.frozen and not messages[0].last
    final = messages[-1]
    assert final.last and not final.leaderboard.frozen
    assert [r.solved_count for r in final.leaderboard.rows] == [1, 1]
    assert not row(board(rest, cid), "contest-ann")["cells"][0]["pending_attempts"]


def test_the_demo_contest_runs_with_simulated_contestants(platform: Platform, rest: httpx.Client):
    running = rest.get("/v1/contests", params={"phase": "CONTEST_PHASE_RUNNING"}).json()["contests"]
    demo = next(c for c in running if c["title"] == "Arena Demo Cup")
    assert demo["participant_count"] == 4
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the simulated submissions are judged like anyone's
        leaderboard = board(rest, demo["contest_id"])
        solved = {r["display_name"]: r["solved_count"] for r in leaderboard["rows"]}
        if solved == {"demo-ada": 1, "demo-alan": 1, "demo-grace": 1, "demo": 0}:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the demo board never filled: {solved}")
    alan = row(leaderboard, "demo-alan")["cells"][0]
    assert alan["solved"] and alan["rejected_attempts"] == 1
    assert [r["display_name"] for r in leaderboard["rows"]][-1] == "demo"


def _running_contest(rest: httpx.Client, admin: str, title: str) -> dict:
    now = dt.datetime.now(dt.UTC)
    created = rest.post(
        "/v1/contests",
        json={
            "title": title,
            "scoring_rule": "SCORING_RULE_IOI",
            "start_time": rfc3339(now - dt.timedelta(minutes=1)),
            "duration": "3600s",
            "problems": [{"problem_id": "a-plus-b", "max_score": 50}],
        },
        headers=auth(admin),
    )
    assert created.status_code == 200, created.text
    return created.json()["contest"]


def test_the_leaderboard_streams_over_rest_ndjson_and_grpc_web(platform: Platform, rest: httpx.Client):
    admin = admin_token(rest)
    contest = _running_contest(rest, admin, "Streams Cup")
    cid, problem_id = contest["contest_id"], contest["problems"][0]["problem_id"]
    user = register_and_login(rest, "contest-streamer")
    assert rest.post(f"/v1/contests/{cid}:register", json={}, headers=auth(user)).status_code == 200
    user_id = rest.get("/v1/users/me", headers=auth(user)).json()["user"]["user_id"]

    def result(submission_id: str, score: float, groups: list[tuple[str, float]]) -> dict:
        return {
            "submission_id": submission_id,
            "contest_id": cid,
            "user_id": user_id,
            "problem_id": problem_id,
            "verdict": verdict_pb2.VERDICT_WRONG_ANSWER,
            "score": score,
            "submit_time": stamp(dt.datetime.now(dt.UTC)),
            "group_scores": [contest_internal_service_pb2.GroupScore(group=g, points=p) for g, p in groups],
        }

    lines: list[dict] = []
    with rest.stream("GET", f"/v1/contests/{cid}/leaderboard:watch", timeout=20) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if not line.strip():
                continue
            lines.append(json.loads(line))
            if len(lines) == 1:
                assert asyncio.run(record(platform, **result("w1", 0.5, [("g1", 20.0), ("g2", 0.0)])))
            else:
                break
    assert lines[0]["leaderboard"]["version"] == 2 and "change" not in lines[0]
    change = lines[1]["change"]  # then only what changed: the one row, whole (its score moved)
    assert (change["base_version"], change["version"], change["row_count"]) == (2, 3, 1)
    (placed,) = change["rows"]
    assert placed["position"] == 0 and not placed["moved"] and placed["row"]["score"] == 20

    async def web_follow() -> tuple[list[contest_service_pb2.GetLeaderboardStreamResponse], contest_pb2.Leaderboard]:
        async with WebChannel(platform.settings.edge_url) as channel:
            stub = contest_service_pb2_grpc.ContestServiceStub(channel)
            stream = stub.GetLeaderboardStream(contest_service_pb2.GetLeaderboardStreamRequest(contest_id=cid))
            received = []
            async for message in stream:
                received.append(message)
                if len(received) == 1:
                    await record(platform, **result("w2", 0.5, [("g1", 0.0), ("g2", 25.0)]))
                else:
                    break
            page = await stub.GetLeaderboard(contest_service_pb2.GetLeaderboardRequest(contest_id=cid))
            return received, page.leaderboard

    web, page = asyncio.run(asyncio.wait_for(web_follow(), 20))
    followed = FollowedBoard()
    assert [followed.take(m).version for m in web] == [3, 4]
    assert followed.snapshots == followed.changes == 1
    assert followed.board is not None and followed.board.rows[0].score == 45  # best per subtask over both
    assert list(followed.board.rows) == list(page.rows)  # the page the client holds is the served page


def test_clarifications_and_a_virtual_participant_through_envoy(platform: Platform, rest: httpx.Client):
    admin = admin_token(rest)
    ann = register_and_login(rest, "clar-ann")
    vic = register_and_login(rest, "virtual-vic")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=48)  # runs 60 s: over in 12 s
    created = rest.post(
        "/v1/contests",
        json={
            "title": "Virtual Cup",
            "scoring_rule": "SCORING_RULE_ICPC",
            "start_time": rfc3339(start),
            "duration": "60s",
            "problems": [{"problem_id": "a-plus-b"}, {"problem_id": "mean-value"}],
        },
        headers=auth(admin),
    )
    assert created.status_code == 200, created.text
    cid = created.json()["contest"]["contest_id"]
    a_plus_b = created.json()["contest"]["problems"][0]["problem_id"]
    assert rest.post(f"/v1/contests/{cid}:register", json={}, headers=auth(ann)).status_code == 200

    # Clarifications: bad inputs are clear errors.
    url = f"/v1/contests/{cid}/clarifications"
    stranger = rest.post(url, json={"text": "may I?"}, headers=auth(vic))
    assert stranger.status_code == 400 and error_reason(stranger.json()) == "CONTEST_NOT_REGISTERED", stranger.text
    for bad, field in (
        ({"text": "  "}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": "?", "problem_id": "Q"}, "problem_id"),
    ):
        refused = rest.post(url, json=bad, headers=auth(ann))
        assert refused.status_code == 400 and error_reason(refused.json()) == "VALIDATION_FAILED", refused.text
        violations = [
            v["field"]
            for d in refused.json()["details"]
            if d["@type"].endswith("BadRequest")
            for v in d["field_violations"]
        ]
        assert violations == [field], refused.text
    asked = rest.post(url, json={"text": "Is a ≥ 0?", "problem_id": "A"}, headers=auth(ann))
    assert asked.status_code == 200, asked.text
    question = asked.json()["clarification"]
    assert question["kind"] == "CLARIFICATION_KIND_QUESTION" and question["label"] == "A" and not question["public"]
    assert rest.get(url).json()["clarifications"] == []  # not public yet
    assert [c["text"] for c in rest.get(url, headers=auth(ann)).json()["clarifications"]] == ["Is a ≥ 0?"]

    # Public answers and announcements are pushed live on the contest's topic.
    lines: list[dict] = []
    subscribed = threading.Event()

    def read() -> None:
        topic_url = f"{platform.settings.edge_url}/v1/topics:subscribe"
        with httpx.stream(
            "GET", topic_url, params={"topics": f"contests/{cid}/clarifications"}, timeout=20
        ) as response:
            for line in response.iter_lines():
                if line.strip():
                    lines.append(json.loads(line))
                    subscribed.set()
                    if sum("message" in m for m in lines) == 2:
                        return

    reader = threading.Thread(target=read)
    reader.start()
    assert subscribed.wait(10)
    answer_url = f"{url}/{question['clarification_id']}:answer"
    answered = rest.post(answer_url, json={"answer": "Yes.", "public": True}, headers=auth(admin))
    assert answered.status_code == 200, answered.text
    assert answered.json()["clarification"]["answer"] == "Yes."
    twice = rest.post(answer_url, json={"answer": "Still yes."}, headers=auth(admin))
    assert twice.status_code == 400 and "answered already" in twice.text
    not_judge = rest.post(f"/v1/contests/{cid}/announcements", json={"text": "hi"}, headers=auth(ann))
    assert not_judge.status_code == 403, not_judge.text
    announced = rest.post(f"/v1/contests/{cid}/announcements", json={"text": "Good luck"}, headers=auth(admin))
    assert announced.status_code == 200, announced.text
    reader.join(15)
    pushed = [m["message"] for m in lines if "message" in m]
    assert [(m["event_type"], m["payload"]["text"]) for m in pushed] == [
        ("clarification.answered", "Is a ≥ 0?"),
        ("clarification.announced", "Good luck"),
    ]
    assert [c["text"] for c in rest.get(url).json()["clarifications"]] == ["Good luck", "Is a ≥ 0?"]

    # Ann solves A 20 s into the contest; the contest then ends.
    ann_id = row(board(rest, cid), "clar-ann")["user_id"]
    fields = {
        "submission_id": f"virtual-e2e-{cid}",
        "contest_id": cid,
        "user_id": ann_id,
        "problem_id": a_plus_b,
        "verdict": verdict_pb2.VERDICT_ACCEPTED,
        "score": 1.0,
        "submit_time": stamp(start + dt.timedelta(seconds=20)),
    }
    assert asyncio.run(record(platform, **fields)) is True
    time.sleep(max(0.0, (start + dt.timedelta(seconds=60) - dt.datetime.now(dt.UTC)).total_seconds()) + 0.5)
    real_before = board(rest, cid)

    # A virtual participant: once, not for a real participant; submits through the judge in their window.
    assert error_reason(rest.post(f"/v1/contests/{cid}:startVirtual", json={}, headers=auth(ann)).json()) == (
        "ALREADY_REGISTERED"
    )
    started = rest.post(f"/v1/contests/{cid}:startVirtual", json={}, headers=auth(vic))
    assert started.status_code == 200, started.text
    assert rest.post(f"/v1/contests/{cid}:startVirtual", json={}, headers=auth(vic)).status_code == 409
    submitted = rest.post(
        "/v1/submissions",
        json={"problem_id": a_plus_b, "language_id": "python3", "source": ACCEPTED_PY, "contest_id": cid},
        headers=auth(vic),
    )
    assert submitted.status_code == 200, submitted.text
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        virtual = rest.get(f"/v1/contests/{cid}/leaderboard", params={"virtual": "true"}, headers=auth(vic))
        assert virtual.status_code == 200, virtual.text
        seen = virtual.json()["leaderboard"]
        if row(seen, "virtual-vic")["solved_count"] == 1:
            break
        time.sleep(0.3)
    else:
        pytest.fail("the virtual participant's accepted submission never reached their board")
    assert seen["virtual"] and float(seen["elapsed"].rstrip("s")) < 20
    # Seconds into their window, ann had not solved A yet: the virtual participant leads.
    assert [(r["display_name"], r["solved_count"]) for r in seen["rows"]] == [("virtual-vic", 1), ("clar-ann", 0)]
    real_after = board(rest, cid)
    assert real_after["version"] == real_before["version"]
    assert [(r["display_name"], r["solved_count"]) for r in real_after["rows"]] == [("clar-ann", 1)]
    no_virtual = rest.get(f"/v1/contests/{cid}/leaderboard", params={"virtual": "true"}, headers=auth(ann))
    assert no_virtual.status_code == 400 and error_reason(no_virtual.json()) == "CONTEST_NOT_REGISTERED"


def test_the_icpc_contest_api_export_through_the_edge(platform: Platform, rest: httpx.Client):
    """The scoreboard (JSON) and the event feed (NDJSON) in the ICPC Contest API's shape, as HttpBody
    answers: REST gets the documents themselves with their own content types; gRPC gets the HttpBody."""
    admin = admin_token(rest)
    cat, dog = register_and_login(rest, "icpc-cat"), register_and_login(rest, "icpc-dog")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    created = rest.post(
        "/v1/contests",
        json={
            "title": "ICPC export",
            "scoring_rule": "SCORING_RULE_ICPC",
            "start_time": rfc3339(start),
            "duration": "3600s",
            "problems": [{"problem_id": "a-plus-b"}, {"problem_id": "mean-value"}],
        },
        headers=auth(admin),
    )
    assert created.status_code == 200, created.text
    contest = created.json()["contest"]
    cid, a_plus_b = contest["contest_id"], contest["problems"][0]["problem_id"]
    for token in (cat, dog):
        assert rest.post(f"/v1/contests/{cid}:register", json={}, headers=auth(token)).status_code == 200
    cat_id = row(board(rest, cid), "icpc-cat")["user_id"]
    for sid, verdict, minute in (("icpc-1", verdict_pb2.VERDICT_WRONG_ANSWER, 2), ("icpc-2", 1, 5.5)):
        fields = {
            "submission_id": sid,
            "contest_id": cid,
            "user_id": cat_id,
            "problem_id": a_plus_b,
            "verdict": verdict,
            "score": 1.0,
            "submit_time": stamp(start + dt.timedelta(minutes=minute)),
        }
        assert asyncio.run(record(platform, **fields)) is True

    exported = rest.get(f"/v1/contests/{cid}/icpc/scoreboard")
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("application/json")
    scoreboard = exported.json()
    assert set(scoreboard) == {"time", "contest_time", "state", "rows"}
    assert scoreboard["state"]["started"] and scoreboard["state"]["ended"] is None
    first = scoreboard["rows"][0]
    assert set(first) == {"rank", "team_id", "score", "problems"}
    assert (first["rank"], first["team_id"], first["score"]) == (1, cat_id, {"num_solved": 1, "total_time": 25})
    assert first["problems"][0] == {
        "problem_id": "A",
        "num_judged": 2,
        "num_pending": 0,
        "solved": True,
        "time": 5,
        "first_to_solve": True,
    }
    assert first["problems"][1] == {"problem_id": "B", "num_judged": 0, "num_pending": 0, "solved": False}
    assert scoreboard["rows"][1]["rank"] == 2 and scoreboard["rows"][1]["score"] == {"num_solved": 0, "total_time": 0}

    feed = rest.get(f"/v1/contests/{cid}/icpc/event-feed")
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("application/x-ndjson")
    events = [json.loads(line) for line in feed.text.splitlines()]
    assert events[0]["type"] == "contest" and events[0]["data"]["id"] == cid and events[-1]["type"] == "state"
    assert [e["data"]["judgement_type_id"] for e in events if e["type"] == "judgements"] == ["WA", "AC"]
    assert {e["id"] for e in events if e["type"] == "teams"} == {cat_id, row(board(rest, cid), "icpc-dog")["user_id"]}

    async def over_grpc() -> bytes:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
            stub = contest_service_pb2_grpc.ContestServiceStub(channel)
            body = await stub.GetIcpcScoreboard(
                contest_service_pb2.GetIcpcScoreboardRequest(contest_id=cid), timeout=10
            )
            assert body.content_type == "application/json"
            return body.data

    assert json.loads(asyncio.run(over_grpc())) == scoreboard
    missing = rest.get("/v1/contests/missing/icpc/scoreboard")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/json")


# -- a contest's problems stay hidden until it starts -------------------------------------------------


def _setter(rest: httpx.Client, admin: str, name: str) -> str:
    token = register_and_login(rest, name)
    user_id = rest.get("/v1/users/me", headers=auth(token)).json()["user"]["user_id"]
    promoted = rest.post(f"/v1/users/{user_id}:setRole", json={"role": "ROLE_SETTER"}, headers=auth(admin))
    assert promoted.status_code == 200, promoted.text
    return register_and_login(rest, name)  # a new login carries the new role


def _new_problem(rest: httpx.Client, token: str, title: str, **fields) -> dict:
    body = {
        "title": title,
        "statement": "Print the sum of two integers.",
        "difficulty": "DIFFICULTY_EASY",
        "sample_tests": [{"input": "1 2\n", "expected_output": "3\n"}],
        "hidden_tests": [{"input": "40 2\n", "expected_output": "42\n"}],
        **fields,
    }
    created = rest.post("/v1/problems", json=body, headers=auth(token))
    assert created.status_code == 200, created.text
    return created.json()["problem"]


def _listed(rest: httpx.Client, token: str, title: str) -> list[str]:
    response = rest.get("/v1/problems", params={"query": title}, headers=auth(token))
    assert response.status_code == 200, response.text
    return [p["problem_id"] for p in response.json()["problems"]]


def _submit(rest: httpx.Client, token: str, problem_id: str) -> httpx.Response:
    body = {"problem_id": problem_id, "language_id": "python3", "source": ACCEPTED_PY}
    return rest.post("/v1/submissions", json=body, headers=auth(token))


def test_a_contests_problems_are_hidden_until_it_starts_and_others_hidden_problems_are_refused(
    platform: Platform, rest: httpx.Client
):
    admin = admin_token(rest)
    tag = f"{time.time_ns() % 10**9:09d}"
    setter, rival = _setter(rest, admin, f"emb-setter-{tag}"), _setter(rest, admin, f"emb-rival-{tag}")
    user = register_and_login(rest, f"emb-user-{tag}")
    title = f"Embargoed Sum {tag}"
    problem = _new_problem(rest, setter, title)
    pid = problem["problem_id"]
    assert rest.get(f"/v1/problems/{pid}", headers=auth(user)).status_code == 200  # public, before the contest
    start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=6)
    contest = {
        "title": f"Embargo Cup {tag}",
        "scoring_rule": "SCORING_RULE_ICPC",
        "start_time": rfc3339(start),
        "duration": "600s",
        "problems": [{"problem_id": pid}],
    }
    created = rest.post("/v1/contests", json=contest, headers=auth(setter))
    assert created.status_code == 200, created.text

    # Before the start: gone for everyone but its author (and admins), as if it did not exist.
    missing = rest.get("/v1/problems/0123456789abcdef0123456789abcdef", headers=auth(user))
    for who in (user, rival):
        hidden = rest.get(f"/v1/problems/{pid}", headers=auth(who))
        assert hidden.status_code == 404, hidden.text
        assert error_reason(hidden.json()) == error_reason(missing.json()) == "RESOURCE_NOT_FOUND"
        assert rest.get(f"/v1/problems/{problem['slug']}", headers=auth(who)).status_code == 404
        assert rest.get(f"/v1/problems/{pid}/tests", headers=auth(who)).status_code == 404
        assert pid not in _listed(rest, who, title)
        refused = _submit(rest, who, pid)
        assert refused.status_code == 404, refused.text
        assert error_reason(refused.json()) == "RESOURCE_NOT_FOUND"
    assert pid not in [p["problem_id"] for p in rest.get("/v1/problems", params={"query": title}).json()["problems"]]
    assert rest.get(f"/v1/problems/{pid}", headers=auth(setter)).status_code == 200
    assert pid in _listed(rest, setter, title) and pid in _listed(rest, admin, title)

    # Another setter's contest may not name a problem it may not see: the same answer as an unknown one.
    secret = _new_problem(rest, setter, f"Secret Sum {tag}", visibility="VISIBILITY_HIDDEN")
    for key in (secret["problem_id"], pid, "no-such-problem-at-all"):
        theirs = rest.post("/v1/contests", json={**contest, "problems": [{"problem_id": key}]}, headers=auth(rival))
        assert theirs.status_code == 400, theirs.text
        assert error_reason(theirs.json()) == "VALIDATION_FAILED"
        violations = [
            (v["field"], v["description"])
            for d in theirs.json()["details"]
            if d["@type"].endswith("BadRequest")
            for v in d["field_violations"]
        ]
        assert violations == [("contest.problems[0].problem_id", f"no problem {key!r}")]
    mine = rest.post("/v1/contests", json={**contest, "problems": [{"problem_id": secret["problem_id"]}]},
                     headers=auth(setter))  # fmt: skip
    assert mine.status_code == 200, mine.text  # their own hidden problem: yes

    # From the start on it is everyone's (a cached list page may lag by the cache's 2 s).
    time.sleep(max(0.0, (start - dt.datetime.now(dt.UTC)).total_seconds()))
    shown = rest.get(f"/v1/problems/{pid}", headers=auth(user))
    assert shown.status_code == 200, shown.text
    deadline = time.monotonic() + 10
    while pid not in _listed(rest, user, title) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pid in _listed(rest, user, title)
    submitted = _submit(rest, user, pid)
    assert submitted.status_code == 200, submitted.text
    assert rest.get(f"/v1/problems/{secret['problem_id']}", headers=auth(user)).status_code == 404  # still hidden


def test_the_embargo_rpc_answers_bad_inputs_with_clear_errors(platform: Platform):
    from arena.problem.v1 import problem_internal_service_pb2, problem_internal_service_pb2_grpc

    async def call(**fields) -> grpc.aio.AioRpcError:
        target = f"127.0.0.1:{platform.settings.ports['problem'].grpc}"
        async with grpc.aio.insecure_channel(target) as channel:
            stub = problem_internal_service_pb2_grpc.ProblemInternalServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.SetContestEmbargo(
                    problem_internal_service_pb2.SetContestEmbargoRequest(**fields), timeout=10
                )
            return caught.value

    end = stamp(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    cases = [
        ({"problem_ids": ["0" * 32], "end_time": end}, "contest_id"),
        ({"contest_id": "c1", "problem_ids": ["0" * 32]}, "end_time"),
        ({"contest_id": "c1", "problem_ids": ["a-plus-b"], "end_time": end}, "problem_ids[0]"),
        ({"contest_id": "c1", "problem_ids": ["0" * 32], "end_time": end}, "problem_ids[0]"),  # no such problem
    ]
    for fields, field in cases:
        error = asyncio.run(call(**fields))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (fields, error)
        assert field in error.details(), error.details()
