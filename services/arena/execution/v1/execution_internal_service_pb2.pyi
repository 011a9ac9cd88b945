from arena.common.v1 import access_pb2 as _access_pb2
from arena.common.v1 import verdict_pb2 as _verdict_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LintSourceRequest(_message.Message):
    __slots__ = ("language_id", "source")
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    language_id: str
    source: str
    def __init__(self, language_id: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class LintSourceResponse(_message.Message):
    __slots__ = ("linter", "findings")
    LINTER_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    linter: str
    findings: _containers.RepeatedCompositeFieldContainer[LintFinding]
    def __init__(self, linter: _Optional[str] = ..., findings: _Optional[_Iterable[_Union[LintFinding, _Mapping]]] = ...) -> None: ...

class LintFinding(_message.Message):
    __slots__ = ("code", "message", "line", "column", "end_line")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    END_LINE_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    line: int
    column: int
    end_line: int
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., line: _Optional[int] = ..., column: _Optional[int] = ..., end_line: _Optional[int] = ...) -> None: ...

class GetSubmissionSourceRequest(_message.Message):
    __slots__ = ("submission_id",)
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    submission_id: str
    def __init__(self, submission_id: _Optional[str] = ...) -> None: ...

class GetSubmissionSourceResponse(_message.Message):
    __slots__ = ("submission_id", "user_id", "problem_id", "language_id", "source", "verdict")
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    submission_id: str
    user_id: str
    problem_id: str
    language_id: str
    source: str
    verdict: _verdict_pb2.Verdict
    def __init__(self, submission_id: _Optional[str] = ..., user_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., language_id: _Optional[str] = ..., source: _Optional[str] = ..., verdict: _Optional[_Union[_verdict_pb2.Verdict, str]] = ...) -> None: ...

class ListSubmissionRefsRequest(_message.Message):
    __slots__ = ("problem_id", "contest_id", "page_size", "page_token")
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    contest_id: str
    page_size: int
    page_token: str
    def __init__(self, problem_id: _Optional[str] = ..., contest_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SubmissionRef(_message.Message):
    __slots__ = ("submission_id", "user_id", "problem_id", "language_id", "contest_id")
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    submission_id: str
    user_id: str
    problem_id: str
    language_id: str
    contest_id: str
    def __init__(self, submission_id: _Optional[str] = ..., user_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., language_id: _Optional[str] = ..., contest_id: _Optional[str] = ...) -> None: ...

class ListSubmissionRefsResponse(_message.Message):
    __slots__ = ("submissions", "next_page_token")
    SUBMISSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    submissions: _containers.RepeatedCompositeFieldContainer[SubmissionRef]
    next_page_token: str
    def __init__(self, submissions: _Optional[_Iterable[_Union[SubmissionRef, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
