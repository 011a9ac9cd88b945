"""The contest service's own settings: read once in ``__main__``, from ``ARENA_`` variables."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from arena.broker.connection import load_nats_url
from arena.kit.config import seconds_in_range

VARIABLES: dict[str, str] = {
    "ARENA_CONTEST_BOARD_POLL_S": "Contest service: how often a followed leaderboard re-reads its version for "
    "results another instance recorded (seconds, default 1; with ARENA_NATS_URL their nudges wake it at once).",
}


@dataclasses.dataclass(frozen=True)
class ContestSettings:
    board_poll_s: float = 1.0
    """How often a leaderboard stream's reader asks the store whether another instance moved the board."""
    nats_url: str | None = None
    """The broker that tells other instances of this one's writes (``ARENA_NATS_URL``); None: alone."""


def load_contest_settings(env: Mapping[str, str] | None = None) -> ContestSettings:
    env = os.environ if env is None else env
    poll_s = seconds_in_range(env, "ARENA_CONTEST_BOARD_POLL_S", 1.0, 0.01, 3600)
    return ContestSettings(board_poll_s=poll_s, nats_url=load_nats_url(env))
