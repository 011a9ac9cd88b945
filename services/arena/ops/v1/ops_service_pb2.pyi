import datetime

from arena.common.v1 import access_pb2 as _access_pb2
from arena.ops.v1 import ops_pb2 as _ops_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetPlatformHealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetPlatformHealthResponse(_message.Message):
    __slots__ = ("status", "services", "check_time")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    CHECK_TIME_FIELD_NUMBER: _ClassVar[int]
    status: _ops_pb2.ServingStatus
    services: _containers.RepeatedCompositeFieldContainer[_ops_pb2.ServiceHealth]
    check_time: _timestamp_pb2.Timestamp
    def __init__(self, status: _Optional[_Union[_ops_pb2.ServingStatus, str]] = ..., services: _Optional[_Iterable[_Union[_ops_pb2.ServiceHealth, _Mapping]]] = ..., check_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListInstancesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListInstancesResponse(_message.Message):
    __slots__ = ("source", "instances")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    source: str
    instances: _containers.RepeatedCompositeFieldContainer[_ops_pb2.Instance]
    def __init__(self, source: _Optional[str] = ..., instances: _Optional[_Iterable[_Union[_ops_pb2.Instance, _Mapping]]] = ...) -> None: ...

class GetClientStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetClientStatsResponse(_message.Message):
    __slots__ = ("processes",)
    PROCESSES_FIELD_NUMBER: _ClassVar[int]
    processes: _containers.RepeatedCompositeFieldContainer[_ops_pb2.ProcessClientStats]
    def __init__(self, processes: _Optional[_Iterable[_Union[_ops_pb2.ProcessClientStats, _Mapping]]] = ...) -> None: ...
