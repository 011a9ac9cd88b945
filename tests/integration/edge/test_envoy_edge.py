"""A real Envoy, configured by ``arena.edge``, in front of a tiny real gRPC server.

REST through the transcoder (E1-E8 of the research notes), native gRPC, gRPC-Web routing,
CORS, request ids and the access log, local replies in the caller's protocol.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import time
import uuid

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from arena.kit.status import known_reasons
from arena.problem.v1 import problem_service_pb2, problem_service_pb2_grpc
from arena.realtime.v1 import (
    realtime_internal_service_pb2,
    realtime_internal_service_pb2_grpc,
    realtime_service_pb2,
    realtime_service_pb2_grpc,
)
from arena.user.v1 import user_service_pb2, user_service_pb2_grpc
from integration.edge.conftest import MAX_REQUEST_BYTES, UNARY_TIMEOUT_S, Edge
from integration.edge.upstream import FORBIDDEN_TOPIC, STREAM_INTERVAL_S, STREAM_MESSAGES, Upstream

pytestmark = pytest.mark.timeout(60)

ALLOWED_ORIGIN = "http://localhost:5173"
GRPC_WEB = {"content-type": "application/grpc-web+proto", "x-grpc-web": "1"}


def grpc_web_request(message: bytes) -> bytes:
    return struct.pack(">BI", 0, len(message)) + message


def assert_json_status(response: httpx.Response, http_status: int, code: int) -> dict:
    assert response.status_code == http_status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == code and isinstance(body["message"], str) and isinstance(body["details"], list), body
    return body


# -- REST through the transcoder ----------------------------------------------------------------


def test_rest_answers_snake_case_json_with_zero_values(rest: httpx.Client):  # E1
    response = rest.get("/v1/users/42")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    user = response.json()["user"]
    assert user["display_name"] == "Ada Lovelace" and "displayName" not in user
    assert user["email"] == "" and user["bio"] == ""  # zero values printed
    assert user["role"] == "ROLE_UNSPECIFIED"  # enums by name


def test_a_servicer_error_is_a_json_status_with_its_details(rest: httpx.Client):  # E2
    body = assert_json_status(rest.get("/v1/users/7"), 404, 5)
    assert body["message"] == "user 7 not found"
    info = next(d for d in body["details"] if d["@type"].endswith("google.rpc.ErrorInfo"))
    assert info["reason"] == "USER_NOT_FOUND" and info["metadata"] == {"user_id": "7"}


def test_unknown_query_parameter_is_400_and_never_reaches_the_service(rest: httpx.Client, upstream: Upstream):  # E3
    before = upstream.calls["GetUser"]
    assert_json_status(rest.get("/v1/users/42", params={"foo": "1"}), 400, 3)
    assert upstream.calls["GetUser"] == before


def test_path_value_conflicting_with_the_body_is_400(rest: httpx.Client):  # E5
    assert_json_status(rest.patch("/v1/users/42", json={"user_id": "43", "display_name": "x"}), 400, 3)


def test_oversized_request_is_413_and_oversized_response_500(rest: httpx.Client, upstream: Upstream):  # E6
    def create(username_bytes: int) -> httpx.Response:
        return rest.post("/v1/users", json={"username": "x" * username_bytes, "email": "a@b.c", "password": "p"})

    before = upstream.calls["CreateUser"]
    assert create(MAX_REQUEST_BYTES - 200).status_code == 503  # under the limit: reaches the service
    assert upstream.calls["CreateUser"] == before + 1
    for size in (MAX_REQUEST_BYTES + 1, 2 * MAX_REQUEST_BYTES):
        assert_json_status(create(size), 413, 8)
    assert upstream.calls["CreateUser"] == before + 1
    assert_json_status(rest.get("/v1/users/huge"), 500, 13)


def test_unknown_rest_route_is_404_json(rest: httpx.Client):  # E7
    assert_json_status(rest.get("/v1/no-such-thing"), 404, 5)
    assert_json_status(rest.delete("/v1/users/42"), 404, 5)  # a path that exists, a verb that does not


def test_malformed_json_body_is_400_json(rest: httpx.Client):
    response = rest.post("/v1/users", content=b'{"username": ', headers={"content-type": "application/json"})
    assert_json_status(response, 400, 3)


def test_envoys_own_errors_carry_error_info_and_the_request_id(rest: httpx.Client):
    """Local replies (transcoder, router, buffer) have the same details as the services' errors."""
    mine = f"caller-{uuid.uuid4()}"
    cases = [
        (rest.post("/v1/users", content=b'{"username": ', headers={"content-type": "application/json"}), 400, 3),
        (rest.get("/v1/users/42", params={"foo": "1"}), 400, 3),
        (rest.get("/v1/no-such-thing"), 404, 5),
        (rest.get("/v1/no-such-thing", headers={"x-request-id": mine}), 404, 5),
        (rest.post("/v1/users", json={"username": "x" * (MAX_REQUEST_BYTES + 1)}), 413, 8),
        (rest.get("/v1/users/huge"), 500, 13),
        (rest.get("/v1/problems/p1"), 503, 14),
        # Not the route timeout (504): Envoy passes the deadline on, and the upstream's own
        # DEADLINE_EXCEEDED (no details) may come first. The renderer's test covers its mapper.
    ]
    reasons = {}
    for response, http_status, code in cases:
        body = assert_json_status(response, http_status, code)
        details = {d["@type"].rsplit("/", 1)[-1]: d for d in body["details"]}
        info = details.get("google.rpc.ErrorInfo")
        assert info and info["domain"] == "arena.dev" and info["reason"] in known_reasons(), body
        assert info["metadata"]["source"] == "edge" and info["metadata"]["response_code_details"], body
        assert details["google.rpc.RequestInfo"]["request_id"] == response.headers["x-request-id"], body
        reasons[http_status] = info["reason"]
    assert reasons == {
        400: "VALIDATION_FAILED",
        404: "RESOURCE_NOT_FOUND",
        413: "PAYLOAD_TOO_LARGE",
        500: "INTERNAL",
        503: "UPSTREAM_UNAVAILABLE",
    }
    assert cases[3][0].json()["details"][1]["request_id"] == mine  # the caller's own id, unchanged


def test_no_healthy_upstream_is_503_json_promptly(rest: httpx.Client):
    started = time.monotonic()
    body = assert_json_status(rest.get("/v1/problems/p1"), 503, 14)  # the problem cluster has no endpoints
    assert "no healthy upstream" in body["message"]
    assert time.monotonic() - started < 1.0


def test_a_slow_unary_call_is_504_at_the_route_timeout_and_the_servicer_is_cancelled(
    rest: httpx.Client, upstream: Upstream
):  # E8
    upstream.cancelled.clear()
    started = time.monotonic()
    response = rest.get("/v1/users/slow")
    elapsed = time.monotonic() - started
    assert_json_status(response, 504, 4)
    assert UNARY_TIMEOUT_S - 0.05 <= elapsed < UNARY_TIMEOUT_S + 0.5
    assert upstream.cancelled.wait(2), "the servicer's call was never cancelled"


def test_rest_server_stream_is_ndjson_and_outlives_the_unary_timeout(rest: httpx.Client):
    started = time.monotonic()
    with rest.stream("GET", "/v1/topics:subscribe", params={"topics": "contests/c1/board"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-ndjson"  # as the OpenAPI document says
        lines = [json.loads(line) for line in response.iter_lines() if line]
    elapsed = time.monotonic() - started
    assert elapsed > UNARY_TIMEOUT_S + 0.5  # the stream ran past the unary limit
    assert elapsed >= (STREAM_MESSAGES - 1) * STREAM_INTERVAL_S - 0.1
    assert [line["message"]["sequence"] for line in lines] == ["1", "2", "3", "4"]  # int64 as strings
    assert [line["last"] for line in lines] == [False, False, False, True]
    assert lines[0]["message"]["payload"] == {"index": 0}


def test_only_a_rest_streams_answer_is_labelled_ndjson(edge: Edge, rest: httpx.Client):
    """A stream's error is a JSON Status; unary answers stay JSON; native gRPC streams stay gRPC."""
    failed = rest.get("/v1/topics:subscribe", params={"topics": FORBIDDEN_TOPIC})
    assert_json_status(failed, 403, 7)
    assert rest.get("/v1/users/42").headers["content-type"] == "application/json"
    with grpc.insecure_channel(edge.grpc_target) as channel:
        stub = realtime_service_pb2_grpc.RealtimeServiceStub(channel)
        call = stub.Subscribe(realtime_service_pb2.SubscribeRequest(topics=["contests/c1/board"]), timeout=10)
        # A gRPC client refuses any answer whose content-type is not application/grpc.
        assert [m.message.sequence for m in call] == [1, 2, 3, 4]


def test_safe_methods_are_retried_on_unavailable_and_unsafe_ones_are_not(rest: httpx.Client, upstream: Upstream):
    before = dict(upstream.calls)
    assert_json_status(rest.get("/v1/users/unavailable"), 503, 14)  # GetUser: NO_SIDE_EFFECTS
    assert upstream.calls["GetUser"] - before.get("GetUser", 0) == 3  # the first try and two retries
    assert_json_status(rest.post("/v1/users", json={"username": "u", "email": "a@b.c", "password": "p"}), 503, 14)
    assert upstream.calls["CreateUser"] - before.get("CreateUser", 0) == 1


def test_ops_service_is_served_by_the_ops_cluster(edge: Edge, rest: httpx.Client):
    response = rest.get("/v1/health")
    assert response.status_code == 200 and response.json()["status"] == "SERVING_STATUS_SERVING"
    (entry,) = edge.access_log_entries(response.headers["x-request-id"])
    assert entry["upstream_cluster"] == "ops"


def test_openapi_document_is_served(edge: Edge, rest: httpx.Client):
    response = rest.get("/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.json()["paths"]["/v1/users/{user_id}"]["get"]["operationId"] == "UserService_GetUser"


# -- request ids and the access log -------------------------------------------------------------


def test_request_id_is_generated_when_missing_and_logged(edge: Edge, rest: httpx.Client, upstream: Upstream):
    response = rest.get("/v1/users/42")
    request_id = response.headers["x-request-id"]
    assert uuid.UUID(request_id)
    assert upstream.metadata[-1]["x-request-id"] == request_id
    (entry,) = edge.access_log_entries(request_id)
    assert entry["method"] == "GET" and entry["path"] == "/v1/users/42"
    assert entry["grpc_method"] == "/arena.user.v1.UserService/GetUser"
    assert entry["status"] == 200 and entry["grpc_status"] == 0
    assert entry["upstream_cluster"] == "user"
    assert entry["upstream_host"] == f"127.0.0.1:{upstream.grpc_ports[0]}"
    assert isinstance(entry["duration_ms"], int)


def test_a_callers_request_id_comes_back_unchanged_even_on_errors(edge: Edge, rest: httpx.Client):
    for path in ("/v1/users/42", "/v1/users/7", "/v1/no-such-thing"):
        mine = f"caller-{uuid.uuid4()}"
        response = rest.get(path, headers={"x-request-id": mine})
        assert response.headers["x-request-id"] == mine, path
        (entry,) = edge.access_log_entries(mine)
        assert entry["status"] == response.status_code


# -- native gRPC ----------------------------------------------------------------------------------


def test_native_grpc_reaches_public_methods_with_error_details(edge: Edge):
    with grpc.insecure_channel(edge.grpc_target) as channel:
        stub = user_service_pb2_grpc.UserServiceStub(channel)
        response, call = stub.GetUser.with_call(user_service_pb2.GetUserRequest(user_id="42"), timeout=5)
        assert response.user.username == "ada"
        assert dict(call.initial_metadata())["x-request-id"]
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetUser(user_service_pb2.GetUserRequest(user_id="7"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    status = rpc_status.from_call(caught.value)
    info = error_details_pb2.ErrorInfo()
    assert status is not None and status.details[0].Unpack(info) and info.reason == "USER_NOT_FOUND"


def test_native_grpc_deadlines_are_honoured_and_capped_by_the_route(edge: Edge):
    with grpc.insecure_channel(edge.grpc_target) as channel:
        stub = user_service_pb2_grpc.UserServiceStub(channel)
        for deadline_s in (None, 10.0):  # none, or longer than the route allows: the route's limit
            started = time.monotonic()
            with pytest.raises(grpc.RpcError) as caught:
                stub.GetUser(user_service_pb2.GetUserRequest(user_id="slow"), timeout=deadline_s)
            assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert time.monotonic() - started < UNARY_TIMEOUT_S + 0.5


def test_internal_methods_are_unreachable_by_every_protocol(edge: Edge, rest: httpx.Client, upstream: Upstream):
    with grpc.insecure_channel(edge.grpc_target) as channel:
        stub = realtime_internal_service_pb2_grpc.RealtimeInternalServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.Publish(realtime_internal_service_pb2.PublishRequest(topic="t"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    path = "/arena.realtime.v1.RealtimeInternalService/Publish"
    web = rest.post(path, content=grpc_web_request(b""), headers={**GRPC_WEB, "origin": ALLOWED_ORIGIN})
    assert web.status_code == 200 and web.headers["grpc-status"] == "12"
    assert web.headers["access-control-allow-origin"] == ALLOWED_ORIGIN  # a browser can read the status
    assert_json_status(rest.post(path, json={"topic": "t"}), 404, 5)
    assert upstream.calls["Publish"] == 0
    assert not [r for r in upstream.web_requests if "Internal" in r.path]


def test_grpc_callers_get_grpc_local_replies(edge: Edge):
    with grpc.insecure_channel(edge.grpc_target) as channel:
        stub = problem_service_pb2_grpc.ProblemServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetProblem(problem_service_pb2.GetProblemRequest(problem_id="p1"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert caught.value.details() == "no healthy upstream"


def unpack_details(status) -> dict[str, object]:
    found = {}
    for kind in (error_details_pb2.ErrorInfo, error_details_pb2.RequestInfo):
        for detail in status.details:
            message = kind()
            if detail.Unpack(message):
                found[kind.DESCRIPTOR.name] = message
    return found


def test_envoys_own_grpc_errors_carry_error_info_and_the_request_id(edge: Edge):
    mine = f"caller-{uuid.uuid4()}"
    with grpc.insecure_channel(edge.grpc_target) as channel:
        calls = [
            (  # no healthy upstream
                lambda: problem_service_pb2_grpc.ProblemServiceStub(channel).GetProblem(
                    problem_service_pb2.GetProblemRequest(problem_id="p1"), timeout=5, metadata=[("x-request-id", mine)]
                ),
                grpc.StatusCode.UNAVAILABLE,
                "UPSTREAM_UNAVAILABLE",
            ),
            (  # no such method at the edge
                lambda: realtime_internal_service_pb2_grpc.RealtimeInternalServiceStub(channel).Publish(
                    realtime_internal_service_pb2.PublishRequest(topic="t"),
                    timeout=5,
                    metadata=[("x-request-id", mine)],
                ),
                grpc.StatusCode.UNIMPLEMENTED,
                "NOT_IMPLEMENTED",
            ),
        ]
        for call, code, reason in calls:
            with pytest.raises(grpc.RpcError) as caught:
                call()
            assert caught.value.code() == code
            status = rpc_status.from_call(caught.value)
            assert status is not None, f"no grpc-status-details-bin: {caught.value}"
            details = unpack_details(status)
            assert details["ErrorInfo"].reason == reason and details["ErrorInfo"].domain == "arena.dev"
            assert details["ErrorInfo"].metadata["source"] == "edge"
            assert details["RequestInfo"].request_id == mine
    for name in ("x-arena-local-reply-reason", "x-arena-local-reply-request-id"):
        assert name not in dict(caught.value.trailing_metadata() or ())  # the filter's marks are removed


# -- gRPC-Web ---------------------------------------------------------------------------------------


def test_grpc_web_goes_untouched_to_the_services_web_port(rest: httpx.Client, upstream: Upstream):
    body = grpc_web_request(user_service_pb2.GetUserRequest(user_id="42").SerializeToString())
    response = rest.post("/arena.user.v1.UserService/GetUser", content=body, headers=GRPC_WEB)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/grpc-web+proto"
    assert b"grpc-status:0" in response.content
    seen = upstream.web_requests[-1]
    # Not transcoded, not turned into HTTP/2 gRPC by a grpc_web filter: sonora gets what the browser sent.
    assert seen.path == "/arena.user.v1.UserService/GetUser"
    assert seen.http_version == "HTTP/1.1"
    assert seen.headers["content-type"] == "application/grpc-web+proto"
    assert seen.body == body
    assert seen.headers["x-request-id"] == response.headers["x-request-id"]


def test_grpc_web_callers_get_grpc_web_local_replies(rest: httpx.Client):
    response = rest.post("/arena.problem.v1.ProblemService/GetProblem", content=grpc_web_request(b""), headers=GRPC_WEB)
    assert response.status_code == 200
    assert response.headers["grpc-status"] == "14" and response.headers["grpc-message"] == "no_healthy_upstream"
    assert response.content == b""
    status = status_pb2.Status.FromString(base64.b64decode(response.headers["grpc-status-details-bin"]))
    assert status.code == 14 and status.message == "no_healthy_upstream"
    details = unpack_details(status)
    assert details["ErrorInfo"].reason == "UPSTREAM_UNAVAILABLE"
    assert details["ErrorInfo"].metadata["response_code_details"] == "no_healthy_upstream"
    assert details["RequestInfo"].request_id == response.headers["x-request-id"]
    assert not [name for name in response.headers if name.startswith("x-arena-local-reply")]


# -- CORS -------------------------------------------------------------------------------------------


def test_cors_preflight_is_answered_for_allowed_origins_only(rest: httpx.Client):
    for path, method in (("/v1/users", "POST"), ("/arena.user.v1.UserService/GetUser", "POST")):
        preflight = {
            "access-control-request-method": method,
            "access-control-request-headers": "content-type,x-grpc-web,grpc-timeout",
        }
        allowed = rest.options(path, headers={"origin": ALLOWED_ORIGIN, **preflight})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert "x-grpc-web" in allowed.headers["access-control-allow-headers"]
        other = rest.options(path, headers={"origin": "http://evil.example", **preflight})
        assert "access-control-allow-origin" not in other.headers


def test_cors_headers_reach_answers_and_errors_alike(rest: httpx.Client):
    origin = {"origin": ALLOWED_ORIGIN}
    for response in (
        rest.get("/v1/users/42", headers=origin),  # the service's answer
        rest.get("/v1/users/7", headers=origin),  # the service's error
        rest.get("/v1/users/42", params={"foo": "1"}, headers=origin),  # the transcoder's error
        rest.get("/v1/problems/p1", headers=origin),  # Envoy's own error
    ):
        assert response.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN, response.text
        expose = re.split(r",\s*", response.headers["access-control-expose-headers"])
        assert {"grpc-status", "grpc-message", "grpc-status-details-bin", "x-request-id"} <= set(expose)
    assert (
        "access-control-allow-origin" not in rest.get("/v1/users/42", headers={"origin": "http://evil.example"}).headers
    )
