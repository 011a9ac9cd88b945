"""Turns errors into gRPC statuses with ``google.rpc`` details (through grpcio-status).

Every status carries an ``ErrorInfo`` (domain ``arena.dev``, a stable reason from
``arena.common.v1.ErrorReason``) and a ``RequestInfo`` with the request id, plus the
detail type that fits the error (BadRequest, ResourceInfo, RetryInfo, QuotaFailure).
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from arena.common.v1 import error_reason_pb2
from arena.kit import errors

# The one place an error class becomes a gRPC code (subclasses inherit their base's).
_CODES: dict[type[errors.ArenaError], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.Aborted: grpc.StatusCode.ABORTED,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
    errors.DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
    errors.OutOfRange: grpc.StatusCode.OUT_OF_RANGE,
    errors.Unimplemented: grpc.StatusCode.UNIMPLEMENTED,
    errors.Internal: grpc.StatusCode.INTERNAL,
}

ERROR_DOMAIN = "arena.dev"
_REASON_PREFIX = "ERROR_REASON_"
_GENERIC_REASON = "INTERNAL"
# The reason of an error raised without a reason the contract knows (or with the generic INTERNAL
# on a status that is no server fault), by its code: the 501 of a method not implemented yet is
# no "unexpected server error".
_REASON_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: "VALIDATION_FAILED",
    grpc.StatusCode.OUT_OF_RANGE: "VALIDATION_FAILED",
    grpc.StatusCode.NOT_FOUND: "RESOURCE_NOT_FOUND",
    grpc.StatusCode.UNIMPLEMENTED: "NOT_IMPLEMENTED",
    grpc.StatusCode.UNAUTHENTICATED: "UNAUTHENTICATED",
    grpc.StatusCode.PERMISSION_DENIED: "ROLE_REQUIRED",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "RATE_LIMITED",
    grpc.StatusCode.UNAVAILABLE: "UPSTREAM_UNAVAILABLE",
    grpc.StatusCode.DEADLINE_EXCEEDED: "DEADLINE_EXCEEDED",
}


def known_reasons() -> frozenset[str]:
    """Every reason the contract defines, without the enum prefix."""
    return frozenset(
        name.removeprefix(_REASON_PREFIX)
        for name in error_reason_pb2.ErrorReason.keys()  # noqa: SIM118 - an enum wrapper, not a dict
        if name != "ERROR_REASON_UNSPECIFIED"
    )


def code_of(error: errors.ArenaError) -> grpc.StatusCode:
    """The gRPC status code of an error: an upstream's own code, else its class's (INTERNAL by default).

    An instance attribute ``code`` holding a ``grpc.StatusCode`` wins (``UpstreamError``,
    and code that still sets ``error.code`` on a plain ``ArenaError``).
    """
    own = getattr(error, "code", None)
    if isinstance(own, grpc.StatusCode):
        return own
    for cls in type(error).__mro__:
        code = _CODES.get(cls)
        if code is not None:
            return code
    return grpc.StatusCode.INTERNAL


def _pack(message: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def _duration(seconds: float) -> duration_pb2.Duration:
    value = duration_pb2.Duration()
    value.FromNanoseconds(int(seconds * 1e9))
    return value


def reason_of(error: errors.ArenaError) -> str:
    """The ErrorInfo reason of an error: its own when the contract knows it, else one that fits its code."""
    if error.reason in known_reasons() and error.reason != _GENERIC_REASON:
        return error.reason
    return _REASON_BY_CODE.get(code_of(error), _GENERIC_REASON)


def to_rpc_status(error: errors.ArenaError, request_id: str) -> status_pb2.Status:
    """The ``google.rpc.Status`` describing an Arena error."""
    reason = reason_of(error)
    details = [
        error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=error.metadata),
        error_details_pb2.RequestInfo(request_id=request_id),
    ]
    if isinstance(error, errors.InvalidArgument) and error.violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                    for v in error.violations
                ]
            )
        )
    if isinstance(error, errors.NotFound):
        details.append(
            error_details_pb2.ResourceInfo(resource_type=error.resource_type, resource_name=error.resource_name)
        )
    retry_after_s = getattr(error, "retry_after_s", None)
    if retry_after_s is not None:
        details.append(error_details_pb2.RetryInfo(retry_delay=_duration(retry_after_s)))
    if isinstance(error, errors.ResourceExhausted) and error.violations:
        details.append(
            error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(subject=v.subject, description=v.description)
                    for v in error.violations
                ]
            )
        )
    return status_pb2.Status(code=code_of(error).value[0], message=error.message, details=[_pack(d) for d in details])


def to_grpc_status(error: errors.ArenaError, request_id: str) -> grpc.Status:
    """A ``grpc.Status`` (code, details, trailing metadata with the packed rpc status)."""
    if isinstance(error, errors.UpstreamError) and error.status_details:
        rpc = status_pb2.Status.FromString(error.status_details)
    else:
        rpc = to_rpc_status(error, request_id)
    status: grpc.Status = rpc_status.to_status(rpc)  # grpc_status ships no types
    return status


def internal_error(request_id: str) -> errors.Internal:
    """What callers see for an unexpected exception: no stack trace, just the request id."""
    return errors.Internal(f"internal error; quote request id {request_id} when reporting it")
