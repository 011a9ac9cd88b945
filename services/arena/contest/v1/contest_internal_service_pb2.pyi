import datetime

from arena.common.v1 import access_pb2 as _access_pb2
from arena.common.v1 import verdict_pb2 as _verdict_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthorizeSubmissionRequest(_message.Message):
    __slots__ = ("contest_id", "user_id", "problem_id")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    user_id: str
    problem_id: str
    def __init__(self, contest_id: _Optional[str] = ..., user_id: _Optional[str] = ..., problem_id: _Optional[str] = ...) -> None: ...

class AuthorizeSubmissionResponse(_message.Message):
    __slots__ = ("label", "run_all_tests")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    RUN_ALL_TESTS_FIELD_NUMBER: _ClassVar[int]
    label: str
    run_all_tests: bool
    def __init__(self, label: _Optional[str] = ..., run_all_tests: _Optional[bool] = ...) -> None: ...

class RecordSubmissionResultRequest(_message.Message):
    __slots__ = ("submission_id", "contest_id", "user_id", "problem_id", "verdict", "score", "submit_time", "group_scores", "judge_time", "judging_version")
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    GROUP_SCORES_FIELD_NUMBER: _ClassVar[int]
    JUDGE_TIME_FIELD_NUMBER: _ClassVar[int]
    JUDGING_VERSION_FIELD_NUMBER: _ClassVar[int]
    submission_id: str
    contest_id: str
    user_id: str
    problem_id: str
    verdict: _verdict_pb2.Verdict
    score: float
    submit_time: _timestamp_pb2.Timestamp
    group_scores: _containers.RepeatedCompositeFieldContainer[GroupScore]
    judge_time: _timestamp_pb2.Timestamp
    judging_version: int
    def __init__(self, submission_id: _Optional[str] = ..., contest_id: _Optional[str] = ..., user_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., verdict: _Optional[_Union[_verdict_pb2.Verdict, str]] = ..., score: _Optional[float] = ..., submit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., group_scores: _Optional[_Iterable[_Union[GroupScore, _Mapping]]] = ..., judge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., judging_version: _Optional[int] = ...) -> None: ...

class GroupScore(_message.Message):
    __slots__ = ("group", "points")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    group: str
    points: float
    def __init__(self, group: _Optional[str] = ..., points: _Optional[float] = ...) -> None: ...

class RecordSubmissionResultResponse(_message.Message):
    __slots__ = ("applied",)
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    def __init__(self, applied: _Optional[bool] = ...) -> None: ...
