"""The channels against real servers: SMTP (aiosmtpd) and an HTTP receiver; SSRF refusals."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import time

import pytest
from standardwebhooks.webhooks import Webhook as ReferenceVerifier
from standardwebhooks.webhooks import WebhookVerificationError

from arena.core.errors import InvalidArgument
from arena.notification.domain import Contact, Email, Kind, Notification, render_email, webhook_payload
from arena.notification.mail import SmtpMailer
from arena.notification.settings import SmtpSettings
from arena.notification.webhooks import WebhookSender
from integration.notification.servers import Receiver, SmtpServer, self_signed
from support.ports import free_port

pytestmark = pytest.mark.timeout(60)

SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()
T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
NOTE = Notification("n1", "ann", Kind.CONTEST_RESULT, "Results are out", "You placed 3rd.", "/contests/c1", T0, 1)


def content() -> Email:
    return render_email(NOTE, Contact("ann", "Ann", "ann@example.com"), "http://arena.test")


async def test_an_email_reaches_the_smtp_server_as_text_and_html() -> None:
    with SmtpServer() as smtp:
        mailer = SmtpMailer(SmtpSettings("127.0.0.1", smtp.port, security="none", sender="Arena <arena@example.com>"))
        outcome = await mailer.send("d1", Contact("ann", "Ann", "ann@example.com"), content())
        assert outcome.delivered and outcome.status_code == 250
        [message] = smtp.box.messages
        assert message["To"] == "Ann <ann@example.com>" and message["Subject"] == "[Arena] Results are out"
        assert message["Message-ID"] == "<d1@arena.notification>"
        assert "http://arena.test/contests/c1" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "<h2>Results are out</h2>" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]


async def test_smtp_auth_when_configured() -> None:
    with SmtpServer(username="arena", password="s3cret") as smtp:  # plain: aiosmtpd warns AUTH without TLS
        good = SmtpMailer(SmtpSettings("127.0.0.1", smtp.port, security="none", username="arena", password="s3cret"))
        assert (await good.send("d1", Contact("ann", "Ann", "ann@example.com"), content())).delivered
        anonymous = SmtpMailer(SmtpSettings("127.0.0.1", smtp.port, security="none", timeout_s=3))
        outcome = await anonymous.send("d2", Contact("ann", "Ann", "ann@example.com"), content())
        assert not outcome.delivered and outcome.permanent and outcome.status_code == 530
        assert len(smtp.box.messages) == 1


async def test_starttls_with_the_configured_ca_and_auth(tmp_path) -> None:
    cert, key = self_signed(tmp_path)
    with SmtpServer(tls=(cert, key), username="arena", password="s3cret") as smtp:
        to = Contact("ann", "Ann", "ann@example.com")
        secure = SmtpSettings("127.0.0.1", smtp.port, security="starttls", username="arena", password="s3cret",
                              ca_file=str(cert), timeout_s=5)  # fmt: skip
        assert (await SmtpMailer(secure).send("d1", to, content())).delivered
        untrusted = await SmtpMailer(dataclasses.replace(secure, ca_file="")).send("d2", to, content())
        assert not untrusted.delivered and "certificate" in untrusted.error.lower()
        plain = await SmtpMailer(dataclasses.replace(secure, security="none")).send("d3", to, content())
        assert not plain.delivered and "STARTTLS" in plain.error  # the server offers AUTH only after STARTTLS
        assert len(smtp.box.messages) == 1
        assert smtp.box.envelopes[0].mail_from == "notifications@localhost"


async def test_a_refused_recipient_fails_for_good_and_a_busy_one_is_retried() -> None:
    with SmtpServer() as smtp:
        mailer = SmtpMailer(SmtpSettings("127.0.0.1", smtp.port, security="none"))
        refused = await mailer.send("d1", Contact("x", "X", "x@refused.example"), content())
        assert not refused.delivered and refused.permanent and "550" in refused.error
        busy = await mailer.send("d2", Contact("y", "Y", "y@busy.example"), content())
        assert not busy.delivered and not busy.permanent and "451" in busy.error
        assert smtp.box.messages == []


async def test_a_server_that_is_down_is_retried() -> None:
    mailer = SmtpMailer(SmtpSettings("127.0.0.1", free_port(), security="none", timeout_s=2))
    outcome = await mailer.send("d1", Contact("ann", "Ann", "ann@example.com"), content())
    assert not outcome.delivered and not outcome.permanent and "unreachable" in outcome.error


async def test_a_signed_delivery_verifies_with_the_reference_library() -> None:
    with Receiver() as receiver:
        sender = WebhookSender(allowed_hosts=frozenset({"127.0.0.1"}))
        body = webhook_payload(NOTE, T0)
        outcome = await sender.send(receiver.url, SECRET, "msg_d1", body)
        await sender.close()
    assert outcome.delivered and outcome.status_code == 200
    [got] = receiver.requests
    assert got.path == "/hooks/arena" and got.headers["webhook-id"] == "msg_d1"
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
    payload = ReferenceVerifier(SECRET).verify(got.body, got.headers)
    assert payload["data"]["title"] == "Results are out"
    with pytest.raises(WebhookVerificationError):
        ReferenceVerifier("whsec_" + base64.b64encode(b"o" * 32).decode()).verify(got.body, got.headers)


async def test_loopback_and_private_targets_are_refused_without_the_operators_allowance() -> None:
    with Receiver() as receiver:
        sender = WebhookSender()
        outcome = await sender.send(receiver.url, SECRET, "msg_1", b"{}")
        assert not outcome.delivered and outcome.permanent and "loopback" in outcome.error
        with pytest.raises(InvalidArgument) as caught:
            await sender.check(receiver.url)
        assert caught.value.reason == "WEBHOOK_URL_FORBIDDEN"
        await sender.close()
    assert receiver.requests == []


async def test_a_host_that_resolves_inside_is_refused_at_send_time_too() -> None:
    answers = {"hooks.example.com": ["93.184.215.14"]}

    async def resolver(host: str, port: int) -> list[str]:
        return answers[host]

    sender = WebhookSender(resolver=resolver)
    await sender.check("https://hooks.example.com/in")  # public at registration
    answers["hooks.example.com"] = ["93.184.215.14", "169.254.169.254"]  # rebinding to the metadata service
    outcome = await sender.send("https://hooks.example.com/in", SECRET, "msg_1", b"{}")
    assert not outcome.delivered and outcome.permanent and "metadata" in outcome.error
    await sender.close()


async def test_redirects_are_not_followed_big_bodies_are_capped_and_slow_endpoints_time_out() -> None:
    with Receiver() as receiver:
        sender = WebhookSender(allowed_hosts=frozenset({"127.0.0.1"}), timeout_s=0.5)
        receiver.statuses = [302]
        redirected = await sender.send(receiver.url, SECRET, "msg_1", b"{}")
        assert not redirected.delivered and redirected.status_code == 302 and "redirect" in redirected.error
        assert len(receiver.requests) == 1

        receiver.big_body = True
        started = time.monotonic()
        big = await sender.send(receiver.url, SECRET, "msg_2", b"{}")
        assert big.delivered and time.monotonic() - started < 5
        receiver.big_body = False

        receiver.delay_s = 2.0
        slow = await sender.send(receiver.url, SECRET, "msg_3", b"{}")
        assert not slow.delivered and not slow.permanent and "timed out" in slow.error
        receiver.statuses = [503]
        receiver.delay_s = 0
        failed = await sender.send(receiver.url, SECRET, "msg_4", b"{}")
        assert not failed.delivered and not failed.permanent and failed.status_code == 503
        await sender.close()
