"""The execution service's own settings: read once in ``__main__``, from ``ARENA_`` variables."""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Mapping

from arena.broker.connection import load_nats_url
from arena.kit.config import ConfigError, seconds_in_range

VARIABLES: dict[str, str] = {
    "ARENA_JUDGE_WORKERS": "Execution service: submissions judged at once per process (default the CPU count).",
    "ARENA_SANDBOX_DIR": "Execution service: where sandbox workspaces live; must be world-searchable "
    "(default /tmp/arena-sandbox/<instance id>).",
    "ARENA_WATCH_POLL_S": "Execution service: how often a WatchSubmission stream re-reads the store for events "
    "another instance stored (seconds, default 1; with ARENA_NATS_URL their nudges wake it at once).",
}

MAX_JUDGE_WORKERS = 256


@dataclasses.dataclass(frozen=True)
class ExecutionSettings:
    judge_workers: int
    """Submissions judged at once per process."""
    sandbox_dir: pathlib.Path | None = None
    """Root of the sandbox workspaces; None: ``/tmp/arena-sandbox/<owner>``."""
    watch_poll_s: float = 1.0
    """How often a watcher re-reads the store for another instance's events."""
    nats_url: str | None = None
    """The broker that nudges other instances' watchers (``ARENA_NATS_URL``); None: this process alone."""

    def sandbox_root(self, owner: str) -> pathlib.Path:
        return self.sandbox_dir or pathlib.Path("/tmp/arena-sandbox") / owner


def load_execution_settings(env: Mapping[str, str] | None = None) -> ExecutionSettings:
    """Reads the execution service's settings from the environment."""
    env = os.environ if env is None else env
    raw = env.get("ARENA_JUDGE_WORKERS", "")
    if not raw:
        workers = os.cpu_count() or 1
    elif not raw.isdigit() or not 1 <= int(raw) <= MAX_JUDGE_WORKERS:
        raise ConfigError(f"ARENA_JUDGE_WORKERS must be a whole number from 1 to {MAX_JUDGE_WORKERS}, not {raw!r}")
    else:
        workers = int(raw)
    configured = env.get("ARENA_SANDBOX_DIR")
    watch_poll_s = seconds_in_range(env, "ARENA_WATCH_POLL_S", 1.0, 0.01, 3600)
    return ExecutionSettings(
        judge_workers=workers,
        sandbox_dir=pathlib.Path(configured) if configured else None,
        watch_poll_s=watch_poll_s,
        nats_url=load_nats_url(env),
    )
