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
from arena.execution.domain import SubmissionFilters, Verdict
from arena.execution.messages import event_message, run_result_message, submission_message
from arena.execution.v1 import (
    execution_internal_service_pb2,
    execution_internal_service_pb2_grpc,
    execution_pb2,
    execution_service_pb2,
    execution_service_pb2_grpc,
)
from arena.kit import context as request_context
from arena.kit import pagination
from arena.kit.convert import seconds
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
                    yield execution_service_pb2.WatchSubmissionResponse(event=event_message(item), last=item.last)


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
