"""Local access-token verification and per-method access."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from arena.common.v1 import access_pb2
from arena.kit.auth import Identity, JwksKeySource, TokenVerifier, authorize
from arena.kit.errors import PermissionDenied, Unauthenticated
from arena.user.tokens import TokenSettings, generate_signing_key, issue_access_token

ISSUER, AUDIENCE = "arena-test", "arena"
SETTINGS = TokenSettings(issuer=ISSUER, audience=AUDIENCE)


class Keys:
    def __init__(self) -> None:
        self.key = generate_signing_key(dt.datetime.now(dt.UTC))
        self.fetches = 0

    async def fetch(self):
        self.fetches += 1
        return [self.key.public_jwk]


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
def verifier(keys: Keys) -> TokenVerifier:
    return TokenVerifier(JwksKeySource(keys.fetch, min_refetch_interval_s=60), issuer=ISSUER, audience=AUDIENCE)


def token_for(keys: Keys, *, roles=frozenset({"USER"}), now=None, settings=SETTINGS) -> str:
    return issue_access_token(
        keys.key,
        user_id="u1",
        username="alice",
        roles=roles,
        session_id="s1",
        now=now or dt.datetime.now(dt.UTC),
        settings=settings,
    ).token


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def reason_of(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await verifier.verify(token)
    return caught.value.reason


async def test_a_valid_token_gives_the_identity(verifier: TokenVerifier, keys: Keys):
    identity = await verifier.verify(token_for(keys, roles=frozenset({"USER", "SETTER"})))
    assert (identity.user_id, identity.username, identity.session_id) == ("u1", "alice", "s1")
    assert identity.roles == {"USER", "SETTER"}


async def test_verified_tokens_are_cached(verifier: TokenVerifier, keys: Keys):
    token = token_for(keys)
    await verifier.verify(token)
    await verifier.verify(token)
    assert keys.fetches == 1


async def test_expired_token(verifier: TokenVerifier, keys: Keys):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert await reason_of(verifier, token_for(keys, now=old)) == "TOKEN_EXPIRED"


async def test_forged_signature(verifier: TokenVerifier, keys: Keys):
    header, _, signature = token_for(keys).split(".")
    forged_payload = b64({**jwt.decode(token_for(keys), options={"verify_signature": False}), "roles": ["ADMIN"]})
    assert await reason_of(verifier, f"{header}.{forged_payload}.{signature}") == "TOKEN_INVALID"


async def test_token_signed_by_another_key_with_a_known_kid(verifier: TokenVerifier, keys: Keys):
    other = ed25519.Ed25519PrivateKey.generate()
    claims = jwt.decode(token_for(keys), options={"verify_signature": False})
    token = jwt.encode(claims, other, algorithm="EdDSA", headers={"kid": keys.key.kid})
    assert await reason_of(verifier, token) == "TOKEN_INVALID"


async def test_unknown_kid(verifier: TokenVerifier, keys: Keys):
    other = generate_signing_key(dt.datetime.now(dt.UTC))
    assert await reason_of(verifier, token_for_key(other)) == "TOKEN_INVALID"


def token_for_key(key) -> str:
    return issue_access_token(
        key,
        user_id="u1",
        username="a",
        roles=frozenset({"USER"}),
        session_id="s",
        now=dt.datetime.now(dt.UTC),
        settings=SETTINGS,
    ).token


async def test_alg_none_is_refused(verifier: TokenVerifier, keys: Keys):
    claims = jwt.decode(token_for(keys), options={"verify_signature": False})
    token = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': keys.key.kid})}.{b64(claims)}."
    assert await reason_of(verifier, token) == "TOKEN_INVALID"


async def test_hs256_signed_with_the_public_key_is_refused(verifier: TokenVerifier, keys: Keys):
    claims = jwt.decode(token_for(keys), options={"verify_signature": False})
    public_pem = (
        keys.key.private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = b64({"alg": "HS256", "typ": "JWT", "kid": keys.key.kid})
    body = b64(claims)
    import hashlib
    import hmac

    signature = (
        base64.urlsafe_b64encode(hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest())
        .rstrip(b"=")
        .decode()
    )
    assert await reason_of(verifier, f"{header}.{body}.{signature}") == "TOKEN_INVALID"


@pytest.mark.parametrize(("issuer", "audience"), [("someone-else", AUDIENCE), (ISSUER, "another-app")])
async def test_wrong_issuer_or_audience(verifier: TokenVerifier, keys: Keys, issuer: str, audience: str):
    token = token_for(keys, settings=TokenSettings(issuer=issuer, audience=audience))
    assert await reason_of(verifier, token) == "TOKEN_INVALID"


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "eyJhbGciOiJFZERTQSJ9..", "x" * 5000])
async def test_garbage_tokens(verifier: TokenVerifier, garbage: str):
    assert await reason_of(verifier, garbage) == "TOKEN_INVALID"


async def test_unknown_kids_do_not_hammer_the_key_source(keys: Keys):
    verifier = TokenVerifier(JwksKeySource(keys.fetch, min_refetch_interval_s=60), issuer=ISSUER, audience=AUDIENCE)
    for _ in range(20):
        other = generate_signing_key(dt.datetime.now(dt.UTC))
        with pytest.raises(Unauthenticated):
            await verifier.verify(token_for_key(other))
    assert keys.fetches == 1


def identity(*roles: str) -> Identity:
    return Identity("u", "n", frozenset(roles), "t", "s", time.time() + 60)


def test_access_rules():
    authorize(access_pb2.ACCESS_PUBLIC, None)
    authorize(access_pb2.ACCESS_AUTHENTICATED, identity("USER"))
    authorize(access_pb2.ACCESS_SETTER, identity("USER", "SETTER"))
    authorize(access_pb2.ACCESS_ADMIN, identity("USER", "SETTER", "ADMIN"))
    with pytest.raises(Unauthenticated):
        authorize(access_pb2.ACCESS_AUTHENTICATED, None)
    with pytest.raises(PermissionDenied):
        authorize(access_pb2.ACCESS_SETTER, identity("USER"))
    with pytest.raises(PermissionDenied):
        authorize(access_pb2.ACCESS_ADMIN, identity("USER", "SETTER"))
    with pytest.raises(PermissionDenied):
        authorize(access_pb2.ACCESS_UNSPECIFIED, identity("USER", "SETTER", "ADMIN"))
