"""The execution service's own settings, read from the environment."""

from __future__ import annotations

import os
import pathlib

import pytest

from arena.execution.settings import load_execution_settings
from arena.kit.config import ConfigError


def test_defaults_are_the_cpu_count_and_a_sandbox_root_per_owner():
    settings = load_execution_settings({})
    assert settings.judge_workers == (os.cpu_count() or 1)
    assert settings.sandbox_root("execution-1") == pathlib.Path("/tmp/arena-sandbox/execution-1")


def test_configured_values_are_used():
    settings = load_execution_settings({"ARENA_JUDGE_WORKERS": "3", "ARENA_SANDBOX_DIR": "/srv/sandbox"})
    assert settings.judge_workers == 3 and settings.sandbox_root("x") == pathlib.Path("/srv/sandbox")


@pytest.mark.parametrize("raw", ["0", "257", "two", "-1"])
def test_bad_worker_counts_are_refused(raw: str):
    with pytest.raises(ConfigError):
        load_execution_settings({"ARENA_JUDGE_WORKERS": raw})
