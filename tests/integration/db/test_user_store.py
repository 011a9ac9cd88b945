"""One contract for every UserStore: the in-memory fake, SQLite and PostgreSQL pass the same assertions.

The use-case tests (tests/unit/user/test_app.py) run on the in-memory store; this file is what
makes that trustworthy. It also holds the race the SQL stores must win: 50 concurrent wrong
passwords for one account are counted exactly 50 times, and the account is locked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest

from arena.core.errors import AlreadyExists, ResourceExhausted, Unauthenticated
from arena.kit.db import make_engine
from arena.user.app import ThrottlePolicy, UserApp
from arena.user.domain import Role, User
from arena.user.passwords import HashParameters, Passwords
from arena.user.store import InMemoryUserStore, SqlUserStore, UserStore
from arena.user.tokens import TokenSettings, generate_signing_key

pytestmark = pytest.mark.timeout(120)

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
WINDOW = dt.timedelta(minutes=15)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[UserStore]:
    if request.param == "memory":
        yield InMemoryUserStore()
        return
    if request.param == "postgres":
        url = request.getfixturevalue("postgres").create_database(f"user_{uuid.uuid4().hex[:12]}")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/user.db"
    engine = make_engine(url)
    sql = SqlUserStore(engine)
    await sql.migrate()
    yield sql
    await engine.dispose()


def user(name: str, *, minutes: int = 0, user_id: str | None = None, role: Role = Role.USER) -> User:
    when = T0 + dt.timedelta(minutes=minutes)
    return User(
        user_id=user_id or uuid.uuid4().hex,
        username=name,
        email=f"{name}@example.com",
        display_name=name.title(),
        bio="",
        country_code="",
        role=role,
        create_time=when,
        update_time=when,
    )


async def test_users_round_trip_and_are_found_by_name_or_email_case_insensitively(store: UserStore):
    alice = await store.create_user(user("Alice"), "hash-1")
    assert await store.get_user(alice.user_id) == alice
    assert await store.get_user("nobody") is None
    assert await store.find_login(" alice ") == (alice, "hash-1")
    assert await store.find_login("ALICE@example.com") == (alice, "hash-1")
    assert await store.find_login("bob") is None
    await store.set_password_hash(alice.user_id, "hash-2")
    assert await store.find_login_by_id(alice.user_id) == (alice, "hash-2")


async def test_usernames_and_emails_are_unique_even_under_concurrency(store: UserStore):
    await store.create_user(user("alice"), "h")
    with pytest.raises(AlreadyExists) as caught:
        await store.create_user(user("ALICE"), "h")
    assert caught.value.reason == "USERNAME_TAKEN"
    taken_email = user("bob")
    taken_email = User(**{**taken_email.__dict__, "email": "Alice@Example.com"})
    with pytest.raises(AlreadyExists) as caught:
        await store.create_user(taken_email, "h")
    assert caught.value.reason == "EMAIL_TAKEN"
    results = await asyncio.gather(
        *(store.create_user(User(**{**user("carol").__dict__, "email": f"c{i}@x.org"}), "h") for i in range(5)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, AlreadyExists) for r in results if isinstance(r, BaseException))


async def test_profile_changes_roles_and_admins(store: UserStore):
    alice = await store.create_user(user("alice"), "h")
    await store.create_user(user("bob"), "h")
    later = T0 + dt.timedelta(hours=1)
    updated = await store.update_profile(alice.user_id, {"display_name": "Al", "country_code": "FR"}, later)
    assert updated is not None and (updated.display_name, updated.country_code, updated.update_time) == (
        "Al",
        "FR",
        later,
    )
    assert await store.get_user(alice.user_id) == updated
    with pytest.raises(AlreadyExists) as caught:
        await store.update_profile(alice.user_id, {"email": "BOB@example.com"}, later)
    assert caught.value.reason == "EMAIL_TAKEN"
    assert await store.update_profile("nobody", {"bio": "x"}, later) is None
    assert not await store.any_admin()
    promoted = await store.set_role(alice.user_id, Role.ADMIN, later)
    assert promoted is not None and promoted.role is Role.ADMIN
    assert await store.any_admin()
    assert await store.set_role("nobody", Role.ADMIN, later) is None


async def test_users_are_listed_newest_first_in_pages(store: UserStore):
    made = [await store.create_user(user(f"user{i}", minutes=i), "h") for i in range(5)]
    await store.set_role(made[1].user_id, Role.SETTER, T0)
    first = await store.list_users(None, 2, None)
    assert [u.username for u in first.users] == ["user4", "user3"]
    second = await store.list_users(None, 2, first.next_cursor)
    third = await store.list_users(None, 2, second.next_cursor)
    assert [u.username for u in second.users + third.users] == ["user2", "user1", "user0"]
    assert third.next_cursor is None
    setters = await store.list_users(Role.SETTER, 10, None)
    assert [u.username for u in setters.users] == ["user1"] and setters.next_cursor is None


async def test_sessions_and_refresh_tokens(store: UserStore):
    alice = await store.create_user(user("alice"), "h")
    await store.create_session("s1", alice.user_id, T0)
    await store.create_session("s2", alice.user_id, T0)
    expires = T0 + dt.timedelta(days=30)
    await store.add_refresh_token("t1", "s1", T0, expires)
    record = await store.find_refresh_token("t1")
    assert record is not None
    assert (record.session_id, record.user_id, record.expire_time, record.use_time, record.session_revoked) == (
        "s1",
        alice.user_id,
        expires,
        None,
        False,
    )
    assert await store.find_refresh_token("unknown") is None
    spent = await asyncio.gather(*(store.spend_refresh_token("t1", T0) for _ in range(5)))
    assert sorted(spent) == [False, False, False, False, True]
    record = await store.find_refresh_token("t1")
    assert record is not None and record.use_time == T0
    assert not await store.session_revoked("s1")
    assert await store.session_revoked("never-created")
    await store.revoke_session("s1", "logout", T0)
    assert await store.session_revoked("s1") and not await store.session_revoked("s2")
    record = await store.find_refresh_token("t1")
    assert record is not None and record.session_revoked
    await store.revoke_user_sessions(alice.user_id, "password_changed", T0)
    assert await store.session_revoked("s2")


async def test_signing_keys_newest_first_and_older_ones_retired(store: UserStore):
    first = generate_signing_key(T0)
    second = generate_signing_key(T0 + dt.timedelta(days=30))
    await store.add_signing_key(first, retire_others_at=T0)
    await store.add_signing_key(second, retire_others_at=second.create_time)
    keys = await store.signing_keys()
    assert [k.kid for k in keys] == [second.kid, first.kid]
    assert keys[0].retire_time is None and keys[1].retire_time == second.create_time
    assert keys[0].public_jwk == second.public_jwk and keys[0].private_pem == second.private_pem


async def test_login_failures_count_in_a_window_and_clear(store: UserStore):
    assert await store.login_failures("k", T0 - WINDOW) == (0, T0 - WINDOW)
    assert await store.add_login_failure("k", T0, T0 - WINDOW) == 1
    later = T0 + dt.timedelta(minutes=1)
    assert await store.add_login_failure("k", later, later - WINDOW) == 2
    assert await store.login_failures("k", later - WINDOW) == (2, T0)
    # A stale window restarts at the failure's time.
    much_later = T0 + dt.timedelta(hours=1)
    assert await store.login_failures("k", much_later - WINDOW) == (0, much_later - WINDOW)
    assert await store.add_login_failure("k", much_later, much_later - WINDOW) == 1
    assert await store.login_failures("k", much_later - WINDOW) == (1, much_later)
    await store.clear_login_failures("k")
    assert await store.login_failures("k", much_later - WINDOW) == (0, much_later - WINDOW)


async def test_concurrent_login_failures_are_all_counted(store: UserStore):
    counts = await asyncio.gather(*(store.add_login_failure("k", T0, T0 - WINDOW) for _ in range(50)))
    assert sorted(counts) == list(range(1, 51))
    assert (await store.login_failures("k", T0 - WINDOW))[0] == 50


async def test_50_concurrent_wrong_passwords_count_exactly_50_and_lock_the_account(store: UserStore):
    app = UserApp(
        store,
        Passwords(HashParameters(time_cost=1, memory_cost_kib=1024)),
        TokenSettings(issuer="arena-test", audience="arena"),
        throttle=ThrottlePolicy(max_account_failures=50),
        clock=lambda: T0,
    )
    await app.ensure_signing_key()
    alice = await app.register("alice", "alice@example.com", "correct horse battery", "")
    results = await asyncio.gather(
        *(app.login("alice", f"wrong password {i}") for i in range(50)), return_exceptions=True
    )
    assert all(isinstance(r, Unauthenticated) for r in results), results
    found = await store.find_login("alice")
    assert found is not None and found[0] == alice
    from arena.user.domain import throttle_key

    assert (await store.login_failures(throttle_key("account", alice.user_id), T0 - WINDOW))[0] == 50
    with pytest.raises(ResourceExhausted) as caught:
        await app.login("alice", "correct horse battery")  # locked, as configured: even the right password waits
    assert caught.value.reason == "LOGIN_THROTTLED"
