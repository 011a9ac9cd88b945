"""arena.core is pure, and every class of its error tree has one gRPC code at the boundary."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import grpc
import pytest

from arena.core import errors
from arena.core.identity import Identity, Role
from arena.kit.errors import UpstreamError
from arena.kit.status import code_of, to_grpc_status

REPO_SERVICES = pathlib.Path(__file__).resolve().parents[3] / "services"
TRANSPORTS = ("grpc", "google", "jwt", "sqlalchemy", "arena.kit")


def test_the_core_and_the_domains_load_no_transport():
    """Importing them (in a fresh interpreter) pulls in no grpc, protobuf, JWT, SQL or kit module."""
    modules = ["arena.core.errors", "arena.core.identity", "arena.user.domain", "arena.problem.domain"]
    modules.append("arena.realtime.domain")
    script = (
        f"import sys; import {', '.join(modules)}; "
        f"print(sorted(m for m in sys.modules if m.startswith({TRANSPORTS!r})))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.InvalidArgument("x"), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.NotFound("user", "u1"), grpc.StatusCode.NOT_FOUND),
        (errors.AlreadyExists("x"), grpc.StatusCode.ALREADY_EXISTS),
        (errors.FailedPrecondition("x"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.Aborted("x"), grpc.StatusCode.ABORTED),
        (errors.Unauthenticated("x"), grpc.StatusCode.UNAUTHENTICATED),
        (errors.PermissionDenied("x"), grpc.StatusCode.PERMISSION_DENIED),
        (errors.ResourceExhausted("x"), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (errors.Unavailable("x"), grpc.StatusCode.UNAVAILABLE),
        (errors.DeadlineExceeded("x"), grpc.StatusCode.DEADLINE_EXCEEDED),
        (errors.Unimplemented("x"), grpc.StatusCode.UNIMPLEMENTED),
        (errors.Internal("x"), grpc.StatusCode.INTERNAL),
        (errors.ArenaError("x"), grpc.StatusCode.INTERNAL),
        (UpstreamError(grpc.StatusCode.OUT_OF_RANGE, "x"), grpc.StatusCode.OUT_OF_RANGE),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else "",
)
def test_every_error_class_maps_to_one_code(error: errors.ArenaError, code: grpc.StatusCode):
    assert code_of(error) == code
    assert to_grpc_status(error, "r").code == code


def test_subclasses_inherit_their_base_code():
    class TopicForbidden(errors.PermissionDenied):
        default_reason = "TOPIC_FORBIDDEN"

    assert code_of(TopicForbidden("no")) == grpc.StatusCode.PERMISSION_DENIED


def test_an_explicit_grpc_code_on_an_instance_still_wins():
    """The middleware's way of answering UNIMPLEMENTED: a plain ArenaError given a code."""
    error = errors.ArenaError("this method is not implemented yet")
    error.code = grpc.StatusCode.UNIMPLEMENTED  # type: ignore[attr-defined]
    assert to_grpc_status(error, "r").code == grpc.StatusCode.UNIMPLEMENTED


def test_identity_roles():
    admin = Identity("u", "u", Role.ADMIN.granted(), "t", "s", 0.0)
    user = Identity("v", "v", Role.USER.granted(), "t", "s", 0.0)
    assert admin.is_admin and admin.has_role(Role.SETTER) and admin.has_role("USER")
    assert not user.is_admin and not user.has_role(Role.SETTER)


def test_the_kit_loads_no_service():
    """Every kit module imported (in a fresh interpreter): no service package, no Consul, no ops views."""
    kit = sorted(p.stem for p in (REPO_SERVICES / "arena" / "kit").glob("*.py") if p.stem != "__init__")
    script = (
        f"import sys; import {', '.join(f'arena.kit.{m}' for m in kit)}; "
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('arena.')}))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == str(sorted({"common", "core", "kit"}))
