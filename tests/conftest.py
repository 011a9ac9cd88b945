"""Fixtures shared by every test tier."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest

from arena.contract import Contract

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def descriptor_set_path(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The contract compiled now from api/ (with imports and comments), not a stale build."""
    if shutil.which("buf") is None:
        pytest.fail("buf is not on PATH: run the tests through `make test`")
    path = tmp_path_factory.mktemp("descriptors") / "arena.binpb"
    subprocess.run(["buf", "build", "--as-file-descriptor-set", "-o", str(path)], cwd=REPO_ROOT, check=True)
    return path


@pytest.fixture(scope="session")
def contract(descriptor_set_path: pathlib.Path) -> Contract:
    return Contract.load(descriptor_set_path)
