"""RunCode's sandbox side: compile once, run a program on one stdin, report what happened.

The use cases (``app``) check the request and decide nothing here; this module is where a
sandbox ``RunOutcome`` is consumed and turned into the domain's ``RunReport``.
"""

from __future__ import annotations

from arena.execution.domain import RUN_OUTPUT_CAP_BYTES, RunReport, cap_text, classify
from arena.execution.judge import Compiled, Judge
from arena.execution.languages import Language
from arena.execution.sandbox import Limits, RunOutcome


def report(
    outcome: RunOutcome, *, cpu_limit_s: float, memory_limit_kib: int, compile_output: str, out_of_memory: bool = False
) -> RunReport:
    """A sandbox outcome as RunCode's caller sees it (output capped, limits classified)."""
    return RunReport(
        status=classify(
            outcome, cpu_limit_s=cpu_limit_s, memory_limit_kib=memory_limit_kib, out_of_memory=out_of_memory
        ),
        stdout=cap_text(outcome.stdout, RUN_OUTPUT_CAP_BYTES),
        stderr=cap_text(outcome.stderr, RUN_OUTPUT_CAP_BYTES),
        stdout_truncated=outcome.stdout_truncated,
        stderr_truncated=outcome.stderr_truncated,
        exit_code=outcome.exit_code or 0,
        signal=outcome.signal or 0,
        cpu_ms=round(outcome.cpu_time_s * 1000),
        wall_ms=round(outcome.wall_time_s * 1000),
        memory_kib=outcome.memory_kib,
        compile_output=compile_output,
    )


class SandboxRunner:
    """Runs RunCode's programs with the judge's compiler and sandbox."""

    def __init__(self, judge: Judge) -> None:
        self._judge = judge

    async def compile(self, language: Language, source: str) -> Compiled:
        return await self._judge.compile(language, source)

    def discard(self, compiled: Compiled) -> None:
        self._judge.sandbox.discard(compiled.workspace)

    async def run(self, compiled: Compiled, language: Language, stdin: str, time_ms: int, memory_kib: int) -> RunReport:
        cpu_s = time_ms / 1000
        limits = Limits(
            cpu_time_s=cpu_s,
            wall_time_s=cpu_s * 3 + 1,
            memory_kib=memory_kib + language.extra_memory_kib,
            processes=language.run_processes,
            file_size_bytes=RUN_OUTPUT_CAP_BYTES * 16,
        )
        outcome = await self._judge.sandbox.run(
            compiled.workspace,
            language.run_command(memory_kib),
            limits=limits,
            stdin=stdin.encode(),
            capture_bytes=RUN_OUTPUT_CAP_BYTES,
        )
        return report(
            outcome,
            cpu_limit_s=cpu_s,
            memory_limit_kib=limits.memory_kib,
            compile_output=compiled.output,
            out_of_memory=language.ran_out_of_memory(outcome.exit_code, outcome.stderr),
        )
