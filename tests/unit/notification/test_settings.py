"""The notification service's settings: email off by default, every variable checked."""

from __future__ import annotations

import pytest

from arena.kit.config import ConfigError
from arena.notification.settings import VARIABLES, load_notification_settings


def test_defaults_have_no_email_and_no_allowed_hosts() -> None:
    settings = load_notification_settings({})
    assert settings.smtp is None and settings.webhook_allowed_hosts == frozenset()
    assert (settings.retry_first_s, settings.retry_max_s, settings.max_attempts) == (30.0, 3600.0, 15)


def test_smtp_and_webhook_settings_are_read() -> None:
    settings = load_notification_settings(
        {
            "ARENA_NOTIFICATION_SMTP_HOST": "smtp.example.com",
            "ARENA_NOTIFICATION_SMTP_PORT": "465",
            "ARENA_NOTIFICATION_SMTP_SECURITY": "TLS",
            "ARENA_NOTIFICATION_SMTP_USERNAME": "arena",
            "ARENA_NOTIFICATION_SMTP_PASSWORD": "pw",
            "ARENA_NOTIFICATION_WEBHOOK_ALLOWED_HOSTS": "Hooks.Internal, localhost:9000",
            "ARENA_NOTIFICATION_MAX_ATTEMPTS": "3",
        }
    )
    assert settings.smtp is not None
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.security, settings.smtp.username) == (
        "smtp.example.com",
        465,
        "tls",
        "arena",
    )
    assert settings.webhook_allowed_hosts == frozenset({"hooks.internal", "localhost:9000"})
    assert settings.max_attempts == 3


@pytest.mark.parametrize(
    "env",
    [
        {"ARENA_NOTIFICATION_SMTP_HOST": "h", "ARENA_NOTIFICATION_SMTP_SECURITY": "ssl3"},
        {"ARENA_NOTIFICATION_SMTP_HOST": "h", "ARENA_NOTIFICATION_SMTP_PORT": "0"},
        {"ARENA_NOTIFICATION_MAX_ATTEMPTS": "many"},
        {"ARENA_NOTIFICATION_RETRY_FIRST_S": "-1"},
    ],
)
def test_bad_values_are_configuration_errors(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        load_notification_settings(env)


def test_every_variable_is_documented() -> None:
    assert all(name.startswith("ARENA_NOTIFICATION_") and text for name, text in VARIABLES.items())
