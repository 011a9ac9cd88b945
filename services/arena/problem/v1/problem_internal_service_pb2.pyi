import datetime

from arena.common.v1 import access_pb2 as _access_pb2
from arena.problem.v1 import problem_pb2 as _problem_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetJudgeBundleRequest(_message.Message):
    __slots__ = ("problem_id",)
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    def __init__(self, problem_id: _Optional[str] = ...) -> None: ...

class GetJudgeBundleResponse(_message.Message):
    __slots__ = ("bundle",)
    BUNDLE_FIELD_NUMBER: _ClassVar[int]
    bundle: _problem_pb2.JudgeBundle
    def __init__(self, bundle: _Optional[_Union[_problem_pb2.JudgeBundle, _Mapping]] = ...) -> None: ...

class BatchGetProblemSummariesRequest(_message.Message):
    __slots__ = ("problem_ids",)
    PROBLEM_IDS_FIELD_NUMBER: _ClassVar[int]
    problem_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, problem_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchGetProblemSummariesResponse(_message.Message):
    __slots__ = ("problems",)
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    problems: _containers.RepeatedCompositeFieldContainer[_problem_pb2.ProblemSummary]
    def __init__(self, problems: _Optional[_Iterable[_Union[_problem_pb2.ProblemSummary, _Mapping]]] = ...) -> None: ...

class SetContestEmbargoRequest(_message.Message):
    __slots__ = ("contest_id", "problem_ids", "end_time")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_IDS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    problem_ids: _containers.RepeatedScalarFieldContainer[str]
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, contest_id: _Optional[str] = ..., problem_ids: _Optional[_Iterable[str]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SetContestEmbargoResponse(_message.Message):
    __slots__ = ("problem_ids",)
    PROBLEM_IDS_FIELD_NUMBER: _ClassVar[int]
    problem_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, problem_ids: _Optional[_Iterable[str]] = ...) -> None: ...
