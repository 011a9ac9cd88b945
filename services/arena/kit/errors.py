"""One error tree for the whole platform.

Domain and application code raise these; the kit's middleware turns them into gRPC
status codes with ``google.rpc`` details (see ``arena.kit.status``). Nothing here
imports protobuf, so domain modules can raise them freely. ``reason`` is the name of
an ``arena.common.v1.ErrorReason`` value without its ``ERROR_REASON_`` prefix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import grpc


@dataclasses.dataclass(frozen=True)
class FieldViolation:
    """One bad request field, reported in a ``google.rpc.BadRequest``."""

    field: str
    """Path of the field, such as ``problem.title`` or ``contest.problems[0].problem_id``."""
    description: str


@dataclasses.dataclass(frozen=True)
class QuotaViolation:
    """One exceeded limit, reported in a ``google.rpc.QuotaFailure``."""

    subject: str
    description: str


class ArenaError(Exception):
    """Base of every error the platform reports to callers."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    default_reason: str = "INTERNAL"

    def __init__(self, message: str, *, reason: str | None = None, metadata: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata = dict(metadata or {})


class InvalidArgument(ArenaError):
    """The request is malformed; ``violations`` say which fields and why."""

    code = grpc.StatusCode.INVALID_ARGUMENT
    default_reason = "VALIDATION_FAILED"

    def __init__(
        self,
        message: str,
        *,
        violations: Sequence[FieldViolation] = (),
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ):
        super().__init__(message, reason=reason, metadata=metadata)
        self.violations = tuple(violations)

    @classmethod
    def field(cls, field: str, description: str, *, reason: str | None = None) -> InvalidArgument:
        """One bad field: the message names it, the details carry the violation."""
        return cls(f"{field}: {description}", violations=[FieldViolation(field, description)], reason=reason)


class NotFound(ArenaError):
    """A named resource does not exist (or the caller may not know it exists)."""

    code = grpc.StatusCode.NOT_FOUND
    default_reason = "RESOURCE_NOT_FOUND"

    def __init__(self, resource_type: str, resource_name: str, *, message: str | None = None):
        super().__init__(message or f"{resource_type} {resource_name!r} not found")
        self.resource_type = resource_type
        self.resource_name = resource_name


class AlreadyExists(ArenaError):
    code = grpc.StatusCode.ALREADY_EXISTS
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(ArenaError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"


class Unauthenticated(ArenaError):
    code = grpc.StatusCode.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class PermissionDenied(ArenaError):
    code = grpc.StatusCode.PERMISSION_DENIED
    default_reason = "ROLE_REQUIRED"


class ResourceExhausted(ArenaError):
    """A limit was hit; ``retry_after_s`` becomes a ``google.rpc.RetryInfo``."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    default_reason = "RATE_LIMITED"

    def __init__(
        self,
        message: str,
        *,
        retry_after_s: float | None = None,
        violations: Sequence[QuotaViolation] = (),
        reason: str | None = None,
    ):
        super().__init__(message, reason=reason)
        self.retry_after_s = retry_after_s
        self.violations = tuple(violations)


class Unavailable(ArenaError):
    """A dependency (or this instance) cannot serve now; retrying later may work."""

    code = grpc.StatusCode.UNAVAILABLE
    default_reason = "UPSTREAM_UNAVAILABLE"

    def __init__(self, message: str, *, retry_after_s: float | None = None, reason: str | None = None):
        super().__init__(message, reason=reason)
        self.retry_after_s = retry_after_s


class DeadlineExceeded(ArenaError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED
    default_reason = "UPSTREAM_UNAVAILABLE"


class Internal(ArenaError):
    """A bug or broken invariant; callers see only the request id."""

    code = grpc.StatusCode.INTERNAL
    default_reason = "INTERNAL"


class UpstreamError(ArenaError):
    """A call to another Arena service failed with a non-transient status, passed on as it came.

    ``status_details`` holds the upstream's ``google.rpc.Status`` bytes, if any, so the
    caller's client sees the same reason and details the upstream reported.
    """

    def __init__(self, code: grpc.StatusCode, message: str, *, status_details: bytes | None = None):
        super().__init__(message)
        self.code = code  # instance attribute: the upstream's code, not a class default
        self.status_details = status_details
