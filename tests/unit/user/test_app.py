"""The user service's use cases on the in-memory store: accounts, sessions, throttling, keys.

The SQL stores keep the same contract (tests/integration/db/test_user_store.py), so these run
fast and without a database, as Cosmic Python tests its service layer against fakes.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from arena.kit.auth import Identity
from arena.kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
)
from arena.user.app import ThrottlePolicy, UserApp
from arena.user.domain import Role
from arena.user.passwords import HashParameters, Passwords
from arena.user.store import InMemoryUserStore
from arena.user.tokens import TokenSettings

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(clock: Clock) -> UserApp:
    app = UserApp(
        InMemoryUserStore(),
        Passwords(HashParameters(time_cost=1, memory_cost_kib=1024)),
        TokenSettings(issuer="arena-test", audience="arena"),
        throttle=ThrottlePolicy(max_account_failures=3, max_address_failures=5),
        clock=clock,
    )
    await app.ensure_signing_key()
    return app


def identity_of(user, *roles: str) -> Identity:
    return Identity(user.user_id, user.username, frozenset(roles or {"USER"}), "t", "s", 9e9)


async def test_registration_validates_every_field(app: UserApp):
    with pytest.raises(InvalidArgument) as caught:
        await app.register("a", "not-an-email", "short", "")
    assert {v.field for v in caught.value.violations} == {"username", "email", "password"}


@pytest.mark.parametrize("password", ["1234567890", "aaaaaaaaaaaa", "alice-is-great-1"])
async def test_weak_passwords_are_refused(app: UserApp, password: str):
    with pytest.raises(InvalidArgument) as caught:
        await app.register("alice", "alice@example.com", password, "")
    assert caught.value.reason == "WEAK_PASSWORD"


async def test_usernames_and_emails_are_unique_case_insensitively(app: UserApp):
    await app.register("Alice", "alice@example.com", PASSWORD, "")
    with pytest.raises(AlreadyExists) as caught:
        await app.register("alice", "other@example.com", PASSWORD, "")
    assert caught.value.reason == "USERNAME_TAKEN"
    with pytest.raises(AlreadyExists) as caught:
        await app.register("bob", "ALICE@example.com", PASSWORD, "")
    assert caught.value.reason == "EMAIL_TAKEN"


async def test_concurrent_registrations_of_one_name_give_one_account(app: UserApp):
    results = await asyncio.gather(
        *(app.register("carol", f"carol{i}@example.com", PASSWORD, "") for i in range(5)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, AlreadyExists) for r in results if isinstance(r, Exception))


async def test_login_by_username_or_email_issues_verifiable_tokens(app: UserApp):
    await app.register("alice", "alice@example.com", PASSWORD, "")
    for login in ("alice", "ALICE@example.com"):
        user, session = await app.login(login, PASSWORD)
        claims = await app.validate_token(session.access.token)
        assert claims.user_id == user.user_id and claims.roles == {"USER"}


async def test_wrong_password_and_unknown_user_look_the_same(app: UserApp):
    await app.register("alice", "alice@example.com", PASSWORD, "")
    errors = []
    for login in ("alice", "nobody"):
        with pytest.raises(Unauthenticated) as caught:
            await app.login(login, "wrong password!")
        errors.append((caught.value.reason, caught.value.message))
    assert errors[0] == errors[1] == ("INVALID_CREDENTIALS", "wrong username or password")


async def test_failed_logins_throttle_the_account_then_the_window_passes(app: UserApp, clock: Clock):
    await app.register("alice", "alice@example.com", PASSWORD, "")
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            await app.login("alice", "wrong password!")
    with pytest.raises(ResourceExhausted) as caught:
        await app.login("alice", PASSWORD)  # even the right password waits
    assert caught.value.reason == "LOGIN_THROTTLED" and caught.value.retry_after_s > 0
    clock.advance(minutes=16)
    await app.login("alice", PASSWORD)


async def test_failed_logins_throttle_the_client_address(app: UserApp):
    for i in range(5):
        with pytest.raises(Unauthenticated):
            await app.login(f"user{i}", "wrong password!", client_address="10.0.0.9")
    with pytest.raises(ResourceExhausted):
        await app.login("someone-else", "wrong password!", client_address="10.0.0.9")
    with pytest.raises(Unauthenticated):  # another address is not affected
        await app.login("someone-else", "wrong password!", client_address="10.0.0.10")


async def test_refresh_rotates_and_reuse_revokes_the_family(app: UserApp):
    await app.register("alice", "alice@example.com", PASSWORD, "")
    _, first = await app.login("alice", PASSWORD)
    _, second = await app.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(Unauthenticated) as caught:
        await app.refresh(first.refresh_token)  # stolen copy replayed
    assert caught.value.reason == "REFRESH_TOKEN_REUSED"
    with pytest.raises(Unauthenticated) as caught:
        await app.refresh(second.refresh_token)  # the family is gone too
    assert caught.value.reason == "REFRESH_TOKEN_INVALID"
    with pytest.raises(Unauthenticated):
        await app.validate_token(second.access.token)


async def test_concurrent_refreshes_of_one_token_issue_at_most_one_pair(app: UserApp):
    await app.register("alice", "alice@example.com", PASSWORD, "")
    _, session = await app.login("alice", PASSWORD)
    results = await asyncio.gather(*(app.refresh(session.refresh_token) for _ in range(4)), return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) <= 1


async def test_logout_revokes_the_family(app: UserApp):
    await app.register("alice", "alice@example.com", PASSWORD, "")
    _, session = await app.login("alice", PASSWORD)
    _, rotated = await app.refresh(session.refresh_token)
    await app.logout(rotated.refresh_token)
    with pytest.raises(Unauthenticated):
        await app.refresh(rotated.refresh_token)
    await app.logout(rotated.refresh_token)  # idempotent


async def test_password_change_needs_the_old_one_and_ends_every_session(app: UserApp):
    user = await app.register("alice", "alice@example.com", PASSWORD, "")
    _, session = await app.login("alice", PASSWORD)
    with pytest.raises(PermissionDenied) as caught:
        await app.change_password(identity_of(user), user.user_id, "not the password", "a brand new secret")
    assert caught.value.reason == "WRONG_PASSWORD"
    await app.change_password(identity_of(user), user.user_id, PASSWORD, "a brand new secret")
    with pytest.raises(Unauthenticated):
        await app.refresh(session.refresh_token)
    await app.login("alice", "a brand new secret")


async def test_profile_updates_are_limited_to_owner_fields(app: UserApp):
    user = await app.register("alice", "alice@example.com", PASSWORD, "")
    other = await app.register("bob", "bob@example.com", PASSWORD, "")
    updated = await app.update_profile(
        identity_of(user), user.user_id, {"display_name": " Alice A. ", "country_code": "fr"}
    )
    assert (updated.display_name, updated.country_code) == ("Alice A.", "FR")
    with pytest.raises(InvalidArgument) as caught:
        await app.update_profile(identity_of(user), user.user_id, {"role": "ROLE_ADMIN"})
    assert caught.value.reason == "INVALID_UPDATE_MASK"
    with pytest.raises(PermissionDenied):
        await app.update_profile(identity_of(user), other.user_id, {"bio": "hacked"})


async def test_roles_are_set_by_admins_and_end_sessions(app: UserApp):
    await app.ensure_admin("root", "root@example.com", "admin password 123")
    admin, _ = await app.login("root", "admin password 123")
    assert admin.role is Role.ADMIN
    user = await app.register("alice", "alice@example.com", PASSWORD, "")
    _, session = await app.login("alice", PASSWORD)
    promoted = await app.set_role(identity_of(admin, "USER", "SETTER", "ADMIN"), user.user_id, Role.SETTER)
    assert promoted.role is Role.SETTER
    with pytest.raises(Unauthenticated):
        await app.refresh(session.refresh_token)
    with pytest.raises(FailedPrecondition):
        await app.set_role(identity_of(admin, "ADMIN"), admin.user_id, Role.USER)


async def test_two_instances_starting_together_both_ensure_the_same_admin(app: UserApp):
    # Both see no admin yet; the second one's registration meets the first one's row.
    await app.register("root", "root@example.com", "admin password 123", "")
    original = app.store.find_login
    calls = 0

    async def first_misses(username: str):
        nonlocal calls
        calls += 1
        return None if calls == 1 else await original(username)

    app.store.find_login = first_misses  # type: ignore[method-assign]
    await app.ensure_admin("root", "root@example.com", "admin password 123")
    app.store.find_login = original  # type: ignore[method-assign]
    admin, _ = await app.login("root", "admin password 123")
    assert admin.role is Role.ADMIN


async def test_rotated_keys_stay_published_until_their_tokens_expire(app: UserApp, clock: Clock):
    await app.register("alice", "alice@example.com", PASSWORD, "")
    _, session = await app.login("alice", PASSWORD)
    old_kid = (await app.published_keys())[0].kid
    new = await app.rotate_signing_key()
    kids = [k.kid for k in await app.published_keys()]
    assert kids[0] == new.kid and old_kid in kids
    assert (await app.validate_token(session.access.token)).user_id  # still verifiable
    clock.advance(minutes=20)
    assert [k.kid for k in await app.published_keys()] == [new.kid]


async def test_keys_rotate_on_schedule(app: UserApp, clock: Clock):
    first = (await app.published_keys())[0].kid
    await app.ensure_signing_key()
    assert (await app.published_keys())[0].kid == first
    clock.advance(days=31)
    await app.ensure_signing_key()
    assert (await app.published_keys())[0].kid != first


async def test_the_published_keys_read_fresh_include_a_key_another_instance_created(app: UserApp, clock: Clock):
    # Two instances on one store (as ARENA_INSTANCES=2 starts them): the other creates a key after this
    # one read its keys. The JWKS other services fetch (fresh) has it at once; the cached view does not.
    other = UserApp(app.store, app.passwords, app.settings, clock=clock)
    created = await other.rotate_signing_key()
    assert created.kid not in [k.kid for k in await app.published_keys()]
    assert created.kid in [k.kid for k in await app.published_keys(fresh=True)]
    await other.register("bob", "bob@example.com", PASSWORD, "")
    _, session = await other.login("bob", PASSWORD)
    assert (await app.validate_token(session.access.token)).user_id  # an unknown kid makes it read again
