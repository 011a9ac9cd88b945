"""The one broker setting (``ARENA_NATS_URL``) and the reconnecting NATS connection every service shares.

Without ``ARENA_NATS_URL`` a service runs alone: the realtime hub is in-process and watchers hear only
their own process. With it, a connection is opened at start (a server that cannot be reached then is a
start-up error, said plainly) and re-established for as long as the process lives if the server goes
away later: nats-py buffers publishes meanwhile and resubscribes on reconnect.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping

import nats
import structlog
from nats.aio.client import Client

from arena.kit.config import ConfigError

log = structlog.get_logger("arena.broker")

VARIABLES: dict[str, str] = {
    "ARENA_NATS_URL": "NATS server (nats://host:port, JetStream enabled) that carries realtime topics, submission "
    "watches and leaderboard streams across instances (default empty: one instance, in-process; `make up` sets "
    "it when it starts the broker).",
}

CONNECT_TIMEOUT_S = 5.0


def load_nats_url(env: Mapping[str, str] | None = None) -> str | None:
    """``ARENA_NATS_URL``, checked; None when unset (the one-instance default)."""
    env = os.environ if env is None else env
    raw = env.get("ARENA_NATS_URL", "").strip()
    if not raw:
        return None
    parsed = urllib.parse.urlsplit(raw)
    if parsed.scheme not in ("nats", "tls") or not parsed.hostname:
        raise ConfigError(f"ARENA_NATS_URL={raw!r}: expected nats://host:port (or tls://host:port)")
    try:
        parsed.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConfigError(f"ARENA_NATS_URL={raw!r}: the port is not a number") from None
    return raw


class BrokerUnavailable(RuntimeError):
    """The NATS server could not be reached at start-up."""


async def connect(url: str, name: str) -> Client:
    """A connection that reconnects forever (every 0.5 s) once established; ``name`` shows in the server's
    connection list (the instance id)."""

    async def disconnected() -> None:
        log.warning("broker connection lost; reconnecting", url=url)

    async def reconnected() -> None:
        log.info("broker connection re-established", url=url)

    async def error(exc: Exception) -> None:
        log.warning("broker connection error", url=url, error=str(exc))

    try:
        return await nats.connect(
            url,
            name=name,
            connect_timeout=CONNECT_TIMEOUT_S,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            disconnected_cb=disconnected,
            reconnected_cb=reconnected,
            error_cb=error,
        )
    except Exception as exc:
        raise BrokerUnavailable(f"cannot reach the NATS server at {url} (ARENA_NATS_URL): {exc}") from exc
