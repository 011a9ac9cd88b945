"""The analytics service's own settings: read once in ``__main__``, from ``ARENA_`` variables."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from arena.kit.config import ConfigError

VARIABLES: dict[str, str] = {
    "ARENA_ANALYTICS_EVENTS_PER_S": "Analytics service: client events a user (or anonymous client id) may send "
    "per second on average (default 20).",
    "ARENA_ANALYTICS_EVENT_BURST": "Analytics service: client events a sender may send at once before the rate "
    "applies (default 2000; at least one full batch of 1,000).",
}


@dataclasses.dataclass(frozen=True)
class AnalyticsSettings:
    events_per_s: float = 20.0
    """Client events per sender per second, on average."""
    event_burst: int = 2000
    """Client events a sender may send at once (a full batch of 1,000 must fit)."""


def load_analytics_settings(env: Mapping[str, str] | None = None) -> AnalyticsSettings:
    """Reads the analytics service's settings from the environment."""
    env = os.environ if env is None else env
    rate_raw = env.get("ARENA_ANALYTICS_EVENTS_PER_S") or "20"
    burst_raw = env.get("ARENA_ANALYTICS_EVENT_BURST") or "2000"
    try:
        rate = float(rate_raw)
    except ValueError:
        raise ConfigError(f"ARENA_ANALYTICS_EVENTS_PER_S must be a number, not {rate_raw!r}") from None
    if not 0 < rate <= 1e9:
        raise ConfigError(f"ARENA_ANALYTICS_EVENTS_PER_S must be above 0, not {rate_raw!r}")
    if not burst_raw.isdigit() or not 1000 <= int(burst_raw) <= 10**9:
        raise ConfigError(f"ARENA_ANALYTICS_EVENT_BURST must be a whole number of at least 1000, not {burst_raw!r}")
    return AnalyticsSettings(events_per_s=rate, event_burst=int(burst_raw))
