"""The user service's own settings, read from the environment."""

from __future__ import annotations

from arena.user.settings import FirstAdmin, load_user_settings


def test_no_first_admin_unless_username_and_password_are_both_set():
    assert load_user_settings({}).first_admin is None
    assert load_user_settings({"ARENA_ADMIN_USERNAME": "root"}).first_admin is None


def test_the_first_admin_gets_a_default_email():
    settings = load_user_settings({"ARENA_ADMIN_USERNAME": "root", "ARENA_ADMIN_PASSWORD": "secret secret"})
    assert settings.first_admin == FirstAdmin("root", "secret secret", "root@arena.local")
