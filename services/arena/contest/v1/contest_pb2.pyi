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

class ScoringRule(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCORING_RULE_UNSPECIFIED: _ClassVar[ScoringRule]
    SCORING_RULE_ICPC: _ClassVar[ScoringRule]
    SCORING_RULE_IOI: _ClassVar[ScoringRule]

class ContestPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTEST_PHASE_UNSPECIFIED: _ClassVar[ContestPhase]
    CONTEST_PHASE_UPCOMING: _ClassVar[ContestPhase]
    CONTEST_PHASE_RUNNING: _ClassVar[ContestPhase]
    CONTEST_PHASE_FROZEN: _ClassVar[ContestPhase]
    CONTEST_PHASE_ENDED: _ClassVar[ContestPhase]

class ClarificationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLARIFICATION_KIND_UNSPECIFIED: _ClassVar[ClarificationKind]
    CLARIFICATION_KIND_QUESTION: _ClassVar[ClarificationKind]
    CLARIFICATION_KIND_ANNOUNCEMENT: _ClassVar[ClarificationKind]
SCORING_RULE_UNSPECIFIED: ScoringRule
SCORING_RULE_ICPC: ScoringRule
SCORING_RULE_IOI: ScoringRule
CONTEST_PHASE_UNSPECIFIED: ContestPhase
CONTEST_PHASE_UPCOMING: ContestPhase
CONTEST_PHASE_RUNNING: ContestPhase
CONTEST_PHASE_FROZEN: ContestPhase
CONTEST_PHASE_ENDED: ContestPhase
CLARIFICATION_KIND_UNSPECIFIED: ClarificationKind
CLARIFICATION_KIND_QUESTION: ClarificationKind
CLARIFICATION_KIND_ANNOUNCEMENT: ClarificationKind

class ContestProblem(_message.Message):
    __slots__ = ("problem_id", "label", "max_score", "title")
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    MAX_SCORE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    label: str
    max_score: int
    title: str
    def __init__(self, problem_id: _Optional[str] = ..., label: _Optional[str] = ..., max_score: _Optional[int] = ..., title: _Optional[str] = ...) -> None: ...

class Contest(_message.Message):
    __slots__ = ("contest_id", "title", "description", "scoring_rule", "start_time", "duration", "end_time", "freeze_before_end", "penalty_per_rejection", "problems", "phase", "author_id", "participant_count", "registered", "final_standings_published", "create_time", "update_time", "virtual_participation")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SCORING_RULE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    FREEZE_BEFORE_END_FIELD_NUMBER: _ClassVar[int]
    PENALTY_PER_REJECTION_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_COUNT_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FIELD_NUMBER: _ClassVar[int]
    FINAL_STANDINGS_PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VIRTUAL_PARTICIPATION_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    title: str
    description: str
    scoring_rule: ScoringRule
    start_time: _timestamp_pb2.Timestamp
    duration: _duration_pb2.Duration
    end_time: _timestamp_pb2.Timestamp
    freeze_before_end: _duration_pb2.Duration
    penalty_per_rejection: _duration_pb2.Duration
    problems: _containers.RepeatedCompositeFieldContainer[ContestProblem]
    phase: ContestPhase
    author_id: str
    participant_count: int
    registered: bool
    final_standings_published: bool
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    virtual_participation: VirtualParticipation
    def __init__(self, contest_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., scoring_rule: _Optional[_Union[ScoringRule, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., freeze_before_end: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., penalty_per_rejection: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., problems: _Optional[_Iterable[_Union[ContestProblem, _Mapping]]] = ..., phase: _Optional[_Union[ContestPhase, str]] = ..., author_id: _Optional[str] = ..., participant_count: _Optional[int] = ..., registered: _Optional[bool] = ..., final_standings_published: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., virtual_participation: _Optional[_Union[VirtualParticipation, _Mapping]] = ...) -> None: ...

class Registration(_message.Message):
    __slots__ = ("contest_id", "user_id", "register_time")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTER_TIME_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    user_id: str
    register_time: _timestamp_pb2.Timestamp
    def __init__(self, contest_id: _Optional[str] = ..., user_id: _Optional[str] = ..., register_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProblemCell(_message.Message):
    __slots__ = ("label", "solved", "rejected_attempts", "pending_attempts", "score", "solved_after", "first_solve")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SOLVED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    PENDING_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SOLVED_AFTER_FIELD_NUMBER: _ClassVar[int]
    FIRST_SOLVE_FIELD_NUMBER: _ClassVar[int]
    label: str
    solved: bool
    rejected_attempts: int
    pending_attempts: int
    score: float
    solved_after: _duration_pb2.Duration
    first_solve: bool
    def __init__(self, label: _Optional[str] = ..., solved: _Optional[bool] = ..., rejected_attempts: _Optional[int] = ..., pending_attempts: _Optional[int] = ..., score: _Optional[float] = ..., solved_after: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., first_solve: _Optional[bool] = ...) -> None: ...

class StandingRow(_message.Message):
    __slots__ = ("rank", "user_id", "display_name", "score", "solved_count", "penalty", "cells")
    RANK_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SOLVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    PENALTY_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    rank: int
    user_id: str
    display_name: str
    score: float
    solved_count: int
    penalty: _duration_pb2.Duration
    cells: _containers.RepeatedCompositeFieldContainer[ProblemCell]
    def __init__(self, rank: _Optional[int] = ..., user_id: _Optional[str] = ..., display_name: _Optional[str] = ..., score: _Optional[float] = ..., solved_count: _Optional[int] = ..., penalty: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., cells: _Optional[_Iterable[_Union[ProblemCell, _Mapping]]] = ...) -> None: ...

class Leaderboard(_message.Message):
    __slots__ = ("contest_id", "scoring_rule", "problems", "rows", "frozen", "version", "participant_count", "update_time", "virtual", "elapsed")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    SCORING_RULE_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    FROZEN_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_COUNT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VIRTUAL_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    scoring_rule: ScoringRule
    problems: _containers.RepeatedCompositeFieldContainer[ContestProblem]
    rows: _containers.RepeatedCompositeFieldContainer[StandingRow]
    frozen: bool
    version: int
    participant_count: int
    update_time: _timestamp_pb2.Timestamp
    virtual: bool
    elapsed: _duration_pb2.Duration
    def __init__(self, contest_id: _Optional[str] = ..., scoring_rule: _Optional[_Union[ScoringRule, str]] = ..., problems: _Optional[_Iterable[_Union[ContestProblem, _Mapping]]] = ..., rows: _Optional[_Iterable[_Union[StandingRow, _Mapping]]] = ..., frozen: _Optional[bool] = ..., version: _Optional[int] = ..., participant_count: _Optional[int] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., virtual: _Optional[bool] = ..., elapsed: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class VirtualParticipation(_message.Message):
    __slots__ = ("contest_id", "user_id", "start_time", "end_time")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    user_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, contest_id: _Optional[str] = ..., user_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Clarification(_message.Message):
    __slots__ = ("clarification_id", "contest_id", "kind", "problem_id", "label", "text", "author_id", "answer", "public", "answerer_id", "create_time", "answer_time")
    CLARIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    ANSWERER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ANSWER_TIME_FIELD_NUMBER: _ClassVar[int]
    clarification_id: str
    contest_id: str
    kind: ClarificationKind
    problem_id: str
    label: str
    text: str
    author_id: str
    answer: str
    public: bool
    answerer_id: str
    create_time: _timestamp_pb2.Timestamp
    answer_time: _timestamp_pb2.Timestamp
    def __init__(self, clarification_id: _Optional[str] = ..., contest_id: _Optional[str] = ..., kind: _Optional[_Union[ClarificationKind, str]] = ..., problem_id: _Optional[str] = ..., label: _Optional[str] = ..., text: _Optional[str] = ..., author_id: _Optional[str] = ..., answer: _Optional[str] = ..., public: _Optional[bool] = ..., answerer_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., answer_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
