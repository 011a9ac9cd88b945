"""Webhook deliveries over HTTP(S): Standard Webhooks signatures, SSRF refusals, short timeouts.

The host is resolved here and every address it resolves to is checked (``domain.forbidden_address``)
before connecting, then the connection goes to the checked address (the Host header and TLS server
name keep the URL's host), so a DNS answer that changes between the check and the connection cannot
redirect a delivery inside the network. Redirects are not followed, response bodies are read up to a
cap, and every attempt has a short overall timeout.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import urllib.parse
from collections.abc import Awaitable, Callable

import httpx

from arena.core.errors import InvalidArgument
from arena.notification.domain import Outcome, Target, forbidden_address, parse_webhook_url, sign

Resolver = Callable[[str, int], Awaitable[list[str]]]

RESPONSE_BODY_CAP_BYTES = 4096
USER_AGENT = "Arena-Webhooks/1"


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Refused(Exception):
    """The URL may not be called; the message says why."""


class WebhookSender:
    def __init__(
        self,
        *,
        allowed_hosts: frozenset[str] = frozenset(),
        timeout_s: float = 5.0,
        resolver: Resolver = system_resolver,
        body_cap_bytes: int = RESPONSE_BODY_CAP_BYTES,
    ) -> None:
        self.allowed_hosts = allowed_hosts
        self.timeout_s = timeout_s
        self._resolve = resolver
        self._cap = body_cap_bytes
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
        )

    def _allowed(self, target: Target) -> bool:
        return target.host in self.allowed_hosts or f"{target.host}:{target.port}" in self.allowed_hosts

    async def address(self, target: Target) -> str:
        """The address to connect to; Refused when the host resolves to a forbidden one (or to none)."""
        try:
            addresses = await self._resolve(target.host, target.port)
        except OSError as exc:
            raise Refused(f"{target.host} does not resolve ({exc})") from None
        if not addresses:
            raise Refused(f"{target.host} does not resolve")
        if not self._allowed(target):
            for address in addresses:
                why = forbidden_address(address)
                if why is not None:
                    raise Refused(f"{target.host} resolves to {why}")
        return addresses[0]

    async def check(self, url: str, field: str = "webhook.url") -> None:
        """Raises InvalidArgument (WEBHOOK_URL_FORBIDDEN) for a URL deliveries would refuse."""
        target = parse_webhook_url(url, field)
        try:
            await self.address(target)
        except Refused as exc:
            raise InvalidArgument.field(field, str(exc), reason="WEBHOOK_URL_FORBIDDEN") from None

    async def send(
        self, url: str, secret: str, message_id: str, body: bytes, timestamp_s: int | None = None
    ) -> Outcome:
        """One signed POST of ``body``; the outcome says whether the endpoint took it (2xx)."""
        try:
            target = parse_webhook_url(url)
            address = await self.address(target)
        except (InvalidArgument, Refused) as exc:
            return Outcome(False, 0, f"refused: {exc}", permanent=True)
        parts = urllib.parse.urlsplit(url)
        literal = f"[{address}]" if ":" in address else address
        direct = urllib.parse.urlunsplit((parts.scheme, f"{literal}:{target.port}", parts.path or "/", parts.query, ""))
        host_header = parts.netloc.rsplit("@", 1)[-1]
        timestamp_s = int(time.time()) if timestamp_s is None else timestamp_s
        headers = {
            "host": host_header,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp_s),
            "webhook-signature": sign(secret, message_id, timestamp_s, body),
        }
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            async with asyncio.timeout(self.timeout_s):
                request = self._client.build_request(
                    "POST", direct, content=body, headers=headers, extensions=extensions
                )
                response = await self._client.send(request, stream=True)
                try:
                    received = 0
                    async for chunk in response.aiter_raw():
                        received += len(chunk)
                        if received >= self._cap:
                            break
                finally:
                    await response.aclose()
        except TimeoutError:
            return Outcome(False, 0, f"timed out after {self.timeout_s:g} s")
        except httpx.HTTPError as exc:
            return Outcome(False, 0, f"{type(exc).__name__}: {exc}"[:500])
        status = response.status_code
        if 200 <= status < 300:
            return Outcome(True, status)
        if 300 <= status < 400:
            return Outcome(False, status, f"HTTP {status}: redirects are not followed")
        return Outcome(False, status, f"HTTP {status}")

    async def close(self) -> None:
        await self._client.aclose()
