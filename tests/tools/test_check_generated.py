"""The drift check catches changed, missing and stale generated files."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(120)


def run_check(repo_root: pathlib.Path, tree: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "tools/check_generated.py", "--tree", str(tree)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def tree_copy(repo_root: pathlib.Path, tmp_path: pathlib.Path) -> pathlib.Path:
    copy = tmp_path / "services"
    shutil.copytree(repo_root / "services", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_committed_code_matches_buf_generate(repo_root: pathlib.Path):
    result = run_check(repo_root, repo_root / "services")
    assert result.returncode == 0, result.stderr


def test_an_edited_generated_file_is_drift(repo_root: pathlib.Path, tree_copy: pathlib.Path):
    target = tree_copy / "arena/user/v1/user_pb2.py"
    target.write_text(target.read_text() + "\n# hand edit\n")
    result = run_check(repo_root, tree_copy)
    assert result.returncode == 1
    assert "differs from `buf generate`: arena/user/v1/user_pb2.py" in result.stderr


def test_a_missing_and_a_stale_file_are_drift(repo_root: pathlib.Path, tree_copy: pathlib.Path):
    (tree_copy / "arena/problem/v1/problem_pb2.pyi").unlink()
    (tree_copy / "arena/problem/v1/gone_pb2.py").write_text("")
    result = run_check(repo_root, tree_copy)
    assert result.returncode == 1
    assert "missing (run `make generate`): arena/problem/v1/problem_pb2.pyi" in result.stderr
    assert "stale, no longer generated: arena/problem/v1/gone_pb2.py" in result.stderr
