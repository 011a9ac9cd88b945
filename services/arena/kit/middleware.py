"""One middleware chain for both transports, applied by wrapping method handlers.

grpc.aio server interceptors never see sonora's (gRPC-Web) calls, so the kit wraps
each ``grpc.RpcMethodHandler`` itself before registering it on either server. Every
call goes through, in order:

1. request id   ``x-request-id`` taken (or generated), bound into structlog's context
                and the RequestContext, sent back (trailing metadata for native gRPC unary
                calls, response headers for gRPC-Web and streams; see _echo_request_id);
2. access log   one JSON line per call: method, code, duration, user, request id;
3. metrics      started, handled by code, errors by code, duration, in flight;
4. auth         bearer JWT verified locally; the method's declared access enforced;
5. decoding     the request arrives as bytes (handlers are registered without a request
                deserializer) and is parsed here, so a body that is not a valid message is
                INVALID_ARGUMENT (MALFORMED_REQUEST) with the usual details, not a transport
                error; it is the same single parse the transport would have done;
6. validation   REQUIRED fields from ``google.api.field_behavior``;
7. errors       ArenaError → status with google.rpc details; anything unexpected →
                INTERNAL with the request id (stack trace in the log, not the reply).

Server streams send their response headers when the stream *starts*, not with their first
message (a subscription may have nothing to say for a long time): when the servicer yields
its first message, or yields ``STREAM_STARTED`` once its own checks passed, or, failing
both, ``stream_headers_within_s`` after the call began, a bound for servicers that do not
say when they start. One that does (``@announces_start``) has no such bound, so its own
checks may take as long as they take. An error raised before the start is a trailers-only
response, which Envoy turns into a proper HTTP status. Streams also end cleanly
when the process shuts down: the servicer's generator is closed and, where the response
type has a ``last`` field, a final message with ``last: true`` is sent so clients know to
reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import grpc
import structlog
from google.protobuf import descriptor, symbol_database

from arena.common.v1 import access_pb2
from arena.kit import context as request_context
from arena.kit import db_errors, errors
from arena.kit import logging as kit_logging
from arena.kit.auth import TokenVerifier, authorize
from arena.kit.metrics import Metrics
from arena.kit.status import internal_error, to_grpc_status
from arena.kit.validation import RequestValidator

if TYPE_CHECKING:
    from google.protobuf.descriptor_pb2 import MethodOptions
    from google.protobuf.internal.extension_dict import _ExtensionFieldDescriptor

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_VALID_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
_SERVER_FAULTS = frozenset({grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS})
_TRANSIENT = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})

STREAM_HEADERS_WITHIN_S = 0.2
"""A server stream that has neither sent a message, failed, nor yielded ``STREAM_STARTED`` by
then gets its response headers anyway: clients see at once that the call is under way."""

log = structlog.get_logger("arena.rpc")


class _StreamStarted:
    __slots__ = ()

    def __repr__(self) -> str:
        return "STREAM_STARTED"


STREAM_STARTED: Any = _StreamStarted()
"""Yielded by a server-streaming servicer once its checks have passed (the caller may watch,
the resource exists): the kit sends the response headers now. Not a message: never sent."""

_ANNOUNCES_START = "arena_announces_start"


_Method = TypeVar("_Method", bound=Callable[..., Any])


def announces_start(method: _Method) -> _Method:
    """Marks a server-streaming servicer method that yields its first message, or
    ``STREAM_STARTED``, as soon as its own checks have passed. The kit then sends the headers
    at that moment only, never after ``STREAM_HEADERS_WITHIN_S``: an error from those checks
    is always a plain status (an HTTP 404 through Envoy), however slow the check under load."""
    setattr(method, _ANNOUNCES_START, True)
    return method


class _Parked:
    """A stream relay; ``waiting`` while it awaits the servicer's next message (nothing of grpc's under way),
    the only moment shutdown may interrupt it by cancelling its task."""

    __slots__ = ("interrupted", "task", "waiting")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.waiting = False
        self.interrupted = False


class Lifecycle:
    """Shutdown state shared by the server and every wrapped handler."""

    def __init__(self) -> None:
        self.draining = False
        self._closing_streams: asyncio.Future[None] | None = None
        self.relays: set[_Parked] = set()
        """Streams past their headers: closing interrupts the ones waiting for a message."""

    def closing_streams(self) -> asyncio.Future[None]:
        if self._closing_streams is None:
            self._closing_streams = asyncio.get_running_loop().create_future()
        return self._closing_streams

    def start_draining(self) -> None:
        """New calls are refused with UNAVAILABLE from now on."""
        self.draining = True

    def close_streams(self) -> None:
        """Open server streams end (cleanly) now."""
        waiter = self.closing_streams()
        if not waiter.done():
            waiter.set_result(None)
        for relay in list(self.relays):
            if relay.waiting and not relay.interrupted:
                relay.interrupted = True
                relay.task.cancel()


@dataclasses.dataclass(frozen=True)
class MethodInfo:
    """What the chain needs to know about one method, computed once at registration."""

    path: str
    access: int
    server_streaming: bool
    request_type: str
    validator: RequestValidator | None
    final_message: bytes | None
    """Serialized ``{last: true}`` response for closing a stream on shutdown, if the type has ``last``."""

    @classmethod
    def from_descriptor(cls, method: descriptor.MethodDescriptor) -> MethodInfo:
        validator = RequestValidator(method.input_type)
        final_message = None
        if method.server_streaming and "last" in method.output_type.fields_by_name:
            response_class = symbol_database.Default().GetSymbol(method.output_type.full_name)
            final_message = response_class(last=True).SerializeToString()
        options = method.GetOptions()
        # The generated stub types the extension as a plain FieldDescriptor; it extends MethodOptions.
        extension = cast("_ExtensionFieldDescriptor[MethodOptions, int]", access_pb2.access)
        access = options.Extensions[extension] if options.HasExtension(extension) else 0
        return cls(
            path=f"/{method.containing_service.full_name}/{method.name}",
            access=access,
            server_streaming=method.server_streaming,
            request_type=method.input_type.full_name,
            validator=None if validator.trivial else validator,
            final_message=final_message,
        )


class _MethodMetrics:
    """A method's metric children for one transport, bound once (label lookups are not free)."""

    def __init__(self, metrics: Metrics, service: str, path: str, transport: str) -> None:
        self.started = metrics.started.labels(service, path, transport)
        self.in_flight = metrics.in_flight.labels(service, path, transport)
        self.duration = metrics.duration.labels(service, path, transport)
        self._handled = metrics.handled
        self._errors = metrics.errors
        self._labels = (service, path, transport)
        self._by_code: dict[grpc.StatusCode, tuple[Any, Any]] = {}

    def finished(self, code: grpc.StatusCode, duration_s: float) -> None:
        self.in_flight.dec()
        self.duration.observe(duration_s)
        counters = self._by_code.get(code)
        if counters is None:
            counters = self._by_code[code] = (
                self._handled.labels(*self._labels, code.name),
                self._errors.labels(*self._labels, code.name) if code is not grpc.StatusCode.OK else None,
            )
        counters[0].inc()
        if counters[1] is not None:
            counters[1].inc()


@dataclasses.dataclass
class _Call:
    """Per-call state the steps share."""

    info: MethodInfo
    transport: str
    started: float
    request: request_context.RequestContext
    metrics: _MethodMetrics
    code: grpc.StatusCode = grpc.StatusCode.OK
    messages: int = 0
    headers_sent: bool = False


def _pass_bytes(serializer: Callable[[Any], bytes] | None) -> Callable[[Any], bytes] | None:
    """Lets servicers return pre-serialized responses (cached bytes) instead of messages."""
    if serializer is None:
        return None

    def serialize(message: Any) -> bytes:
        return message if type(message) is bytes else serializer(message)

    return serialize


class Pipeline:
    """Wraps method handlers with the chain; one per process, shared by both transports."""

    def __init__(
        self,
        *,
        service: str,
        metrics: Metrics,
        verifier: TokenVerifier | None,
        lifecycle: Lifecycle,
        stream_headers_within_s: float | None = None,
    ) -> None:
        self._service = service
        self._metrics = metrics
        self._verifier = verifier
        self._lifecycle = lifecycle
        self._stream_headers_within_s = (
            STREAM_HEADERS_WITHIN_S if stream_headers_within_s is None else stream_headers_within_s
        )
        self._method_metrics: dict[tuple[str, str], _MethodMetrics] = {}

    def _metrics_for(self, path: str, transport: str) -> _MethodMetrics:
        found = self._method_metrics.get((path, transport))
        if found is None:
            found = _MethodMetrics(self._metrics, self._service, path, transport)
            self._method_metrics[(path, transport)] = found
        return found

    # -- registration -------------------------------------------------------------------

    def wrap(self, info: MethodInfo, handler: grpc.RpcMethodHandler[Any, Any]) -> grpc.RpcMethodHandler[Any, Any]:
        """The handler inside the chain, registered without a request deserializer: the
        transports hand over the raw bytes and the chain parses them (step 5)."""
        serializer = _pass_bytes(handler.response_serializer)
        parse = handler.request_deserializer
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(info, handler.unary_unary, parse), response_serializer=serializer
            )
        if handler.unary_stream is not None:
            bounded = not getattr(handler.unary_stream, _ANNOUNCES_START, False)
            return grpc.unary_stream_rpc_method_handler(
                self._stream(info, handler.unary_stream, parse, bounded), response_serializer=serializer
            )
        raise ValueError(f"{info.path}: only unary and server-streaming methods are supported")

    # -- the chain ------------------------------------------------------------------------

    def _unary(
        self, info: MethodInfo, behavior: Callable[..., Any], parse: Callable[[bytes], Any] | None
    ) -> Callable[[Any, Any], Awaitable[Any]]:
        async def handle(raw: Any, context: Any) -> Any:
            call = self._begin(info, context)
            try:
                request = await self._admit(call, raw, parse)
                response = await behavior(request, context)
                await self._echo_request_id(call, context)
                call.code = _code_of(context)
                return response
            except BaseException as exc:
                await self._fail(call, context, exc)
                raise
            finally:
                self._end(call)

        return handle

    def _stream(
        self, info: MethodInfo, behavior: Callable[..., Any], parse: Callable[[bytes], Any] | None, bounded: bool
    ) -> Callable[[Any, Any], AsyncIterator[Any]]:
        async def handle(raw: Any, context: Any) -> AsyncIterator[Any]:
            call = self._begin(info, context)
            try:
                request = await self._admit(call, raw, parse)
                async for message in self._relay(call, context, behavior(request, context), bounded):
                    if not call.headers_sent:
                        await self._send_headers(call, context)
                    call.messages += 1
                    yield message
                call.code = _code_of(context)
            except BaseException as exc:
                await self._fail(call, context, exc)
                raise
            finally:
                self._end(call)

        return handle

    async def _relay(
        self, call: _Call, context: Any, messages: AsyncIterator[Any], bounded: bool
    ) -> AsyncIterator[Any]:
        """The servicer's messages until it finishes or the process starts shutting down.

        Until the headers are out, each wait of a ``bounded`` stream is bounded by the stream's
        headers deadline: when it passes with neither a message nor an error, the headers go out
        on their own. ``STREAM_STARTED`` sends them at once and is not passed on.
        """
        closing = self._lifecycle.closing_streams()
        headers_due = call.started + self._stream_headers_within_s if bounded else None
        pending: asyncio.Future[Any] | None = None
        try:
            while not closing.done() and headers_due is not None and not call.headers_sent:
                pending = asyncio.ensure_future(anext(messages))
                waiting = (pending, closing)
                if headers_due is not None and not call.headers_sent:
                    timeout_s = max(0.0, headers_due - time.perf_counter())
                    await asyncio.wait(waiting, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
                    if not pending.done() and not closing.done():
                        await self._send_headers(call, context)  # under way, nothing failed: say so
                if not pending.done():
                    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if not pending.done():
                    break
                done, pending = pending, None
                try:
                    message = done.result()
                except StopAsyncIteration:
                    return
                if message is STREAM_STARTED:
                    if not call.headers_sent:
                        await self._send_headers(call, context)
                    continue
                yield message
            # Headers are out (or not bounded): from here a message costs one await, not a task and a wait
            # on the shared closing future per message (a board fanned out to 1,000 streams paid both each time);
            # closing the streams cancels the relays waiting for a message (``Lifecycle.close_streams``).
            async with contextlib.aclosing(self._parked(messages, closing)) as parked:
                async for message in parked:
                    if message is STREAM_STARTED:
                        if not call.headers_sent:
                            await self._send_headers(call, context)
                        continue
                    yield message
            if closing.done() and call.info.final_message is not None:  # ended by shutdown, not by the servicer
                yield call.info.final_message
        finally:
            # The generator cannot be closed while a step of it still runs: stop that step first.
            if pending is not None and not pending.done():
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending
            # Runs the servicer's `finally` now, also when the client went away.
            aclose = getattr(messages, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _parked(self, messages: AsyncIterator[Any], closing: asyncio.Future[None]) -> AsyncGenerator[Any, None]:
        """The servicer's messages until it finishes or the streams close; closing interrupts only a wait for
        the next message (the servicer sees a cancellation there and ends)."""
        task = asyncio.current_task()
        assert task is not None
        relay = _Parked(task)
        self._lifecycle.relays.add(relay)
        try:
            while not closing.done():
                relay.waiting = True
                try:
                    message = await anext(messages)
                except StopAsyncIteration:
                    return
                except asyncio.CancelledError:
                    if relay.interrupted:  # our own cancel: the stream ends cleanly
                        task.uncancel()
                        return
                    raise
                finally:
                    relay.waiting = False
                yield message
        finally:
            self._lifecycle.relays.discard(relay)

    # -- steps ----------------------------------------------------------------------------

    @staticmethod
    async def _send_headers(call: _Call, context: Any) -> None:
        """A stream's response headers, with the request id, sent now (once)."""
        call.headers_sent = True
        await context.send_initial_metadata(((REQUEST_ID_HEADER, call.request.request_id),))

    @staticmethod
    async def _echo_request_id(call: _Call, context: Any) -> None:
        """Returns the request id with a unary answer.

        grpc.aio sends custom initial metadata in a batch of its own (about 40% of a small
        call's cost), while trailing metadata rides along with the answer: native gRPC callers
        read the id from the trailers. gRPC-Web answers carry it as a response header, which is
        free there; through Envoy every caller also gets it as the x-request-id response header.
        """
        if call.transport == "grpc":
            context.set_trailing_metadata(((REQUEST_ID_HEADER, call.request.request_id),))
        else:
            await context.send_initial_metadata(((REQUEST_ID_HEADER, call.request.request_id),))

    def _begin(self, info: MethodInfo, context: Any) -> _Call:
        request_id = traceparent = authorization = forwarded_for = None
        for key, value in context.invocation_metadata() or ():
            if key == REQUEST_ID_HEADER:
                request_id = value
            elif key == "authorization":
                authorization = value
            elif key == "traceparent":
                traceparent = value
            elif key == "x-forwarded-for":
                forwarded_for = value
        if not isinstance(request_id, str) or not _VALID_REQUEST_ID.match(request_id):
            request_id = None
        if not isinstance(traceparent, str) or not _VALID_TRACEPARENT.match(traceparent):
            traceparent = None
        if request_id is None or traceparent is None:
            random = os.urandom(40).hex()  # one system call for both ids
            request_id = request_id or random[:32]
            traceparent = traceparent or f"00-{random[32:64]}-{random[64:80]}-01"
        remaining = context.time_remaining()
        transport = getattr(context, "transport", "grpc")
        request = request_context.RequestContext(
            request_id=request_id,
            method=info.path,
            transport=transport,
            traceparent=traceparent,
            authorization=authorization if isinstance(authorization, str) else None,
            deadline=None if remaining is None else time.monotonic() + remaining,
            forwarded_for=forwarded_for if isinstance(forwarded_for, str) else None,
            peer=context.peer,
        )
        request_context.set_current(request)
        structlog.contextvars.bind_contextvars(request_id=request_id, rpc=info.path)
        metrics = self._metrics_for(info.path, transport)
        metrics.started.inc()
        metrics.in_flight.inc()
        return _Call(info=info, transport=transport, started=time.perf_counter(), request=request, metrics=metrics)

    async def _admit(self, call: _Call, raw: Any, parse: Callable[[bytes], Any] | None) -> Any:
        """Refuses the call (draining, credentials, access, malformed or invalid request) or
        returns the parsed request."""
        if self._lifecycle.draining:
            raise errors.Unavailable("this instance is shutting down; retry", reason="SHUTTING_DOWN")
        authorization = call.request.authorization
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise errors.Unauthenticated("authorization must be `Bearer <token>`", reason="TOKEN_INVALID")
            if self._verifier is None:
                raise errors.Unauthenticated("this service cannot verify tokens", reason="TOKEN_INVALID")
            call.request.identity = await self._verifier.verify(token.strip())
            structlog.contextvars.bind_contextvars(user_id=call.request.identity.user_id)
        authorize(call.info.access, call.request.identity)
        request = raw
        if parse is not None and type(raw) is bytes:  # a message already (in-process callers) passes
            try:
                request = parse(raw)
            except Exception:  # DecodeError, or whatever a deserializer raises on bad input
                raise errors.InvalidArgument(
                    f"the request body is not a valid {call.info.request_type} message (over REST: a JSON"
                    " value of the wrong type, such as an object where a string is expected)",
                    reason="MALFORMED_REQUEST",
                ) from None
        if call.info.validator is not None:
            call.info.validator.validate(request)
        return request

    async def _fail(self, call: _Call, context: Any, exc: BaseException) -> None:
        """Maps an exception to a status and aborts the call with it (or records what happened)."""
        if isinstance(exc, asyncio.CancelledError | GeneratorExit):
            call.code = grpc.StatusCode.CANCELLED
            return
        if isinstance(exc, grpc.aio.AbortError) or (
            isinstance(exc, grpc.RpcError) and not isinstance(exc, grpc.aio.AioRpcError)
        ):
            call.code = _code_of(context)  # the servicer aborted by itself
            return
        if isinstance(exc, grpc.aio.AioRpcError):
            error: errors.ArenaError = errors.UpstreamError(exc.code(), exc.details() or "upstream call failed")
        elif isinstance(exc, errors.ArenaError):
            error = exc
        elif isinstance(exc, NotImplementedError):
            error = errors.Unimplemented("this method is not implemented yet")
        elif db_errors.is_unreachable(exc):
            # Retryable, and nothing was lost: whatever this call wrote is in the same failed transaction.
            log.warning("database unreachable", error=str(exc).splitlines()[0][:200])
            error = errors.Unavailable(
                "the database is unavailable right now; retry shortly", retry_after_s=1.0, reason="DATABASE_UNAVAILABLE"
            )
        else:
            log.error("unexpected exception", exc_info=exc)
            error = internal_error(call.request.request_id)
        status = to_grpc_status(error, call.request.request_id)
        call.code = status.code
        trailing = (*status.trailing_metadata, (REQUEST_ID_HEADER, call.request.request_id))
        await context.abort(status.code, status.details, trailing)

    def _end(self, call: _Call) -> None:
        duration_s = time.perf_counter() - call.started
        call.metrics.finished(call.code, duration_s)
        identity = call.request.identity
        fields = {
            "code": call.code.name,
            "duration_ms": round(duration_s * 1000, 3),
            "transport": call.transport,
            "user_id": identity.user_id if identity else None,
        }
        if call.info.server_streaming:
            fields["messages"] = call.messages
        if call.code in _SERVER_FAULTS:
            kit_logging.access("error", fields)
        elif call.code in _TRANSIENT:
            kit_logging.access("warning", fields)
        else:
            kit_logging.access("info", fields)
        structlog.contextvars.unbind_contextvars("request_id", "rpc", "user_id")
        request_context.set_current(None)


def _code_of(context: Any) -> grpc.StatusCode:
    """The status the servicer set on the context (OK when it set none)."""
    code = context.code()
    if code is None:
        return grpc.StatusCode.OK
    if isinstance(code, grpc.StatusCode):
        return code
    for candidate in grpc.StatusCode:  # grpc.aio reports an int in some versions
        if candidate.value[0] == code:
            return candidate
    return grpc.StatusCode.UNKNOWN
