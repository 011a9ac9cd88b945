"""An OpenAPI 3 document generated from the contract (the descriptor set).

Paths come from the ``google.api.http`` rules, schemas from the messages in the proto3
JSON mapping exactly as Envoy's transcoder prints them (snake_case names, int64 as
strings, enums as names, well-known types in their JSON forms), descriptions from the
proto comments, ``required``/``readOnly``/``writeOnly`` from ``google.api.field_behavior``
and security from each method's declared access.
"""

from __future__ import annotations

import re
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf import descriptor

from arena.common.v1 import access_pb2
from arena.contract import Contract, HttpBinding, Method
from arena.contract.descriptor_set import field_behaviors, resolve_field_path

_FD = descriptor.FieldDescriptor
_OPENAPI_VERBS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
_PATH_VARIABLE = re.compile(r"\{([a-zA-Z0-9_.]+)(?:=[^}]*)?\}")
_PATH_VARIABLE_NAME = re.compile(r"\{([a-zA-Z0-9_.]+)")
_BACKTICKED = re.compile(r"`([a-z0-9_]+)`")
_NOT_UPDATABLE = frozenset(
    {field_behavior_pb2.OUTPUT_ONLY, field_behavior_pb2.IDENTIFIER, field_behavior_pb2.IMMUTABLE}
)
NDJSON = "application/x-ndjson"
"""What the edge answers a REST server stream with: one JSON message per line."""
HTTP_BODY = "google.api.HttpBody"
"""A response in a format of its own: the transcoder answers its `content_type` and `data` as they are."""
_MEDIA_TYPE = re.compile(r"`((?:application|text)/[a-zA-Z0-9.+-]+)`")

_SCALARS: dict[int, dict[str, Any]] = {
    _FD.TYPE_DOUBLE: {"type": "number", "format": "double"},
    _FD.TYPE_FLOAT: {"type": "number", "format": "float"},
    _FD.TYPE_INT32: {"type": "integer", "format": "int32"},
    _FD.TYPE_SINT32: {"type": "integer", "format": "int32"},
    _FD.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    _FD.TYPE_UINT32: {"type": "integer", "format": "int64", "minimum": 0},
    _FD.TYPE_FIXED32: {"type": "integer", "format": "int64", "minimum": 0},
    # 64-bit integers are JSON strings in the proto3 mapping (browsers lose precision otherwise).
    _FD.TYPE_INT64: {"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"},
    _FD.TYPE_SINT64: {"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"},
    _FD.TYPE_SFIXED64: {"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"},
    _FD.TYPE_UINT64: {"type": "string", "format": "uint64", "pattern": "^[0-9]+$"},
    _FD.TYPE_FIXED64: {"type": "string", "format": "uint64", "pattern": "^[0-9]+$"},
    _FD.TYPE_BOOL: {"type": "boolean"},
    _FD.TYPE_STRING: {"type": "string"},
    _FD.TYPE_BYTES: {"type": "string", "format": "byte"},
}

_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time", "example": "2026-01-01T12:00:00Z"},
    "google.protobuf.Duration": {
        "type": "string",
        "pattern": r"^-?[0-9]+(\.[0-9]{1,9})?s$",
        "example": "1.5s",
        "description": "A duration in seconds with up to nine fractional digits, suffixed with `s`.",
    },
    # The example is per request (the fields of the resource it updates): see `_Builder.mask_example`.
    "google.protobuf.FieldMask": {"type": "string", "description": "Comma-separated field paths."},
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {"description": "Any JSON value."},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "additionalProperties": True,
    },
    # Wrappers are their value, or null.
    "google.protobuf.DoubleValue": {"type": "number", "format": "double", "nullable": True},
    "google.protobuf.FloatValue": {"type": "number", "format": "float", "nullable": True},
    "google.protobuf.Int64Value": {"type": "string", "format": "int64", "nullable": True},
    "google.protobuf.UInt64Value": {"type": "string", "format": "uint64", "nullable": True},
    "google.protobuf.Int32Value": {"type": "integer", "format": "int32", "nullable": True},
    "google.protobuf.UInt32Value": {"type": "integer", "format": "int64", "minimum": 0, "nullable": True},
    "google.protobuf.BoolValue": {"type": "boolean", "nullable": True},
    "google.protobuf.StringValue": {"type": "string", "nullable": True},
    "google.protobuf.BytesValue": {"type": "string", "format": "byte", "nullable": True},
}
# Well-known types a query parameter cannot carry (the others are single strings or numbers there).
_NOT_IN_QUERY = frozenset(
    {
        "google.protobuf.Struct",
        "google.protobuf.Value",
        "google.protobuf.ListValue",
        "google.protobuf.Empty",
        "google.protobuf.Any",
    }
)

_ACCESS_TEXT: dict[int, str] = {
    access_pb2.ACCESS_PUBLIC: "Anyone may call this; a bearer token, when sent, must be valid.",
    access_pb2.ACCESS_AUTHENTICATED: "Requires a bearer access token.",
    access_pb2.ACCESS_SETTER: "Requires a bearer access token with the SETTER (or ADMIN) role.",
    access_pb2.ACCESS_ADMIN: "Requires a bearer access token with the ADMIN role.",
}

STATUS_SCHEMA = {
    "type": "object",
    "description": "An error: a `google.rpc.Status` with the gRPC code, a message and typed details "
    "(ErrorInfo with a stable `reason`, BadRequest, ResourceInfo, RetryInfo, RequestInfo...).",
    "properties": {
        "code": {"type": "integer", "format": "int32", "description": "The google.rpc.Code value."},
        "message": {"type": "string"},
        "details": {
            "type": "array",
            "items": {"type": "object", "properties": {"@type": {"type": "string"}}, "additionalProperties": True},
        },
    },
    "required": ["code", "message"],
}


def _message_of(field: descriptor.FieldDescriptor) -> descriptor.Descriptor:
    """The message type of a message field (the stubs allow None, for scalar fields)."""
    if field.message_type is None:
        raise TypeError(f"{field.full_name} is not a message field")
    return field.message_type


def _owner_of(field: descriptor.FieldDescriptor) -> descriptor.Descriptor:
    """The message that declares a field (the stubs allow None, for extensions)."""
    if field.containing_type is None:
        raise TypeError(f"{field.full_name} belongs to no message")
    return field.containing_type


def _reachable(roots: list[descriptor.Descriptor]) -> set[str]:
    """Full names of these messages and every message inside them."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        message = stack.pop()
        if message.full_name in seen:
            continue
        seen.add(message.full_name)
        stack.extend(f.message_type for f in message.fields if f.message_type is not None)
    return seen


class _Builder:
    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.schemas: dict[str, Any] = {"google.rpc.Status": STATUS_SCHEMA}
        # Messages that appear in replies: the transcoder prints their empty fields too.
        self.in_replies = _reachable([m.output for s in contract.public_services() for m in s.methods])

    # -- schemas --------------------------------------------------------------------------

    def ref(self, message: descriptor.Descriptor) -> dict[str, Any]:
        if message.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[message.full_name])
        if message.full_name not in self.schemas:
            self.schemas[message.full_name] = {}  # placeholder: stops recursion
            self.schemas[message.full_name] = self.message_schema(message)
        return {"$ref": f"#/components/schemas/{message.full_name}"}

    def enum_schema(self, enum: descriptor.EnumDescriptor) -> dict[str, Any]:
        schema = {"type": "string", "enum": [v.name for v in enum.values]}
        comment = self.contract.comment(enum.full_name)
        if comment:
            schema["description"] = comment
        return schema

    def value_schema(self, field: descriptor.FieldDescriptor) -> dict[str, Any]:
        if field.type == _FD.TYPE_MESSAGE:
            return self.ref(_message_of(field))
        if field.type == _FD.TYPE_ENUM:
            if field.enum_type is None:
                raise TypeError(f"{field.full_name} is not an enum field")
            return self.enum_schema(field.enum_type)
        return dict(_SCALARS[field.type])

    def field_schema(self, field: descriptor.FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            schema: dict[str, Any] = {"type": "object", "additionalProperties": self.value_schema(value_field)}
        elif field.is_repeated:
            schema = {"type": "array", "items": self.value_schema(field)}
        else:
            schema = self.value_schema(field)
            if field.message_type is not None and field.message_type.full_name == "google.protobuf.FieldMask":
                example = self.mask_example(field)
                if example:
                    schema["example"] = example
        behaviors = field_behaviors(field)
        extra: dict[str, Any] = {}
        description = self.contract.comment(field.full_name)
        if field.containing_oneof is not None and not field.containing_oneof.name.startswith("_"):
            description += f" (One of `{field.containing_oneof.name}`: set at most one.)"
        if description:
            extra["description"] = description.strip()
        if field_behavior_pb2.OUTPUT_ONLY in behaviors:
            extra["readOnly"] = True
        if field_behavior_pb2.INPUT_ONLY in behaviors:
            printed = field.message_type is None or field.is_repeated  # unset messages are not printed
            if printed and _owner_of(field).full_name in self.in_replies:
                # Printed in replies anyway (empty: zero values are printed), so not writeOnly.
                note = "Input only: always empty in replies."
                extra["description"] = f"{extra.get('description', '')} {note}".strip()
            else:
                extra["writeOnly"] = True
        if "$ref" in schema and extra:
            schema = {"allOf": [schema]}  # OpenAPI 3.0 ignores siblings of $ref
        schema.update(extra)
        return schema

    def mask_example(self, mask: descriptor.FieldDescriptor) -> str:
        """Two paths the mask may name: fields of the resource beside it that a caller can change.

        The mask's own comment usually lists them (`display_name`, `bio`...); otherwise every
        field that is not output-only, an identifier or immutable qualifies.
        """
        resources = [
            f
            for f in _owner_of(mask).fields
            if f is not mask and f.message_type is not None and f.message_type.full_name not in _WELL_KNOWN
        ]
        if len(resources) != 1:
            return ""
        fields = _message_of(resources[0]).fields
        updatable = [f.name for f in fields if not field_behaviors(f) & _NOT_UPDATABLE]
        listed = [name for name in _BACKTICKED.findall(self.contract.comment(mask.full_name)) if name in updatable]
        return ",".join((listed or updatable)[:2])

    def message_schema(self, message: descriptor.Descriptor, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
        properties = {f.name: self.field_schema(f) for f in message.fields if f.name not in skip}
        required = [
            f.name for f in message.fields if f.name not in skip and field_behavior_pb2.REQUIRED in field_behaviors(f)
        ]
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        comment = self.contract.comment(message.full_name)
        if comment:
            schema["description"] = comment
        return schema

    # -- operations -----------------------------------------------------------------------

    def query_parameters(
        self,
        message: descriptor.Descriptor,
        bound: set[str],
        prefix: str = "",
        seen: frozenset[str] = frozenset(),
    ) -> list[dict[str, Any]]:
        """Query parameters for the fields not bound by the path or body (dotted for nested ones).

        That is how the transcoder reads them: ``?page_size=10&filter.difficulty=DIFFICULTY_EASY``,
        a repeated field by repeating the parameter.
        """
        parameters = []
        for field in message.fields:
            name = prefix + field.name
            if name in bound:
                continue
            nested = field.message_type
            if nested is not None and (nested.GetOptions().map_entry or nested.full_name in _NOT_IN_QUERY):
                continue  # not expressible in a query string
            if nested is not None and nested.full_name not in _WELL_KNOWN:
                if field.is_repeated or nested.full_name in seen:
                    continue  # likewise; and a recursive message would never end
                parameters += self.query_parameters(nested, bound, name + ".", seen | {message.full_name})
                continue
            schema = self.field_schema(field)
            schema.pop("readOnly", None)
            description = schema.pop("description", None)
            parameter: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": not prefix and field_behavior_pb2.REQUIRED in field_behaviors(field),
                "schema": schema,
            }
            if description:
                parameter["description"] = description
            if field.is_repeated:
                parameter["explode"] = True
            parameters.append(parameter)
        return parameters

    def operation(self, method: Method, binding: HttpBinding, tag: str, operation_id: str) -> dict[str, Any]:
        request = method.input
        variables = binding.path_variables
        names = path_parameter_names(variables)
        parameters = []
        for variable in variables:
            field = resolve_field_path(request, variable)
            if field is None:
                raise ValueError(f"{method.full_name}: {binding.path} names no field {variable!r}")
            schema = self.value_schema(field) if field.type != _FD.TYPE_MESSAGE else {"type": "string"}
            description = self.contract.comment(field.full_name) or variable
            parameter = {"name": names[variable], "in": "path", "required": True, "schema": schema}
            if names[variable] != variable:
                # Tools fill templates by name and many cannot take a dot there (`{user.user_id}`):
                # the document names the parameter plainly and says which request field it fills.
                description = f"Fills `{variable}` of the request. {description}"
                parameter["x-arena-field-path"] = variable
            parameter["description"] = description
            parameters.append(parameter)
        comment = self.contract.comment(method.full_name)
        operation: dict[str, Any] = {
            "operationId": operation_id,
            "tags": [tag],
            "summary": comment.split("\n")[0],
            "description": "\n\n".join(part for part in (comment, _ACCESS_TEXT.get(method.access, "")) if part),
        }
        bound = set(variables)
        if binding.body == "*":
            top_level = {v for v in variables if "." not in v}
            schema = self.message_schema(request, skip=frozenset(top_level))
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
            bound |= {f.name for f in request.fields}
        elif binding.body:
            body_field = request.fields_by_name[binding.body]
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": self.field_schema(body_field)}},
            }
            bound.add(binding.body)
        parameters += self.query_parameters(request, bound)
        if parameters:
            operation["parameters"] = parameters
        media_type = NDJSON if method.server_streaming else "application/json"
        if method.output.full_name == HTTP_BODY and not binding.response_body:
            # The method's comment names its media type (`application/json`, `application/x-ndjson`, ...).
            media_type = http_body_media_type(comment)
            response_schema = {"type": "object"} if media_type == "application/json" else {"type": "string"}
            operation["x-arena-http-body"] = media_type
        elif binding.response_body:
            response_schema = self.field_schema(method.output.fields_by_name[binding.response_body])
        else:
            response_schema = self.ref(method.output)
        if method.server_streaming:
            stream_text = (
                "A server stream: the response is newline-delimited JSON, one message per line "
                "(each line follows the 200 schema). Errors found before the stream starts are a JSON "
                "google.rpc.Status with their HTTP status; once it has started (its first line, or its "
                "headers a moment after the call began) an error ends it without an error body."
            )
            if "last" in method.output.fields_by_name:
                stream_text += " The last message has `last: true`: a stream cut before it did not finish."
            operation["description"] += "\n\n" + stream_text
            operation["x-arena-streaming"] = "ndjson"
        operation["responses"] = {
            "200": {
                "description": "A stream of messages, one JSON object per line (each follows this schema)."
                if method.server_streaming
                else "OK",
                "content": {media_type: {"schema": response_schema}},
            },
            "default": {
                "description": "An error as a google.rpc.Status (the HTTP status follows the gRPC code).",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/google.rpc.Status"}}},
            },
        }
        if method.access == access_pb2.ACCESS_PUBLIC:
            operation["security"] = [{}, {"bearerAuth": []}]  # a token is optional
        else:
            operation["security"] = [{"bearerAuth": []}]
        return operation


def http_body_media_type(comment: str) -> str:
    """The media type a google.api.HttpBody method answers: the first one its comment names in backticks."""
    found = _MEDIA_TYPE.search(comment)
    return found.group(1) if found else "application/octet-stream"


def path_parameter_names(variables: list[str]) -> dict[str, str]:
    """The OpenAPI name of each path variable: its last part (`problem.problem_id` → `problem_id`).

    Where two variables of one template would share a name, the whole path with underscores.
    """
    plain = [variable.rsplit(".", 1)[-1] for variable in variables]
    return {
        variable: name if plain.count(name) == 1 else variable.replace(".", "_")
        for variable, name in zip(variables, plain, strict=True)
    }


def openapi_path(template: str) -> str:
    """An HTTP rule's template as an OpenAPI path: `{problem.problem_id}` → `{problem_id}`, `{name=a/*}` → `{name}`.

    The URL on the wire is the same: only the placeholder's name changes, and the transcoder
    binds the segment to the nested field as before.
    """
    names = path_parameter_names(_PATH_VARIABLE_NAME.findall(template))
    return _PATH_VARIABLE.sub(lambda match: "{" + names[match.group(1)] + "}", template)


def render_openapi(contract: Contract, *, version: str = "0.1.0") -> dict[str, Any]:
    """The OpenAPI 3.0 document of every public REST route."""
    builder = _Builder(contract)
    paths: dict[str, dict[str, Any]] = {}
    tags = []
    for service in contract.public_services():
        tag = service.descriptor.name
        tags.append({"name": tag, "description": contract.comment(service.full_name)})
        for method in service.methods:
            for index, binding in enumerate(method.bindings):
                if binding.verb.lower() not in _OPENAPI_VERBS:
                    raise ValueError(f"{method.full_name}: OpenAPI has no {binding.verb} operations")
                operation_id = f"{service.descriptor.name}_{method.name}" + (f"_{index + 1}" if index else "")
                path = openapi_path(binding.path)
                paths.setdefault(path, {})[binding.verb.lower()] = builder.operation(method, binding, tag, operation_id)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Arena API",
            "version": version,
            "description": "REST access to Arena through Envoy's gRPC-JSON transcoder. Field names are snake_case; "
            "64-bit integers are strings; errors are google.rpc.Status objects.",
        },
        "servers": [{"url": "/"}],
        "tags": tags,
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(builder.schemas.items())),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
