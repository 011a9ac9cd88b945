"""AiAnalysisService over gRPC: proto ↔ domain values, a few lines per RPC."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeAlias, cast

import grpc

from arena.ai_analysis import similarity
from arena.ai_analysis.app import AiAnalysisApp, TextDelta
from arena.ai_analysis.domain import Analysis, Finding, Hint
from arena.ai_analysis.v1 import analysis_pb2, analysis_service_pb2, analysis_service_pb2_grpc
from arena.kit import context as request_context
from arena.kit.convert import timestamp
from arena.kit.middleware import announces_start

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


def finding_message(f: Finding) -> analysis_pb2.Finding:
    return analysis_pb2.Finding(
        severity=cast("analysis_pb2.Severity", int(f.severity)),
        category=cast("analysis_pb2.FindingCategory", int(f.category)),
        line_start=f.line_start,
        line_end=f.line_end,
        column=f.column,
        message=f.message,
        suggestion=f.suggestion,
        rule_id=f.rule_id,
    )


def analysis_message(a: Analysis) -> analysis_pb2.Analysis:
    r = a.result
    s = r.summary
    return analysis_pb2.Analysis(
        analysis_id=a.analysis_id,
        user_id=a.user_id,
        language_id=a.language_id,
        problem_id=a.problem_id,
        submission_id=a.submission_id,
        summary=r.text,
        complexity=analysis_pb2.Complexity(
            time=r.complexity.time.big_o(),
            space=r.complexity.space,
            explanation=r.complexity.explanation,
            confidence=r.complexity.confidence,
            limit_check=r.complexity.limit_check,
        ),
        findings=[finding_message(f) for f in r.findings],
        quality_score=r.quality_score,
        model=a.model,
        create_time=timestamp(a.create_time),
        code_summary=analysis_pb2.CodeSummary(
            lines=s.lines,
            code_lines=s.code_lines,
            comment_lines=s.comment_lines,
            comment_ratio=round(s.comment_ratio, 4),
            functions=[
                analysis_pb2.FunctionSummary(
                    name=f.name,
                    line_start=f.line_start,
                    line_end=f.line_end,
                    cyclomatic_complexity=f.cyclomatic_complexity,
                    max_loop_depth=f.max_loop_depth,
                    recursive=f.recursive,
                )
                for f in s.functions
            ],
            max_loop_depth=s.max_loop_depth,
            recursion=s.recursion,
            syntax_errors=s.syntax_errors,
        ),
        review=a.review,
        note=a.note,
    )


def hint_message(h: Hint) -> analysis_pb2.Hint:
    return analysis_pb2.Hint(level=h.level, max_level=h.max_level, text=h.text, source=h.source, note=h.note)


def fragment_messages(fragments: tuple[similarity.Fragment, ...]) -> list[analysis_pb2.MatchedFragment]:
    return [
        analysis_pb2.MatchedFragment(
            left_line_start=f.left_start,
            left_line_end=f.left_end,
            right_line_start=f.right_start,
            right_line_end=f.right_end,
        )
        for f in fragments
    ]


class AiAnalysisServicer(analysis_service_pb2_grpc.AiAnalysisServiceServicer):
    def __init__(self, app: AiAnalysisApp) -> None:
        self.app = app

    async def AnalyzeCode(
        self, request: analysis_service_pb2.AnalyzeCodeRequest, context: Context
    ) -> analysis_service_pb2.AnalyzeCodeResponse:
        analysis = await self.app.analyze(
            request_context.require_identity(),
            request.language_id,
            request.source,
            request.problem_id,
            request.submission_id,
        )
        return analysis_service_pb2.AnalyzeCodeResponse(analysis=analysis_message(analysis))

    async def GetAnalysis(
        self, request: analysis_service_pb2.GetAnalysisRequest, context: Context
    ) -> analysis_service_pb2.GetAnalysisResponse:
        analysis = await self.app.get(request_context.require_identity(), request.analysis_id)
        return analysis_service_pb2.GetAnalysisResponse(analysis=analysis_message(analysis))

    @announces_start  # the first finding (or the summary) comes right after the checks
    async def AnalyzeCodeStream(
        self, request: analysis_service_pb2.AnalyzeCodeStreamRequest, context: Context
    ) -> AsyncIterator[analysis_service_pb2.AnalyzeCodeStreamResponse]:
        events = await self.app.analyze_stream(
            request_context.require_identity(),
            request.language_id,
            request.source,
            request.problem_id,
            request.submission_id,
        )
        async for event in events:
            if isinstance(event, Finding):
                yield analysis_service_pb2.AnalyzeCodeStreamResponse(finding=finding_message(event))
            elif isinstance(event, TextDelta):
                yield analysis_service_pb2.AnalyzeCodeStreamResponse(text_delta=event.text)
            else:
                yield analysis_service_pb2.AnalyzeCodeStreamResponse(analysis=analysis_message(event), last=True)

    async def GetHint(
        self, request: analysis_service_pb2.GetHintRequest, context: Context
    ) -> analysis_service_pb2.GetHintResponse:
        hint = await self.app.hint(
            request_context.require_identity(),
            request.problem_id,
            request.level,
            request.language_id,
            request.source,
            request.submission_id,
        )
        return analysis_service_pb2.GetHintResponse(hint=hint_message(hint))

    async def CompareSubmissions(
        self, request: analysis_service_pb2.CompareSubmissionsRequest, context: Context
    ) -> analysis_service_pb2.CompareSubmissionsResponse:
        comparison = await self.app.compare(
            request_context.require_identity(),
            request.left_submission_id,
            request.right_submission_id,
            request.base_code,
        )
        return analysis_service_pb2.CompareSubmissionsResponse(
            similarity=comparison.similarity,
            suspicious=comparison.suspicious,
            fragments=fragment_messages(comparison.fragments),
            method=similarity.METHOD,
        )

    async def GetSimilarityReport(
        self, request: analysis_service_pb2.GetSimilarityReportRequest, context: Context
    ) -> analysis_service_pb2.GetSimilarityReportResponse:
        report = await self.app.report(
            request_context.require_identity(),
            request.problem_id,
            request.contest_id,
            request.min_similarity,
            request.max_pairs,
            request.base_code,
        )
        return analysis_service_pb2.GetSimilarityReportResponse(
            pairs=[
                analysis_pb2.SimilarPair(
                    left_submission_id=p.left.submission_id,
                    left_user_id=p.left.user_id,
                    right_submission_id=p.right.submission_id,
                    right_user_id=p.right.user_id,
                    similarity=p.comparison.similarity,
                    fragments=fragment_messages(p.comparison.fragments),
                    language_id=p.left.scope.rsplit("/", 1)[-1],
                )
                for p in report.pairs
            ],
            submission_count=report.submission_count,
            newly_indexed_count=report.newly_indexed,
            method=similarity.METHOD,
            skipped=report.skipped,
        )
