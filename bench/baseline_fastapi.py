"""The baseline for GetUser: a FastAPI endpoint doing the same work as the user service's GetUser.

Same database (the user service's own, by URL), same read through the same store, the same
fields out as JSON (orjson, the fastest common choice). Benchmarks only; no service uses this.
Run: ARENA_BENCH_DATABASE_URL=... uvicorn bench.baseline_fastapi:app --port P [--workers N]
"""

from __future__ import annotations

import os

import orjson
from fastapi import FastAPI, HTTPException, Response

from arena.kit.db import make_engine
from arena.user.store import SqlUserStore

app = FastAPI()
_store: SqlUserStore | None = None


def store() -> SqlUserStore:
    global _store
    if _store is None:
        _store = SqlUserStore(make_engine(os.environ["ARENA_BENCH_DATABASE_URL"]))
    return _store


@app.get("/users/{user_id}")
async def get_user(user_id: str) -> Response:
    user = await store().get_user(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="user not found")
    body = {
        "user": {
            "user_id": user.user_id,
            "username": user.username,
            "email": "",
            "display_name": user.display_name,
            "bio": user.bio,
            "country_code": user.country_code,
            "role": f"ROLE_{user.role.name}",
            "create_time": user.create_time.isoformat(),
            "update_time": user.update_time.isoformat(),
        }
    }
    return Response(orjson.dumps(body), media_type="application/json")
