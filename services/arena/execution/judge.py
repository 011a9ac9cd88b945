"""Judging one submission: compile once, run each test in the sandbox, check, report each step."""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Iterable

import structlog

from arena.execution.checkers import CheckerSpec, check
from arena.execution.domain import (
    COMPILE_OUTPUT_CAP_BYTES,
    JUDGE_OUTPUT_LIMIT_BYTES,
    Final,
    RunStatus,
    TestOutcome,
    Verdict,
    cap_text,
    classify,
    decide_verdict,
    overall,
)
from arena.execution.languages import COMPILE_LIMITS, Language
from arena.execution.sandbox import Limits, Sandbox

log = structlog.get_logger("arena.judge")


@dataclasses.dataclass(frozen=True)
class BundleTest:
    ordinal: int
    input: str
    expected_output: str
    sample: bool


@dataclasses.dataclass(frozen=True)
class Bundle:
    """A problem as the judge needs it."""

    problem_id: str
    revision: int
    time_limit_ms: int
    memory_limit_kib: int
    checker: CheckerSpec
    tests: tuple[BundleTest, ...]
    reveal_hidden_details: bool = False
    """A problem setting: hidden tests' results show exit code, signal and checker message too."""


@dataclasses.dataclass(frozen=True)
class Compiled:
    workspace: pathlib.Path
    ok: bool
    output: str


def visible_to_submitter(outcome: TestOutcome, *, reveal_hidden_details: bool = False) -> TestOutcome:
    """What the submitter may see of a test's result: everything for samples; for hidden tests the
    verdict, time and memory only, unless the problem reveals more. An exit code (or signal, or a
    checker's message) chosen by the program from the test's data would otherwise read the hidden
    data out, a byte per test."""
    if outcome.sample or reveal_hidden_details:
        return outcome
    return dataclasses.replace(outcome, exit_code=0, signal=0, checker_message="")


class Steps:
    """What the judge reports as it goes (the app persists and publishes each step)."""

    async def compiling(self) -> None: ...
    async def running(self) -> None: ...
    async def test_finished(self, outcome: TestOutcome) -> None: ...


class Judge:
    def __init__(self, sandbox: Sandbox, languages: dict[str, Language]) -> None:
        self.sandbox = sandbox
        self.languages = languages

    async def compile(self, language: Language, source: str) -> Compiled:
        workspace = self.sandbox.workspace({language.source_file: source.encode()})
        if language.compile is None:
            return Compiled(workspace, True, "")
        limits = dataclasses.replace(COMPILE_LIMITS, processes=language.compile_processes)
        outcome = await self.sandbox.run(workspace, language.compile, limits=limits, writable=True)
        output = cap_text(outcome.stderr + outcome.stdout, COMPILE_OUTPUT_CAP_BYTES)
        if outcome.wall_time_exceeded or outcome.cpu_time_s > limits.cpu_time_s:
            output = (output + "\n" if output else "") + "compilation took too long"
        elif outcome.memory_limit_hit:
            output = (output + "\n" if output else "") + "compilation used too much memory"
        return Compiled(workspace, outcome.succeeded and not outcome.wall_time_exceeded, output)

    def limits_for(self, language: Language, bundle: Bundle) -> Limits:
        cpu_s = bundle.time_limit_ms / 1000
        return Limits(
            cpu_time_s=cpu_s,
            wall_time_s=cpu_s * 3 + 1,  # waiting (sleep, blocked reads) is bounded too
            memory_kib=bundle.memory_limit_kib + language.extra_memory_kib,
            processes=language.run_processes,
            file_size_bytes=JUDGE_OUTPUT_LIMIT_BYTES,
        )

    async def run_test(self, compiled: Compiled, language: Language, bundle: Bundle, test: BundleTest) -> TestOutcome:
        limits = self.limits_for(language, bundle)
        outcome = await self.sandbox.run(
            compiled.workspace,
            language.run_command(bundle.memory_limit_kib),
            limits=limits,
            stdin=test.input.encode(),
            capture_bytes=JUDGE_OUTPUT_LIMIT_BYTES,
        )
        status = classify(
            outcome,
            cpu_limit_s=limits.cpu_time_s,
            memory_limit_kib=limits.memory_kib,
            out_of_memory=language.ran_out_of_memory(outcome.exit_code, outcome.stderr),
        )
        result = None
        if status is RunStatus.OK:
            result = check(
                test.expected_output,
                outcome.stdout.decode("utf-8", errors="replace"),
                bundle.checker,
                reveal=test.sample,
            )
        full = TestOutcome(
            ordinal=test.ordinal,
            sample=test.sample,
            verdict=decide_verdict(status, result),
            cpu_ms=round(outcome.cpu_time_s * 1000),
            wall_ms=round(outcome.wall_time_s * 1000),
            memory_kib=outcome.memory_kib,
            exit_code=outcome.exit_code or 0,
            signal=outcome.signal or 0,
            checker_message=result.message if result else "",
        )
        if not test.sample:  # the details stay in the judge's log, for the operators
            log.debug("hidden test result", problem_id=bundle.problem_id, ordinal=test.ordinal,
                      exit_code=full.exit_code, signal=full.signal, checker_message=full.checker_message)  # fmt: skip
        # Hidden details never leave the judge: what is stored, streamed and listed is the visible part.
        return visible_to_submitter(full, reveal_hidden_details=bundle.reveal_hidden_details)

    async def judge(
        self,
        language: Language,
        source: str,
        bundle: Bundle,
        *,
        run_all_tests: bool,
        done: Iterable[TestOutcome] = (),
        steps: Steps,
    ) -> Final:
        """Judges a submission, skipping tests already judged (a resumed submission)."""
        results = {r.ordinal: r for r in done}
        await steps.compiling()
        compiled = await self.compile(language, source)
        try:
            if not compiled.ok:
                return dataclasses.replace(
                    overall([], len(bundle.tests)), verdict=Verdict.COMPILATION_ERROR, compile_output=compiled.output
                )
            await steps.running()
            failed = any(r.verdict not in (Verdict.ACCEPTED, Verdict.SKIPPED) for r in results.values())
            for test in bundle.tests:
                if test.ordinal in results:
                    continue
                if failed and not run_all_tests:
                    outcome = TestOutcome(ordinal=test.ordinal, sample=test.sample, verdict=Verdict.SKIPPED)
                else:
                    outcome = await self.run_test(compiled, language, bundle, test)
                    failed = failed or outcome.verdict is not Verdict.ACCEPTED
                results[test.ordinal] = outcome
                await steps.test_finished(outcome)
            return dataclasses.replace(
                overall(list(results.values()), len(bundle.tests)), compile_output=compiled.output
            )
        finally:
            self.sandbox.discard(compiled.workspace)
