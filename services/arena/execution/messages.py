"""Domain values -> execution protobuf messages, in one place.

The servicer answers RPCs with these and ``publish`` forwards events to realtime in the same
shape, so neither imports the other (the servicer is transport, ``publish`` an outbound adapter).
"""

from __future__ import annotations

from typing import cast

from google.protobuf import duration_pb2

from arena.common.v1 import verdict_pb2
from arena.execution.domain import Event, GroupScore, RunReport, Submission, TestOutcome, Verdict
from arena.execution.v1 import execution_pb2
from arena.kit.convert import duration, timestamp


def _ms(milliseconds: int) -> duration_pb2.Duration | None:
    return duration(milliseconds / 1000)


def _verdict(verdict: Verdict | None) -> verdict_pb2.Verdict:
    return cast("verdict_pb2.Verdict", verdict.value if verdict else 0)


def test_result_message(outcome: TestOutcome) -> execution_pb2.TestResult:
    return execution_pb2.TestResult(
        ordinal=outcome.ordinal,
        sample=outcome.sample,
        verdict=_verdict(outcome.verdict),
        cpu_duration=_ms(outcome.cpu_ms),
        wall_duration=_ms(outcome.wall_ms),
        memory_kib=outcome.memory_kib,
        exit_code=outcome.exit_code,
        signal=outcome.signal,
        checker_message=outcome.checker_message,
        score=outcome.fraction,
    )


def group_result_message(group: GroupScore) -> execution_pb2.GroupResult:
    return execution_pb2.GroupResult(
        name=group.name, points=group.points, max_points=group.max_points, verdict=_verdict(group.verdict)
    )


def submission_message(submission: Submission, *, with_results: bool = True) -> execution_pb2.Submission:
    return execution_pb2.Submission(
        submission_id=submission.submission_id,
        problem_id=submission.problem_id,
        language_id=submission.language_id,
        source=submission.source,
        contest_id=submission.contest_id,
        user_id=submission.user_id,
        status=cast("execution_pb2.SubmissionStatus", submission.status.value),
        verdict=_verdict(submission.verdict),
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
        points=submission.points,
        max_points=submission.max_points,
        group_results=[group_result_message(g) for g in submission.groups],
        judge_notes=submission.judge_notes,
    )


def event_message(event: Event) -> execution_pb2.SubmissionEvent:
    return execution_pb2.SubmissionEvent(
        submission_id=event.submission_id,
        sequence=event.sequence,
        type=cast("execution_pb2.SubmissionEventType", event.type.value),
        time=timestamp(event.time),
        status=cast("execution_pb2.SubmissionStatus", event.status.value),
        test_result=test_result_message(event.test) if event.test else None,
        verdict=_verdict(event.verdict),
        score=event.score,
        compile_output=event.compile_output,
        test_count=event.test_count,
        points=event.points,
        max_points=event.max_points,
        group_results=[group_result_message(g) for g in event.groups],
    )


def run_result_message(report: RunReport) -> execution_pb2.RunResult:
    return execution_pb2.RunResult(
        status=cast("execution_pb2.RunStatus", report.status.value),
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
