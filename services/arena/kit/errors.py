"""The error tree as the kit sees it: the pure classes of ``arena.core.errors``, plus one transport error.

Domains import ``arena.core.errors`` directly; this module re-exports it so kit code (and
older imports) keep one name for it. ``UpstreamError`` lives here, not in the pure tree,
because it carries a gRPC status code: it only ever comes from the kit's client.
"""

from __future__ import annotations

import grpc

from arena.core.errors import (
    Aborted,
    AlreadyExists,
    ArenaError,
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    Internal,
    InvalidArgument,
    NotFound,
    OutOfRange,
    PermissionDenied,
    QuotaViolation,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
)

__all__ = [
    "Aborted",
    "AlreadyExists",
    "ArenaError",
    "DeadlineExceeded",
    "FailedPrecondition",
    "FieldViolation",
    "Internal",
    "InvalidArgument",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "QuotaViolation",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "UpstreamError",
]


class UpstreamError(ArenaError):
    """A call to another Arena service failed with a non-transient status, passed on as it came.

    ``status_details`` holds the upstream's ``google.rpc.Status`` bytes, if any, so the
    caller's client sees the same reason and details the upstream reported.
    """

    def __init__(self, code: grpc.StatusCode, message: str, *, status_details: bytes | None = None):
        super().__init__(message)
        self.code = code
        """The upstream's status code."""
        self.status_details = status_details
