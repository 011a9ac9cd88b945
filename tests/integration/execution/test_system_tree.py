"""The prepared system tree (system_tree.py): runs see / and /dev from one read-only file system made when
the sandbox starts, with a handful of mounts instead of twenty, and nothing in it can be written; without
it (no tmpfs can be mounted) bubblewrap's own mounts give the same guarantees."""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile

import pytest

from arena.execution.sandbox import COPIED, Limits, Sandbox

PROBE = """
import errno, os
def attempt(action):
    try:
        action()
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
def write(path):
    with open(path, "w") as f:
        f.write("x")
results = {
    "root": attempt(lambda: write("/new")),
    "etc": attempt(lambda: write("/etc/ld.so.cache")),
    "usr": attempt(lambda: write("/usr/new")),
    "dev": attempt(lambda: write("/dev/new")),
    "dev-mkdir": attempt(lambda: os.mkdir("/dev/d")),
    "judge": attempt(lambda: write("/judge/new")),
    "null": attempt(lambda: write("/dev/null")),
    "urandom": len(open("/dev/urandom", "rb").read(8)),
    "zero": open("/dev/zero", "rb").read(4).hex(),
    "tmp": attempt(lambda: write("/tmp/new")),
    "shm": attempt(lambda: write("/dev/shm/new")),
    "mounts": len(open("/proc/self/mountinfo").read().splitlines()),
    "ld.so.cache": os.path.getsize("/etc/ld.so.cache") > 0,
    "bin": os.path.realpath("/bin/sh"),
    "dev-entries": sorted(os.listdir("/dev")),
}
print(repr(results))
"""


async def probe(sandbox: Sandbox) -> dict:
    workspace = sandbox.workspace({"main.py": PROBE.encode()})
    try:
        limits = Limits(cpu_time_s=2, wall_time_s=10, memory_kib=128 * 1024)
        ran = await sandbox.run(workspace, ["/usr/bin/python3", "-S", "main.py"], limits=limits)
        assert ran.succeeded, ran
        return eval(ran.stdout.decode())
    finally:
        sandbox.discard(workspace)


@pytest.fixture
def unprepared():
    root = pathlib.Path(tempfile.mkdtemp(prefix="arena-unprepared-"))
    sandbox = Sandbox(root, slots=1, prepared_system=False)
    yield sandbox
    sandbox.close()
    shutil.rmtree(root, ignore_errors=True)


async def test_runs_see_the_prepared_tree_read_only_with_working_devices(sandbox: Sandbox):
    assert sandbox.system is not None  # root here: the tree has a file system of its own
    seen = await probe(sandbox)
    for place in ("root", "etc", "usr", "dev", "dev-mkdir", "judge"):
        assert seen[place] == "EROFS", (place, seen)
    assert seen["null"] == "ok" and seen["urandom"] == 8 and seen["zero"] == "00000000"
    assert seen["tmp"] == "ok" and seen["shm"] == "ok"
    assert seen["ld.so.cache"] and seen["bin"] == "/usr/bin/dash"
    # No terminal devices: runs read and write pipes and files only.
    assert seen["dev-entries"] == ["fd", "full", "null", "random", "shm", "stderr", "stdin", "stdout", "tty",
                                   "urandom", "zero"]  # fmt: skip
    # root, /usr, /proc, /dev, /dev/shm, /tmp, /box: bubblewrap mounts a handful, not twenty.
    assert seen["mounts"] <= 8, seen["mounts"]


async def test_without_a_prepared_tree_bubblewraps_mounts_keep_the_same_guarantees(unprepared: Sandbox):
    assert unprepared.system is None
    seen = await probe(unprepared)
    for place in ("root", "etc", "usr", "dev", "dev-mkdir"):
        assert seen[place] in ("EROFS", "EACCES"), (place, seen)
    assert seen["null"] == "ok" and seen["urandom"] == 8 and seen["tmp"] == "ok" and seen["shm"] == "ok"
    assert seen["ld.so.cache"] and seen["bin"] == "/usr/bin/dash"
    assert seen["mounts"] > 12, seen["mounts"]  # what the prepared tree saves


def test_the_tree_holds_copies_of_what_toolchains_read_and_goes_with_the_sandbox():
    root = pathlib.Path(tempfile.mkdtemp(prefix="arena-tree-"))
    try:
        first = Sandbox(root, slots=1)
        assert first.system is not None and os.path.ismount(root / "system")
        for path in COPIED:
            if os.path.exists(path):
                assert (first.system.root / path.lstrip("/")).exists(), path
        first.close()
        assert not os.path.ismount(root / "system")
        # A tree left mounted (a service killed before it could unmount) is made again, not reused.
        second = Sandbox(root, slots=1)
        again = Sandbox(root, slots=1)
        assert again.system is not None and os.path.ismount(root / "system")
        again.close()
        second.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
