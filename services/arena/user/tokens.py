"""Access tokens (EdDSA JWTs), their signing keys, and opaque refresh tokens."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import secrets
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from arena.kit.ids import new_id

ALGORITHM = "EdDSA"


@dataclasses.dataclass(frozen=True)
class TokenSettings:
    """Lifetimes and names of the tokens the user service issues."""

    issuer: str
    audience: str
    access_token_ttl: dt.timedelta = dt.timedelta(minutes=15)
    refresh_token_ttl: dt.timedelta = dt.timedelta(days=30)
    key_rotation_interval: dt.timedelta = dt.timedelta(days=30)
    """A signing key older than this is replaced by a fresh one."""


@dataclasses.dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private_pem: bytes
    public_jwk: dict[str, str]
    create_time: dt.datetime
    retire_time: dt.datetime | None = None
    """When the key stopped signing; it stays published until its tokens have expired."""

    def private_key(self) -> Any:
        return serialization.load_pem_private_key(self.private_pem, password=None)

    def published_at(self, now: dt.datetime, settings: TokenSettings) -> bool:
        """Whether tokens it signed may still be valid, so verifiers still need it."""
        return self.retire_time is None or now < self.retire_time + settings.access_token_ttl + dt.timedelta(minutes=1)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_signing_key(now: dt.datetime) -> SigningKey:
    private = ed25519.Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid = new_id()
    return SigningKey(
        kid=kid,
        algorithm=ALGORITHM,
        private_pem=private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        public_jwk={
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64url(public_raw),
            "kid": kid,
            "use": "sig",
            "alg": ALGORITHM,
        },
        create_time=now,
    )


@dataclasses.dataclass(frozen=True)
class AccessToken:
    token: str
    token_id: str
    expire_time: dt.datetime


def issue_access_token(
    key: SigningKey,
    *,
    user_id: str,
    username: str,
    roles: frozenset[str],
    session_id: str,
    now: dt.datetime,
    settings: TokenSettings,
) -> AccessToken:
    token_id = new_id()
    expire_time = now + settings.access_token_ttl
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": user_id,
        "name": username,
        "roles": sorted(roles),
        "sid": session_id,
        "jti": token_id,
        "iat": int(now.timestamp()),
        "exp": int(expire_time.timestamp()),
    }
    token = jwt.encode(claims, key.private_key(), algorithm=key.algorithm, headers={"kid": key.kid})
    return AccessToken(token=token, token_id=token_id, expire_time=expire_time)


def new_refresh_token() -> str:
    """An opaque refresh token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """What the database stores: a refresh token is as good as a password, so never in clear."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
