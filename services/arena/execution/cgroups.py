"""Per-run control groups for the sandbox: a memory limit with peak and OOM accounting, a
process limit that stops fork bombs, and the run's CPU time counted for every member however it
ends. cgroup v1 (as on these machines) or v2, where writable (on v2 the service hands the memory and
pids controllers to the runs' groups: see ``delegate_v2``); without either the sandbox falls back to
rlimits and rusage (see sandbox.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import pathlib
import signal
import time
import uuid
from collections.abc import Iterable, Sequence

import structlog

log = structlog.get_logger("arena.sandbox")

_ROOT = pathlib.Path("/sys/fs/cgroup")


def _own_path(controller: str) -> str | None:
    """This process's cgroup path for a v1 controller ('' for v2), from /proc/self/cgroup."""
    try:
        lines = pathlib.Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return None


def _writable_dir(path: pathlib.Path) -> bool:
    probe = path / f"arena-probe-{uuid.uuid4().hex[:8]}"
    try:
        probe.mkdir()
    except OSError:
        return False
    with contextlib.suppress(OSError):
        probe.rmdir()
    return True


def _v1_cpuacct() -> pathlib.Path | None:
    """This process's cpuacct group (mounted alone or together with cpu)."""
    own = _own_path("cpuacct")
    if own is None:
        return None
    for mount in ("cpuacct", "cpu,cpuacct", "cpuacct,cpu"):
        if (_ROOT / mount / "cpuacct.usage").exists():
            return _ROOT / mount / own.lstrip("/")
    return None


@dataclasses.dataclass(frozen=True)
class CgroupSupport:
    """Where per-run cgroups can be created, if anywhere."""

    memory_parent: pathlib.Path | None
    pids_parent: pathlib.Path | None
    version: int
    cpu_parent: pathlib.Path | None = None
    """Where a run's CPU time is counted: v1 ``cpuacct``; on v2 any writable group has ``cpu.stat``."""

    @property
    def memory(self) -> bool:
        return self.memory_parent is not None

    @property
    def pids(self) -> bool:
        return self.pids_parent is not None

    @property
    def cpu_accounting(self) -> str:
        """How a run's CPU time is measured: ``cgroup-v1`` (cpuacct.usage), ``cgroup-v2`` (cpu.stat),
        or ``rusage`` where no cgroup is writable (then the CPU of processes still alive when the
        program exits is not counted)."""
        return f"cgroup-v{self.version}" if self.cpu_parent is not None else "rusage"

    @classmethod
    def detect(cls) -> CgroupSupport:
        memory_v1 = _own_path("memory")
        pids_v1 = _own_path("pids")
        if memory_v1 is not None or pids_v1 is not None:
            memory = _ROOT / "memory" / memory_v1.lstrip("/") if memory_v1 is not None else None
            pids = _ROOT / "pids" / pids_v1.lstrip("/") if pids_v1 is not None else None
            cpu = _v1_cpuacct()
            return cls(
                memory_parent=memory if memory and _writable_dir(memory) else None,
                pids_parent=pids if pids and _writable_dir(pids) else None,
                version=1,
                cpu_parent=cpu if cpu and _writable_dir(cpu) else None,
            )
        own_v2 = _own_path("")
        if own_v2 is not None and (_ROOT / "cgroup.controllers").exists():
            parent = _ROOT / own_v2.lstrip("/")
            if parent.name == SERVICE_LEAF:  # moved there by an earlier detect (see delegate_v2)
                parent = parent.parent
            usable = parent if parent.exists() and _writable_dir(parent) else None
            controllers = delegate_v2(parent, V2_CONTROLLERS, os.getpid()) if usable else []
            return cls(
                memory_parent=usable if usable and "memory" in controllers else None,
                pids_parent=usable if usable and "pids" in controllers else None,
                version=2,
                cpu_parent=usable,  # cpu.stat's usage_usec needs no controller
            )
        return cls(None, None, 0)


V2_CONTROLLERS = ("memory", "pids")
"""What a run's v2 group needs from its parent (CPU is counted by every v2 group's cpu.stat)."""
SERVICE_LEAF = "arena-service"


def delegate_v2(parent: pathlib.Path, controllers: Sequence[str], pid: int) -> list[str]:
    """Makes ``controllers`` available to new children of ``parent`` (this process's own v2 group);
    returns those its children get.

    A v2 group hands controllers to its children only while it holds no process itself ("no internal
    processes"), and a service's own group holds the service: it moves into a leaf child of its group
    (``arena-service``), then enables the controllers for the group's children, where the runs' groups
    go. Only when the group holds this process alone: other processes are not the judge's to move
    (then runs fall back to rlimits for what is missing, and the log says how to give it a group)."""
    enabled: list[str] = []
    try:
        available = (parent / "cgroup.controllers").read_text().split()
        enabled = (parent / "cgroup.subtree_control").read_text().split()
        missing = [c for c in controllers if c in available and c not in enabled]
        if missing:
            members = (parent / "cgroup.procs").read_text().split()
            if any(member != str(pid) for member in members):
                log.warning("cgroup v2: the judge shares its group with other processes, so runs get no "
                            f"{'/'.join(missing)} controller (rlimits instead); give the execution service a "
                            "group of its own (systemd: Delegate=yes; containers: one process)",
                            group=str(parent))  # fmt: skip
            else:
                if members:
                    leaf = parent / SERVICE_LEAF
                    leaf.mkdir(exist_ok=True)
                    (leaf / "cgroup.procs").write_text(str(pid))
                (parent / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in missing))
        enabled = (parent / "cgroup.subtree_control").read_text().split()
    except OSError as error:
        log.warning("cgroup v2: could not delegate controllers to the runs' groups", group=str(parent),
                    error=str(error))  # fmt: skip
        with contextlib.suppress(OSError):
            enabled = (parent / "cgroup.subtree_control").read_text().split()
    return [c for c in controllers if c in enabled]


class RunCgroup:
    """The cgroup(s) of one sandboxed run: created before it starts, read and removed after."""

    def __init__(self, support: CgroupSupport, *, memory_bytes: int, max_processes: int, owner_uid: int) -> None:
        self.support = support
        name = f"arena-run-{owner_uid}-{uuid.uuid4().hex}"  # the uid: see sweep_stale
        self.memory_dir = support.memory_parent / name if support.memory_parent else None
        self.pids_dir: pathlib.Path | None = None
        self.cpu_dir: pathlib.Path | None = None
        if support.version == 2:  # one group holds every controller
            self.pids_dir = self.memory_dir if support.pids_parent is not None else None
            self.cpu_dir = support.cpu_parent / name if support.cpu_parent is not None else None
        else:
            self.pids_dir = support.pids_parent / name if support.pids_parent is not None else None
            self.cpu_dir = support.cpu_parent / name if support.cpu_parent is not None else None
        self._memory_bytes = memory_bytes
        self._max_processes = max_processes

    def create(self) -> list[str]:
        """Makes the groups and sets their limits; returns the cgroup.procs files the run joins."""
        procs: list[str] = []
        for directory in self._directories():
            directory.mkdir()
            procs.append(str(directory / "cgroup.procs"))  # joined by the launcher, as root (see launch.c)
        if self.memory_dir is not None:
            if self.support.version == 1:
                (self.memory_dir / "memory.limit_in_bytes").write_text(str(self._memory_bytes))
                with contextlib.suppress(OSError):  # without swap accounting the file is absent
                    (self.memory_dir / "memory.memsw.limit_in_bytes").write_text(str(self._memory_bytes))
            else:
                (self.memory_dir / "memory.max").write_text(str(self._memory_bytes))
                with contextlib.suppress(OSError):
                    (self.memory_dir / "memory.swap.max").write_text("0")
        if self.pids_dir is not None:
            (self.pids_dir / "pids.max").write_text(str(self._max_processes))
        return procs

    def cpu_time_s(self) -> float | None:
        """CPU time of every process that was in the group, however it ended (None: not counted)."""
        if self.cpu_dir is None:
            return None
        with contextlib.suppress(OSError, ValueError):
            if self.support.version == 1:
                return int((self.cpu_dir / "cpuacct.usage").read_text()) / 1e9
            stat = dict(line.split() for line in (self.cpu_dir / "cpu.stat").read_text().splitlines())
            return int(stat["usage_usec"]) / 1e6
        return None

    def peak_memory_bytes(self) -> int | None:
        """The group's peak charge: the program's memory and the page cache it brought in."""
        if self.memory_dir is None:
            return None
        name = "memory.max_usage_in_bytes" if self.support.version == 1 else "memory.peak"
        with contextlib.suppress(OSError, ValueError):
            return int((self.memory_dir / name).read_text())
        return None

    def hit_memory_limit(self) -> bool:
        """Whether the OOM killer ran in the group: its memory (page cache aside, which the kernel
        reclaims first) did not fit the limit. Reclaiming page cache at the limit is not a hit."""
        if self.memory_dir is None:
            return False
        with contextlib.suppress(OSError, ValueError):
            name = "memory.oom_control" if self.support.version == 1 else "memory.events"
            fields = dict(line.split() for line in (self.memory_dir / name).read_text().splitlines())
            return int(fields.get("oom_kill", 0)) > 0
        return False

    async def remove(self) -> None:
        """Removes the groups; members still inside (none after a reaped run) are killed first, off the loop."""
        stubborn = []
        for directory in self._directories():
            try:
                directory.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                stubborn.append(directory)
        if stubborn:
            await asyncio.to_thread(lambda: [_remove(directory) for directory in stubborn])

    def _directories(self) -> list[pathlib.Path]:
        return list(dict.fromkeys(d for d in (self.memory_dir, self.pids_dir, self.cpu_dir) if d is not None))


def _kill_members(directory: pathlib.Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        for pid in (directory / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


def _remove(directory: pathlib.Path) -> bool:
    """Kills what is inside and removes the group (it can only go once its members are gone).

    Blocking, with a short back-off while killed members exit: call it from a thread (or before
    the event loop runs), never on the loop.
    """
    deadline = time.monotonic() + 1.0
    pause = 0.0005
    while True:
        _kill_members(directory)
        try:
            directory.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if time.monotonic() >= deadline:
                break
            time.sleep(pause)  # in a worker thread: killed members take a moment to exit
            pause = min(pause * 2, 0.05)
    log.warning("could not remove a sandbox cgroup", path=str(directory))
    return False


def sweep_stale(support: CgroupSupport, uids: Iterable[int]) -> int:
    """Removes the run cgroups of sandbox uids this process has just claimed (blocking: at start).

    A claimed uid (see ``sandbox.claim_slot_uids``) belongs to no live judge, so its groups
    are leftovers of one that was killed: whatever is still inside is killed, and they go.
    """
    removed = 0
    parents = (support.memory_parent, support.pids_parent, support.cpu_parent)
    for parent in {p for p in parents if p is not None}:
        for uid in uids:
            removed += sum(_remove(directory) for directory in parent.glob(f"arena-run-{uid}-*"))
    if removed:
        log.info("removed stale sandbox cgroups", count=removed)
    return removed
