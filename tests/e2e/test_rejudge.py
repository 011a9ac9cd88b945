"""Rejudging through Envoy's REST transcoder: a setter changes a problem's tests, rejudges its
submissions, sees the verdict changes, cancels one rejudging (nothing official moves) and applies
another (the new verdict is official, and a watcher resuming after the old verdict gets a REJUDGED
event); who may do it and what is refused.

Contest standings (RecordSubmissionResult with the judging version) are covered on the use cases
(tests/unit/execution/test_rejudge.py): the contest service answers UNIMPLEMENTED today.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from arena.launcher import Platform
from e2e.conftest import admin_token, error_reason, register_and_login
from e2e.test_submissions import watch_messages

pytestmark = pytest.mark.timeout(240)

ECHO_PY = "print(input())\n"
TWO_PY = "print(2)\n"  # passes only while every test's answer is 2


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _user_id(rest: httpx.Client, token: str) -> str:
    return rest.get("/v1/users/me", headers=auth(token)).json()["user"]["user_id"]


@pytest.fixture(scope="module")
def tokens(platform: Platform) -> dict[str, str]:
    with httpx.Client(base_url=platform.settings.edge_url, timeout=10) as rest:
        admin = admin_token(rest)
        setter = register_and_login(rest, f"rejudge-setter-{uuid.uuid4().hex[:6]}")
        promoted = rest.post(
            f"/v1/users/{_user_id(rest, setter)}:setRole", json={"role": "ROLE_SETTER"}, headers=auth(admin)
        )
        assert promoted.status_code == 200, promoted.text
        user = register_and_login(rest, f"rejudge-user-{uuid.uuid4().hex[:6]}")
        # A new login carries the new role.
        setter = rest.post("/v1/auth:login", json={"username": promoted.json()["user"]["username"],
                                                  "password": "correct horse battery"}).json()["tokens"]["access_token"]  # fmt: skip
        return {"admin": admin, "setter": setter, "user": user}


def finished(rest: httpx.Client, token: str, submission_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        submission = rest.get(f"/v1/submissions/{submission_id}", headers=auth(token)).json()["submission"]
        if submission["status"] == "SUBMISSION_STATUS_FINISHED":
            return submission
        time.sleep(0.1)
    raise AssertionError(f"submission {submission_id} was not judged in time")


def ready(rest: httpx.Client, token: str, rejudging_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = rest.get(f"/v1/rejudgings/{rejudging_id}", headers=auth(token))
        assert got.status_code == 200, got.text
        if got.json()["rejudging"]["state"] == "REJUDGING_STATE_READY":
            return got.json()
        time.sleep(0.1)
    raise AssertionError(f"rejudging {rejudging_id} was not ready in time")


def test_a_rejudge_shows_the_changes_cancelled_changes_nothing_applied_makes_them_official(
    rest: httpx.Client, tokens: dict[str, str]
):
    setter, user = auth(tokens["setter"]), auth(tokens["user"])
    created = rest.post(
        "/v1/problems",
        json={
            "title": f"Echo two {uuid.uuid4().hex[:8]}",
            "statement": "Print the number you read.",
            "difficulty": "DIFFICULTY_EASY",
            "time_limit": "2s",
            "memory_limit_kib": 65536,
            "sample_tests": [{"input": "2\n", "expected_output": "2\n"}],
            "hidden_tests": [{"input": "2\n", "expected_output": "2\n"}],
        },
        headers=setter,
    )
    assert created.status_code == 200, created.text
    problem_id = created.json()["problem"]["problem_id"]
    ids = {}
    for name, source in (("echo", ECHO_PY), ("two", TWO_PY)):
        body = {"problem_id": problem_id, "language_id": "python3", "source": source}
        response = rest.post("/v1/submissions", json=body, headers=user)
        assert response.status_code == 200, response.text
        ids[name] = response.json()["submission"]["submission_id"]
    before = {name: finished(rest, tokens["user"], i) for name, i in ids.items()}
    assert {s["verdict"] for s in before.values()} == {"VERDICT_ACCEPTED"}

    # The setter adds a test the hard-coded answer fails.
    patched = rest.patch(
        f"/v1/problems/{problem_id}",
        params={"update_mask": "hidden_tests"},
        json={"hidden_tests": [{"input": "2\n", "expected_output": "2\n"}, {"input": "3\n", "expected_output": "3\n"}]},
        headers=setter,
    )
    assert patched.status_code == 200, patched.text

    # A rejudging that is cancelled: the changes are shown, nothing official moves.
    first = rest.post("/v1/rejudgings", json={"problem_id": problem_id, "reason": "a test was added"}, headers=setter)
    assert first.status_code == 200, first.text
    rejudging = first.json()["rejudging"]
    assert rejudging["state"] in ("REJUDGING_STATE_PENDING", "REJUDGING_STATE_JUDGING", "REJUDGING_STATE_READY")
    assert rejudging["judging_count"] == 2 and rejudging["reason"] == "a test was added"
    overlapping = rest.post("/v1/rejudgings", json={"submission_ids": [ids["two"]]}, headers=setter)
    assert overlapping.status_code == 400 and error_reason(overlapping.json()) == "REJUDGING_OVERLAPS"
    shown = ready(rest, tokens["setter"], rejudging["rejudging_id"])
    assert shown["rejudging"]["changed_count"] == 1 and shown["rejudging"]["judged_count"] == 2
    changes = {j["submission_id"]: (j["old_verdict"], j["new_verdict"], j["changed"]) for j in shown["judgings"]}
    assert changes == {
        ids["echo"]: ("VERDICT_ACCEPTED", "VERDICT_ACCEPTED", False),
        ids["two"]: ("VERDICT_ACCEPTED", "VERDICT_WRONG_ANSWER", True),
    }
    assert (
        rest.get(f"/v1/submissions/{ids['two']}", headers=auth(tokens["user"])).json()["submission"]["verdict"]
        == "VERDICT_ACCEPTED"
    )  # not applied: the old verdict is official
    cancelled = rest.post(f"/v1/rejudgings/{rejudging['rejudging_id']}:cancel", json={}, headers=setter)
    assert cancelled.status_code == 200 and cancelled.json()["rejudging"]["state"] == "REJUDGING_STATE_CANCELLED"
    for action in ("cancel", "apply"):
        again = rest.post(f"/v1/rejudgings/{rejudging['rejudging_id']}:{action}", json={}, headers=setter)
        assert again.status_code == 400 and error_reason(again.json()) == "REJUDGING_CLOSED", again.text
        assert "already cancelled" in again.json()["message"]
    after_cancel = finished(rest, tokens["user"], ids["two"])
    assert after_cancel["verdict"] == "VERDICT_ACCEPTED" and after_cancel["test_count"] == 2

    # A rejudging that is applied (by an admin): the new verdict is official and watchers get it.
    second = rest.post("/v1/rejudgings", json={"submission_ids": [ids["two"], ids["echo"]]}, headers=setter)
    assert second.status_code == 200, second.text
    second_id = second.json()["rejudging"]["rejudging_id"]
    ready(rest, tokens["setter"], second_id)
    applied = rest.post(f"/v1/rejudgings/{second_id}:apply", json={}, headers=auth(tokens["admin"]))
    assert applied.status_code == 200, applied.text
    assert applied.json()["rejudging"]["state"] == "REJUDGING_STATE_APPLIED"
    assert applied.json()["rejudging"]["changed_count"] == 1
    now_two = finished(rest, tokens["user"], ids["two"])
    assert (now_two["verdict"], now_two["test_count"], now_two["passed_test_count"]) == ("VERDICT_WRONG_ANSWER", 3, 2)
    assert finished(rest, tokens["user"], ids["echo"])["verdict"] == "VERDICT_ACCEPTED"
    old_last = before["two"]["test_count"] + 4  # QUEUED, COMPILING, RUNNING, a TEST_FINISHED per test, FINISHED
    snapshot, event = watch_messages(rest, tokens["user"], ids["two"], after=old_last, timeout=10)
    assert snapshot["submission"]["verdict"] == "VERDICT_WRONG_ANSWER" and not snapshot["last"]
    assert event["last"] and event["event"]["type"] == "SUBMISSION_EVENT_TYPE_REJUDGED"
    assert event["event"]["verdict"] == "VERDICT_WRONG_ANSWER" and event["event"]["rejudging_id"] == second_id
    assert event["event"]["sequence"] == old_last + 1
    replay = watch_messages(rest, tokens["user"], ids["two"], timeout=10)
    types = [m["event"]["type"] for m in replay[1:]]
    assert types[-2:] == ["SUBMISSION_EVENT_TYPE_FINISHED", "SUBMISSION_EVENT_TYPE_REJUDGED"]
    assert [m["last"] for m in replay[1:]].count(True) == 1 and replay[-1]["last"]
    again = rest.post(f"/v1/rejudgings/{second_id}:apply", json={}, headers=setter)
    assert again.status_code == 400 and error_reason(again.json()) == "REJUDGING_CLOSED"

    listed = rest.get("/v1/rejudgings", params={"page_size": 100}, headers=setter)
    assert listed.status_code == 200
    states = {r["rejudging_id"]: r["state"] for r in listed.json()["rejudgings"]}
    assert states[second_id] == "REJUDGING_STATE_APPLIED"
    assert states[rejudging["rejudging_id"]] == "REJUDGING_STATE_CANCELLED"


def test_who_may_rejudge_and_what_is_refused(rest: httpx.Client, tokens: dict[str, str]):
    setter, user = auth(tokens["setter"]), auth(tokens["user"])
    calls = [
        ("POST", "/v1/rejudgings", {"problem_id": "a-plus-b"}),
        ("GET", "/v1/rejudgings", None),
        ("GET", "/v1/rejudgings/nope", None),
        ("POST", "/v1/rejudgings/nope:apply", {}),
        ("POST", "/v1/rejudgings/nope:cancel", {}),
    ]
    for method, url, body in calls:
        anonymous = rest.request(method, url, json=body)
        assert anonymous.status_code == 401, (url, anonymous.text)
        refused = rest.request(method, url, json=body, headers=user)
        assert refused.status_code == 403 and error_reason(refused.json()) == "ROLE_REQUIRED", (url, refused.text)
    for method, url, body in calls[2:]:
        missing = rest.request(method, url, json=body, headers=setter)
        assert missing.status_code == 404, (url, missing.text)

    empty = rest.post("/v1/rejudgings", json={"reason": "nothing named"}, headers=setter)
    assert empty.status_code == 400 and error_reason(empty.json()) == "VALIDATION_FAILED", empty.text
    both = rest.post("/v1/rejudgings", json={"problem_id": "a-plus-b", "contest_id": "c1"}, headers=setter)
    assert both.status_code == 400, both.text
    unknown = rest.post("/v1/rejudgings", json={"submission_ids": ["no-such-submission"]}, headers=setter)
    assert unknown.status_code == 404, unknown.text
    nothing = rest.post("/v1/rejudgings", json={"contest_id": "no-such-contest"}, headers=setter)
    assert nothing.status_code == 400 and error_reason(nothing.json()) == "NOTHING_TO_REJUDGE", nothing.text
