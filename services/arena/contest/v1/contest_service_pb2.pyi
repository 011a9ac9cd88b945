import datetime

from arena.common.v1 import access_pb2 as _access_pb2
from arena.contest.v1 import contest_pb2 as _contest_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateContestRequest(_message.Message):
    __slots__ = ("contest",)
    CONTEST_FIELD_NUMBER: _ClassVar[int]
    contest: _contest_pb2.Contest
    def __init__(self, contest: _Optional[_Union[_contest_pb2.Contest, _Mapping]] = ...) -> None: ...

class CreateContestResponse(_message.Message):
    __slots__ = ("contest",)
    CONTEST_FIELD_NUMBER: _ClassVar[int]
    contest: _contest_pb2.Contest
    def __init__(self, contest: _Optional[_Union[_contest_pb2.Contest, _Mapping]] = ...) -> None: ...

class GetContestRequest(_message.Message):
    __slots__ = ("contest_id",)
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    def __init__(self, contest_id: _Optional[str] = ...) -> None: ...

class GetContestResponse(_message.Message):
    __slots__ = ("contest",)
    CONTEST_FIELD_NUMBER: _ClassVar[int]
    contest: _contest_pb2.Contest
    def __init__(self, contest: _Optional[_Union[_contest_pb2.Contest, _Mapping]] = ...) -> None: ...

class ListContestsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "phase")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    phase: _contest_pb2.ContestPhase
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., phase: _Optional[_Union[_contest_pb2.ContestPhase, str]] = ...) -> None: ...

class ListContestsResponse(_message.Message):
    __slots__ = ("contests", "next_page_token")
    CONTESTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    contests: _containers.RepeatedCompositeFieldContainer[_contest_pb2.Contest]
    next_page_token: str
    def __init__(self, contests: _Optional[_Iterable[_Union[_contest_pb2.Contest, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateContestRequest(_message.Message):
    __slots__ = ("contest", "update_mask")
    CONTEST_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    contest: _contest_pb2.Contest
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, contest: _Optional[_Union[_contest_pb2.Contest, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateContestResponse(_message.Message):
    __slots__ = ("contest",)
    CONTEST_FIELD_NUMBER: _ClassVar[int]
    contest: _contest_pb2.Contest
    def __init__(self, contest: _Optional[_Union[_contest_pb2.Contest, _Mapping]] = ...) -> None: ...

class RegisterForContestRequest(_message.Message):
    __slots__ = ("contest_id",)
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    def __init__(self, contest_id: _Optional[str] = ...) -> None: ...

class RegisterForContestResponse(_message.Message):
    __slots__ = ("registration",)
    REGISTRATION_FIELD_NUMBER: _ClassVar[int]
    registration: _contest_pb2.Registration
    def __init__(self, registration: _Optional[_Union[_contest_pb2.Registration, _Mapping]] = ...) -> None: ...

class GetLeaderboardRequest(_message.Message):
    __slots__ = ("contest_id", "page_size", "page_token", "around_me", "virtual")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AROUND_ME_FIELD_NUMBER: _ClassVar[int]
    VIRTUAL_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    page_size: int
    page_token: str
    around_me: bool
    virtual: bool
    def __init__(self, contest_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., around_me: _Optional[bool] = ..., virtual: _Optional[bool] = ...) -> None: ...

class GetLeaderboardResponse(_message.Message):
    __slots__ = ("leaderboard", "next_page_token")
    LEADERBOARD_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    leaderboard: _contest_pb2.Leaderboard
    next_page_token: str
    def __init__(self, leaderboard: _Optional[_Union[_contest_pb2.Leaderboard, _Mapping]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetLeaderboardStreamRequest(_message.Message):
    __slots__ = ("contest_id", "page_size", "after_version", "snapshots_only")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    AFTER_VERSION_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOTS_ONLY_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    page_size: int
    after_version: int
    snapshots_only: bool
    def __init__(self, contest_id: _Optional[str] = ..., page_size: _Optional[int] = ..., after_version: _Optional[int] = ..., snapshots_only: _Optional[bool] = ...) -> None: ...

class GetLeaderboardStreamResponse(_message.Message):
    __slots__ = ("leaderboard", "last", "change")
    LEADERBOARD_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    leaderboard: _contest_pb2.Leaderboard
    last: bool
    change: LeaderboardChange
    def __init__(self, leaderboard: _Optional[_Union[_contest_pb2.Leaderboard, _Mapping]] = ..., last: _Optional[bool] = ..., change: _Optional[_Union[LeaderboardChange, _Mapping]] = ...) -> None: ...

class LeaderboardChange(_message.Message):
    __slots__ = ("version", "base_version", "row_count", "rows", "participant_count", "update_time")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    BASE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_COUNT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    version: int
    base_version: int
    row_count: int
    rows: _containers.RepeatedCompositeFieldContainer[PlacedRow]
    participant_count: int
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, version: _Optional[int] = ..., base_version: _Optional[int] = ..., row_count: _Optional[int] = ..., rows: _Optional[_Iterable[_Union[PlacedRow, _Mapping]]] = ..., participant_count: _Optional[int] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PlacedRow(_message.Message):
    __slots__ = ("position", "row", "moved")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    ROW_FIELD_NUMBER: _ClassVar[int]
    MOVED_FIELD_NUMBER: _ClassVar[int]
    position: int
    row: _contest_pb2.StandingRow
    moved: bool
    def __init__(self, position: _Optional[int] = ..., row: _Optional[_Union[_contest_pb2.StandingRow, _Mapping]] = ..., moved: _Optional[bool] = ...) -> None: ...

class WatchFinalRevealRequest(_message.Message):
    __slots__ = ("contest_id", "page_size", "step_interval")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    STEP_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    page_size: int
    step_interval: _duration_pb2.Duration
    def __init__(self, contest_id: _Optional[str] = ..., page_size: _Optional[int] = ..., step_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WatchFinalRevealResponse(_message.Message):
    __slots__ = ("leaderboard", "user_id", "problem_label", "solved", "remaining", "last")
    LEADERBOARD_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_LABEL_FIELD_NUMBER: _ClassVar[int]
    SOLVED_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    leaderboard: _contest_pb2.Leaderboard
    user_id: str
    problem_label: str
    solved: bool
    remaining: int
    last: bool
    def __init__(self, leaderboard: _Optional[_Union[_contest_pb2.Leaderboard, _Mapping]] = ..., user_id: _Optional[str] = ..., problem_label: _Optional[str] = ..., solved: _Optional[bool] = ..., remaining: _Optional[int] = ..., last: _Optional[bool] = ...) -> None: ...

class PublishFinalStandingsRequest(_message.Message):
    __slots__ = ("contest_id",)
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    def __init__(self, contest_id: _Optional[str] = ...) -> None: ...

class PublishFinalStandingsResponse(_message.Message):
    __slots__ = ("contest",)
    CONTEST_FIELD_NUMBER: _ClassVar[int]
    contest: _contest_pb2.Contest
    def __init__(self, contest: _Optional[_Union[_contest_pb2.Contest, _Mapping]] = ...) -> None: ...

class StartVirtualParticipationRequest(_message.Message):
    __slots__ = ("contest_id",)
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    def __init__(self, contest_id: _Optional[str] = ...) -> None: ...

class StartVirtualParticipationResponse(_message.Message):
    __slots__ = ("virtual_participation",)
    VIRTUAL_PARTICIPATION_FIELD_NUMBER: _ClassVar[int]
    virtual_participation: _contest_pb2.VirtualParticipation
    def __init__(self, virtual_participation: _Optional[_Union[_contest_pb2.VirtualParticipation, _Mapping]] = ...) -> None: ...

class AskClarificationRequest(_message.Message):
    __slots__ = ("contest_id", "problem_id", "text")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    problem_id: str
    text: str
    def __init__(self, contest_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class AskClarificationResponse(_message.Message):
    __slots__ = ("clarification",)
    CLARIFICATION_FIELD_NUMBER: _ClassVar[int]
    clarification: _contest_pb2.Clarification
    def __init__(self, clarification: _Optional[_Union[_contest_pb2.Clarification, _Mapping]] = ...) -> None: ...

class AnswerClarificationRequest(_message.Message):
    __slots__ = ("contest_id", "clarification_id", "answer", "public")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    CLARIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    clarification_id: str
    answer: str
    public: bool
    def __init__(self, contest_id: _Optional[str] = ..., clarification_id: _Optional[str] = ..., answer: _Optional[str] = ..., public: _Optional[bool] = ...) -> None: ...

class AnswerClarificationResponse(_message.Message):
    __slots__ = ("clarification",)
    CLARIFICATION_FIELD_NUMBER: _ClassVar[int]
    clarification: _contest_pb2.Clarification
    def __init__(self, clarification: _Optional[_Union[_contest_pb2.Clarification, _Mapping]] = ...) -> None: ...

class CreateAnnouncementRequest(_message.Message):
    __slots__ = ("contest_id", "problem_id", "text")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    problem_id: str
    text: str
    def __init__(self, contest_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class CreateAnnouncementResponse(_message.Message):
    __slots__ = ("clarification",)
    CLARIFICATION_FIELD_NUMBER: _ClassVar[int]
    clarification: _contest_pb2.Clarification
    def __init__(self, clarification: _Optional[_Union[_contest_pb2.Clarification, _Mapping]] = ...) -> None: ...

class ListClarificationsRequest(_message.Message):
    __slots__ = ("contest_id", "page_size", "page_token")
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    page_size: int
    page_token: str
    def __init__(self, contest_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListClarificationsResponse(_message.Message):
    __slots__ = ("clarifications", "next_page_token")
    CLARIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    clarifications: _containers.RepeatedCompositeFieldContainer[_contest_pb2.Clarification]
    next_page_token: str
    def __init__(self, clarifications: _Optional[_Iterable[_Union[_contest_pb2.Clarification, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetIcpcScoreboardRequest(_message.Message):
    __slots__ = ("contest_id",)
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    def __init__(self, contest_id: _Optional[str] = ...) -> None: ...

class GetIcpcEventFeedRequest(_message.Message):
    __slots__ = ("contest_id",)
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    contest_id: str
    def __init__(self, contest_id: _Optional[str] = ...) -> None: ...
