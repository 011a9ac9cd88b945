"""Run `buf breaking` for the contract against the previous commit of main.

The previous contract is exported from git into a scratch workspace together with
today's staged Google protos (``third_party/`` is not committed, so buf could not
build the old commit on its own). With uncommitted changes under ``api/`` the
comparison is against HEAD, so a developer sees a break before committing it.

A deliberate break needs a reviewed reason: a ``Contract-Break: <why>`` trailer in
the commit message that introduces it skips the check for that commit.
"""

from __future__ import annotations

import io
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile

TRAILER = "Contract-Break:"


def git(repo: pathlib.Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False)


def baseline_ref(repo: pathlib.Path) -> str | None:
    """The commit to compare against, or None when there is no earlier contract."""
    if git(repo, "rev-parse", "--verify", "-q", "HEAD").returncode != 0:
        return None
    dirty = git(repo, "status", "--porcelain", "--", "api").stdout.strip()
    ref = "HEAD" if dirty else "HEAD~1"
    if git(repo, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}").returncode != 0:
        return None
    if not git(repo, "ls-tree", "-r", "--name-only", ref, "--", "api").stdout.strip():
        return None
    return ref


def break_allowed(repo: pathlib.Path, ref: str) -> str | None:
    """The reason given for a deliberate break in the commit under check, if any."""
    if ref != "HEAD~1":
        return None
    message = git(repo, "log", "-1", "--format=%B", "HEAD").stdout.decode()
    for line in message.splitlines():
        if line.startswith(TRAILER):
            return line[len(TRAILER) :].strip() or "(no reason given)"
    return None


def export_baseline(repo: pathlib.Path, ref: str, target: pathlib.Path) -> None:
    archive = git(repo, "archive", "--format=tar", ref, "api")
    if archive.returncode != 0:
        raise SystemExit(archive.stderr.decode())
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    shutil.copytree(repo / "third_party", target / "third_party")
    shutil.copyfile(repo / "buf.yaml", target / "buf.yaml")


def main() -> int:
    repo = pathlib.Path.cwd()
    ref = baseline_ref(repo)
    if ref is None:
        print("buf breaking: no earlier contract on main to compare with")
        return 0
    reason = break_allowed(repo, ref)
    if reason is not None:
        print(f"buf breaking: skipped for this commit ({TRAILER} {reason})")
        return 0
    with tempfile.TemporaryDirectory(prefix="arena-breaking-") as tmp:
        baseline = pathlib.Path(tmp)
        export_baseline(repo, ref, baseline)
        result = subprocess.run(["buf", "breaking", "--against", str(baseline)], cwd=repo, check=False)
    if result.returncode == 0:
        print(f"buf breaking: no breaking change against {ref}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
