"""The servers ``bench.calls`` measures, one per process so each one's CPU time is its own.

    python -m bench.call_servers MODE PORT

MODE is one of:

- ``bare``      grpc.aio with the trivial servicer, nothing else;
- ``kit``       the same servicer behind the kit's middleware chain, as every service runs it
                (request id, access log as JSON lines, metrics, auth, validation, errors);
- ``kit-quiet`` the same, logging at warning level (no access log line per call);
- ``fastapi``   a FastAPI endpoint doing the same work as JSON (orjson), on uvicorn.

The work: ProblemInternalService.BatchGetProblemSummaries for the known ids, answered from
constants (4 summaries), built per call on every side.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import grpc
import orjson
from fastapi import FastAPI, Request, Response

from arena.problem.v1 import problem_internal_service_pb2, problem_internal_service_pb2_grpc, problem_pb2

SUMMARIES = tuple((f"{i:032x}", f"problem-{i}", f"Problem {i}", 1 + i % 3) for i in range(4))
IDS = tuple(s[0] for s in SUMMARIES)
DIFFICULTIES = {1: "DIFFICULTY_EASY", 2: "DIFFICULTY_MEDIUM", 3: "DIFFICULTY_HARD"}
MODES = ("bare", "kit", "kit-quiet", "fastapi")


class Summaries(problem_internal_service_pb2_grpc.ProblemInternalServiceServicer):
    async def BatchGetProblemSummaries(self, request, context):
        wanted = set(request.problem_ids)
        return problem_internal_service_pb2.BatchGetProblemSummariesResponse(
            problems=[
                problem_pb2.ProblemSummary(problem_id=i, slug=s, title=t, difficulty=d)
                for i, s, t, d in SUMMARIES
                if i in wanted
            ]
        )


def summaries_json(problem_ids: list[str]) -> dict:
    wanted = set(problem_ids)
    return {
        "problems": [
            {"problem_id": i, "slug": s, "title": t, "difficulty": DIFFICULTIES[d]}
            for i, s, t, d in SUMMARIES
            if i in wanted
        ]
    }


async def serve_grpc(port: int, *, kit: bool, quiet: bool = False) -> None:
    from arena.kit.server import GRPC_SERVER_OPTIONS

    server = grpc.aio.server(options=GRPC_SERVER_OPTIONS)
    if kit:
        from arena.kit import logging as kit_logging
        from arena.kit.metrics import Metrics
        from arena.kit.middleware import Lifecycle, Pipeline
        from arena.kit.server import wrap_servicers

        with open(os.devnull, "w") as devnull:  # the lines are rendered and written, as in a service
            kit_logging.configure(
                service="bench", instance_id="bench-1", level="warning" if quiet else "info", stream=devnull
            )
            pipeline = Pipeline(service="bench", metrics=Metrics("bench"), verifier=None, lifecycle=Lifecycle())
            add = problem_internal_service_pb2_grpc.add_ProblemInternalServiceServicer_to_server
            for name, handlers in wrap_servicers([(add, Summaries())], pipeline).items():
                server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, handlers),))
                server.add_registered_method_handlers(name, handlers)
            await _run(server, port)
    else:
        problem_internal_service_pb2_grpc.add_ProblemInternalServiceServicer_to_server(Summaries(), server)
        await _run(server, port)


async def _run(server: grpc.aio.Server, port: int) -> None:
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop(None)


def serve_fastapi(port: int) -> None:
    import uvicorn

    app = FastAPI()

    @app.post("/internal/problem-summaries")
    async def batch(request: Request) -> Response:
        body = orjson.loads(await request.body())
        return Response(orjson.dumps(summaries_json(body.get("problem_ids", []))), media_type="application/json")

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    asyncio.run(server.serve(sockets=[sock]))


def main(mode: str, port: int) -> None:
    if mode == "fastapi":
        serve_fastapi(port)
    elif mode in MODES:
        asyncio.run(serve_grpc(port, kit=mode.startswith("kit"), quiet=mode == "kit-quiet"))
    else:
        raise SystemExit(f"unknown mode {mode!r}; one of {', '.join(MODES)}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
