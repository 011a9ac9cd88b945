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

class SubmissionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBMISSION_STATUS_UNSPECIFIED: _ClassVar[SubmissionStatus]
    SUBMISSION_STATUS_QUEUED: _ClassVar[SubmissionStatus]
    SUBMISSION_STATUS_COMPILING: _ClassVar[SubmissionStatus]
    SUBMISSION_STATUS_RUNNING: _ClassVar[SubmissionStatus]
    SUBMISSION_STATUS_FINISHED: _ClassVar[SubmissionStatus]

class RunStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_STATUS_UNSPECIFIED: _ClassVar[RunStatus]
    RUN_STATUS_OK: _ClassVar[RunStatus]
    RUN_STATUS_TIME_LIMIT_EXCEEDED: _ClassVar[RunStatus]
    RUN_STATUS_MEMORY_LIMIT_EXCEEDED: _ClassVar[RunStatus]
    RUN_STATUS_RUNTIME_ERROR: _ClassVar[RunStatus]
    RUN_STATUS_OUTPUT_LIMIT_EXCEEDED: _ClassVar[RunStatus]
    RUN_STATUS_COMPILATION_ERROR: _ClassVar[RunStatus]
    RUN_STATUS_INTERNAL_ERROR: _ClassVar[RunStatus]

class SubmissionEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBMISSION_EVENT_TYPE_UNSPECIFIED: _ClassVar[SubmissionEventType]
    SUBMISSION_EVENT_TYPE_QUEUED: _ClassVar[SubmissionEventType]
    SUBMISSION_EVENT_TYPE_COMPILING: _ClassVar[SubmissionEventType]
    SUBMISSION_EVENT_TYPE_RUNNING: _ClassVar[SubmissionEventType]
    SUBMISSION_EVENT_TYPE_TEST_FINISHED: _ClassVar[SubmissionEventType]
    SUBMISSION_EVENT_TYPE_FINISHED: _ClassVar[SubmissionEventType]
    SUBMISSION_EVENT_TYPE_REJUDGED: _ClassVar[SubmissionEventType]

class RejudgingState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REJUDGING_STATE_UNSPECIFIED: _ClassVar[RejudgingState]
    REJUDGING_STATE_PENDING: _ClassVar[RejudgingState]
    REJUDGING_STATE_JUDGING: _ClassVar[RejudgingState]
    REJUDGING_STATE_READY: _ClassVar[RejudgingState]
    REJUDGING_STATE_APPLIED: _ClassVar[RejudgingState]
    REJUDGING_STATE_CANCELLED: _ClassVar[RejudgingState]
SUBMISSION_STATUS_UNSPECIFIED: SubmissionStatus
SUBMISSION_STATUS_QUEUED: SubmissionStatus
SUBMISSION_STATUS_COMPILING: SubmissionStatus
SUBMISSION_STATUS_RUNNING: SubmissionStatus
SUBMISSION_STATUS_FINISHED: SubmissionStatus
RUN_STATUS_UNSPECIFIED: RunStatus
RUN_STATUS_OK: RunStatus
RUN_STATUS_TIME_LIMIT_EXCEEDED: RunStatus
RUN_STATUS_MEMORY_LIMIT_EXCEEDED: RunStatus
RUN_STATUS_RUNTIME_ERROR: RunStatus
RUN_STATUS_OUTPUT_LIMIT_EXCEEDED: RunStatus
RUN_STATUS_COMPILATION_ERROR: RunStatus
RUN_STATUS_INTERNAL_ERROR: RunStatus
SUBMISSION_EVENT_TYPE_UNSPECIFIED: SubmissionEventType
SUBMISSION_EVENT_TYPE_QUEUED: SubmissionEventType
SUBMISSION_EVENT_TYPE_COMPILING: SubmissionEventType
SUBMISSION_EVENT_TYPE_RUNNING: SubmissionEventType
SUBMISSION_EVENT_TYPE_TEST_FINISHED: SubmissionEventType
SUBMISSION_EVENT_TYPE_FINISHED: SubmissionEventType
SUBMISSION_EVENT_TYPE_REJUDGED: SubmissionEventType
REJUDGING_STATE_UNSPECIFIED: RejudgingState
REJUDGING_STATE_PENDING: RejudgingState
REJUDGING_STATE_JUDGING: RejudgingState
REJUDGING_STATE_READY: RejudgingState
REJUDGING_STATE_APPLIED: RejudgingState
REJUDGING_STATE_CANCELLED: RejudgingState

class Language(_message.Message):
    __slots__ = ("language_id", "name", "version", "source_file_name", "compile_command", "run_command")
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    COMPILE_COMMAND_FIELD_NUMBER: _ClassVar[int]
    RUN_COMMAND_FIELD_NUMBER: _ClassVar[int]
    language_id: str
    name: str
    version: str
    source_file_name: str
    compile_command: str
    run_command: str
    def __init__(self, language_id: _Optional[str] = ..., name: _Optional[str] = ..., version: _Optional[str] = ..., source_file_name: _Optional[str] = ..., compile_command: _Optional[str] = ..., run_command: _Optional[str] = ...) -> None: ...

class SandboxInfo(_message.Message):
    __slots__ = ("cpu_accounting", "neutral_paths")
    CPU_ACCOUNTING_FIELD_NUMBER: _ClassVar[int]
    NEUTRAL_PATHS_FIELD_NUMBER: _ClassVar[int]
    cpu_accounting: str
    neutral_paths: bool
    def __init__(self, cpu_accounting: _Optional[str] = ..., neutral_paths: _Optional[bool] = ...) -> None: ...

class RunResult(_message.Message):
    __slots__ = ("status", "stdout", "stderr", "stdout_truncated", "stderr_truncated", "exit_code", "signal", "cpu_duration", "wall_duration", "memory_kib", "compile_output")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    STDOUT_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    STDERR_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    CPU_DURATION_FIELD_NUMBER: _ClassVar[int]
    WALL_DURATION_FIELD_NUMBER: _ClassVar[int]
    MEMORY_KIB_FIELD_NUMBER: _ClassVar[int]
    COMPILE_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    status: RunStatus
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    exit_code: int
    signal: int
    cpu_duration: _duration_pb2.Duration
    wall_duration: _duration_pb2.Duration
    memory_kib: int
    compile_output: str
    def __init__(self, status: _Optional[_Union[RunStatus, str]] = ..., stdout: _Optional[str] = ..., stderr: _Optional[str] = ..., stdout_truncated: _Optional[bool] = ..., stderr_truncated: _Optional[bool] = ..., exit_code: _Optional[int] = ..., signal: _Optional[int] = ..., cpu_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., wall_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., memory_kib: _Optional[int] = ..., compile_output: _Optional[str] = ...) -> None: ...

class TestResult(_message.Message):
    __slots__ = ("ordinal", "sample", "verdict", "cpu_duration", "wall_duration", "memory_kib", "exit_code", "signal", "checker_message", "score")
    ORDINAL_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    CPU_DURATION_FIELD_NUMBER: _ClassVar[int]
    WALL_DURATION_FIELD_NUMBER: _ClassVar[int]
    MEMORY_KIB_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    CHECKER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    ordinal: int
    sample: bool
    verdict: _verdict_pb2.Verdict
    cpu_duration: _duration_pb2.Duration
    wall_duration: _duration_pb2.Duration
    memory_kib: int
    exit_code: int
    signal: int
    checker_message: str
    score: float
    def __init__(self, ordinal: _Optional[int] = ..., sample: _Optional[bool] = ..., verdict: _Optional[_Union[_verdict_pb2.Verdict, str]] = ..., cpu_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., wall_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., memory_kib: _Optional[int] = ..., exit_code: _Optional[int] = ..., signal: _Optional[int] = ..., checker_message: _Optional[str] = ..., score: _Optional[float] = ...) -> None: ...

class GroupResult(_message.Message):
    __slots__ = ("name", "points", "max_points", "verdict")
    NAME_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    MAX_POINTS_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    name: str
    points: float
    max_points: float
    verdict: _verdict_pb2.Verdict
    def __init__(self, name: _Optional[str] = ..., points: _Optional[float] = ..., max_points: _Optional[float] = ..., verdict: _Optional[_Union[_verdict_pb2.Verdict, str]] = ...) -> None: ...

class Submission(_message.Message):
    __slots__ = ("submission_id", "problem_id", "language_id", "source", "contest_id", "user_id", "status", "verdict", "test_results", "test_count", "passed_test_count", "score", "max_cpu_duration", "max_memory_kib", "compile_output", "queue_position", "run_all_tests", "create_time", "judge_start_time", "finish_time", "points", "max_points", "group_results", "judge_notes")
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    TEST_RESULTS_FIELD_NUMBER: _ClassVar[int]
    TEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    PASSED_TEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    MAX_CPU_DURATION_FIELD_NUMBER: _ClassVar[int]
    MAX_MEMORY_KIB_FIELD_NUMBER: _ClassVar[int]
    COMPILE_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    RUN_ALL_TESTS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    JUDGE_START_TIME_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    MAX_POINTS_FIELD_NUMBER: _ClassVar[int]
    GROUP_RESULTS_FIELD_NUMBER: _ClassVar[int]
    JUDGE_NOTES_FIELD_NUMBER: _ClassVar[int]
    submission_id: str
    problem_id: str
    language_id: str
    source: str
    contest_id: str
    user_id: str
    status: SubmissionStatus
    verdict: _verdict_pb2.Verdict
    test_results: _containers.RepeatedCompositeFieldContainer[TestResult]
    test_count: int
    passed_test_count: int
    score: float
    max_cpu_duration: _duration_pb2.Duration
    max_memory_kib: int
    compile_output: str
    queue_position: int
    run_all_tests: bool
    create_time: _timestamp_pb2.Timestamp
    judge_start_time: _timestamp_pb2.Timestamp
    finish_time: _timestamp_pb2.Timestamp
    points: float
    max_points: float
    group_results: _containers.RepeatedCompositeFieldContainer[GroupResult]
    judge_notes: str
    def __init__(self, submission_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., language_id: _Optional[str] = ..., source: _Optional[str] = ..., contest_id: _Optional[str] = ..., user_id: _Optional[str] = ..., status: _Optional[_Union[SubmissionStatus, str]] = ..., verdict: _Optional[_Union[_verdict_pb2.Verdict, str]] = ..., test_results: _Optional[_Iterable[_Union[TestResult, _Mapping]]] = ..., test_count: _Optional[int] = ..., passed_test_count: _Optional[int] = ..., score: _Optional[float] = ..., max_cpu_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_memory_kib: _Optional[int] = ..., compile_output: _Optional[str] = ..., queue_position: _Optional[int] = ..., run_all_tests: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., judge_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., points: _Optional[float] = ..., max_points: _Optional[float] = ..., group_results: _Optional[_Iterable[_Union[GroupResult, _Mapping]]] = ..., judge_notes: _Optional[str] = ...) -> None: ...

class SubmissionEvent(_message.Message):
    __slots__ = ("submission_id", "sequence", "type", "time", "status", "test_result", "verdict", "score", "compile_output", "test_count", "points", "max_points", "group_results", "rejudging_id")
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TEST_RESULT_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COMPILE_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    TEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    MAX_POINTS_FIELD_NUMBER: _ClassVar[int]
    GROUP_RESULTS_FIELD_NUMBER: _ClassVar[int]
    REJUDGING_ID_FIELD_NUMBER: _ClassVar[int]
    submission_id: str
    sequence: int
    type: SubmissionEventType
    time: _timestamp_pb2.Timestamp
    status: SubmissionStatus
    test_result: TestResult
    verdict: _verdict_pb2.Verdict
    score: float
    compile_output: str
    test_count: int
    points: float
    max_points: float
    group_results: _containers.RepeatedCompositeFieldContainer[GroupResult]
    rejudging_id: str
    def __init__(self, submission_id: _Optional[str] = ..., sequence: _Optional[int] = ..., type: _Optional[_Union[SubmissionEventType, str]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[SubmissionStatus, str]] = ..., test_result: _Optional[_Union[TestResult, _Mapping]] = ..., verdict: _Optional[_Union[_verdict_pb2.Verdict, str]] = ..., score: _Optional[float] = ..., compile_output: _Optional[str] = ..., test_count: _Optional[int] = ..., points: _Optional[float] = ..., max_points: _Optional[float] = ..., group_results: _Optional[_Iterable[_Union[GroupResult, _Mapping]]] = ..., rejudging_id: _Optional[str] = ...) -> None: ...

class Rejudging(_message.Message):
    __slots__ = ("rejudging_id", "submission_ids", "problem_id", "contest_id", "reason", "create_user_id", "state", "create_time", "close_time", "close_user_id", "judging_count", "judged_count", "changed_count")
    REJUDGING_ID_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_IDS_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_USER_ID_FIELD_NUMBER: _ClassVar[int]
    JUDGING_COUNT_FIELD_NUMBER: _ClassVar[int]
    JUDGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHANGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    rejudging_id: str
    submission_ids: _containers.RepeatedScalarFieldContainer[str]
    problem_id: str
    contest_id: str
    reason: str
    create_user_id: str
    state: RejudgingState
    create_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    close_user_id: str
    judging_count: int
    judged_count: int
    changed_count: int
    def __init__(self, rejudging_id: _Optional[str] = ..., submission_ids: _Optional[_Iterable[str]] = ..., problem_id: _Optional[str] = ..., contest_id: _Optional[str] = ..., reason: _Optional[str] = ..., create_user_id: _Optional[str] = ..., state: _Optional[_Union[RejudgingState, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_user_id: _Optional[str] = ..., judging_count: _Optional[int] = ..., judged_count: _Optional[int] = ..., changed_count: _Optional[int] = ...) -> None: ...

class Judging(_message.Message):
    __slots__ = ("submission_id", "status", "old_verdict", "old_score", "new_verdict", "new_score", "changed", "passed_test_count", "test_count", "test_results", "compile_output", "finish_time")
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OLD_VERDICT_FIELD_NUMBER: _ClassVar[int]
    OLD_SCORE_FIELD_NUMBER: _ClassVar[int]
    NEW_VERDICT_FIELD_NUMBER: _ClassVar[int]
    NEW_SCORE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    PASSED_TEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    TEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    TEST_RESULTS_FIELD_NUMBER: _ClassVar[int]
    COMPILE_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    submission_id: str
    status: SubmissionStatus
    old_verdict: _verdict_pb2.Verdict
    old_score: float
    new_verdict: _verdict_pb2.Verdict
    new_score: float
    changed: bool
    passed_test_count: int
    test_count: int
    test_results: _containers.RepeatedCompositeFieldContainer[TestResult]
    compile_output: str
    finish_time: _timestamp_pb2.Timestamp
    def __init__(self, submission_id: _Optional[str] = ..., status: _Optional[_Union[SubmissionStatus, str]] = ..., old_verdict: _Optional[_Union[_verdict_pb2.Verdict, str]] = ..., old_score: _Optional[float] = ..., new_verdict: _Optional[_Union[_verdict_pb2.Verdict, str]] = ..., new_score: _Optional[float] = ..., changed: _Optional[bool] = ..., passed_test_count: _Optional[int] = ..., test_count: _Optional[int] = ..., test_results: _Optional[_Iterable[_Union[TestResult, _Mapping]]] = ..., compile_output: _Optional[str] = ..., finish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
