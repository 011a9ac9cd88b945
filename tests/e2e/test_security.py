"""Attacks on authentication, each refused through REST and native gRPC, on two services.

The user service verifies tokens with its own keys; the notification service verifies them
against the user service's JWKS. Tokens are forged with precision by reading the signing key
from the user service's (PostgreSQL) database, as an attacker who stole nothing cannot.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import time
import urllib.parse
import uuid

import grpc
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from arena.demo import DEMO_ADMIN
from arena.kit.db import make_engine
from arena.launcher import Platform
from arena.notification.v1 import notification_service_pb2, notification_service_pb2_grpc
from arena.user.store import SqlUserStore
from arena.user.tokens import SigningKey, generate_signing_key
from arena.user.v1 import user_service_pb2, user_service_pb2_grpc
from e2e.conftest import error_reason

pytestmark = pytest.mark.timeout(120)
PASSWORD = "correct horse battery"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def signing_keys(database_url: str) -> list[SigningKey]:
    engine = make_engine(database_url)
    try:
        return await SqlUserStore(engine).signing_keys()
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def active_key(platform: Platform, user_database_url: str) -> SigningKey:
    keys = asyncio.run(signing_keys(user_database_url))
    return next(k for k in keys if k.retire_time is None)


@pytest.fixture(scope="module")
def account(platform: Platform) -> dict:
    name = f"sec{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=platform.settings.edge_url) as rest:
        rest.post("/v1/users", json={"username": name, "email": f"{name}@example.com", "password": PASSWORD})
        login = rest.post("/v1/auth:login", json={"username": name, "password": PASSWORD}).json()
    return {"name": name, "user_id": login["user"]["user_id"], **login["tokens"]}


def claims_for(account: dict, **changes) -> dict:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {
        "iss": "arena-user-service",
        "aud": "arena",
        "sub": account["user_id"],
        "name": account["name"],
        "roles": ["USER"],
        "sid": "s",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return claims


def sign(key: SigningKey, claims: dict) -> str:
    return jwt.encode(claims, key.private_key(), algorithm="EdDSA", headers={"kid": key.kid})


def attacks(account: dict, active: SigningKey) -> dict[str, str]:
    header, payload, signature = account["access_token"].split(".")
    admin_payload = b64({**json.loads(base64.urlsafe_b64decode(payload + "==")), "roles": ["USER", "SETTER", "ADMIN"]})
    public_pem = (
        active.private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    hs_header = b64({"alg": "HS256", "typ": "JWT", "kid": active.kid})
    hs_body = b64(claims_for(account))
    hs_signature = base64.urlsafe_b64encode(
        hmac.new(public_pem, f"{hs_header}.{hs_body}".encode(), hashlib.sha256).digest()
    ).rstrip(b"=")
    retired_long_ago = generate_signing_key(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    return {
        "forged signature": f"{header}.{admin_payload}.{signature}",
        "expired": sign(active, claims_for(account, iat=1_600_000_000, exp=1_600_000_600)),
        "unknown kid": sign(generate_signing_key(dt.datetime.now(dt.UTC)), claims_for(account)),
        "rotated-out key": sign(retired_long_ago, claims_for(account)),
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': active.kid})}.{b64(claims_for(account))}.",
        "HS256 with the public key": f"{hs_header}.{hs_body}.{hs_signature.decode()}",
        "wrong audience": sign(active, claims_for(account, aud="another-app")),
        "wrong issuer": sign(active, claims_for(account, iss="someone-else")),
        "unknown role": sign(active, claims_for(account, roles=["SUPERUSER"])),
    }


ATTACKS = [
    "forged signature",
    "expired",
    "unknown kid",
    "rotated-out key",
    "alg none",
    "HS256 with the public key",
    "wrong audience",
    "wrong issuer",
    "unknown role",
]


def test_a_genuine_token_works_on_both_services(platform: Platform, account: dict, active_key: SigningKey):
    with httpx.Client(base_url=platform.settings.edge_url) as rest:
        bearer = {"authorization": f"Bearer {sign(active_key, claims_for(account))}"}
        assert rest.get("/v1/users/me", headers=bearer).status_code == 200
        listed = rest.get("/v1/notifications", headers=bearer)
        assert listed.status_code == 200 and listed.json()["unread_count"] == 0  # verified by the notification service


@pytest.mark.parametrize("attack", ATTACKS)
def test_bad_tokens_are_refused_over_rest(platform: Platform, account: dict, active_key: SigningKey, attack: str):
    token = attacks(account, active_key)[attack]
    with httpx.Client(base_url=platform.settings.edge_url) as rest:
        for path in ("/v1/users/me", "/v1/notifications"):
            response = rest.get(path, headers={"authorization": f"Bearer {token}"})
            assert response.status_code == 401, (attack, path, response.text)
            assert error_reason(response.json()) in ("TOKEN_INVALID", "TOKEN_EXPIRED"), response.text


@pytest.mark.parametrize("attack", ATTACKS)
async def test_bad_tokens_are_refused_over_grpc(platform: Platform, account: dict, active_key: SigningKey, attack: str):
    token = attacks(account, active_key)[attack]
    metadata = [("authorization", f"Bearer {token}")]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
        users = user_service_pb2_grpc.UserServiceStub(channel)
        notifications = notification_service_pb2_grpc.NotificationServiceStub(channel)
        for call in (
            users.GetUser(user_service_pb2.GetUserRequest(user_id="me"), metadata=metadata),
            notifications.ListNotifications(notification_service_pb2.ListNotificationsRequest(), metadata=metadata),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED, attack


def test_expired_tokens_say_so(platform: Platform, account: dict, active_key: SigningKey):
    token = attacks(account, active_key)["expired"]
    with httpx.Client(base_url=platform.settings.edge_url) as rest:
        response = rest.get("/v1/users/me", headers={"authorization": f"Bearer {token}"})
    assert error_reason(response.json()) == "TOKEN_EXPIRED"


def test_a_reused_refresh_token_revokes_its_family(platform: Platform):
    name = f"fam{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=platform.settings.edge_url) as rest:
        rest.post("/v1/users", json={"username": name, "email": f"{name}@example.com", "password": PASSWORD})
        first = rest.post("/v1/auth:login", json={"username": name, "password": PASSWORD}).json()["tokens"]
        second = rest.post("/v1/auth:refresh", json={"refresh_token": first["refresh_token"]})
        assert second.status_code == 200
        replay = rest.post("/v1/auth:refresh", json={"refresh_token": first["refresh_token"]})
        assert replay.status_code == 401 and error_reason(replay.json()) == "REFRESH_TOKEN_REUSED"
        after = rest.post("/v1/auth:refresh", json={"refresh_token": second.json()["tokens"]["refresh_token"]})
        assert after.status_code == 401 and error_reason(after.json()) == "REFRESH_TOKEN_INVALID"
        validated = rest.post("/v1/auth:validate", json={"access_token": second.json()["tokens"]["access_token"]})
        assert validated.status_code == 401


async def test_a_logged_out_family_is_refused_over_grpc(platform: Platform):
    name = f"out{uuid.uuid4().hex[:8]}"
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
        users = user_service_pb2_grpc.UserServiceStub(channel)
        await users.CreateUser(
            user_service_pb2.CreateUserRequest(username=name, email=f"{name}@example.com", password=PASSWORD)
        )
        login = await users.Login(user_service_pb2.LoginRequest(username=name, password=PASSWORD))
        await users.Logout(user_service_pb2.LogoutRequest(refresh_token=login.tokens.refresh_token))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await users.RefreshToken(user_service_pb2.RefreshTokenRequest(refresh_token=login.tokens.refresh_token))
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_user_cannot_call_admin_methods_or_raise_their_own_role(platform: Platform, account: dict):
    bearer = {"authorization": f"Bearer {account['access_token']}"}
    with httpx.Client(base_url=platform.settings.edge_url) as rest:
        assert rest.get("/v1/users", headers=bearer).status_code == 403
        assert (
            rest.post(
                f"/v1/users/{account['user_id']}:setRole", json={"role": "ROLE_ADMIN"}, headers=bearer
            ).status_code
            == 403
        )
        raise_role = rest.patch(
            f"/v1/users/{account['user_id']}",
            params={"update_mask": "role"},
            json={"role": "ROLE_ADMIN", "display_name": "x"},
            headers=bearer,
        )
        assert raise_role.status_code == 400 and error_reason(raise_role.json()) == "INVALID_UPDATE_MASK"
        me = rest.get("/v1/users/me", headers=bearer).json()["user"]
        assert me["role"] == "ROLE_USER"


@pytest.mark.parametrize(
    "username", ["'; DROP TABLE users; --", "admin' OR '1'='1", "x" * 5000, "\u0000null", "<script>alert(1)</script>"]
)
def test_hostile_usernames_are_refused_cleanly(platform: Platform, username: str):
    with httpx.Client(base_url=platform.settings.edge_url) as rest:
        created = rest.post("/v1/users", json={"username": username, "email": "h@example.com", "password": PASSWORD})
        assert created.status_code == 400, created.text
        login = rest.post("/v1/auth:login", json={"username": username, "password": "' OR 1=1 --"})
        assert login.status_code in (400, 401, 429), login.text
        looked_up = rest.get(f"/v1/users/{urllib.parse.quote(username[:200], safe='')}")
        assert looked_up.status_code in (400, 404), looked_up.text
        # The admin account is still there and works.
        admin = rest.post(
            "/v1/auth:login", json={"username": DEMO_ADMIN["username"], "password": DEMO_ADMIN["password"]}
        )
        assert admin.status_code == 200


def test_repeated_failed_logins_are_throttled_with_retry_info(platform: Platform):
    name = f"thr{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=platform.settings.edge_url) as rest:
        rest.post("/v1/users", json={"username": name, "email": f"{name}@example.com", "password": PASSWORD})
        codes = [
            rest.post("/v1/auth:login", json={"username": name, "password": "wrong guess!"}).status_code
            for _ in range(6)
        ]
        assert codes[:5] == [401] * 5 and codes[5] == 429
        throttled = rest.post("/v1/auth:login", json={"username": name, "password": PASSWORD})
        assert throttled.status_code == 429
        details = {d["@type"].rsplit(".", 1)[1]: d for d in throttled.json()["details"]}
        assert details["ErrorInfo"]["reason"] == "LOGIN_THROTTLED"
        assert float(details["RetryInfo"]["retry_delay"].rstrip("s")) > 0
        # An unknown account is throttled the same way: nothing tells the two apart.
        unknown = [
            rest.post("/v1/auth:login", json={"username": f"ghost{name}", "password": "x"}).status_code
            for _ in range(6)
        ]
        assert unknown == codes


JWT_SHAPED = re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}")


def _logs_once_flushed(platform: Platform, marker: str, timeout_s: float = 30.0) -> dict[str, str]:
    """Every log of the platform, read once the request tagged ``marker`` reached Envoy's and the user service's.

    Envoy writes its access log in batches, so a fixed moment proves nothing: this waits until
    the last request made is in both files, which puts every earlier one there too.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        texts = {path.name: path.read_text(errors="replace") for path in platform.settings.log_dir.glob("*.log")}
        if all(marker in texts.get(name, "") for name in ("envoy-access.log", "user.log")):
            return texts
        assert time.monotonic() < deadline, "the marked request never reached the logs"
        time.sleep(0.1)


def test_no_secret_reaches_any_log(platform: Platform, account: dict):
    """Every password and token this test uses (in every way a client does) is absent from all logs.

    Independent of the other tests: it makes its own secret-bearing calls first, then reads the logs.
    """
    name = f"log{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=platform.settings.edge_url) as rest:
        rest.post("/v1/users", json={"username": name, "email": f"{name}@example.com", "password": PASSWORD})
        assert rest.post("/v1/auth:login", json={"username": name, "password": "wrong guess!"}).status_code == 401
        tokens = rest.post("/v1/auth:login", json={"username": name, "password": PASSWORD}).json()["tokens"]
        refreshed = rest.post("/v1/auth:refresh", json={"refresh_token": tokens["refresh_token"]}).json()["tokens"]
        admin = rest.post(
            "/v1/auth:login", json={"username": DEMO_ADMIN["username"], "password": DEMO_ADMIN["password"]}
        )
        assert admin.status_code == 200
        for token in (account["access_token"], refreshed["access_token"], admin.json()["tokens"]["access_token"]):
            assert rest.get("/v1/users/me", headers={"authorization": f"Bearer {token}"}).status_code == 200
        marker = f"log-check-{uuid.uuid4().hex}"
        rest.get(
            "/v1/users/me",
            headers={"authorization": f"Bearer {refreshed['access_token']}", "x-request-id": marker},
        )
    secrets = [
        PASSWORD,
        DEMO_ADMIN["password"],
        "wrong guess!",
        account["access_token"],
        account["refresh_token"],
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
    ]
    texts = _logs_once_flushed(platform, marker)
    assert "user.log" in texts and "envoy-access.log" in texts
    for log_name, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a secret appears in {log_name}"
        # Any JWT at all (header.payload.signature), not only the ones this module used. Page tokens
        # are base64 JSON too ("eyJ...") but have no dots, and are no secret.
        assert not JWT_SHAPED.search(text), f"a JWT-shaped string appears in {log_name}"
