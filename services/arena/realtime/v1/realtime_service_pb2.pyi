from arena.common.v1 import access_pb2 as _access_pb2
from arena.common.v1 import stream_pb2 as _stream_pb2
from arena.realtime.v1 import realtime_pb2 as _realtime_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubscribeRequest(_message.Message):
    __slots__ = ("topics", "resume_token")
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    topics: _containers.RepeatedScalarFieldContainer[str]
    resume_token: str
    def __init__(self, topics: _Optional[_Iterable[str]] = ..., resume_token: _Optional[str] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ("message", "heartbeat", "subscribed", "resume_token", "last")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBED_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    message: _realtime_pb2.TopicMessage
    heartbeat: _stream_pb2.Heartbeat
    subscribed: Subscribed
    resume_token: str
    last: bool
    def __init__(self, message: _Optional[_Union[_realtime_pb2.TopicMessage, _Mapping]] = ..., heartbeat: _Optional[_Union[_stream_pb2.Heartbeat, _Mapping]] = ..., subscribed: _Optional[_Union[Subscribed, _Mapping]] = ..., resume_token: _Optional[str] = ..., last: _Optional[bool] = ...) -> None: ...

class Subscribed(_message.Message):
    __slots__ = ("topics",)
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    topics: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, topics: _Optional[_Iterable[str]] = ...) -> None: ...
