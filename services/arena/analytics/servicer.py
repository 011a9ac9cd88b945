"""AnalyticsService and AnalyticsInternalService over gRPC: proto ↔ domain values, a few lines per RPC."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeAlias, cast

import grpc

from arena.analytics.app import AnalyticsApp
from arena.analytics.domain import PlatformStats, ProblemInsights, RawEvent, UserInsights, date_of_day
from arena.analytics.v1 import (
    analytics_internal_service_pb2,
    analytics_internal_service_pb2_grpc,
    analytics_pb2,
    analytics_service_pb2,
    analytics_service_pb2_grpc,
)
from arena.common.v1 import verdict_pb2
from arena.kit import context as request_context
from arena.kit.convert import duration, timestamp

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


def raw_event(e: analytics_pb2.Event) -> RawEvent:
    time = e.event_time
    cpu = e.cpu_duration
    return RawEvent(
        e.event_id,
        e.type,
        time.seconds * 1000 + time.nanos // 1_000_000,
        e.user_id,
        e.client_id,
        e.problem_id,
        e.contest_id,
        e.submission_id,
        e.language_id,
        e.verdict,
        cpu.seconds * 1000 + cpu.nanos // 1_000_000,
        e.memory_kib,
        e.attributes,
    )


def _address() -> str:
    """The anonymous caller's network address (Envoy's x-forwarded-for, else the peer)."""
    request = request_context.current()
    return "" if request is None else request.client_address()


def _ms(stamp: Any, present: bool) -> int | None:
    return stamp.seconds * 1000 + stamp.nanos // 1_000_000 if present else None


def _at(ms: int) -> Any:
    return timestamp(dt.datetime.fromtimestamp(ms / 1000, dt.UTC))


def _verdicts(pairs: Iterable[tuple[int, int]]) -> list[analytics_pb2.VerdictCount]:
    return [analytics_pb2.VerdictCount(verdict=cast(verdict_pb2.Verdict, v), count=c) for v, c in pairs]


def _languages(pairs: Iterable[tuple[str, int]]) -> list[analytics_pb2.LanguageCount]:
    return [analytics_pb2.LanguageCount(language_id=lang, count=c) for lang, c in pairs]


def problem_message(p: ProblemInsights) -> analytics_pb2.ProblemInsights:
    return analytics_pb2.ProblemInsights(
        problem_id=p.problem_id,
        view_count=p.view_count,
        submission_count=p.submission_count,
        accepted_count=p.accepted_count,
        acceptance_rate=p.acceptance_rate,
        solver_count=p.solver_count,
        attempter_count=p.attempter_count,
        verdicts=_verdicts(p.verdicts),
        languages=_languages(p.languages),
        median_accepted_cpu_duration=duration(p.cpu_p50_ms / 1000),
        p90_accepted_cpu_duration=duration(p.cpu_p90_ms / 1000),
        median_accepted_memory_kib=p.memory_p50_kib,
        p90_accepted_memory_kib=p.memory_p90_kib,
        attempts_before_first_accept=[
            analytics_pb2.AttemptsCount(failed_attempts=n, user_count=c) for n, c in p.attempts_before_first_accept
        ],
        time_to_solve=[
            analytics_pb2.DurationPercentile(percentile=q, value=duration(ms / 1000)) for q, ms in p.time_to_solve_ms
        ],
        start_time=_at(p.days.start_day * 86_400_000),
        end_time=_at(p.days.end_day * 86_400_000),
    )


def user_message(u: UserInsights) -> analytics_pb2.UserInsights:
    return analytics_pb2.UserInsights(
        user_id=u.user_id,
        solved_count=u.solved_count,
        attempted_count=u.attempted_count,
        submission_count=u.submission_count,
        acceptance_rate=u.acceptance_rate,
        verdicts=_verdicts(u.verdicts),
        languages=_languages(u.languages),
        activity=[
            analytics_pb2.DailyActivity(
                date=a.date.isoformat(), submission_count=a.submission_count, solved_count=a.solved_count
            )
            for a in u.activity
        ],
        current_streak_days=u.current_streak_days,
        longest_streak_days=u.longest_streak_days,
        by_difficulty=[
            analytics_pb2.GroupProgress(
                group=g.group, solved_count=g.solved_count, attempted_count=g.attempted_count, solve_rate=g.solve_rate
            )
            for g in u.by_difficulty
        ],
        by_tag=[
            analytics_pb2.GroupProgress(
                group=g.group, solved_count=g.solved_count, attempted_count=g.attempted_count, solve_rate=g.solve_rate
            )
            for g in u.by_tag
        ],
        time_zone=u.time_zone,
    )


def platform_message(s: PlatformStats) -> analytics_pb2.PlatformStats:
    return analytics_pb2.PlatformStats(
        user_count=s.user_count,
        problem_count=s.problem_count,
        submission_count=s.submission_count,
        accepted_count=s.accepted_count,
        submission_count_24h=s.submission_count_24h,
        active_user_count_24h=s.active_user_count_24h,
        verdicts=_verdicts(s.verdicts),
        languages=_languages(s.languages),
        top_problems=[analytics_pb2.ProblemCount(problem_id=p, count=c) for p, c in s.top_problems],
        days=[
            analytics_pb2.PlatformDay(
                date=date_of_day(d.day),
                active_user_count=d.active_user_count,
                submission_count=d.submission_count,
                accepted_count=d.accepted_count,
            )
            for d in s.per_day
        ],
        judge_queue_length=s.judge_queue_length,
        judge_wait_p50=duration(s.judge_wait_p50_ms / 1000),
        judge_wait_p95=duration(s.judge_wait_p95_ms / 1000),
        range_verdicts=_verdicts(s.range_verdicts),
    )


class AnalyticsServicer(analytics_service_pb2_grpc.AnalyticsServiceServicer):
    def __init__(self, app: AnalyticsApp) -> None:
        self.app = app

    async def TrackEvent(
        self, request: analytics_service_pb2.TrackEventRequest, context: Context
    ) -> analytics_service_pb2.TrackEventResponse:
        ids, recorded, _ = await self.app.track(
            request_context.identity(), [raw_event(request.event)], field="event", address=_address()
        )
        return analytics_service_pb2.TrackEventResponse(event_id=ids[0], recorded=recorded == 1)

    async def TrackEvents(
        self, request: analytics_service_pb2.TrackEventsRequest, context: Context
    ) -> analytics_service_pb2.TrackEventsResponse:
        _, recorded, duplicates = await self.app.track(
            request_context.identity(), [raw_event(e) for e in request.events], address=_address()
        )
        return analytics_service_pb2.TrackEventsResponse(recorded_count=recorded, duplicate_count=duplicates)

    async def GetProblemInsights(
        self, request: analytics_service_pb2.GetProblemInsightsRequest, context: Context
    ) -> analytics_service_pb2.GetProblemInsightsResponse:
        insights = await self.app.problem_insights(
            request.problem_id,
            _ms(request.start_time, request.HasField("start_time")),
            _ms(request.end_time, request.HasField("end_time")),
        )
        return analytics_service_pb2.GetProblemInsightsResponse(insights=problem_message(insights))

    async def GetUserInsights(
        self, request: analytics_service_pb2.GetUserInsightsRequest, context: Context
    ) -> analytics_service_pb2.GetUserInsightsResponse:
        insights = await self.app.user_insights(
            request_context.identity(), request.user_id, request.time_zone, request.days
        )
        return analytics_service_pb2.GetUserInsightsResponse(insights=user_message(insights))

    async def GetPlatformStats(
        self, request: analytics_service_pb2.GetPlatformStatsRequest, context: Context
    ) -> analytics_service_pb2.GetPlatformStatsResponse:
        stats = await self.app.platform_stats(
            _ms(request.start_time, request.HasField("start_time")),
            _ms(request.end_time, request.HasField("end_time")),
        )
        return analytics_service_pb2.GetPlatformStatsResponse(stats=platform_message(stats))


class AnalyticsInternalServicer(analytics_internal_service_pb2_grpc.AnalyticsInternalServiceServicer):
    def __init__(self, app: AnalyticsApp) -> None:
        self.app = app

    async def RecordEvents(
        self, request: analytics_internal_service_pb2.RecordEventsRequest, context: Context
    ) -> analytics_internal_service_pb2.RecordEventsResponse:
        recorded, duplicates = await self.app.record([raw_event(e) for e in request.events])
        return analytics_internal_service_pb2.RecordEventsResponse(recorded_count=recorded, duplicate_count=duplicates)
