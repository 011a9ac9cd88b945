"""What operators rely on: request ids end to end, metrics, the OpenAPI document, a stopped service."""

from __future__ import annotations

import json
import time
import uuid

import grpc
import httpx
import pytest
from openapi_spec_validator import validate

from arena.launcher import Platform
from arena.user.v1 import user_service_pb2, user_service_pb2_grpc

pytestmark = pytest.mark.timeout(90)


def wait_for_line(path, needle: str, timeout_s: float = 5.0) -> dict:
    """The first JSON log line containing ``needle`` (logs are flushed asynchronously)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                if needle in line:
                    return json.loads(line)
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} never appeared in {path}")


def test_a_callers_request_id_comes_back_and_is_logged_everywhere(platform: Platform, rest: httpx.Client):
    request_id = f"req-{uuid.uuid4().hex}"
    response = rest.get("/v1/jwks", headers={"x-request-id": request_id})
    assert response.headers["x-request-id"] == request_id
    logs = platform.settings.log_dir
    edge_line = wait_for_line(logs / "envoy-access.log", request_id)
    assert edge_line["path"] == "/v1/jwks" and edge_line["status"] == 200
    assert edge_line["upstream_cluster"] == "user" and edge_line["duration_ms"] >= 0
    service_line = wait_for_line(logs / "user.log", request_id)
    assert service_line["rpc"] == "/arena.user.v1.UserService/GetJwks" and service_line["code"] == "OK"


def test_a_request_id_is_generated_when_missing(platform: Platform, rest: httpx.Client):
    generated = rest.get("/v1/jwks").headers["x-request-id"]
    assert len(generated) >= 16
    wait_for_line(platform.settings.log_dir / "user.log", generated)


async def test_native_grpc_callers_get_their_request_id_back(platform: Platform):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
        call = user_service_pb2_grpc.UserServiceStub(channel).GetJwks(
            user_service_pb2.GetJwksRequest(), metadata=[("x-request-id", "grpc-caller-7")]
        )
        await call
        assert ("x-request-id", "grpc-caller-7") in tuple(await call.trailing_metadata())
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.ports['user'].grpc}") as channel:
        call = user_service_pb2_grpc.UserServiceStub(channel).GetJwks(user_service_pb2.GetJwksRequest())
        await call
        assert len(dict(tuple(await call.trailing_metadata()))["x-request-id"]) == 32  # generated


def test_metrics_count_calls_per_method(platform: Platform, rest: httpx.Client):
    metrics_url = f"http://127.0.0.1:{platform.settings.ports['user'].web}/metrics"

    def jwks_calls() -> float:
        for line in httpx.get(metrics_url).text.splitlines():
            wanted = ("GetJwks", 'code="OK"', 'transport="grpc"')
            if line.startswith("arena_rpc_handled_total{") and all(part in line for part in wanted):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = jwks_calls()
    for _ in range(3):
        rest.get("/v1/jwks")
    assert jwks_calls() == before + 3
    text = httpx.get(metrics_url).text
    assert 'arena_rpc_duration_seconds_bucket{le="0.001",method="/arena.user.v1.UserService/GetJwks"' in text
    assert "arena_rpc_in_flight" in text


def test_openapi_is_served_and_valid(rest: httpx.Client):
    response = rest.get("/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    document = response.json()
    validate(document)
    assert "/v1/users/{user_id}" in document["paths"]


def test_a_stopped_service_answers_503_json_promptly_then_recovers(platform: Platform, rest: httpx.Client):
    assert rest.get("/v1/analyses/x").status_code == 401  # served (placeholder needs a token first)
    assert platform.stop_service("ai_analysis") == 0
    started = time.monotonic()
    response = rest.get("/v1/analyses/x")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json" and response.json()["code"] == 14
    assert time.monotonic() - started < 2.0
    platform.start_service("ai_analysis")
    platform.wait_serving("ai_analysis", time.monotonic() + 30)
    deadline = time.monotonic() + 15
    while rest.get("/v1/analyses/x").status_code != 401:
        assert time.monotonic() < deadline, "the edge never routed to the restarted service"
        time.sleep(0.2)
