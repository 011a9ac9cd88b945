"""The demo contest keeps moving: the simulated contestants' further attempts reach the live board."""

from __future__ import annotations

import time

import httpx
import pytest

from arena.demo import _call
from arena.demo.activity import ContestActivity
from arena.demo.contest import DEMO_CONTESTANTS, DEMO_PROBLEMS, DEMO_SUBMISSIONS
from arena.launcher import Platform


def _attempts(rest: httpx.Client, contest_id: str) -> tuple[int, int]:
    """(judged attempts, pending attempts) of the simulated contestants on the live board."""
    rows = rest.get(f"/v1/contests/{contest_id}/leaderboard", params={"page_size": 100}).json()["leaderboard"]["rows"]
    judged = pending = 0
    for row in rows:
        if row["display_name"] in DEMO_CONTESTANTS:
            for cell in row["cells"]:
                judged += cell.get("rejected_attempts", 0) + (1 if cell.get("solved") else 0)
                pending += cell.get("pending_attempts", 0)
    return judged, pending


def test_simulated_contestants_keep_submitting_to_the_demo_contest(platform: Platform, rest: httpx.Client):
    running = rest.get("/v1/contests", params={"phase": "CONTEST_PHASE_RUNNING"}).json()["contests"]
    demo = next(c for c in running if c["title"] == "Arena Demo Cup")
    ids = {slug: rest.get(f"/v1/problems/{slug}").json()["problem"]["problem_id"] for slug in DEMO_PROBLEMS}
    deadline = time.monotonic() + 60
    while _attempts(rest, demo["contest_id"]) != (len(DEMO_SUBMISSIONS), 0) and time.monotonic() < deadline:
        time.sleep(0.5)  # the contest's first submissions are judged (each one an attempt on the board)
    before, _ = _attempts(rest, demo["contest_id"])
    assert before == len(DEMO_SUBMISSIONS)
    activity = ContestActivity(_call, platform.settings.edge_url, demo["contest_id"], ids, seed=7)
    assert activity.submit_next() and activity.submit_next()
    assert activity.submitted == 2
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        judged, pending = _attempts(rest, demo["contest_id"])
        if judged == before + 2 and not pending:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the board shows {judged} judged attempts, expected {before + 2}")
