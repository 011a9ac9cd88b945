"""Doors closed although no escape went through them: nested user namespaces, the kernel calls a
contest program never needs (seccomp), unbounded /dev and /dev/shm, host paths in /proc."""

from __future__ import annotations

import errno
import struct

import pytest

from arena.execution.languages import COMPILE_LIMITS
from arena.execution.sandbox import Limits, Sandbox
from arena.execution.seccomp import DENIED_SYSCALLS, build_filter

pytestmark = pytest.mark.timeout(120)

PROBE = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static void report(const char *name, long result) { printf("%s %ld %d\n", name, result, result < 0 ? errno : 0); }
int main(void) {
    report("ptrace_attach_pid1", ptrace(PTRACE_ATTACH, 1, 0, 0));
    report("unshare_user", unshare(CLONE_NEWUSER));
    report("unshare_mount", unshare(CLONE_NEWNS));
    report("clone_newuser", syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
    report("clone_newnet", syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0));
    report("clone3", syscall(SYS_clone3, 0, 0));
    report("setns", syscall(SYS_setns, 0, 0));
    report("mount", mount("none", "/tmp", "tmpfs", 0, 0));
    report("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
    report("add_key", syscall(SYS_add_key, "user", "k", "v", 1, -1));
    report("bpf", syscall(SYS_bpf, 0, 0, 0));
    report("perf_event_open", syscall(SYS_perf_event_open, 0, 0, -1, -1, 0));
    report("userfaultfd", syscall(SYS_userfaultfd, 0));
    report("kexec_load", syscall(SYS_kexec_load, 0, 0, 0, 0));
    report("init_module", syscall(SYS_init_module, 0, 0, ""));
    report("io_uring_setup", syscall(SYS_io_uring_setup, 1, 0));
    pid_t child = fork();  /* plain processes and threads still work */
    if (child == 0) _exit(7);
    int status = 0;
    waitpid(child, &status, 0);
    report("fork", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
"""


async def run_probe(sandbox: Sandbox) -> dict[str, tuple[int, int]]:
    workspace = sandbox.workspace({"main.c": PROBE.encode()})
    try:
        built = await sandbox.run(
            workspace, ["/usr/bin/gcc", "-O2", "-o", "main", "main.c"], limits=COMPILE_LIMITS, writable=True
        )
        assert built.succeeded, built.stderr
        ran = await sandbox.run(workspace, ["./main"], limits=Limits(cpu_time_s=2, wall_time_s=10, memory_kib=65536))
        assert ran.succeeded, ran
        results = {}
        for line in ran.stdout.decode().splitlines():
            name, result, error = line.split()
            results[name] = (int(result), int(error))
        return results
    finally:
        sandbox.discard(workspace)


async def test_dangerous_kernel_calls_fail_and_ordinary_ones_work(sandbox: Sandbox):
    results = await run_probe(sandbox)
    assert results.pop("fork") == (7, 0)
    assert results.pop("clone3") == (-1, errno.ENOSYS)  # the C library falls back to clone, whose flags are checked
    assert results == {name: (-1, errno.EPERM) for name in results}, results
    assert len(results) == 15


async def test_nested_user_namespaces_are_refused(sandbox: Sandbox):
    """`unshare -Urm` gave root in a new namespace, with mounts; bwrap --disable-userns (bwrap itself
    dies if it did not take effect) and the seccomp filter both refuse it now."""
    workspace = sandbox.workspace({})
    try:
        limits = Limits(cpu_time_s=2, wall_time_s=10, memory_kib=65536)
        ran = await sandbox.run(workspace, ["/usr/bin/unshare", "-Urm", "/usr/bin/id", "-u"], limits=limits)
        assert not ran.succeeded and ran.stdout == b"", ran
        assert b"Operation not permitted" in ran.stderr
    finally:
        sandbox.discard(workspace)


async def test_dev_is_read_only_and_dev_shm_is_capped_like_tmp(sandbox: Sandbox):
    writer = (  # files of 4 MiB (RLIMIT_FSIZE caps each file) until the file system is full
        "import errno\n"
        "def fill(directory):\n"
        "    written = 0\n"
        "    try:\n"
        "        for n in range(64):\n"
        "            with open(f'{directory}/fill{n}', 'wb') as f:\n"
        "                for _ in range(4):\n"
        "                    f.write(b'x' * (1 << 20)); f.flush(); written += 1 << 20\n"
        "    except OSError as e:\n"
        "        return written, errno.errorcode[e.errno]\n"
        "    return written, 'none'\n"
        "print(*fill('/dev/shm'), *fill('/dev'))\n"
    )
    workspace = sandbox.workspace({"main.py": writer.encode()})
    try:
        tmp_bytes = 16 << 20
        limits = Limits(cpu_time_s=5, wall_time_s=20, memory_kib=512 * 1024, tmp_bytes=tmp_bytes)
        ran = await sandbox.run(workspace, ["/usr/bin/python3", "-S", "main.py"], limits=limits)
        assert ran.succeeded, ran
        shm_written, shm_error, dev_written, dev_error = ran.stdout.decode().split()
        assert shm_error == "ENOSPC" and int(shm_written) <= tmp_bytes, ran.stdout
        assert dev_error == "EROFS" and int(dev_written) == 0, ran.stdout
    finally:
        sandbox.discard(workspace)


async def test_the_sandboxs_command_line_and_mounts_name_no_host_path(sandbox: Sandbox):
    source = "print(open('/proc/1/cmdline').read().replace(chr(0), ' '))\nprint(open('/proc/self/mountinfo').read())\n"
    workspace = sandbox.workspace({"main.py": source.encode()})
    try:
        limits = Limits(cpu_time_s=2, wall_time_s=10, memory_kib=65536)
        ran = await sandbox.run(workspace, ["/usr/bin/python3", "-S", "main.py"], limits=limits)
        assert ran.succeeded, ran
        cmdline, *mounts = ran.stdout.decode().splitlines()
        assert "--args" in cmdline  # bwrap's init: its options came through a pipe
        assert sandbox.neutral_paths  # root here: the workspaces have a file system of their own
        for seen in (cmdline, *mounts):
            assert str(sandbox.work_root) not in seen and "arena-sandbox" not in seen, seen
        box = next(line.split() for line in mounts if line.split()[4] == "/box")
        assert box[3] == f"/{workspace.name}", box  # the path within the workspaces' own file system
    finally:
        sandbox.discard(workspace)


def test_the_filter_checks_the_architecture_first():
    program = build_filter()
    assert len(program) % 8 == 0
    instructions = [struct.unpack("HBBI", program[i : i + 8]) for i in range(0, len(program), 8)]
    load_arch, check_arch = instructions[0], instructions[1]
    assert load_arch == (0x20, 0, 0, 4)  # BPF_LD|BPF_W|BPF_ABS seccomp_data.arch
    assert check_arch[0] == 0x15 and check_arch[3] == 0xC000003E  # JEQ AUDIT_ARCH_X86_64
    assert "ptrace" in DENIED_SYSCALLS and "perf_event_open" in DENIED_SYSCALLS
