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

class NotificationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_KIND_UNSPECIFIED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_SUBMISSION_JUDGED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_CONTEST_REMINDER: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_CONTEST_RESULT: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_ANNOUNCEMENT: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_SECURITY: _ClassVar[NotificationKind]
NOTIFICATION_KIND_UNSPECIFIED: NotificationKind
NOTIFICATION_KIND_SUBMISSION_JUDGED: NotificationKind
NOTIFICATION_KIND_CONTEST_REMINDER: NotificationKind
NOTIFICATION_KIND_CONTEST_RESULT: NotificationKind
NOTIFICATION_KIND_ANNOUNCEMENT: NotificationKind
NOTIFICATION_KIND_SECURITY: NotificationKind

class Notification(_message.Message):
    __slots__ = ("notification_id", "user_id", "kind", "title", "body", "link", "create_time", "read", "read_time")
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    READ_TIME_FIELD_NUMBER: _ClassVar[int]
    notification_id: str
    user_id: str
    kind: NotificationKind
    title: str
    body: str
    link: str
    create_time: _timestamp_pb2.Timestamp
    read: bool
    read_time: _timestamp_pb2.Timestamp
    def __init__(self, notification_id: _Optional[str] = ..., user_id: _Optional[str] = ..., kind: _Optional[_Union[NotificationKind, str]] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., link: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., read: _Optional[bool] = ..., read_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Preferences(_message.Message):
    __slots__ = ("muted_kinds", "email_enabled")
    MUTED_KINDS_FIELD_NUMBER: _ClassVar[int]
    EMAIL_ENABLED_FIELD_NUMBER: _ClassVar[int]
    muted_kinds: _containers.RepeatedScalarFieldContainer[NotificationKind]
    email_enabled: bool
    def __init__(self, muted_kinds: _Optional[_Iterable[_Union[NotificationKind, str]]] = ..., email_enabled: _Optional[bool] = ...) -> None: ...
