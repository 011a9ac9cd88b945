"""Access tokens: local verification against the user service's JWKS, and per-method access.

Every service verifies bearer JWTs itself: public keys come from the user service's
GetJwks once and are cached, refetched when a token names an unknown ``kid`` (at most
every few seconds, so a flood of forged kids cannot hammer the user service). Verified
tokens are cached until they expire, so a hot caller costs one dict lookup per call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

import jwt

from arena.common.v1 import access_pb2
from arena.core.errors import PermissionDenied, Unauthenticated
from arena.core.identity import ROLE_NAMES, Identity, Role

__all__ = [
    "Identity",
    "JwksKeySource",
    "KeySource",
    "TokenVerifier",
    "VerificationKey",
    "authorize",
    "parse_jwks",
]

ALLOWED_ALGORITHMS = frozenset({"EdDSA", "ES256"})
_LEEWAY_S = 5.0


@dataclasses.dataclass(frozen=True)
class VerificationKey:
    key: Any
    algorithm: str


class KeySource(Protocol):
    """Where public keys come from, by key id."""

    async def key(self, kid: str) -> VerificationKey | None: ...


class JwksKeySource:
    """Public keys from a JWKS document fetched on demand and cached."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[Iterable[Mapping[str, Any]]]],
        *,
        max_age_s: float = 300.0,
        min_refetch_interval_s: float = 5.0,
    ) -> None:
        self._fetch = fetch
        self._max_age_s = max_age_s
        self._min_refetch_interval_s = min_refetch_interval_s
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> VerificationKey | None:
        found = self._keys.get(kid)
        now = time.monotonic()
        if found is not None and now - self._fetched_at < self._max_age_s:
            return found
        if now - self._fetched_at >= self._min_refetch_interval_s:
            await self.refresh()
        return self._keys.get(kid)

    async def refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < self._min_refetch_interval_s:
                return  # another caller refreshed while this one waited
            try:
                documents = await self._fetch()
            finally:
                # Failures count too: a down user service is not asked again at once.
                self._fetched_at = time.monotonic()
            self._keys = parse_jwks(documents)


def parse_jwks(documents: Iterable[Mapping[str, Any]]) -> dict[str, VerificationKey]:
    """Verification keys by kid from JWK dicts; keys of other algorithms are left out."""
    keys = {}
    for document in documents:
        jwk = {k: v for k, v in document.items() if v not in (None, "")}
        if jwk.get("alg") not in ALLOWED_ALGORITHMS or not jwk.get("kid"):
            continue
        parsed = jwt.PyJWK(jwk)
        keys[jwk["kid"]] = VerificationKey(parsed.key, jwk["alg"])
    return keys


class TokenVerifier:
    """Verifies access tokens: signature, algorithm, key id, expiry, issuer and audience."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._clock = clock
        self._issuer = issuer
        self._audience = audience
        self._cache: OrderedDict[str, Identity] = OrderedDict()
        self._cache_size = cache_size

    async def verify(self, token: str) -> Identity:
        cached = self._cache.get(token)
        if cached is not None:
            if cached.expires_at + _LEEWAY_S > self._clock():
                return cached
            del self._cache[token]
        identity = await self._verify(token)
        self._cache[token] = identity
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return identity

    async def _verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("malformed access token", reason="TOKEN_INVALID") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        # The algorithm is pinned by the key, never chosen by the token (no `none`, no HS256 with a public key).
        if algorithm not in ALLOWED_ALGORITHMS or not isinstance(kid, str):
            raise Unauthenticated("access token uses an unaccepted algorithm or has no key id", reason="TOKEN_INVALID")
        key = await self._keys.key(kid)
        if key is None or key.algorithm != algorithm:
            raise Unauthenticated("access token signed by an unknown key", reason="TOKEN_INVALID")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                audience=self._audience,
                issuer=self._issuer,
                # Times are checked below against the verifier's clock (testable, one leeway rule).
                options={
                    "require": ["exp", "iat", "sub", "jti", "iss", "aud"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid access token: {exc}", reason="TOKEN_INVALID") from None
        now = self._clock()
        try:
            expires_at, issued_at = float(claims["exp"]), float(claims["iat"])
        except (TypeError, ValueError):
            raise Unauthenticated("access token has malformed times", reason="TOKEN_INVALID") from None
        if expires_at + _LEEWAY_S <= now:
            raise Unauthenticated("access token expired; refresh it", reason="TOKEN_EXPIRED")
        if issued_at - _LEEWAY_S > now:
            raise Unauthenticated("access token issued in the future", reason="TOKEN_INVALID")
        roles = claims.get("roles")
        if not isinstance(roles, list) or not all(isinstance(r, str) and r in ROLE_NAMES for r in roles):
            raise Unauthenticated("access token has invalid roles", reason="TOKEN_INVALID")
        return Identity(
            user_id=str(claims["sub"]),
            username=str(claims.get("name", "")),
            roles=frozenset(roles),
            token_id=str(claims["jti"]),
            session_id=str(claims.get("sid", "")),
            expires_at=expires_at,
        )


_REQUIRED_ROLE: dict[int, Role] = {access_pb2.ACCESS_SETTER: Role.SETTER, access_pb2.ACCESS_ADMIN: Role.ADMIN}


def authorize(access: int, identity: Identity | None) -> None:
    """Enforces a method's declared access for a caller (None = anonymous)."""
    if access in (access_pb2.ACCESS_PUBLIC, access_pb2.ACCESS_INTERNAL):
        return
    if identity is None:
        raise Unauthenticated("sign in first: this method needs an access token", reason="UNAUTHENTICATED")
    role = _REQUIRED_ROLE.get(access)
    if role is not None and not identity.has_role(role):
        raise PermissionDenied(f"this method needs the {role.name} role", reason="ROLE_REQUIRED")
    if access not in (access_pb2.ACCESS_AUTHENTICATED, *_REQUIRED_ROLE):
        # ACCESS_UNSPECIFIED or an unknown value: refuse rather than guess.
        raise PermissionDenied("this method declares no access rule", reason="ROLE_REQUIRED")
