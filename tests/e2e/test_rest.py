"""REST through Envoy's transcoder, as a curl-like client sees it."""

from __future__ import annotations

import uuid

import httpx

from e2e.conftest import admin_token, error_reason, register_and_login


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def test_create_user_returns_snake_case_json_with_zero_values(rest: httpx.Client):
    name = unique("ann")
    response = rest.post(
        "/v1/users", json={"username": name, "email": f"{name}@example.com", "password": "tall mountain 42"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    user = response.json()["user"]
    assert user["username"] == name and user["display_name"] == name
    assert user["bio"] == "" and user["country_code"] == ""  # zero values printed
    assert user["role"] == "ROLE_USER"
    assert {"user_id", "create_time", "update_time"} <= set(user)
    assert "displayName" not in user


def test_duplicate_username_is_409_with_a_reason(rest: httpx.Client):
    name = unique("dup")
    body = {"username": name, "email": f"{name}@example.com", "password": "tall mountain 42"}
    assert rest.post("/v1/users", json=body).status_code == 200
    again = rest.post("/v1/users", json={**body, "email": f"other-{name}@example.com"})
    assert again.status_code == 409
    assert again.json()["code"] == 6 and error_reason(again.json()) == "USERNAME_TAKEN"


def test_missing_required_field_is_400_with_a_field_violation(rest: httpx.Client):
    response = rest.post("/v1/users", json={"username": unique("nf")})
    assert response.status_code == 400
    body = response.json()
    violations = next(d for d in body["details"] if d["@type"].endswith("BadRequest"))["field_violations"]
    assert {v["field"] for v in violations} == {"email", "password"}


def test_malformed_json_is_400_json(rest: httpx.Client):
    response = rest.post("/v1/users", content=b'{"username": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == 3


def test_unknown_route_is_404_json(rest: httpx.Client):
    response = rest.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == 5


def test_unknown_query_parameter_is_400(rest: httpx.Client):
    response = rest.get("/v1/jwks", params={"surprise": "1"})
    assert response.status_code == 400 and response.json()["code"] == 3


def test_oversized_request_is_413(rest: httpx.Client):
    response = rest.post("/v1/users", json={"username": "x" * (2 * 1024 * 1024), "email": "a@b.co", "password": "p"})
    assert response.status_code == 413
    assert response.json()["code"] == 8


def test_login_then_own_profile(rest: httpx.Client):
    name = unique("me")
    token = register_and_login(rest, name)
    response = rest.get("/v1/users/me", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["user"]["username"] == name
    assert response.json()["user"]["email"] == f"{name}@example.com"


def test_no_token_or_bad_token_is_401(rest: httpx.Client):
    assert rest.get("/v1/users/me").status_code == 401
    bad = rest.get("/v1/users/me", headers={"authorization": "Bearer not.a.token"})
    assert bad.status_code == 401 and error_reason(bad.json()) == "TOKEN_INVALID"


def test_other_users_do_not_see_email(rest: httpx.Client):
    owner = unique("own")
    register_and_login(rest, owner)
    viewer = register_and_login(rest, unique("view"))
    me = rest.get("/v1/users/me", headers={"authorization": f"Bearer {register_and_login(rest, owner)}"}).json()
    other = rest.get(f"/v1/users/{me['user']['user_id']}", headers={"authorization": f"Bearer {viewer}"})
    assert other.status_code == 200 and other.json()["user"]["email"] == ""


def test_internal_methods_are_unreachable_over_rest(rest: httpx.Client):
    for path in (
        "/arena.problem.v1.ProblemInternalService/GetJudgeBundle",
        "/arena.realtime.v1.RealtimeInternalService/Publish",
    ):
        response = rest.post(path, json={})
        assert response.status_code == 404, path


def test_admin_views_need_the_admin_role(rest: httpx.Client):
    user = register_and_login(rest, unique("nb"))
    assert rest.get("/v1/debug/instances", headers={"authorization": f"Bearer {user}"}).status_code == 403
    admin = rest.get("/v1/debug/instances", headers={"authorization": f"Bearer {admin_token(rest)}"})
    assert admin.status_code == 200
    assert {i["service"] for i in admin.json()["instances"]} >= {"user", "problem", "realtime"}


def test_platform_health_is_one_document(rest: httpx.Client):
    response = rest.get("/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "SERVING_STATUS_SERVING"
    assert len(body["services"]) == 8 and all(s["status"] == "SERVING_STATUS_SERVING" for s in body["services"])


def test_cors_preflight_from_allowed_origin_only(rest: httpx.Client):
    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    allowed = rest.options("/v1/users", headers={"origin": "http://localhost:5173", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "grpc-status" in allowed.headers["access-control-expose-headers"]
    other = rest.options("/v1/users", headers={"origin": "http://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers
    simple = rest.get("/v1/jwks", headers={"origin": "http://localhost:5173"})
    assert simple.headers["access-control-allow-origin"] == "http://localhost:5173"


def test_header_names_grpc_metadata_cannot_carry_are_dropped_not_fatal(rest: httpx.Client):
    # Legal in HTTP ("x&y", "a!b"), illegal as gRPC metadata keys: the edge drops them.
    response = rest.get("/v1/languages", headers={"x&y": "1", "a!b~c": "2", "x-fine": "3"})
    assert response.status_code == 200, response.text
    assert response.json()["languages"]
