"""The realtime service's own settings: fixed defaults today (no ``ARENA_`` variable reads them).

Typed and in one place so ``__main__`` wires them and a cross-instance broker (issue 16) can add
its own beside them.
"""

from __future__ import annotations

import dataclasses

VARIABLES: dict[str, str] = {}


@dataclasses.dataclass(frozen=True)
class RealtimeSettings:
    heartbeat_s: float = 15.0
    """A subscriber hears at least this often, a heartbeat when nothing was published."""
    retention_messages: int = 1000
    """Recent messages kept per topic for resuming subscribers."""
    queue_capacity_messages: int = 1000
    """Messages a subscriber may fall behind before it is cut off (it resumes with its token)."""
    idle_topic_s: float = 600.0
    """A topic nobody watched or published to for this long is forgotten."""
    sweep_interval_s: float = 60.0
    """How often idle topics are looked for."""
