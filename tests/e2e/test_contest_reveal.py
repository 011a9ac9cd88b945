"""The final reveal through Envoy: the frozen board, then one pending cell at a time from the bottom up, as
NDJSON (REST) and native gRPC; the jury may watch before publication, everyone after; clear errors."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

import grpc
import httpx
import pytest

from arena.common.v1 import verdict_pb2
from arena.contest.v1 import contest_service_pb2, contest_service_pb2_grpc
from arena.launcher import Platform
from e2e.conftest import admin_token, error_reason, register_and_login
from e2e.test_contests import _new_problem, auth, board, record, rfc3339, stamp

pytestmark = pytest.mark.timeout(120)


def reveal(rest: httpx.Client, contest_id: str, token: str | None = None, **params: str) -> httpx.Response:
    return rest.get(
        f"/v1/contests/{contest_id}/leaderboard:reveal",
        params={"step_interval": "0s", **params},
        headers=auth(token) if token else {},
    )


def test_the_final_reveal_resolves_pending_cells_from_the_bottom_up(platform: Platform, rest: httpx.Client):
    admin = admin_token(rest)
    people = {name: register_and_login(rest, name) for name in ("reveal-ann", "reveal-bob", "reveal-cyd")}
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(seconds=56)  # one minute long, frozen for its last 30 s: ends in ~4 s
    created = rest.post(
        "/v1/contests",
        json={
            "title": "Reveal Cup",
            "scoring_rule": "SCORING_RULE_ICPC",
            "start_time": rfc3339(start),
            "duration": "60s",
            "freeze_before_end": "30s",
            "problems": [{"problem_id": "a-plus-b"}, {"problem_id": "mean-value"}],
        },
        headers=auth(admin),
    )
    assert created.status_code == 200, created.text
    contest = created.json()["contest"]
    cid, problems = contest["contest_id"], [p["problem_id"] for p in contest["problems"]]
    for token in people.values():
        assert rest.post(f"/v1/contests/{cid}:register", json={}, headers=auth(token)).status_code == 200
    running = reveal(rest, cid, admin)
    assert running.status_code == 400 and error_reason(running.json()) == "CONTEST_NOT_RUNNING", running.text

    users = {r["display_name"]: r["user_id"] for r in board(rest, cid)["rows"]}
    # bob solves A before the freeze; during it ann solves A and B, cyd fails B: three pending cells.
    attempts = [
        ("r1", "reveal-bob", 0, verdict_pb2.VERDICT_ACCEPTED, 10),
        ("r2", "reveal-ann", 0, verdict_pb2.VERDICT_ACCEPTED, 35),
        ("r3", "reveal-ann", 1, verdict_pb2.VERDICT_ACCEPTED, 40),
        ("r4", "reveal-cyd", 1, verdict_pb2.VERDICT_WRONG_ANSWER, 45),
    ]
    for sid, who, column, verdict, second in attempts:
        applied = asyncio.run(
            record(
                platform,
                submission_id=f"{cid}-{sid}",
                contest_id=cid,
                user_id=users[who],
                problem_id=problems[column],
                verdict=verdict,
                score=float(verdict == verdict_pb2.VERDICT_ACCEPTED),
                submit_time=stamp(start + dt.timedelta(seconds=second)),
            )
        )
        assert applied
    time.sleep(max(0.0, (start + dt.timedelta(seconds=60) - dt.datetime.now(dt.UTC)).total_seconds()) + 0.5)

    # Before publication: the jury only.
    for stranger in (None, people["reveal-bob"]):
        refused = reveal(rest, cid, stranger)
        assert refused.status_code == 403 and error_reason(refused.json()) == "STANDINGS_NOT_PUBLISHED", refused.text
    jury = reveal(rest, cid, admin)
    assert jury.status_code == 200, jury.text
    steps = [json.loads(line) for line in jury.text.splitlines() if line.strip()]
    first, *resolved = steps
    assert first["leaderboard"]["frozen"] and first["remaining"] == 3 and not first.get("user_id")
    assert first["leaderboard"]["rows"][0]["display_name"] == "reveal-bob"
    # From the bottom up: cyd (last, one pending cell: B, wrong), then ann's leftmost pending cell (A), then B.
    assert [(s["user_id"], s["problem_label"], s.get("solved", False), s.get("remaining", 0)) for s in resolved] == [
        (users["reveal-cyd"], "B", False, 2),
        (users["reveal-ann"], "A", True, 1),
        (users["reveal-ann"], "B", True, 0),
    ]
    final = resolved[-1]["leaderboard"]
    assert not final.get("frozen") and final["rows"][0]["display_name"] == "reveal-ann"

    # After publication: everyone, also over native gRPC through Envoy; the last board is the published one.
    assert rest.post(f"/v1/contests/{cid}:publishFinalStandings", json={}, headers=auth(admin)).status_code == 200

    async def watch() -> list[contest_service_pb2.WatchFinalRevealResponse]:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
            stub = contest_service_pb2_grpc.ContestServiceStub(channel)
            request = contest_service_pb2.WatchFinalRevealRequest(contest_id=cid)
            request.step_interval.FromMilliseconds(50)
            return [m async for m in stub.WatchFinalReveal(request, timeout=20)]

    native = asyncio.run(watch())
    assert [m.remaining for m in native] == [3, 2, 1, 0] and [m.last for m in native] == [False] * 3 + [True]
    published = board(rest, cid)
    assert [(r.user_id, r.rank, r.solved_count) for r in native[-1].leaderboard.rows] == [
        (r["user_id"], r["rank"], r.get("solved_count", 0)) for r in published["rows"]
    ]

    too_slow = reveal(rest, cid, step_interval="11s")
    assert too_slow.status_code == 400 and error_reason(too_slow.json()) == "VALIDATION_FAILED", too_slow.text
    assert reveal(rest, "no-such-contest").status_code == 404


def test_an_upcoming_contest_shows_labels_not_problems_to_all_but_its_managers(platform: Platform, rest: httpx.Client):
    admin = admin_token(rest)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    # Problems of its own: a contest embargoes its author's problems until the start (the demo problems,
    # the admin's too, must stay visible to the rest of the suite).
    problems = [_new_problem(rest, admin, f"Secret Cup problem {k}")["problem_id"] for k in range(2)]
    created = rest.post(
        "/v1/contests",
        json={"title": "Secret Cup", "scoring_rule": "SCORING_RULE_ICPC", "start_time": rfc3339(start),
              "duration": "3600s", "problems": [{"problem_id": p} for p in problems]},
        headers=auth(admin),
    )  # fmt: skip
    assert created.status_code == 200, created.text
    cid = created.json()["contest"]["contest_id"]
    assert all(p["problem_id"] and p["title"] for p in created.json()["contest"]["problems"])
    user = register_and_login(rest, "secret-cup-fan")
    for headers in ({}, auth(user)):
        seen = rest.get(f"/v1/contests/{cid}", headers=headers).json()["contest"]["problems"]
        assert [(p.get("problem_id", ""), p.get("title", ""), p["label"]) for p in seen] == [
            ("", "", "A"),
            ("", "", "B"),
        ]
        listed = rest.get("/v1/contests", params={"phase": "CONTEST_PHASE_UPCOMING"}, headers=headers).json()
        mine = next(c for c in listed["contests"] if c["contest_id"] == cid)
        assert not any(p.get("problem_id") for p in mine["problems"])
        columns = rest.get(f"/v1/contests/{cid}/leaderboard", headers=headers).json()["leaderboard"]["problems"]
        assert [p["label"] for p in columns] == ["A", "B"] and not any(p.get("title") for p in columns)
    managed = rest.get(f"/v1/contests/{cid}", headers=auth(admin)).json()["contest"]["problems"]
    assert all(p["problem_id"] and p["title"] for p in managed)
