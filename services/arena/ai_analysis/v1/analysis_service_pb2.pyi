from arena.ai_analysis.v1 import analysis_pb2 as _analysis_pb2
from arena.common.v1 import access_pb2 as _access_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AnalyzeCodeRequest(_message.Message):
    __slots__ = ("language_id", "source", "problem_id", "submission_id")
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    language_id: str
    source: str
    problem_id: str
    submission_id: str
    def __init__(self, language_id: _Optional[str] = ..., source: _Optional[str] = ..., problem_id: _Optional[str] = ..., submission_id: _Optional[str] = ...) -> None: ...

class AnalyzeCodeResponse(_message.Message):
    __slots__ = ("analysis",)
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    analysis: _analysis_pb2.Analysis
    def __init__(self, analysis: _Optional[_Union[_analysis_pb2.Analysis, _Mapping]] = ...) -> None: ...

class GetAnalysisRequest(_message.Message):
    __slots__ = ("analysis_id",)
    ANALYSIS_ID_FIELD_NUMBER: _ClassVar[int]
    analysis_id: str
    def __init__(self, analysis_id: _Optional[str] = ...) -> None: ...

class GetAnalysisResponse(_message.Message):
    __slots__ = ("analysis",)
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    analysis: _analysis_pb2.Analysis
    def __init__(self, analysis: _Optional[_Union[_analysis_pb2.Analysis, _Mapping]] = ...) -> None: ...

class AnalyzeCodeStreamRequest(_message.Message):
    __slots__ = ("language_id", "source", "problem_id", "submission_id")
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    language_id: str
    source: str
    problem_id: str
    submission_id: str
    def __init__(self, language_id: _Optional[str] = ..., source: _Optional[str] = ..., problem_id: _Optional[str] = ..., submission_id: _Optional[str] = ...) -> None: ...

class AnalyzeCodeStreamResponse(_message.Message):
    __slots__ = ("text_delta", "finding", "analysis", "last")
    TEXT_DELTA_FIELD_NUMBER: _ClassVar[int]
    FINDING_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    text_delta: str
    finding: _analysis_pb2.Finding
    analysis: _analysis_pb2.Analysis
    last: bool
    def __init__(self, text_delta: _Optional[str] = ..., finding: _Optional[_Union[_analysis_pb2.Finding, _Mapping]] = ..., analysis: _Optional[_Union[_analysis_pb2.Analysis, _Mapping]] = ..., last: _Optional[bool] = ...) -> None: ...

class GetHintRequest(_message.Message):
    __slots__ = ("problem_id", "level", "language_id", "source", "submission_id")
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    level: int
    language_id: str
    source: str
    submission_id: str
    def __init__(self, problem_id: _Optional[str] = ..., level: _Optional[int] = ..., language_id: _Optional[str] = ..., source: _Optional[str] = ..., submission_id: _Optional[str] = ...) -> None: ...

class GetHintResponse(_message.Message):
    __slots__ = ("hint",)
    HINT_FIELD_NUMBER: _ClassVar[int]
    hint: _analysis_pb2.Hint
    def __init__(self, hint: _Optional[_Union[_analysis_pb2.Hint, _Mapping]] = ...) -> None: ...

class CompareSubmissionsRequest(_message.Message):
    __slots__ = ("left_submission_id", "right_submission_id", "base_code")
    LEFT_SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    RIGHT_SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_CODE_FIELD_NUMBER: _ClassVar[int]
    left_submission_id: str
    right_submission_id: str
    base_code: str
    def __init__(self, left_submission_id: _Optional[str] = ..., right_submission_id: _Optional[str] = ..., base_code: _Optional[str] = ...) -> None: ...

class CompareSubmissionsResponse(_message.Message):
    __slots__ = ("similarity", "suspicious", "fragments", "method")
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    SUSPICIOUS_FIELD_NUMBER: _ClassVar[int]
    FRAGMENTS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    similarity: float
    suspicious: bool
    fragments: _containers.RepeatedCompositeFieldContainer[_analysis_pb2.MatchedFragment]
    method: str
    def __init__(self, similarity: _Optional[float] = ..., suspicious: _Optional[bool] = ..., fragments: _Optional[_Iterable[_Union[_analysis_pb2.MatchedFragment, _Mapping]]] = ..., method: _Optional[str] = ...) -> None: ...

class GetSimilarityReportRequest(_message.Message):
    __slots__ = ("problem_id", "contest_id", "min_similarity", "max_pairs", "base_code")
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    MIN_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    MAX_PAIRS_FIELD_NUMBER: _ClassVar[int]
    BASE_CODE_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    contest_id: str
    min_similarity: float
    max_pairs: int
    base_code: str
    def __init__(self, problem_id: _Optional[str] = ..., contest_id: _Optional[str] = ..., min_similarity: _Optional[float] = ..., max_pairs: _Optional[int] = ..., base_code: _Optional[str] = ...) -> None: ...

class GetSimilarityReportResponse(_message.Message):
    __slots__ = ("pairs", "submission_count", "newly_indexed_count", "method", "skipped")
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_COUNT_FIELD_NUMBER: _ClassVar[int]
    NEWLY_INDEXED_COUNT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    pairs: _containers.RepeatedCompositeFieldContainer[_analysis_pb2.SimilarPair]
    submission_count: int
    newly_indexed_count: int
    method: str
    skipped: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, pairs: _Optional[_Iterable[_Union[_analysis_pb2.SimilarPair, _Mapping]]] = ..., submission_count: _Optional[int] = ..., newly_indexed_count: _Optional[int] = ..., method: _Optional[str] = ..., skipped: _Optional[_Iterable[str]] = ...) -> None: ...
