"""ExecutionService and ExecutionInternalService over gRPC: proto ↔ use case, nothing more.

Each RPC reads its request (and the caller from the request context), calls one use case of
``ExecutionApp`` and builds its answer with ``messages``; errors raised below become statuses
in the kit's middleware.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import AsyncIterator
from typing import Any, TypeAlias, cast

import grpc

from arena.common.v1 import verdict_pb2
from arena.execution.app import ExecutionApp, WatchStart
from arena.execution.domain import Event, SubmissionFilters, Verdict
from arena.execution.messages import event_message, run_result_message, submission_message, test_result_message
from arena.execution.rejudge import Judging, Rejudged, Rejudging, Scope, Superseded
from arena.execution.v1 import (
    execution_internal_service_pb2,
    execution_internal_service_pb2_grpc,
    execution_pb2,
    execution_service_pb2,
    execution_service_pb2_grpc,
)
from arena.kit import context as request_context
from arena.kit import pagination
from arena.kit.convert import seconds, timestamp
from arena.kit.errors import InvalidArgument
from arena.kit.middleware import STREAM_STARTED, announces_start

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]
RunRequest: TypeAlias = execution_service_pb2.RunCodeRequest | execution_service_pb2.ExecuteBatchStreamRequest


def _time_limit_ms(request: RunRequest) -> int | None:
    if not request.HasField("time_limit"):
        return None
    value = seconds(request.time_limit)
    if value <= 0:
        raise InvalidArgument.field("time_limit", "must be positive")
    return round(value * 1000)


def _memory_kib(request: RunRequest) -> int | None:
    if request.memory_limit_kib < 0:
        raise InvalidArgument.field("memory_limit_kib", "must not be negative")
    return request.memory_limit_kib or None


def _verdict_filter(value: int) -> Verdict | None:
    if value == 0:
        return None
    if value not in verdict_pb2.Verdict.values():
        raise InvalidArgument.field("verdict", "is not a known verdict")
    return Verdict(value)


def _verdict(verdict: Verdict | None) -> verdict_pb2.Verdict:
    return cast("verdict_pb2.Verdict", verdict.value if verdict else 0)


def rejudging_message(rejudging: Rejudging) -> execution_pb2.Rejudging:
    return execution_pb2.Rejudging(
        rejudging_id=rejudging.rejudging_id,
        submission_ids=list(rejudging.scope.submission_ids),
        problem_id=rejudging.scope.problem_id,
        contest_id=rejudging.scope.contest_id,
        reason=rejudging.reason,
        create_user_id=rejudging.create_user_id,
        state=cast("execution_pb2.RejudgingState", rejudging.state.value),
        create_time=timestamp(rejudging.create_time),
        close_time=timestamp(rejudging.close_time) if rejudging.close_time else None,
        close_user_id=rejudging.close_user_id,
        judging_count=rejudging.judging_count,
        judged_count=rejudging.judged_count,
        changed_count=rejudging.changed_count,
    )


def judging_message(judging: Judging) -> execution_pb2.Judging:
    new = judging.new
    return execution_pb2.Judging(
        submission_id=judging.submission_id,
        status=cast("execution_pb2.SubmissionStatus", judging.status.value),
        old_verdict=_verdict(judging.old_verdict),
        old_score=judging.old_score,
        new_verdict=_verdict(new.verdict if new else None),
        new_score=new.score if new else 0.0,
        changed=judging.changed,
        passed_test_count=new.passed if new else 0,
        test_count=new.test_count if new else 0,
        test_results=[test_result_message(r) for r in judging.results],
        compile_output=new.compile_output if new else "",
        finish_time=timestamp(judging.finish_time) if judging.finish_time else None,
    )


def watch_event_message(event: Event) -> execution_pb2.SubmissionEvent:
    message = event_message(event)
    rejudging_id = event.rejudging_id if isinstance(event, (Rejudged, Superseded)) else ""
    if rejudging_id:
        message.type = execution_pb2.SUBMISSION_EVENT_TYPE_REJUDGED
        message.rejudging_id = rejudging_id
    return message


class ExecutionServicer(execution_service_pb2_grpc.ExecutionServiceServicer):
    def __init__(self, app: ExecutionApp) -> None:
        self.app = app

    async def ListLanguages(
        self, request: execution_service_pb2.ListLanguagesRequest, context: Context
    ) -> execution_service_pb2.ListLanguagesResponse:
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
            ],
            sandbox=execution_pb2.SandboxInfo(
                cpu_accounting=self.app.isolation.cpu_accounting, neutral_paths=self.app.isolation.neutral_paths
            ),
        )

    async def RunCode(
        self, request: execution_service_pb2.RunCodeRequest, context: Context
    ) -> execution_service_pb2.RunCodeResponse:
        report = await self.app.run_code(
            request.language_id,
            request.source,
            request.stdin,
            time_limit_ms=_time_limit_ms(request),
            memory_limit_kib=_memory_kib(request),
        )
        return execution_service_pb2.RunCodeResponse(result=run_result_message(report))

    @announces_start  # STREAM_STARTED once the request is checked
    async def ExecuteBatchStream(
        self, request: execution_service_pb2.ExecuteBatchStreamRequest, context: Context
    ) -> AsyncIterator[execution_service_pb2.ExecuteBatchStreamResponse]:
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

    async def CreateSubmission(
        self, request: execution_service_pb2.CreateSubmissionRequest, context: Context
    ) -> execution_service_pb2.CreateSubmissionResponse:
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

    async def GetSubmission(
        self, request: execution_service_pb2.GetSubmissionRequest, context: Context
    ) -> execution_service_pb2.GetSubmissionResponse:
        submission = await self.app.get_submission(request_context.require_identity(), request.submission_id)
        return execution_service_pb2.GetSubmissionResponse(submission=submission_message(submission))

    async def ListSubmissions(
        self, request: execution_service_pb2.ListSubmissionsRequest, context: Context
    ) -> execution_service_pb2.ListSubmissionsResponse:
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
    async def WatchSubmission(
        self, request: execution_service_pb2.WatchSubmissionRequest, context: Context
    ) -> AsyncIterator[execution_service_pb2.WatchSubmissionResponse]:
        if request.after_sequence < 0:
            raise InvalidArgument.field("after_sequence", "must not be negative")
        items = self.app.watch(request_context.require_identity(), request.submission_id, request.after_sequence)
        async with contextlib.aclosing(items):
            async for item in items:
                if isinstance(item, WatchStart):  # first, once checked: the snapshot
                    snapshot = submission_message(item.submission, with_results=False)
                    yield execution_service_pb2.WatchSubmissionResponse(submission=snapshot, last=item.last)
                else:
                    yield execution_service_pb2.WatchSubmissionResponse(event=watch_event_message(item), last=item.last)

    async def CreateRejudging(
        self, request: execution_service_pb2.CreateRejudgingRequest, context: Context
    ) -> execution_service_pb2.CreateRejudgingResponse:
        message = request.rejudging
        scope = Scope(tuple(message.submission_ids), message.problem_id, message.contest_id)
        rejudging = await self.app.create_rejudging(request_context.require_identity(), scope, message.reason)
        return execution_service_pb2.CreateRejudgingResponse(rejudging=rejudging_message(rejudging))

    async def GetRejudging(
        self, request: execution_service_pb2.GetRejudgingRequest, context: Context
    ) -> execution_service_pb2.GetRejudgingResponse:
        rejudging, judgings = await self.app.get_rejudging(request_context.require_identity(), request.rejudging_id)
        return execution_service_pb2.GetRejudgingResponse(
            rejudging=rejudging_message(rejudging), judgings=[judging_message(j) for j in judgings]
        )

    async def ListRejudgings(
        self, request: execution_service_pb2.ListRejudgingsRequest, context: Context
    ) -> execution_service_pb2.ListRejudgingsResponse:
        fingerprint = {"r": "rejudgings"}
        size = pagination.page_size(request.page_size, default=50, maximum=100)
        rejudgings, next_cursor = await self.app.list_rejudgings(
            request_context.require_identity(), size, pagination.decode_token(request.page_token, fingerprint)
        )
        return execution_service_pb2.ListRejudgingsResponse(
            rejudgings=[rejudging_message(r) for r in rejudgings],
            next_page_token=pagination.encode_token(next_cursor, fingerprint) if next_cursor else "",
        )

    async def ApplyRejudging(
        self, request: execution_service_pb2.ApplyRejudgingRequest, context: Context
    ) -> execution_service_pb2.ApplyRejudgingResponse:
        rejudging = await self.app.apply_rejudging(request_context.require_identity(), request.rejudging_id)
        return execution_service_pb2.ApplyRejudgingResponse(rejudging=rejudging_message(rejudging))

    async def CancelRejudging(
        self, request: execution_service_pb2.CancelRejudgingRequest, context: Context
    ) -> execution_service_pb2.CancelRejudgingResponse:
        rejudging = await self.app.cancel_rejudging(request_context.require_identity(), request.rejudging_id)
        return execution_service_pb2.CancelRejudgingResponse(rejudging=rejudging_message(rejudging))


class ExecutionInternalServicer(execution_internal_service_pb2_grpc.ExecutionInternalServiceServicer):
    def __init__(self, app: ExecutionApp) -> None:
        self.app = app

    async def GetSubmissionSource(
        self, request: execution_internal_service_pb2.GetSubmissionSourceRequest, context: Context
    ) -> execution_internal_service_pb2.GetSubmissionSourceResponse:
        submission = await self.app.source(request.submission_id)
        return execution_internal_service_pb2.GetSubmissionSourceResponse(
            submission_id=submission.submission_id,
            user_id=submission.user_id,
            problem_id=submission.problem_id,
            language_id=submission.language_id,
            source=submission.source,
            verdict=cast("verdict_pb2.Verdict", submission.verdict.value if submission.verdict else 0),
        )

    async def LintSource(
        self, request: execution_internal_service_pb2.LintSourceRequest, context: Context
    ) -> execution_internal_service_pb2.LintSourceResponse:
        linter, findings = await self.app.lint(request.language_id, request.source)
        return execution_internal_service_pb2.LintSourceResponse(
            linter=linter,
            findings=[
                execution_internal_service_pb2.LintFinding(
                    code=f.code, message=f.message, line=f.line, column=f.column, end_line=f.end_line
                )
                for f in findings
            ],
        )

    async def ListSubmissionRefs(
        self, request: execution_internal_service_pb2.ListSubmissionRefsRequest, context: Context
    ) -> execution_internal_service_pb2.ListSubmissionRefsResponse:
        filters = SubmissionFilters(problem_id=request.problem_id, contest_id=request.contest_id)
        fingerprint = {"problem_id": request.problem_id, "contest_id": request.contest_id}
        size = pagination.page_size(request.page_size, default=100, maximum=500)
        submissions, next_cursor = await self.app.list_refs(
            filters, size, pagination.decode_token(request.page_token, fingerprint)
        )
        return execution_internal_service_pb2.ListSubmissionRefsResponse(
            submissions=[
                execution_internal_service_pb2.SubmissionRef(
                    submission_id=s.submission_id,
                    user_id=s.user_id,
                    problem_id=s.problem_id,
                    language_id=s.language_id,
                    contest_id=s.contest_id,
                )
                for s in submissions
            ],
            next_page_token=pagination.encode_token(next_cursor, fingerprint) if next_cursor else "",
        )
