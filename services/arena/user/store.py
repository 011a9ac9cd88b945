"""The user service's storage: the ``UserStore`` port and its two implementations.

- ``SqlUserStore`` (SQLAlchemy 2, SQLite or PostgreSQL): production. Uniqueness
  (case-insensitive username and email) is enforced by the database, so two concurrent
  registrations of one name cannot both succeed; counters are single atomic statements.
- ``InMemoryUserStore``: dictionaries, for the use-case tests.

``tests/integration/db/test_user_store.py`` runs one contract against all three backends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arena.kit.db import NAMING_CONVENTION, UtcDateTime, migrate, session_factory, upsert_statement
from arena.kit.errors import AlreadyExists
from arena.user.domain import Role, User, email_key, username_key
from arena.user.tokens import SigningKey

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")
VERSION_TABLE = "user_alembic_version"


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    __tablename__ = "users"

    user_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(32))
    username_key: Mapped[str] = mapped_column(sa.String(32), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    email_key: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(64))
    bio: Mapped[str] = mapped_column(sa.String(512), default="")
    country_code: Mapped[str] = mapped_column(sa.String(2), default="")
    role: Mapped[str] = mapped_column(sa.String(16))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class SigningKeyRow(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    algorithm: Mapped[str] = mapped_column(sa.String(16))
    private_pem: Mapped[bytes] = mapped_column(sa.LargeBinary())
    public_jwk: Mapped[dict[str, Any]] = mapped_column(sa.JSON())
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    retire_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class SessionRow(Base):
    """A login session: the family of refresh tokens descending from one login."""

    __tablename__ = "sessions"

    session_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.user_id", ondelete="CASCADE"), index=True)
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    revoke_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoke_reason: Mapped[str] = mapped_column(sa.String(32), default="")


class LoginFailureRow(Base):
    """Failed logins per throttling key (an account or a client address) in the current window."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    failures: Mapped[int] = mapped_column(sa.Integer())


class RefreshTokenRow(Base):
    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(sa.ForeignKey("sessions.session_id", ondelete="CASCADE"), index=True)
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expire_time: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    use_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


def _user(row: UserRow) -> User:
    return User(
        user_id=row.user_id,
        username=row.username,
        email=row.email,
        display_name=row.display_name,
        bio=row.bio,
        country_code=row.country_code,
        role=Role[row.role],
        create_time=row.create_time,
        update_time=row.update_time,
    )


def _signing_key(row: SigningKeyRow) -> SigningKey:
    return SigningKey(
        kid=row.kid,
        algorithm=row.algorithm,
        private_pem=row.private_pem,
        public_jwk=dict(row.public_jwk),
        create_time=row.create_time,
        retire_time=row.retire_time,
    )


@dataclasses.dataclass(frozen=True)
class RefreshRecord:
    """A stored refresh token and the state of its session."""

    session_id: str
    user_id: str
    expire_time: dt.datetime
    use_time: dt.datetime | None
    session_revoked: bool


@dataclasses.dataclass(frozen=True)
class UserPage:
    users: list[User]
    next_cursor: tuple[dt.datetime, str] | None


class UserStore(Protocol):
    """The user service's port: what its use cases need from storage.

    Two implementations: ``SqlUserStore`` (SQLite or PostgreSQL) and ``InMemoryUserStore``
    (use-case tests). ``tests/integration/db/test_user_store.py`` holds both to the same
    contract. Times are timezone-aware UTC datetimes.
    """

    async def create_user(self, user: User, password_hash: str) -> User:
        """Stores a new account; AlreadyExists (USERNAME_TAKEN or EMAIL_TAKEN) when either is taken."""
        ...

    async def get_user(self, user_id: str) -> User | None: ...

    async def find_login(self, login: str) -> tuple[User, str] | None:
        """The account and its password hash, by username or (with an ``@``) email, case-insensitively."""
        ...

    async def find_login_by_id(self, user_id: str) -> tuple[User, str] | None: ...
    async def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    async def signing_keys(self) -> list[SigningKey]:
        """Every signing key, newest first."""
        ...

    async def add_signing_key(self, key: SigningKey, *, retire_others_at: dt.datetime) -> None:
        """Stores a new active key and retires the previously active ones at ``retire_others_at``."""
        ...

    async def create_session(self, session_id: str, user_id: str, now: dt.datetime) -> None: ...
    async def add_refresh_token(
        self, token_hash: str, session_id: str, now: dt.datetime, expire_time: dt.datetime
    ) -> None: ...
    async def find_refresh_token(self, token_hash: str) -> RefreshRecord | None: ...

    async def spend_refresh_token(self, token_hash: str, now: dt.datetime) -> bool:
        """Marks a refresh token used; False if it already was (exactly one concurrent caller wins)."""
        ...

    async def revoke_session(self, session_id: str, reason: str, now: dt.datetime) -> None: ...
    async def revoke_user_sessions(self, user_id: str, reason: str, now: dt.datetime) -> None: ...

    async def session_revoked(self, session_id: str) -> bool:
        """True when the session was revoked or never existed."""
        ...

    async def update_profile(self, user_id: str, changes: dict[str, str], now: dt.datetime) -> User | None:
        """Applies cleaned profile changes; None for an unknown user, AlreadyExists (EMAIL_TAKEN)."""
        ...

    async def set_role(self, user_id: str, role: Role, now: dt.datetime) -> User | None: ...

    async def list_users(self, role: Role | None, limit: int, cursor: tuple[dt.datetime, str] | None) -> UserPage:
        """Newest first (by creation time, then id); the cursor is the last (create_time, user_id) seen."""
        ...

    async def any_admin(self) -> bool: ...

    async def login_failures(self, key: str, window_start: dt.datetime) -> tuple[int, dt.datetime]:
        """Failures of a key in its current window, and when that window started."""
        ...

    async def add_login_failure(self, key: str, now: dt.datetime, window_start: dt.datetime) -> int:
        """Counts one failure, atomically, in the key's window (one older than ``window_start`` restarts at
        ``now``); returns the count. Concurrent calls never lose a failure."""
        ...

    async def clear_login_failures(self, key: str) -> None: ...


class SqlUserStore:
    """UserStore on SQLAlchemy 2 (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)

    async def migrate(self) -> None:
        await migrate(self.engine, MIGRATIONS, VERSION_TABLE)

    async def create_user(self, user: User, password_hash: str) -> User:
        row = UserRow(
            user_id=user.user_id,
            username=user.username,
            username_key=username_key(user.username),
            email=user.email,
            email_key=email_key(user.email),
            display_name=user.display_name,
            bio=user.bio,
            country_code=user.country_code,
            role=user.role.name,
            password_hash=password_hash,
            create_time=user.create_time,
            update_time=user.update_time,
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            raise await self._conflict(user) from None
        return user

    async def _conflict(self, user: User) -> AlreadyExists:
        """Which unique field a failed insert collided with (the constraint decided; this names it)."""
        async with self._sessions() as session:
            taken = await session.scalar(
                sa.select(sa.func.count()).where(UserRow.username_key == username_key(user.username))
            )
        if taken:
            return AlreadyExists(f"the username {user.username!r} is taken", reason="USERNAME_TAKEN")
        return AlreadyExists("an account with this email address exists", reason="EMAIL_TAKEN")

    async def get_user(self, user_id: str) -> User | None:
        async with self._sessions() as session:
            row = await session.get(UserRow, user_id)
        return None if row is None else _user(row)

    async def find_login(self, login: str) -> tuple[User, str] | None:
        key = login.strip().lower()
        column = UserRow.email_key if "@" in key else UserRow.username_key
        async with self._sessions() as session:
            row = await session.scalar(sa.select(UserRow).where(column == key))
        return None if row is None else (_user(row), row.password_hash)

    async def find_login_by_id(self, user_id: str) -> tuple[User, str] | None:
        async with self._sessions() as session:
            row = await session.get(UserRow, user_id)
        return None if row is None else (_user(row), row.password_hash)

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                sa.update(UserRow).where(UserRow.user_id == user_id).values(password_hash=password_hash)
            )

    async def signing_keys(self) -> list[SigningKey]:
        async with self._sessions() as session:
            rows = await session.scalars(sa.select(SigningKeyRow).order_by(SigningKeyRow.create_time.desc()))
            return [_signing_key(r) for r in rows]

    async def add_signing_key(self, key: SigningKey, *, retire_others_at: dt.datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                sa.update(SigningKeyRow).where(SigningKeyRow.retire_time.is_(None)).values(retire_time=retire_others_at)
            )
            session.add(
                SigningKeyRow(
                    kid=key.kid,
                    algorithm=key.algorithm,
                    private_pem=key.private_pem,
                    public_jwk=key.public_jwk,
                    create_time=key.create_time,
                    retire_time=None,
                )
            )

    async def create_session(self, session_id: str, user_id: str, now: dt.datetime) -> None:
        async with self._sessions.begin() as session:
            session.add(SessionRow(session_id=session_id, user_id=user_id, create_time=now))

    async def add_refresh_token(
        self, token_hash: str, session_id: str, now: dt.datetime, expire_time: dt.datetime
    ) -> None:
        async with self._sessions.begin() as session:
            session.add(
                RefreshTokenRow(token_hash=token_hash, session_id=session_id, create_time=now, expire_time=expire_time)
            )

    async def find_refresh_token(self, token_hash: str) -> RefreshRecord | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    sa.select(RefreshTokenRow, SessionRow)
                    .join(SessionRow, SessionRow.session_id == RefreshTokenRow.session_id)
                    .where(RefreshTokenRow.token_hash == token_hash)
                )
            ).first()
        if row is None:
            return None
        token, owner = row
        return RefreshRecord(
            session_id=token.session_id,
            user_id=owner.user_id,
            expire_time=token.expire_time,
            use_time=token.use_time,
            session_revoked=owner.revoke_time is not None,
        )

    async def spend_refresh_token(self, token_hash: str, now: dt.datetime) -> bool:
        """Marks a refresh token used; False if it already was (the database decides one winner)."""
        async with self._sessions.begin() as session:
            result = cast(
                "sa.CursorResult[Any]",
                await session.execute(
                    sa.update(RefreshTokenRow)
                    .where(RefreshTokenRow.token_hash == token_hash, RefreshTokenRow.use_time.is_(None))
                    .values(use_time=now)
                ),
            )
        return bool(result.rowcount == 1)

    async def revoke_session(self, session_id: str, reason: str, now: dt.datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                sa.update(SessionRow)
                .where(SessionRow.session_id == session_id, SessionRow.revoke_time.is_(None))
                .values(revoke_time=now, revoke_reason=reason)
            )

    async def revoke_user_sessions(self, user_id: str, reason: str, now: dt.datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                sa.update(SessionRow)
                .where(SessionRow.user_id == user_id, SessionRow.revoke_time.is_(None))
                .values(revoke_time=now, revoke_reason=reason)
            )

    async def session_revoked(self, session_id: str) -> bool:
        async with self._sessions() as session:
            row = await session.get(SessionRow, session_id)
        return row is None or row.revoke_time is not None

    async def update_profile(self, user_id: str, changes: dict[str, str], now: dt.datetime) -> User | None:
        values: dict[str, object] = dict(changes)
        if "email" in changes:
            values["email_key"] = email_key(changes["email"])
        try:
            async with self._sessions.begin() as session:
                row = await session.get(UserRow, user_id, with_for_update=True)
                if row is None:
                    return None
                for name, value in values.items():
                    setattr(row, name, value)
                row.update_time = now
                await session.flush()
                return _user(row)
        except IntegrityError:
            raise AlreadyExists("an account with this email address exists", reason="EMAIL_TAKEN") from None

    async def set_role(self, user_id: str, role: Role, now: dt.datetime) -> User | None:
        async with self._sessions.begin() as session:
            row = await session.get(UserRow, user_id, with_for_update=True)
            if row is None:
                return None
            row.role = role.name
            row.update_time = now
            await session.flush()
            return _user(row)

    async def list_users(self, role: Role | None, limit: int, cursor: tuple[dt.datetime, str] | None) -> UserPage:
        query = sa.select(UserRow).order_by(UserRow.create_time.desc(), UserRow.user_id.desc()).limit(limit + 1)
        if role is not None:
            query = query.where(UserRow.role == role.name)
        if cursor is not None:
            created, user_id = cursor
            query = query.where(
                sa.or_(
                    UserRow.create_time < created,
                    sa.and_(UserRow.create_time == created, UserRow.user_id < user_id),
                )
            )
        async with self._sessions() as session:
            rows = list(await session.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = (rows[-1].create_time, rows[-1].user_id) if more and rows else None
        return UserPage([_user(r) for r in rows], next_cursor)

    async def any_admin(self) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(sa.select(UserRow.user_id).where(UserRow.role == Role.ADMIN.name).limit(1))
        return found is not None

    async def login_failures(self, key: str, window_start: dt.datetime) -> tuple[int, dt.datetime]:
        """Failures of a key in its current window, and when that window started."""
        async with self._sessions() as session:
            row = await session.get(LoginFailureRow, key)
        if row is None or row.window_start < window_start:
            return 0, window_start
        return row.failures, row.window_start

    async def add_login_failure(self, key: str, now: dt.datetime, window_start: dt.datetime) -> int:
        """One statement, atomic on both databases: insert the key's first failure, or add one to its row.

        ``INSERT … ON CONFLICT (key) DO UPDATE SET failures = failures + 1 … RETURNING failures``
        (SQLite 3.35+ and PostgreSQL): the database increments the stored value under its own row
        lock (PostgreSQL) or write lock (SQLite), so no read-modify-write can lose a failure. A
        window older than ``window_start`` restarts at ``now`` with a count of 1.
        """
        table = LoginFailureRow.__table__
        stale = table.c.window_start < window_start
        insert = upsert_statement(self.engine.dialect.name, table)
        async with self._sessions.begin() as session:
            counted = await session.scalar(
                insert.values(key=key, window_start=now, failures=1)
                .on_conflict_do_update(
                    index_elements=[table.c.key],
                    set_={
                        "failures": sa.case((stale, 1), else_=table.c.failures + 1),
                        "window_start": sa.case((stale, sa.literal(now, UtcDateTime())), else_=table.c.window_start),
                    },
                )
                .returning(table.c.failures)
            )
        return int(counted)

    async def clear_login_failures(self, key: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(sa.delete(LoginFailureRow).where(LoginFailureRow.key == key))


@dataclasses.dataclass
class _MemorySession:
    user_id: str
    revoked: bool = False


@dataclasses.dataclass
class _MemoryRefreshToken:
    session_id: str
    expire_time: dt.datetime
    use_time: dt.datetime | None = None


class InMemoryUserStore:
    """UserStore in dictionaries: the fast fake the use-case tests run against.

    Same contract as ``SqlUserStore`` (the shared contract test proves it). No method awaits
    between reading and writing, so each is atomic on the event loop, as a transaction is.
    """

    def __init__(self) -> None:
        self._users: dict[str, User] = {}
        self._hashes: dict[str, str] = {}
        self._keys: list[SigningKey] = []
        self._sessions: dict[str, _MemorySession] = {}
        self._refresh_tokens: dict[str, _MemoryRefreshToken] = {}
        self._failures: dict[str, tuple[int, dt.datetime]] = {}

    def _taken(self, user_id: str, *, username: str | None = None, email: str | None = None) -> AlreadyExists | None:
        for other in self._users.values():
            if other.user_id == user_id:
                continue
            if username is not None and username_key(other.username) == username_key(username):
                return AlreadyExists(f"the username {username!r} is taken", reason="USERNAME_TAKEN")
            if email is not None and email_key(other.email) == email_key(email):
                return AlreadyExists("an account with this email address exists", reason="EMAIL_TAKEN")
        return None

    async def create_user(self, user: User, password_hash: str) -> User:
        conflict = self._taken(user.user_id, username=user.username) or self._taken(user.user_id, email=user.email)
        if conflict is not None or user.user_id in self._users:
            raise conflict or AlreadyExists(f"user {user.user_id} exists")
        self._users[user.user_id] = user
        self._hashes[user.user_id] = password_hash
        return user

    async def get_user(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    async def find_login(self, login: str) -> tuple[User, str] | None:
        key = login.strip().lower()
        for user in self._users.values():
            if (email_key(user.email) if "@" in key else username_key(user.username)) == key:
                return user, self._hashes[user.user_id]
        return None

    async def find_login_by_id(self, user_id: str) -> tuple[User, str] | None:
        user = self._users.get(user_id)
        return None if user is None else (user, self._hashes[user_id])

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        if user_id in self._hashes:
            self._hashes[user_id] = password_hash

    async def signing_keys(self) -> list[SigningKey]:
        return sorted(self._keys, key=lambda k: k.create_time, reverse=True)

    async def add_signing_key(self, key: SigningKey, *, retire_others_at: dt.datetime) -> None:
        self._keys = [
            k if k.retire_time is not None else dataclasses.replace(k, retire_time=retire_others_at) for k in self._keys
        ]
        self._keys.append(dataclasses.replace(key, retire_time=None))

    async def create_session(self, session_id: str, user_id: str, now: dt.datetime) -> None:
        self._sessions[session_id] = _MemorySession(user_id)

    async def add_refresh_token(
        self, token_hash: str, session_id: str, now: dt.datetime, expire_time: dt.datetime
    ) -> None:
        self._refresh_tokens[token_hash] = _MemoryRefreshToken(session_id, expire_time)

    async def find_refresh_token(self, token_hash: str) -> RefreshRecord | None:
        token = self._refresh_tokens.get(token_hash)
        if token is None:
            return None
        session = self._sessions[token.session_id]
        return RefreshRecord(
            session_id=token.session_id,
            user_id=session.user_id,
            expire_time=token.expire_time,
            use_time=token.use_time,
            session_revoked=session.revoked,
        )

    async def spend_refresh_token(self, token_hash: str, now: dt.datetime) -> bool:
        token = self._refresh_tokens.get(token_hash)
        if token is None or token.use_time is not None:
            return False
        token.use_time = now
        return True

    async def revoke_session(self, session_id: str, reason: str, now: dt.datetime) -> None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.revoked = True

    async def revoke_user_sessions(self, user_id: str, reason: str, now: dt.datetime) -> None:
        for session in self._sessions.values():
            if session.user_id == user_id:
                session.revoked = True

    async def session_revoked(self, session_id: str) -> bool:
        session = self._sessions.get(session_id)
        return session is None or session.revoked

    async def update_profile(self, user_id: str, changes: dict[str, str], now: dt.datetime) -> User | None:
        user = self._users.get(user_id)
        if user is None:
            return None
        if "email" in changes:
            conflict = self._taken(user_id, email=changes["email"])
            if conflict is not None:
                raise conflict
        updated = dataclasses.replace(user, **changes, update_time=now)  # type: ignore[arg-type]
        self._users[user_id] = updated
        return updated

    async def set_role(self, user_id: str, role: Role, now: dt.datetime) -> User | None:
        user = self._users.get(user_id)
        if user is None:
            return None
        self._users[user_id] = updated = dataclasses.replace(user, role=role, update_time=now)
        return updated

    async def list_users(self, role: Role | None, limit: int, cursor: tuple[dt.datetime, str] | None) -> UserPage:
        users = sorted(self._users.values(), key=lambda u: (u.create_time, u.user_id), reverse=True)
        if role is not None:
            users = [u for u in users if u.role is role]
        if cursor is not None:
            users = [u for u in users if (u.create_time, u.user_id) < cursor]
        page = users[:limit]
        more = len(users) > limit
        return UserPage(page, (page[-1].create_time, page[-1].user_id) if more and page else None)

    async def any_admin(self) -> bool:
        return any(u.role is Role.ADMIN for u in self._users.values())

    async def login_failures(self, key: str, window_start: dt.datetime) -> tuple[int, dt.datetime]:
        failures, started = self._failures.get(key, (0, window_start))
        if started < window_start:
            return 0, window_start
        return failures, started

    async def add_login_failure(self, key: str, now: dt.datetime, window_start: dt.datetime) -> int:
        failures, started = self._failures.get(key, (0, now))
        if started < window_start:
            failures, started = 0, now
        self._failures[key] = (failures + 1, started)
        return failures + 1

    async def clear_login_failures(self, key: str) -> None:
        self._failures.pop(key, None)
