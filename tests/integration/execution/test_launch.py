"""The sandbox's launcher: built from launch.c, it drops root for good, then sets priority, rlimits and SIGPIPE."""

from __future__ import annotations

import pathlib
import subprocess

import pytest

from arena.execution.launch import build_launch

UID = 64_999  # any unprivileged id: the launcher needs no passwd entry


@pytest.fixture(scope="module")
def launch(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    directory = tmp_path_factory.mktemp("launch")
    built = build_launch(directory)
    assert build_launch(directory) == built  # built once per source version
    assert built.stat().st_mode & 0o777 == 0o700
    return built


def run(
    launch: pathlib.Path, *args: str, sigpipe: str = "0", procs: str = "", limits: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(launch), str(UID), "10", sigpipe, procs, limits, *args], capture_output=True, text=True, timeout=30
    )


def status(output: str) -> dict[str, str]:
    return dict(line.split(":\t", 1) for line in output.splitlines() if ":\t" in line)


def test_it_becomes_the_slot_user_for_good_with_its_limits_and_priority(launch: pathlib.Path):
    done = run(launch, "/bin/sh", "-c", "cat /proc/self/status; ulimit -n; ulimit -c; nice",
               limits="nofile=64:64,core=0:0,cpu=3:4")  # fmt: skip
    assert done.returncode == 0, done.stderr
    fields = status(done.stdout)
    assert fields["Uid"].split() == [str(UID)] * 4  # real, effective, saved, file system: no way back to root
    assert fields["Gid"].split() == [str(UID)] * 4
    assert fields["Groups"].strip() == ""
    assert fields["CapEff"].strip("0\n ") == ""
    assert done.stdout.splitlines()[-3:] == ["64", "0", "10"]
    assert int(fields["SigIgn"].strip(), 16) & (1 << 12) == 0  # SIGPIPE (13) left alone


def test_interactive_runs_ignore_sigpipe(launch: pathlib.Path):
    done = run(launch, "/bin/cat", "/proc/self/status", sigpipe="1")
    assert int(status(done.stdout)["SigIgn"].strip(), 16) & (1 << 12)


@pytest.mark.parametrize(
    "limits, procs, message",
    [
        ("nofile=64", "", "bad limit nofile=64"),
        ("heap=1:1", "", "unknown limit heap"),
        ("cpu=x:1", "", "bad number for cpu"),
        ("", "/nonexistent/cgroup.procs", "cannot join /nonexistent/cgroup.procs"),
    ],
)
def test_a_bad_setting_stops_before_the_program_runs(launch: pathlib.Path, limits: str, procs: str, message: str):
    done = run(launch, "/bin/echo", "ran", limits=limits, procs=procs)
    assert done.returncode == 125
    assert message in done.stderr and "ran" not in done.stdout


def test_a_missing_program_is_status_125(launch: pathlib.Path):
    done = run(launch, "/nonexistent/bwrap")
    assert done.returncode == 125 and "cannot run /nonexistent/bwrap" in done.stderr
