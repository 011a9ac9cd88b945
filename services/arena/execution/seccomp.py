"""The seccomp filter of every sandboxed run, compiled to BPF by libseccomp (through ctypes).

bubblewrap loads it (``--seccomp FD``) just before it executes the program. Everything is allowed
except the calls that reach kernel code a contest program never needs and that an attacker would:
tracing other processes, new namespaces, mounts, keyrings, BPF, perf events, userfaultfd, io_uring,
loading kernels or modules. They fail with EPERM (``clone3``, whose flags a filter cannot read, with
ENOSYS: the C library then falls back to ``clone``, whose flags are checked). Calls of any other
architecture (32-bit ``int 0x80``, x32) kill the process: libseccomp checks the architecture first.

libseccomp (Debian ``libseccomp2``; apt itself depends on it) is the maintained compiler of such
filters; its C API is called directly rather than through a Python binding, which would be one
more package for four functions.
"""

from __future__ import annotations

import ctypes
import errno
import os

DENIED_SYSCALLS = (
    # other processes' memory and registers (pid 1 of the sandbox included)
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    # namespaces
    "unshare",
    "setns",
    # mounts, old and new API
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    # kernel keyrings
    "keyctl",
    "add_key",
    "request_key",
    # large kernel attack surface, no use in a contest program
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "open_by_handle_at",
    "name_to_handle_at",
    "lookup_dcookie",
    "fanotify_init",
    # the machine itself
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "acct",
    "swapon",
    "swapoff",
    "reboot",
    "syslog",
    "quotactl",
    "iopl",
    "ioperm",
)
NOT_IMPLEMENTED_SYSCALLS = ("clone3",)
# clone(2) flags that make namespaces (CLONE_NEWTIME shares its bit with the exit signal in clone's
# first argument, so it exists for clone3 and unshare only: both denied above).
CLONE_NEW_FLAGS = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}

_SCMP_ACT_ALLOW = 0x7FFF0000
_SCMP_CMP_MASKED_EQ = 7
_NR_SCMP_ERROR = -1


def _errno_action(code: int) -> int:
    return 0x00050000 | (code & 0x0000FFFF)  # SCMP_ACT_ERRNO(code)


class _ArgCmp(ctypes.Structure):
    """``struct scmp_arg_cmp``."""

    _fields_ = (
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    )


class SeccompUnavailable(RuntimeError):
    """libseccomp is missing or failed to build the filter."""


def _library() -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError as error:
        raise SeccompUnavailable("libseccomp is needed for the sandbox: apt-get install libseccomp2") from error
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_release.argtypes = (ctypes.c_void_p,)
    lib.seccomp_release.restype = None
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    lib.seccomp_rule_add_array.argtypes = (
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    )
    lib.seccomp_rule_add_array.restype = ctypes.c_int
    lib.seccomp_export_bpf.argtypes = (ctypes.c_void_p, ctypes.c_int)
    lib.seccomp_export_bpf.restype = ctypes.c_int
    return lib


def build_filter() -> bytes:
    """The run's filter as a classic-BPF program (``struct sock_filter`` array), native arch only."""
    lib = _library()
    context = lib.seccomp_init(_SCMP_ACT_ALLOW)
    if not context:
        raise SeccompUnavailable("seccomp_init failed")
    try:

        def add(name: str, action: int, *conditions: _ArgCmp) -> None:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number == _NR_SCMP_ERROR:
                return  # not a call of this architecture
            array = (_ArgCmp * len(conditions))(*conditions) if conditions else None
            result = lib.seccomp_rule_add_array(context, action, number, len(conditions), array)
            if result < 0:
                raise SeccompUnavailable(f"seccomp rule for {name} failed: {os.strerror(-result)}")

        for name in DENIED_SYSCALLS:
            add(name, _errno_action(errno.EPERM))
        for name in NOT_IMPLEMENTED_SYSCALLS:
            add(name, _errno_action(errno.ENOSYS))
        for flag in CLONE_NEW_FLAGS.values():  # one rule per flag: the rules of one call are or-ed
            add("clone", _errno_action(errno.EPERM), _ArgCmp(0, _SCMP_CMP_MASKED_EQ, flag, flag))
        fd = os.memfd_create("arena-seccomp", os.MFD_CLOEXEC)
        try:
            result = lib.seccomp_export_bpf(context, fd)
            if result < 0:
                raise SeccompUnavailable(f"seccomp_export_bpf failed: {os.strerror(-result)}")
            os.lseek(fd, 0, os.SEEK_SET)
            chunks = []
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
            program = b"".join(chunks)
        finally:
            os.close(fd)
    finally:
        lib.seccomp_release(context)
    if not program or len(program) % 8:
        raise SeccompUnavailable(f"libseccomp exported a malformed filter ({len(program)} bytes)")
    return program
