"""Structured logs: one JSON object per line through structlog, for Arena code and libraries alike.

Request-scoped values (request id, method, user) are bound in structlog's contextvars
by the middleware, so every line logged while serving a call carries them. Secrets
never reach the output: known secret keys are masked and JWT-shaped strings redacted.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

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


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _BEARER.sub("Bearer " + REDACTED, _JWT.sub(REDACTED, value))
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in _SECRET_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def redact_secrets(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: masks secret-named keys and JWT/bearer-shaped text in every value."""
    for key in list(event):
        if key.lower() in _SECRET_KEYS:
            event[key] = REDACTED
        else:
            event[key] = _scrub(event[key])
    return event


def configure(
    *, service: str, instance_id: str, level: str = "info", fmt: str = "json", stream: TextIO | None = None
) -> None:
    """Sets up structlog and routes the standard library's logging (grpc, uvicorn) through it."""
    stream = stream or sys.stdout
    level_number = logging.getLevelName(level.upper())

    def add_process_identity(_logger: Any, _method: str, event: MutableMapping[str, Any]):
        event.setdefault("service", service)
        event.setdefault("instance", instance_id)
        return event

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_process_identity,
        redact_secrets,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Tracebacks without local variables: locals hold requests, tokens and passwords.
            structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False))
            if fmt == "json"
            else structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level_number)
    # uvicorn's own access log would duplicate the kit's access lines.
    logging.getLogger("uvicorn.access").disabled = True
