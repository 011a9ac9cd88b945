"""Verdict rules: limits decide before exit codes, and the first failing test decides the verdict."""

from __future__ import annotations

import dataclasses

import pytest

from arena.execution.checkers import CheckResult, checker_failure
from arena.execution.domain import (
    RunStatus,
    TestOutcome,
    Verdict,
    classify,
    decide_verdict,
    interactive_status,
    overall,
)
from arena.execution.sandbox import RunOutcome

BASE = dict(
    exit_code=0, signal=None, cpu_time_s=0.1, wall_time_s=0.2, memory_kib=1000, stdout=b"", stderr=b"",
    stdout_truncated=False, stderr_truncated=False, wall_time_exceeded=False, memory_limit_hit=False,
    output_limit_hit=False,
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Measured:
    """A run as the rules read it, with no sandbox behind it (the domain's ``RunMeasurement``)."""

    exit_code: int | None
    signal: int | None
    cpu_time_s: float
    memory_kib: int
    wall_time_exceeded: bool
    memory_limit_hit: bool
    output_limit_hit: bool

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and self.signal is None


def outcome(**changes) -> Measured:
    values = {**BASE, **changes}
    return Measured(**{f.name: values[f.name] for f in dataclasses.fields(Measured)})


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, RunStatus.OK),
        ({"cpu_time_s": 1.01}, RunStatus.TIME_LIMIT_EXCEEDED),
        ({"wall_time_exceeded": True, "signal": 9, "exit_code": None}, RunStatus.TIME_LIMIT_EXCEEDED),
        ({"memory_limit_hit": True, "signal": 9, "exit_code": None}, RunStatus.MEMORY_LIMIT_EXCEEDED),
        ({"memory_kib": 70_000}, RunStatus.MEMORY_LIMIT_EXCEEDED),
        ({"output_limit_hit": True, "signal": 25, "exit_code": None}, RunStatus.OUTPUT_LIMIT_EXCEEDED),
        ({"exit_code": 3}, RunStatus.RUNTIME_ERROR),
        ({"exit_code": None, "signal": 11}, RunStatus.RUNTIME_ERROR),
        # Killed for CPU time while also near the memory limit: the time limit is what it broke first.
        ({"cpu_time_s": 2.0, "memory_limit_hit": True, "signal": 24, "exit_code": None}, RunStatus.TIME_LIMIT_EXCEEDED),
    ],
)
def test_classify(changes: dict, status: RunStatus):
    assert classify(outcome(**changes), cpu_limit_s=1.0, memory_limit_kib=65536) is status


def test_the_sandbox_outcome_is_classified_as_the_pure_measurement():
    for changes in ({}, {"exit_code": None, "signal": 11}, {"memory_limit_hit": True}, {"cpu_time_s": 3.0}):
        real = RunOutcome(**{**BASE, **changes})
        assert classify(real, cpu_limit_s=1.0, memory_limit_kib=65536) is classify(
            outcome(**changes), cpu_limit_s=1.0, memory_limit_kib=65536
        )


def test_checker_decides_only_clean_runs():
    assert decide_verdict(RunStatus.OK, CheckResult(True)) is Verdict.ACCEPTED
    assert decide_verdict(RunStatus.OK, CheckResult(False, "x")) is Verdict.WRONG_ANSWER
    assert decide_verdict(RunStatus.RUNTIME_ERROR, None) is Verdict.RUNTIME_ERROR


def test_the_first_failing_test_decides():
    results = [
        TestOutcome(3, False, Verdict.TIME_LIMIT_EXCEEDED, cpu_ms=1000),
        TestOutcome(1, True, Verdict.ACCEPTED, cpu_ms=10, memory_kib=500),
        TestOutcome(2, False, Verdict.WRONG_ANSWER, cpu_ms=20, memory_kib=900),
        TestOutcome(4, False, Verdict.SKIPPED),
    ]
    final = overall(results, 4)
    assert (final.verdict, final.passed, final.score) == (Verdict.WRONG_ANSWER, 1, 0.25)
    assert (final.max_cpu_ms, final.max_memory_kib) == (1000, 900)
    assert overall([TestOutcome(1, True, Verdict.ACCEPTED)], 1).verdict is Verdict.ACCEPTED


# -- interactive problems: how the contestant's run and the interactor's answer combine -------------------


@pytest.mark.parametrize(
    "contestant, overran, answer, verdict",
    [
        (RunStatus.OK, False, CheckResult(True), Verdict.ACCEPTED),
        (RunStatus.OK, False, CheckResult(False, "guessed 3"), Verdict.WRONG_ANSWER),
        # Both waited on each other: the contestant's wall clock ended it, whatever the interactor said after.
        (RunStatus.TIME_LIMIT_EXCEEDED, False, CheckResult(False, "unexpected end"), Verdict.TIME_LIMIT_EXCEEDED),
        (RunStatus.MEMORY_LIMIT_EXCEEDED, False, CheckResult(True), Verdict.MEMORY_LIMIT_EXCEEDED),
        # The interactor ran past its own limits: the judge's fault, even if the contestant timed out waiting.
        (RunStatus.TIME_LIMIT_EXCEEDED, True, checker_failure("too slow", who="interactor"), Verdict.INTERNAL_ERROR),
        (RunStatus.OK, False, checker_failure("FAIL", who="interactor"), Verdict.INTERNAL_ERROR),
        # A contestant killed by the pipe the interactor closed after rejecting it: the rejection decides.
        (RunStatus.RUNTIME_ERROR, False, CheckResult(False, "too many queries"), Verdict.WRONG_ANSWER),
        (RunStatus.RUNTIME_ERROR, False, CheckResult(True), Verdict.RUNTIME_ERROR),
    ],
)
def test_interactive_verdicts(contestant, overran, answer, verdict):
    status = interactive_status(contestant, interactor_overran=overran, interactor=answer)
    assert decide_verdict(status, answer if status is RunStatus.OK else None) is verdict
