"""Errors become gRPC statuses with google.rpc details."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2

from arena.common.v1 import error_reason_pb2
from arena.kit import errors
from arena.kit.status import ERROR_DOMAIN, known_reasons, to_grpc_status, to_rpc_status


def unpack(status: status_pb2.Status, kind):
    for detail in status.details:
        if detail.Is(kind.DESCRIPTOR):
            message = kind()
            detail.Unpack(message)
            return message
    return None


def test_every_reason_has_error_info_and_request_info():
    status = to_rpc_status(errors.AlreadyExists("taken", reason="USERNAME_TAKEN"), "req-1")
    assert status.code == grpc.StatusCode.ALREADY_EXISTS.value[0]
    info = unpack(status, error_details_pb2.ErrorInfo)
    assert (info.reason, info.domain) == ("USERNAME_TAKEN", ERROR_DOMAIN)
    assert unpack(status, error_details_pb2.RequestInfo).request_id == "req-1"


def test_invalid_argument_carries_field_violations():
    error = errors.InvalidArgument("bad", violations=[errors.FieldViolation("user.email", "is not valid")])
    bad_request = unpack(to_rpc_status(error, "r"), error_details_pb2.BadRequest)
    assert [(v.field, v.description) for v in bad_request.field_violations] == [("user.email", "is not valid")]


def test_not_found_names_the_resource():
    status = to_rpc_status(errors.NotFound("problem", "p9"), "r")
    info = unpack(status, error_details_pb2.ResourceInfo)
    assert (info.resource_type, info.resource_name) == ("problem", "p9")
    assert status.code == grpc.StatusCode.NOT_FOUND.value[0]


def test_throttling_says_when_to_retry():
    status = to_rpc_status(errors.ResourceExhausted("slow down", retry_after_s=1.5, reason="LOGIN_THROTTLED"), "r")
    retry = unpack(status, error_details_pb2.RetryInfo)
    assert retry.retry_delay.seconds == 1 and retry.retry_delay.nanos == 500_000_000


def test_unknown_reasons_are_reported_as_internal():
    info = unpack(
        to_rpc_status(errors.FailedPrecondition("x", reason="NOT_A_REASON"), "r"), error_details_pb2.ErrorInfo
    )
    assert info.reason == "INTERNAL"


def test_reasons_are_the_contract_enum_without_prefix():
    assert "USERNAME_TAKEN" in known_reasons()
    assert len(known_reasons()) == len(error_reason_pb2.ErrorReason.keys()) - 1


def test_grpc_status_packs_details_in_trailing_metadata():
    status = to_grpc_status(errors.NotFound("user", "u1"), "r")
    assert status.code == grpc.StatusCode.NOT_FOUND
    keys = [k for k, _ in status.trailing_metadata]
    assert "grpc-status-details-bin" in keys


def test_upstream_errors_pass_their_status_through():
    upstream = to_rpc_status(errors.NotFound("problem", "p1"), "up")
    error = errors.UpstreamError(grpc.StatusCode.NOT_FOUND, "gone", status_details=upstream.SerializeToString())
    status = to_grpc_status(error, "down")
    assert status.code == grpc.StatusCode.NOT_FOUND
    assert status.details == upstream.message
