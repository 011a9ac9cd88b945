import datetime

from arena.common.v1 import access_pb2 as _access_pb2
from arena.common.v1 import verdict_pb2 as _verdict_pb2
from arena.execution.v1 import execution_pb2 as _execution_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListLanguagesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListLanguagesResponse(_message.Message):
    __slots__ = ("languages", "sandbox")
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    SANDBOX_FIELD_NUMBER: _ClassVar[int]
    languages: _containers.RepeatedCompositeFieldContainer[_execution_pb2.Language]
    sandbox: _execution_pb2.SandboxInfo
    def __init__(self, languages: _Optional[_Iterable[_Union[_execution_pb2.Language, _Mapping]]] = ..., sandbox: _Optional[_Union[_execution_pb2.SandboxInfo, _Mapping]] = ...) -> None: ...

class RunCodeRequest(_message.Message):
    __slots__ = ("language_id", "source", "stdin", "time_limit", "memory_limit_kib")
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_LIMIT_KIB_FIELD_NUMBER: _ClassVar[int]
    language_id: str
    source: str
    stdin: str
    time_limit: _duration_pb2.Duration
    memory_limit_kib: int
    def __init__(self, language_id: _Optional[str] = ..., source: _Optional[str] = ..., stdin: _Optional[str] = ..., time_limit: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., memory_limit_kib: _Optional[int] = ...) -> None: ...

class RunCodeResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _execution_pb2.RunResult
    def __init__(self, result: _Optional[_Union[_execution_pb2.RunResult, _Mapping]] = ...) -> None: ...

class ExecuteBatchStreamRequest(_message.Message):
    __slots__ = ("language_id", "source", "inputs", "time_limit", "memory_limit_kib")
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_LIMIT_KIB_FIELD_NUMBER: _ClassVar[int]
    language_id: str
    source: str
    inputs: _containers.RepeatedScalarFieldContainer[str]
    time_limit: _duration_pb2.Duration
    memory_limit_kib: int
    def __init__(self, language_id: _Optional[str] = ..., source: _Optional[str] = ..., inputs: _Optional[_Iterable[str]] = ..., time_limit: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., memory_limit_kib: _Optional[int] = ...) -> None: ...

class ExecuteBatchStreamResponse(_message.Message):
    __slots__ = ("input_index", "result", "completed_count", "last")
    INPUT_INDEX_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    input_index: int
    result: _execution_pb2.RunResult
    completed_count: int
    last: bool
    def __init__(self, input_index: _Optional[int] = ..., result: _Optional[_Union[_execution_pb2.RunResult, _Mapping]] = ..., completed_count: _Optional[int] = ..., last: _Optional[bool] = ...) -> None: ...

class CreateSubmissionRequest(_message.Message):
    __slots__ = ("submission",)
    SUBMISSION_FIELD_NUMBER: _ClassVar[int]
    submission: _execution_pb2.Submission
    def __init__(self, submission: _Optional[_Union[_execution_pb2.Submission, _Mapping]] = ...) -> None: ...

class CreateSubmissionResponse(_message.Message):
    __slots__ = ("submission",)
    SUBMISSION_FIELD_NUMBER: _ClassVar[int]
    submission: _execution_pb2.Submission
    def __init__(self, submission: _Optional[_Union[_execution_pb2.Submission, _Mapping]] = ...) -> None: ...

class GetSubmissionRequest(_message.Message):
    __slots__ = ("submission_id",)
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    submission_id: str
    def __init__(self, submission_id: _Optional[str] = ...) -> None: ...

class GetSubmissionResponse(_message.Message):
    __slots__ = ("submission",)
    SUBMISSION_FIELD_NUMBER: _ClassVar[int]
    submission: _execution_pb2.Submission
    def __init__(self, submission: _Optional[_Union[_execution_pb2.Submission, _Mapping]] = ...) -> None: ...

class ListSubmissionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "problem_id", "user_id", "contest_id", "verdict")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    problem_id: str
    user_id: str
    contest_id: str
    verdict: _verdict_pb2.Verdict
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., problem_id: _Optional[str] = ..., user_id: _Optional[str] = ..., contest_id: _Optional[str] = ..., verdict: _Optional[_Union[_verdict_pb2.Verdict, str]] = ...) -> None: ...

class ListSubmissionsResponse(_message.Message):
    __slots__ = ("submissions", "next_page_token")
    SUBMISSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    submissions: _containers.RepeatedCompositeFieldContainer[_execution_pb2.Submission]
    next_page_token: str
    def __init__(self, submissions: _Optional[_Iterable[_Union[_execution_pb2.Submission, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchSubmissionRequest(_message.Message):
    __slots__ = ("submission_id", "after_sequence")
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    submission_id: str
    after_sequence: int
    def __init__(self, submission_id: _Optional[str] = ..., after_sequence: _Optional[int] = ...) -> None: ...

class WatchSubmissionResponse(_message.Message):
    __slots__ = ("event", "last", "submission")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_FIELD_NUMBER: _ClassVar[int]
    event: _execution_pb2.SubmissionEvent
    last: bool
    submission: _execution_pb2.Submission
    def __init__(self, event: _Optional[_Union[_execution_pb2.SubmissionEvent, _Mapping]] = ..., last: _Optional[bool] = ..., submission: _Optional[_Union[_execution_pb2.Submission, _Mapping]] = ...) -> None: ...

class CreateRejudgingRequest(_message.Message):
    __slots__ = ("rejudging",)
    REJUDGING_FIELD_NUMBER: _ClassVar[int]
    rejudging: _execution_pb2.Rejudging
    def __init__(self, rejudging: _Optional[_Union[_execution_pb2.Rejudging, _Mapping]] = ...) -> None: ...

class CreateRejudgingResponse(_message.Message):
    __slots__ = ("rejudging",)
    REJUDGING_FIELD_NUMBER: _ClassVar[int]
    rejudging: _execution_pb2.Rejudging
    def __init__(self, rejudging: _Optional[_Union[_execution_pb2.Rejudging, _Mapping]] = ...) -> None: ...

class GetRejudgingRequest(_message.Message):
    __slots__ = ("rejudging_id",)
    REJUDGING_ID_FIELD_NUMBER: _ClassVar[int]
    rejudging_id: str
    def __init__(self, rejudging_id: _Optional[str] = ...) -> None: ...

class GetRejudgingResponse(_message.Message):
    __slots__ = ("rejudging", "judgings")
    REJUDGING_FIELD_NUMBER: _ClassVar[int]
    JUDGINGS_FIELD_NUMBER: _ClassVar[int]
    rejudging: _execution_pb2.Rejudging
    judgings: _containers.RepeatedCompositeFieldContainer[_execution_pb2.Judging]
    def __init__(self, rejudging: _Optional[_Union[_execution_pb2.Rejudging, _Mapping]] = ..., judgings: _Optional[_Iterable[_Union[_execution_pb2.Judging, _Mapping]]] = ...) -> None: ...

class ListRejudgingsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRejudgingsResponse(_message.Message):
    __slots__ = ("rejudgings", "next_page_token")
    REJUDGINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rejudgings: _containers.RepeatedCompositeFieldContainer[_execution_pb2.Rejudging]
    next_page_token: str
    def __init__(self, rejudgings: _Optional[_Iterable[_Union[_execution_pb2.Rejudging, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ApplyRejudgingRequest(_message.Message):
    __slots__ = ("rejudging_id",)
    REJUDGING_ID_FIELD_NUMBER: _ClassVar[int]
    rejudging_id: str
    def __init__(self, rejudging_id: _Optional[str] = ...) -> None: ...

class ApplyRejudgingResponse(_message.Message):
    __slots__ = ("rejudging",)
    REJUDGING_FIELD_NUMBER: _ClassVar[int]
    rejudging: _execution_pb2.Rejudging
    def __init__(self, rejudging: _Optional[_Union[_execution_pb2.Rejudging, _Mapping]] = ...) -> None: ...

class CancelRejudgingRequest(_message.Message):
    __slots__ = ("rejudging_id",)
    REJUDGING_ID_FIELD_NUMBER: _ClassVar[int]
    rejudging_id: str
    def __init__(self, rejudging_id: _Optional[str] = ...) -> None: ...

class CancelRejudgingResponse(_message.Message):
    __slots__ = ("rejudging",)
    REJUDGING_FIELD_NUMBER: _ClassVar[int]
    rejudging: _execution_pb2.Rejudging
    def __init__(self, rejudging: _Optional[_Union[_execution_pb2.Rejudging, _Mapping]] = ...) -> None: ...
