"""The web app's route: GET/HEAD of the app's own paths go to its static server, nothing else does."""

from __future__ import annotations

import re

import pytest

from arena.contract import Contract
from arena.edge.envoy_config import (
    BUFFER,
    TRANSCODER,
    WEBAPP_CLUSTER,
    WEBAPP_PATHS,
    EdgeOptions,
    render,
)


@pytest.fixture(scope="module")
def config(contract: Contract) -> dict:
    return render(contract, EdgeOptions(webapp_port=18090))


def routes(config: dict) -> list[dict]:
    manager = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    return manager["route_config"]["virtual_hosts"][0]["routes"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/problems",
        "/problems/a-plus-b",
        "/contests/01abc",
        "/submissions",
        "/signin",
        "/signup",
        "/assets/index-x1.js",
    ],
)
def test_the_app_paths_match(path: str):
    assert re.fullmatch(WEBAPP_PATHS, path)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/health",
        "/v1/problems",
        "/openapi.json",
        "/arena.user.v1.UserService/GetJwks",
        "/assets/../v1/x",
        "/problems/a/b",
        "/problemsx",
    ],
)
def test_api_paths_do_not(path: str):
    assert not re.fullmatch(WEBAPP_PATHS, path)


def test_the_route_comes_before_the_catch_alls_and_skips_the_transcoder(config: dict):
    names = [r.get("name") for r in routes(config)]
    assert names.index("webapp") < names.index("unknown-grpc-method") < names.index("rest")
    (route,) = [r for r in routes(config) if r.get("name") == "webapp"]
    methods = route["match"]["headers"][0]
    assert methods["name"] == ":method" and methods["string_match"]["safe_regex"]["regex"] == "GET|HEAD"
    assert route["route"]["cluster"] == WEBAPP_CLUSTER
    assert {TRANSCODER, BUFFER} <= set(route["typed_per_filter_config"])


def test_the_cluster_is_the_static_server_on_loopback(config: dict):
    (cluster,) = [c for c in config["static_resources"]["clusters"] if c["name"] == WEBAPP_CLUSTER]
    (endpoint,) = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"]
    assert endpoint["endpoint"]["address"]["socket_address"] == {"address": "127.0.0.1", "port_value": 18090}
