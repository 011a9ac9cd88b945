"""The notification rules: validation, preferences per kind and channel, SSRF address checks, signing,
retry delays and email rendering."""

from __future__ import annotations

import base64
import datetime as dt
import random

import pytest
from standardwebhooks.webhooks import Webhook as ReferenceVerifier
from standardwebhooks.webhooks import WebhookVerificationError

from arena.core.errors import InvalidArgument
from arena.notification.domain import (
    Channel,
    Contact,
    Kind,
    NewNotification,
    Notification,
    Preferences,
    RetryPolicy,
    Webhook,
    forbidden_address,
    parse_webhook_url,
    render_email,
    sign,
    updated_preferences,
    validate_new,
    webhook_payload,
)

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def n(kind: Kind = Kind.SUBMISSION_JUDGED, user: str = "ann", **kw: object) -> Notification:
    fields: dict[str, object] = dict(
        notification_id="n1",
        user_id=user,
        kind=kind,
        title="Judged",
        body="ok",
        link="/submissions/1",
        create_time=T0,
        sequence=1,
    )
    fields.update(kw)
    return Notification(**fields)  # type: ignore[arg-type]


def test_bad_notifications_name_every_bad_field() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_new(NewNotification("", Kind.ANNOUNCEMENT, " ", "x" * 2001, "https://evil.example", ""))
    assert {v.field for v in caught.value.violations} == {"user_id", "title", "body", "link", "idempotency_key"}
    validate_new(NewNotification("ann", Kind.ANNOUNCEMENT, "Hi", "", "", "k"))  # minimal is fine
    with pytest.raises(InvalidArgument):
        validate_new(NewNotification("ann", Kind.ANNOUNCEMENT, "Hi", "", "//evil.example/x", "k"))


def test_default_preferences_show_everything_in_app_and_email_the_rare_kinds() -> None:
    p = Preferences()
    assert all(p.wants(k, Channel.IN_APP) for k in Kind)
    assert p.wants(Kind.CONTEST_REMINDER, Channel.EMAIL) and not p.wants(Kind.SUBMISSION_JUDGED, Channel.EMAIL)
    assert len(p.matrix()) == len(Kind) * len(Channel)


def test_muting_the_email_switch_and_overrides() -> None:
    p = updated_preferences(
        Preferences(),
        muted=[Kind.ANNOUNCEMENT],
        settings=[(Kind.SUBMISSION_JUDGED, Channel.EMAIL, True), (Kind.CONTEST_RESULT, Channel.IN_APP, False)],
    )
    assert not p.wants(Kind.ANNOUNCEMENT, Channel.IN_APP) and not p.wants(Kind.ANNOUNCEMENT, Channel.EMAIL)
    assert p.wants(Kind.SUBMISSION_JUDGED, Channel.EMAIL) and not p.wants(Kind.CONTEST_RESULT, Channel.IN_APP)
    off = updated_preferences(p, email_enabled=False)
    assert not off.wants(Kind.SUBMISSION_JUDGED, Channel.EMAIL) and off.channel_enabled(
        Kind.SUBMISSION_JUDGED, Channel.EMAIL
    )
    assert off.muted == p.muted  # untouched parts stay
    assert Preferences().wants(Kind.SECURITY, Channel.IN_APP)
    for bad in ({"muted": [Kind.SECURITY]}, {"settings": [(Kind.SECURITY, Channel.IN_APP, False)]}):
        with pytest.raises(InvalidArgument) as caught:
            updated_preferences(p, **bad)  # type: ignore[arg-type]
        assert caught.value.reason == "SECURITY_NOT_MUTABLE"


def test_webhooks_match_their_kinds_their_owner_and_the_owners_mutes() -> None:
    own = Webhook("w1", "ann", "https://x.example", frozenset({Kind.ANNOUNCEMENT}), "whsec_AA==", False, T0)
    platform = Webhook("w2", "admin", "https://x.example", frozenset(), "whsec_AA==", True, T0)
    assert own.wants(n(Kind.ANNOUNCEMENT), Preferences()) and not own.wants(n(Kind.SUBMISSION_JUDGED), Preferences())
    assert not own.wants(n(Kind.ANNOUNCEMENT, user="bob"), Preferences())
    assert not own.wants(n(Kind.ANNOUNCEMENT), Preferences(muted=frozenset({Kind.ANNOUNCEMENT})))
    assert platform.wants(n(Kind.ANNOUNCEMENT, user="bob"), Preferences(muted=frozenset({Kind.ANNOUNCEMENT})))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "100.64.0.1",
        "100.100.100.200",
        "fd00:ec2::254",
        "224.0.0.1",
    ],
)
def test_internal_addresses_are_forbidden(address: str) -> None:
    assert forbidden_address(address) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert forbidden_address(address) is None


def test_webhook_urls_are_parsed_strictly() -> None:
    assert parse_webhook_url("https://Hooks.Example.com./in?x=1").host == "hooks.example.com"
    assert parse_webhook_url("http://h.example:8080/").port == 8080
    for bad, reason in [
        ("ftp://h.example/", "WEBHOOK_URL_FORBIDDEN"),
        ("https://u:p@h.example/", "WEBHOOK_URL_FORBIDDEN"),
        ("", "VALIDATION_FAILED"),
        ("https:///path", "VALIDATION_FAILED"),
        ("http://h:99999/", "VALIDATION_FAILED"),
    ]:
        with pytest.raises(InvalidArgument) as caught:
            parse_webhook_url(bad)
        assert caught.value.reason == reason, bad


def test_signatures_verify_with_the_reference_library() -> None:
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    body = webhook_payload(n(), T0)
    timestamp_s = int(dt.datetime.now(dt.UTC).timestamp())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(timestamp_s),
        "webhook-signature": sign(secret, "msg_1", timestamp_s, body),
    }
    payload = ReferenceVerifier(secret).verify(body, headers)
    assert payload["type"] == "notification.submission_judged" and payload["data"]["notification_id"] == "n1"
    tampered = dict(headers, **{"webhook-signature": sign(secret, "msg_2", timestamp_s, body)})
    with pytest.raises(WebhookVerificationError):
        ReferenceVerifier(secret).verify(body, tampered)


def test_retry_delays_grow_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy()
    rng = random.Random(7)
    delays = [policy.delay(a, rng).total_seconds() for a in range(1, 15)]
    for attempt, delay in enumerate(delays, start=1):
        base = min(3600, 30 * 2 ** (attempt - 1))
        assert base / 2 <= delay <= base
    assert len({round(policy.delay(3, rng).total_seconds(), 3) for _ in range(20)}) > 10  # jittered
    assert sum(delays) > 4 * 3600  # retried over hours before the 15th attempt fails it
    assert policy.exhausted(15) and not policy.exhausted(14)


def test_emails_escape_user_text_in_html() -> None:
    email = render_email(
        n(title="<b>Bold</b> & co", body="line1\nline2"),
        Contact("ann", "Ann <3", "ann@example.com"),
        "https://arena.example/",
    )
    assert email.subject == "[Arena] <b>Bold</b> & co"
    assert "https://arena.example/submissions/1" in email.text and "line1\nline2" in email.text
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in email.html and "<b>Bold" not in email.html
    assert "Ann &lt;3" in email.html and "line1<br>line2" in email.html
