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
    NOTIFICATION_KIND_CLARIFICATION_ANSWERED: _ClassVar[NotificationKind]

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_IN_APP: _ClassVar[Channel]
    CHANNEL_EMAIL: _ClassVar[Channel]

class WebhookState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEBHOOK_STATE_UNSPECIFIED: _ClassVar[WebhookState]
    WEBHOOK_STATE_ACTIVE: _ClassVar[WebhookState]
    WEBHOOK_STATE_FAILING: _ClassVar[WebhookState]

class DeliveryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATE_UNSPECIFIED: _ClassVar[DeliveryState]
    DELIVERY_STATE_PENDING: _ClassVar[DeliveryState]
    DELIVERY_STATE_DELIVERED: _ClassVar[DeliveryState]
    DELIVERY_STATE_FAILED: _ClassVar[DeliveryState]
NOTIFICATION_KIND_UNSPECIFIED: NotificationKind
NOTIFICATION_KIND_SUBMISSION_JUDGED: NotificationKind
NOTIFICATION_KIND_CONTEST_REMINDER: NotificationKind
NOTIFICATION_KIND_CONTEST_RESULT: NotificationKind
NOTIFICATION_KIND_ANNOUNCEMENT: NotificationKind
NOTIFICATION_KIND_SECURITY: NotificationKind
NOTIFICATION_KIND_CLARIFICATION_ANSWERED: NotificationKind
CHANNEL_UNSPECIFIED: Channel
CHANNEL_IN_APP: Channel
CHANNEL_EMAIL: Channel
WEBHOOK_STATE_UNSPECIFIED: WebhookState
WEBHOOK_STATE_ACTIVE: WebhookState
WEBHOOK_STATE_FAILING: WebhookState
DELIVERY_STATE_UNSPECIFIED: DeliveryState
DELIVERY_STATE_PENDING: DeliveryState
DELIVERY_STATE_DELIVERED: DeliveryState
DELIVERY_STATE_FAILED: DeliveryState

class Notification(_message.Message):
    __slots__ = ("notification_id", "user_id", "kind", "title", "body", "link", "create_time", "read", "read_time", "sequence")
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    READ_TIME_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    notification_id: str
    user_id: str
    kind: NotificationKind
    title: str
    body: str
    link: str
    create_time: _timestamp_pb2.Timestamp
    read: bool
    read_time: _timestamp_pb2.Timestamp
    sequence: int
    def __init__(self, notification_id: _Optional[str] = ..., user_id: _Optional[str] = ..., kind: _Optional[_Union[NotificationKind, str]] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., link: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., read: _Optional[bool] = ..., read_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sequence: _Optional[int] = ...) -> None: ...

class Preferences(_message.Message):
    __slots__ = ("muted_kinds", "email_enabled", "channel_settings")
    MUTED_KINDS_FIELD_NUMBER: _ClassVar[int]
    EMAIL_ENABLED_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    muted_kinds: _containers.RepeatedScalarFieldContainer[NotificationKind]
    email_enabled: bool
    channel_settings: _containers.RepeatedCompositeFieldContainer[ChannelSetting]
    def __init__(self, muted_kinds: _Optional[_Iterable[_Union[NotificationKind, str]]] = ..., email_enabled: _Optional[bool] = ..., channel_settings: _Optional[_Iterable[_Union[ChannelSetting, _Mapping]]] = ...) -> None: ...

class ChannelSetting(_message.Message):
    __slots__ = ("kind", "channel", "enabled")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    kind: NotificationKind
    channel: Channel
    enabled: bool
    def __init__(self, kind: _Optional[_Union[NotificationKind, str]] = ..., channel: _Optional[_Union[Channel, str]] = ..., enabled: _Optional[bool] = ...) -> None: ...

class Webhook(_message.Message):
    __slots__ = ("webhook_id", "owner_id", "url", "kinds", "secret", "all_users", "state", "last_error", "create_time")
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    ALL_USERS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    webhook_id: str
    owner_id: str
    url: str
    kinds: _containers.RepeatedScalarFieldContainer[NotificationKind]
    secret: str
    all_users: bool
    state: WebhookState
    last_error: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, webhook_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., url: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[NotificationKind, str]]] = ..., secret: _Optional[str] = ..., all_users: _Optional[bool] = ..., state: _Optional[_Union[WebhookState, str]] = ..., last_error: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DeliveryAttempt(_message.Message):
    __slots__ = ("attempt_time", "status_code", "error", "duration_ms")
    ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    attempt_time: _timestamp_pb2.Timestamp
    status_code: int
    error: str
    duration_ms: int
    def __init__(self, attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_code: _Optional[int] = ..., error: _Optional[str] = ..., duration_ms: _Optional[int] = ...) -> None: ...

class WebhookDelivery(_message.Message):
    __slots__ = ("delivery_id", "webhook_id", "notification_id", "kind", "state", "next_attempt_time", "last_error", "create_time", "attempts")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    webhook_id: str
    notification_id: str
    kind: NotificationKind
    state: DeliveryState
    next_attempt_time: _timestamp_pb2.Timestamp
    last_error: str
    create_time: _timestamp_pb2.Timestamp
    attempts: _containers.RepeatedCompositeFieldContainer[DeliveryAttempt]
    def __init__(self, delivery_id: _Optional[str] = ..., webhook_id: _Optional[str] = ..., notification_id: _Optional[str] = ..., kind: _Optional[_Union[NotificationKind, str]] = ..., state: _Optional[_Union[DeliveryState, str]] = ..., next_attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_error: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts: _Optional[_Iterable[_Union[DeliveryAttempt, _Mapping]]] = ...) -> None: ...
