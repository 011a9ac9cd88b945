"""Structured logs: one JSON object per line through structlog, for Arena code and libraries alike.

Request-scoped values (request id, method, user) are bound in structlog's contextvars by the
middleware, so every line logged while serving a call carries them. Secrets never reach the
output: known secret keys are masked and JWT- or bearer-shaped text is redacted.

Arena's own loggers take structlog's fast path (native bound loggers rendering with orjson
straight to bytes; the access log line is on every call's path). Records from libraries
(grpc, uvicorn, SQLAlchemy, Alembic) arrive through the standard library and are rendered by
the same processors into the same stream.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import MutableMapping
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
        if key.lower() in _SECRET_KEYS:
            event[key] = REDACTED
        elif not isinstance(value, int | float | bool | None):
            event[key] = _scrub(value)
    return event


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
