"""gRPC-Web for Arena's servicers: sonora's ASGI app, made correct for current grpcio.

sonora 0.2.3 (its last release) has defects with current grpcio and uvicorn. This
module subclasses it — no fork — and replaces the request/response handling where the
defects live, keeping sonora's handler registry, fallback routing and client:

- S1  unary trailers were written with bytes keys (``b'grpc-status': b'0'``): trailers are
      written here with str keys, per the gRPC-Web spec;
- S2  an exception other than ``grpc.RpcError`` escaped to uvicorn (HTTP 500, or a stream
      cut without trailers): it becomes INTERNAL, logged;
- S3  an error or deadline after the first message sent a second ``http.response.start``:
      it becomes a trailer frame;
- S4  the context lacked grpc.aio's API (``code()``, ``details()``, ``peer()``,
      ``abort(..., trailing_metadata)``...): ``WebServicerContext`` has it;
- S5  sonora's CORS answered with the Host header and crashed on preflight: CORS is
      Envoy's job, so sonora's is off;
- S6  a request without a Host header raised ValueError: nothing needs it here;
- S7  the response content-type was copied from ``Accept`` (``*/*`` from curl): it mirrors
      the request's gRPC-Web content-type, text mode included;
- S8  request frames split across (or combined in) receive events were mishandled and the
      compression flag ignored: the body is read whole, frames checked, compressed frames
      refused with UNIMPLEMENTED;
- S9  sonora's client rejected the ``_registered_method`` argument of generated stubs:
      ``WebChannel`` below accepts it.

Errors keep their ``google.rpc`` details: trailing metadata (``grpc-status-details-bin``
base64-encoded, as gRPC-Web requires for binary values) travels in the trailers, or in
the HTTP headers of a trailers-only response when nothing was sent yet. A client that
disconnects cancels the call, and a server stream's generator is always closed.
"""

from __future__ import annotations

import asyncio
import base64
import struct
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import grpc
import sonora.aio
import sonora.client
import structlog
from google.protobuf.message import DecodeError
from sonora import protocol
from sonora.asgi import grpcASGI

log = structlog.get_logger("arena.grpcweb")

_FRAME_HEADER = struct.Struct(">BI")
_TRAILERS_FLAG = 0x80
_COMPRESSED_FLAG = 0x01
MAX_REQUEST_BYTES = 8 * 1024 * 1024
_CONTENT_TYPES = frozenset(
    {
        "application/grpc-web",
        "application/grpc-web+proto",
        "application/grpc-web-text",
        "application/grpc-web-text+proto",
    }
)
_CODES = {code.value[0]: code for code in grpc.StatusCode}


class _Aborted(grpc.RpcError):
    """Raised by ``WebServicerContext.abort``: the call ends with the status set on the context."""


class _BadRequest(Exception):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


def _header_value(value: str | bytes, key: str) -> bytes:
    if key.endswith("-bin"):
        raw = value if isinstance(value, bytes) else value.encode()
        return base64.b64encode(raw)
    return value.encode("latin-1") if isinstance(value, str) else value


def _encode_message(details: str) -> str:
    # grpc-message is percent-encoded: everything outside printable ASCII, and '%'.
    return quote(
        details,
        safe=" !\"#$&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
    )


class WebServicerContext:
    """The servicer context of a gRPC-Web call, with the parts of grpc.aio's API Arena uses."""

    transport = "grpc-web"

    def __init__(self, scope: dict[str, Any]) -> None:
        self._code: grpc.StatusCode | None = None
        self._details: str | None = None
        self._initial_metadata: list[tuple[str, str | bytes]] = []
        self._trailing_metadata: list[tuple[str, str | bytes]] = []
        self._done = False
        self._cancelled = False
        self._deadline: float | None = None
        self.content_type = "application/grpc-web+proto"
        self.text_mode = False
        metadata: list[tuple[str, str | bytes]] = []
        for raw_key, raw_value in scope.get("headers", ()):
            key = raw_key.decode("latin-1").lower()
            if key == "grpc-timeout":
                try:
                    self._deadline = time.monotonic() + protocol.parse_timeout(raw_value)
                except (KeyError, ValueError):
                    raise _BadRequest(grpc.StatusCode.INVALID_ARGUMENT, "malformed grpc-timeout header") from None
                continue
            if key == "content-type":
                value = raw_value.decode("latin-1").strip().lower()
                if value in _CONTENT_TYPES:
                    self.content_type = value
                self.text_mode = value.startswith("application/grpc-web-text")
                if self.text_mode and value not in _CONTENT_TYPES:
                    self.content_type = "application/grpc-web-text+proto"
            if key.endswith("-bin"):
                try:
                    metadata.append((key, base64.b64decode(raw_value + b"=" * (-len(raw_value) % 4))))
                except ValueError:
                    raise _BadRequest(grpc.StatusCode.INVALID_ARGUMENT, f"malformed base64 in {key}") from None
            else:
                metadata.append((key, raw_value.decode("latin-1")))
        self._metadata = tuple(metadata)
        client = scope.get("client")
        if client:
            host, port = client[0], client[1]
            self._peer = f"ipv6:[{host}]:{port}" if ":" in host else f"ipv4:{host}:{port}"
        else:
            self._peer = "unknown"

    # -- what servicers and the middleware call ----------------------------------------------

    def invocation_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        return self._metadata

    def peer(self) -> str:
        return self._peer

    def time_remaining(self) -> float | None:
        return None if self._deadline is None else max(0.0, self._deadline - time.monotonic())

    def set_code(self, code: grpc.StatusCode | int) -> None:
        self._code = code if isinstance(code, grpc.StatusCode) else _CODES.get(int(code), grpc.StatusCode.UNKNOWN)

    def set_details(self, details: str) -> None:
        self._details = details

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def details(self) -> str | None:
        return self._details

    async def send_initial_metadata(self, metadata: Iterable[tuple[str, str | bytes]]) -> None:
        self._initial_metadata.extend(metadata)

    def set_trailing_metadata(self, metadata: Iterable[tuple[str, str | bytes]]) -> None:
        self._trailing_metadata = list(metadata)

    def trailing_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        return tuple(self._trailing_metadata)

    async def abort(
        self, code: grpc.StatusCode, details: str = "", trailing_metadata: Iterable[tuple[str, Any]] = ()
    ) -> None:
        if code == grpc.StatusCode.OK:
            raise ValueError("abort() needs an error status")
        self.set_code(code)
        self.set_details(details)
        if trailing_metadata:
            self.set_trailing_metadata(trailing_metadata)
        raise _Aborted()

    async def abort_with_status(self, status: Any) -> None:
        await self.abort(status.code, status.details, status.trailing_metadata)

    def cancelled(self) -> bool:
        return self._cancelled

    def done(self) -> bool:
        return self._done

    def is_active(self) -> bool:
        return not self._done and not self._cancelled

    def auth_context(self) -> dict[str, Any]:
        return {}

    # -- what the responder reads ------------------------------------------------------------

    def status(self) -> tuple[grpc.StatusCode, str]:
        return self._code or grpc.StatusCode.OK, self._details or ""

    def initial_headers(self) -> list[tuple[bytes, bytes]]:
        return [(k.encode("latin-1"), _header_value(v, k)) for k, v in self._initial_metadata]

    def trailer_fields(self) -> list[tuple[str, bytes]]:
        code, details = self.status()
        fields = [("grpc-status", str(code.value[0]).encode())]
        if details:
            fields.append(("grpc-message", _encode_message(details).encode("ascii")))
        fields.extend((k.lower(), _header_value(v, k.lower())) for k, v in self._trailing_metadata)
        return fields


class _Responder:
    """Writes one call's response: messages, then trailers; trailers-only when nothing was sent."""

    def __init__(self, send: Any, context: WebServicerContext) -> None:
        self._send = send
        self._context = context
        self.started = False
        self.finished = False

    def _frame(self, flags: int, payload: bytes) -> bytes:
        frame = _FRAME_HEADER.pack(flags, len(payload)) + payload
        return base64.b64encode(frame) if self._context.text_mode else frame

    def _headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"content-type", self._context.content_type.encode()), *self._context.initial_headers()]

    async def message(self, serialized: bytes) -> None:
        if not self.started:
            self.started = True
            await self._send({"type": "http.response.start", "status": 200, "headers": self._headers()})
        await self._send({"type": "http.response.body", "body": self._frame(0, serialized), "more_body": True})

    async def unary(self, serialized: bytes) -> None:
        """A unary answer in one write: message frame plus trailer frame, with a content-length."""
        body = self._frame(0, serialized) + self._trailer_frame()
        headers = [*self._headers(), (b"content-length", str(len(body)).encode())]
        self.started = self.finished = True
        await self._send({"type": "http.response.start", "status": 200, "headers": headers})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})

    def _trailer_frame(self) -> bytes:
        block = b"".join(k.encode("ascii") + b": " + v + b"\r\n" for k, v in self._context.trailer_fields())
        return self._frame(_TRAILERS_FLAG, block)

    async def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        if not self.started:
            # Trailers-only: the status travels in the HTTP headers, with an empty body.
            self.started = True
            fields = [(k.encode("ascii"), v) for k, v in self._context.trailer_fields()]
            headers = [*self._headers(), *fields, (b"content-length", b"0")]
            await self._send({"type": "http.response.start", "status": 200, "headers": headers})
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await self._send({"type": "http.response.body", "body": self._trailer_frame(), "more_body": False})


async def _read_body(receive: Any) -> bytes:
    chunks, size = [], 0
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            raise asyncio.CancelledError()
        chunk = event.get("body", b"")
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise _BadRequest(grpc.StatusCode.RESOURCE_EXHAUSTED, f"request larger than {MAX_REQUEST_BYTES} bytes")
        chunks.append(chunk)
        if not event.get("more_body"):
            return b"".join(chunks)


def _request_payload(body: bytes, context: WebServicerContext) -> bytes:
    """The serialized request message inside the gRPC-Web body (S8: whole body, flags checked)."""
    if context.text_mode:
        try:
            # Text-mode clients may send several base64 chunks, each with its own padding.
            body = b"".join(base64.b64decode(part + b"=" * (-len(part) % 4)) for part in _b64_chunks(body))
        except ValueError:
            raise _BadRequest(grpc.StatusCode.INVALID_ARGUMENT, "request body is not valid base64") from None
    if not body:
        return b""
    if len(body) < _FRAME_HEADER.size:
        raise _BadRequest(grpc.StatusCode.INVALID_ARGUMENT, "truncated gRPC-Web frame header")
    flags, length = _FRAME_HEADER.unpack_from(body)
    payload = body[_FRAME_HEADER.size : _FRAME_HEADER.size + length]
    if len(payload) != length:
        raise _BadRequest(grpc.StatusCode.INVALID_ARGUMENT, "truncated gRPC-Web frame")
    if flags & _TRAILERS_FLAG:
        raise _BadRequest(grpc.StatusCode.INVALID_ARGUMENT, "a request cannot start with a trailer frame")
    if flags & _COMPRESSED_FLAG:
        raise _BadRequest(grpc.StatusCode.UNIMPLEMENTED, "compressed messages are not supported")
    return payload


def _b64_chunks(body: bytes) -> list[bytes]:
    parts, start = [], 0
    for index, byte in enumerate(body):
        if byte == ord("=") and (index + 1 == len(body) or body[index + 1] != ord("=")):
            parts.append(body[start : index + 1])
            start = index + 1
    if start < len(body):
        parts.append(body[start:])
    return [p.strip() for p in parts if p.strip()]


class ArenaGrpcASGI(grpcASGI):
    """sonora's ASGI gRPC-Web server with Arena's fixes; non-gRPC paths go to ``application``."""

    def __init__(self, application: Any = None) -> None:
        super().__init__(application, enable_cors=False)  # S5
        self._by_path: dict[str, grpc.RpcMethodHandler] = {}

    def add_registered_method_handlers(self, service_name: str, handlers: dict[str, grpc.RpcMethodHandler]) -> None:
        """What generated ``add_XServicer_to_server`` calls on grpcio >= 1.64 (an O(1) lookup here)."""
        for name, handler in handlers.items():
            self._by_path[f"/{service_name}/{name}"] = handler

    def _get_rpc_handler(self, path: str) -> grpc.RpcMethodHandler | None:
        return self._by_path.get(path) or super()._get_rpc_handler(path)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            if self._application is not None:
                await self._application(scope, receive, send)
            return
        handler = self._get_rpc_handler(scope["path"])
        content_type = dict(scope.get("headers", ())).get(b"content-type", b"").decode("latin-1").lower()
        is_grpc_web = content_type.startswith("application/grpc-web")
        if handler is None and not is_grpc_web:
            if self._application is not None:
                await self._application(scope, receive, send)
            else:
                await _plain(send, 404, b"not found")
            return
        if scope["method"] != "POST":
            await _plain(send, 405, b"gRPC-Web calls are POST requests", [(b"allow", b"POST")])
            return
        await self._serve(handler, scope, receive, send)

    async def _serve(self, handler: grpc.RpcMethodHandler | None, scope: dict, receive: Any, send: Any) -> None:
        try:
            context = WebServicerContext(scope)
        except _BadRequest as bad:
            context = WebServicerContext({"headers": ()})
            context.set_code(bad.code)
            context.set_details(bad.details)
            await _Responder(send, context).finish()
            return
        responder = _Responder(send, context)
        if handler is None:
            context.set_code(grpc.StatusCode.UNIMPLEMENTED)
            context.set_details(f"unknown method {scope['path']}")
            await responder.finish()
            return
        if handler.request_streaming:
            context.set_code(grpc.StatusCode.UNIMPLEMENTED)
            context.set_details("client streaming is not supported over gRPC-Web")
            await responder.finish()
            return
        call = asyncio.current_task()
        disconnected = asyncio.Event()
        watcher: asyncio.Task | None = None
        try:
            async with asyncio.timeout(context.time_remaining()):
                body = await _read_body(receive)
                watcher = asyncio.create_task(_watch_disconnect(receive, call, disconnected))
                try:
                    request = handler.request_deserializer(_request_payload(body, context))
                except DecodeError:
                    raise _BadRequest(grpc.StatusCode.INVALID_ARGUMENT, "malformed request message") from None
                if handler.response_streaming:
                    await self._stream(handler, request, context, responder)
                else:
                    response = await handler.unary_unary(request, context)
                    code, _ = context.status()
                    if code == grpc.StatusCode.OK and response is not None:
                        await responder.unary(handler.response_serializer(response))
        except _Aborted:
            pass  # the status is on the context
        except _BadRequest as bad:
            context.set_code(bad.code)
            context.set_details(bad.details)
        except TimeoutError:
            context.set_code(grpc.StatusCode.DEADLINE_EXCEEDED)
            context.set_details("deadline exceeded")
        except asyncio.CancelledError:
            if not disconnected.is_set():
                raise  # the server is stopping: let uvicorn finish the cancellation
            context._cancelled = True
            return  # the client went away: nobody to answer
        except Exception:  # S2
            log.exception("unhandled exception in a gRPC-Web call", method=scope["path"])
            context.set_code(grpc.StatusCode.INTERNAL)
            context.set_details("internal error")
        finally:
            context._done = True
            if watcher is not None:
                watcher.cancel()
        if context.status()[0] == grpc.StatusCode.OK and not responder.started and not handler.response_streaming:
            context.set_code(grpc.StatusCode.INTERNAL)
            context.set_details("the method returned no response")
        await responder.finish()  # S3: a trailer frame once started, trailers-only before

    async def _stream(
        self, handler: grpc.RpcMethodHandler, request: Any, context: WebServicerContext, responder: _Responder
    ) -> None:
        messages = handler.unary_stream(request, context)
        try:
            async for message in messages:
                await responder.message(handler.response_serializer(message))
        finally:
            await messages.aclose()  # the servicer's `finally` runs now, not at garbage collection


async def _watch_disconnect(receive: Any, call: asyncio.Task | None, disconnected: asyncio.Event) -> None:
    """Cancels the call when the client disconnects (uvicorn reports it once the body was read)."""
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            disconnected.set()
            if call is not None:
                call.cancel()
            return


async def _plain(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class WebChannel(sonora.aio.WebChannel):
    """sonora's asyncio gRPC-Web client, accepting what generated stubs pass (S9)."""

    def unary_unary(self, path, request_serializer=None, response_deserializer=None, _registered_method=False):
        return super().unary_unary(path, request_serializer, response_deserializer)

    def unary_stream(self, path, request_serializer=None, response_deserializer=None, _registered_method=False):
        return super().unary_stream(path, request_serializer, response_deserializer)


class SyncWebChannel(sonora.client.WebChannel):
    """sonora's blocking gRPC-Web client, accepting what generated stubs pass (S9)."""

    def unary_unary(self, path, request_serializer=None, response_deserializer=None, _registered_method=False):
        return super().unary_unary(path, request_serializer, response_deserializer)

    def unary_stream(self, path, request_serializer=None, response_deserializer=None, _registered_method=False):
        return super().unary_stream(path, request_serializer, response_deserializer)
