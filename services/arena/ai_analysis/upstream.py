"""The problem and execution services as ai_analysis needs them, through their generated v1 stubs.

- Problems: ``ProblemService.GetProblem`` on behalf of the caller (so a user gets hints only for problems
  they may see); only the statement, tags, time limit and the *sample* tests are kept.
- Submissions: ``ExecutionInternalService.GetSubmissionSource`` (any author's source, for similarity),
  ``ExecutionInternalService.ListSubmissionRefs`` (a problem's or contest's submissions, for reports) and
  ``ExecutionService.GetSubmission`` on behalf of the caller (their own verdict and per-test results, for
  hints: which test failed first and whether it was a sample).
"""

from __future__ import annotations

from arena.ai_analysis.app import FailingTest, SourceRef, SubmissionRecord
from arena.ai_analysis.domain import Category, Finding, ProblemContext, Severity
from arena.common.v1 import verdict_pb2
from arena.execution.v1 import execution_internal_service_pb2, execution_service_pb2
from arena.kit.client import UpstreamStub
from arena.kit.convert import seconds
from arena.problem.v1 import problem_service_pb2

TIMEOUT_S = 5.0
REFS_PAGE = 500
_PASSING = (verdict_pb2.VERDICT_UNSPECIFIED, verdict_pb2.VERDICT_ACCEPTED, verdict_pb2.VERDICT_SKIPPED)


def _verdict(value: int) -> str:
    name = verdict_pb2.Verdict.Name(value) if value else ""
    return name.removeprefix("VERDICT_").replace("UNSPECIFIED", "")


class ProblemServiceProblems:
    def __init__(self, public: UpstreamStub) -> None:
        self._public = public

    async def context(self, problem_id: str) -> tuple[ProblemContext, tuple[str, ...]]:
        response = await self._public.GetProblem(
            problem_service_pb2.GetProblemRequest(problem_id=problem_id), timeout_s=TIMEOUT_S, on_behalf_of_caller=True
        )
        p = response.problem
        samples = tuple((t.input, t.expected_output) for t in p.sample_tests)
        time_limit = seconds(p.time_limit) if p.HasField("time_limit") else 1.0
        return ProblemContext(p.problem_id, p.title, p.statement, time_limit or 1.0, samples), tuple(p.tags)


class ExecutionServiceSubmissions:
    def __init__(self, public: UpstreamStub, internal: UpstreamStub) -> None:
        self._public = public
        self._internal = internal

    async def source(self, submission_id: str) -> SubmissionRecord:
        r = await self._internal.GetSubmissionSource(
            execution_internal_service_pb2.GetSubmissionSourceRequest(submission_id=submission_id),
            timeout_s=TIMEOUT_S,
        )
        return SubmissionRecord(r.submission_id, r.user_id, r.problem_id, r.language_id, r.source, _verdict(r.verdict))

    async def refs(self, problem_id: str, contest_id: str) -> list[SourceRef]:
        out: list[SourceRef] = []
        token = ""
        while True:
            page = await self._internal.ListSubmissionRefs(
                execution_internal_service_pb2.ListSubmissionRefsRequest(
                    problem_id=problem_id, contest_id=contest_id, page_size=REFS_PAGE, page_token=token
                ),
                timeout_s=TIMEOUT_S,
            )
            out.extend(
                SourceRef(s.submission_id, s.user_id, s.problem_id, s.language_id, s.contest_id)
                for s in page.submissions
            )
            token = page.next_page_token
            if not token:
                return out

    async def own(self, submission_id: str) -> tuple[SubmissionRecord, FailingTest | None]:
        response = await self._public.GetSubmission(
            execution_service_pb2.GetSubmissionRequest(submission_id=submission_id),
            timeout_s=TIMEOUT_S,
            on_behalf_of_caller=True,
        )
        s = response.submission
        failing = next(
            (
                t
                for t in s.test_results
                if t.verdict not in (0, verdict_pb2.VERDICT_ACCEPTED, verdict_pb2.VERDICT_SKIPPED)
            ),
            None,
        )
        record = SubmissionRecord(
            s.submission_id, s.user_id, s.problem_id, s.language_id, s.source, _verdict(s.verdict)
        )
        return record, (FailingTest(failing.ordinal, failing.sample) if failing is not None else None)


LINT_TIMEOUT_S = 15.0
"""A lint run in the sandbox may take a few seconds on a busy judge."""


def _lint_finding(f: execution_internal_service_pb2.LintFinding) -> Finding:
    """A ruff finding in the analyser's terms: undefined names, syntax errors and bugbear's bugs are
    correctness (errors for the first two), unused imports and variables style."""
    code = f.code
    if code.startswith(("F8", "E9")) or code == "syntax":
        severity, category = Severity.ERROR, Category.CORRECTNESS
    elif code in ("F401", "F841", "F811"):
        severity, category = Severity.WARNING, Category.STYLE
    else:
        severity, category = Severity.WARNING, Category.CORRECTNESS
    return Finding(f"ruff/{code}", severity, category, f.line, f.column, max(f.end_line, f.line), f.message)


class ExecutionServiceLinter:
    """``Linter`` through ``ExecutionInternalService.LintSource``: ruff runs in the judge's sandbox."""

    def __init__(self, internal: UpstreamStub) -> None:
        self._internal = internal

    async def lint(self, language_id: str, source: str) -> list[Finding]:
        response = await self._internal.LintSource(
            execution_internal_service_pb2.LintSourceRequest(language_id=language_id, source=source),
            timeout_s=LINT_TIMEOUT_S,
        )
        return [_lint_finding(f) for f in response.findings]
