"""Discovery: the static table, and Consul's health API (through the contract-test emulator)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from arena.consul import ConsulDiscovery, go_duration, instances_from_health
from arena.consul import discovery as discovery_module
from arena.kit.config import load_platform
from arena.kit.discovery import Instance, StaticDiscovery
from arena.kit.services import SERVICES
from arena.wiring import discovery_from_config as from_config
from support.consul_emulator import ConsulEmulator

pytestmark = pytest.mark.timeout(20)


class RecordingLog:
    """Stands in for the module's structlog logger: keeps (level, event, fields)."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, dict[str, Any]]] = []

    def _add(self, level: str) -> Callable[..., None]:
        return lambda event, **fields: self.records.append((level, event, fields))

    def __getattr__(self, level: str) -> Callable[..., None]:
        return self._add(level)

    def events(self, level: str) -> list[str]:
        return [event for lvl, event, _ in self.records if lvl == level]


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> RecordingLog:
    recorder = RecordingLog()
    monkeypatch.setattr(discovery_module, "log", recorder)
    return recorder


@pytest.fixture
def consul():
    emulator = ConsulEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
async def discovery(consul: ConsulEmulator):
    found = ConsulDiscovery(consul.address, refresh_s=0.1, wait_s=2.0)
    yield found
    await found.close()


def register(
    consul: ConsulEmulator,
    service_id: str,
    port: int,
    *,
    status: str = "passing",
    name: str = "user",
    address: str = "127.0.0.1",
    meta: dict[str, str] | None = None,
) -> None:
    """Registers the way Consul's documentation writes it (PascalCase, one TTL check with a status)."""
    body = {
        "ID": service_id,
        "Name": name,
        "Address": address,
        "Port": port,
        "Meta": {"version": "1.0.0", "web_port": str(port + 1000)} if meta is None else meta,
        "Check": {"TTL": "30s", "Status": status},
    }
    response = httpx.put(f"{consul.url}/v1/agent/service/register", json=body)
    assert response.status_code == 200, response.text


async def eventually(predicate: Callable[[], Awaitable[bool]], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def ids(discovery: ConsulDiscovery, service: str = "user") -> list[str]:
    return [i.instance_id for i in await discovery.instances(service)]


# -- static ------------------------------------------------------------------------------------


async def test_static_discovery_serves_one_instance_per_configured_service():
    platform = load_platform({"ARENA_USER_ADDRESS": "10.0.0.5", "ARENA_USER_GRPC_PORT": "6000", "ARENA_VERSION": "9"})
    static = StaticDiscovery(platform)
    assert static.source == "static"
    assert await static.instances("user") == [Instance("user", "user-10.0.0.5-6000", "10.0.0.5", 6000, 7000, "9")]
    for spec in SERVICES[1:]:
        assert await static.instances(spec.name) == [
            Instance(
                spec.name,
                f"{spec.name}-127.0.0.1-{spec.grpc_port}",
                "127.0.0.1",
                spec.grpc_port,
                spec.web_port,
                "9",
            )
        ]
    assert await static.instances("nope") == []
    await static.close()


async def test_from_config_picks_consul_only_when_an_address_is_set():
    assert isinstance(from_config(load_platform({})), StaticDiscovery)
    for address in ("127.0.0.1:8500", "http://127.0.0.1:8500"):
        chosen = from_config(load_platform({"ARENA_CONSUL_HTTP_ADDR": address}))
        assert isinstance(chosen, ConsulDiscovery) and chosen.source == "consul"
        await chosen.close()


def test_bad_consul_settings_fail_at_construction():
    with pytest.raises(ValueError, match="scheme"):
        ConsulDiscovery("ftp://consul:8500")
    with pytest.raises(ValueError, match="10 minutes"):
        ConsulDiscovery("consul:8500", wait_s=601)
    assert [go_duration(s) for s in (60, 5, 0.25, 90)] == ["1m", "5s", "250ms", "90s"]


# -- mapping Consul's answer -------------------------------------------------------------------


def test_health_entries_map_to_instances():
    entries = [
        {
            "Node": {"Node": "n2", "Address": "10.0.0.2"},
            "Service": {
                "ID": "user-b",
                "Address": "",
                "Port": 50051,
                "Meta": {"web_port": "9000", "version": "2"},
            },
        },
        {
            "Node": {"Node": "n1", "Address": "10.0.0.1"},
            "Service": {"ID": "user-a", "Address": "192.168.0.7", "Port": 50052, "Meta": None},
        },
        {"Node": {"Address": "10.0.0.3"}, "Service": {"ID": "broken", "Port": "not a port"}},
        {"Node": {}, "Service": {"ID": "no-address", "Port": 1}},
    ]
    assert instances_from_health("user", entries) == [
        # No Meta: the platform's convention for the gRPC-Web port (gRPC port + 1000), no version.
        Instance("user", "user-a", "192.168.0.7", 50052, 51052, ""),
        # An empty Service.Address means the node's address.
        Instance("user", "user-b", "10.0.0.2", 50051, 9000, "2"),
    ]
    assert instances_from_health("user", None) == []


# -- Consul, through the emulator -----------------------------------------------------------


async def test_consul_discovery_returns_only_passing_instances_mapped_and_sorted(
    consul: ConsulEmulator, discovery: ConsulDiscovery
):
    register(consul, "user-b", 6002)
    register(consul, "user-a", 6001, address="", meta={"web_port": "7777", "version": "3.1"})
    register(consul, "user-c", 6003, status="critical")
    register(consul, "problem-a", 6004, name="problem")
    assert discovery.source == "consul"
    assert await discovery.instances("user") == [
        Instance("user", "user-a", "127.0.0.1", 6001, 7777, "3.1"),  # the node's address
        Instance("user", "user-b", "127.0.0.1", 6002, 7002, "1.0.0"),
    ]
    assert await ids(discovery, "problem") == ["problem-a"]
    assert await discovery.instances("nobody") == []
    (first,) = consul.requests_to("/v1/health/service/user")[:1]
    assert first.method == "GET" and first.query == {"passing": ["1"]}  # D2


async def test_consul_discovery_follows_changes_with_blocking_queries(
    consul: ConsulEmulator, discovery: ConsulDiscovery
):
    register(consul, "user-a", 6001)
    assert await ids(discovery) == ["user-a"]

    register(consul, "user-b", 6002)
    await eventually(lambda: _equals(ids(discovery), ["user-a", "user-b"]))
    consul.set_status("user-a", "critical")
    await eventually(lambda: _equals(ids(discovery), ["user-b"]))
    httpx.put(f"{consul.url}/v1/agent/service/deregister/user-b")
    await eventually(lambda: _equals(ids(discovery), []))
    consul.set_status("user-a", "passing")
    await eventually(lambda: _equals(ids(discovery), ["user-a"]))

    later = consul.requests_to("/v1/health/service/user")[1:]
    assert later and all(r.query["passing"] == ["1"] and r.query["wait"] == ["2s"] for r in later)
    assert all(int(r.query["index"][0]) >= 1 for r in later)


async def test_concurrent_first_calls_share_one_watcher(consul: ConsulEmulator, discovery: ConsulDiscovery):
    register(consul, "user-a", 6001)
    answers = await asyncio.gather(*(discovery.instances("user") for _ in range(5)))
    assert all([i.instance_id for i in a] == ["user-a"] for a in answers)
    first_queries = [r for r in consul.requests_to("/v1/health/service/user") if "index" not in r.query]
    assert len(first_queries) == 1


async def test_the_last_known_instances_survive_consul_going_away(consul: ConsulEmulator, logs: RecordingLog):
    register(consul, "user-a", 6001)
    discovery = ConsulDiscovery(consul.address, refresh_s=0.05, wait_s=1.0)
    try:
        assert await ids(discovery) == ["user-a"]
        consul.stop()  # the held blocking query is dropped, new connections are refused
        await eventually(lambda: _true(bool(logs.events("warning"))))
        await eventually(lambda: _true(len(logs.events("debug")) >= 2))  # several failed retries later
        assert await ids(discovery) == ["user-a"]
        assert logs.events("warning") == ["consul query failed; serving the last known instances"]
    finally:
        await discovery.close()


async def test_consul_errors_keep_the_last_known_instances_until_it_recovers(
    consul: ConsulEmulator, logs: RecordingLog
):
    register(consul, "user-a", 6001)
    discovery = ConsulDiscovery(consul.address, refresh_s=0.05, wait_s=0.3)
    try:
        assert await ids(discovery) == ["user-a"]
        consul.fail_with(500)
        await eventually(lambda: _true(bool(logs.events("warning"))))
        assert await ids(discovery) == ["user-a"]
        register_while_failing = httpx.put(f"{consul.url}/v1/agent/service/register", json={"Name": "user"})
        assert register_while_failing.status_code == 500
        consul.fail_with(None)
        register(consul, "user-b", 6002)
        await eventually(lambda: _equals(ids(discovery), ["user-a", "user-b"]))
        assert "consul reachable again" in logs.events("info")
    finally:
        await discovery.close()


async def test_an_unreachable_consul_at_start_gives_no_instances_quickly(logs: RecordingLog):
    from support.ports import free_port

    discovery = ConsulDiscovery(f"127.0.0.1:{free_port()}", refresh_s=0.05)
    try:
        assert await asyncio.wait_for(discovery.instances("user"), timeout=3) == []
        assert logs.events("warning")
    finally:
        await discovery.close()


async def test_answers_without_x_consul_index_fall_back_to_polling(consul: ConsulEmulator, logs: RecordingLog):
    consul.send_index = False  # py-consul raises on such answers
    register(consul, "user-a", 6001)
    discovery = ConsulDiscovery(consul.address, refresh_s=0.05, wait_s=1.0)
    try:
        assert await ids(discovery) == ["user-a"]
        register(consul, "user-b", 6002)
        await eventually(lambda: _equals(ids(discovery), ["user-a", "user-b"]))
        assert any("X-Consul-Index" in event for event in logs.events("warning"))
        assert all("index" not in r.query for r in consul.requests_to("/v1/health/service/user"))

        consul.send_index = True
        await eventually(lambda: _true(any("index" in r.query for r in consul.requests_to("/v1/health/service/"))))
        register(consul, "user-c", 6003)
        await eventually(lambda: _equals(ids(discovery), ["user-a", "user-b", "user-c"]))
    finally:
        await discovery.close()


async def test_an_index_going_backwards_resets_the_blocking_query(consul: ConsulEmulator):
    register(consul, "user-a", 6001)
    discovery = ConsulDiscovery(consul.address, refresh_s=0.05, wait_s=0.2)
    try:
        assert await ids(discovery) == ["user-a"]
        await eventually(lambda: _true(any("index" in r.query for r in consul.requests_to("/v1/health/service/"))))
        consul.clear_requests()
        consul.set_index(2)  # as after a snapshot restore
        await eventually(lambda: _true(len(consul.requests_to("/v1/health/service/user")) >= 3))
        queries = [r.query for r in consul.requests_to("/v1/health/service/user")]
        reset = next(i for i, q in enumerate(queries) if "index" not in q)  # asked afresh
        assert queries[reset + 1]["index"] == ["2"]
    finally:
        await discovery.close()


async def test_close_stops_the_watchers_at_once(consul: ConsulEmulator):
    register(consul, "user-a", 6001)
    discovery = ConsulDiscovery(consul.address, refresh_s=0.05, wait_s=30.0)
    assert await ids(discovery) == ["user-a"]
    await eventually(lambda: _true(any("index" in r.query for r in consul.requests_to("/v1/health/service/"))))
    await asyncio.wait_for(discovery.close(), timeout=1.0)  # does not wait out the 30 s long poll
    queries = len(consul.requests_to("/v1/health/service/"))
    assert all(w.task is not None and w.task.done() for w in discovery._watches.values())  # no watcher left
    register(consul, "user-b", 6002)  # would wake a live watcher
    assert len(consul.requests_to("/v1/health/service/")) == queries
    assert await discovery.instances("problem") == []  # closed: no new watchers


async def _equals(found: Awaitable[list[str]], expected: list[str]) -> bool:
    return await found == expected


async def _true(value: bool) -> bool:
    return value
