"""Judging one submission: compile once, run each test in the sandbox, check, report each step."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import hashlib
import pathlib
from collections.abc import Iterable

import structlog

from arena.execution.checkers import (
    CheckerSpec,
    CheckResult,
    InteractorSpec,
    check,
    checker_failure,
    from_testlib_exit,
)
from arena.execution.domain import (
    COMPILE_OUTPUT_CAP_BYTES,
    JUDGE_OUTPUT_LIMIT_BYTES,
    Final,
    RunStatus,
    TestGroup,
    TestOutcome,
    Verdict,
    cap_text,
    classify,
    decide_verdict,
    interactive_status,
    overall,
    should_skip,
)
from arena.execution.languages import COMPILE_LIMITS, Language
from arena.execution.sandbox import ConnectedRun, Limits, RunOutcome, Sandbox

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
    groups: tuple[TestGroup, ...] = ()
    """Subtasks (CMS GroupMin); none: scored by the fraction of tests passed."""
    run_whole_failed_groups: bool = False
    """With groups: run a group's remaining tests after one earned nothing (default: skip them)."""
    interactor: InteractorSpec | None = None
    """An interactive problem: the interactor talks with the program over pipes and decides each test
    (``checker`` is then unused)."""
    author_id: str = ""
    hidden: bool = False
    """The problem is hidden by its author: only they and admins may see it (and submit without a contest)."""
    embargo_end: dt.datetime | None = None
    """Until when a contest keeps the problem from everyone but its author and admins (None: never)."""

    def open_to(self, user_id: str, is_admin: bool, now: dt.datetime) -> bool:
        """Whether a user may submit to the problem outside a contest at ``now``: the problem service's
        visibility (public and not embargoed, or the author's, or an admin's) on the bundle's copy."""
        public = not self.hidden and (self.embargo_end is None or self.embargo_end <= now)
        return public or is_admin or (bool(self.author_id) and self.author_id == user_id)


CHECKER_LIMITS = Limits(cpu_time_s=5, wall_time_s=15, memory_kib=512 * 1024, tmp_bytes=96 * 1024 * 1024)
"""A checker program's own limits for one test (the three files it reads live in its /tmp)."""
INTERACTOR_LIMITS = Limits(cpu_time_s=5, wall_time_s=5, memory_kib=512 * 1024, tmp_bytes=96 * 1024 * 1024)
"""An interactor's own limits for one test; its wall time is the contestant's plus this ``wall_time_s``
(the contestant's wall limit ends a deadlock first, then the interactor sees end-of-file)."""
INTERACTOR_FILES = ("/judge/input.txt", "/tmp/output.txt", "/judge/answer.txt")
"""testlib's interactor arguments: the test's input, its own output file (unused here), the answer."""
CHECKER_CACHE_SIZE = 32
JUDGE_NOTES_CAP_BYTES = 16 * 1024
# The checker's run command gets the three files testlib expects as arguments. The trusted side
# never writes into a workspace a program wrote (the compiled checker's): the files travel on
# stdin, framed by their lengths, and this unpacks them into the run's own /tmp first.
_UNPACK_AND_EXEC = (
    "import os, sys\n"
    "data = sys.stdin.buffer\n"
    "sizes = [int(n) for n in data.readline().split()]\n"
    "paths = ['/tmp/input.txt', '/tmp/output.txt', '/tmp/answer.txt']\n"
    "for path, size in zip(paths, sizes):\n"
    "    with open(path, 'wb') as f:\n"
    "        f.write(data.read(size))\n"
    "fd = os.open('/dev/null', os.O_RDONLY)\n"
    "os.dup2(fd, 0)\n"
    "os.execv(sys.argv[1], sys.argv[1:] + paths)\n"
)
CHECKER_UNPACKER = ("/usr/bin/python3", "-B", "-S", "-c", _UNPACK_AND_EXEC)


def checker_stdin(input_data: bytes, output: bytes, answer: bytes) -> bytes:
    return f"{len(input_data)} {len(output)} {len(answer)}\n".encode() + input_data + output + answer


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


@dataclasses.dataclass(frozen=True)
class CompiledChecker:
    """A problem's checker program, compiled once (per source and language) and kept for its tests."""

    language: Language | None
    compiled: Compiled | None
    failure: str = ""
    """Why it cannot run (unknown language, compilation failed): every check is then a judge error."""


class Judge:
    def __init__(self, sandbox: Sandbox, languages: dict[str, Language]) -> None:
        self.sandbox = sandbox
        self.languages = languages
        self._checkers: collections.OrderedDict[str, CompiledChecker] = collections.OrderedDict()
        self._checker_locks: dict[str, asyncio.Lock] = {}

    async def checker_program(self, spec: CheckerSpec) -> CompiledChecker:
        """The checker program compiled, from the cache when it was compiled before (the key is its
        language and source, so a problem's new revision with a changed checker compiles anew)."""
        return await self.problem_program(spec.program_language_id, spec.program_source)

    async def problem_program(self, language_id: str, source: str) -> CompiledChecker:
        """A setter's program (checker or interactor) compiled, cached by its language and source."""
        key = hashlib.sha256(f"{language_id}\0{source}".encode()).hexdigest()
        lock = self._checker_locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._checkers.get(key)
            if cached is not None:
                self._checkers.move_to_end(key)
                return cached
            language = self.languages.get(language_id)
            if language is None:
                made = CompiledChecker(None, None, f"the judge has no language {language_id!r}")
            else:
                compiled = await self.compile(language, source)
                if compiled.ok:
                    made = CompiledChecker(language, compiled)
                else:
                    self.sandbox.discard(compiled.workspace)
                    log.warning("problem program did not compile", language_id=language.language_id,
                                compile_output=compiled.output)  # fmt: skip
                    made = CompiledChecker(language, None, "it did not compile")
            self._checkers[key] = made
            while len(self._checkers) > CHECKER_CACHE_SIZE:
                evicted_key, evicted = self._checkers.popitem(last=False)
                self._checker_locks.pop(evicted_key, None)
                if evicted.compiled is not None:
                    self.sandbox.discard(evicted.compiled.workspace)
            return made

    async def run_checker(self, spec: CheckerSpec, test: BundleTest, output: bytes) -> CheckResult:
        """Runs the problem's checker program on one test, sandboxed with its own limits."""
        checker = await self.checker_program(spec)
        if checker.compiled is None or checker.language is None:
            return checker_failure(checker.failure)
        limits = dataclasses.replace(
            CHECKER_LIMITS,
            memory_kib=CHECKER_LIMITS.memory_kib + checker.language.extra_memory_kib,
            processes=checker.language.run_processes,
        )
        ran = await self.sandbox.run(
            checker.compiled.workspace,
            [*CHECKER_UNPACKER, *checker.language.run_command(CHECKER_LIMITS.memory_kib)],
            limits=limits,
            stdin=checker_stdin(test.input.encode(), output, test.expected_output.encode()),
            capture_bytes=64 * 1024,
        )
        if ran.wall_time_exceeded or ran.cpu_time_s > limits.cpu_time_s:
            return checker_failure(f"it ran past its time limit ({limits.cpu_time_s:g} s CPU)")
        if ran.memory_limit_hit or checker.language.ran_out_of_memory(ran.exit_code, ran.stderr):
            return checker_failure(f"it ran out of memory ({limits.memory_kib // 1024} MiB)")
        if ran.output_limit_hit:
            return checker_failure("it wrote too much output")
        return from_testlib_exit(ran.exit_code if ran.signal is None else None, ran.stdout, ran.stderr)

    async def interact(
        self, compiled: Compiled, language: Language, bundle: Bundle, test: BundleTest, limits: Limits
    ) -> tuple[RunOutcome | None, RunStatus, CheckResult]:
        """Runs the program against the problem's interactor, connected by pipes, each sandboxed with
        its own limits: the program's measured run (None when the interactor could not run), how it
        ended as ``interactive_status`` combines it, and the interactor's answer."""
        assert bundle.interactor is not None
        interactor = await self.problem_program(bundle.interactor.language_id, bundle.interactor.source)
        if interactor.compiled is None or interactor.language is None:
            return None, RunStatus.OK, checker_failure(interactor.failure, who="interactor")
        ilimits = dataclasses.replace(
            INTERACTOR_LIMITS,
            wall_time_s=limits.wall_time_s + INTERACTOR_LIMITS.wall_time_s,
            memory_kib=INTERACTOR_LIMITS.memory_kib + interactor.language.extra_memory_kib,
            processes=interactor.language.run_processes,
        )
        contestant, ran = await self.sandbox.run_connected(
            ConnectedRun(compiled.workspace, language.run_command(bundle.memory_limit_kib), limits),
            ConnectedRun(
                interactor.compiled.workspace,
                [*interactor.language.run_command(INTERACTOR_LIMITS.memory_kib), *INTERACTOR_FILES],
                ilimits,
                files={"input.txt": test.input.encode(), "answer.txt": test.expected_output.encode()},
                ignore_sigpipe=True,  # a contestant gone early: the interactor's write fails, it reports
            ),
        )
        overran = True
        if ran.wall_time_exceeded or ran.cpu_time_s > ilimits.cpu_time_s:
            answer = checker_failure(f"it ran past its time limit ({ilimits.cpu_time_s:g} s CPU)", who="interactor")
        elif ran.memory_limit_hit or interactor.language.ran_out_of_memory(ran.exit_code, ran.stderr):
            answer = checker_failure(f"it ran out of memory ({ilimits.memory_kib // 1024} MiB)", who="interactor")
        else:
            overran = False
            answer = from_testlib_exit(ran.exit_code if ran.signal is None else None, b"", ran.stderr, who="interactor")
        own = classify(
            contestant,
            cpu_limit_s=limits.cpu_time_s,
            memory_limit_kib=limits.memory_kib,
            out_of_memory=language.ran_out_of_memory(contestant.exit_code, contestant.stderr),
        )
        return contestant, interactive_status(own, interactor_overran=overran, interactor=answer), answer

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

    async def run_test(
        self,
        compiled: Compiled,
        language: Language,
        bundle: Bundle,
        test: BundleTest,
        notes: list[str] | None = None,
    ) -> TestOutcome:
        """The test's result as the submitter may see it; a checker program's failure is also added
        to ``notes`` in full (for setters and admins)."""
        limits = self.limits_for(language, bundle)
        outcome: RunOutcome | None
        result: CheckResult | None = None
        if bundle.interactor is not None:
            outcome, status, answer = await self.interact(compiled, language, bundle, test, limits)
            if status is RunStatus.OK:
                result = answer
                if answer.checker_failed:
                    log.warning("interactor failed", problem_id=bundle.problem_id, revision=bundle.revision,
                                ordinal=test.ordinal,
                                checker_message=answer.message if test.sample else "")  # fmt: skip
                    if notes is not None:
                        notes.append(f"test {test.ordinal}: {answer.message}")
        else:
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
            if status is RunStatus.OK and bundle.checker.kind == "PROGRAM":
                result = await self.run_checker(bundle.checker, test, outcome.stdout)
                if result.checker_failed:  # the setter's problem: the operators' log names it (a hidden
                    # test's checker message may quote its data: only at debug level, like its other details)
                    log.warning("checker program failed", problem_id=bundle.problem_id, revision=bundle.revision,
                                ordinal=test.ordinal,
                                checker_message=result.message if test.sample else "")  # fmt: skip
                    if notes is not None:
                        notes.append(f"test {test.ordinal}: {result.message}")
            elif status is RunStatus.OK:
                result = check(
                    test.expected_output,
                    outcome.stdout.decode("utf-8", errors="replace"),
                    bundle.checker,
                    reveal=test.sample,
                )
        verdict = decide_verdict(status, result)
        full = TestOutcome(
            ordinal=test.ordinal,
            sample=test.sample,
            verdict=verdict,
            score=1.0 if verdict is Verdict.ACCEPTED else (result.fraction if result else 0.0),
            cpu_ms=round(outcome.cpu_time_s * 1000) if outcome else 0,
            wall_ms=round(outcome.wall_time_s * 1000) if outcome else 0,
            memory_kib=outcome.memory_kib if outcome else 0,
            exit_code=(outcome.exit_code or 0) if outcome else 0,
            signal=(outcome.signal or 0) if outcome else 0,
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
                    overall([], len(bundle.tests), bundle.groups),
                    verdict=Verdict.COMPILATION_ERROR,
                    compile_output=compiled.output,
                )
            await steps.running()
            notes: list[str] = []
            for test in bundle.tests:
                if test.ordinal in results:
                    continue
                skip = should_skip(
                    test.ordinal,
                    results,
                    bundle.groups,
                    run_all_tests=run_all_tests,
                    skip_failed_group_rest=not bundle.run_whole_failed_groups,
                )
                if skip:
                    outcome = TestOutcome(ordinal=test.ordinal, sample=test.sample, verdict=Verdict.SKIPPED)
                else:
                    outcome = await self.run_test(compiled, language, bundle, test, notes)
                results[test.ordinal] = outcome
                await steps.test_finished(outcome)
            return dataclasses.replace(
                overall(list(results.values()), len(bundle.tests), bundle.groups),
                compile_output=compiled.output,
                judge_notes=cap_text("\n".join(notes).encode(), JUDGE_NOTES_CAP_BYTES),
            )
        finally:
            self.sandbox.discard(compiled.workspace)
