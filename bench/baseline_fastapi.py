"""The baselines: FastAPI endpoints doing the same work as the services they are compared with.

- ``GET /users/{id}``: the user service's GetUser — the same read through the same store, the
  same fields out as JSON (orjson, the fastest common choice).
- ``GET /problems?page_size=&difficulty=&tag=&query=&order_by=``: the problem service's
  ListProblems for an anonymous caller — the same page through the same store, as JSON.
- ``GET /contests/{id}/leaderboard?page_size=``: the contest service's GetLeaderboard for an anonymous
  caller — the same board read through the same ``Boards`` (version check, standings once per version),
  the same page as JSON, kept as bytes per (view, version, page) as the servicer keeps its page
  (``build_each_time=true``: the page's JSON built on every request instead, for reference).

Each answer is kept as orjson bytes in the same cache the services use (``arena.kit.cache``,
same key, same expiry: ``ARENA_BENCH_CACHE_TTL_S``, default 2 s as the services'
``ARENA_READ_CACHE_TTL_S``); 0 reads the store on every request, as the services do then.
Databases by URL: ``ARENA_BENCH_USER_DATABASE_URL``, ``ARENA_BENCH_PROBLEM_DATABASE_URL``,
``ARENA_BENCH_CONTEST_DATABASE_URL``.
Benchmarks only; no service uses this.

    python -m bench.baseline_fastapi PORT PROCESSES
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Awaitable, Callable, Hashable

import orjson
from fastapi import FastAPI, HTTPException, Response

from arena.contest.app import ContestApp, ProblemRef
from arena.contest.domain import ContestProblem, Row, ScoringRule
from arena.contest.servicer import PAGE_BYTES_TTL_S
from arena.kit.cache import TtlCache
from arena.kit.db import make_engine
from arena.problem.domain import Difficulty, Problem
from arena.problem.store import ORDERS, Filters, SqlProblemStore
from arena.user.store import SqlUserStore

app = FastAPI()
_stores: dict[str, object] = {}
_cache: TtlCache[Hashable, bytes] | None = None
_cache_ready = False


def cache() -> TtlCache[Hashable, bytes] | None:
    global _cache, _cache_ready
    if not _cache_ready:
        ttl_s = float(os.environ.get("ARENA_BENCH_CACHE_TTL_S", "2"))
        _cache = TtlCache(ttl_s=ttl_s) if ttl_s > 0 else None
        _cache_ready = True
    return _cache


async def cached(key: Hashable, build: Callable[[], Awaitable[bytes]]) -> bytes:
    """The same pattern as the services: bytes from the cache, or built once and kept."""
    pages = cache()
    if pages is None:
        return await build()
    found = pages.get(key)
    if found is None:
        found = await build()
        pages.put(key, found)
    return found


def user_store() -> SqlUserStore:
    if "user" not in _stores:
        _stores["user"] = SqlUserStore(make_engine(os.environ["ARENA_BENCH_USER_DATABASE_URL"]))
    return _stores["user"]  # type: ignore[return-value]


def problem_store() -> SqlProblemStore:
    if "problem" not in _stores:
        _stores["problem"] = SqlProblemStore(make_engine(os.environ["ARENA_BENCH_PROBLEM_DATABASE_URL"]))
    return _stores["problem"]  # type: ignore[return-value]


@app.get("/users/{user_id}")
async def get_user(user_id: str) -> Response:
    async def build() -> bytes:
        user = await user_store().get_user(user_id)
        if user is None:
            raise HTTPException(status_code=404, detail="user not found")
        return orjson.dumps(
            {
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
        )

    return Response(await cached((user_id, False), build), media_type="application/json")


def _rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def problem_json(problem: Problem) -> dict:
    """A listed problem as the REST API shows it (snake_case, zero values printed, no tests)."""
    content = problem.content
    return {
        "problem_id": problem.problem_id,
        "slug": content.slug,
        "title": content.title,
        "statement": content.statement,
        "difficulty": f"DIFFICULTY_{content.difficulty.name}",
        "tags": list(content.tags),
        "time_limit": f"{content.time_limit_ms / 1000:g}s",
        "memory_limit_kib": content.memory_limit_kib,
        "checker": {
            "kind": f"CHECKER_KIND_{content.checker.kind.name}",
            "absolute_tolerance": content.checker.absolute_tolerance,
            "relative_tolerance": content.checker.relative_tolerance,
        },
        "sample_tests": [],
        "hidden_tests": [],
        "hidden_test_count": problem.hidden_test_count,
        "visibility": f"VISIBILITY_{content.visibility.name}",
        "author_id": problem.author_id,
        "like_count": problem.like_count,
        "bookmark_count": problem.bookmark_count,
        "liked": False,
        "bookmarked": False,
        "revision": problem.revision,
        "create_time": _rfc3339(problem.create_time),
        "update_time": _rfc3339(problem.update_time),
    }


@app.get("/problems")
async def list_problems(
    page_size: int = 0, difficulty: str = "", tag: str = "", query: str = "", order_by: str = ""
) -> Response:
    size = min(page_size, 100) if page_size > 0 else 50
    order = order_by.strip() or "create_time desc"
    if order not in ORDERS:
        raise HTTPException(status_code=400, detail="unknown order")
    level = Difficulty[difficulty.removeprefix("DIFFICULTY_")] if difficulty else None
    filters = Filters(difficulty=level, tag=tag[:32], query=query[:120])

    async def build() -> bytes:
        page = await problem_store().list(filters, order, size, None)
        return orjson.dumps(
            {
                "problems": [problem_json(p) for p in page.problems],
                "next_page_token": "more" if page.next_cursor else "",
                "total_size": page.total,
            }
        )

    key = (None, False, difficulty, filters.tag, filters.query, order, size, "")
    return Response(await cached(key, build), media_type="application/json")


class _NoProblems:
    async def find(self, keys: object) -> list[ProblemRef]:
        return []

    async def embargo(self, contest_id: str, problem_ids: object, end: object) -> None:
        return None


_pages: TtlCache[Hashable, bytes] = TtlCache(ttl_s=PAGE_BYTES_TTL_S, max_entries=10_000)
"""Pages keyed by board version, with the servicer's own expiry (it only frees memory)."""


def contest_app() -> ContestApp:
    if "contest" not in _stores:
        from arena.contest.store import SqlContestStore

        store = SqlContestStore(make_engine(os.environ["ARENA_BENCH_CONTEST_DATABASE_URL"]))
        ttl_s = float(os.environ.get("ARENA_BENCH_CACHE_TTL_S", "2"))
        _stores["contest"] = ContestApp(store, _NoProblems(), read_cache_ttl_s=ttl_s)
    return _stores["contest"]  # type: ignore[return-value]


def _seconds(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "0s"
    us = delta // dt.timedelta(microseconds=1)
    return f"{us // 1_000_000}s" if us % 1_000_000 == 0 else f"{us / 1e6:.6f}".rstrip("0") + "s"


def _contest_problem_json(p: ContestProblem) -> dict:
    return {"problem_id": p.problem_id, "label": p.label, "max_score": p.max_score, "title": p.title}


def row_json(row: Row) -> dict:
    """A leaderboard row as the REST API shows it."""
    return {
        "rank": row.rank,
        "user_id": row.user_id,
        "display_name": row.display_name,
        "score": row.score,
        "solved_count": row.solved_count,
        "penalty": _seconds(row.penalty),
        "cells": [
            {
                "label": c.label,
                "solved": c.solved,
                "rejected_attempts": c.rejected_attempts,
                "pending_attempts": c.pending_attempts,
                "score": c.score,
                "first_solve": c.first_solve,
            }
            | ({"solved_after": _seconds(c.solved_after)} if c.solved_after is not None else {})
            for c in row.cells
        ],
    }


@app.get("/contests/{contest_id}/leaderboard")
async def get_leaderboard(contest_id: str, page_size: int = 0, build_each_time: bool = False) -> Response:
    contests = contest_app()
    view = await contests.view(contest_id, None)
    size = min(page_size, 1000) if page_size > 0 else 100

    async def build() -> bytes:
        standings = contests.standings(view)
        contest = view.board.contest
        rule: ScoringRule = contest.spec.scoring_rule
        return orjson.dumps(
            {
                "leaderboard": {
                    "contest_id": contest.contest_id,
                    "scoring_rule": f"SCORING_RULE_{rule.name}",
                    "problems": [_contest_problem_json(p) for p in contest.spec.problems],
                    "rows": [row_json(r) for r in standings.rows[:size]],
                    "frozen": standings.frozen,
                    "version": view.board.version,
                    "participant_count": len(standings.rows),
                    "update_time": _rfc3339(view.board.update_time),
                },
                "next_page_token": "more" if size < len(standings.rows) else "",
            }
        )

    if build_each_time:  # the page's dicts and JSON built per request (the standings still once per version)
        return Response(await build(), media_type="application/json")
    key = (*view.key, size, 0)
    page = _pages.get(key)
    if page is None:
        page = await build()
        _pages.put(key, page)
    return Response(page, media_type="application/json")


def serve(port: int, processes: int) -> None:
    """N uvicorn processes sharing one port, each with its own SO_REUSEPORT socket and TCP_NODELAY.

    Not ``uvicorn --workers``: it binds a socket whose accepted connections asyncio leaves with
    Nagle's algorithm on (proto 0), so every keep-alive answer waits for a delayed ACK (~40 ms).
    The baseline gets the same socket treatment as the services it is compared with.
    """
    import asyncio
    import signal
    import socket

    import uvicorn

    def listener() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(1024)
        return sock

    children = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:
            server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
            asyncio.run(server.serve(sockets=[listener()]))
            os._exit(0)
        children.append(pid)

    def stop(signum: int, _frame: object) -> None:
        for child in children:
            os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    for child in children:
        os.waitpid(child, 0)


if __name__ == "__main__":
    import sys

    serve(int(sys.argv[1]), int(sys.argv[2]))
