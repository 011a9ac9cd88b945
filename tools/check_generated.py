"""Fail when the committed generated code differs from what `buf generate` makes now.

Generated Python lives inside the hand-written package tree (``arena/<service>/v1``),
so buf's ``clean`` option cannot be used there. Instead this regenerates into a
temporary directory and compares the generated files both ways: changed, missing
and stale (no longer generated) files all count as drift.
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import tempfile

GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def generated_files(root: pathlib.Path) -> dict[str, bytes]:
    """Generated files under ``root``, keyed by their path relative to it."""
    found: dict[str, bytes] = {}
    for path in root.rglob("*"):
        if path.is_file() and path.name.endswith(GENERATED_SUFFIXES) and "__pycache__" not in path.parts:
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def drift(committed: dict[str, bytes], fresh: dict[str, bytes]) -> list[str]:
    """Human-readable differences between the committed and the freshly generated files."""
    problems = []
    for name in sorted(fresh.keys() - committed.keys()):
        problems.append(f"missing (run `make generate`): {name}")
    for name in sorted(committed.keys() - fresh.keys()):
        problems.append(f"stale, no longer generated: {name}")
    for name in sorted(fresh.keys() & committed.keys()):
        if fresh[name] != committed[name]:
            problems.append(f"differs from `buf generate`: {name}")
    return problems


def regenerate(repo: pathlib.Path, out_dir: pathlib.Path) -> pathlib.Path:
    """Runs ``buf generate`` with the repository's template into ``out_dir``."""
    subprocess.run(["buf", "generate", "--output", str(out_dir)], cwd=repo, check=True)
    return out_dir / "services"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", type=pathlib.Path, default=pathlib.Path.cwd())
    parser.add_argument(
        "--tree",
        type=pathlib.Path,
        default=None,
        help="the tree holding committed code (default: REPO/services)",
    )
    args = parser.parse_args()
    repo = args.repo.resolve()
    tree = (args.tree or repo / "services").resolve()
    with tempfile.TemporaryDirectory(prefix="arena-gen-") as tmp:
        fresh = generated_files(regenerate(repo, pathlib.Path(tmp)))
    problems = drift(generated_files(tree), fresh)
    for problem in problems:
        print(f"generated code drift: {problem}", file=sys.stderr)
    if not fresh:
        print("generated code drift: buf generate produced nothing", file=sys.stderr)
        return 1
    if problems:
        return 1
    print(f"generated code is up to date ({len(fresh)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
