"""Configuration from ARENA_* variables, and the static discovery table built from it."""

from __future__ import annotations

import pytest

from arena.consul import parse_consul_address
from arena.kit.config import VARIABLES, ConfigError, load_platform, load_server
from arena.kit.discovery import StaticDiscovery
from arena.kit.services import SERVICES
from arena.wiring import discovery_from_config as from_config


def test_defaults_follow_the_service_table(tmp_path):
    config = load_server("problem", {"ARENA_DATA_DIR": str(tmp_path)})
    assert (config.endpoint.grpc_port, config.endpoint.web_port) == (50052, 51052)
    assert config.instance_id == "problem-127.0.0.1-50052"
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path}/problem.db"
    assert {s.grpc_port for s in SERVICES} == set(range(50051, 50059))


def test_ports_and_urls_can_be_overridden(tmp_path):
    env = {
        "ARENA_DATA_DIR": str(tmp_path),
        "ARENA_USER_GRPC_PORT": "6000",
        "ARENA_DATABASE_URL": "postgresql+psycopg://db/arena_{service}",
        "ARENA_USER_DATABASE_URL": "postgresql+psycopg://other/users",
    }
    platform = load_platform(env)
    assert (platform.endpoints["user"].grpc_port, platform.endpoints["user"].web_port) == (6000, 7000)
    assert platform.database_url("user") == "postgresql+psycopg://other/users"
    assert platform.database_url("contest") == "postgresql+psycopg://db/arena_contest"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ARENA_USER_GRPC_PORT", "http"),
        ("ARENA_USER_GRPC_PORT", "70000"),
        ("ARENA_LOG_LEVEL", "loud"),
        ("ARENA_SHUTDOWN_GRACE_S", "-1"),
    ],
)
def test_bad_values_are_clear_errors(name: str, value: str):
    with pytest.raises(ConfigError, match=name):
        load_server("user", {name: value})


def test_unknown_service_names_are_refused():
    with pytest.raises(KeyError, match="known"):
        load_server("nope", {})


async def test_static_discovery_has_one_instance_per_service(tmp_path):
    discovery = from_config(load_platform({"ARENA_DATA_DIR": str(tmp_path), "ARENA_REALTIME_GRPC_PORT": "7100"}))
    assert isinstance(discovery, StaticDiscovery) and discovery.source == "static"
    (realtime,) = await discovery.instances("realtime")
    assert (realtime.grpc_port, realtime.web_port, realtime.address) == (7100, 8100, "127.0.0.1")
    assert await discovery.instances("unknown") == []


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("consul:8500", ("http", "consul", 8500)),
        ("https://c.example:9000", ("https", "c.example", 9000)),
        ("c", ("http", "c", 8500)),
    ],
)
def test_consul_addresses(address: str, expected: tuple):
    assert parse_consul_address(address) == expected


def test_every_variable_is_documented_with_the_prefix():
    assert all(name.startswith("ARENA_") and text for name, text in VARIABLES.items())


def test_a_container_binds_everywhere_but_advertises_its_own_address(tmp_path):
    env = {"ARENA_DATA_DIR": str(tmp_path), "ARENA_BIND_ADDRESS": "0.0.0.0", "ARENA_USER_ADDRESS": "10.0.0.7"}
    config = load_server("user", env)
    assert config.bind_address == "0.0.0.0"
    assert config.endpoint.address == "10.0.0.7"  # what discovery and Consul are told
    assert load_server("user", {"ARENA_DATA_DIR": str(tmp_path)}).bind_address is None


def test_hot_read_caches_default_to_two_seconds_and_zero_turns_them_off(tmp_path):
    assert load_platform({"ARENA_DATA_DIR": str(tmp_path)}).read_cache_ttl_s == 2.0
    assert load_platform({"ARENA_DATA_DIR": str(tmp_path), "ARENA_READ_CACHE_TTL_S": "0"}).read_cache_ttl_s == 0.0
    with pytest.raises(ConfigError):
        load_platform({"ARENA_DATA_DIR": str(tmp_path), "ARENA_READ_CACHE_TTL_S": "-1"})
