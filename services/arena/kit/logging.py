"""Structured logs: one JSON object per line through structlog, for Arena code and libraries alike.

Request-scoped values (request id, method, user) are bound in structlog's contextvars by the
middleware, so every line logged while serving a call carries them. Secrets never reach the
output: known secret keys are masked and JWT- or bearer-shaped text is redacted.

Arena's own loggers take structlog's fast path (native bound loggers rendering with orjson
straight to bytes). The access line, on every call's path, takes a shorter one still
(``access``): the same JSON object as a structlog line, built and redacted in one function
rather than through the processor chain. Records from libraries
(grpc, uvicorn, SQLAlchemy, Alembic) arrive through the standard library and are rendered by
the same processors into the same stream.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, MutableMapping
from typing import Any, Protocol, TextIO

import orjson
import structlog
from structlog.tracebacks import ExceptionDictTransformer

REDACTED = "[redacted]"
_SECRET_KEYS = frozenset(
    {
        "password",
        "old_password",
        "new_password",
        "access_token",
        "refresh_token",
        "token",
        "authorization",
        "secret",
        "private_key",
        "signing_key",
        "jwt",
    }
)
# Three base64url segments starting with a JSON header: a JWT, wherever it appears.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)bearer\s+\S+")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


_SECRET_KEY_MEMO: dict[str, bool] = {}


def _is_secret_key(key: str) -> bool:
    secret = _SECRET_KEY_MEMO.get(key)
    if secret is None:
        secret = key.lower() in _SECRET_KEYS
        if len(_SECRET_KEY_MEMO) < 4096:  # log keys are a small fixed set; bound it anyway
            _SECRET_KEY_MEMO[key] = secret
    return secret


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        # Cheap substring tests first: almost no value needs the regexes.
        if "eyJ" in value:
            value = _JWT.sub(REDACTED, value)
        if "earer" in value or "EARER" in value:
            value = _BEARER.sub("Bearer " + REDACTED, value)
        return value
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in _SECRET_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def redact_secrets(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: masks secret-named keys and JWT/bearer-shaped text in every value."""
    for key, value in event.items():
        if _is_secret_key(key):
            event[key] = REDACTED
        elif type(value) is str:
            # _scrub's own substring tests, inline: almost every value is a clean string.
            if "eyJ" in value or "earer" in value or "EARER" in value:
                event[key] = _scrub(value)
        elif not isinstance(value, int | float | bool | None):
            event[key] = _scrub(value)
    return event


def _utc_now_iso() -> str:
    """What ``TimeStamper(fmt="iso", utc=True)`` writes (always with microseconds), cached per second."""
    global _stamp
    now = time.time()
    second = int(now)
    stamp = _stamp  # one read: the second and its text always belong together
    if stamp[0] != second:
        stamp = _stamp = (second, dt.datetime.fromtimestamp(second, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    return f"{stamp[1]}.{int((now - second) * 1e6):06d}Z"


_stamp: tuple[int, str] = (-1, "")


def _access_through_structlog(level: str, fields: dict[str, Any]) -> None:
    getattr(structlog.get_logger("arena.rpc"), level)("rpc", **fields)


_access: Callable[[str, dict[str, Any]], None] = _access_through_structlog


def access(level: str, fields: dict[str, Any]) -> None:
    """Writes the access line of one call (``event="rpc"``) at ``level`` ("info", "warning", "error").

    Configured for JSON, the line is the one structlog would write (the request-scoped context,
    ``fields``, level, timestamp, service and instance; secrets redacted), built without the
    processor chain; otherwise it goes through structlog.
    """
    _access(level, fields)


def _direct_access(
    writer: _LineWriter, identity: dict[str, str], level_number: int
) -> Callable[[str, dict[str, Any]], None]:
    enabled = frozenset(name for name, number in _LEVELS.items() if number >= level_number)
    get_context = structlog.contextvars.get_contextvars

    def write(level: str, fields: dict[str, Any]) -> None:
        if level not in enabled:
            return
        event = get_context()  # request id, method, user: what merge_contextvars adds
        event.update(fields)
        event["event"] = "rpc"
        event["level"] = level
        event["timestamp"] = _utc_now_iso()
        for key, value in identity.items():
            event.setdefault(key, value)
        redact_secrets(None, level, event)
        writer.msg(orjson.dumps(event))

    return write


class _ByteSink(Protocol):
    def write(self, data: bytes, /) -> object: ...
    def flush(self) -> object: ...


class _LineWriter:
    """structlog's logger: writes one rendered line (bytes) and flushes, under a lock shared with
    the standard library's handler, so lines from both never interleave."""

    def __init__(self, stream: _ByteSink, lock: threading.Lock) -> None:
        self._stream = stream
        self._lock = lock

    def msg(self, line: bytes) -> None:
        with self._lock:
            self._stream.write(line + b"\n")
            self._stream.flush()

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def configure(
    *, service: str, instance_id: str, level: str = "info", fmt: str = "json", stream: TextIO | None = None
) -> None:
    """Sets up structlog and routes the standard library's logging (grpc, uvicorn) through it."""
    stream = stream or sys.stdout
    level_number = _LEVELS[level.lower()]
    identity = {"service": service, "instance": instance_id}

    def add_process_identity(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key, value in identity.items():
            event.setdefault(key, value)
        return event

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_process_identity,
        redact_secrets,
        # Tracebacks without local variables: locals hold requests, tokens and passwords.
        structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False))
        if fmt == "json"
        else structlog.processors.format_exc_info,
    ]
    lock = threading.Lock()
    if fmt == "json":
        renderer: Any = structlog.processors.JSONRenderer(serializer=orjson.dumps)
        writer = _LineWriter(stream.buffer if hasattr(stream, "buffer") else _TextAsBytes(stream), lock)
    else:
        console = structlog.dev.ConsoleRenderer(colors=False)

        def renderer(logger: Any, method: str, event: MutableMapping[str, Any]) -> bytes:
            return console(logger, method, event).encode()

        writer = _LineWriter(_TextAsBytes(stream), lock)
    global _access
    _access = _direct_access(writer, identity, level_number) if fmt == "json" else _access_through_structlog
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level_number),
        logger_factory=lambda *args: writer,
        cache_logger_on_first_use=True,
    )

    # Library records: same processors, same stream, same lock.
    def render_stdlib(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> str:
        rendered = renderer(_logger, _method, event)
        return rendered.decode() if isinstance(rendered, bytes) else rendered

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared[:-1]],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, shared[-1], render_stdlib],
    )
    handler = _LockedHandler(stream, lock)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level_number)
    # uvicorn's own access log would duplicate the kit's access lines.
    logging.getLogger("uvicorn.access").disabled = True


class _LockedHandler(logging.StreamHandler[TextIO]):
    def __init__(self, stream: TextIO, lock: threading.Lock) -> None:
        super().__init__(stream)
        self._line_lock = lock

    def emit(self, record: logging.LogRecord) -> None:
        with self._line_lock:
            super().emit(record)


class _TextAsBytes:
    """A text stream seen as a binary one (for streams without a buffer, such as StringIO)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, data: bytes) -> None:
        self._stream.write(data.decode())

    def flush(self) -> None:
        self._stream.flush()
