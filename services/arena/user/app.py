"""The user service's use cases: registration, login, token signing keys, profiles.

``UserApp`` depends on the ``UserStore`` port, never on SQL: production wires it to
``SqlUserStore``, the use-case tests to ``InMemoryUserStore``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import structlog

from arena.core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
)
from arena.core.identity import Identity
from arena.kit.auth import KeySource, TokenVerifier, VerificationKey, parse_jwks
from arena.kit.ids import new_id
from arena.user.domain import (
    EDITABLE_FIELDS,
    EMAIL_MAX_LENGTH,
    LOGIN_PASSWORD_MAX_LENGTH,
    Role,
    User,
    password_problem,
    throttle_key,
    validate_profile_changes,
    validate_registration,
)
from arena.user.passwords import Passwords
from arena.user.store import UserPage, UserStore
from arena.user.tokens import (
    AccessToken,
    SigningKey,
    TokenSettings,
    generate_signing_key,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
)

log = structlog.get_logger("arena.user")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# How often a process re-reads the signing keys (another process may have rotated them).
_KEY_RELOAD_S = 60.0


class Session:
    """The tokens of one login session, as handed to the client."""

    def __init__(self, access: AccessToken, refresh_token: str, refresh_expire_time: dt.datetime) -> None:
        self.access = access
        self.refresh_token = refresh_token
        self.refresh_expire_time = refresh_expire_time


@dataclasses.dataclass(frozen=True)
class ThrottlePolicy:
    """How many failed logins are tolerated before further attempts wait."""

    window: dt.timedelta = dt.timedelta(minutes=15)
    max_account_failures: int = 5
    """Per account: stops password guessing against one user."""
    max_address_failures: int = 50
    """Per client address: stops one client spraying many accounts."""


class _LocalKeys(KeySource):
    def __init__(self, app: UserApp) -> None:
        self._app = app

    async def key(self, kid: str) -> VerificationKey | None:
        return await self._app.verification_key(kid)


class UserApp:
    def __init__(
        self,
        store: UserStore,
        passwords: Passwords,
        settings: TokenSettings,
        *,
        throttle: ThrottlePolicy | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.store = store
        self.passwords = passwords
        self.settings = settings
        self.throttle = throttle or ThrottlePolicy()
        self.clock = clock
        self._keys: list[SigningKey] = []
        self._keys_loaded_at = float("-inf")
        self.key_source: KeySource = _LocalKeys(self)
        self._verifier = TokenVerifier(
            self.key_source,
            issuer=settings.issuer,
            audience=settings.audience,
            clock=lambda: self.clock().timestamp(),
        )

    # -- signing keys -----------------------------------------------------------------------

    async def ensure_signing_key(self) -> None:
        """Creates the first key, or a fresh one when the current key is due for rotation."""
        await self._load_keys()
        now = self.clock()
        active = self._active_key()
        if active is None or now - active.create_time >= self.settings.key_rotation_interval:
            await self.rotate_signing_key()

    async def rotate_signing_key(self) -> SigningKey:
        now = self.clock()
        key = generate_signing_key(now)
        await self.store.add_signing_key(key, retire_others_at=now)
        await self._load_keys()
        log.info("signing key rotated", kid=key.kid)
        return key

    async def _load_keys(self) -> None:
        self._keys = await self.store.signing_keys()
        self._keys_loaded_at = self.clock().timestamp()

    async def _load_and_get_keys(self) -> list[SigningKey]:
        await self._load_keys()
        return self._keys

    async def _fresh_keys(self) -> list[SigningKey]:
        if self.clock().timestamp() - self._keys_loaded_at > _KEY_RELOAD_S:
            await self._load_keys()
        return self._keys

    def _active_key(self) -> SigningKey | None:
        return next((k for k in self._keys if k.retire_time is None), None)

    async def published_keys(self, *, fresh: bool = False) -> list[SigningKey]:
        """Keys verifiers need: the active one first, then retired ones whose tokens may still be valid.
        ``fresh``: read from the store now (the JWKS that other services fetch). Every instance signs with
        the key it last read, and instances starting together may each create one: a JWKS from this
        instance's cache could lack the key another instance signs with, and a verifier that fetched it
        refuses that instance's tokens as signed by an unknown key until it may fetch again."""
        now = self.clock()
        keys = await self._load_and_get_keys() if fresh else await self._fresh_keys()
        published = [k for k in keys if k.published_at(now, self.settings)]
        # The signing key first, then the most recently retired.
        return sorted(published, key=lambda k: (k.retire_time is not None, -k.create_time.timestamp()))

    async def verification_key(self, kid: str) -> VerificationKey | None:
        """The kit's key source for this service itself (no network round trip)."""
        keys = {k.kid: k for k in await self.published_keys()}
        if kid not in keys:
            await self._load_keys()
            keys = {k.kid: k for k in await self.published_keys()}
        key = keys.get(kid)
        return None if key is None else parse_jwks([key.public_jwk]).get(kid)

    # -- accounts -------------------------------------------------------------------------

    async def register(self, username: str, email: str, password: str, display_name: str) -> User:
        registration = validate_registration(username, email, password, display_name)
        now = self.clock()
        user = User(
            user_id=new_id(),
            username=registration.username,
            email=registration.email,
            display_name=registration.display_name,
            bio="",
            country_code="",
            role=Role.USER,
            create_time=now,
            update_time=now,
        )
        created = await self.store.create_user(user, await self.passwords.hash(registration.password))
        log.info("user registered", user_id=created.user_id)
        return created

    async def get_user(self, user_id: str) -> User:
        user = await self.store.get_user(user_id)
        if user is None:
            raise NotFound("user", user_id)
        return user

    # -- sessions -------------------------------------------------------------------------

    async def login(self, login: str, password: str, *, client_address: str = "") -> tuple[User, Session]:
        if len(login) > EMAIL_MAX_LENGTH:
            raise InvalidArgument.field("username", f"must be at most {EMAIL_MAX_LENGTH} characters")
        if len(password) > LOGIN_PASSWORD_MAX_LENGTH:
            raise InvalidArgument.field("password", f"must be at most {LOGIN_PASSWORD_MAX_LENGTH} characters")
        found = await self.store.find_login(login)
        user, stored_hash = found if found is not None else (None, None)
        # Keys name the account by id when it exists, so username and email logins share one budget;
        # hashed, because both the login and the forwarded client address come from the caller.
        account_key = throttle_key("account", user.user_id if user else login.strip().lower())
        address_key = throttle_key("address", client_address) if client_address else None
        await self._check_throttle(account_key, address_key)
        matches, needs_rehash = await self.passwords.verify(stored_hash, password)
        if user is None or not matches:
            now, window_start = self.clock(), self.clock() - self.throttle.window
            await self.store.add_login_failure(account_key, now, window_start)
            if address_key:
                await self.store.add_login_failure(address_key, now, window_start)
            # Same answer (and, through the decoy hash, about the same time) for both cases.
            raise Unauthenticated("wrong username or password", reason="INVALID_CREDENTIALS")
        await self.store.clear_login_failures(account_key)
        if needs_rehash:
            await self.store.set_password_hash(user.user_id, await self.passwords.hash(password))
        session_id = new_id()
        await self.store.create_session(session_id, user.user_id, self.clock())
        log.info("login", user_id=user.user_id, session_id=session_id)
        return user, await self._issue(user, session_id)

    async def _check_throttle(self, account_key: str, address_key: str | None) -> None:
        window_start = self.clock() - self.throttle.window
        limits = [(account_key, self.throttle.max_account_failures)]
        if address_key:
            limits.append((address_key, self.throttle.max_address_failures))
        for key, limit in limits:
            failures, started = await self.store.login_failures(key, window_start)
            if failures >= limit:
                retry_after = max(1.0, (started + self.throttle.window - self.clock()).total_seconds())
                raise ResourceExhausted(
                    "too many failed logins; wait before trying again",
                    retry_after_s=retry_after,
                    reason="LOGIN_THROTTLED",
                )

    async def refresh(self, refresh_token: str) -> tuple[User, Session]:
        """A new token pair for a valid, unused refresh token; a reused one revokes its family."""
        token_hash = hash_refresh_token(refresh_token)
        record = await self.store.find_refresh_token(token_hash)
        now = self.clock()
        if record is None or record.session_revoked:
            raise Unauthenticated("the refresh token is not valid", reason="REFRESH_TOKEN_INVALID")
        if record.use_time is not None or not await self.store.spend_refresh_token(token_hash, now):
            # Single use: a second presentation means the token leaked (or a race lost); the
            # whole session ends, the thief's copy and the owner's alike.
            await self.store.revoke_session(record.session_id, "refresh_token_reused", now)
            log.warning("refresh token reuse: session revoked", session_id=record.session_id)
            raise Unauthenticated(
                "this refresh token was already used; the session is revoked, log in again",
                reason="REFRESH_TOKEN_REUSED",
            )
        if record.expire_time <= now:
            raise Unauthenticated("the refresh token has expired", reason="REFRESH_TOKEN_INVALID")
        user = await self.get_user(record.user_id)
        return user, await self._issue(user, record.session_id)

    async def logout(self, refresh_token: str) -> None:
        record = await self.store.find_refresh_token(hash_refresh_token(refresh_token))
        if record is None:
            raise Unauthenticated("the refresh token is not valid", reason="REFRESH_TOKEN_INVALID")
        await self.store.revoke_session(record.session_id, "logout", self.clock())

    async def validate_token(self, access_token: str) -> Identity:
        """Verifies an access token for callers that cannot, and checks its session still exists."""
        identity = await self._verifier.verify(access_token)
        if await self.store.session_revoked(identity.session_id):
            raise Unauthenticated("the session of this token was ended", reason="TOKEN_INVALID")
        return identity

    # -- profiles and administration --------------------------------------------------------

    async def change_password(self, caller: Identity, user_id: str, old: str, new: str) -> None:
        if caller.user_id != user_id:
            raise PermissionDenied("only the account's owner may change its password", reason="NOT_OWNER")
        found = await self.store.find_login_by_id(user_id)
        if found is None:
            raise NotFound("user", user_id)
        user, stored_hash = found
        matches, _ = await self.passwords.verify(stored_hash, old)
        if not matches:
            raise PermissionDenied("the old password is wrong", reason="WRONG_PASSWORD")
        problem = password_problem(new, username=user.username)
        if problem:
            raise InvalidArgument.field("new_password", problem, reason="WEAK_PASSWORD")
        await self.store.set_password_hash(user_id, await self.passwords.hash(new))
        await self.store.revoke_user_sessions(user_id, "password_changed", self.clock())
        log.info("password changed; sessions revoked", user_id=user_id)

    async def update_profile(self, caller: Identity, user_id: str, changes: dict[str, str]) -> User:
        if caller.user_id != user_id and not caller.is_admin:
            raise PermissionDenied("only the account's owner or an admin may change it", reason="NOT_OWNER")
        not_editable = sorted(set(changes) - set(EDITABLE_FIELDS))
        if not_editable:
            raise InvalidArgument.field(
                "update_mask", f"cannot change {', '.join(not_editable)}", reason="INVALID_UPDATE_MASK"
            )
        if not changes:
            raise InvalidArgument.field("update_mask", "names no field to change", reason="INVALID_UPDATE_MASK")
        updated = await self.store.update_profile(user_id, validate_profile_changes(changes), self.clock())
        if updated is None:
            raise NotFound("user", user_id)
        return updated

    async def list_users(self, role: Role | None, limit: int, cursor: tuple[dt.datetime, str] | None) -> UserPage:
        return await self.store.list_users(role, limit, cursor)

    async def set_role(self, caller: Identity, user_id: str, role: Role) -> User:
        if caller.user_id == user_id and role is not Role.ADMIN:
            raise FailedPrecondition("an admin cannot demote themselves; ask another admin")
        updated = await self.store.set_role(user_id, role, self.clock())
        if updated is None:
            raise NotFound("user", user_id)
        # Tokens carry roles: the user's sessions end so new tokens show the new role.
        await self.store.revoke_user_sessions(user_id, "role_changed", self.clock())
        log.info("role changed", user_id=user_id, role=role.name)
        return updated

    async def ensure_admin(self, username: str, email: str, password: str) -> None:
        """Creates the first admin from configuration when the platform has none yet."""
        if await self.store.any_admin():
            return
        existing = await self.store.find_login(username)
        if existing is None:
            try:
                user = await self.register(username, email, password, "Administrator")
            except AlreadyExists:
                # Another instance of this service, starting at the same moment, created it first.
                existing = await self.store.find_login(username)
                if existing is None:
                    raise
                user = existing[0]
        else:
            user = existing[0]
        await self.store.set_role(user.user_id, Role.ADMIN, self.clock())
        log.info("first admin created", user_id=user.user_id)

    async def _issue(self, user: User, session_id: str) -> Session:
        now = self.clock()
        keys = await self._fresh_keys()
        active = next((k for k in keys if k.retire_time is None), None)
        if active is None:
            await self.ensure_signing_key()
            active = self._active_key()
            assert active is not None
        access = issue_access_token(
            active,
            user_id=user.user_id,
            username=user.username,
            roles=user.role.granted(),
            session_id=session_id,
            now=now,
            settings=self.settings,
        )
        refresh = new_refresh_token()
        refresh_expire_time = now + self.settings.refresh_token_ttl
        await self.store.add_refresh_token(hash_refresh_token(refresh), session_id, now, refresh_expire_time)
        return Session(access, refresh, refresh_expire_time)
