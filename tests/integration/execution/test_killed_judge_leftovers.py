"""A judge killed mid-run leaves processes and cgroups behind as its slot uids; the next sandbox
to claim those uids removes them before it runs anything."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import tempfile
import time

from arena.execution.cgroups import CgroupSupport
from arena.execution.sandbox import Sandbox, claim_slot_uids


def _alive(pid: int) -> bool:
    try:
        state = pathlib.Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in state


def test_a_new_sandbox_kills_what_a_dead_one_left_as_its_uids():
    (uid, fd), = claim_slot_uids(1)  # fmt: skip
    os.close(fd)  # free again: the next sandbox claims the lowest free uid, this one
    leftover = subprocess.Popen(["sleep", "300"], user=uid, group=uid, extra_groups=[], start_new_session=True)
    support = CgroupSupport.detect()
    stale = None
    if support.memory_parent is not None:
        stale = support.memory_parent / f"arena-run-{uid}-left-by-a-killed-judge"
        stale.mkdir()
    root = pathlib.Path(tempfile.mkdtemp(prefix="arena-sandbox-test-"))
    try:
        sandbox = Sandbox(root, slots=1)
        try:
            deadline = time.monotonic() + 5
            while _alive(leftover.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert not _alive(leftover.pid)
            assert stale is None or not stale.exists()
        finally:
            sandbox.close()
    finally:
        leftover.kill()
        leftover.wait()
        if stale is not None and stale.exists():
            stale.rmdir()
        shutil.rmtree(root, ignore_errors=True)
