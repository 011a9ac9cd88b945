"""A typed view of the contract's services, HTTP rules and comments."""

from __future__ import annotations

import dataclasses
import pathlib
import re
from collections.abc import Iterator

from google.api import annotations_pb2, field_behavior_pb2, http_pb2
from google.protobuf import descriptor, descriptor_pb2, descriptor_pool

from arena.common.v1 import access_pb2

# A module-level name: inside Method the field `descriptor` shadows the module.
MessageDescriptor = descriptor.Descriptor

# Arena's own packages; everything else in the set is a dependency.
ARENA_PACKAGE_PREFIX = "arena."
# Internal services carry service-to-service RPCs and are never exposed at the edge.
INTERNAL_SERVICE_SUFFIX = "InternalService"

_HTTP_VERBS = ("get", "put", "post", "delete", "patch")
_PATH_VARIABLE = re.compile(r"\{([a-zA-Z0-9_.]+)(?:=[^}]*)?\}")

# Field numbers inside FileDescriptorProto / DescriptorProto / ... used by source_code_info paths.
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM, _MESSAGE_ONEOF = 2, 3, 4, 8
_ENUM_VALUE, _SERVICE_METHOD = 2, 2


@dataclasses.dataclass(frozen=True)
class HttpBinding:
    """One ``google.api.http`` rule of a method."""

    verb: str
    path: str
    body: str
    response_body: str

    @property
    def path_variables(self) -> list[str]:
        """Field paths bound by the URL template, such as ``problem.problem_id``."""
        return _PATH_VARIABLE.findall(self.path)

    @property
    def template_key(self) -> tuple[str, str]:
        """Verb and template with variables blanked: two rules with the same key collide."""
        return self.verb, _PATH_VARIABLE.sub("*", self.path)


@dataclasses.dataclass(frozen=True)
class Method:
    """One RPC of a service."""

    descriptor: descriptor.MethodDescriptor
    bindings: tuple[HttpBinding, ...]

    @property
    def full_name(self) -> str:
        return self.descriptor.full_name

    @property
    def name(self) -> str:
        return self.descriptor.name

    @property
    def grpc_path(self) -> str:
        """The HTTP/2 path of the method, ``/<package>.<Service>/<Method>``."""
        return f"/{self.descriptor.containing_service.full_name}/{self.descriptor.name}"

    @property
    def server_streaming(self) -> bool:
        return self.descriptor.server_streaming

    @property
    def client_streaming(self) -> bool:
        return self.descriptor.client_streaming

    @property
    def access(self) -> int:
        """The ``arena.common.v1.access`` option: who may call the method."""
        access: int = self.descriptor.GetOptions().Extensions[access_pb2.access]  # type: ignore[index]
        return access

    @property
    def safe_to_retry(self) -> bool:
        """Whether the contract declares the method idempotent (or free of side effects)."""
        level = self.descriptor.GetOptions().idempotency_level
        return level in (
            descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS,
            descriptor_pb2.MethodOptions.IDEMPOTENT,
        )

    @property
    def input(self) -> MessageDescriptor:
        return self.descriptor.input_type

    @property
    def output(self) -> MessageDescriptor:
        return self.descriptor.output_type


@dataclasses.dataclass(frozen=True)
class Service:
    """One service of the contract."""

    descriptor: descriptor.ServiceDescriptor
    methods: tuple[Method, ...]

    @property
    def full_name(self) -> str:
        return self.descriptor.full_name

    @property
    def package(self) -> str:
        return self.descriptor.file.package

    @property
    def internal(self) -> bool:
        return self.descriptor.name.endswith(INTERNAL_SERVICE_SUFFIX)


def _bindings(options: descriptor_pb2.MethodOptions) -> tuple[HttpBinding, ...]:
    if not options.HasExtension(annotations_pb2.http):
        return ()
    rule: http_pb2.HttpRule = options.Extensions[annotations_pb2.http]
    rules = [rule, *rule.additional_bindings]
    result = []
    for each in rules:
        pattern = each.WhichOneof("pattern")
        if pattern in _HTTP_VERBS:
            verb, path = pattern.upper(), getattr(each, pattern)
        elif pattern == "custom":
            verb, path = each.custom.kind.upper(), each.custom.path
        else:
            continue
        result.append(HttpBinding(verb=verb, path=path, body=each.body, response_body=each.response_body))
    return tuple(result)


class Contract:
    """The compiled contract: a descriptor pool plus the comments of every element."""

    def __init__(self, files: descriptor_pb2.FileDescriptorSet) -> None:
        self.file_set = files
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self.pool.Add(file)
        self.comments = dict(_comments(files))
        self._arena_files = [f for f in files.file if f.package.startswith(ARENA_PACKAGE_PREFIX)]

    @classmethod
    def load(cls, path: str | pathlib.Path) -> Contract:
        """Reads a binary FileDescriptorSet (``buf build --as-file-descriptor-set``)."""
        return cls(descriptor_pb2.FileDescriptorSet.FromString(pathlib.Path(path).read_bytes()))

    @property
    def arena_files(self) -> list[descriptor_pb2.FileDescriptorProto]:
        return list(self._arena_files)

    def services(self) -> list[Service]:
        """Every Arena service, in file order."""
        result = []
        for file in self._arena_files:
            for service_proto in file.service:
                service = self.pool.FindServiceByName(f"{file.package}.{service_proto.name}")
                methods = tuple(
                    Method(service.methods_by_name[m.name], _bindings(m.options)) for m in service_proto.method
                )
                result.append(Service(service, methods))
        return result

    def public_services(self) -> list[Service]:
        return [s for s in self.services() if not s.internal]

    def internal_services(self) -> list[Service]:
        return [s for s in self.services() if s.internal]

    def messages(self) -> Iterator[descriptor.Descriptor]:
        """Every Arena message type, nested ones included."""

        def walk(message: descriptor.Descriptor) -> Iterator[descriptor.Descriptor]:
            yield message
            for nested in message.nested_types:
                if not nested.GetOptions().map_entry:
                    yield from walk(nested)

        for file in self._arena_files:
            for message_proto in file.message_type:
                yield from walk(self.pool.FindMessageTypeByName(f"{file.package}.{message_proto.name}"))

    def enums(self) -> Iterator[descriptor.EnumDescriptor]:
        """Every Arena enum type, nested ones included."""
        for file in self._arena_files:
            for enum_proto in file.enum_type:
                yield self.pool.FindEnumTypeByName(f"{file.package}.{enum_proto.name}")
        for message in self.messages():
            yield from message.enum_types

    def comment(self, full_name: str) -> str:
        """The leading comment of an element (service, method, message, field, enum, value)."""
        return self.comments.get(full_name, "")


def field_behaviors(field: descriptor.FieldDescriptor) -> set[int]:
    """The ``google.api.field_behavior`` values of a field."""
    return set(field.GetOptions().Extensions[field_behavior_pb2.field_behavior])


def resolve_field_path(message: descriptor.Descriptor, path: str) -> descriptor.FieldDescriptor | None:
    """The field a dotted path such as ``problem.problem_id`` names in a message, or None."""
    field = None
    current: descriptor.Descriptor | None = message
    for part in path.split("."):
        if current is None:
            return None
        field = current.fields_by_name.get(part)
        if field is None:
            return None
        current = field.message_type
    return field


def _comments(files: descriptor_pb2.FileDescriptorSet) -> Iterator[tuple[str, str]]:
    for file in files.file:
        names = dict(_element_names(file))
        for location in file.source_code_info.location:
            name = names.get(tuple(location.path))
            if name is not None:
                yield name, location.leading_comments.strip()


def _element_names(file: descriptor_pb2.FileDescriptorProto) -> Iterator[tuple[tuple[int, ...], str]]:
    """Maps source_code_info paths to the full names of the elements they point at."""
    prefix = file.package

    def enum(
        path: tuple[int, ...], scope: str, proto: descriptor_pb2.EnumDescriptorProto
    ) -> Iterator[tuple[tuple[int, ...], str]]:
        name = f"{scope}.{proto.name}"
        yield path, name
        for i, value in enumerate(proto.value):
            # Enum values are scoped like siblings of their enum, but named by the enum here.
            yield (*path, _ENUM_VALUE, i), f"{name}.{value.name}"

    def message(
        path: tuple[int, ...], scope: str, proto: descriptor_pb2.DescriptorProto
    ) -> Iterator[tuple[tuple[int, ...], str]]:
        name = f"{scope}.{proto.name}"
        yield path, name
        for i, field in enumerate(proto.field):
            yield (*path, _MESSAGE_FIELD, i), f"{name}.{field.name}"
        for i, oneof in enumerate(proto.oneof_decl):
            yield (*path, _MESSAGE_ONEOF, i), f"{name}.{oneof.name}"
        for i, nested in enumerate(proto.nested_type):
            yield from message((*path, _MESSAGE_NESTED, i), name, nested)
        for i, nested_enum in enumerate(proto.enum_type):
            yield from enum((*path, _MESSAGE_ENUM, i), name, nested_enum)

    for i, message_proto in enumerate(file.message_type):
        yield from message((_FILE_MESSAGE, i), prefix, message_proto)
    for i, enum_proto in enumerate(file.enum_type):
        yield from enum((_FILE_ENUM, i), prefix, enum_proto)
    for i, service_proto in enumerate(file.service):
        name = f"{prefix}.{service_proto.name}"
        yield (_FILE_SERVICE, i), name
        for j, method in enumerate(service_proto.method):
            yield (_FILE_SERVICE, i, _SERVICE_METHOD, j), f"{name}.{method.name}"
