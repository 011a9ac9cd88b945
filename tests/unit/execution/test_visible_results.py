"""What a submitter sees of a test: everything for samples, verdict, time and memory for hidden ones."""

from __future__ import annotations

from arena.execution.domain import TestOutcome, Verdict
from arena.execution.judge import visible_to_submitter

CRASHED = dict(verdict=Verdict.RUNTIME_ERROR, cpu_ms=12, wall_ms=30, memory_kib=2048, exit_code=65, signal=0)


def test_a_hidden_test_shows_verdict_time_and_memory_only():
    hidden = TestOutcome(ordinal=2, sample=False, checker_message="line 1 differs", **CRASHED)
    seen = visible_to_submitter(hidden)
    assert (seen.verdict, seen.cpu_ms, seen.wall_ms, seen.memory_kib) == (Verdict.RUNTIME_ERROR, 12, 30, 2048)
    assert (seen.exit_code, seen.signal, seen.checker_message) == (0, 0, "")


def test_a_sample_shows_everything():
    sample = TestOutcome(ordinal=1, sample=True, checker_message="line 1 differs", **CRASHED)
    assert visible_to_submitter(sample) == sample


def test_a_problem_may_reveal_hidden_details():
    hidden = TestOutcome(ordinal=2, sample=False, **CRASHED)
    assert visible_to_submitter(hidden, reveal_hidden_details=True) == hidden
