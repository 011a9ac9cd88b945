"""The read-only system tree every sandboxed run sees as ``/`` and ``/dev``, prepared once per sandbox.

bubblewrap used to assemble each run's root from some twenty mounts: a tmpfs, a read-only bind (a bind,
then a remount) for each of /usr, four files and directories of /etc and up to four toolchain paths,
symlinks, its own /dev (a tmpfs, a bind per device node, devpts), a remount of /dev and one of /. Every one
is a system call or two in each run's start, and together they were a few of the milliseconds a run costs
before the program starts.

Here one tmpfs of the sandbox's own holds, prepared when the sandbox starts:

- ``root/``: the mount points (usr, proc, dev, tmp, box, judge), the merged-/usr links (bin → usr/bin …),
  and copies of the small files of /etc and /var the toolchains read (the dynamic linker's cache, the JDK's
  configuration, the time zone, GHC's package database);
- ``dev/``: the device nodes a program may use (null, zero, full, random, urandom, tty), made with
  mknod, and the fd/stdin/stdout/stderr links; no pts, no ptmx (runs have no terminal).

Then the whole file system is made read-only (its superblock: no run, and no bind of it, can write there;
device nodes stay usable, they are not files of the tmpfs). A run binds ``root`` at /, /usr over it, and
``dev`` at /dev: three mounts where there were twenty. /proc/self/mountinfo shows only paths within this
file system (``/root``, ``/dev``), never a host path.

The copies are taken at start: a toolchain installed later is seen by runs after the service restarts.
Where no tmpfs can be mounted (no CAP_SYS_ADMIN), ``prepare`` returns None and the sandbox builds each
run's root with bubblewrap's own mounts, as before.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import pathlib
import shutil
import stat
from collections.abc import Iterable

import structlog

log = structlog.get_logger("arena.sandbox")

SYSTEM_FS_BYTES = 64 * 1024 * 1024
"""Cap of the tree's tmpfs (the copies are about a megabyte)."""
MOUNT_POINTS = ("usr", "proc", "dev", "tmp", "box", "judge")
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
DEVICE_LINKS = (("/proc/self/fd", "fd"), ("/proc/self/fd/0", "stdin"), ("/proc/self/fd/1", "stdout"),
                ("/proc/self/fd/2", "stderr"))  # fmt: skip
_MS_RDONLY, _MS_NOSUID, _MS_REMOUNT, _MNT_DETACH = 1, 2, 32, 2


@dataclasses.dataclass(frozen=True)
class SystemTree:
    """A prepared tree: what a run binds at / and /dev."""

    root: pathlib.Path
    dev: pathlib.Path

    def bwrap_args(self) -> list[str]:
        """The root, /usr, /proc and /dev of a run (the first mounts of its bwrap options)."""
        return [
            "--ro-bind", str(self.root), "/",
            "--ro-bind", "/usr", "/usr",
            "--proc", "/proc",
            # A bind that keeps device nodes usable; read-only all the same (the file system is).
            "--dev-bind", str(self.dev), "/dev",
        ]  # fmt: skip


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL("libc.so.6", use_errno=True)


def _mount(source: bytes, target: pathlib.Path, flags: int, options: bytes) -> None:
    if _libc().mount(source, str(target).encode(), b"tmpfs", flags, options) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno), str(target))


def _copy(path: str, root: pathlib.Path) -> None:
    """Copies a host file or directory into the tree at the same path (symlinks as symlinks)."""
    source = pathlib.Path(path)
    if not source.exists() and not source.is_symlink():
        return
    target = root / source.relative_to("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copy2(source, target, follow_symlinks=False)


def _populate(directory: pathlib.Path, copies: Iterable[str], links: Iterable[tuple[str, str]]) -> SystemTree:
    umask = os.umask(0o022)  # what is made here is readable by every slot user, whatever the service's umask
    try:
        return _populate_with_umask(directory, copies, links)
    finally:
        os.umask(umask)


def _populate_with_umask(
    directory: pathlib.Path, copies: Iterable[str], links: Iterable[tuple[str, str]]
) -> SystemTree:
    root, dev = directory / "root", directory / "dev"
    for name in MOUNT_POINTS:
        (root / name).mkdir(parents=True)
    for target, link in links:
        os.symlink(target, root / link.lstrip("/"))
    for copied in copies:
        _copy(copied, root)
    dev.mkdir()
    (dev / "shm").mkdir()  # the mount point of each run's own capped /dev/shm
    for name in DEVICES:
        host = os.stat(f"/dev/{name}")
        os.mknod(dev / name, 0o666 | stat.S_IFCHR, host.st_rdev)
        os.chmod(dev / name, 0o666)  # (mknod applied the umask)
    for target, link in DEVICE_LINKS:
        os.symlink(target, dev / link)
    for made in (directory, root, dev):
        os.chmod(made, 0o755)
    return SystemTree(root=root, dev=dev)


def prepare(directory: pathlib.Path, copies: Iterable[str], links: Iterable[tuple[str, str]]) -> SystemTree | None:
    """Mounts and fills the tree at ``directory``, then makes it read-only (``unmount`` undoes it).
    None where this process cannot mount a tmpfs or make device nodes."""
    directory.mkdir(parents=True, exist_ok=True)
    if os.path.ismount(directory):  # left by an earlier life of this service: its copies may be stale
        unmount(str(directory))
    try:
        _mount(b"arena-system", directory, _MS_NOSUID, f"mode=0755,size={SYSTEM_FS_BYTES}".encode())
    except OSError as error:
        log.warning("no prepared system tree: each run's root is built from bubblewrap's own mounts",
                    path=str(directory), error=str(error))  # fmt: skip
        return None
    try:
        tree = _populate(directory, copies, links)
        # The superblock read-only: a run's bind of it cannot be made writable, devices still work.
        _mount(b"arena-system", directory, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID, b"")
    except OSError as error:
        unmount(str(directory))
        log.warning("no prepared system tree: each run's root is built from bubblewrap's own mounts",
                    path=str(directory), error=str(error))  # fmt: skip
        return None
    return tree


_CLONE_NEWNS, _MS_REC, _MS_PRIVATE = 0x00020000, 16384, 1 << 18


def enter_private_mount_namespace() -> bool:
    """Gives this process a mount namespace of its own, private to it, so that the file systems the
    sandbox mounts (the system tree, the workspaces) go when the process goes, however it ends: a
    judge killed with SIGKILL left them mounted on the host for good, and every run's namespace copies
    every host mount. Call it first thing, while the process has one thread (the kernel refuses a
    threaded one). False where it cannot (not root, threads already): the sandbox then unmounts its
    file systems itself when it closes, and a killed judge leaves them behind."""
    libc = _libc()
    if libc.unshare(_CLONE_NEWNS) != 0:
        log.warning("no private mount namespace: the sandbox's mounts outlive a killed judge",
                    error=os.strerror(ctypes.get_errno()))  # fmt: skip
        return False
    # Copies of shared mounts stay shared: without this, new mounts would show on the host again.
    if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "cannot make the judge's mounts private")
    return True


def unmount(directory: str) -> None:
    """Takes the tree away (lazily: a run still starting keeps its own bind)."""
    _libc().umount2(directory.encode(), _MNT_DETACH)
