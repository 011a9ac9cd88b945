"""Email over SMTP (aiosmtplib): STARTTLS or implicit TLS and AUTH when configured.

A 5xx reply (the server refuses the sender, the recipient or the message) fails the delivery for good;
anything else (4xx, connection refused, timeouts) is retried. Every attempt of one delivery carries the
same Message-ID, so a mail system that got an earlier attempt can tell it is the same message.
"""

from __future__ import annotations

import email.message
import email.utils
import ssl

import aiosmtplib

from arena.notification.domain import Contact, Email, Outcome
from arena.notification.settings import SmtpSettings

UNREACHABLE = (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError)


class SmtpMailer:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def message(self, delivery_id: str, to: Contact, content: Email) -> email.message.EmailMessage:
        message = email.message.EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = email.utils.formataddr((to.display_name, to.email))
        message["Subject"] = content.subject
        message["Message-ID"] = f"<{delivery_id}@arena.notification>"
        message["Date"] = email.utils.formatdate(localtime=False)
        message.set_content(content.text)
        message.add_alternative(content.html, subtype="html")
        return message

    async def send(self, delivery_id: str, to: Contact, content: Email) -> Outcome:
        s = self.settings
        try:
            errors, _reply = await aiosmtplib.send(
                self.message(delivery_id, to, content),
                hostname=s.host,
                port=s.port,
                use_tls=s.security == "tls",
                start_tls=s.security == "starttls",
                username=s.username or None,
                password=s.password or None,
                timeout=s.timeout_s,
                cert_bundle=s.ca_file or None,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            return Outcome(
                False, codes[0] if codes else 0, f"recipient refused: {detail}", all(c >= 500 for c in codes)
            )
        except aiosmtplib.SMTPResponseException as exc:
            return Outcome(False, exc.code, f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500)
        except ssl.SSLError as exc:
            return Outcome(False, 0, f"TLS with the SMTP server failed: {exc}")
        except (
            aiosmtplib.SMTPConnectError,
            aiosmtplib.SMTPServerDisconnected,
            aiosmtplib.SMTPTimeoutError,
            OSError,
        ) as exc:
            return Outcome(False, 0, f"SMTP server unreachable: {type(exc).__name__}: {exc}")
        except aiosmtplib.SMTPException as exc:  # such as AUTH not offered: the settings and the server disagree
            return Outcome(False, 0, f"SMTP error: {exc}")
        if errors:
            detail = "; ".join(f"{rcpt}: {r.code} {r.message}" for rcpt, r in errors.items())
            return Outcome(False, 0, f"recipient refused: {detail}", permanent=True)
        return Outcome(True, 250)
