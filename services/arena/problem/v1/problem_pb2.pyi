import datetime

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

class Difficulty(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIFFICULTY_UNSPECIFIED: _ClassVar[Difficulty]
    DIFFICULTY_EASY: _ClassVar[Difficulty]
    DIFFICULTY_MEDIUM: _ClassVar[Difficulty]
    DIFFICULTY_HARD: _ClassVar[Difficulty]

class CheckerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHECKER_KIND_UNSPECIFIED: _ClassVar[CheckerKind]
    CHECKER_KIND_EXACT: _ClassVar[CheckerKind]
    CHECKER_KIND_TOKENS: _ClassVar[CheckerKind]
    CHECKER_KIND_FLOAT: _ClassVar[CheckerKind]
    CHECKER_KIND_PROGRAM: _ClassVar[CheckerKind]

class Visibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VISIBILITY_UNSPECIFIED: _ClassVar[Visibility]
    VISIBILITY_PUBLIC: _ClassVar[Visibility]
    VISIBILITY_HIDDEN: _ClassVar[Visibility]
DIFFICULTY_UNSPECIFIED: Difficulty
DIFFICULTY_EASY: Difficulty
DIFFICULTY_MEDIUM: Difficulty
DIFFICULTY_HARD: Difficulty
CHECKER_KIND_UNSPECIFIED: CheckerKind
CHECKER_KIND_EXACT: CheckerKind
CHECKER_KIND_TOKENS: CheckerKind
CHECKER_KIND_FLOAT: CheckerKind
CHECKER_KIND_PROGRAM: CheckerKind
VISIBILITY_UNSPECIFIED: Visibility
VISIBILITY_PUBLIC: Visibility
VISIBILITY_HIDDEN: Visibility

class Checker(_message.Message):
    __slots__ = ("kind", "absolute_tolerance", "relative_tolerance", "program_language_id", "program_source")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ABSOLUTE_TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_SOURCE_FIELD_NUMBER: _ClassVar[int]
    kind: CheckerKind
    absolute_tolerance: float
    relative_tolerance: float
    program_language_id: str
    program_source: str
    def __init__(self, kind: _Optional[_Union[CheckerKind, str]] = ..., absolute_tolerance: _Optional[float] = ..., relative_tolerance: _Optional[float] = ..., program_language_id: _Optional[str] = ..., program_source: _Optional[str] = ...) -> None: ...

class Interactor(_message.Message):
    __slots__ = ("language_id", "source")
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    language_id: str
    source: str
    def __init__(self, language_id: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class TestGroup(_message.Message):
    __slots__ = ("name", "points", "test_ordinals")
    NAME_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    TEST_ORDINALS_FIELD_NUMBER: _ClassVar[int]
    name: str
    points: float
    test_ordinals: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, name: _Optional[str] = ..., points: _Optional[float] = ..., test_ordinals: _Optional[_Iterable[int]] = ...) -> None: ...

class TestCase(_message.Message):
    __slots__ = ("ordinal", "input", "expected_output", "sample", "explanation")
    ORDINAL_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    ordinal: int
    input: str
    expected_output: str
    sample: bool
    explanation: str
    def __init__(self, ordinal: _Optional[int] = ..., input: _Optional[str] = ..., expected_output: _Optional[str] = ..., sample: _Optional[bool] = ..., explanation: _Optional[str] = ...) -> None: ...

class Problem(_message.Message):
    __slots__ = ("problem_id", "slug", "title", "statement", "difficulty", "tags", "time_limit", "memory_limit_kib", "checker", "sample_tests", "hidden_tests", "hidden_test_count", "visibility", "author_id", "like_count", "bookmark_count", "liked", "bookmarked", "revision", "create_time", "update_time", "test_groups", "run_whole_failed_groups", "interactor")
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    DIFFICULTY_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_LIMIT_KIB_FIELD_NUMBER: _ClassVar[int]
    CHECKER_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_TESTS_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_TESTS_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_TEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    LIKE_COUNT_FIELD_NUMBER: _ClassVar[int]
    BOOKMARK_COUNT_FIELD_NUMBER: _ClassVar[int]
    LIKED_FIELD_NUMBER: _ClassVar[int]
    BOOKMARKED_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TEST_GROUPS_FIELD_NUMBER: _ClassVar[int]
    RUN_WHOLE_FAILED_GROUPS_FIELD_NUMBER: _ClassVar[int]
    INTERACTOR_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    slug: str
    title: str
    statement: str
    difficulty: Difficulty
    tags: _containers.RepeatedScalarFieldContainer[str]
    time_limit: _duration_pb2.Duration
    memory_limit_kib: int
    checker: Checker
    sample_tests: _containers.RepeatedCompositeFieldContainer[TestCase]
    hidden_tests: _containers.RepeatedCompositeFieldContainer[TestCase]
    hidden_test_count: int
    visibility: Visibility
    author_id: str
    like_count: int
    bookmark_count: int
    liked: bool
    bookmarked: bool
    revision: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    test_groups: _containers.RepeatedCompositeFieldContainer[TestGroup]
    run_whole_failed_groups: bool
    interactor: Interactor
    def __init__(self, problem_id: _Optional[str] = ..., slug: _Optional[str] = ..., title: _Optional[str] = ..., statement: _Optional[str] = ..., difficulty: _Optional[_Union[Difficulty, str]] = ..., tags: _Optional[_Iterable[str]] = ..., time_limit: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., memory_limit_kib: _Optional[int] = ..., checker: _Optional[_Union[Checker, _Mapping]] = ..., sample_tests: _Optional[_Iterable[_Union[TestCase, _Mapping]]] = ..., hidden_tests: _Optional[_Iterable[_Union[TestCase, _Mapping]]] = ..., hidden_test_count: _Optional[int] = ..., visibility: _Optional[_Union[Visibility, str]] = ..., author_id: _Optional[str] = ..., like_count: _Optional[int] = ..., bookmark_count: _Optional[int] = ..., liked: _Optional[bool] = ..., bookmarked: _Optional[bool] = ..., revision: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., test_groups: _Optional[_Iterable[_Union[TestGroup, _Mapping]]] = ..., run_whole_failed_groups: _Optional[bool] = ..., interactor: _Optional[_Union[Interactor, _Mapping]] = ...) -> None: ...

class ProblemSummary(_message.Message):
    __slots__ = ("problem_id", "slug", "title", "difficulty", "author_id", "hidden", "embargo_end_time")
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DIFFICULTY_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_FIELD_NUMBER: _ClassVar[int]
    EMBARGO_END_TIME_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    slug: str
    title: str
    difficulty: Difficulty
    author_id: str
    hidden: bool
    embargo_end_time: _timestamp_pb2.Timestamp
    def __init__(self, problem_id: _Optional[str] = ..., slug: _Optional[str] = ..., title: _Optional[str] = ..., difficulty: _Optional[_Union[Difficulty, str]] = ..., author_id: _Optional[str] = ..., hidden: _Optional[bool] = ..., embargo_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class JudgeBundle(_message.Message):
    __slots__ = ("problem_id", "revision", "time_limit", "memory_limit_kib", "checker", "tests", "test_groups", "run_whole_failed_groups", "interactor", "author_id", "hidden", "embargo_end_time")
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_LIMIT_KIB_FIELD_NUMBER: _ClassVar[int]
    CHECKER_FIELD_NUMBER: _ClassVar[int]
    TESTS_FIELD_NUMBER: _ClassVar[int]
    TEST_GROUPS_FIELD_NUMBER: _ClassVar[int]
    RUN_WHOLE_FAILED_GROUPS_FIELD_NUMBER: _ClassVar[int]
    INTERACTOR_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_FIELD_NUMBER: _ClassVar[int]
    EMBARGO_END_TIME_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    revision: int
    time_limit: _duration_pb2.Duration
    memory_limit_kib: int
    checker: Checker
    tests: _containers.RepeatedCompositeFieldContainer[TestCase]
    test_groups: _containers.RepeatedCompositeFieldContainer[TestGroup]
    run_whole_failed_groups: bool
    interactor: Interactor
    author_id: str
    hidden: bool
    embargo_end_time: _timestamp_pb2.Timestamp
    def __init__(self, problem_id: _Optional[str] = ..., revision: _Optional[int] = ..., time_limit: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., memory_limit_kib: _Optional[int] = ..., checker: _Optional[_Union[Checker, _Mapping]] = ..., tests: _Optional[_Iterable[_Union[TestCase, _Mapping]]] = ..., test_groups: _Optional[_Iterable[_Union[TestGroup, _Mapping]]] = ..., run_whole_failed_groups: _Optional[bool] = ..., interactor: _Optional[_Union[Interactor, _Mapping]] = ..., author_id: _Optional[str] = ..., hidden: _Optional[bool] = ..., embargo_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
