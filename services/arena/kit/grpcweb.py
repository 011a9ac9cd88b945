"""gRPC-Web for Arena's servicers: sonora 0.2.3, made correct for current grpcio and uvicorn.

No fork: ``ArenaGrpcASGI`` subclasses sonora's ``grpcASGI`` (keeping its handler registry and
fallback routing) and ``WebServicerContext`` subclasses its ``ServicerContext``; the overridden
methods say which defect they fix (S1-S9, see the research notes on the edge). This is the
server side only; the tests' gRPC-Web client fixes live in ``tests/support/grpcweb_client.py``.

The wire format (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md): a response is
HTTP 200 with message frames (flag 0x00) and one trailer frame (flag 0x80, ``key: value\\r\\n``
lines, str keys), or, when the call fails before its response started (its first message, or a
stream's initial metadata), *trailers-only*: the status and the trailing metadata in the HTTP
headers and an empty body. ``-bin`` metadata values are
base64 in headers and trailers; ``grpc-message`` is percent-encoded. Text mode
(``application/grpc-web-text``) is the same, base64-encoded both ways.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import re
import struct
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeAlias
from urllib.parse import quote

import grpc
import structlog
from sonora import protocol
from sonora.asgi import ServicerContext, grpcASGI

log = structlog.get_logger(__name__)

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Metadata = Iterable[tuple[str, str | bytes]]

MAX_REQUEST_BYTES = 8 * 1024 * 1024  # as grpc.max_receive_message_length on the native server
_FRAME = struct.Struct(">BI")
_TRAILERS, _COMPRESSED = 0x80, 0x01
_CONTENT_TYPES = frozenset(f"application/grpc-web{t}{p}" for t in ("", "-text") for p in ("", "+proto"))
_GRPC_PATH = re.compile(r"/[A-Za-z_][\w.]*\.[A-Za-z_]\w*/[A-Za-z_]\w*")
_B64_CHUNKS = re.compile(rb"[^=]+=*")  # text-mode bodies may be several padded base64 chunks
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e]")
_MESSAGE_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")  # grpc-message encoding
_CODES = {code.value[0]: code for code in grpc.StatusCode}


class _Abort(grpc.aio.AbortError, grpc.RpcError):
    """Raised by ``abort()``; the status is on the context. Both bases, so code written for
    grpc.aio (``AbortError``) or for sonora (``RpcError``) recognises it."""


class _Reject(Exception):
    """A request this layer refuses (bad framing, bad header...): not a bug, so not logged."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code, self.details = code, details


def _b64decode(value: bytes) -> bytes:
    return base64.b64decode(value + b"=" * (-len(value) % 4), validate=True)


def _encode_metadata(metadata: Metadata) -> list[tuple[str, str]]:
    """gRPC-Web header/trailer fields: ``-bin`` values base64, others printable ASCII only
    (a stray CR/LF would otherwise break the trailer frame or make uvicorn refuse the headers)."""
    fields = []
    for key, value in metadata:
        key = key.lower()
        if key.endswith("-bin"):
            fields.append((key, base64.b64encode(value.encode() if isinstance(value, str) else value).decode()))
        else:
            text = value if isinstance(value, str) else value.decode("latin-1")
            fields.append((key, _NOT_PRINTABLE.sub("?", text)))
    return fields


Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # the stubs are generic, grpc itself is not


def _header(scope: dict[str, Any], name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == name), "")


class WebServicerContext(ServicerContext):  # type: ignore[misc]  # sonora is untyped
    """grpc.aio's ``ServicerContext`` API for one gRPC-Web call (S4).

    sonora's ``__init__`` is deliberately not called: it stores ``code``/``details`` as attributes,
    which would hide grpc.aio's ``code()``/``details()`` methods (S4), raises ValueError when the
    Host header is missing (S6), and copies the response content-type from Accept (S7).
    """

    transport = "grpc-web"

    def __init__(self, scope: dict[str, Any]) -> None:
        self._code: grpc.StatusCode | None = None
        self._details = ""
        self._deadline: float | None = None
        self._initial_metadata: list[tuple[str, str]] = []
        self._trailing_metadata: tuple[tuple[str, str | bytes], ...] = ()
        self._headers_sent = self._ended = self._done = self._cancelled = False
        self._send_headers: Callable[[], Awaitable[None]] | None = None  # set while a stream runs
        self._rejected: _Reject | None = None  # a malformed header, reported once the call starts
        metadata: list[tuple[str, str | bytes]] = []
        for raw_key, raw_value in scope["headers"]:
            key = raw_key.decode("latin-1").lower()
            try:
                if key == "grpc-timeout":
                    self._deadline = time.monotonic() + protocol.parse_timeout(raw_value)
                elif key.endswith("-bin"):  # several values may arrive comma-joined
                    metadata.extend((key, _b64decode(part.strip())) for part in raw_value.split(b","))
                else:
                    metadata.append((key, raw_value.decode("latin-1")))
            except (KeyError, ValueError):  # binascii.Error is a ValueError
                self._rejected = _Reject(grpc.StatusCode.INVALID_ARGUMENT, f"malformed {key} header")
        self._invocation_metadata = tuple(metadata)
        # S7: the response mirrors the request's content-type; text mode by prefix, not equality.
        content_type = _header(scope, b"content-type").split(";")[0].strip().lower()
        self.text_mode = content_type.startswith("application/grpc-web-text")
        default = "application/grpc-web-text+proto" if self.text_mode else "application/grpc-web+proto"
        self.content_type = content_type if content_type in _CONTENT_TYPES else default
        self.method: str = scope["path"]
        host, port = (scope.get("client") or ("", 0))[:2]
        self._peer = (f"ipv6:[{host}]:{port}" if ":" in host else f"ipv4:{host}:{port}") if host else "unknown"

    # -- grpc.aio's API (sonora's raised NotImplementedError, or stored attributes) -------------

    def set_code(self, code: grpc.StatusCode | int) -> None:
        self._code = code if isinstance(code, grpc.StatusCode) else _CODES.get(int(code), grpc.StatusCode.UNKNOWN)

    def set_details(self, details: str) -> None:
        self._details = details

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def details(self) -> str:
        return self._details

    async def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata: Metadata = ()) -> None:
        """As grpc.aio's: sonora's dropped ``trailing_metadata`` (so error details were lost)."""
        if code == grpc.StatusCode.OK:
            raise ValueError("abort() needs an error status")
        self.set_code(code)
        self.set_details(details)
        if trailing_metadata:
            self.set_trailing_metadata(trailing_metadata)
        raise _Abort()

    async def abort_with_status(self, status: grpc.Status) -> None:
        await self.abort(status.code, status.details, status.trailing_metadata)

    async def send_initial_metadata(self, initial_metadata: Metadata) -> None:
        """As grpc.aio's: in a server stream the headers go out now (a stream may wait long for
        its first message); a unary answer sends them with the message."""
        if self._headers_sent:
            raise grpc.aio.UsageError("initial metadata was already sent")
        self._initial_metadata.extend(_encode_metadata(initial_metadata))
        if self._send_headers is not None:
            await self._send_headers()

    def set_trailing_metadata(self, trailing_metadata: Metadata) -> None:
        self._trailing_metadata = tuple(trailing_metadata)  # sonora kept a one-shot generator

    def trailing_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        return self._trailing_metadata

    def peer(self) -> str:
        return self._peer

    def auth_context(self) -> dict[str, list[bytes]]:
        return {}

    def cancelled(self) -> bool:
        return self._cancelled

    def done(self) -> bool:
        return self._done

    def is_active(self) -> bool:
        return not (self._done or self._cancelled)

    # -- what the server writes ----------------------------------------------------------------

    def _headers(self) -> list[tuple[bytes, bytes]]:
        fields = [("content-type", self.content_type), *self._initial_metadata]
        return [(k.encode(), v.encode()) for k, v in fields]

    def _status_fields(self) -> list[tuple[str, str]]:
        fields = [("grpc-status", str((self._code or grpc.StatusCode.OK).value[0]))]
        if self._details:
            fields.append(("grpc-message", quote(self._details, safe=_MESSAGE_SAFE)))
        return fields + _encode_metadata(self._trailing_metadata)

    def _frame(self, flags: int, payload: bytes) -> bytes:
        frame = _FRAME.pack(flags, len(payload)) + payload
        return base64.b64encode(frame) if self.text_mode else frame


class ArenaGrpcASGI(grpcASGI):  # type: ignore[misc]  # sonora is untyped
    """sonora's gRPC-Web ASGI app with Arena's fixes; other paths go to ``application``."""

    def __init__(self, application: Callable[..., Awaitable[None]] | None = None) -> None:
        super().__init__(application, enable_cors=False)  # S5: sonora's CORS is broken; Envoy does CORS
        self._registered: dict[str, Handler] = {}

    def add_registered_method_handlers(self, service_name: str, method_handlers: dict[str, Any]) -> None:
        """Called by generated ``add_XServicer_to_server`` (grpcio >= 1.64) besides the generic
        handler: looked up first, by path, so the generic handlers are not scanned for them."""
        self._registered.update({f"/{service_name}/{name}": h for name, h in method_handlers.items()})

    def _get_rpc_handler(self, path: str) -> Handler | None:
        return self._registered.get(path) or super()._get_rpc_handler(path)

    def _create_context(self, scope: dict[str, Any]) -> WebServicerContext:
        return WebServicerContext(scope)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        # Replaces sonora's: it assigned ``context.code`` on a deadline (hiding the method, S4),
        # sent a second response start when that happened mid-stream (S3), answered OPTIONS with
        # a broken CORS preflight (S5) and sent unknown gRPC methods to the fallback app.
        if scope["type"] == "http":
            handler = self._get_rpc_handler(scope["path"])
            content_type = _header(scope, b"content-type").lower()
            grpc_web = content_type.startswith("application/grpc-web")
            if handler is not None or (grpc_web and _GRPC_PATH.fullmatch(scope["path"])):
                if scope["method"] != "POST":
                    await _plain(send, 405, b"gRPC-Web calls are POST requests\n", (b"allow", b"POST"))
                elif not grpc_web:
                    await _plain(send, 415, b"expected an application/grpc-web content-type\n")
                else:
                    await self._do_grpc_request(handler, self._create_context(scope), receive, send)
                return
        if self._application is not None:
            await self._application(scope, receive, send)
        elif scope["type"] == "http":
            await _plain(send, 404, b"not found\n")

    async def _do_grpc_request(
        self,
        rpc_method: Handler | None,
        context: WebServicerContext,
        receive: Receive,
        send: Send,
    ) -> None:
        """One call, always ending with a status: trailers-only before the response started, a
        trailer frame after (S3). Whatever the servicer raises becomes a status, never a 500 (S2)."""
        task = asyncio.current_task()
        assert task is not None  # an ASGI app always runs in a task
        watcher: asyncio.Task[None] | None = None
        try:
            async with asyncio.timeout(context.time_remaining()) as deadline:
                if context._rejected is not None:
                    raise context._rejected
                if rpc_method is None:
                    raise _Reject(grpc.StatusCode.UNIMPLEMENTED, f"method {context.method} not found")
                if rpc_method.request_streaming:  # gRPC-Web clients cannot stream requests
                    raise _Reject(grpc.StatusCode.UNIMPLEMENTED, "client streaming is not supported over gRPC-Web")
                request = await _read_request(rpc_method, context, receive)
                watcher = asyncio.create_task(_watch_disconnect(receive, context, task))
                if rpc_method.response_streaming:
                    await self._do_streaming_response(rpc_method, request, context, send)
                else:
                    await self._do_unary_response(rpc_method, request, context, send)
        except asyncio.CancelledError:
            if not context._cancelled:
                raise  # the server is stopping: let uvicorn cancel the call
            task.uncancel()
            return  # the client went away: nobody is left to answer
        except Exception as error:
            _record_failure(error, context, deadline.expired())
        finally:
            context._done = True
            if watcher is not None:
                watcher.cancel()
        await self._send_status(send, context)

    async def _do_unary_response(
        self, rpc_method: Handler, request: Any, context: WebServicerContext, send: Send
    ) -> None:
        assert rpc_method.unary_unary is not None
        response = await rpc_method.unary_unary(request, context)
        if context._code not in (None, grpc.StatusCode.OK):
            return  # W2: set_code() without abort: trailers-only with that status, response dropped
        if response is None:
            raise TypeError(f"{context.method} returned None")
        payload = response if rpc_method.response_serializer is None else rpc_method.response_serializer(response)
        trailer = protocol.pack_trailers(context._status_fields())  # S1: str keys, `grpc-status: 0`
        frames = _FRAME.pack(0, len(payload)) + payload + _FRAME.pack(_TRAILERS, len(trailer)) + trailer
        body = base64.b64encode(frames) if context.text_mode else frames
        context._headers_sent = context._ended = True
        headers = [*context._headers(), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _do_streaming_response(
        self, rpc_method: Handler, request: Any, context: WebServicerContext, send: Send
    ) -> None:
        serialize = rpc_method.response_serializer or bytes
        assert rpc_method.unary_stream is not None
        messages: Any = rpc_method.unary_stream(request, context)
        if inspect.iscoroutine(messages):  # a grpc.aio handler writing with context.write()
            messages.close()
            raise TypeError(f"{context.method}: server-streaming handlers must be async generators")

        async def send_headers() -> None:
            if not context._headers_sent:
                context._headers_sent = True
                await send({"type": "http.response.start", "status": 200, "headers": context._headers()})

        context._send_headers = send_headers  # send_initial_metadata() starts the response at once
        try:
            async for message in messages:
                body = context._frame(0, serialize(message))
                await send_headers()  # with the first message, unless send_initial_metadata() did already
                await send({"type": "http.response.body", "body": body, "more_body": True})
        finally:
            context._send_headers = None
            # sonora never closed the generator (its `finally` ran at garbage collection, if ever):
            # here it runs at once, at the end, on an error, a deadline or a client disconnect.
            await messages.aclose()

    async def _send_status(self, send: Send, context: WebServicerContext) -> None:
        if context._ended:
            return
        context._ended = True
        if context._headers_sent:  # S3: a trailer frame, not a second http.response.start
            trailer = context._frame(_TRAILERS, protocol.pack_trailers(context._status_fields()))
            await send({"type": "http.response.body", "body": trailer, "more_body": False})
            return
        # Trailers-only: status and trailing metadata (error details, request id) in the headers.
        context._headers_sent = True
        fields = [(k.encode(), v.encode()) for k, v in context._status_fields()]
        headers = [*context._headers(), *fields, (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _record_failure(error: Exception, context: WebServicerContext, deadline_expired: bool) -> None:
    """Sets the status a failed call ends with."""
    if isinstance(error, _Reject):
        context.set_code(error.code)
        context.set_details(error.details)
    elif isinstance(error, grpc.RpcError) and context._code not in (None, grpc.StatusCode.OK):
        pass  # abort(), or sonora's convention: set_code(...) then raise RpcError
    elif deadline_expired:
        context.set_code(grpc.StatusCode.DEADLINE_EXCEEDED)
        context.set_details("deadline exceeded")
    else:  # S2: uvicorn answered 500, or cut the stream without trailers
        log.exception("gRPC-Web call failed", method=context.method, error=type(error).__name__)
        context.set_code(grpc.StatusCode.INTERNAL)
        context.set_details("internal error")


async def _read_request(rpc_method: Handler, context: WebServicerContext, receive: Receive) -> Any:
    """The request message. S8: the body is read whole (bounded) before it is unframed, so a frame
    split across receive events, or sharing one with another, parses the same; sonora took at most
    one frame per event and ignored the compressed flag."""
    body = bytearray()
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            context._cancelled = True
            raise asyncio.CancelledError()
        body += event.get("body", b"")
        if len(body) > MAX_REQUEST_BYTES:
            raise _Reject(grpc.StatusCode.RESOURCE_EXHAUSTED, f"request larger than {MAX_REQUEST_BYTES} bytes")
        if not event.get("more_body"):
            break
    if context.text_mode:
        try:
            body = bytearray(b"".join(_b64decode(chunk) for chunk in _B64_CHUNKS.findall(body)))
        except ValueError:
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT, "request body is not valid base64") from None
    payload = b""  # no frame at all: the empty message, as sonora does
    if body:
        if len(body) < _FRAME.size:
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT, "truncated gRPC-Web frame header")
        flags, length = _FRAME.unpack_from(body)
        if flags & _COMPRESSED:
            raise _Reject(grpc.StatusCode.UNIMPLEMENTED, "compressed messages are not supported")
        if flags & _TRAILERS:
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT, "a request cannot carry a trailer frame")
        if len(body) != _FRAME.size + length:
            what = "a truncated one" if len(body) < _FRAME.size + length else "more than one"
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT, f"expected one message frame, got {what}")
        payload = bytes(body[_FRAME.size :])
    if rpc_method.request_deserializer is None:
        return payload
    try:
        return rpc_method.request_deserializer(payload)
    except Exception:
        raise _Reject(grpc.StatusCode.INVALID_ARGUMENT, "request is not a valid protobuf message") from None


async def _watch_disconnect(receive: Receive, context: WebServicerContext, task: asyncio.Task[Any] | None) -> None:
    """Cancels the call when the client goes away. Once the body is read, uvicorn's receive()
    returns only at a disconnect (or after the response, which is why ``_ended`` is checked)."""
    while (await receive())["type"] != "http.disconnect":
        pass
    if not (context._ended or context._done) and task is not None:
        context._cancelled = True
        task.cancel()


async def _plain(send: Send, status: int, body: bytes, *headers: tuple[bytes, bytes]) -> None:
    length = str(len(body)).encode()
    fields = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", length), *headers]
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": body, "more_body": False})
