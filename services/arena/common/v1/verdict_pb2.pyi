from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERDICT_UNSPECIFIED: _ClassVar[Verdict]
    VERDICT_ACCEPTED: _ClassVar[Verdict]
    VERDICT_WRONG_ANSWER: _ClassVar[Verdict]
    VERDICT_TIME_LIMIT_EXCEEDED: _ClassVar[Verdict]
    VERDICT_MEMORY_LIMIT_EXCEEDED: _ClassVar[Verdict]
    VERDICT_RUNTIME_ERROR: _ClassVar[Verdict]
    VERDICT_COMPILATION_ERROR: _ClassVar[Verdict]
    VERDICT_OUTPUT_LIMIT_EXCEEDED: _ClassVar[Verdict]
    VERDICT_INTERNAL_ERROR: _ClassVar[Verdict]
    VERDICT_SKIPPED: _ClassVar[Verdict]
VERDICT_UNSPECIFIED: Verdict
VERDICT_ACCEPTED: Verdict
VERDICT_WRONG_ANSWER: Verdict
VERDICT_TIME_LIMIT_EXCEEDED: Verdict
VERDICT_MEMORY_LIMIT_EXCEEDED: Verdict
VERDICT_RUNTIME_ERROR: Verdict
VERDICT_COMPILATION_ERROR: Verdict
VERDICT_OUTPUT_LIMIT_EXCEEDED: Verdict
VERDICT_INTERNAL_ERROR: Verdict
VERDICT_SKIPPED: Verdict
