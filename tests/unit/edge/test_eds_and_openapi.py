"""Endpoint files and the OpenAPI document."""

from __future__ import annotations

import pathlib

import yaml
from openapi_spec_validator import validate

from arena.contract import Contract
from arena.edge.eds import render_eds, write_eds
from arena.edge.openapi import render_openapi
from arena.kit.discovery import Instance


def instance(service: str, port: int) -> Instance:
    return Instance(service, f"{service}-{port}", "127.0.0.1", port, port + 1000)


def endpoints(document: str) -> list[int]:
    assignment = yaml.safe_load(document)["resources"][0]
    return [
        e["endpoint"]["address"]["socket_address"]["port_value"] for e in assignment["endpoints"][0]["lb_endpoints"]
    ]


def test_each_cluster_gets_its_instances_ports():
    files = render_eds(
        {"user": [instance("user", 6001), instance("user", 6002)], "problem": [instance("problem", 7001)]}
    )
    assert endpoints(files["user.yaml"]) == [6001, 6002]
    assert endpoints(files["user_web.yaml"]) == [7001, 7002]
    assert endpoints(files["execution.yaml"]) == []
    assert sorted(endpoints(files["ops.yaml"])) == [6001, 6002, 7001]


def test_files_are_replaced_only_when_they_change(tmp_path: pathlib.Path):
    files = render_eds({"user": [instance("user", 6001)]})
    assert len(write_eds(tmp_path, files)) == len(files)
    assert write_eds(tmp_path, files) == []
    changed = render_eds({"user": [instance("user", 6003)]})
    assert set(write_eds(tmp_path, changed)) == {"user.yaml", "user_web.yaml", "ops.yaml", "ops_web.yaml"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_openapi_is_valid_and_covers_every_public_rpc(contract: Contract):
    document = render_openapi(contract)
    validate(document)
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    expected = {f"{s.descriptor.name}_{m.name}" for s in contract.public_services() for m in s.methods}
    assert operations == expected


def test_openapi_schemas_follow_field_behavior_and_the_json_mapping(contract: Contract):
    document = render_openapi(contract)
    schemas = document["components"]["schemas"]
    problem = schemas["arena.problem.v1.Problem"]
    assert {"title", "statement", "difficulty"} <= set(problem["required"])
    assert problem["properties"]["like_count"]["readOnly"] is True
    assert problem["properties"]["hidden_tests"]["writeOnly"] is True
    assert problem["properties"]["time_limit"]["pattern"].endswith("s$")
    assert schemas["arena.realtime.v1.TopicMessage"]["properties"]["sequence"]["type"] == "string"  # int64
    difficulty = problem["properties"]["difficulty"]
    assert "DIFFICULTY_EASY" in (difficulty.get("enum") or difficulty["allOf"][0].get("enum", []))
    create = document["paths"]["/v1/users"]["post"]
    assert create["security"] == [{}, {"bearerAuth": []}]
    assert document["paths"]["/v1/users"]["get"]["security"] == [{"bearerAuth": []}]
    listing = {p["name"] for p in document["paths"]["/v1/problems"]["get"]["parameters"]}
    assert {"page_size", "page_token", "difficulty", "tag", "query", "order_by"} <= listing
    assert (
        "Sort order"
        in next(p for p in document["paths"]["/v1/problems"]["get"]["parameters"] if p["name"] == "order_by")[
            "description"
        ]
    )
