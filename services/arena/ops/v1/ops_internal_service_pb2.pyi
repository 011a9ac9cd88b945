from arena.common.v1 import access_pb2 as _access_pb2
from arena.ops.v1 import ops_pb2 as _ops_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetLocalClientStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetLocalClientStatsResponse(_message.Message):
    __slots__ = ("stats",)
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _ops_pb2.ProcessClientStats
    def __init__(self, stats: _Optional[_Union[_ops_pb2.ProcessClientStats, _Mapping]] = ...) -> None: ...
