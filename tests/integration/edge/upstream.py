"""A tiny real upstream for the edge tests: a grpc.aio server with canned Arena methods, and a
plain HTTP server standing in for the services' gRPC-Web (sonora) port.

Both run in a background thread with its own event loop, so the tests can drive Envoy with
ordinary blocking clients while the server answers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import http.server
import struct
import threading
from collections import Counter
from typing import Any

import grpc
from google.protobuf import struct_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_status import rpc_status

from arena.ops.v1 import ops_pb2, ops_service_pb2, ops_service_pb2_grpc
from arena.realtime.v1 import (
    realtime_internal_service_pb2,
    realtime_internal_service_pb2_grpc,
    realtime_pb2,
    realtime_service_pb2,
    realtime_service_pb2_grpc,
)
from arena.user.v1 import user_pb2, user_service_pb2, user_service_pb2_grpc

SLOW_S = 3.0
"""How long ``GetUser(user_id="slow")`` takes: longer than the tests' unary route timeout."""
STREAM_MESSAGES = 4
STREAM_INTERVAL_S = 0.6
"""``Subscribe`` sends its messages this far apart: the stream outlives a 1 s unary timeout."""
HUGE_BIO_BYTES = 512 * 1024
FORBIDDEN_TOPIC = "users/someone-else/notifications"

KNOWN_USER = user_pb2.User(user_id="42", username="ada", display_name="Ada Lovelace")


def _abort_status(code: int, message: str, *details: Any) -> status_pb2.Status:
    status = status_pb2.Status(code=code, message=message)
    for detail in details:
        status.details.add().Pack(detail)
    return status


class UserServicer(user_service_pb2_grpc.UserServiceServicer):
    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream

    async def GetUser(self, request, context):
        self.upstream.calls["GetUser"] += 1
        self.upstream.metadata.append(dict(context.invocation_metadata()))
        if request.user_id == KNOWN_USER.user_id:
            return user_service_pb2.GetUserResponse(user=KNOWN_USER)
        if request.user_id == "huge":
            return user_service_pb2.GetUserResponse(user=user_pb2.User(user_id="huge", bio="x" * HUGE_BIO_BYTES))
        if request.user_id == "slow":
            try:
                await asyncio.sleep(SLOW_S)
            except asyncio.CancelledError:
                self.upstream.cancelled.set()
                raise
            return user_service_pb2.GetUserResponse(user=KNOWN_USER)
        if request.user_id == "unavailable":
            await context.abort(grpc.StatusCode.UNAVAILABLE, "try again")
        status = _abort_status(
            code_pb2.NOT_FOUND,
            f"user {request.user_id} not found",
            error_details_pb2.ErrorInfo(
                reason="USER_NOT_FOUND", domain="arena.dev", metadata={"user_id": request.user_id}
            ),
            error_details_pb2.ResourceInfo(resource_type="arena.user.v1.User", resource_name=request.user_id),
        )
        await context.abort_with_status(rpc_status.to_status(status))

    async def CreateUser(self, request, context):
        # Not safe to retry: Envoy must not repeat it after an UNAVAILABLE answer.
        self.upstream.calls["CreateUser"] += 1
        await context.abort(grpc.StatusCode.UNAVAILABLE, "try again")


class OpsServicer(ops_service_pb2_grpc.OpsServiceServicer):
    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream

    async def GetPlatformHealth(self, request, context):
        self.upstream.calls["GetPlatformHealth"] += 1
        return ops_service_pb2.GetPlatformHealthResponse(status=ops_pb2.SERVING_STATUS_SERVING)


class RealtimeServicer(realtime_service_pb2_grpc.RealtimeServiceServicer):
    async def Subscribe(self, request, context):
        if request.topics[0] == FORBIDDEN_TOPIC:  # fails before its first message: a trailers-only answer
            info = error_details_pb2.ErrorInfo(reason="TOPIC_FORBIDDEN", domain="arena.dev")
            status = _abort_status(code_pb2.PERMISSION_DENIED, "not your topic", info)
            await context.abort_with_status(rpc_status.to_status(status))
        for index in range(STREAM_MESSAGES):
            payload = struct_pb2.Struct()
            payload.update({"index": index})
            last = index == STREAM_MESSAGES - 1
            yield realtime_service_pb2.SubscribeResponse(
                message=realtime_pb2.TopicMessage(topic=request.topics[0], sequence=index + 1, payload=payload),
                resume_token=str(index + 1),
                last=last,
            )
            if not last:
                await asyncio.sleep(STREAM_INTERVAL_S)


class RealtimeInternalServicer(realtime_internal_service_pb2_grpc.RealtimeInternalServiceServicer):
    """Would answer if the edge let anyone reach it."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream

    async def Publish(self, request, context):
        self.upstream.calls["Publish"] += 1
        return realtime_internal_service_pb2.PublishResponse()


def grpc_web_frame(flag: int, payload: bytes) -> bytes:
    return struct.pack(">BI", flag, len(payload)) + payload


@dataclasses.dataclass
class WebRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    http_version: str


class _WebHandler(http.server.BaseHTTPRequestHandler):
    """Answers /healthz, and every POST with one canned gRPC-Web GetUserResponse."""

    protocol_version = "HTTP/1.1"
    server: _WebServer

    def do_GET(self) -> None:
        self._send(200 if self.path == "/healthz" else 404, b"ok", "text/plain")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.requests.append(
            WebRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body, self.request_version)
        )
        message = user_service_pb2.GetUserResponse(user=KNOWN_USER).SerializeToString()
        payload = grpc_web_frame(0, message) + grpc_web_frame(0x80, b"grpc-status:0\r\ngrpc-message:\r\n")
        self._send(200, payload, "application/grpc-web+proto")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _WebServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    requests: list[WebRequest]


class Upstream:
    """Two gRPC ports (as if two services: user and realtime) and one gRPC-Web port."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.metadata: list[dict[str, str]] = []
        self.cancelled = threading.Event()
        self.grpc_ports: tuple[int, int] = (0, 0)
        self.web_port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="edge-upstream", daemon=True)
        self._server: grpc.aio.Server | None = None
        self._web = _WebServer(("127.0.0.1", 0), _WebHandler)
        self._web.requests = []
        self._web_thread = threading.Thread(target=self._web.serve_forever, name="edge-upstream-web", daemon=True)

    @property
    def web_requests(self) -> list[WebRequest]:
        return self._web.requests

    def start(self) -> None:
        self._thread.start()
        self.grpc_ports = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        self.web_port = self._web.server_address[1]
        self._web_thread.start()

    async def _start(self) -> tuple[int, int]:
        server = grpc.aio.server()
        user_service_pb2_grpc.add_UserServiceServicer_to_server(UserServicer(self), server)
        ops_service_pb2_grpc.add_OpsServiceServicer_to_server(OpsServicer(self), server)
        realtime_service_pb2_grpc.add_RealtimeServiceServicer_to_server(RealtimeServicer(), server)
        realtime_internal_service_pb2_grpc.add_RealtimeInternalServiceServicer_to_server(
            RealtimeInternalServicer(self), server
        )
        health = HealthServicer()
        for name in ("", "arena.user.v1.UserService", "arena.realtime.v1.RealtimeService", "arena.ops.v1.OpsService"):
            await health.set(name, health_pb2.HealthCheckResponse.SERVING)
        health_pb2_grpc.add_HealthServicer_to_server(health, server)
        ports = (server.add_insecure_port("127.0.0.1:0"), server.add_insecure_port("127.0.0.1:0"))
        await server.start()
        self._server = server
        return ports

    def stop(self) -> None:
        self._web.shutdown()
        self._web.server_close()
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._server.stop(0), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
