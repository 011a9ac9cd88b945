"""The OpenAPI document generated from the contract."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from arena.common.v1 import access_pb2
from arena.contract import Contract
from arena.edge.openapi import NDJSON, http_body_media_type, openapi_path, render_openapi

VERBS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def document(contract: Contract) -> dict:
    return render_openapi(contract)


def operations(document: dict) -> dict[str, dict]:
    return {op["operationId"]: op for path in document["paths"].values() for verb, op in path.items() if verb in VERBS}


def test_the_document_is_valid_openapi(document: dict):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_public_rpc_has_one_operation_and_no_internal_one_has(document: dict, contract: Contract):
    expected = {f"{s.descriptor.name}_{m.name}" for s in contract.public_services() for m in s.methods}
    assert set(operations(document)) == expected
    count = sum(1 for path in document["paths"].values() for verb in path if verb in VERBS)
    assert count == len(expected)  # one operation per HTTP rule, one rule per method
    assert not [name for name in operations(document) if "Internal" in name]
    assert {t["name"] for t in document["tags"]} == {s.descriptor.name for s in contract.public_services()}


def test_paths_and_verbs_follow_the_http_rules(document: dict, contract: Contract):
    for service in contract.public_services():
        for method in service.methods:
            (binding,) = method.bindings
            operation = document["paths"][openapi_path(binding.path)][binding.verb.lower()]
            assert operation["operationId"] == f"{service.descriptor.name}_{method.name}"
            assert operation["tags"] == [service.descriptor.name]
            path_parameters = [p for p in operation.get("parameters", []) if p["in"] == "path"]
            bound = {p.get("x-arena-field-path", p["name"]) for p in path_parameters}
            assert bound == set(re.findall(r"\{([^}=]+)", binding.path)), method.full_name


def test_path_query_and_body_parameters_split_the_request(document: dict):
    get_user = document["paths"]["/v1/users/{user_id}"]["get"]
    assert [(p["name"], p["in"], p["required"]) for p in get_user["parameters"]] == [("user_id", "path", True)]
    assert "requestBody" not in get_user
    listing = {p["name"]: p for p in document["paths"]["/v1/problems"]["get"]["parameters"]}
    assert {"page_size", "page_token", "difficulty", "tag", "query", "order_by"} <= set(listing)
    assert all(p["in"] == "query" for p in listing.values())
    assert "Sort order" in listing["order_by"]["description"]
    assert listing["difficulty"]["schema"]["type"] == "string" and listing["difficulty"]["schema"]["enum"]
    update = document["paths"]["/v1/users/{user_id}"]["patch"]  # body: "user"; the template says {user.user_id}
    assert {p["name"]: p["in"] for p in update["parameters"]} == {"user_id": "path", "update_mask": "query"}
    assert next(p for p in update["parameters"] if p["name"] == "update_mask")["required"] is True
    body = update["requestBody"]["content"]["application/json"]["schema"]
    assert body["allOf"] == [{"$ref": "#/components/schemas/arena.user.v1.User"}]
    create = document["paths"]["/v1/users"]["post"]  # body: "*"
    schema = create["requestBody"]["content"]["application/json"]["schema"]
    assert {"username", "email", "password"} <= set(schema["properties"]) and "parameters" not in create
    subscribe = {p["name"]: p for p in document["paths"]["/v1/topics:subscribe"]["get"]["parameters"]}
    assert subscribe["topics"]["schema"] == {"type": "array", "items": {"type": "string"}} | {
        k: v for k, v in subscribe["topics"]["schema"].items() if k not in ("type", "items")
    }
    assert subscribe["topics"]["explode"] is True and subscribe["topics"]["required"] is True


def test_schemas_follow_field_behavior(document: dict):
    schemas = document["components"]["schemas"]
    problem = schemas["arena.problem.v1.Problem"]
    assert {"title", "statement", "difficulty"} <= set(problem["required"])
    assert problem["properties"]["like_count"]["readOnly"] is True
    # Input only, but the transcoder prints it (empty) in replies: documented, not writeOnly.
    assert "writeOnly" not in problem["properties"]["hidden_tests"]
    assert "always empty in replies" in problem["properties"]["hidden_tests"]["description"]
    create = (
        schemas.get("arena.user.v1.CreateUserRequest")
        or document["paths"]["/v1/users"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    )
    assert create["properties"]["password"]["writeOnly"] is True
    assert {"username", "email", "password"} <= set(create["required"])
    assert schemas["arena.user.v1.User"]["properties"]["role"]["readOnly"] is True


def test_schemas_follow_the_proto3_json_mapping_as_envoy_prints_it(document: dict):
    schemas = document["components"]["schemas"]
    problem = schemas["arena.problem.v1.Problem"]["properties"]
    assert problem["time_limit"]["pattern"].endswith("s$")  # Duration: "1.5s"
    assert "difficulty" in problem and "timeLimit" not in problem  # snake_case names
    message = schemas["arena.realtime.v1.TopicMessage"]["properties"]
    assert message["sequence"]["type"] == "string"  # int64
    assert message["publish_time"]["format"] == "date-time"  # Timestamp
    assert message["payload"]["type"] == "object"  # Struct
    assert schemas["arena.ops.v1.Instance"]["properties"]["grpc_port"]["type"] == "integer"  # int32
    difficulty = problem["difficulty"]
    names = difficulty.get("enum") or difficulty["allOf"][0].get("enum", [])
    assert "DIFFICULTY_EASY" in names and difficulty.get("type", "string") == "string"
    update = document["paths"]["/v1/users/{user_id}"]["patch"]["parameters"]
    assert next(p for p in update if p["name"] == "update_mask")["schema"]["type"] == "string"  # FieldMask


def test_oneof_members_are_documented(document: dict):
    response = document["components"]["schemas"]["arena.realtime.v1.SubscribeResponse"]["properties"]
    assert "One of `event`" in response["message"]["description"]
    assert "One of `event`" in response["heartbeat"]["description"]


def test_errors_security_and_streams(document: dict, contract: Contract):
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    status = document["components"]["schemas"]["google.rpc.Status"]
    assert set(status["properties"]) == {"code", "message", "details"}
    by_id = operations(document)
    for service in contract.public_services():
        for method in service.methods:
            operation = by_id[f"{service.descriptor.name}_{method.name}"]
            error = operation["responses"]["default"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/google.rpc.Status"}
            if method.access == access_pb2.ACCESS_PUBLIC:
                assert operation["security"] == [{}, {"bearerAuth": []}], method.full_name
            else:
                assert operation["security"] == [{"bearerAuth": []}], method.full_name
            content = operation["responses"]["200"]["content"]
            if method.server_streaming:
                assert operation["x-arena-streaming"] == "ndjson"
                assert set(content) == {NDJSON}  # what the edge sends (tests/integration/edge checks it)
                assert "newline-delimited JSON" in operation["description"]
            elif method.output.full_name == "google.api.HttpBody":
                assert set(content) == {operation["x-arena-http-body"]}  # the body as the method answers it
            else:
                assert "x-arena-streaming" not in operation
                assert set(content) == {"application/json"}
    assert by_id["UserService_GetUser"]["summary"]  # descriptions come from the proto comments


# -- what standard tools need (issue 10, item 5) ---------------------------------------------------


def test_path_placeholders_are_plain_names_that_say_which_field_they_fill(document: dict):
    """`{problem.problem_id}` made schemathesis report "Method 'PATCH' not found" for those paths."""
    for path, item in document["paths"].items():
        placeholders = re.findall(r"\{([^}]*)\}", path)
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in placeholders), path
        for operation in item.values():
            declared = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            assert sorted(declared) == sorted(placeholders), (path, operation["operationId"])
    problem = document["paths"]["/v1/problems/{problem_id}"]
    assert set(problem) == {"get", "delete", "patch"}  # one path item, as the URLs are the same
    (parameter,) = [p for p in problem["patch"]["parameters"] if p["in"] == "path"]
    assert parameter["x-arena-field-path"] == "problem.problem_id"
    assert "`problem.problem_id`" in parameter["description"]


def test_openapi_path_keeps_the_url_and_renames_only_the_placeholder():
    assert openapi_path("/v1/problems/{problem.problem_id}") == "/v1/problems/{problem_id}"
    assert openapi_path("/v1/{name=shelves/*}/books") == "/v1/{name}/books"
    assert openapi_path("/v1/{a.id}/{b.id}") == "/v1/{a_id}/{b_id}"  # no two parameters share a name


def test_every_operation_loads_in_a_schema_driven_tool(document: dict):
    import schemathesis

    schema = schemathesis.openapi.from_dict(document)
    loaded = [result.ok() for result in schema.get_all_operations()]
    assert len(loaded) == len(operations(document)) == 73
    for path, item in document["paths"].items():
        for verb in item:
            assert schema[path][verb.upper()].method.upper() == verb.upper()  # PATCH included
    patch = schema["/v1/problems/{problem_id}"]["PATCH"]
    case = patch.Case(path_parameters={"problem_id": "two-sum"}, query={"update_mask": "title"}, body={})
    assert case.formatted_path == "/v1/problems/two-sum"


def test_update_mask_examples_name_fields_of_the_resource_each_operation_updates(document: dict, contract: Contract):
    seen = {}
    for service in contract.public_services():
        for method in service.methods:
            mask = method.input.fields_by_name.get("update_mask")
            if mask is None:
                continue
            (binding,) = method.bindings
            operation = document["paths"][openapi_path(binding.path)][binding.verb.lower()]
            (parameter,) = [p for p in operation["parameters"] if p["name"] == "update_mask"]
            example = parameter["schema"]["example"]
            resource = method.input.fields_by_name[binding.body].message_type
            listed = re.findall(r"`([a-z0-9_]+)`", contract.comment(mask.full_name))
            for path in example.split(","):
                assert path in resource.fields_by_name and path in listed, (method.full_name, example)
            seen[method.name] = example
    assert seen == {
        "UpdateUser": "display_name,bio",
        "UpdateProblem": "slug,title",
        "UpdateContest": "title,description",
        "UpdatePreferences": "muted_kinds,email_enabled",
    }


def test_http_body_responses_are_documented_in_their_own_media_type(document: dict):
    """A google.api.HttpBody is the whole HTTP response (content type and bytes): no message schema."""
    by_id = operations(document)
    scoreboard = by_id["ContestService_GetIcpcScoreboard"]
    assert scoreboard["responses"]["200"]["content"] == {"application/json": {"schema": {"type": "object"}}}
    feed = by_id["ContestService_GetIcpcEventFeed"]
    assert feed["responses"]["200"]["content"] == {NDJSON: {"schema": {"type": "string"}}}
    assert "google.api.HttpBody" not in document["components"]["schemas"]


def test_the_media_type_of_an_http_body_comes_from_the_comment():
    assert http_body_media_type("Returns it as `application/x-ndjson`: one per line.") == NDJSON
    assert http_body_media_type("Returns the `scoreboard` as `application/json`.") == "application/json"
    assert http_body_media_type("No type named.") == "application/octet-stream"
