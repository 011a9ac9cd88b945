"""The user service's storage: a Store protocol and its SQLAlchemy 2 implementation.

Uniqueness (case-insensitive username and email) is enforced by the database, so two
concurrent registrations of one name cannot both succeed on SQLite or PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
from typing import Protocol

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
    public_jwk: Mapped[dict] = mapped_column(sa.JSON())
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
    async def create_user(self, user: User, password_hash: str) -> User: ...
    async def get_user(self, user_id: str) -> User | None: ...
    async def find_login(self, login: str) -> tuple[User, str] | None: ...
    async def set_password_hash(self, user_id: str, password_hash: str) -> None: ...
    async def signing_keys(self) -> list[SigningKey]: ...
    async def add_signing_key(self, key: SigningKey, *, retire_others_at: dt.datetime) -> None: ...
    async def create_session(self, session_id: str, user_id: str, now: dt.datetime) -> None: ...
    async def add_refresh_token(
        self, token_hash: str, session_id: str, now: dt.datetime, expire_time: dt.datetime
    ) -> None: ...
    async def find_refresh_token(self, token_hash: str) -> RefreshRecord | None: ...
    async def spend_refresh_token(self, token_hash: str, now: dt.datetime) -> bool: ...
    async def revoke_session(self, session_id: str, reason: str, now: dt.datetime) -> None: ...
    async def revoke_user_sessions(self, user_id: str, reason: str, now: dt.datetime) -> None: ...
    async def session_revoked(self, session_id: str) -> bool: ...
    async def update_profile(self, user_id: str, changes: dict[str, str], now: dt.datetime) -> User | None: ...
    async def set_role(self, user_id: str, role: Role, now: dt.datetime) -> User | None: ...
    async def list_users(self, role: Role | None, limit: int, cursor: tuple[dt.datetime, str] | None) -> UserPage: ...
    async def any_admin(self) -> bool: ...
    async def login_failures(self, key: str, window_start: dt.datetime) -> tuple[int, dt.datetime]: ...
    async def find_login_by_id(self, user_id: str) -> tuple[User, str] | None: ...
    async def add_login_failure(self, key: str, now: dt.datetime, window_start: dt.datetime) -> int:
        """Counts one failure in the key's current window (a stale window restarts); returns the count.

        One atomic UPDATE (or upsert) per failure, so concurrent failures are not lost.
        """
        async with self._sessions.begin() as session:
            counted = await session.scalar(
                sa.update(LoginFailureRow)
                .where(LoginFailureRow.key == key, LoginFailureRow.window_start >= window_start)
                .values(failures=LoginFailureRow.failures + 1)
                .returning(LoginFailureRow.failures)
            )
            if counted is not None:
                return counted
            insert = upsert_statement(session.bind.dialect.name, LoginFailureRow)
            await session.execute(
                insert.values(key=key, window_start=now, failures=1).on_conflict_do_update(
                    index_elements=[LoginFailureRow.key], set_={"window_start": now, "failures": 1}
                )
            )
            return 1

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
            result = await session.execute(
                sa.update(RefreshTokenRow)
                .where(RefreshTokenRow.token_hash == token_hash, RefreshTokenRow.use_time.is_(None))
                .values(use_time=now)
            )
        return result.rowcount == 1

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
        """Counts one failure in the key's current window (a stale window restarts); returns the count."""
        async with self._sessions.begin() as session:
            row = await session.get(LoginFailureRow, key, with_for_update=True)
            if row is None:
                session.add(LoginFailureRow(key=key, window_start=now, failures=1))
                try:
                    await session.flush()
                except IntegrityError:
                    # Another process inserted the same key first: count on its row.
                    await session.rollback()
                    return await self.add_login_failure(key, now, window_start)
                return 1
            if row.window_start < window_start:
                row.window_start, row.failures = now, 1
            else:
                row.failures += 1
            return row.failures

    async def clear_login_failures(self, key: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(sa.delete(LoginFailureRow).where(LoginFailureRow.key == key))
