import datetime

from arena.common.v1 import verdict_pb2 as _verdict_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    EVENT_TYPE_PROBLEM_VIEWED: _ClassVar[EventType]
    EVENT_TYPE_CODE_RUN: _ClassVar[EventType]
    EVENT_TYPE_HINT_REQUESTED: _ClassVar[EventType]
    EVENT_TYPE_PAGE_VIEWED: _ClassVar[EventType]
    EVENT_TYPE_SUBMISSION_CREATED: _ClassVar[EventType]
    EVENT_TYPE_SUBMISSION_JUDGED: _ClassVar[EventType]
    EVENT_TYPE_CONTEST_REGISTERED: _ClassVar[EventType]
    EVENT_TYPE_USER_REGISTERED: _ClassVar[EventType]
    EVENT_TYPE_PROBLEM_CREATED: _ClassVar[EventType]
EVENT_TYPE_UNSPECIFIED: EventType
EVENT_TYPE_PROBLEM_VIEWED: EventType
EVENT_TYPE_CODE_RUN: EventType
EVENT_TYPE_HINT_REQUESTED: EventType
EVENT_TYPE_PAGE_VIEWED: EventType
EVENT_TYPE_SUBMISSION_CREATED: EventType
EVENT_TYPE_SUBMISSION_JUDGED: EventType
EVENT_TYPE_CONTEST_REGISTERED: EventType
EVENT_TYPE_USER_REGISTERED: EventType
EVENT_TYPE_PROBLEM_CREATED: EventType

class Event(_message.Message):
    __slots__ = ("event_id", "type", "user_id", "problem_id", "contest_id", "submission_id", "language_id", "verdict", "cpu_duration", "attributes", "event_time", "memory_kib", "client_id")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    CPU_DURATION_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    MEMORY_KIB_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    type: EventType
    user_id: str
    problem_id: str
    contest_id: str
    submission_id: str
    language_id: str
    verdict: _verdict_pb2.Verdict
    cpu_duration: _duration_pb2.Duration
    attributes: _containers.ScalarMap[str, str]
    event_time: _timestamp_pb2.Timestamp
    memory_kib: int
    client_id: str
    def __init__(self, event_id: _Optional[str] = ..., type: _Optional[_Union[EventType, str]] = ..., user_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., contest_id: _Optional[str] = ..., submission_id: _Optional[str] = ..., language_id: _Optional[str] = ..., verdict: _Optional[_Union[_verdict_pb2.Verdict, str]] = ..., cpu_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., attributes: _Optional[_Mapping[str, str]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., memory_kib: _Optional[int] = ..., client_id: _Optional[str] = ...) -> None: ...

class VerdictCount(_message.Message):
    __slots__ = ("verdict", "count")
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    verdict: _verdict_pb2.Verdict
    count: int
    def __init__(self, verdict: _Optional[_Union[_verdict_pb2.Verdict, str]] = ..., count: _Optional[int] = ...) -> None: ...

class LanguageCount(_message.Message):
    __slots__ = ("language_id", "count")
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    language_id: str
    count: int
    def __init__(self, language_id: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class DailyActivity(_message.Message):
    __slots__ = ("date", "submission_count", "solved_count")
    DATE_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_COUNT_FIELD_NUMBER: _ClassVar[int]
    SOLVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    date: str
    submission_count: int
    solved_count: int
    def __init__(self, date: _Optional[str] = ..., submission_count: _Optional[int] = ..., solved_count: _Optional[int] = ...) -> None: ...

class ProblemInsights(_message.Message):
    __slots__ = ("problem_id", "view_count", "submission_count", "accepted_count", "acceptance_rate", "solver_count", "attempter_count", "verdicts", "languages", "median_accepted_cpu_duration", "p90_accepted_cpu_duration", "median_accepted_memory_kib", "p90_accepted_memory_kib", "attempts_before_first_accept", "time_to_solve", "start_time", "end_time")
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACCEPTANCE_RATE_FIELD_NUMBER: _ClassVar[int]
    SOLVER_COUNT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTER_COUNT_FIELD_NUMBER: _ClassVar[int]
    VERDICTS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_ACCEPTED_CPU_DURATION_FIELD_NUMBER: _ClassVar[int]
    P90_ACCEPTED_CPU_DURATION_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_ACCEPTED_MEMORY_KIB_FIELD_NUMBER: _ClassVar[int]
    P90_ACCEPTED_MEMORY_KIB_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_BEFORE_FIRST_ACCEPT_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_SOLVE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    view_count: int
    submission_count: int
    accepted_count: int
    acceptance_rate: float
    solver_count: int
    attempter_count: int
    verdicts: _containers.RepeatedCompositeFieldContainer[VerdictCount]
    languages: _containers.RepeatedCompositeFieldContainer[LanguageCount]
    median_accepted_cpu_duration: _duration_pb2.Duration
    p90_accepted_cpu_duration: _duration_pb2.Duration
    median_accepted_memory_kib: int
    p90_accepted_memory_kib: int
    attempts_before_first_accept: _containers.RepeatedCompositeFieldContainer[AttemptsCount]
    time_to_solve: _containers.RepeatedCompositeFieldContainer[DurationPercentile]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, problem_id: _Optional[str] = ..., view_count: _Optional[int] = ..., submission_count: _Optional[int] = ..., accepted_count: _Optional[int] = ..., acceptance_rate: _Optional[float] = ..., solver_count: _Optional[int] = ..., attempter_count: _Optional[int] = ..., verdicts: _Optional[_Iterable[_Union[VerdictCount, _Mapping]]] = ..., languages: _Optional[_Iterable[_Union[LanguageCount, _Mapping]]] = ..., median_accepted_cpu_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., p90_accepted_cpu_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., median_accepted_memory_kib: _Optional[int] = ..., p90_accepted_memory_kib: _Optional[int] = ..., attempts_before_first_accept: _Optional[_Iterable[_Union[AttemptsCount, _Mapping]]] = ..., time_to_solve: _Optional[_Iterable[_Union[DurationPercentile, _Mapping]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AttemptsCount(_message.Message):
    __slots__ = ("failed_attempts", "user_count")
    FAILED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    USER_COUNT_FIELD_NUMBER: _ClassVar[int]
    failed_attempts: int
    user_count: int
    def __init__(self, failed_attempts: _Optional[int] = ..., user_count: _Optional[int] = ...) -> None: ...

class DurationPercentile(_message.Message):
    __slots__ = ("percentile", "value")
    PERCENTILE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    percentile: int
    value: _duration_pb2.Duration
    def __init__(self, percentile: _Optional[int] = ..., value: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GroupProgress(_message.Message):
    __slots__ = ("group", "solved_count", "attempted_count", "solve_rate")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    SOLVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SOLVE_RATE_FIELD_NUMBER: _ClassVar[int]
    group: str
    solved_count: int
    attempted_count: int
    solve_rate: float
    def __init__(self, group: _Optional[str] = ..., solved_count: _Optional[int] = ..., attempted_count: _Optional[int] = ..., solve_rate: _Optional[float] = ...) -> None: ...

class PlatformDay(_message.Message):
    __slots__ = ("date", "active_user_count", "submission_count", "accepted_count")
    DATE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_USER_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    date: str
    active_user_count: int
    submission_count: int
    accepted_count: int
    def __init__(self, date: _Optional[str] = ..., active_user_count: _Optional[int] = ..., submission_count: _Optional[int] = ..., accepted_count: _Optional[int] = ...) -> None: ...

class UserInsights(_message.Message):
    __slots__ = ("user_id", "solved_count", "attempted_count", "submission_count", "acceptance_rate", "verdicts", "languages", "activity", "current_streak_days", "longest_streak_days", "by_difficulty", "by_tag", "time_zone")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SOLVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACCEPTANCE_RATE_FIELD_NUMBER: _ClassVar[int]
    VERDICTS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    CURRENT_STREAK_DAYS_FIELD_NUMBER: _ClassVar[int]
    LONGEST_STREAK_DAYS_FIELD_NUMBER: _ClassVar[int]
    BY_DIFFICULTY_FIELD_NUMBER: _ClassVar[int]
    BY_TAG_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    solved_count: int
    attempted_count: int
    submission_count: int
    acceptance_rate: float
    verdicts: _containers.RepeatedCompositeFieldContainer[VerdictCount]
    languages: _containers.RepeatedCompositeFieldContainer[LanguageCount]
    activity: _containers.RepeatedCompositeFieldContainer[DailyActivity]
    current_streak_days: int
    longest_streak_days: int
    by_difficulty: _containers.RepeatedCompositeFieldContainer[GroupProgress]
    by_tag: _containers.RepeatedCompositeFieldContainer[GroupProgress]
    time_zone: str
    def __init__(self, user_id: _Optional[str] = ..., solved_count: _Optional[int] = ..., attempted_count: _Optional[int] = ..., submission_count: _Optional[int] = ..., acceptance_rate: _Optional[float] = ..., verdicts: _Optional[_Iterable[_Union[VerdictCount, _Mapping]]] = ..., languages: _Optional[_Iterable[_Union[LanguageCount, _Mapping]]] = ..., activity: _Optional[_Iterable[_Union[DailyActivity, _Mapping]]] = ..., current_streak_days: _Optional[int] = ..., longest_streak_days: _Optional[int] = ..., by_difficulty: _Optional[_Iterable[_Union[GroupProgress, _Mapping]]] = ..., by_tag: _Optional[_Iterable[_Union[GroupProgress, _Mapping]]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class ProblemCount(_message.Message):
    __slots__ = ("problem_id", "count")
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    count: int
    def __init__(self, problem_id: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class PlatformStats(_message.Message):
    __slots__ = ("user_count", "problem_count", "submission_count", "accepted_count", "submission_count_24h", "active_user_count_24h", "verdicts", "languages", "top_problems", "days", "judge_queue_length", "judge_wait_p50", "judge_wait_p95", "range_verdicts")
    USER_COUNT_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_COUNT_24H_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_USER_COUNT_24H_FIELD_NUMBER: _ClassVar[int]
    VERDICTS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    TOP_PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    JUDGE_QUEUE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    JUDGE_WAIT_P50_FIELD_NUMBER: _ClassVar[int]
    JUDGE_WAIT_P95_FIELD_NUMBER: _ClassVar[int]
    RANGE_VERDICTS_FIELD_NUMBER: _ClassVar[int]
    user_count: int
    problem_count: int
    submission_count: int
    accepted_count: int
    submission_count_24h: int
    active_user_count_24h: int
    verdicts: _containers.RepeatedCompositeFieldContainer[VerdictCount]
    languages: _containers.RepeatedCompositeFieldContainer[LanguageCount]
    top_problems: _containers.RepeatedCompositeFieldContainer[ProblemCount]
    days: _containers.RepeatedCompositeFieldContainer[PlatformDay]
    judge_queue_length: int
    judge_wait_p50: _duration_pb2.Duration
    judge_wait_p95: _duration_pb2.Duration
    range_verdicts: _containers.RepeatedCompositeFieldContainer[VerdictCount]
    def __init__(self, user_count: _Optional[int] = ..., problem_count: _Optional[int] = ..., submission_count: _Optional[int] = ..., accepted_count: _Optional[int] = ..., submission_count_24h: _Optional[int] = ..., active_user_count_24h: _Optional[int] = ..., verdicts: _Optional[_Iterable[_Union[VerdictCount, _Mapping]]] = ..., languages: _Optional[_Iterable[_Union[LanguageCount, _Mapping]]] = ..., top_problems: _Optional[_Iterable[_Union[ProblemCount, _Mapping]]] = ..., days: _Optional[_Iterable[_Union[PlatformDay, _Mapping]]] = ..., judge_queue_length: _Optional[int] = ..., judge_wait_p50: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., judge_wait_p95: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., range_verdicts: _Optional[_Iterable[_Union[VerdictCount, _Mapping]]] = ...) -> None: ...
