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
    __slots__ = ("severity", "category", "line_start", "line_end", "message", "suggestion", "rule_id")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LINE_START_FIELD_NUMBER: _ClassVar[int]
    LINE_END_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SUGGESTION_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    severity: Severity
    category: FindingCategory
    line_start: int
    line_end: int
    message: str
    suggestion: str
    rule_id: str
    def __init__(self, severity: _Optional[_Union[Severity, str]] = ..., category: _Optional[_Union[FindingCategory, str]] = ..., line_start: _Optional[int] = ..., line_end: _Optional[int] = ..., message: _Optional[str] = ..., suggestion: _Optional[str] = ..., rule_id: _Optional[str] = ...) -> None: ...

class Complexity(_message.Message):
    __slots__ = ("time", "space", "explanation")
    TIME_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    time: str
    space: str
    explanation: str
    def __init__(self, time: _Optional[str] = ..., space: _Optional[str] = ..., explanation: _Optional[str] = ...) -> None: ...

class Analysis(_message.Message):
    __slots__ = ("analysis_id", "user_id", "language_id", "problem_id", "submission_id", "summary", "complexity", "findings", "quality_score", "model", "create_time")
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
    def __init__(self, analysis_id: _Optional[str] = ..., user_id: _Optional[str] = ..., language_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., submission_id: _Optional[str] = ..., summary: _Optional[str] = ..., complexity: _Optional[_Union[Complexity, _Mapping]] = ..., findings: _Optional[_Iterable[_Union[Finding, _Mapping]]] = ..., quality_score: _Optional[int] = ..., model: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Hint(_message.Message):
    __slots__ = ("level", "max_level", "text")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MAX_LEVEL_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    level: int
    max_level: int
    text: str
    def __init__(self, level: _Optional[int] = ..., max_level: _Optional[int] = ..., text: _Optional[str] = ...) -> None: ...

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
