"""ExecutionService and ExecutionInternalService over gRPC: proto ↔ use case."""

from __future__ import annotations

import contextlib
import shlex
from typing import Any

from arena.common.v1 import verdict_pb2
from arena.execution.app import ExecutionApp, RunReport, WatchStart
from arena.execution.domain import Event, Submission, TestOutcome, Verdict
from arena.execution.store import SubmissionFilters
from arena.execution.v1 import (
    execution_internal_service_pb2,
    execution_internal_service_pb2_grpc,
    execution_pb2,
    execution_service_pb2,
    execution_service_pb2_grpc,
)
from arena.kit import context as request_context
from arena.kit import pagination
from arena.kit.convert import duration, seconds, timestamp
from arena.kit.errors import InvalidArgument
from arena.kit.middleware import STREAM_STARTED, announces_start


def _ms(milliseconds: int):
    return duration(milliseconds / 1000)


def test_result_message(outcome: TestOutcome) -> execution_pb2.TestResult:
    return execution_pb2.TestResult(
        ordinal=outcome.ordinal,
        sample=outcome.sample,
        verdict=outcome.verdict.value,
        cpu_duration=_ms(outcome.cpu_ms),
        wall_duration=_ms(outcome.wall_ms),
        memory_kib=outcome.memory_kib,
        exit_code=outcome.exit_code,
        signal=outcome.signal,
        checker_message=outcome.checker_message,
    )


def submission_message(submission: Submission, *, with_results: bool = True) -> execution_pb2.Submission:
    return execution_pb2.Submission(
        submission_id=submission.submission_id,
        problem_id=submission.problem_id,
        language_id=submission.language_id,
        source=submission.source,
        contest_id=submission.contest_id,
        user_id=submission.user_id,
        status=submission.status.value,
        verdict=submission.verdict.value if submission.verdict else 0,
        test_results=[test_result_message(r) for r in submission.results] if with_results else [],
        test_count=submission.test_count,
        passed_test_count=submission.passed_test_count,
        score=submission.score,
        max_cpu_duration=_ms(submission.max_cpu_ms),
        max_memory_kib=submission.max_memory_kib,
        compile_output=submission.compile_output,
        queue_position=submission.queue_position,
        run_all_tests=submission.run_all_tests,
        create_time=timestamp(submission.create_time),
        judge_start_time=timestamp(submission.judge_start_time),
        finish_time=timestamp(submission.finish_time),
    )


def event_message(event: Event) -> execution_pb2.SubmissionEvent:
    return execution_pb2.SubmissionEvent(
        submission_id=event.submission_id,
        sequence=event.sequence,
        type=event.type.value,
        time=timestamp(event.time),
        status=event.status.value,
        test_result=test_result_message(event.test) if event.test else None,
        verdict=event.verdict.value if event.verdict else 0,
        score=event.score,
        compile_output=event.compile_output,
        test_count=event.test_count,
    )


def run_result_message(report: RunReport) -> execution_pb2.RunResult:
    return execution_pb2.RunResult(
        status=report.status.value,
        stdout=report.stdout,
        stderr=report.stderr,
        stdout_truncated=report.stdout_truncated,
        stderr_truncated=report.stderr_truncated,
        exit_code=report.exit_code,
        signal=report.signal,
        cpu_duration=_ms(report.cpu_ms),
        wall_duration=_ms(report.wall_ms),
        memory_kib=report.memory_kib,
        compile_output=report.compile_output,
    )


def _time_limit_ms(request: Any) -> int | None:
    if not request.HasField("time_limit"):
        return None
    value = seconds(request.time_limit)
    if value <= 0:
        raise InvalidArgument.field("time_limit", "must be positive")
    return round(value * 1000)


def _memory_kib(request: Any) -> int | None:
    if request.memory_limit_kib < 0:
        raise InvalidArgument.field("memory_limit_kib", "must not be negative")
    return request.memory_limit_kib or None


def _verdict_filter(value: int) -> Verdict | None:
    if value == 0:
        return None
    if value not in verdict_pb2.Verdict.values():
        raise InvalidArgument.field("verdict", "is not a known verdict")
    return Verdict(value)


class ExecutionServicer(execution_service_pb2_grpc.ExecutionServiceServicer):
    def __init__(self, app: ExecutionApp) -> None:
        self.app = app

    async def ListLanguages(self, request, context):
        return execution_service_pb2.ListLanguagesResponse(
            languages=[
                execution_pb2.Language(
                    language_id=a.language.language_id,
                    name=a.language.name,
                    version=a.version,
                    source_file_name=a.language.source_file,
                    compile_command=shlex.join(a.language.compile or ()),
                    run_command=shlex.join(a.language.run_command(256 * 1024)),
                )
                for a in self.app.languages.values()
            ]
        )

    async def RunCode(self, request, context):
        report = await self.app.run_code(
            request.language_id,
            request.source,
            request.stdin,
            time_limit_ms=_time_limit_ms(request),
            memory_limit_kib=_memory_kib(request),
        )
        return execution_service_pb2.RunCodeResponse(result=run_result_message(report))

    @announces_start  # STREAM_STARTED once the request is checked
    async def ExecuteBatchStream(self, request, context):
        results = self.app.run_batch(
            request.language_id,
            request.source,
            list(request.inputs),
            time_limit_ms=_time_limit_ms(request),
            memory_limit_kib=_memory_kib(request),
        )
        yield STREAM_STARTED  # checked: the response starts now, not after the compile and the first run
        async with contextlib.aclosing(results):
            async for result in results:
                yield execution_service_pb2.ExecuteBatchStreamResponse(
                    input_index=result.input_index,
                    result=run_result_message(result.report),
                    completed_count=result.completed_count,
                    last=result.last,
                )

    async def CreateSubmission(self, request, context):
        message = request.submission
        submission = await self.app.create_submission(
            request_context.require_identity(),
            problem_id=message.problem_id,
            language_id=message.language_id,
            source=message.source,
            contest_id=message.contest_id,
            run_all_tests=message.run_all_tests,
        )
        return execution_service_pb2.CreateSubmissionResponse(submission=submission_message(submission))

    async def GetSubmission(self, request, context):
        submission = await self.app.get_submission(request_context.require_identity(), request.submission_id)
        return execution_service_pb2.GetSubmissionResponse(submission=submission_message(submission))

    async def ListSubmissions(self, request, context):
        caller = request_context.require_identity()
        filters = SubmissionFilters(
            user_id=request.user_id or None,
            problem_id=request.problem_id,
            contest_id=request.contest_id,
            verdict=_verdict_filter(request.verdict),
        )
        fingerprint = {
            "u": request.user_id or caller.user_id,
            "p": request.problem_id,
            "c": request.contest_id,
            "v": request.verdict,
        }
        size = pagination.page_size(request.page_size, default=50, maximum=100)
        submissions, next_cursor = await self.app.list_submissions(
            caller, filters, size, pagination.decode_token(request.page_token, fingerprint)
        )
        return execution_service_pb2.ListSubmissionsResponse(
            submissions=[submission_message(s, with_results=False) for s in submissions],
            next_page_token=pagination.encode_token(next_cursor, fingerprint) if next_cursor else "",
        )

    @announces_start  # the snapshot comes right after the checks
    async def WatchSubmission(self, request, context):
        if request.after_sequence < 0:
            raise InvalidArgument.field("after_sequence", "must not be negative")
        items = self.app.watch(request_context.require_identity(), request.submission_id, request.after_sequence)
        async with contextlib.aclosing(items):
            async for item in items:
                if isinstance(item, WatchStart):  # first, once checked: the snapshot
                    snapshot = submission_message(item.submission, with_results=False)
                    yield execution_service_pb2.WatchSubmissionResponse(submission=snapshot, last=item.last)
                else:
                    yield execution_service_pb2.WatchSubmissionResponse(event=event_message(item), last=item.last)


class ExecutionInternalServicer(execution_internal_service_pb2_grpc.ExecutionInternalServiceServicer):
    def __init__(self, app: ExecutionApp) -> None:
        self.app = app

    async def GetSubmissionSource(self, request, context):
        submission = await self.app.source(request.submission_id)
        return execution_internal_service_pb2.GetSubmissionSourceResponse(
            submission_id=submission.submission_id,
            user_id=submission.user_id,
            problem_id=submission.problem_id,
            language_id=submission.language_id,
            source=submission.source,
            verdict=submission.verdict.value if submission.verdict else 0,
        )
