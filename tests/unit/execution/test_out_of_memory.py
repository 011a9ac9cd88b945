"""A runtime that reports exhausting its capped heap is judged by the memory limit, not as a crash."""

from __future__ import annotations

import dataclasses

from arena.execution.domain import RunStatus, classify
from arena.execution.languages import LANGUAGES

JAVA = next(language for language in LANGUAGES if language.language_id == "java")
PYTHON = next(language for language in LANGUAGES if language.language_id == "python3")
OOM = b"Terminating due to java.lang.OutOfMemoryError: Java heap space\n"


@dataclasses.dataclass(frozen=True)
class Measured:
    cpu_time_s: float = 0.1
    memory_kib: int = 1000
    wall_time_exceeded: bool = False
    memory_limit_hit: bool = False
    output_limit_hit: bool = False
    succeeded: bool = False


def test_the_jvm_exits_at_its_first_out_of_memory_error_with_its_message_on_stderr():
    command = JAVA.run_command(64 * 1024)
    assert "-XX:+ExitOnOutOfMemoryError" in command and "-XX:+DisplayVMOutputToStderr" in command
    assert command.index("-XX:+ExitOnOutOfMemoryError") < command.index("Main")  # a JVM flag, not an argument


def test_only_the_jvms_own_exit_and_message_count():
    assert JAVA.ran_out_of_memory(3, OOM)
    assert not JAVA.ran_out_of_memory(3, b"")  # System.exit(3)
    assert not JAVA.ran_out_of_memory(1, b'Exception in thread "main" java.lang.OutOfMemoryError')
    assert not PYTHON.ran_out_of_memory(3, OOM)  # other runtimes: the memory cgroup decides


def test_classify_reads_it_as_the_memory_limit_but_time_comes_first():
    assert classify(Measured(), cpu_limit_s=1, memory_limit_kib=65536, out_of_memory=True) is (
        RunStatus.MEMORY_LIMIT_EXCEEDED
    )
    assert classify(Measured(), cpu_limit_s=1, memory_limit_kib=65536) is RunStatus.RUNTIME_ERROR
    slow = Measured(cpu_time_s=2)
    assert classify(slow, cpu_limit_s=1, memory_limit_kib=65536, out_of_memory=True) is RunStatus.TIME_LIMIT_EXCEEDED
