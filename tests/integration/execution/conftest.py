"""A real sandbox and the languages present on this machine, shared by the judge tests."""

from __future__ import annotations

import pathlib
import shutil
import tempfile

import pytest

from arena.demo.problems import judge_bundle
from arena.execution.judge import Judge
from arena.execution.languages import detect
from arena.execution.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox():
    # Not under pytest's own temporary directory: that is private to root (0700), and the
    # sandbox's slot users must be able to reach their workspaces.
    root = pathlib.Path(tempfile.mkdtemp(prefix="arena-sandbox-test-"))
    sandbox = Sandbox(root, slots=2)
    yield sandbox
    sandbox.close()  # unmounts its workspaces' file system
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def languages(sandbox: Sandbox):
    import asyncio

    available = asyncio.run(detect(sandbox))
    found = {a.language.language_id: a.language for a in available}
    required = {"python3", "c", "cpp", "javascript"}
    missing = required - set(found)
    if missing:
        pytest.fail(f"required toolchains missing or failing their self-test: {sorted(missing)}")
    return found


@pytest.fixture
def judge(sandbox: Sandbox, languages) -> Judge:
    return Judge(sandbox, languages)


bundle_of = judge_bundle  # the tests' name for it
