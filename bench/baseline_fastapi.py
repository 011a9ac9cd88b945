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
