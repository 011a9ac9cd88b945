"""Demo data for ``make up``, loaded through the public REST API (idempotent).

Going through the edge exercises the same path a user's client takes, and running it
twice changes nothing: existing accounts answer 409 ALREADY_EXISTS, which is fine.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from arena.demo.activity import ContestActivity
    from arena.demo.contest import DemoContest
    from arena.demo.problems import DemoProblem

# The first admin is created by the user service itself from ARENA_ADMIN_* (set by the launcher).
DEMO_ADMIN = {"username": "admin", "password": "arena-operator-2026", "email": "admin@arena.local"}

DEMO_USER = {
    "username": "demo",
    "email": "demo@arena.local",
    "password": "practice-makes-perfect",
    "display_name": "Demo Contestant",
}


def _call(method: str, url: str, body: dict[str, Any] | None = None, token: str = "") -> tuple[int, dict[str, Any]]:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _post(url: str, body: dict[str, Any], token: str = "") -> tuple[int, dict[str, Any]]:
    return _call("POST", url, body, token)


def problem_body(problem: DemoProblem) -> dict[str, Any]:
    """A demo problem as the REST API's ``Problem`` JSON."""
    samples, hidden = problem.tests[: problem.samples], problem.tests[problem.samples :]
    checker: dict[str, Any] = {"kind": f"CHECKER_KIND_{problem.checker}"}
    if problem.checker_program is not None:
        checker |= {"program_language_id": problem.checker_program[0], "program_source": problem.checker_program[1]}
    body: dict[str, Any] = {
        "slug": problem.slug,
        "title": problem.title,
        "statement": problem.statement,
        "difficulty": f"DIFFICULTY_{problem.difficulty}",
        "tags": list(problem.tags),
        "time_limit": f"{problem.time_limit_ms / 1000:.3f}s",
        "memory_limit_kib": problem.memory_limit_kib,
        "checker": checker,
        "sample_tests": [{"input": i, "expected_output": o} for i, o in samples],
        "hidden_tests": [{"input": i, "expected_output": o} for i, o in hidden],
        "test_groups": [
            {"name": name, "points": points, "test_ordinals": list(ordinals)}
            for name, points, ordinals in problem.groups
        ],
    }
    if problem.interactor is not None:
        body["interactor"] = {"language_id": problem.interactor[0], "source": problem.interactor[1]}
    return body


def load_demo_data(edge_url: str) -> DemoContest:
    """Loads the demo users, problems and contest (idempotent); returns the demo contest."""
    status, body = _post(f"{edge_url}/v1/users", DEMO_USER)
    if status not in (200, 409):
        raise RuntimeError(f"could not create the demo user: {status} {body}")
    status, body = _post(f"{edge_url}/v1/auth:login", {k: DEMO_ADMIN[k] for k in ("username", "password")})
    if status != 200:
        raise RuntimeError(f"could not log in as the demo admin: {status} {body}")
    token = body["tokens"]["access_token"]

    from arena.demo.problems import load

    for problem in load():
        status, body = _call("GET", f"{edge_url}/v1/problems/{problem.slug}", token=token)
        if status == 200:
            continue  # loaded by an earlier start
        status, body = _post(f"{edge_url}/v1/problems", problem_body(problem), token)
        if status not in (200, 409):
            raise RuntimeError(f"could not create the demo problem {problem.slug}: {status} {body}")

    from arena.demo.contest import load_demo_contest

    return load_demo_contest(_call, edge_url, token, DEMO_USER)


def start_demo_activity(edge_url: str, contest: DemoContest, interval_s: float) -> ContestActivity:
    """The simulated contestants' further attempts, one every ``interval_s`` on average, in the background."""
    from arena.demo.activity import ContestActivity

    activity = ContestActivity(_call, edge_url, contest.contest_id, contest.problem_ids, interval_s=interval_s)
    activity.start()
    return activity
