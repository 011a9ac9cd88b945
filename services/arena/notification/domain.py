"""The notification service's rules: what a notification is, who gets it on which channel, how
deliveries are retried, which webhook addresses are refused, how payloads are signed and emails rendered.

Pure: the standard library and ``arena.core`` only (no I/O, no protobuf, no SQL).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import hashlib
import hmac
import html
import ipaddress
import json
import random
import urllib.parse
from collections.abc import Iterable, Mapping

from arena.core.errors import FieldViolation, InvalidArgument

TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 2000
LINK_MAX_LENGTH = 500
KEY_MAX_LENGTH = 200
USER_ID_MAX_LENGTH = 64
URL_MAX_LENGTH = 2000
MARK_READ_MAX_IDS = 100
WEBHOOKS_PER_OWNER = 10


class Kind(enum.Enum):
    """What a notification is about (values are the contract's ``NotificationKind`` numbers)."""

    SUBMISSION_JUDGED = 1
    CONTEST_REMINDER = 2
    CONTEST_RESULT = 3
    ANNOUNCEMENT = 4
    SECURITY = 5
    CLARIFICATION_ANSWERED = 6


class Channel(enum.Enum):
    """Where a notification goes besides webhooks (values are the contract's ``Channel`` numbers)."""

    IN_APP = 1
    EMAIL = 2


class DeliveryState(enum.Enum):
    PENDING = 1
    DELIVERED = 2
    FAILED = 3


class DeliveryChannel(enum.Enum):
    EMAIL = "EMAIL"
    WEBHOOK = "WEBHOOK"


EMAIL_BY_DEFAULT = frozenset({Kind.CONTEST_REMINDER, Kind.CONTEST_RESULT, Kind.ANNOUNCEMENT, Kind.SECURITY})
"""Kinds emailed unless the user says otherwise; a verdict or an answer is seen in the app, not the inbox."""


@dataclasses.dataclass(frozen=True)
class NewNotification:
    user_id: str
    kind: Kind
    title: str
    body: str
    link: str
    idempotency_key: str


@dataclasses.dataclass(frozen=True)
class Notification:
    notification_id: str
    user_id: str
    kind: Kind
    title: str
    body: str
    link: str
    create_time: dt.datetime
    sequence: int
    """Position among the recipient's notifications: 1, 2, 3... in commit order."""
    read_time: dt.datetime | None = None
    in_app: bool = True
    """False when the user turned the kind off in-app and it exists only for its email or webhooks."""

    @property
    def read(self) -> bool:
        return self.read_time is not None


def validate_new(new: NewNotification) -> None:
    """Raises InvalidArgument naming every bad field of a notification to send."""
    problems: list[tuple[str, str]] = []
    if not new.user_id.strip():
        problems.append(("user_id", "is required"))
    elif len(new.user_id) > USER_ID_MAX_LENGTH:
        problems.append(("user_id", f"must be at most {USER_ID_MAX_LENGTH} characters"))
    if not new.title.strip():
        problems.append(("title", "is required"))
    elif len(new.title) > TITLE_MAX_LENGTH:
        problems.append(("title", f"must be at most {TITLE_MAX_LENGTH} characters"))
    if len(new.body) > BODY_MAX_LENGTH:
        problems.append(("body", f"must be at most {BODY_MAX_LENGTH} characters"))
    if len(new.link) > LINK_MAX_LENGTH:
        problems.append(("link", f"must be at most {LINK_MAX_LENGTH} characters"))
    elif new.link and not (new.link.startswith("/") and not new.link.startswith("//")):
        problems.append(("link", "must be a relative link into the app, such as /submissions/123"))
    if not new.idempotency_key.strip():
        problems.append(("idempotency_key", "is required"))
    elif len(new.idempotency_key) > KEY_MAX_LENGTH:
        problems.append(("idempotency_key", f"must be at most {KEY_MAX_LENGTH} characters"))
    if problems:
        raise InvalidArgument(
            "; ".join(f"{f}: {d}" for f, d in problems), violations=[FieldViolation(f, d) for f, d in problems]
        )


# -- preferences --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Preferences:
    """A user's choices. ``overrides`` hold only the (kind, channel) pairs the user set; the rest are defaults."""

    muted: frozenset[Kind] = frozenset()
    email_enabled: bool = True
    overrides: Mapping[tuple[Kind, Channel], bool] = dataclasses.field(default_factory=dict)

    def channel_enabled(self, kind: Kind, channel: Channel) -> bool:
        """Whether the (kind, channel) pair is on, before muting and the email switch."""
        found = self.overrides.get((kind, channel))
        if found is not None:
            return found
        return channel is Channel.IN_APP or kind in EMAIL_BY_DEFAULT

    def wants(self, kind: Kind, channel: Channel) -> bool:
        """Whether a notification of ``kind`` goes out on ``channel``."""
        if kind is Kind.SECURITY and channel is Channel.IN_APP:
            return True
        if kind in self.muted:
            return False
        if channel is Channel.EMAIL and not self.email_enabled:
            return False
        return self.channel_enabled(kind, channel)

    def matrix(self) -> list[tuple[Kind, Channel, bool]]:
        """Every (kind, channel) pair with its setting, for GetPreferences."""
        return [(k, c, self.channel_enabled(k, c)) for k in Kind for c in Channel]


def updated_preferences(
    current: Preferences,
    *,
    muted: Iterable[Kind] | None = None,
    email_enabled: bool | None = None,
    settings: Iterable[tuple[Kind, Channel, bool]] | None = None,
) -> Preferences:
    """``current`` with the given parts changed; SECURITY cannot be muted or turned off in-app."""
    new_muted = current.muted if muted is None else frozenset(muted)
    if Kind.SECURITY in new_muted:
        raise InvalidArgument.field(
            "preferences.muted_kinds", "SECURITY cannot be muted", reason="SECURITY_NOT_MUTABLE"
        )
    overrides = dict(current.overrides)
    for kind, channel, enabled in settings or ():
        if kind is Kind.SECURITY and channel is Channel.IN_APP and not enabled:
            raise InvalidArgument.field(
                "preferences.channel_settings", "SECURITY cannot be turned off in-app", reason="SECURITY_NOT_MUTABLE"
            )
        overrides[(kind, channel)] = enabled
    return Preferences(
        muted=new_muted,
        email_enabled=current.email_enabled if email_enabled is None else email_enabled,
        overrides=overrides,
    )


# -- webhooks -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Webhook:
    webhook_id: str
    owner_id: str
    url: str
    kinds: frozenset[Kind]
    """Empty: every kind."""
    secret: str
    all_users: bool
    create_time: dt.datetime
    failing: bool = False
    last_error: str = ""

    def wants(self, notification: Notification | NewNotification, preferences: Preferences) -> bool:
        """Whether this webhook receives the notification: its kind is subscribed and, for the
        recipient's own webhooks, not muted by them (a platform-wide one ignores users' mutes)."""
        if self.kinds and notification.kind not in self.kinds:
            return False
        if self.all_users:
            return True
        return notification.user_id == self.owner_id and notification.kind not in preferences.muted


def new_secret(raw: bytes) -> str:
    """A Standard Webhooks secret from 24+ random bytes: ``whsec_`` and base64."""
    return "whsec_" + base64.b64encode(raw).decode()


def sign(secret: str, message_id: str, timestamp_s: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: ``v1,`` and base64 of HMAC-SHA256 over ``id.timestamp.body``
    keyed by the secret's decoded bytes (the Standard Webhooks spec)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp_s}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def webhook_payload(notification: Notification, now: dt.datetime) -> bytes:
    """The JSON body of a delivery: ``type``, ``timestamp`` and ``data`` (the Standard Webhooks shape)."""
    return json.dumps(
        {
            "type": f"notification.{notification.kind.name.lower()}",
            "timestamp": now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "data": {
                "notification_id": notification.notification_id,
                "user_id": notification.user_id,
                "kind": notification.kind.name,
                "title": notification.title,
                "body": notification.body,
                "link": notification.link,
                "create_time": notification.create_time.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            },
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


@dataclasses.dataclass(frozen=True)
class Target:
    """A webhook URL taken apart: what to resolve and connect to."""

    scheme: str
    host: str
    port: int


def parse_webhook_url(url: str, field: str = "webhook.url") -> Target:
    """The URL's scheme, host and port; InvalidArgument when it is not an absolute http(s) URL."""
    if not url:
        raise InvalidArgument.field(field, "is required")
    if len(url) > URL_MAX_LENGTH:
        raise InvalidArgument.field(field, f"must be at most {URL_MAX_LENGTH} characters")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidArgument.field(field, f"is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidArgument.field(field, "must be an http or https URL", reason="WEBHOOK_URL_FORBIDDEN")
    if not parts.hostname:
        raise InvalidArgument.field(field, "must name a host")
    if parts.username or parts.password:
        raise InvalidArgument.field(field, "must not carry credentials", reason="WEBHOOK_URL_FORBIDDEN")
    return Target(parts.scheme, parts.hostname.lower().rstrip("."), port or (443 if parts.scheme == "https" else 80))


_METADATA = (
    ipaddress.ip_network("169.254.0.0/16"),  # link-local, incl. 169.254.169.254 (AWS, GCP, Azure)
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS IMDS over IPv6
)


def forbidden_address(address: str) -> str | None:
    """Why a webhook may not connect to ``address`` (an IP literal), or None when it may."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in _METADATA if net.version == ip.version):
        return f"{ip} is a link-local or cloud metadata address"
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return f"{ip} is a private, link-local or reserved address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return f"{ip} is a shared (carrier-grade NAT) address"
    return None


# -- retries ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n (1-based) failed → wait about first·2^(n-1), capped,
    each delay drawn from [½, 1] of that (so many failures at once do not retry in step)."""

    first_s: float = 30.0
    max_s: float = 3600.0
    max_attempts: int = 15
    """30 s, 1, 2, 4... minutes, then hourly: four to eight hours of tries (with jitter) before a delivery fails."""

    def delay(self, attempts: int, rng: random.Random) -> dt.timedelta:
        base = min(self.max_s, self.first_s * 2 ** min(attempts - 1, 30))
        return dt.timedelta(seconds=base * (0.5 + rng.random() * 0.5))

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


@dataclasses.dataclass(frozen=True)
class Delivery:
    """One notification's way out on one channel (an email, or one webhook)."""

    delivery_id: str
    channel: DeliveryChannel
    notification_id: str
    user_id: str
    webhook_id: str | None
    kind: Kind
    state: DeliveryState
    attempt_count: int
    next_attempt_time: dt.datetime
    last_error: str
    create_time: dt.datetime


@dataclasses.dataclass(frozen=True)
class Attempt:
    attempt_time: dt.datetime
    status_code: int
    error: str
    duration_ms: int


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one attempt came to: delivered, or failed (``permanent``: retrying cannot help)."""

    delivered: bool
    status_code: int = 0
    error: str = ""
    permanent: bool = False


# -- what the store hands out ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Inbox:
    last_sequence: int
    unread_count: int


@dataclasses.dataclass(frozen=True)
class PlannedDelivery:
    """A delivery to create with a notification."""

    delivery_id: str
    channel: DeliveryChannel
    webhook_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Claimed:
    """A delivery taken for one attempt, with what it delivers."""

    delivery: Delivery
    notification: Notification
    webhook: Webhook | None


@dataclasses.dataclass(frozen=True)
class DeliveryRecord:
    """A delivery as its owner sees it: with every attempt."""

    delivery: Delivery
    attempts: tuple[Attempt, ...]


# -- email --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Contact:
    user_id: str
    display_name: str
    email: str


@dataclasses.dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


_TEXT = """Hello {name},

{title}

{body}
{link_line}
--
You get this email because of your Arena notification settings.
Change them at {base_url}/settings/notifications
"""

_HTML = """<!doctype html>
<html><body style="font-family: sans-serif">
<p>Hello {name},</p>
<h2>{title}</h2>
<p>{body}</p>
{link_html}<hr>
<p style="color: #666; font-size: small">You get this email because of your Arena notification settings.
<a href="{base_url}/settings/notifications">Change them</a>.</p>
</body></html>
"""


def render_email(notification: Notification, contact: Contact, base_url: str) -> Email:
    """The email of a notification, as plain text and HTML (user text escaped in the HTML)."""
    base = base_url.rstrip("/")
    link = f"{base}{notification.link}" if notification.link else ""
    text = _TEXT.format(
        name=contact.display_name,
        title=notification.title,
        body=notification.body,
        link_line=f"\n{link}\n" if link else "",
        base_url=base,
    )
    e = html.escape
    page = _HTML.format(
        name=e(contact.display_name),
        title=e(notification.title),
        body=e(notification.body).replace("\n", "<br>"),
        link_html=f'<p><a href="{e(link)}">Open in Arena</a></p>\n' if link else "",
        base_url=e(base),
    )
    return Email(subject=f"[Arena] {notification.title}", text=text, html=page)
