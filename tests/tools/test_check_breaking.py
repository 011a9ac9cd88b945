"""The breaking-change check compares the contract with the previous commit."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(120)


def git(repo: pathlib.Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def check(repo: pathlib.Path, repo_root: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(repo_root / "tools/check_breaking.py")],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def repo(repo_root: pathlib.Path, tmp_path: pathlib.Path) -> pathlib.Path:
    """A scratch git repository holding today's contract as its only commit."""
    work = tmp_path / "repo"
    work.mkdir()
    shutil.copytree(repo_root / "api", work / "api")
    shutil.copytree(repo_root / "third_party", work / "third_party")
    shutil.copyfile(repo_root / "buf.yaml", work / "buf.yaml")
    (work / ".gitignore").write_text("/third_party/\n")
    git(work, "init", "-q")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "contract")
    return work


def remove_field(repo: pathlib.Path) -> None:
    proto = repo / "api/arena/user/v1/user.proto"
    text = proto.read_text()
    assert "  string bio = 5;\n" in text
    proto.write_text(text.replace("  string bio = 5;\n", "  reserved 5;\n"))


def test_first_contract_has_nothing_to_compare(repo: pathlib.Path, repo_root: pathlib.Path):
    result = check(repo, repo_root)
    assert result.returncode == 0
    assert "no earlier contract" in result.stdout


def test_uncommitted_break_fails(repo: pathlib.Path, repo_root: pathlib.Path):
    remove_field(repo)
    result = check(repo, repo_root)
    assert result.returncode != 0
    assert "bio" in result.stdout + result.stderr


def test_committed_break_fails_against_the_previous_commit(repo: pathlib.Path, repo_root: pathlib.Path):
    remove_field(repo)
    git(repo, "commit", "-q", "-am", "drop bio")
    assert check(repo, repo_root).returncode != 0


def test_additive_change_passes(repo: pathlib.Path, repo_root: pathlib.Path):
    proto = repo / "api/arena/user/v1/user.proto"
    proto.write_text(
        proto.read_text().replace("  string bio = 5;\n", "  string bio = 5;\n  // Added.\n  string website = 10;\n")
    )
    git(repo, "commit", "-q", "-am", "add website")
    result = check(repo, repo_root)
    assert result.returncode == 0, result.stdout + result.stderr


def test_declared_break_is_allowed_with_its_reason(repo: pathlib.Path, repo_root: pathlib.Path):
    remove_field(repo)
    git(repo, "commit", "-q", "-am", "drop bio\n\nContract-Break: bio moved to a profile service")
    result = check(repo, repo_root)
    assert result.returncode == 0
    assert "bio moved to a profile service" in result.stdout
