from arena.common.v1 import access_pb2 as _access_pb2
from arena.notification.v1 import notification_pb2 as _notification_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SendNotificationRequest(_message.Message):
    __slots__ = ("user_id", "kind", "title", "body", "link", "idempotency_key")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    kind: _notification_pb2.NotificationKind
    title: str
    body: str
    link: str
    idempotency_key: str
    def __init__(self, user_id: _Optional[str] = ..., kind: _Optional[_Union[_notification_pb2.NotificationKind, str]] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., link: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class SendNotificationResponse(_message.Message):
    __slots__ = ("notification", "created")
    NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    notification: _notification_pb2.Notification
    created: bool
    def __init__(self, notification: _Optional[_Union[_notification_pb2.Notification, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...
