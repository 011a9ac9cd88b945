"""Judging rules: verdicts, limits, what a submission is. No I/O, no protos."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Protocol

MAX_SOURCE_BYTES = 64 * 1024
MAX_STDIN_BYTES = 1024 * 1024
MAX_BATCH_INPUTS = 50
RUN_CODE_TIME_LIMIT_MS = (100, 10_000)
RUN_CODE_DEFAULT_TIME_LIMIT_MS = 2000
RUN_CODE_MEMORY_LIMIT_KIB = (16 * 1024, 1024 * 1024)
RUN_CODE_DEFAULT_MEMORY_KIB = 256 * 1024
RUN_OUTPUT_CAP_BYTES = 64 * 1024
COMPILE_OUTPUT_CAP_BYTES = 16 * 1024
JUDGE_OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024


class Verdict(enum.Enum):
    """Numbered as arena.common.v1.Verdict."""

    ACCEPTED = 1
    WRONG_ANSWER = 2
    TIME_LIMIT_EXCEEDED = 3
    MEMORY_LIMIT_EXCEEDED = 4
    RUNTIME_ERROR = 5
    COMPILATION_ERROR = 6
    OUTPUT_LIMIT_EXCEEDED = 7
    INTERNAL_ERROR = 8
    SKIPPED = 9


class Status(enum.Enum):
    QUEUED = 1
    COMPILING = 2
    RUNNING = 3
    FINISHED = 4


class RunStatus(enum.Enum):
    """How a run ended, before comparing its output (numbered as arena.execution.v1.RunStatus)."""

    OK = 1
    TIME_LIMIT_EXCEEDED = 2
    MEMORY_LIMIT_EXCEEDED = 3
    RUNTIME_ERROR = 4
    OUTPUT_LIMIT_EXCEEDED = 5
    COMPILATION_ERROR = 6
    INTERNAL_ERROR = 7


@dataclasses.dataclass(frozen=True)
class Isolation:
    """How this instance's sandbox measures and isolates runs (ListLanguages reports it)."""

    cpu_accounting: str = "rusage"
    """``cgroup-v1``/``cgroup-v2`` (every process of a run counts) or ``rusage`` (the fallback)."""
    neutral_paths: bool = False


class EventType(enum.Enum):
    QUEUED = 1
    COMPILING = 2
    RUNNING = 3
    TEST_FINISHED = 4
    FINISHED = 5


class RunMeasurement(Protocol):
    """What the rules read of one finished run: the sandbox's ``RunOutcome`` has these (the domain
    never imports the sandbox; any value with these attributes is classified the same way)."""

    @property
    def cpu_time_s(self) -> float: ...
    @property
    def memory_kib(self) -> int: ...
    @property
    def wall_time_exceeded(self) -> bool: ...
    @property
    def memory_limit_hit(self) -> bool: ...
    @property
    def output_limit_hit(self) -> bool: ...
    @property
    def succeeded(self) -> bool: ...


class CheckOutcome(Protocol):
    """What the rules read of a checker's answer (``checkers.CheckResult`` has it)."""

    @property
    def accepted(self) -> bool: ...
    @property
    def checker_failed(self) -> bool:
        """The checker itself failed (a checker program that crashed, timed out or said FAIL)."""


_RUN_TO_VERDICT = {
    RunStatus.TIME_LIMIT_EXCEEDED: Verdict.TIME_LIMIT_EXCEEDED,
    RunStatus.MEMORY_LIMIT_EXCEEDED: Verdict.MEMORY_LIMIT_EXCEEDED,
    RunStatus.RUNTIME_ERROR: Verdict.RUNTIME_ERROR,
    RunStatus.OUTPUT_LIMIT_EXCEEDED: Verdict.OUTPUT_LIMIT_EXCEEDED,
    RunStatus.INTERNAL_ERROR: Verdict.INTERNAL_ERROR,
}


def classify(
    outcome: RunMeasurement, *, cpu_limit_s: float, memory_limit_kib: int, out_of_memory: bool = False
) -> RunStatus:
    """How a run ended. Limits first: a program killed for overusing a resource did not merely crash.
    ``out_of_memory``: the runtime itself reported exhausting the heap the memory limit gave it (a
    JVM's OutOfMemoryError), which is the memory limit too."""
    if outcome.cpu_time_s > cpu_limit_s or outcome.wall_time_exceeded:
        return RunStatus.TIME_LIMIT_EXCEEDED
    if outcome.memory_limit_hit or outcome.memory_kib > memory_limit_kib or out_of_memory:
        return RunStatus.MEMORY_LIMIT_EXCEEDED
    if outcome.output_limit_hit:
        return RunStatus.OUTPUT_LIMIT_EXCEEDED
    if not outcome.succeeded:
        return RunStatus.RUNTIME_ERROR
    return RunStatus.OK


def decide_verdict(status: RunStatus, check: CheckOutcome | None) -> Verdict:
    if status is not RunStatus.OK:
        return _RUN_TO_VERDICT[status]
    assert check is not None
    if check.checker_failed:
        # The judge's fault, never the contestant's: the Verdict enum's "judge error".
        return Verdict.INTERNAL_ERROR
    return Verdict.ACCEPTED if check.accepted else Verdict.WRONG_ANSWER


def interactive_status(contestant: RunStatus, *, interactor_overran: bool, interactor: CheckOutcome) -> RunStatus:
    """How an interactive test's runs combine before ``decide_verdict`` (with the interactor's answer).

    1. The interactor ran past its own limits: the judge failed (INTERNAL_ERROR via the answer, which
       says so), even if the contestant timed out waiting for it.
    2. The contestant ran past its limits (time, wall time included: a deadlock; memory; output):
       that verdict, whatever the interactor said after seeing end-of-file.
    3. The interactor failed (FAIL, a crash) or rejected the interaction: its answer decides (a
       contestant killed by the pipe the interactor closed is not at fault for it).
    4. The interactor accepted: the contestant's own end (a crash is still RUNTIME_ERROR)."""
    if interactor_overran:
        return RunStatus.OK
    if contestant in (
        RunStatus.TIME_LIMIT_EXCEEDED,
        RunStatus.MEMORY_LIMIT_EXCEEDED,
        RunStatus.OUTPUT_LIMIT_EXCEEDED,
    ):
        return contestant
    if interactor.checker_failed or not interactor.accepted:
        return RunStatus.OK
    return contestant


@dataclasses.dataclass(frozen=True)
class TestOutcome:
    """The judged result of one test (what users see: no test data)."""

    __test__ = False  # not a pytest test class, despite the name

    ordinal: int
    sample: bool
    verdict: Verdict
    cpu_ms: int = 0
    wall_ms: int = 0
    memory_kib: int = 0
    exit_code: int = 0
    signal: int = 0
    checker_message: str = ""
    score: float = 0.0
    """The fraction of the test's points earned, 0 to 1: 1 when ACCEPTED; a checker program's partial
    fraction (testlib exit 7) on a WRONG_ANSWER test; 0 otherwise."""

    @property
    def fraction(self) -> float:
        """The test's earned fraction (results stored before ``score`` existed count 1 when ACCEPTED)."""
        return 1.0 if self.verdict is Verdict.ACCEPTED else min(max(self.score, 0.0), 1.0)


@dataclasses.dataclass(frozen=True)
class TestGroup:
    """A subtask: some of a problem's tests (by ordinal), worth ``points`` when every one passes."""

    __test__ = False

    name: str
    points: float
    ordinals: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class GroupScore:
    """How one group scored: CMS GroupMin, ``points`` = the lowest test fraction x ``max_points``."""

    name: str
    points: float
    max_points: float
    verdict: Verdict
    """The group's first failing test's verdict, ACCEPTED when all passed, SKIPPED when none ran."""


UNGROUPED_MAX_POINTS = 100.0
"""What a problem without groups is worth: its points are 100 x the fraction of tests passed."""


@dataclasses.dataclass(frozen=True)
class Final:
    """A submission's overall result."""

    verdict: Verdict
    score: float
    """``points / max_points``, 0 to 1 (without groups: the fraction of tests passed, as always)."""
    passed: int
    test_count: int
    max_cpu_ms: int
    max_memory_kib: int
    compile_output: str = ""
    points: float = 0.0
    """The total: the sum of the groups' points (without groups, ``score`` x 100)."""
    max_points: float = 0.0
    groups: tuple[GroupScore, ...] = ()
    judge_notes: str = ""
    """Why the judge failed on some tests (checker programs), for setters and admins only."""


def _failed(result: TestOutcome) -> bool:
    return result.verdict not in (Verdict.ACCEPTED, Verdict.SKIPPED)


def group_scores(results: list[TestOutcome], groups: tuple[TestGroup, ...]) -> tuple[GroupScore, ...]:
    """CMS GroupMin: each group earns its points times the lowest fraction among its tests (a test
    not run, or skipped, earns 0)."""
    by_ordinal = {r.ordinal: r for r in results}
    scores = []
    for group in groups:
        ran = [by_ordinal[o] for o in sorted(group.ordinals) if o in by_ordinal]
        lowest = min((by_ordinal[o].fraction if o in by_ordinal else 0.0 for o in group.ordinals), default=0.0)
        failing = next((r for r in ran if _failed(r)), None)
        if failing is not None:
            verdict = failing.verdict
        elif ran and all(r.verdict is Verdict.ACCEPTED for r in ran) and len(ran) == len(group.ordinals):
            verdict = Verdict.ACCEPTED
        else:
            verdict = Verdict.SKIPPED
        scores.append(GroupScore(group.name, lowest * group.points, group.points, verdict))
    return tuple(scores)


def should_skip(
    ordinal: int,
    results: dict[int, TestOutcome],
    groups: tuple[TestGroup, ...],
    *,
    run_all_tests: bool,
    skip_failed_group_rest: bool = True,
) -> bool:
    """Whether a test need not run, given the results so far.

    Without groups, every test after a failure is skipped (unless the submission runs all tests).
    With groups, only the rest of a group whose score is already 0 (a test earned nothing) may be
    skipped, and only when the problem says so: other groups still score, and tests outside every
    group (samples, usually) always run."""
    if run_all_tests:
        return False
    if not groups:
        return any(_failed(r) for r in results.values())
    if not skip_failed_group_rest:
        return False
    group = next((g for g in groups if ordinal in g.ordinals), None)
    if group is None:
        return False
    return any(o in results and results[o].fraction == 0.0 for o in group.ordinals)


def overall(results: list[TestOutcome], test_count: int, groups: tuple[TestGroup, ...] = ()) -> Final:
    """The first failing test decides the verdict (in ordinal order); all passed means ACCEPTED.
    The score: with groups, the sum of the groups' GroupMin points; without, the fraction of tests
    passed (a checker's partial fraction counts as that part of a test)."""
    ordered = sorted(results, key=lambda r: r.ordinal)
    failing = next((r for r in ordered if _failed(r)), None)
    passed = sum(r.verdict is Verdict.ACCEPTED for r in ordered)
    if groups:
        scored = group_scores(ordered, groups)
        points = sum(g.points for g in scored)
        max_points = sum(g.max_points for g in scored)
        score = points / max_points if max_points else 0.0
    else:
        scored = ()
        score = sum(r.fraction for r in ordered) / test_count if test_count else 0.0
        points, max_points = score * UNGROUPED_MAX_POINTS, UNGROUPED_MAX_POINTS
    return Final(
        verdict=failing.verdict if failing else Verdict.ACCEPTED,
        score=score,
        passed=passed,
        test_count=test_count,
        max_cpu_ms=max((r.cpu_ms for r in ordered), default=0),
        max_memory_kib=max((r.memory_kib for r in ordered), default=0),
        points=points,
        max_points=max_points,
        groups=scored,
    )


@dataclasses.dataclass(frozen=True)
class Submission:
    submission_id: str
    user_id: str
    problem_id: str
    contest_id: str
    language_id: str
    source: str
    run_all_tests: bool
    status: Status
    create_time: dt.datetime
    verdict: Verdict | None = None
    score: float = 0.0
    test_count: int = 0
    passed_test_count: int = 0
    max_cpu_ms: int = 0
    max_memory_kib: int = 0
    compile_output: str = ""
    judge_start_time: dt.datetime | None = None
    finish_time: dt.datetime | None = None
    results: tuple[TestOutcome, ...] = ()
    queue_position: int = 0
    last_sequence: int = 0
    """The sequence of its latest event (events are numbered from 1 without gaps)."""
    points: float = 0.0
    max_points: float = 0.0
    groups: tuple[GroupScore, ...] = ()
    """Each test group's score (problems with subtasks), once judged."""
    judge_notes: str = ""
    """Why the judge failed on some tests (a checker program's failure): SETTERs and ADMINs only."""


@dataclasses.dataclass(frozen=True)
class SubmissionFilters:
    """Which submissions a listing asks for (``user_id`` None: everyone's, for admins)."""

    user_id: str | None = None
    problem_id: str = ""
    contest_id: str = ""
    verdict: Verdict | None = None


@dataclasses.dataclass(frozen=True)
class RunReport:
    """One RunCode run, as its caller sees it."""

    status: RunStatus
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    exit_code: int = 0
    signal: int = 0
    cpu_ms: int = 0
    wall_ms: int = 0
    memory_kib: int = 0
    compile_output: str = ""


@dataclasses.dataclass(frozen=True)
class Event:
    """One step of a submission's judging, as watchers replay it."""

    submission_id: str
    sequence: int
    type: EventType
    time: dt.datetime
    status: Status
    test: TestOutcome | None = None
    verdict: Verdict | None = None
    score: float = 0.0
    compile_output: str = ""
    test_count: int = 0
    points: float = 0.0
    max_points: float = 0.0
    groups: tuple[GroupScore, ...] = ()

    @property
    def last(self) -> bool:
        return self.type is EventType.FINISHED


def cap_text(data: bytes, limit: int) -> str:
    text = data[:limit].decode("utf-8", errors="replace")
    return text + ("\n[truncated]" if len(data) > limit else "")
