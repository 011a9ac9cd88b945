"""The languages the judge runs: one small data class each, detected and self-tested at start.

A language is offered only when its toolchain is on the machine and a trivial program compiles
and runs correctly in the sandbox (DMOJ's executors do the same): a broken runtime is found at
start, not by contestants.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import shutil
import subprocess
from collections.abc import Sequence

import structlog

from arena.execution.sandbox import Limits, Sandbox

log = structlog.get_logger("arena.execution")


@dataclasses.dataclass(frozen=True)
class Language:
    language_id: str
    name: str
    source_file: str
    run: tuple[str, ...]
    """Run command inside the sandbox; ``{memory_mib}`` is the run's memory limit."""
    compile: tuple[str, ...] | None = None
    """Compile (or syntax check) command inside the sandbox, writing into /box."""
    version_command: tuple[str, ...] = ()
    version_pattern: str = r"(\d+\.\d+(?:\.\d+)?)"
    hello: str = ""
    """A program printing ``hello`` for the self-test."""
    compile_memory_kib: int = 1024 * 1024
    compile_processes: int = 64
    run_processes: int = 64
    extra_memory_kib: int = 0
    """Runtime overhead (a JVM's own footprint) added to the problem's memory limit."""
    out_of_memory_exit: tuple[int, bytes] | None = None
    """How the runtime says it ran out of its own heap (which its run command caps at the memory
    limit): this exit code with this text on stderr. Such a run is MEMORY_LIMIT_EXCEEDED, as when the
    memory cgroup kills a program, not a runtime error."""

    def ran_out_of_memory(self, exit_code: int | None, stderr: bytes) -> bool:
        if self.out_of_memory_exit is None:
            return False
        code, marker = self.out_of_memory_exit
        return exit_code == code and marker in stderr

    @property
    def binary(self) -> str:
        return (self.compile or self.run)[0]

    def run_command(self, memory_kib: int) -> list[str]:
        return [part.format(memory_mib=max(16, memory_kib // 1024)) for part in self.run]

    def detect_version(self) -> str | None:
        """The toolchain's version, or None when it is missing."""
        if shutil.which(self.binary) is None:
            return None
        try:
            done = subprocess.run(self.version_command, capture_output=True, text=True, timeout=20, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        match = re.search(self.version_pattern, done.stdout + done.stderr)
        return match.group(1) if match else None


JVM_OUT_OF_MEMORY_EXIT = (3, b"java.lang.OutOfMemoryError")
"""``-XX:+ExitOnOutOfMemoryError``: the JVM exits with status 3 and names the error on stderr."""

LANGUAGES: tuple[Language, ...] = (
    Language(
        language_id="python3",
        name="Python 3",
        source_file="main.py",
        # A syntax check: syntax errors are compilation errors, as in other judges.
        compile=(
            "/usr/bin/python3",
            "-B",
            "-S",
            "-c",
            "import sys; compile(open('main.py').read(), 'main.py', 'exec')",
        ),
        run=("/usr/bin/python3", "-B", "-S", "main.py"),
        version_command=("/usr/bin/python3", "--version"),
        hello="print('hello')\n",
    ),
    Language(
        language_id="c",
        name="C 17 (GCC)",
        source_file="main.c",
        compile=("/usr/bin/gcc", "-O2", "-std=gnu17", "-pipe", "-o", "main", "main.c", "-lm"),
        run=("./main",),
        version_command=("/usr/bin/gcc", "-dumpfullversion"),
        hello='#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n',
    ),
    Language(
        language_id="cpp",
        name="C++ 17 (GCC)",
        source_file="main.cpp",
        compile=("/usr/bin/g++", "-O2", "-std=gnu++17", "-pipe", "-o", "main", "main.cpp"),
        run=("./main",),
        version_command=("/usr/bin/g++", "-dumpfullversion"),
        hello='#include <cstdio>\nint main() { std::puts("hello"); }\n',
    ),
    Language(
        language_id="javascript",
        name="JavaScript (Node.js)",
        source_file="main.js",
        compile=("/usr/bin/node", "--check", "main.js"),
        run=("/usr/bin/node", "--max-old-space-size={memory_mib}", "--stack-size=65500", "main.js"),
        version_command=("/usr/bin/node", "--version"),
        hello="console.log('hello');\n",
    ),
    Language(
        language_id="java",
        name="Java 17 (OpenJDK)",
        source_file="Main.java",
        compile=("/usr/bin/javac", "-encoding", "UTF-8", "-J-Xmx512m", "-J-XX:+UseSerialGC", "Main.java"),
        run=(
            "/usr/bin/java",
            "-Xmx{memory_mib}m",
            "-Xss64m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData",
            # A full heap ends the JVM at once (exit 3, "Terminating due to java.lang.OutOfMemoryError"),
            # whatever the program catches: the judge reads that as MEMORY_LIMIT_EXCEEDED. The JVM's
            # own messages go to stderr, never into the program's output.
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:+DisplayVMOutputToStderr",
            "Main",
        ),
        version_command=("/usr/bin/java", "-version"),
        version_pattern=r'version "([\d._]+)"',
        hello='public class Main { public static void main(String[] a) { System.out.println("hello"); } }\n',
        compile_processes=256,
        run_processes=128,
        extra_memory_kib=64 * 1024,
        out_of_memory_exit=JVM_OUT_OF_MEMORY_EXIT,
    ),
)

COMPILE_LIMITS = Limits(cpu_time_s=20, wall_time_s=30, memory_kib=1024 * 1024, file_size_bytes=64 * 1024 * 1024)


@dataclasses.dataclass(frozen=True)
class Available:
    language: Language
    version: str


async def self_test(sandbox: Sandbox, language: Language) -> str | None:
    """Why the language fails to compile and run hello in the sandbox, or None when it works."""
    workspace = sandbox.workspace({language.source_file: language.hello.encode()})
    try:
        if language.compile:
            limits = dataclasses.replace(COMPILE_LIMITS, processes=language.compile_processes)
            built = await sandbox.run(workspace, language.compile, limits=limits, writable=True)
            if not built.succeeded:
                return f"compiling failed: {built.stderr.decode(errors='replace')[:300]}"
        memory_kib = 256 * 1024
        limits = Limits(cpu_time_s=5, wall_time_s=15, memory_kib=memory_kib + language.extra_memory_kib,
                        processes=language.run_processes)  # fmt: skip
        ran = await sandbox.run(workspace, language.run_command(memory_kib), limits=limits)
        if not ran.succeeded or ran.stdout.strip() != b"hello":
            detail = ran.stderr.decode(errors="replace")[:300]
            return f"running hello failed: exit {ran.exit_code} signal {ran.signal}: {detail}"
        return None
    finally:
        sandbox.discard(workspace)


async def detect(sandbox: Sandbox, candidates: Sequence[Language] = LANGUAGES) -> list[Available]:
    """Languages present on this machine that pass their self-test, in table order."""
    versions = await asyncio.gather(*(asyncio.to_thread(lang.detect_version) for lang in candidates))
    present = [(lang, version) for lang, version in zip(candidates, versions, strict=True) if version]
    failures = await asyncio.gather(*(self_test(sandbox, lang) for lang, _ in present))
    available = []
    for (language, version), failure in zip(present, failures, strict=True):
        if failure is None:
            available.append(Available(language, version))
        else:
            log.error("language failed its self-test; not offered", language=language.language_id, reason=failure)
    missing = sorted({lang.language_id for lang in candidates} - {lang.language_id for lang, _ in present})
    log.info("languages detected", available=[a.language.language_id for a in available], missing=missing)
    return available
