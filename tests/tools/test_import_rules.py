"""The import rules of the service template hold, and breaking one on purpose fails `make lint`.

The contracts live in pyproject.toml ([tool.importlinter]); `make lint` runs `lint-imports`.
Each case copies the package into a temporary tree, adds one forbidden import, and checks that
import-linter names the broken contract.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

LINT_IMPORTS = pathlib.Path(sys.executable).with_name("lint-imports")


def _lint_imports(tree: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "services")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def tree(repo_root: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A copy of the package and the configuration, to break on purpose."""
    root = tmp_path_factory.mktemp("imports")
    shutil.copytree(
        repo_root / "services" / "arena", root / "services" / "arena", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(repo_root / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_package_keeps_every_import_contract(repo_root: pathlib.Path):
    result = _lint_imports(repo_root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("user/domain.py", "import grpc", "Domains are pure Python"),
        ("problem/domain.py", "from google.protobuf import timestamp_pb2", "Domains are pure Python"),
        ("realtime/domain.py", "import sqlalchemy", "Domains are pure Python"),
        ("core/errors.py", "import jwt", "Domains are pure Python"),
        ("execution/domain.py", "from arena.execution import sandbox", "Execution's domain knows no sandbox"),
        ("kit/middleware.py", "import arena.user.app", "The kit imports no service package"),
        ("kit/server.py", "from arena.user.v1 import user_service_pb2_grpc", "The kit imports no service package"),
        ("execution/app.py", "import arena.problem.store", "A service reaches another only through its v1 stubs"),
        ("problem/app.py", "from arena.problem import servicer", "Layers of a service"),
        ("user/servicer.py", "from arena.user import store", "Servicers are thin"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tree: pathlib.Path, module: str, line: str, contract: str):
    path = tree / "services" / "arena" / module
    original = path.read_text()
    path.write_text(f"{original}\n{line}  # added by the test\n")
    try:
        result = _lint_imports(tree)
    finally:
        path.write_text(original)
    assert result.returncode != 0, f"lint-imports passed with `{line}` in {module}"
    assert re.search(rf"^{re.escape(contract)}[^\n]* BROKEN", result.stdout, re.MULTILINE), result.stdout


def test_make_lint_runs_the_type_checker_and_the_import_rules(repo_root: pathlib.Path):
    recipe = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", "lint"], cwd=repo_root, capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"mypy --config-file \.\./pyproject\.toml", recipe), recipe
    assert "lint-imports --no-cache" in recipe, recipe


def test_a_type_error_fails_the_type_checker(tree: pathlib.Path):
    """mypy --strict on the package (as `make lint` runs it) catches an error added on purpose."""
    path = tree / "services" / "arena" / "user" / "domain.py"
    original = path.read_text()
    path.write_text(f"{original}\n\ndef broken(limit: int) -> str:\n    return limit  # added by the test\n")
    try:
        result = subprocess.run(
            [str(LINT_IMPORTS.with_name("mypy")), "--config-file", "../pyproject.toml", "--no-incremental"],
            cwd=tree / "services",
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        path.write_text(original)
    assert result.returncode != 0
    assert "arena/user/domain.py" in result.stdout and "Incompatible return value type" in result.stdout, result.stdout
