"""The notification service's own settings: read once in ``__main__``, from ``ARENA_NOTIFICATION_`` variables.

Email is off unless ``ARENA_NOTIFICATION_SMTP_HOST`` names a server. Webhook URLs that resolve to
loopback, private, link-local or metadata addresses are refused unless their host is listed in
``ARENA_NOTIFICATION_WEBHOOK_ALLOWED_HOSTS`` (the operator's setting).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from arena.kit.config import ConfigError

VARIABLES: dict[str, str] = {
    "ARENA_NOTIFICATION_SMTP_HOST": "Notification service: SMTP server for emails (default empty: email off).",
    "ARENA_NOTIFICATION_SMTP_PORT": "Notification service: SMTP port (default 587).",
    "ARENA_NOTIFICATION_SMTP_SECURITY": "Notification service: `starttls` (default), `tls` (implicit TLS) or `none`.",
    "ARENA_NOTIFICATION_SMTP_USERNAME": "Notification service: SMTP login (default empty: no AUTH).",
    "ARENA_NOTIFICATION_SMTP_PASSWORD": "Notification service: SMTP password.",
    "ARENA_NOTIFICATION_SMTP_FROM": "Notification service: the From address "
    "(default `Arena <notifications@localhost>`).",
    "ARENA_NOTIFICATION_SMTP_CA_FILE": "Notification service: CA certificates (PEM) that verify the SMTP server's "
    "TLS certificate (default the system's).",
    "ARENA_NOTIFICATION_SMTP_TIMEOUT_S": "Notification service: SMTP connect and command timeout (default 10).",
    "ARENA_NOTIFICATION_APP_URL": "Notification service: base URL of links in emails (default http://localhost:8080).",
    "ARENA_NOTIFICATION_WEBHOOK_ALLOWED_HOSTS": "Notification service: comma-separated webhook hosts allowed "
    "even though they resolve to loopback or private addresses (default none).",
    "ARENA_NOTIFICATION_WEBHOOK_TIMEOUT_S": "Notification service: timeout of one webhook attempt (default 5).",
    "ARENA_NOTIFICATION_RETRY_FIRST_S": "Notification service: delay after a delivery's first failure (default 30; "
    "doubled after each, with jitter).",
    "ARENA_NOTIFICATION_RETRY_MAX_S": "Notification service: longest delay between attempts (default 3600).",
    "ARENA_NOTIFICATION_MAX_ATTEMPTS": "Notification service: attempts before a delivery fails (default 15).",
}

SECURITY_MODES = ("starttls", "tls", "none")


@dataclasses.dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = ""
    sender: str = "Arena <notifications@localhost>"
    timeout_s: float = 10.0
    ca_file: str = ""
    """PEM CA bundle that verifies the server's certificate; empty: the system's."""


@dataclasses.dataclass(frozen=True)
class NotificationSettings:
    smtp: SmtpSettings | None = None
    """None: email is off."""
    app_url: str = "http://localhost:8080"
    webhook_allowed_hosts: frozenset[str] = frozenset()
    webhook_timeout_s: float = 5.0
    retry_first_s: float = 30.0
    retry_max_s: float = 3600.0
    max_attempts: int = 15
    delivery_interval_s: float = 1.0
    """How often due deliveries are looked for when nothing wakes the worker."""
    heartbeat_s: float = 15.0
    """A quiet notification stream sends a heartbeat this often."""


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float, integer: bool = False) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a {'whole ' if integer else ''}number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {raw!r}")
    return value


def load_notification_settings(env: Mapping[str, str] | None = None) -> NotificationSettings:
    """Reads the notification service's settings from the environment."""
    env = os.environ if env is None else env
    smtp = None
    host = env.get("ARENA_NOTIFICATION_SMTP_HOST", "").strip()
    if host:
        security = env.get("ARENA_NOTIFICATION_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
        if security not in SECURITY_MODES:
            raise ConfigError(f"ARENA_NOTIFICATION_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}")
        smtp = SmtpSettings(
            host=host,
            port=int(_number(env, "ARENA_NOTIFICATION_SMTP_PORT", 587, minimum=1, integer=True)),
            security=security,
            username=env.get("ARENA_NOTIFICATION_SMTP_USERNAME", ""),
            password=env.get("ARENA_NOTIFICATION_SMTP_PASSWORD", ""),
            sender=env.get("ARENA_NOTIFICATION_SMTP_FROM", "") or SmtpSettings.sender,
            timeout_s=_number(env, "ARENA_NOTIFICATION_SMTP_TIMEOUT_S", 10.0, minimum=0.1),
            ca_file=env.get("ARENA_NOTIFICATION_SMTP_CA_FILE", ""),
        )
    hosts = frozenset(
        h.strip().lower() for h in env.get("ARENA_NOTIFICATION_WEBHOOK_ALLOWED_HOSTS", "").split(",") if h.strip()
    )
    return NotificationSettings(
        smtp=smtp,
        app_url=env.get("ARENA_NOTIFICATION_APP_URL", "") or NotificationSettings.app_url,
        webhook_allowed_hosts=hosts,
        webhook_timeout_s=_number(env, "ARENA_NOTIFICATION_WEBHOOK_TIMEOUT_S", 5.0, minimum=0.1),
        retry_first_s=_number(env, "ARENA_NOTIFICATION_RETRY_FIRST_S", 30.0, minimum=0.01),
        retry_max_s=_number(env, "ARENA_NOTIFICATION_RETRY_MAX_S", 3600.0, minimum=0.01),
        max_attempts=int(_number(env, "ARENA_NOTIFICATION_MAX_ATTEMPTS", 15, minimum=1, integer=True)),
    )
