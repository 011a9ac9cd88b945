"""Demo data for ``make up``, loaded through the public REST API (idempotent).

Going through the edge exercises the same path a user's client takes, and running it
twice changes nothing: existing accounts answer 409 ALREADY_EXISTS, which is fine.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

# The first admin is created by the user service itself from ARENA_ADMIN_* (set by the launcher).
DEMO_ADMIN = {"username": "admin", "password": "arena-operator-2026", "email": "admin@arena.local"}

DEMO_USER = {
    "username": "demo",
    "email": "demo@arena.local",
    "password": "practice-makes-perfect",
    "display_name": "Demo Contestant",
}


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def load_demo_data(edge_url: str) -> None:
    status, body = _post(f"{edge_url}/v1/users", DEMO_USER)
    if status not in (200, 409):
        raise RuntimeError(f"could not create the demo user: {status} {body}")
