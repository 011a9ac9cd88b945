"""The floor of a leaderboard fan-out in this process model: bare grpc.aio streaming the same bytes.

    python -m bench.board_floor PORT

A grpc.aio server (no kit, no contest logic, no store) answering the two methods ``bench.board_stream``
calls, by name, with raw bytes: ``ContestService/GetLeaderboardStream`` gives every subscriber the current
message at once and then each new one; ``ContestInternalService/RecordSubmissionResult`` makes a new board
version (the next message: an empty ``LeaderboardChange`` at that version, what a verdict outside the shown
page sends) and wakes every subscriber. So a verdict → every subscriber costs exactly one wake-up and one
write of shared bytes per stream: what grpcio's Python server needs at least for the service's fan-out.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator

import grpc

from arena.contest.v1 import contest_internal_service_pb2, contest_service_pb2

STREAM = "/arena.contest.v1.ContestService/GetLeaderboardStream"
RECORD = "/arena.contest.v1.ContestInternalService/RecordSubmissionResult"
APPLIED = contest_internal_service_pb2.RecordSubmissionResultResponse(applied=True).SerializeToString()


class Board:
    """The current message, serialized once per version, and the event its followers wait on."""

    def __init__(self) -> None:
        self.version = 1
        self.message = self._render()
        self.changed = asyncio.Event()

    def _render(self) -> bytes:
        change = contest_service_pb2.LeaderboardChange(version=self.version, base_version=self.version - 1)
        return contest_service_pb2.GetLeaderboardStreamResponse(change=change).SerializeToString()

    def advance(self) -> None:
        self.version += 1
        self.message = self._render()
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()


def handlers(board: Board) -> grpc.GenericRpcHandler:
    async def follow(_request: bytes, _context: grpc.aio.ServicerContext[bytes, bytes]) -> AsyncIterator[bytes]:
        while True:
            changed = board.changed
            yield board.message
            await changed.wait()

    async def record(_request: bytes, _context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        board.advance()
        return APPLIED

    methods = {
        STREAM: grpc.unary_stream_rpc_method_handler(follow),
        RECORD: grpc.unary_unary_rpc_method_handler(record),
    }

    class Handler(grpc.GenericRpcHandler):
        def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
            return methods.get(handler_call_details.method)  # type: ignore[attr-defined,no-any-return]

    return Handler()


async def serve(port: int) -> None:
    board = Board()
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handlers(board),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await server.stop(0)


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
