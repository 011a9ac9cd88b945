"""The demo contest: a running ICPC contest on the demo problems with a few simulated contestants.

Loaded through the public REST API like the rest of the demo data, and idempotent: while a demo
contest is upcoming, running or frozen, a new start leaves it alone. The contestants' submissions go
through the judge like anyone's, so the board shows real verdicts a few seconds after ``make up``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

DEMO_CONTEST_TITLE = "Arena Demo Cup"
DEMO_CONTESTANTS = ("demo-ada", "demo-alan", "demo-grace")
DEMO_CONTESTANT_PASSWORD = "simulated-contestant-2026"
DEMO_PROBLEMS = ("a-plus-b", "mean-value", "prime-sieve")
"""The demo contest's problems (slugs), in column order."""
# (contestant, problem slug, solution file), in the order they submit.
DEMO_SUBMISSIONS = (
    ("demo-ada", "a-plus-b", "accepted.py"),
    ("demo-alan", "a-plus-b", "wrong.py"),
    ("demo-alan", "a-plus-b", "accepted.py"),
    ("demo-grace", "mean-value", "accepted.py"),
    ("demo-ada", "mean-value", "wrong.py"),
)

Call = Callable[..., tuple[int, dict[str, Any]]]


def _rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclasses.dataclass(frozen=True)
class DemoContest:
    contest_id: str
    problem_ids: dict[str, str]
    """The contest's problems: slug -> problem id."""


def _existing(call: Call, edge_url: str) -> str | None:
    for phase in ("CONTEST_PHASE_RUNNING", "CONTEST_PHASE_FROZEN", "CONTEST_PHASE_UPCOMING"):
        status, body = call("GET", f"{edge_url}/v1/contests?phase={phase}&page_size=100")
        if status != 200:
            raise RuntimeError(f"could not list contests: {status} {body}")
        for contest in body.get("contests", []):
            if contest["title"] == DEMO_CONTEST_TITLE:
                return str(contest["contest_id"])
    return None


def load_demo_contest(call: Call, edge_url: str, admin_token: str, demo_user: dict[str, str]) -> DemoContest:
    """The demo contest, created with its contestants and their first submissions unless one is on."""
    ids = {}
    for slug in DEMO_PROBLEMS:
        status, body = call("GET", f"{edge_url}/v1/problems/{slug}", token=admin_token)
        if status != 200:
            raise RuntimeError(f"the demo problem {slug} is missing: {status} {body}")
        ids[slug] = body["problem"]["problem_id"]
    found = _existing(call, edge_url)
    if found is not None:
        return DemoContest(found, ids)
    from arena.demo.problems import load

    problems = {p.slug: p for p in load()}
    now = dt.datetime.now(dt.UTC)
    contest = {
        "title": DEMO_CONTEST_TITLE,
        "description": "A demo contest: three simulated contestants and you. Submit to climb the board.",
        "scoring_rule": "SCORING_RULE_ICPC",
        "start_time": _rfc3339(now - dt.timedelta(minutes=5)),
        "duration": f"{24 * 3600}s",
        "freeze_before_end": "3600s",
        "problems": [{"problem_id": ids[slug]} for slug in ids],
    }
    status, body = call("POST", f"{edge_url}/v1/contests", contest, token=admin_token)
    if status != 200:
        raise RuntimeError(f"could not create the demo contest: {status} {body}")
    contest_id = str(body["contest"]["contest_id"])
    tokens = {}
    accounts = [(demo_user["username"], demo_user["password"])]
    accounts += [(name, DEMO_CONTESTANT_PASSWORD) for name in DEMO_CONTESTANTS]
    for username, password in accounts:
        if username != demo_user["username"]:
            call(
                "POST",
                f"{edge_url}/v1/users",
                {"username": username, "email": f"{username}@arena.local", "password": password},
            )
        status, body = call("POST", f"{edge_url}/v1/auth:login", {"username": username, "password": password})
        if status != 200:
            raise RuntimeError(f"could not log in as {username}: {status} {body}")
        tokens[username] = body["tokens"]["access_token"]
        status, body = call("POST", f"{edge_url}/v1/contests/{contest_id}:register", {}, token=tokens[username])
        if status not in (200, 409):
            raise RuntimeError(f"could not register {username}: {status} {body}")
    for username, slug, solution in DEMO_SUBMISSIONS:
        language, source = problems[slug].solutions[solution]
        submission = {"problem_id": ids[slug], "language_id": language, "source": source, "contest_id": contest_id}
        status, body = call("POST", f"{edge_url}/v1/submissions", submission, token=tokens[username])
        if status != 200:
            raise RuntimeError(f"could not submit for {username}: {status} {body}")
    return DemoContest(contest_id, ids)
