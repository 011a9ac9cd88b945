"""Account rules, as pure functions: no store, no tokens, no protobuf."""

from __future__ import annotations

import pytest

from arena.core.errors import InvalidArgument
from arena.core.identity import Identity
from arena.user.domain import Role, may_see_private_fields, password_problem, throttle_key, validate_registration


def caller(user_id: str, *roles: str) -> Identity:
    return Identity(user_id, user_id, frozenset(roles or {"USER"}), "t", "s", 9e9)


def test_roles_grant_every_role_below_them():
    assert Role.USER.granted() == {"USER"}
    assert Role.ADMIN.granted() == {"USER", "SETTER", "ADMIN"}


def test_private_fields_are_for_the_owner_and_admins():
    assert may_see_private_fields(caller("u1"), "u1")
    assert may_see_private_fields(caller("root", "USER", "SETTER", "ADMIN"), "u1")
    assert not may_see_private_fields(caller("u2"), "u1")
    assert not may_see_private_fields(None, "u1")


def test_a_registration_lists_every_problem_at_once():
    with pytest.raises(InvalidArgument) as caught:
        validate_registration("a", "nope", "short", "")
    assert {v.field for v in caught.value.violations} == {"username", "email", "password"}
    clean = validate_registration("alice", " alice@example.com ", "correct horse battery", "  ")
    assert (clean.email, clean.display_name) == ("alice@example.com", "alice")


def test_passwords_must_be_long_uncommon_and_not_the_username():
    assert password_problem("short") is not None
    assert password_problem("qwertyuiop") == "is too common or too simple"
    assert password_problem("alice-rocks-2026", username="Alice") == "must not contain the username"
    assert password_problem("correct horse battery") is None


def test_throttle_keys_are_fixed_length_and_do_not_reveal_the_value():
    key = throttle_key("address", "10.0.0.9")
    assert key.startswith("address:") and "10.0.0.9" not in key and len(key) == len("address:") + 64
