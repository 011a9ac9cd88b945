"""Registration and discovery against the documented Consul HTTP API (the contract-test emulator).

The emulator decodes requests the way Consul does and runs the gRPC health checks it is
given for real, so these tests hold Arena's registrar and discovery to the API itself:
the exact request sent (D1), the ``passing`` query (D2), an instance reporting NOT_SERVING
leaving the results within Interval + Timeout (D3), two instances on one host told apart by
port (D4). ``test_real_consul.py`` runs the same flow against a real agent where Docker exists.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import consul as py_consul
import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer

from arena.consul import ConsulDiscovery, ConsulRegistrar, ConsulRegistrationError, RegistrationSettings, registration
from arena.kit.discovery import Instance
from arena.kit.services import service
from support.consul_emulator import ConsulEmulator
from support.ports import free_port

pytestmark = pytest.mark.timeout(30)
USER = service("user")
INTERVAL_S, TIMEOUT_S = 0.3, 0.2
FAST = RegistrationSettings(
    check_interval_s=INTERVAL_S,
    check_timeout_s=TIMEOUT_S,
    deregister_critical_after_s=60,
    attempts=3,
    first_backoff_s=0.05,
    request_timeout_s=2,
)
SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.fixture
def consul():
    emulator = ConsulEmulator().start()
    yield emulator
    emulator.stop()


@dataclasses.dataclass
class HealthServer:
    """A real grpc.aio server with grpc.health.v1, standing in for an Arena service."""

    port: int
    server: grpc.aio.Server
    health: HealthServicer

    @property
    def instance(self) -> Instance:
        return Instance("user", f"user-127.0.0.1-{self.port}", "127.0.0.1", self.port, self.port + 1000, "1.2.3")


@pytest.fixture
async def servers() -> AsyncIterator[Callable[[], Awaitable[HealthServer]]]:
    started: list[HealthServer] = []

    async def start() -> HealthServer:
        server = grpc.aio.server()
        health = HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        await health.set(USER.public_service, SERVING)
        started.append(HealthServer(port, server, health))
        return started[-1]

    yield start
    for each in started:
        await each.server.stop(None)


async def eventually(predicate: Callable[[], bool | Awaitable[bool]], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        result = predicate()
        if await result if asyncio.iscoroutine(result) else result:
            return
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


# -- D1: the register request ---------------------------------------------------------------


async def test_register_sends_exactly_the_documented_request(consul: ConsulEmulator):
    instance = Instance("user", "user-127.0.0.1-51234", "127.0.0.1", 51234, 52234, "1.2.3")
    await ConsulRegistrar(consul.address).register(instance, USER)  # default settings: 5s / 2s / 1m

    (request,) = consul.requests
    assert (request.method, request.path) == ("PUT", "/v1/agent/service/register")
    assert request.query == {"replace-existing-checks": ["true"]}
    # py-consul's form: lowercase keys, the check inside a `checks` list.
    assert request.body == {
        "name": "user",
        "id": "user-127.0.0.1-51234",
        "address": "127.0.0.1",
        "port": 51234,
        "tags": ["arena", "grpc"],
        "meta": {"version": "1.2.3", "grpc_port": "51234", "web_port": "52234"},
        "checks": [
            {
                "grpc": "127.0.0.1:51234/arena.user.v1.UserService",
                "interval": "5s",
                "grpc_use_tls": False,
                "timeout": "2s",
                "DeregisterCriticalServiceAfter": "1m",
            }
        ],
    }
    # ... and what Consul makes of it (keys decoded case-insensitively, snake_case aliases).
    registered = consul.registered()["user-127.0.0.1-51234"]
    assert (registered["name"], registered["address"], registered["port"]) == ("user", "127.0.0.1", 51234)
    assert registered["meta"] == {"version": "1.2.3", "grpc_port": "51234", "web_port": "52234"}
    check = registered["checks"]["service:user-127.0.0.1-51234"]
    assert check["Type"] == "grpc"
    assert check["Definition"] == {
        "GRPC": "127.0.0.1:51234/arena.user.v1.UserService",
        "GRPCUseTLS": False,
        "Interval": "5s",
        "Timeout": "2s",
        "DeregisterCriticalServiceAfter": "1m0s",
    }


def test_the_registration_arguments_are_py_consuls():
    instance = Instance("user", "u-1", "10.1.2.3", 7000, 8000, "")
    arguments = registration(instance, USER, FAST)
    assert arguments["check"] == py_consul.Check.grpc(
        "10.1.2.3:7000/arena.user.v1.UserService", "300ms", use_tls=False, timeout="200ms", deregister="1m"
    )
    assert arguments["replace_existing_checks"] is True
    with pytest.raises(ValueError, match="ARENA_USER_ADDRESS"):
        registration(dataclasses.replace(instance, address="0.0.0.0"), USER, FAST)
    with pytest.raises(ValueError, match="positive"):
        RegistrationSettings(check_interval_s=0)


async def test_the_emulator_decodes_pascal_case_and_py_consul_forms_alike(consul: ConsulEmulator):
    pascal = {
        "ID": "users-1",
        "Name": "users",
        "Tags": ["grpc"],
        "Address": "127.0.0.1",
        "Port": 50051,
        "Meta": {"grpc_web_port": "8081", "version": "1.0.0"},
        "Check": {
            "CheckID": "users-1-grpc",
            "Name": "users grpc health",
            "GRPC": "127.0.0.1:50051/arena.users.v1.UserService",
            "GRPCUseTLS": False,
            "Interval": "5s",
            "Timeout": "2s",
            "DeregisterCriticalServiceAfter": "1m",
        },
    }
    lower = {
        "name": "users",
        "id": "users-2",
        "address": "127.0.0.1",
        "port": 50052,
        "checks": [
            {
                "grpc": "127.0.0.1:50052/arena.users.v1.UserService",
                "interval": "5s",
                "grpc_use_tls": False,
                "timeout": "2s",
                "deregister_critical_service_after": "1m",
            }
        ],
    }
    for body in (pascal, lower):
        response = httpx.put(f"{consul.url}/v1/agent/service/register", content=json.dumps(body))
        assert (response.status_code, response.text) == (200, "")
    first, second = consul.registered()["users-1"], consul.registered()["users-2"]
    assert list(first["checks"]) == ["users-1-grpc"] and list(second["checks"]) == ["service:users-2"]
    definition = dict(first["checks"]["users-1-grpc"]["Definition"])
    assert definition.pop("GRPC").endswith(":50051/arena.users.v1.UserService")
    other = dict(second["checks"]["service:users-2"]["Definition"])
    assert other.pop("GRPC").endswith(":50052/arena.users.v1.UserService")
    assert definition == other


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"ID": "x"}, "Missing service name"),
        ({"Name": "x", "Port": "50051"}, "Request decode failed: json: cannot unmarshal string"),
        ({"Name": "x", "Meta": {"grpc_port": 50051}}, "Request decode failed: json: cannot unmarshal number"),
        ({"Name": "x", "Check": {"GRPC": "h:1/s"}}, "Invalid check: Interval must be > 0"),
        (
            {"Name": "x", "Check": {"GRPC": "h:1/s", "Interval": "5 seconds"}},
            'time: invalid duration "5 seconds"',
        ),
        ({"Name": "x", "Checks": [{"Notes": "no kind"}]}, "Invalid check: TTL must be > 0 for TTL checks"),
        ({"Name": "x", "Address": "0.0.0.0"}, "Invalid service address"),
        ({"Name": "x", "Meta": {"consul-x": "1"}}, "Invalid Service Meta"),
    ],
)
def test_the_emulator_refuses_bad_registrations_as_consul_does(consul: ConsulEmulator, body: dict, message: str):
    response = httpx.put(f"{consul.url}/v1/agent/service/register", json=body)
    assert response.status_code == 400
    assert message in response.text
    assert consul.registered() == {}


# -- registration failures and deregistration -----------------------------------------------


async def test_registration_retries_transient_failures_then_succeeds(consul: ConsulEmulator):
    consul.fail_with(500, times=1)
    await ConsulRegistrar(consul.address, FAST).register(Instance("user", "u-1", "127.0.0.1", 1, 2), USER)
    assert len(consul.requests_to("/v1/agent/service/register")) == 2
    assert "u-1" in consul.registered()


async def test_registration_gives_up_with_a_clear_error(consul: ConsulEmulator):
    instance = Instance("user", "u-1", "127.0.0.1", 1, 2)
    consul.fail_with(500)
    with pytest.raises(ConsulRegistrationError, match=r"could not register u-1 .* after 3 attempts"):
        await ConsulRegistrar(consul.address, FAST).register(instance, USER)
    assert len(consul.requests_to("/v1/agent/service/register")) == FAST.attempts

    consul.clear_requests()
    consul.fail_with(400, "Invalid check: Interval must be > 0")  # Consul refused: retrying cannot help
    with pytest.raises(ConsulRegistrationError, match="refused to register u-1: 400 Invalid check"):
        await ConsulRegistrar(consul.address, FAST).register(instance, USER)
    assert len(consul.requests_to("/v1/agent/service/register")) == 1

    nobody = ConsulRegistrar(f"127.0.0.1:{free_port()}", FAST)
    with pytest.raises(ConsulRegistrationError, match="could not register"):
        await nobody.register(instance, USER)


async def test_deregister_sends_the_documented_request_and_never_raises(consul: ConsulEmulator):
    registrar = ConsulRegistrar(consul.address, FAST)
    await registrar.register(Instance("user", "u-1", "127.0.0.1", 1, 2), USER)
    await registrar.deregister("u-1")
    assert "u-1" not in consul.registered()
    await registrar.deregister("u-1")  # 404 Unknown service ID: already gone, not an error
    requests = consul.requests_to("/v1/agent/service/deregister/")
    assert [(r.method, r.path, r.query, r.body) for r in requests] == [
        ("PUT", "/v1/agent/service/deregister/u-1", {}, None)
    ] * 2

    consul.fail_with(500)
    await registrar.deregister("u-1")  # logged, not raised
    await ConsulRegistrar(f"127.0.0.1:{free_port()}", FAST).deregister("u-1")
    await registrar.close()


# -- D2: the discovery query ------------------------------------------------------------------


def test_py_consul_health_query_is_passing_1_and_needs_the_index_header(consul: ConsulEmulator):
    client = py_consul.Consul(host="127.0.0.1", port=consul.port)
    index, nodes = client.health.service("user", passing=True)
    assert (int(index), nodes) == (consul.index, [])
    assert consul.requests[-1].query == {"passing": ["1"]}
    client.health.service("user", passing=True, index=index, wait="50ms")
    assert consul.requests[-1].query == {"index": [index], "wait": ["50ms"], "passing": ["1"]}
    consul.send_index = False
    with pytest.raises(py_consul.ConsulException, match="Missing index header"):
        client.health.service("user", passing=True)


# -- D3 and D4: real health checks ----------------------------------------------------------


async def test_not_serving_leaves_the_passing_results_within_interval_plus_timeout(
    consul: ConsulEmulator, servers: Callable[[], Awaitable[HealthServer]]
):
    first, second = await servers(), await servers()
    registrar = ConsulRegistrar(consul.address, FAST)
    discovery = ConsulDiscovery(consul.address, refresh_s=0.05, wait_s=5.0)
    try:
        await registrar.register(first.instance, USER)
        await registrar.register(second.instance, USER)

        # The emulator's real gRPC checks pass: both instances on one host, told apart by port (D4).
        await eventually(lambda: len(consul.passing("user")) == 2)
        await eventually(lambda: _count(discovery, 2))
        found = await discovery.instances("user")
        assert [(i.address, i.grpc_port, i.web_port) for i in found] == sorted(
            ("127.0.0.1", s.port, s.port + 1000) for s in (first, second)
        )

        reported_at = time.monotonic()
        await first.health.set(USER.public_service, NOT_SERVING)
        await eventually(lambda: consul.passing("user") == [second.instance.instance_id])
        (left,) = [t for t in consul.transitions if t.service_id == first.instance.instance_id and t.at > reported_at]
        assert left.status == "critical" and "NOT_SERVING" in left.output
        # Within one check interval plus its timeout (and a little thread scheduling).
        assert left.at - reported_at <= INTERVAL_S + TIMEOUT_S + 0.25
        await eventually(lambda: _ports(discovery, [second.port]), timeout_s=2.0)

        await first.health.set(USER.public_service, SERVING)
        await eventually(lambda: _count(discovery, 2))
        await registrar.deregister(second.instance.instance_id)
        await eventually(lambda: _ports(discovery, [first.port]), timeout_s=2.0)
    finally:
        await discovery.close()


async def test_a_crashed_instance_is_removed_after_deregister_critical_service_after(
    consul: ConsulEmulator, servers: Callable[[], Awaitable[HealthServer]]
):
    crashing = await servers()
    settings = dataclasses.replace(FAST, deregister_critical_after_s=0.5)
    await ConsulRegistrar(consul.address, settings).register(crashing.instance, USER)
    await eventually(lambda: consul.passing("user") == [crashing.instance.instance_id])
    await crashing.server.stop(None)  # no deregistration: a crash
    await eventually(lambda: crashing.instance.instance_id not in consul.registered())
    (left,) = [t for t in consul.transitions if t.status == "critical"]
    assert "UNAVAILABLE" in left.output


async def test_a_forced_status_overrides_the_real_check(
    consul: ConsulEmulator, servers: Callable[[], Awaitable[HealthServer]]
):
    healthy = await servers()
    await ConsulRegistrar(consul.address, FAST).register(healthy.instance, USER)
    await eventually(lambda: consul.passing("user") == [healthy.instance.instance_id])
    consul.set_status(healthy.instance.instance_id, "critical")
    await asyncio.sleep(INTERVAL_S * 2)  # real checks would say passing by now
    assert consul.passing("user") == []
    consul.set_status(healthy.instance.instance_id, None)
    await eventually(lambda: consul.passing("user") == [healthy.instance.instance_id])


async def _count(discovery: ConsulDiscovery, count: int) -> bool:
    return len(await discovery.instances("user")) == count


async def _ports(discovery: ConsulDiscovery, ports: list[int]) -> bool:
    return [i.grpc_port for i in await discovery.instances("user")] == ports
