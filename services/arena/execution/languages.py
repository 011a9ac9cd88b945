"""The languages the judge runs: one small data class each, detected and self-tested at start.

A language is offered only when its toolchain is on the machine and a trivial program compiles
and runs correctly in the sandbox (DMOJ's executors do the same): a broken runtime is found at
start, not by contestants. `make up` installs Python, C, C++ and JavaScript; `make languages` the
others (Debian packages: tools/ensure_packages.sh, groups ``languages`` and ``languages-large``).

Inside the sandbox the environment is empty (PATH, HOME=/tmp and LANG only), /usr is read-only, /tmp
is a small private tmpfs and the work directory /box is writable only while compiling: a compiler's
cache goes to /tmp by the command itself, and whatever a run needs besides the program is written next
to it at compile time.
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
    toolchain: str = ""
    """The program whose presence means the language is installed; default: the command's first word
    (set it when that is a wrapper such as ``/usr/bin/env`` or ``/bin/sh``)."""
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
        return self.toolchain or (self.compile or self.run)[0]

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


# The native libraries Mono's class libraries load (from Debian's /etc/mono/config).
MONO_CONFIG = (
    "<configuration>"
    '<dllmap dll="libc" target="libc.so.6"/>'
    '<dllmap dll="i:msvcrt" target="libc.so.6"/>'
    '<dllmap dll="i:msvcrt.dll" target="libc.so.6"/>'
    '<dllmap dll="MonoPosixHelper" target="$mono_libdir/libMonoPosixHelper.so"/>'
    '<dllmap dll="System.Native" target="$mono_libdir/libmono-native.so"/>'
    '<dllmap dll="System.Net.Security.Native" target="$mono_libdir/libmono-native.so"/>'
    "</configuration>\n"
)

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
    Language(
        language_id="go",
        name="Go",
        source_file="main.go",
        # GOPATH mode (a contest program is one file using the standard library); the build cache in
        # /tmp. GOMEMLIMIT makes the collector work harder near the memory limit rather than be killed.
        compile=(
            "/usr/bin/env",
            "GOCACHE=/tmp/go-cache",
            "GOPATH=/tmp/go",
            "GO111MODULE=off",
            "CGO_ENABLED=0",
            "/usr/bin/go",
            "build",
            "-o",
            "main",
            "main.go",
        ),
        run=("/usr/bin/env", "GOMEMLIMIT={memory_mib}MiB", "./main"),
        toolchain="/usr/bin/go",
        version_command=("/usr/bin/go", "version"),
        version_pattern=r"go(\d+\.\d+(?:\.\d+)?)",
        hello='package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n',
        compile_processes=256,  # go build runs the compiler and linker, each with threads of its own
    ),
    Language(
        language_id="rust",
        name="Rust (2021)",
        source_file="main.rs",
        compile=("/usr/bin/rustc", "--edition=2021", "-O", "-o", "main", "main.rs"),
        run=("./main",),
        version_command=("/usr/bin/rustc", "--version"),
        hello='fn main() {\n    println!("hello");\n}\n',
        compile_processes=128,
    ),
    Language(
        language_id="kotlin",
        name="Kotlin (JVM)",
        source_file="main.kt",
        # The classes go to /box and run against Kotlin's standard library (no runtime in a jar).
        compile=(
            "/usr/bin/kotlinc",
            "-J-Xmx512m",
            "-J-XX:+UseSerialGC",
            "-J-XX:TieredStopAtLevel=1",
            "-J-XX:-PrintWarnings",  # kotlinc's own JVM options are deprecated: not the contestant's news
            "-nowarn",
            "-d",
            ".",
            "main.kt",
        ),
        run=(
            "/usr/bin/java",
            "-Xmx{memory_mib}m",
            "-Xss64m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData",
            "-XX:+ExitOnOutOfMemoryError",  # as for Java: a full heap is MEMORY_LIMIT_EXCEEDED
            "-XX:+DisplayVMOutputToStderr",
            "-cp",
            ".:/usr/share/kotlin/kotlinc/lib/kotlin-stdlib.jar",
            "MainKt",
        ),
        # `kotlinc -version` says 1.3-SNAPSHOT on Debian, and takes a JVM start: the package knows.
        version_command=("/usr/bin/dpkg-query", "--show", "--showformat=${Version}", "kotlin"),
        version_pattern=r"(\d+\.\d+\.\d+)",
        hello='fun main() {\n    println("hello")\n}\n',
        compile_processes=256,
        run_processes=128,
        extra_memory_kib=64 * 1024,
        out_of_memory_exit=JVM_OUT_OF_MEMORY_EXIT,
    ),
    Language(
        language_id="pypy3",
        name="PyPy 3",
        source_file="main.py",
        compile=(
            "/usr/bin/pypy3",
            "-B",
            "-S",
            "-c",
            "import sys; compile(open('main.py').read(), 'main.py', 'exec')",
        ),
        run=("/usr/bin/pypy3", "-B", "-S", "main.py"),
        version_command=("/usr/bin/pypy3", "--version"),
        version_pattern=r"PyPy (\d+\.\d+(?:\.\d+)?)",
        hello="print('hello')\n",
    ),
    Language(
        language_id="csharp",
        name="C# (Mono)",
        source_file="main.cs",
        # Mono maps its native libraries through /etc/mono/config, which the sandbox does not show:
        # the compile step writes the few mappings a program needs next to it, and both steps use them.
        compile=(
            "/bin/sh",
            "-c",
            'printf %s "$1" > mono.config && exec /usr/bin/mono --config mono.config /usr/lib/mono/4.5/mcs.exe '
            "-optimize+ -out:main.exe main.cs",
            "mcs",
            MONO_CONFIG,
        ),
        run=("/usr/bin/mono", "--config", "mono.config", "main.exe"),
        toolchain="/usr/bin/mcs",
        version_command=("/usr/bin/mcs", "--version"),
        version_pattern=r"(\d+\.\d+\.\d+(?:\.\d+)?)",
        hello='class Program\n{\n    static void Main() { System.Console.WriteLine("hello"); }\n}\n',
    ),
    Language(
        language_id="ruby",
        name="Ruby",
        source_file="main.rb",
        compile=("/usr/bin/ruby", "-c", "main.rb"),
        run=("/usr/bin/ruby", "main.rb"),
        version_command=("/usr/bin/ruby", "--version"),
        hello="puts 'hello'\n",
    ),
    Language(
        language_id="php",
        name="PHP",
        source_file="main.php",
        # No php.ini (-n: /etc/php is not in the sandbox); the memory limit is the sandbox's, and
        # warnings go to stderr, not into the answer.
        compile=("/usr/bin/php", "-n", "-l", "main.php"),
        run=("/usr/bin/php", "-n", "-d", "memory_limit=-1", "-d", "display_errors=stderr", "main.php"),
        version_command=("/usr/bin/php", "-n", "--version"),
        hello='<?php\necho "hello\\n";\n',
    ),
    Language(
        language_id="pascal",
        name="Pascal (Free Pascal)",
        source_file="main.pas",
        # -n: /etc/fpc.cfg is not in the sandbox; the unit path it would give is passed instead.
        compile=(
            "/usr/bin/fpc",
            "-n",
            "-O2",
            "-XS",
            "-Fu/usr/lib/x86_64-linux-gnu/fpc/$fpcversion/units/$fpctarget/*",
            "-omain",
            "main.pas",
        ),
        run=("./main",),
        version_command=("/usr/bin/fpc", "-iV"),
        hello="begin\n  writeln('hello');\nend.\n",
    ),
    Language(
        language_id="haskell",
        name="Haskell (GHC)",
        source_file="main.hs",
        # GHC's package database is in /var/lib/ghc: this passes its self-test only where the sandbox
        # shows that directory (read-only).
        compile=("/usr/bin/ghc", "-O2", "-o", "main", "main.hs"),
        run=("./main",),
        version_command=("/usr/bin/ghc", "--numeric-version"),
        hello='main :: IO ()\nmain = putStrLn "hello"\n',
        compile_processes=128,
    ),
    Language(
        language_id="lua",
        name="Lua 5.4",
        source_file="main.lua",
        compile=("/usr/bin/lua5.4", "-e", "assert(loadfile('main.lua'))"),  # a syntax check
        run=("/usr/bin/lua5.4", "main.lua"),
        version_command=("/usr/bin/lua5.4", "-v"),
        hello="print('hello')\n",
    ),
    Language(
        language_id="bash",
        name="Bash",
        source_file="main.sh",
        compile=("/bin/bash", "-n", "main.sh"),  # a syntax check
        run=("/bin/bash", "main.sh"),
        version_command=("/bin/bash", "--version"),
        hello="echo hello\n",
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
