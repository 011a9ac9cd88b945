"""Request validation from the contract: fields marked ``google.api.field_behavior = REQUIRED``.

A validator is compiled once per request type (a flat list of checks), so a call
pays only for the fields it has. Rules, following the AIPs:

- A REQUIRED field must be set: a non-empty string or bytes, a non-zero number or
  enum, a present message, a non-empty repeated field.
- REQUIRED fields inside a present message (or each element of a repeated message
  field) are checked too, with paths like ``contest.problems[0].problem_id``.
- In a partial update (a request with an ``update_mask``) the resource's own REQUIRED
  fields are not enforced, but its IDENTIFIER (the name in the URL) is.
- OUTPUT_ONLY fields are never checked: clients may send them back; they are ignored.

Independently of the contract's annotations, no string anywhere in a request may contain a
NUL character: PostgreSQL cannot store one, and no Arena field has a use for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from google.api import field_behavior_pb2
from google.protobuf import descriptor
from google.protobuf.message import Message

from arena.kit.errors import FieldViolation, InvalidArgument

_REQUIRED = field_behavior_pb2.REQUIRED
_IDENTIFIER = field_behavior_pb2.IDENTIFIER
_OUTPUT_ONLY = field_behavior_pb2.OUTPUT_ONLY

Check = Callable[[Message, str], Iterator[FieldViolation]]


def _behaviors(field: descriptor.FieldDescriptor) -> frozenset[int]:
    return frozenset(field.GetOptions().Extensions[field_behavior_pb2.field_behavior])


def _is_set(message: Message, field: descriptor.FieldDescriptor) -> bool:
    if field.is_repeated:
        return len(getattr(message, field.name)) > 0
    if field.message_type is not None:
        return message.HasField(field.name)
    return bool(getattr(message, field.name))


def _compile(
    message_type: descriptor.Descriptor, *, partial: bool, nested_partial: bool, depth: int = 0
) -> list[Check]:
    """Checks for one message type; ``partial`` relaxes REQUIRED to IDENTIFIER at this level."""
    if depth > 8:  # recursive message types: nothing in the contract is that deep
        return []
    checks: list[Check] = []
    for field in message_type.fields:
        behaviors = _behaviors(field)
        if _OUTPUT_ONLY in behaviors:
            continue
        if (_REQUIRED in behaviors and not partial) or (_IDENTIFIER in behaviors and partial):
            checks.append(_presence_check(field))
        if field.message_type is not None and not field.message_type.GetOptions().map_entry:
            nested = _compile(
                field.message_type, partial=nested_partial, nested_partial=nested_partial, depth=depth + 1
            )
            if nested:
                checks.append(_nested_check(field, nested))
    return checks


def _presence_check(field: descriptor.FieldDescriptor) -> Check:
    def check(message: Message, prefix: str) -> Iterator[FieldViolation]:
        if not _is_set(message, field):
            yield FieldViolation(prefix + field.name, "is required")

    return check


def _nested_check(field: descriptor.FieldDescriptor, nested: list[Check]) -> Check:
    def check(message: Message, prefix: str) -> Iterator[FieldViolation]:
        if field.is_repeated:
            for index, element in enumerate(getattr(message, field.name)):
                element_prefix = f"{prefix}{field.name}[{index}]."
                for inner in nested:
                    yield from inner(element, element_prefix)
        elif message.HasField(field.name):
            value = getattr(message, field.name)
            for inner in nested:
                yield from inner(value, f"{prefix}{field.name}.")

    return check


def _has_strings(message_type: descriptor.Descriptor, seen: frozenset[str] = frozenset()) -> bool:
    if message_type.full_name in seen:
        return False
    for field in message_type.fields:
        if field.type == descriptor.FieldDescriptor.TYPE_STRING:
            return True
        if field.message_type is not None and _has_strings(field.message_type, seen | {message_type.full_name}):
            return True
    return False


def _nul_violations(message: Message, prefix: str) -> Iterator[FieldViolation]:
    """Every set string (at any depth) that contains a NUL character."""
    for field, value in message.ListFields():
        path = prefix + field.name
        if field.type == descriptor.FieldDescriptor.TYPE_STRING:
            values = value if field.is_repeated else (value,)
            if any("\x00" in v for v in values):
                yield FieldViolation(path, "must not contain NUL characters")
        elif field.message_type is not None:
            if field.message_type.GetOptions().map_entry:
                if any("\x00" in str(k) or (isinstance(v, str) and "\x00" in v) for k, v in value.items()):
                    yield FieldViolation(path, "must not contain NUL characters")
            elif field.is_repeated:
                for index, element in enumerate(value):
                    yield from _nul_violations(element, f"{path}[{index}].")
            else:
                yield from _nul_violations(value, path + ".")


class RequestValidator:
    """Validates requests of one message type against their REQUIRED fields."""

    def __init__(self, message_type: descriptor.Descriptor) -> None:
        # The request's own REQUIRED fields always count; inside the resource of a partial
        # update (a request with an update_mask) only identifiers do.
        partial_update = "update_mask" in message_type.fields_by_name
        self.message_type = message_type
        self._checks = _compile(message_type, partial=False, nested_partial=partial_update)

    @property
    def trivial(self) -> bool:
        """True when the type has no string field and no required field (nothing to check)."""
        return not self._checks and not _has_strings(self.message_type)

    def violations(self, request: Message) -> list[FieldViolation]:
        found: list[FieldViolation] = []
        for check in self._checks:
            found.extend(check(request, ""))
        found.extend(_nul_violations(request, ""))
        return found

    def validate(self, request: Message) -> None:
        """Raises InvalidArgument listing every missing field."""
        found = self.violations(request)
        if found:
            fields = ", ".join(v.field for v in found)
            raise InvalidArgument(f"invalid field(s): {fields}", violations=found)
