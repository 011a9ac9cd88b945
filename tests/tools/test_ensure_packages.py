"""The set-up commands install every Debian package the tests and benchmarks drive.

`make test` and `make bench` must work on a fresh Debian machine, so each tool a test or benchmark
looks up on PATH has to come from a package that tools/ensure_packages.sh installs for that target.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest

# The external tools the suite and the benchmarks run, and the Debian package each comes from.
TEST_TOOLS = {
    "bwrap": "bubblewrap",
    "gcc": "gcc",
    "g++": "g++",
    "node": "nodejs",
    "chromium": "chromium",
    "chromedriver": "chromium-driver",
    "javac": "openjdk-17-jdk-headless",
    "git": "git",
    "ip": "iproute2",  # tests/faults: network namespaces
}
BENCH_TOOLS = {"wrk": "wrk", "h2load": "nghttp2-client", "bwrap": "bubblewrap"}


def _groups(repo_root: pathlib.Path) -> dict[str, set[str]]:
    script = (repo_root / "tools" / "ensure_packages.sh").read_text()
    return {name: set(packages.split()) for name, packages in re.findall(r'\[(\w+)\]="([^"]*)"', script)}


def _recipe(repo_root: pathlib.Path, target: str) -> str:
    """The commands `make -n` would run for a target, without running them."""
    out = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", target], cwd=repo_root, capture_output=True, text=True, check=True
    )
    return out.stdout


@pytest.mark.parametrize(("target", "groups", "tools"), [("test", ("judge", "test"), TEST_TOOLS)])
def test_make_test_installs_the_packages_of_every_tool_it_drives(repo_root, target, groups, tools):
    assert re.search(r"tools/ensure_packages\.sh judge test\b", _recipe(repo_root, target))
    named = set().union(*(_groups(repo_root)[group] for group in groups))
    missing = {tool: package for tool, package in tools.items() if package not in named}
    assert not missing, f"make {target} does not install the packages of {missing}"
    # And after `make test` installed them, every tool is really there.
    absent = [tool for tool in tools if shutil.which(tool) is None]
    assert not absent, f"not on PATH after make test's set-up: {absent}"


def test_make_bench_installs_its_load_generators(repo_root):
    assert re.search(r"tools/ensure_packages\.sh judge bench\b", _recipe(repo_root, "bench"))
    named = _groups(repo_root)["judge"] | _groups(repo_root)["bench"]
    assert {package for package in BENCH_TOOLS.values()} <= named


def test_make_up_installs_the_judge(repo_root):
    assert re.search(r"tools/ensure_packages\.sh judge\b", _recipe(repo_root, "up"))


def test_an_unknown_group_is_refused(repo_root):
    out = subprocess.run(
        ["bash", str(repo_root / "tools" / "ensure_packages.sh"), "nonsense"], capture_output=True, text=True
    )
    assert out.returncode == 2 and "unknown group" in out.stderr


def test_ci_runs_only_the_readme_test_command(repo_root):
    ci = (repo_root / ".ci" / "run").read_text()
    assert "make test" in ci
    assert "apt-get install -y -qq make" in ci  # the one bootstrap: make itself
    assert "chromium" not in ci and "postgresql" not in ci, "packages belong to make test, not CI"
