"""Running untrusted code: bubblewrap in fresh namespaces, limits, and an honest account of the run.

Every run is the launcher (``launch.c``: becomes the slot uid, joins the run's cgroups, sets the rlimits,
in one exec) → ``bwrap`` → the program, as a per-slot unprivileged uid, so concurrent runs cannot
touch each other's processes or files and no Python code runs between fork and exec. Inside bubblewrap: new user, PID,
network, IPC, UTS and cgroup namespaces (no network at all), no further user namespaces, a seccomp
filter (see seccomp.py), a read-only root and /dev prepared once per sandbox (system_tree.py: a few
mounts per run instead of twenty) with /usr bound over it, a size-bounded private /tmp and
/dev/shm, the work directory at /box (writable only while compiling), an empty environment, no
capabilities, and death with the parent. No host path shows inside: bwrap reads its options from a
pipe (/proc/1/cmdline), and workspaces live on a tmpfs of the sandbox's own (/proc/self/mountinfo
then shows /box's source as /ws-...; see ``Sandbox.neutral_paths``).

Limits: CPU time (RLIMIT_CPU stops endless loops; the verdict uses the run's cgroup, which counts
every process of the run however it ends, or the rusage of the reaped tree where no cgroup is
writable: see ``Sandbox.cpu_accounting``), wall time (the run is killed), memory (a memory cgroup
where one can be created, else RLIMIT_AS), processes (a pids cgroup, else RLIMIT_NPROC of the slot's
own uid), file size (RLIMIT_FSIZE, which also caps stdout and stderr: they are files), open files,
and the workspaces' size (their tmpfs). The memory reported is the program's own (its peak resident set),
not the page cache its reads brought in, which the cgroup charges but reclaims before it is short.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import dataclasses
import fcntl
import json
import os
import pathlib
import resource
import shutil
import signal
import subprocess
import tempfile
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import structlog

from arena.execution import system_tree
from arena.execution.cgroups import CgroupSupport, RunCgroup, sweep_stale
from arena.execution.launch import LaunchUnavailable, build_launch
from arena.execution.seccomp import SeccompUnavailable, build_filter

log = structlog.get_logger("arena.sandbox")

# Directories of the host the sandbox sees, read-only (Debian's merged /usr; /bin etc. are links).
READ_ONLY = ("/usr", "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d")
# Toolchains' data read at run time: the JDK's config, its CA store, the time zone, GHC's package database
# (Debian keeps it only under /var/lib).
READ_ONLY_IF_PRESENT = ("/etc/java-17-openjdk", "/etc/ssl/certs/java", "/etc/localtime", "/var/lib/ghc")
# What a prepared system tree copies (system_tree.py); /usr is bound.
COPIED = tuple(path for path in (*READ_ONLY, *READ_ONLY_IF_PRESENT) if path != "/usr")
LINKS = (("usr/bin", "/bin"), ("usr/sbin", "/sbin"), ("usr/lib", "/lib"), ("usr/lib64", "/lib64"))
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
FIRST_SLOT_UID = 61000
RUN_NICENESS = 10
CPU_POLL_S = 0.1
"""How often a run's counted CPU time is checked against its limit while it runs."""
CPU_KILL_MARGIN_S = 0.5
"""A run is killed once its processes together used this much more CPU than allowed (the verdict is TLE)."""
SLOT_UID_SPAN = 4096
WORKSPACE_FS_BYTES = 2 * 1024 * 1024 * 1024
"""Cap of the file system holding every workspace (a tmpfs of the sandbox's own, where it can mount one)."""
UID_LOCK_DIR = pathlib.Path(tempfile.gettempdir()) / "arena-sandbox-uids"
_PR_SET_CHILD_SUBREAPER = 36
_MS_NOSUID, _MS_NODEV, _MNT_DETACH = 2, 4, 2


def _mount_tmpfs(target: pathlib.Path, size_bytes: int) -> bool:
    """Mounts a tmpfs of its own at ``target`` (needs CAP_SYS_ADMIN); False where it cannot."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    options = f"mode=0711,size={size_bytes}".encode()
    if libc.mount(b"arena-workspaces", str(target).encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, options) != 0:
        log.warning("no file system of its own for the workspaces: host paths show in /proc/self/mountinfo",
                    path=str(target), error=os.strerror(ctypes.get_errno()))  # fmt: skip
        return False
    return True


def _unmount(target: str) -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.umount2(target.encode(), _MNT_DETACH)


def become_subreaper() -> None:
    """Orphaned descendants are reparented to this process instead of the machine's init.

    bubblewrap's outer process exits without reaping its inner one (the PID namespace's init),
    which then lingers as a zombie holding the program's CPU time. As subreaper this process
    gets it back, reaps it, and reads the run's real resource usage from it.
    """
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


@dataclasses.dataclass(frozen=True)
class Limits:
    cpu_time_s: float
    wall_time_s: float
    memory_kib: int
    processes: int = 64
    file_size_bytes: int = 16 * 1024 * 1024
    """Largest file a run may write, stdout and stderr included."""
    open_files: int = 64
    tmp_bytes: int = 64 * 1024 * 1024
    stack_kib: int | None = None
    """Stack size; default: as large as the memory limit (deep recursion is normal in contests)."""


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    """What happened in one run, measured, before any verdict is decided."""

    exit_code: int | None
    signal: int | None
    cpu_time_s: float
    wall_time_s: float
    memory_kib: int
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    wall_time_exceeded: bool
    memory_limit_hit: bool
    """The memory limit stopped the run. Not when the output limit was reached first: a program
    whose writes fail (Node ignores SIGXFSZ) may pile up memory until it is killed for it."""
    output_limit_hit: bool

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and self.signal is None


@dataclasses.dataclass(frozen=True)
class ConnectedRun:
    """One side of two runs connected by pipes (``Sandbox.run_connected``): each one's stdout is the
    other's stdin; nothing else is shared (own uid, namespaces, cgroups, limits, /tmp)."""

    workspace: pathlib.Path
    command: Sequence[str]
    limits: Limits
    files: Mapping[str, bytes] = dataclasses.field(default_factory=dict)
    """Read-only files shown at /judge/<name> in this run only (bwrap copies them in: the trusted side
    never writes into a workspace)."""
    ignore_sigpipe: bool = False
    """Start the program with SIGPIPE ignored: a write to a peer that has gone fails (EPIPE) instead
    of killing it (an interactor outliving its contestant reports, rather than dies)."""
    capture_bytes: int = 64 * 1024
    """How much of stderr is kept (stdout is the pipe)."""


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


class SandboxFailure(RuntimeError):
    """A run's program never started: the launcher or bubblewrap failed (their message is the error's).
    Not the program's doing, so no verdict of its own: the judge reports an internal error."""


def claim_slot_uids(count: int, *, lock_dir: pathlib.Path = UID_LOCK_DIR) -> list[tuple[int, int]]:
    """Claims ``count`` sandbox uids machine-wide: (uid, lock fd) pairs held for the sandbox's life.

    Two sandboxes (two judges, or a judge and a benchmark) sharing a uid would share its
    RLIMIT_NPROC count and could signal each other's runs. A uid is claimed with an flock on
    its own file, so a judge that dies gives its uids back with its file descriptors.
    """
    lock_dir.mkdir(mode=0o700, exist_ok=True)
    claimed: list[tuple[int, int]] = []
    # A zombie cannot be killed and still counts against its uid's RLIMIT_NPROC (and shows as a process of
    # the sandbox): a uid that has one, left by a process that does not reap it, is passed over.
    undead = _zombie_uids()
    for uid in range(FIRST_SLOT_UID, FIRST_SLOT_UID + SLOT_UID_SPAN):
        if uid in undead:
            continue
        fd = os.open(lock_dir / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        claimed.append((uid, fd))
        if len(claimed) == count:
            return claimed
    for _, fd in claimed:
        os.close(fd)
    raise SandboxUnavailable(f"no free sandbox uids left in {FIRST_SLOT_UID}+{SLOT_UID_SPAN}")


def _processes() -> Iterator[tuple[int, int, str]]:
    """(pid, real uid, state letter) of every process now; those that end while read are left out."""
    for status in pathlib.Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError, ValueError, IndexError, StopIteration):
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            yield int(status.parent.name), int(fields["Uid"].split()[0]), fields["State"].split()[0]


def _zombie_uids() -> set[int]:
    """The uids that own a zombie process now."""
    return {uid for _, uid, state in _processes() if state == "Z"}


def _kill_leftovers(uids: Iterable[int]) -> None:
    """SIGKILLs processes still running as uids just claimed: leftovers of a judge that was killed."""
    wanted = set(uids)
    for pid, uid, _ in _processes():
        if uid in wanted:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                log.warning("killed a leftover sandbox process", pid=pid)


class Sandbox:
    def __init__(
        self,
        work_root: pathlib.Path,
        *,
        slots: int,
        cgroups: CgroupSupport | None = None,
        prepared_system: bool = True,
    ) -> None:
        self.work_root = work_root
        self.cgroups = cgroups if cgroups is not None else CgroupSupport.detect()
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxUnavailable("bubblewrap (bwrap) is needed: apt-get install bubblewrap")
        self._bwrap = bwrap
        work_root.mkdir(parents=True, exist_ok=True)
        try:
            self._launch = str(build_launch(work_root))
        except (LaunchUnavailable, OSError, subprocess.SubprocessError) as error:
            raise SandboxUnavailable(str(error)) from error
        # One uid per concurrent run. A plain deque plus a semaphore made on first use in each event
        # loop: the sandbox is not tied to the loop that created it (tests use several).
        # Each slot has a companion uid besides: the second program of a connected run (an interactor)
        # runs as it, so a pair needs one slot only and pairs can never wait on each other's slots.
        self._uid_locks = claim_slot_uids(2 * slots)
        self._free_uids: collections.deque[int] = collections.deque(uid for uid, _ in self._uid_locks[:slots])
        self._companion_uids: collections.deque[int] = collections.deque(uid for uid, _ in self._uid_locks[slots:])
        _kill_leftovers(self.uids)
        sweep_stale(self.cgroups, self.uids)
        self._slots_by_loop: dict[int, asyncio.Semaphore] = {}
        self.slots = slots
        work_root.mkdir(parents=True, exist_ok=True)
        os.chmod(work_root, 0o711)  # slot users reach their own workspace, and list nothing
        for parent in work_root.resolve().parents:
            if not parent.stat().st_mode & 0o001:
                raise SandboxUnavailable(
                    f"the sandbox directory {work_root} is out of the sandbox users' reach: {parent} is not "
                    "world-searchable; choose another ARENA_SANDBOX_DIR"
                )
        try:
            self._seccomp_filter = build_filter()
        except SeccompUnavailable as error:
            raise SandboxUnavailable(str(error)) from error
        # Workspaces live on a file system of their own: a bind mount shows its source's path within
        # its file system in /proc/self/mountinfo, so /box then shows as /ws-..., not a host path.
        self.workspace_root = work_root / "workspaces"
        self.workspace_root.mkdir(exist_ok=True)
        self._unmount_workspaces: weakref.finalize[[str], Sandbox] | None = None
        if os.path.ismount(self.workspace_root):  # left mounted by an earlier life of this service
            self.neutral_paths = True
        else:
            self.neutral_paths = _mount_tmpfs(self.workspace_root, WORKSPACE_FS_BYTES)
            if self.neutral_paths:
                self._unmount_workspaces = weakref.finalize(self, _unmount, str(self.workspace_root))
        os.chmod(self.workspace_root, 0o711)
        # The root and /dev every run sees, prepared once (system_tree.py); None: bwrap builds them per run.
        self.system: system_tree.SystemTree | None = None
        self._unmount_system: weakref.finalize[[str], Sandbox] | None = None
        if prepared_system:
            system_dir = work_root / "system"
            self.system = system_tree.prepare(system_dir, COPIED, LINKS)
            if self.system is not None:
                self._unmount_system = weakref.finalize(self, system_tree.unmount, str(system_dir))
        become_subreaper()

    @property
    def cpu_accounting(self) -> str:
        """How runs' CPU time is measured: ``cgroup-v1``/``cgroup-v2`` (every process of the run
        counts), or ``rusage`` (no writable cgroup: processes outliving the program are not counted)."""
        return self.cgroups.cpu_accounting

    @property
    def uids(self) -> frozenset[int]:
        """The uids this sandbox runs programs as (claimed for it alone)."""
        return frozenset(uid for uid, _ in self._uid_locks)

    def close(self) -> None:
        """Gives the sandbox's uids back and unmounts its workspaces (a process that exits gives the
        uids back anyway, and unmounts at exit)."""
        for _, fd in self._uid_locks:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._uid_locks = []
        if self._unmount_workspaces is not None:
            self._unmount_workspaces()
        if self._unmount_system is not None:
            self._unmount_system()

    # -- workspaces ---------------------------------------------------------------------------

    def workspace(self, files: Mapping[str, bytes]) -> pathlib.Path:
        """A fresh host directory holding the given files, mounted at /box inside runs."""
        directory = pathlib.Path(tempfile.mkdtemp(prefix="ws-", dir=self.workspace_root))
        os.chmod(directory, 0o777)  # compilers (as the slot user) write their output here
        for name, content in files.items():
            path = directory / name
            path.write_bytes(content)
            os.chmod(path, 0o644)
        return directory

    @staticmethod
    def discard(workspace: pathlib.Path) -> None:
        shutil.rmtree(workspace, ignore_errors=True)

    # -- running ------------------------------------------------------------------------------

    def _bwrap_args(
        self,
        workspace: pathlib.Path,
        *,
        writable: bool,
        limits: Limits,
        env: Mapping[str, str],
        status_fd: int,
        seccomp_fd: int,
        file_fds: Mapping[str, int] | None = None,
    ) -> list[str]:
        """bwrap's options, without the program (they travel through ``--args``: see _run)."""
        args = ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session"]
        args += ["--hostname", "sandbox", "--seccomp", str(seccomp_fd)]
        args += ["--json-status-fd", str(status_fd)]  # tells us the inner process, whose rusage we need
        if self.system is not None:
            args += self.system.bwrap_args()
        else:
            for path in READ_ONLY:
                if os.path.exists(path):
                    args += ["--ro-bind", path, path]
            for path in READ_ONLY_IF_PRESENT:
                args += ["--ro-bind-try", path, path]
            for target, link in LINKS:
                args += ["--symlink", target, link]
            # bwrap's /dev is a tmpfs of its own: read-only once /dev/shm is mounted on it (device nodes
            # are mounts of their own and stay writable).
            args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/dev/shm"]
        if self.system is None:
            args += ["--remount-ro", "/dev"]
        args += [
            "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
            "--bind" if writable else "--ro-bind", str(workspace), "/box",
        ]  # fmt: skip
        if file_fds and self.system is not None:
            args += ["--tmpfs", "/judge"]  # the tree's /judge is read-only: a place for this run's files
        for name, fd in (file_fds or {}).items():  # copied in by bwrap, read-only, this run's alone
            args += ["--perms", "0444", "--ro-bind-data", str(fd), f"/judge/{name}"]
        if file_fds and self.system is not None:
            args += ["--remount-ro", "/judge"]
        if self.system is None:
            args += ["--remount-ro", "/"]  # bwrap's own tmpfs root, without a size limit: read-only now
        args += [
            "--chdir", "/box",
            "--clearenv",
            "--setenv", "PATH", SANDBOX_PATH,
            "--setenv", "HOME", "/tmp",
            "--setenv", "LANG", "C.UTF-8",
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
        ]  # fmt: skip
        for key, value in env.items():
            args += ["--setenv", key, value]
        return [*args, "--cap-drop", "ALL"]

    @staticmethod
    def _rlimits(limits: Limits, *, memory_by_cgroup: bool, processes_by_cgroup: bool) -> str:
        """The run's rlimits as the launcher reads them (``name=soft:hard,...``)."""
        cpu = max(1, int(limits.cpu_time_s + 0.999))
        stack_kib = limits.stack_kib if limits.stack_kib is not None else min(limits.memory_kib, 1024 * 1024)
        values = {
            # Soft limit a second above the allowance (SIGXCPU), hard one more (SIGKILL): the verdict
            # comes from the measured CPU time; the rlimit only stops endless loops.
            "cpu": (cpu + 1, cpu + 2),
            "fsize": (limits.file_size_bytes, limits.file_size_bytes),
            "nofile": (limits.open_files, limits.open_files),
            "stack": (stack_kib * 1024, stack_kib * 1024),
            "core": (0, 0),
        }
        if not memory_by_cgroup:
            values["as"] = (limits.memory_kib * 1024, limits.memory_kib * 1024)
        if not processes_by_cgroup:
            values["nproc"] = (limits.processes, limits.processes)
        return ",".join(f"{name}={soft}:{hard}" for name, (soft, hard) in values.items())

    async def run(
        self,
        workspace: pathlib.Path,
        command: Sequence[str],
        *,
        limits: Limits,
        stdin: bytes = b"",
        writable: bool = False,
        env: Mapping[str, str] | None = None,
        capture_bytes: int = 64 * 1024 * 1024,
    ) -> RunOutcome:
        """Runs ``command`` (paths inside the sandbox) with /box = ``workspace``; never raises for
        anything the program does."""
        loop_id = id(asyncio.get_running_loop())
        slots = self._slots_by_loop.get(loop_id)
        if slots is None:
            slots = self._slots_by_loop[loop_id] = asyncio.Semaphore(self.slots)
        async with slots:
            uid = self._free_uids.popleft()
            try:
                return await self._run(workspace, command, limits, stdin, writable, env or {}, capture_bytes, uid)
            finally:
                self._free_uids.append(uid)

    async def run_connected(self, first: ConnectedRun, second: ConnectedRun) -> tuple[RunOutcome, RunOutcome]:
        """Runs two programs at once, each one's stdout the other's stdin (an interactor and a
        contestant), each in a sandbox of its own with its own limits, uid and cgroups, so each one's
        CPU time and memory are its own. Never raises for anything the programs do: a program that
        stops reading blocks its peer's writes once the pipe's buffer is full (a flood cannot pile up
        anywhere), one that exits early gives its peer end-of-file (or EPIPE), and a pair waiting on
        each other ends at the first wall-clock limit, the other then seeing end-of-file."""
        loop_id = id(asyncio.get_running_loop())
        slots = self._slots_by_loop.get(loop_id)
        if slots is None:
            slots = self._slots_by_loop[loop_id] = asyncio.Semaphore(self.slots)
        async with slots:
            uid = self._free_uids.popleft()
            companion = self._companion_uids.popleft()  # never empty: one per slot
            first_reads, second_writes = os.pipe2(os.O_CLOEXEC)
            second_reads, first_writes = os.pipe2(os.O_CLOEXEC)
            try:
                # Each run closes the two ends it was given once its program holds them (or it fails).
                # Both runs end before either uid goes back (with return_exceptions, a side that failed to
                # start does not leave its peer running as a uid the next run may be given).
                outcomes = await asyncio.gather(
                    self._run(first.workspace, first.command, first.limits, b"", False, {}, first.capture_bytes,
                              uid, stdin_fd=first_reads, stdout_fd=first_writes, files=first.files,
                              ignore_sigpipe=first.ignore_sigpipe),
                    self._run(second.workspace, second.command, second.limits, b"", False, {},
                              second.capture_bytes, companion, stdin_fd=second_reads, stdout_fd=second_writes,
                              files=second.files, ignore_sigpipe=second.ignore_sigpipe),
                    return_exceptions=True,
                )  # fmt: skip
                first_outcome, second_outcome = outcomes
                for outcome in outcomes:
                    if isinstance(outcome, BaseException):
                        raise outcome
                assert isinstance(first_outcome, RunOutcome) and isinstance(second_outcome, RunOutcome)
                return first_outcome, second_outcome
            finally:
                self._free_uids.append(uid)
                self._companion_uids.append(companion)

    async def _run(
        self,
        workspace: pathlib.Path,
        command: Sequence[str],
        limits: Limits,
        stdin: bytes,
        writable: bool,
        env: Mapping[str, str],
        capture_bytes: int,
        uid: int,
        *,
        stdin_fd: int | None = None,
        stdout_fd: int | None = None,
        files: Mapping[str, bytes] | None = None,
        ignore_sigpipe: bool = False,
    ) -> RunOutcome:
        """One run. ``stdin_fd``/``stdout_fd`` (a pipe's ends) replace the stdin file and the captured
        stdout, and are closed here once the program holds them (or on failure): the caller gives
        them away. ``files`` are shown read-only at /judge/<name>."""
        owned = [fd for fd in (stdin_fd, stdout_fd) if fd is not None]
        try:
            return await self._run_owning(workspace, command, limits, stdin, writable, env, capture_bytes, uid,
                                          stdin_fd, stdout_fd, files or {}, ignore_sigpipe, owned)  # fmt: skip
        finally:
            for fd in owned:
                with contextlib.suppress(OSError):
                    os.close(fd)

    async def _run_owning(
        self,
        workspace: pathlib.Path,
        command: Sequence[str],
        limits: Limits,
        stdin: bytes,
        writable: bool,
        env: Mapping[str, str],
        capture_bytes: int,
        uid: int,
        stdin_fd: int | None,
        stdout_fd: int | None,
        files: Mapping[str, bytes],
        ignore_sigpipe: bool,
        owned: list[int],
    ) -> RunOutcome:
        cgroup = RunCgroup(
            self.cgroups, memory_bytes=limits.memory_kib * 1024, max_processes=limits.processes, owner_uid=uid
        )
        io_dir = pathlib.Path(tempfile.mkdtemp(prefix="io-", dir=self.work_root))
        status_read, status_write = os.pipe()
        seccomp_fd = args_fd = -1
        file_fds: dict[str, int] = {}
        try:
            # bwrap reads the seccomp filter and its own arguments from pipes (both fit a pipe's buffer).
            seccomp_fd = _pipe_holding(self._seccomp_filter)
            for index, (name, content) in enumerate(files.items()):
                data_path = io_dir / f"file-{index}"  # the trusted side's own directory, never a workspace
                data_path.write_bytes(content)
                file_fds[name] = os.open(data_path, os.O_RDONLY | os.O_CLOEXEC)
            bwrap_options = self._bwrap_args(
                workspace,
                writable=writable,
                limits=limits,
                env=env,
                status_fd=status_write,
                seccomp_fd=seccomp_fd,
                file_fds=file_fds,
            )
            # (bwrap takes only options that way: the command follows on its command line.)
            args_fd = _pipe_holding(b"".join(arg.encode() + b"\0" for arg in bwrap_options))
            procs_files = cgroup.create()
            (io_dir / "stdin").write_bytes(stdin)
            if any(":" in path for path in procs_files):
                raise SandboxUnavailable(f"a cgroup path the launcher cannot take: {procs_files}")
            chain = [
                # The launcher (launch.c) becomes the slot user, lowers its priority (judged programs
                # yield the CPU to the service: their CPU time is what is judged), joins the run's
                # cgroups, sets the rlimits and becomes bwrap: one exec, no code of the program's in
                # between. No uid change in Popen's child, so Python starts it with vfork, which does not
                # copy this process's page tables and so does not stall the event loop for milliseconds.
                self._launch,
                str(uid),
                str(RUN_NICENESS),
                "1" if ignore_sigpipe else "0",
                ":".join(procs_files),
                self._rlimits(limits, memory_by_cgroup=cgroup.memory_dir is not None,
                              processes_by_cgroup=cgroup.pids_dir is not None),
                self._bwrap, "--args", str(args_fd), "--", *command,
            ]  # fmt: skip
            chain_env = {"PATH": "/usr/bin:/bin"}
            with (
                open(io_dir / "stdin", "rb") as fin,
                open(io_dir / "stdout", "wb") as fout,
                open(io_dir / "stderr", "wb") as ferr,
            ):
                started = time.monotonic()
                process = subprocess.Popen(
                    chain,
                    stdin=fin if stdin_fd is None else stdin_fd,
                    stdout=fout if stdout_fd is None else stdout_fd,
                    stderr=ferr,
                    env=chain_env,
                    start_new_session=True,
                    pass_fds=(status_write, seccomp_fd, args_fd, *file_fds.values()),
                )
            # The program holds its pipe ends now: ours go, so each side sees end-of-file when its
            # peer ends (a copy kept here would keep the pipe open).
            while owned:
                os.close(owned.pop())
            os.close(status_write)
            status_write = -1
            for fd in (seccomp_fd, args_fd, *file_fds.values()):
                os.close(fd)
            seccomp_fd = args_fd = -1
            file_fds = {}
            reaping: asyncio.Future[tuple[bool, int | None, resource.struct_rusage | None]] | None = None
            try:
                status, usage, wall_exceeded = await self._wait(
                    process, limits.wall_time_s, cgroup.cpu_time_s, limits.cpu_time_s + CPU_KILL_MARGIN_S
                )
                wall_time_s = time.monotonic() - started
                reaping = asyncio.ensure_future(self._reap_inner(status_read))
                started, inner_status, inner_usage = await asyncio.shield(reaping)
            except asyncio.CancelledError:
                # The run was killed (see _wait), but its namespace's init came to us as subreaper:
                # reap it before the status pipe closes, or it stays a zombie of this process.
                reaping = reaping or asyncio.ensure_future(self._reap_inner(status_read))
                with contextlib.suppress(Exception):
                    await reaping
                raise
            # Every process of the run has ended (the namespace's init is reaped only after the rest).
            # The cgroup counted all of them, the sandbox's own chain outside the namespace too: that
            # part is the outer process's rusage, subtracted when it cannot hold the program's (the
            # namespace's init was reaped here, not by bwrap). Without a cgroup, the init's rusage.
            program_usage = inner_usage if inner_usage is not None else usage
            cgroup_cpu_s = cgroup.cpu_time_s()
            if cgroup_cpu_s is not None:
                chain_cpu_s = usage.ru_utime + usage.ru_stime if inner_usage is not None else 0.0
                cpu_time_s = max(0.0, cgroup_cpu_s - chain_cpu_s)
            else:
                cpu_time_s = program_usage.ru_utime + program_usage.ru_stime
            stdout, stdout_truncated = _read_capped(io_dir / "stdout", capture_bytes)
            stderr, stderr_truncated = _read_capped(io_dir / "stderr", 64 * 1024)
            if not started and not wall_exceeded:
                raise SandboxFailure(
                    f"the sandbox did not start the program (exit status {os.waitstatus_to_exitcode(status)}): "
                    + stderr.decode(errors="replace").strip()
                )
            # Memory: the program's peak resident set (the page cache its reads brought in aside), but
            # never more than the cgroup charged it (its resident set counts the pages of shared
            # libraries and runtimes that other groups brought in); the cgroup's peak when it was
            # killed for memory. Without a memory cgroup, the resident set against RLIMIT_AS.
            peak = cgroup.peak_memory_bytes()
            memory_kib = program_usage.ru_maxrss
            if peak is not None:
                memory_hit = cgroup.hit_memory_limit()
                memory_kib = peak // 1024 if memory_hit else min(memory_kib, peak // 1024)
            else:
                memory_hit = memory_kib >= limits.memory_kib
            exit_code = inner_status if inner_status is not None else os.waitstatus_to_exitcode(status)
            killed_by = None
            if exit_code < 0:
                killed_by = -exit_code
            elif exit_code > 128 and exit_code - 128 in _SIGNALS:
                killed_by = exit_code - 128  # bwrap reports a program killed by signal N as 128 + N
            # (A pipe has no file size: a program flooding one blocks once its peer stops reading.)
            output_hit = killed_by == signal.SIGXFSZ or (io_dir / "stdout").stat().st_size >= limits.file_size_bytes
            return RunOutcome(
                exit_code=None if killed_by else exit_code,
                signal=killed_by,
                cpu_time_s=cpu_time_s,
                wall_time_s=wall_time_s,
                memory_kib=int(memory_kib),
                stdout=stdout,
                stderr=stderr,
                stdout_truncated=stdout_truncated,
                stderr_truncated=stderr_truncated,
                wall_time_exceeded=wall_exceeded,
                # Output at its cap means the output limit came first: the kill (if any) ended the writes.
                memory_limit_hit=memory_hit and not output_hit,
                output_limit_hit=output_hit,
            )
        finally:
            for fd in (status_write, seccomp_fd, args_fd, *file_fds.values()):
                if fd >= 0:
                    os.close(fd)
            os.close(status_read)
            await cgroup.remove()
            shutil.rmtree(io_dir, ignore_errors=True)

    @staticmethod
    async def _reap_inner(status_read: int) -> tuple[bool, int | None, resource.struct_rusage | None]:
        """Whether bwrap started the program, the exit code it saw, and the rusage of its inner process
        (reaped here, as subreaper)."""
        raw = await _read_to_end(status_read)
        child_pid = exit_code = None
        for line in raw.decode(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                child_pid = record.get("child-pid", child_pid)
                exit_code = record.get("exit-code", exit_code)
        if child_pid is None:
            return False, exit_code, None
        try:
            _, _, usage = await _wait4(child_pid)
        except ChildProcessError:
            return True, exit_code, None  # not reparented to us (not a subreaper): the outer rusage must do
        return True, exit_code, usage

    @staticmethod
    async def _wait(
        process: subprocess.Popen[bytes],
        wall_time_s: float,
        cpu_time_s: Callable[[], float | None] | None = None,
        cpu_kill_s: float = float("inf"),
    ) -> tuple[int, resource.struct_rusage, bool]:
        """Waits with wait4 (for the rusage of the whole tree); kills the run when the wall clock is up, or
        as soon as the run's cgroup has counted ``cpu_kill_s`` of CPU (several processes burning CPU at once
        pass the limit long before RLIMIT_CPU, which is per process, or the wall clock stops them)."""
        loop = asyncio.get_running_loop()
        waiting = asyncio.ensure_future(_wait4(process.pid))
        wall_exceeded = False
        deadline = loop.time() + wall_time_s
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError
                try:
                    _, status, usage = await asyncio.wait_for(asyncio.shield(waiting), min(remaining, CPU_POLL_S))
                    break
                except TimeoutError:
                    used = cpu_time_s() if cpu_time_s is not None else None
                    if used is not None and used > cpu_kill_s:
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(process.pid, signal.SIGKILL)  # the verdict reads the counted CPU: TLE
                        _, status, usage = await waiting
                        break
        except TimeoutError:
            wall_exceeded = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # bwrap dies; its PID namespace takes the rest
            _, status, usage = await waiting
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await asyncio.shield(waiting)
            raise
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        return status, usage, wall_exceeded


_SIGNALS = frozenset(int(s) for s in signal.Signals)
_PIPE_CAPACITY = 65536  # Linux default


def _pipe_holding(data: bytes) -> int:
    """The read end of a pipe that holds ``data`` (written whole, the write end closed)."""
    if len(data) > _PIPE_CAPACITY:
        raise ValueError(f"{len(data)} bytes do not fit a pipe's buffer")
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, data)  # whole: it fits the buffer, and nobody reads yet
    finally:
        os.close(write_end)
    return read_end


async def _readable(fd: int) -> None:
    """Returns once ``fd`` is readable (the event loop watches it: no thread waits)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


async def _wait4(pid: int) -> tuple[int, int, resource.struct_rusage]:
    """os.wait4 once the process has ended, watched through a pidfd by the event loop (a thread per
    wait cost a hand-off each way on every run). Only for processes nobody else reaps: this one's
    children, and the namespace inits that come to it as subreaper."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        raise ChildProcessError(pid) from None  # already reaped (not ours to wait for)
    try:
        await _readable(pidfd)  # readable once the process has exited
    finally:
        os.close(pidfd)
    return os.wait4(pid, 0)


async def _read_to_end(fd: int) -> bytes:
    """Everything written to a pipe until its writers closed it, read as it arrives."""
    os.set_blocking(fd, False)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            await _readable(fd)
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _read_capped(path: pathlib.Path, limit: int) -> tuple[bytes, bool]:
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    return data[:limit], len(data) > limit
