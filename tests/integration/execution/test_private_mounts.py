"""A judge killed with SIGKILL leaves no mount behind: the execution service mounts the sandbox's file
systems (the system tree, the workspaces) in a mount namespace of its own, which goes with it. Before,
every killed judge left two tmpfs mounts on the host for good, and every later run's namespace copied them."""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile

JUDGE = """
import pathlib, sys, time
from arena.execution import system_tree
private = system_tree.enter_private_mount_namespace()
from arena.execution.sandbox import Sandbox
sandbox = Sandbox(pathlib.Path(sys.argv[1]), slots=1)
print(private, sandbox.system is not None, sandbox.neutral_paths, flush=True)
time.sleep(60)
"""


def host_mounts() -> str:
    return pathlib.Path("/proc/self/mountinfo").read_text()


def test_a_killed_judge_leaves_no_mount_on_the_host():
    work_root = pathlib.Path(tempfile.mkdtemp(prefix="arena-killed-judge-"))
    judge = subprocess.Popen([sys.executable, "-c", JUDGE, str(work_root)], stdout=subprocess.PIPE, text=True)
    try:
        assert judge.stdout is not None
        assert judge.stdout.readline().split() == ["True", "True", "True"]  # its mounts exist, in its namespace
        inside = pathlib.Path(f"/proc/{judge.pid}/mountinfo").read_text()
        assert f"{work_root}/system" in inside and f"{work_root}/workspaces" in inside
        assert str(work_root) not in host_mounts()  # not on the host, even while it runs
        os.kill(judge.pid, signal.SIGKILL)
        judge.wait(timeout=10)
        assert str(work_root) not in host_mounts()
    finally:
        if judge.poll() is None:
            judge.kill()
            judge.wait()
        shutil.rmtree(work_root, ignore_errors=True)
