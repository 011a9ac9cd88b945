"""Contract tests: the protos in api/ as Envoy, clients and later issues rely on them."""

from __future__ import annotations

import collections
import importlib
import pathlib

import pytest
from google.api import field_behavior_pb2
from google.protobuf import descriptor
from google.protobuf.descriptor_pb2 import MethodOptions

from arena.common.v1 import access_pb2
from arena.contract import Contract
from arena.contract.descriptor_set import field_behaviors, resolve_field_path

SERVICE_PACKAGES = (
    "common",
    "user",
    "problem",
    "execution",
    "contest",
    "analytics",
    "notification",
    "ai_analysis",
    "realtime",
)

# The server-streaming RPCs DESIGN.md names; every other RPC is unary.
STREAMING_RPCS = {
    "arena.execution.v1.ExecutionService.WatchSubmission",
    "arena.execution.v1.ExecutionService.ExecuteBatchStream",
    "arena.contest.v1.ContestService.GetLeaderboardStream",
    "arena.contest.v1.ContestService.WatchFinalReveal",
    "arena.notification.v1.NotificationService.StreamNotifications",
    "arena.ai_analysis.v1.AiAnalysisService.AnalyzeCodeStream",
    "arena.realtime.v1.RealtimeService.Subscribe",
}

# Service-to-service RPCs that must live in an internal service (DESIGN.md).
INTERNAL_RPCS = {
    "arena.problem.v1.ProblemInternalService.GetJudgeBundle",
    "arena.contest.v1.ContestInternalService.RecordSubmissionResult",
    "arena.notification.v1.NotificationInternalService.SendNotification",
    "arena.realtime.v1.RealtimeInternalService.Publish",
}


NO_SIDE_EFFECTS = MethodOptions.NO_SIDE_EFFECTS


def all_methods(contract: Contract):
    return [m for s in contract.services() for m in s.methods]


def test_every_package_of_the_design_exists(contract: Contract):
    packages = {f.package for f in contract.arena_files}
    for name in SERVICE_PACKAGES:
        assert f"arena.{name}.v1" in packages


def test_every_service_package_has_a_public_service(contract: Contract):
    public_packages = {s.package for s in contract.public_services()}
    for name in SERVICE_PACKAGES[1:]:
        assert f"arena.{name}.v1" in public_packages, name


def test_internal_rpcs_live_in_internal_services(contract: Contract):
    names = {m.full_name for s in contract.internal_services() for m in s.methods}
    assert names >= INTERNAL_RPCS


def test_every_public_method_has_exactly_one_http_rule(contract: Contract):
    problems = [
        f"{m.full_name}: {len(m.bindings)} rules"
        for s in contract.public_services()
        for m in s.methods
        if len(m.bindings) != 1
    ]
    assert not problems


def test_no_internal_method_has_an_http_rule(contract: Contract):
    exposed = [m.full_name for s in contract.internal_services() for m in s.methods if m.bindings]
    assert not exposed


def test_no_two_http_rules_collide(contract: Contract):
    seen = collections.defaultdict(list)
    for method in all_methods(contract):
        for binding in method.bindings:
            seen[binding.template_key].append(method.full_name)
    collisions = {key: names for key, names in seen.items() if len(names) > 1}
    assert not collisions


def test_http_paths_are_versioned_and_bodies_fit_the_verb(contract: Contract):
    for method in all_methods(contract):
        for binding in method.bindings:
            assert binding.path.startswith("/v1/"), method.full_name
            if binding.verb in ("GET", "DELETE"):
                assert binding.body == "", f"{method.full_name}: {binding.verb} with a body"
            else:
                assert binding.body, f"{method.full_name}: {binding.verb} without a body"


def test_path_variables_name_fields_of_the_request(contract: Contract):
    for method in all_methods(contract):
        for binding in method.bindings:
            for variable in binding.path_variables:
                field = resolve_field_path(method.input, variable)
                assert field is not None, f"{method.full_name}: {{{variable}}} is not a field"
                assert field.type == descriptor.FieldDescriptor.TYPE_STRING, f"{method.full_name}: {variable}"
                assert not field.is_repeated, f"{method.full_name}: {variable} is repeated"


def test_body_names_a_field_of_the_request(contract: Contract):
    for method in all_methods(contract):
        for binding in method.bindings:
            if binding.body not in ("", "*"):
                field = method.input.fields_by_name.get(binding.body)
                assert field is not None, f"{method.full_name}: body {binding.body!r} is not a field"
                assert field.message_type is not None, f"{method.full_name}: body must be a message"


def test_path_identifiers_are_required_or_identifiers(contract: Contract):
    """A value the URL supplies is never optional, so the kit can validate it."""
    for method in all_methods(contract):
        for binding in method.bindings:
            for variable in binding.path_variables:
                behaviors = field_behaviors(resolve_field_path(method.input, variable))
                assert behaviors & {field_behavior_pb2.REQUIRED, field_behavior_pb2.IDENTIFIER}, (
                    f"{method.full_name}: {variable}"
                )


def test_update_methods_take_an_update_mask(contract: Contract):
    for method in all_methods(contract):
        if method.bindings and method.bindings[0].verb == "PATCH":
            mask = method.input.fields_by_name.get("update_mask")
            assert mask is not None, method.full_name
            assert mask.message_type.full_name == "google.protobuf.FieldMask"


def test_list_methods_paginate(contract: Contract):
    for method in all_methods(contract):
        if method.name.startswith("List") and method.input.fields_by_name.get("page_size"):
            assert "page_token" in method.input.fields_by_name, method.full_name
            assert "next_page_token" in method.output.fields_by_name, method.full_name


def test_enum_zero_values_are_unspecified(contract: Contract):
    enums = list(contract.enums())
    assert len(enums) >= 10
    for enum in enums:
        zero = enum.values_by_number[0]
        expected = _upper_snake(enum.name) + "_UNSPECIFIED"
        assert zero.name == expected, f"{enum.full_name}: zero value {zero.name}, want {expected}"


def test_streaming_rpcs_are_server_streaming_and_the_rest_unary(contract: Contract):
    methods = {m.full_name: m for m in all_methods(contract)}
    assert set(methods) >= STREAMING_RPCS
    for name, method in methods.items():
        assert not method.client_streaming, name
        assert method.server_streaming == (name in STREAMING_RPCS), name


def test_streams_say_which_message_is_the_last(contract: Contract):
    """An NDJSON stream cannot change its 200 status, so its last message must say it is last."""
    for name in STREAMING_RPCS:
        method = next(m for m in all_methods(contract) if m.full_name == name)
        last = method.output.fields_by_name.get("last")
        assert last is not None and last.type == descriptor.FieldDescriptor.TYPE_BOOL, name


def test_times_and_durations_use_well_known_types(contract: Contract):
    for message in contract.messages():
        for field in message.fields:
            # AIP-142: a `_time` suffix means a point in time; spans are Durations named otherwise.
            if field.name.endswith("_time"):
                assert field.message_type is not None, field.full_name
                assert field.message_type.full_name == "google.protobuf.Timestamp", field.full_name
            if field.name.endswith(("_duration", "_limit", "_after", "_ttl")) or field.name == "penalty":
                assert field.message_type is not None, field.full_name
                assert field.message_type.full_name == "google.protobuf.Duration", field.full_name


def test_every_service_rpc_and_message_has_a_comment(contract: Contract):
    missing = [s.full_name for s in contract.services() if not contract.comment(s.full_name)]
    missing += [m.full_name for m in all_methods(contract) if not contract.comment(m.full_name)]
    missing += [m.full_name for m in contract.messages() if not contract.comment(m.full_name)]
    assert not missing


def test_every_field_enum_and_enum_value_has_a_comment(contract: Contract):
    missing = [f.full_name for m in contract.messages() for f in m.fields if not contract.comment(f.full_name)]
    for enum in contract.enums():
        if not contract.comment(enum.full_name):
            missing.append(enum.full_name)
        missing += [
            f"{enum.full_name}.{v.name}" for v in enum.values if not contract.comment(f"{enum.full_name}.{v.name}")
        ]
    assert not missing


def test_error_reasons_live_in_one_common_enum(contract: Contract):
    reasons = [e for e in contract.enums() if e.name == "ErrorReason"]
    assert [e.full_name for e in reasons] == ["arena.common.v1.ErrorReason"]
    assert len(reasons[0].values) > 20


def generated_modules(repo_root: pathlib.Path) -> list[str]:
    services = repo_root / "services"
    modules = sorted(
        ".".join(path.relative_to(services).with_suffix("").parts)
        for path in services.glob("arena/*/v1/*.py")
        if path.name.endswith(("_pb2.py", "_pb2_grpc.py"))
    )
    return modules


def test_every_generated_module_imports(repo_root: pathlib.Path, contract: Contract):
    modules = generated_modules(repo_root)
    # One message module and one gRPC module per proto file.
    assert len(modules) == 2 * len(contract.arena_files)
    for name in modules:
        importlib.import_module(name)


@pytest.mark.parametrize("service_suffix", ["Service"])
def test_generated_stubs_exist_for_every_service(contract: Contract, service_suffix: str):
    for service in contract.services():
        file_module = service.descriptor.file.name.removesuffix(".proto").replace("/", ".") + "_pb2_grpc"
        module = importlib.import_module(file_module)
        assert hasattr(module, f"{service.descriptor.name}Stub"), service.full_name
        assert hasattr(module, f"add_{service.descriptor.name}Servicer_to_server"), service.full_name
        assert service.descriptor.name.endswith(service_suffix)


def _upper_snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.upper())
    return "".join(out)


def test_every_method_declares_who_may_call_it(contract: Contract):
    for service in contract.services():
        for method in service.methods:
            if service.internal:
                assert method.access == access_pb2.ACCESS_INTERNAL, method.full_name
            else:
                assert method.access not in (access_pb2.ACCESS_UNSPECIFIED, access_pb2.ACCESS_INTERNAL), (
                    method.full_name
                )


def test_every_get_is_free_of_side_effects(contract: Contract):
    for method in all_methods(contract):
        if method.bindings and method.bindings[0].verb == "GET":
            assert method.descriptor.GetOptions().idempotency_level == NO_SIDE_EFFECTS, method.full_name


def test_creating_methods_are_not_retried(contract: Contract):
    """A retried create could make two resources: only declared-idempotent methods are retried."""
    for method in all_methods(contract):
        if method.name.startswith(("Create", "Login", "RefreshToken", "Publish", "Track")):
            assert not method.safe_to_retry, method.full_name
