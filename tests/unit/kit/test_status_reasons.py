"""An error without a reason of its own still gets a meaningful one (issue 10, item 6)."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2

from arena.kit import errors
from arena.kit.status import known_reasons, to_rpc_status


def reason(error: errors.ArenaError) -> str:
    info = error_details_pb2.ErrorInfo()
    (packed,) = [d for d in to_rpc_status(error, "r").details if d.Is(info.DESCRIPTOR)]
    packed.Unpack(info)
    return info.reason


def not_implemented() -> errors.ArenaError:
    """What the kit's middleware makes of a servicer's NotImplementedError (a placeholder service's RPCs)."""
    error = errors.ArenaError("this method is not implemented yet")
    error.code = grpc.StatusCode.UNIMPLEMENTED
    return error


def test_an_unimplemented_method_is_not_reported_as_an_internal_error():
    assert reason(not_implemented()) == "NOT_IMPLEMENTED"


def test_errors_without_a_known_reason_get_one_that_fits_their_code():
    upstream = errors.UpstreamError(grpc.StatusCode.UNAVAILABLE, "down")  # no details from the upstream
    assert reason(upstream) == "UPSTREAM_UNAVAILABLE"
    assert reason(errors.DeadlineExceeded("slow")) == "DEADLINE_EXCEEDED"
    assert reason(errors.InvalidArgument("bad", reason="NOT_A_REASON")) == "VALIDATION_FAILED"


def test_own_reasons_and_server_faults_are_kept():
    assert reason(errors.AlreadyExists("taken", reason="USERNAME_TAKEN")) == "USERNAME_TAKEN"
    assert reason(errors.Internal("bug")) == "INTERNAL"
    assert reason(errors.UpstreamError(grpc.StatusCode.UNKNOWN, "?")) == "INTERNAL"
    assert reason(errors.FailedPrecondition("x", reason="NOT_A_REASON")) == "INTERNAL"  # nothing fits better


def test_every_fallback_is_a_contract_reason():
    for code in grpc.StatusCode:
        error = errors.ArenaError("x")
        error.code = code
        assert reason(error) in known_reasons()
