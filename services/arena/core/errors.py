"""One error tree for the whole platform, free of any transport.

Domain and application code raise these; the kit's middleware maps each class to a gRPC
status code with ``google.rpc`` details, once, at the boundary (``arena.kit.status``).
``reason`` is the name of an ``arena.common.v1.ErrorReason`` value without its
``ERROR_REASON_`` prefix: stable, machine-readable, the same over every protocol.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence


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
    """Base of every error the platform reports to callers (reported as INTERNAL unless a subclass says)."""

    default_reason: str = "INTERNAL"

    def __init__(self, message: str, *, reason: str | None = None, metadata: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata = dict(metadata or {})


class InvalidArgument(ArenaError):
    """The request is malformed; ``violations`` say which fields and why."""

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


class OutOfRange(InvalidArgument):
    """A position past the end of what exists (yet), such as a resume point beyond the last event."""


class NotFound(ArenaError):
    """A named resource does not exist (or the caller may not know it exists)."""

    default_reason = "RESOURCE_NOT_FOUND"

    def __init__(self, resource_type: str, resource_name: str, *, message: str | None = None):
        super().__init__(message or f"{resource_type} {resource_name!r} not found")
        self.resource_type = resource_type
        self.resource_name = resource_name


class AlreadyExists(ArenaError):
    """The resource to create exists already (a taken name, a duplicate key)."""

    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(ArenaError):
    """The request is valid, but the resource's state does not allow it now."""

    default_reason = "FAILED_PRECONDITION"


class Aborted(ArenaError):
    """A concurrent change won (an optimistic-lock conflict); re-read and try again."""

    default_reason = "ABORTED"


class Unauthenticated(ArenaError):
    """The caller did not prove who they are (no, bad or expired credentials)."""

    default_reason = "UNAUTHENTICATED"


class PermissionDenied(ArenaError):
    """The caller is known but may not do this."""

    default_reason = "ROLE_REQUIRED"


class ResourceExhausted(ArenaError):
    """A limit was hit; ``retry_after_s`` becomes a ``google.rpc.RetryInfo``."""

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

    default_reason = "UPSTREAM_UNAVAILABLE"

    def __init__(self, message: str, *, retry_after_s: float | None = None, reason: str | None = None):
        super().__init__(message, reason=reason)
        self.retry_after_s = retry_after_s


class DeadlineExceeded(ArenaError):
    """The call's deadline passed before the work (or an upstream call) finished."""

    default_reason = "DEADLINE_EXCEEDED"


class Unimplemented(ArenaError):
    """The method exists in the contract but is not built yet."""

    default_reason = "NOT_IMPLEMENTED"


class Internal(ArenaError):
    """A bug or broken invariant; callers see only the request id."""

    default_reason = "INTERNAL"
