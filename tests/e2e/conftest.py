"""The whole platform for end-to-end tests: every service process and a real Envoy, on free ports."""

from __future__ import annotations

import pathlib

import httpx
import pytest

from arena.demo import DEMO_ADMIN
from arena.kit.services import SERVICES
from arena.launcher import LaunchSettings, Platform, ServicePorts
from support.ports import free_ports

# Short, so a test can show that streams outlive it.
UNARY_TIMEOUT_S = 2.0


@pytest.fixture(scope="session")
def user_database_url(postgres) -> str:
    """The user service's database in the end-to-end platform: real PostgreSQL."""
    return postgres.create_database("e2e_user")


def settings_on_free_ports(data_dir: pathlib.Path, descriptor: pathlib.Path, **overrides) -> LaunchSettings:
    """A whole platform on free loopback ports (every service's two, Envoy's listener and admin)."""
    ports = free_ports(2 * len(SERVICES) + 2)
    return LaunchSettings(
        data_dir=data_dir,
        edge_port=ports[0],
        admin_port=ports[1],
        ports={spec.name: ServicePorts(ports[2 + 2 * i], ports[3 + 2 * i]) for i, spec in enumerate(SERVICES)},
        shutdown_grace_s=3.0,
        descriptor=descriptor,
        **overrides,
    )


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory, descriptor_set_path: pathlib.Path, user_database_url: str):
    settings = settings_on_free_ports(
        tmp_path_factory.mktemp("platform"),
        descriptor_set_path,
        unary_timeout_s=UNARY_TIMEOUT_S,
        extra_env={
            "ARENA_USER_DATABASE_URL": user_database_url,
            # Notification tests: webhooks to `localhost` (only) are allowed; failed deliveries retry quickly.
            "ARENA_NOTIFICATION_WEBHOOK_ALLOWED_HOSTS": "localhost",
            "ARENA_NOTIFICATION_RETRY_FIRST_S": "0.5",
        },
    )
    running = Platform(settings)
    running.start(timeout_s=120)
    yield running
    running.stop()


@pytest.fixture
def rest(platform: Platform):
    with httpx.Client(base_url=platform.settings.edge_url, timeout=10) as client:
        yield client


def register_and_login(rest: httpx.Client, username: str, password: str = "correct horse battery") -> str:
    """A fresh account's access token."""
    created = rest.post(
        "/v1/users", json={"username": username, "email": f"{username}@example.com", "password": password}
    )
    assert created.status_code in (200, 409), created.text
    login = rest.post("/v1/auth:login", json={"username": username, "password": password})
    assert login.status_code == 200, login.text
    return login.json()["tokens"]["access_token"]


def admin_token(rest: httpx.Client) -> str:
    login = rest.post("/v1/auth:login", json={"username": DEMO_ADMIN["username"], "password": DEMO_ADMIN["password"]})
    assert login.status_code == 200, login.text
    return login.json()["tokens"]["access_token"]


def error_reason(body: dict) -> str | None:
    for detail in body.get("details", []):
        if detail.get("@type", "").endswith("google.rpc.ErrorInfo"):
            return detail["reason"]
    return None
