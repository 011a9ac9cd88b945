"""The realtime service's own settings: fixed defaults, plus the broker (``ARENA_NATS_URL``) when set.

Typed and in one place so ``__main__`` wires them: with a NATS URL the topics live in JetStream and
every instance sees every publication (``jetstream.JetStreamBroker``); without, in this process
(``store.InProcessHub``, the one-instance default).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from arena.broker.connection import load_nats_url

VARIABLES: dict[str, str] = {}
"""None of its own: ``ARENA_NATS_URL`` is the broker's (``arena.broker.connection.VARIABLES``)."""


@dataclasses.dataclass(frozen=True)
class RealtimeSettings:
    heartbeat_s: float = 15.0
    """A subscriber hears at least this often, a heartbeat when nothing was published."""
    retention_messages: int = 1000
    """Recent messages kept per topic for resuming subscribers."""
    queue_capacity_messages: int = 1000
    """Messages a subscriber may fall behind before it is cut off (it resumes with its token)."""
    idle_topic_s: float = 600.0
    """A topic nobody watched or published to for this long is forgotten (with NATS: its consumer here)."""
    sweep_interval_s: float = 60.0
    """How often idle topics are looked for."""
    nats_url: str | None = None
    """The broker shared by every instance; None: this process alone (the in-process hub)."""
    broker_max_age_s: float = 7 * 24 * 3600.0
    """With NATS: a topic's messages are kept at most this long (at most ``retention_messages`` of them)."""


def load_realtime_settings(env: Mapping[str, str] | None = None) -> RealtimeSettings:
    return RealtimeSettings(nats_url=load_nats_url(env))
