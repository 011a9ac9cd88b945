"""cgroup v2 for real: the test mounts a cgroup2 hierarchy of its own (this machine's controllers are
bound to v1, so only what v2 has without controllers is there: every group's cpu.stat) and runs programs
with their CPU counted by it. Before the launcher joined the run's groups as root, every run failed on
v2 (moving a process needs write access to the common ancestor's procs file), and that failure was
judged as the program's own; now a run that never started is a SandboxFailure, not a verdict. And the
delegation a v2 host needs for memory and pids limits (the service moves into a leaf of its group, then
hands the controllers to the runs' groups), shown with the controller this machine leaves to v2."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from arena.execution.cgroups import SERVICE_LEAF, CgroupSupport, delegate_v2
from arena.execution.sandbox import ConnectedRun, Limits, Sandbox, SandboxFailure
from integration.execution.test_hostile_programs import PROGRAMS

# Two children burn 0.6 s of CPU each, and the parent exits without waiting for them: only a cgroup
# counts their CPU (bwrap's init is reaped with ~3 ms).
ORPHANS_BURNING_CPU = PROGRAMS["children burning CPU after the parent exits"][1]
LIMITS = Limits(cpu_time_s=5, wall_time_s=20, memory_kib=256 * 1024)


def _mount_cgroup2(target: pathlib.Path) -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    if libc.mount(b"cgroup2", str(target).encode(), b"cgroup2", 0, None) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(target))


@pytest.fixture(scope="module")
def v2_sandbox():
    hierarchy = pathlib.Path(tempfile.mkdtemp(prefix="arena-cgroup2-"))
    _mount_cgroup2(hierarchy)
    parent = hierarchy / f"arena-test-{os.getpid()}"
    parent.mkdir()
    work = pathlib.Path(tempfile.mkdtemp(prefix="arena-v2-"))
    support = CgroupSupport(memory_parent=None, pids_parent=None, version=2, cpu_parent=parent)
    sandbox = Sandbox(work, slots=1, cgroups=support)
    yield sandbox
    sandbox.close()
    parent.rmdir()  # fails loudly if a run's group was left behind
    ctypes.CDLL("libc.so.6").umount2(str(hierarchy).encode(), 2)
    hierarchy.rmdir()
    shutil.rmtree(work, ignore_errors=True)


async def compiled(sandbox: Sandbox, source: str) -> pathlib.Path:
    workspace = sandbox.workspace({"main.c": source.encode()})
    built = await sandbox.run(
        workspace, ["/usr/bin/gcc", "-O1", "-o", "main", "main.c"], writable=True,
        limits=Limits(cpu_time_s=20, wall_time_s=40, memory_kib=512 * 1024),
    )  # fmt: skip
    assert built.succeeded, built.stderr
    return workspace


async def test_v2_counts_the_cpu_of_every_process_of_the_run(v2_sandbox: Sandbox):
    assert v2_sandbox.cpu_accounting == "cgroup-v2"
    workspace = await compiled(v2_sandbox, ORPHANS_BURNING_CPU)
    try:
        ran = await v2_sandbox.run(workspace, ["./main"], limits=LIMITS)
        assert ran.stdout == b"ok\n", ran
        assert ran.cpu_time_s >= 1.1, ran  # both children's 0.6 s, though the parent did not wait
        assert not list(v2_sandbox.cgroups.cpu_parent.glob("arena-run-*"))  # type: ignore[union-attr]
    finally:
        v2_sandbox.discard(workspace)


async def test_a_run_the_launcher_could_not_start_is_a_sandbox_failure_not_a_verdict():
    not_a_cgroup = pathlib.Path(tempfile.mkdtemp(prefix="arena-not-a-cgroup-"))
    work = pathlib.Path(tempfile.mkdtemp(prefix="arena-v2-"))
    # A "cgroup" parent that is a plain directory: the run's group has no procs file to join.
    sandbox = Sandbox(work, slots=1, cgroups=CgroupSupport(None, None, version=2, cpu_parent=not_a_cgroup))
    workspace = sandbox.workspace({"main.py": b"print('never runs')\n"})
    try:
        with pytest.raises(SandboxFailure, match="arena-launch: cannot join"):
            await sandbox.run(workspace, ["/usr/bin/python3", "-S", "main.py"], limits=LIMITS)
        # Connected runs (an interactor and a contestant): the failure comes once both sides ended, and
        # both uids are back (a second pair gets its slot and fails the same way, rather than waiting).
        side = ConnectedRun(workspace, ["/usr/bin/python3", "-S", "main.py"], LIMITS)
        for _ in range(2):
            with pytest.raises(SandboxFailure):
                await asyncio.wait_for(sandbox.run_connected(side, side), 10)
    finally:
        sandbox.discard(workspace)
        sandbox.close()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(not_a_cgroup, ignore_errors=True)


@pytest.fixture
def hugetlb_hierarchy():
    """A cgroup2 hierarchy whose root hands out the one controller this machine leaves to v2 (hugetlb;
    memory and pids are bound to v1 here), as a v2 host's root hands out memory and pids. The root's
    setting is put back afterwards."""
    hierarchy = pathlib.Path(tempfile.mkdtemp(prefix="arena-cgroup2-"))
    _mount_cgroup2(hierarchy)
    root_control = hierarchy / "cgroup.subtree_control"
    was_enabled = "hugetlb" in root_control.read_text().split()
    if "hugetlb" not in (hierarchy / "cgroup.controllers").read_text().split():
        pytest.fail("no controller is left to cgroup v2 on this machine: the delegation cannot be shown")
    root_control.write_text("+hugetlb")
    try:
        yield hierarchy
    finally:
        if not was_enabled:
            root_control.write_text("-hugetlb")
        ctypes.CDLL("libc.so.6").umount2(str(hierarchy).encode(), 2)
        hierarchy.rmdir()


def _group_of(pid: int) -> str:
    return pathlib.Path(f"/proc/{pid}/cgroup").read_text().splitlines()[-1].split(":", 2)[2]


def test_a_service_alone_in_its_group_moves_into_a_leaf_and_hands_controllers_to_the_runs(hugetlb_hierarchy):
    service_group = hugetlb_hierarchy / f"arena-service-group-{os.getpid()}"
    service_group.mkdir()
    service = subprocess.Popen(["sleep", "60"])  # stands in for the execution service
    try:
        (service_group / "cgroup.procs").write_text(str(service.pid))
        assert delegate_v2(service_group, ("hugetlb", "memory"), service.pid) == ["hugetlb"]
        assert _group_of(service.pid).endswith(f"/{service_group.name}/{SERVICE_LEAF}")
        run = service_group / "arena-run-test"
        run.mkdir()
        assert list(run.glob("hugetlb.*.max"))  # a run's group now has the controller's files
        run.rmdir()
        # Asked again (a second sandbox in the same process): nothing moves, the answer is the same.
        assert delegate_v2(service_group, ("hugetlb",), service.pid) == ["hugetlb"]
    finally:
        service.kill()
        service.wait()
        with contextlib.suppress(OSError):
            (service_group / SERVICE_LEAF).rmdir()
        service_group.rmdir()


def test_a_service_sharing_its_group_moves_nobody_and_runs_go_without_the_controllers(hugetlb_hierarchy):
    shared_group = hugetlb_hierarchy / f"arena-shared-group-{os.getpid()}"
    shared_group.mkdir()
    service, neighbour = subprocess.Popen(["sleep", "60"]), subprocess.Popen(["sleep", "60"])
    try:
        for process in (service, neighbour):
            (shared_group / "cgroup.procs").write_text(str(process.pid))
        assert delegate_v2(shared_group, ("hugetlb",), service.pid) == []
        assert _group_of(service.pid) == _group_of(neighbour.pid)
        assert _group_of(service.pid).endswith(f"/{shared_group.name}")
        assert (shared_group / "cgroup.subtree_control").read_text().split() == []
    finally:
        for process in (service, neighbour):
            process.kill()
            process.wait()
        shared_group.rmdir()
