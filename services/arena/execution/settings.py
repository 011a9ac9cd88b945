"""The execution service's own settings: read once in ``__main__``, from ``ARENA_`` variables."""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Mapping

from arena.kit.config import ConfigError

VARIABLES: dict[str, str] = {
    "ARENA_JUDGE_WORKERS": "Execution service: submissions judged at once per process (default the CPU count).",
    "ARENA_SANDBOX_DIR": "Execution service: where sandbox workspaces live; must be world-searchable "
    "(default /tmp/arena-sandbox/<instance id>).",
}

MAX_JUDGE_WORKERS = 256


@dataclasses.dataclass(frozen=True)
class ExecutionSettings:
    judge_workers: int
    """Submissions judged at once per process."""
    sandbox_dir: pathlib.Path | None = None
    """Root of the sandbox workspaces; None: ``/tmp/arena-sandbox/<owner>``."""

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
    return ExecutionSettings(judge_workers=workers, sandbox_dir=pathlib.Path(configured) if configured else None)
