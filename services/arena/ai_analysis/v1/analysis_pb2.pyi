import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_INFO: _ClassVar[Severity]
    SEVERITY_WARNING: _ClassVar[Severity]
    SEVERITY_ERROR: _ClassVar[Severity]

class FindingCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FINDING_CATEGORY_UNSPECIFIED: _ClassVar[FindingCategory]
    FINDING_CATEGORY_CORRECTNESS: _ClassVar[FindingCategory]
    FINDING_CATEGORY_PERFORMANCE: _ClassVar[FindingCategory]
    FINDING_CATEGORY_STYLE: _ClassVar[FindingCategory]
    FINDING_CATEGORY_SAFETY: _ClassVar[FindingCategory]
SEVERITY_UNSPECIFIED: Severity
SEVERITY_INFO: Severity
SEVERITY_WARNING: Severity
SEVERITY_ERROR: Severity
FINDING_CATEGORY_UNSPECIFIED: FindingCategory
FINDING_CATEGORY_CORRECTNESS: FindingCategory
FINDING_CATEGORY_PERFORMANCE: FindingCategory
FINDING_CATEGORY_STYLE: FindingCategory
FINDING_CATEGORY_SAFETY: FindingCategory

class Finding(_message.Message):
    __slots__ = ("severity", "category", "line_start", "line_end", "message", "suggestion", "rule_id", "column")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LINE_START_FIELD_NUMBER: _ClassVar[int]
    LINE_END_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SUGGESTION_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    severity: Severity
    category: FindingCategory
    line_start: int
    line_end: int
    message: str
    suggestion: str
    rule_id: str
    column: int
    def __init__(self, severity: _Optional[_Union[Severity, str]] = ..., category: _Optional[_Union[FindingCategory, str]] = ..., line_start: _Optional[int] = ..., line_end: _Optional[int] = ..., message: _Optional[str] = ..., suggestion: _Optional[str] = ..., rule_id: _Optional[str] = ..., column: _Optional[int] = ...) -> None: ...

class Complexity(_message.Message):
    __slots__ = ("time", "space", "explanation", "confidence", "limit_check")
    TIME_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_CHECK_FIELD_NUMBER: _ClassVar[int]
    time: str
    space: str
    explanation: str
    confidence: float
    limit_check: str
    def __init__(self, time: _Optional[str] = ..., space: _Optional[str] = ..., explanation: _Optional[str] = ..., confidence: _Optional[float] = ..., limit_check: _Optional[str] = ...) -> None: ...

class FunctionSummary(_message.Message):
    __slots__ = ("name", "line_start", "line_end", "cyclomatic_complexity", "max_loop_depth", "recursive")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LINE_START_FIELD_NUMBER: _ClassVar[int]
    LINE_END_FIELD_NUMBER: _ClassVar[int]
    CYCLOMATIC_COMPLEXITY_FIELD_NUMBER: _ClassVar[int]
    MAX_LOOP_DEPTH_FIELD_NUMBER: _ClassVar[int]
    RECURSIVE_FIELD_NUMBER: _ClassVar[int]
    name: str
    line_start: int
    line_end: int
    cyclomatic_complexity: int
    max_loop_depth: int
    recursive: bool
    def __init__(self, name: _Optional[str] = ..., line_start: _Optional[int] = ..., line_end: _Optional[int] = ..., cyclomatic_complexity: _Optional[int] = ..., max_loop_depth: _Optional[int] = ..., recursive: _Optional[bool] = ...) -> None: ...

class CodeSummary(_message.Message):
    __slots__ = ("lines", "code_lines", "comment_lines", "comment_ratio", "functions", "max_loop_depth", "recursion", "syntax_errors")
    LINES_FIELD_NUMBER: _ClassVar[int]
    CODE_LINES_FIELD_NUMBER: _ClassVar[int]
    COMMENT_LINES_FIELD_NUMBER: _ClassVar[int]
    COMMENT_RATIO_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_LOOP_DEPTH_FIELD_NUMBER: _ClassVar[int]
    RECURSION_FIELD_NUMBER: _ClassVar[int]
    SYNTAX_ERRORS_FIELD_NUMBER: _ClassVar[int]
    lines: int
    code_lines: int
    comment_lines: int
    comment_ratio: float
    functions: _containers.RepeatedCompositeFieldContainer[FunctionSummary]
    max_loop_depth: int
    recursion: bool
    syntax_errors: bool
    def __init__(self, lines: _Optional[int] = ..., code_lines: _Optional[int] = ..., comment_lines: _Optional[int] = ..., comment_ratio: _Optional[float] = ..., functions: _Optional[_Iterable[_Union[FunctionSummary, _Mapping]]] = ..., max_loop_depth: _Optional[int] = ..., recursion: _Optional[bool] = ..., syntax_errors: _Optional[bool] = ...) -> None: ...

class Analysis(_message.Message):
    __slots__ = ("analysis_id", "user_id", "language_id", "problem_id", "submission_id", "summary", "complexity", "findings", "quality_score", "model", "create_time", "code_summary", "review", "note")
    ANALYSIS_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    COMPLEXITY_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    QUALITY_SCORE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CODE_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    analysis_id: str
    user_id: str
    language_id: str
    problem_id: str
    submission_id: str
    summary: str
    complexity: Complexity
    findings: _containers.RepeatedCompositeFieldContainer[Finding]
    quality_score: int
    model: str
    create_time: _timestamp_pb2.Timestamp
    code_summary: CodeSummary
    review: str
    note: str
    def __init__(self, analysis_id: _Optional[str] = ..., user_id: _Optional[str] = ..., language_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., submission_id: _Optional[str] = ..., summary: _Optional[str] = ..., complexity: _Optional[_Union[Complexity, _Mapping]] = ..., findings: _Optional[_Iterable[_Union[Finding, _Mapping]]] = ..., quality_score: _Optional[int] = ..., model: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., code_summary: _Optional[_Union[CodeSummary, _Mapping]] = ..., review: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class Hint(_message.Message):
    __slots__ = ("level", "max_level", "text", "source", "note")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MAX_LEVEL_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    level: int
    max_level: int
    text: str
    source: str
    note: str
    def __init__(self, level: _Optional[int] = ..., max_level: _Optional[int] = ..., text: _Optional[str] = ..., source: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class SimilarPair(_message.Message):
    __slots__ = ("left_submission_id", "left_user_id", "right_submission_id", "right_user_id", "similarity", "fragments", "language_id")
    LEFT_SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    LEFT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    RIGHT_SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    RIGHT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    FRAGMENTS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    left_submission_id: str
    left_user_id: str
    right_submission_id: str
    right_user_id: str
    similarity: float
    fragments: _containers.RepeatedCompositeFieldContainer[MatchedFragment]
    language_id: str
    def __init__(self, left_submission_id: _Optional[str] = ..., left_user_id: _Optional[str] = ..., right_submission_id: _Optional[str] = ..., right_user_id: _Optional[str] = ..., similarity: _Optional[float] = ..., fragments: _Optional[_Iterable[_Union[MatchedFragment, _Mapping]]] = ..., language_id: _Optional[str] = ...) -> None: ...

class MatchedFragment(_message.Message):
    __slots__ = ("left_line_start", "left_line_end", "right_line_start", "right_line_end")
    LEFT_LINE_START_FIELD_NUMBER: _ClassVar[int]
    LEFT_LINE_END_FIELD_NUMBER: _ClassVar[int]
    RIGHT_LINE_START_FIELD_NUMBER: _ClassVar[int]
    RIGHT_LINE_END_FIELD_NUMBER: _ClassVar[int]
    left_line_start: int
    left_line_end: int
    right_line_start: int
    right_line_end: int
    def __init__(self, left_line_start: _Optional[int] = ..., left_line_end: _Optional[int] = ..., right_line_start: _Optional[int] = ..., right_line_end: _Optional[int] = ...) -> None: ...
