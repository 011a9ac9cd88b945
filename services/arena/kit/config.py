"""Configuration from environment variables with the one documented prefix, ``ARENA_``.

Loaded once in a service's ``__main__`` (never at import time) into frozen dataclasses
whose field names carry their units. Only what every service process needs lives here;
``VARIABLES`` documents it. A service's own settings live in its ``settings.py`` (same
shape: a frozen dataclass, a ``load_…`` function, a ``VARIABLES`` dict).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Mapping

from arena.kit.services import SERVICES, ServiceSpec, service

PREFIX = "ARENA_"

# name -> what it means; the README's configuration table is this dictionary plus the services' own
# (their settings.py) and the launcher's.
VARIABLES: dict[str, str] = {
    "ARENA_DATA_DIR": "Directory for SQLite databases and other local state (default ./data).",
    "ARENA_DATABASE_URL": (
        "SQLAlchemy URL of a service's database; `{service}` is replaced by the service name "
        "(default sqlite+aiosqlite:///$ARENA_DATA_DIR/{service}.db)."
    ),
    "ARENA_<SERVICE>_DATABASE_URL": "Database URL for one service, overriding ARENA_DATABASE_URL.",
    "ARENA_<SERVICE>_ADDRESS": "Host a service is reached at (registered in discovery) and, without "
    "ARENA_BIND_ADDRESS, listens on (default 127.0.0.1).",
    "ARENA_BIND_ADDRESS": "Address a service process listens on when not its ARENA_<SERVICE>_ADDRESS "
    "(0.0.0.0 in a container, which is reached at its own IP).",
    "ARENA_<SERVICE>_GRPC_PORT": "A service's native gRPC port (default from the service table, 50051-50058).",
    "ARENA_<SERVICE>_WEB_PORT": "A service's gRPC-Web, /metrics and /healthz port (default gRPC port + 1000).",
    "ARENA_<SERVICE>_PROCESSES": "How many processes serve a service, sharing its ports with SO_REUSEPORT (default 1).",
    "ARENA_CONSUL_HTTP_ADDR": "Consul agent HTTP address (host:port or URL); when set, services register there "
    "and discover each other through it instead of the static table.",
    "ARENA_CONSUL_CHECK_INTERVAL_S": "How often Consul runs an instance's gRPC health check (seconds, default 5): "
    "a dead instance leaves discovery within about this long.",
    "ARENA_REGISTRY_DIR": "Registry directory for discovery without Consul (the launcher sets it when it runs "
    "several instances): each instance writes <instance id>.json there while it serves; others probe its "
    "gRPC health.",
    "ARENA_INSTANCE_ID": "Unique id of this instance in discovery (default <service>-<address>-<grpc port>).",
    "ARENA_LOG_LEVEL": "Minimum log level: debug, info, warning, error (default info).",
    "ARENA_LOG_FORMAT": "json (default) or console.",
    "ARENA_JWT_ISSUER": "Issuer of access tokens (default arena-user-service).",
    "ARENA_JWT_AUDIENCE": "Audience of access tokens (default arena).",
    "ARENA_SHUTDOWN_GRACE_S": "Seconds in-flight calls get to finish after SIGTERM (default 10).",
    "ARENA_DRAIN_DELAY_S": "Seconds between reporting NOT_SERVING and refusing new calls, so load balancers "
    "notice first (default 0; set to the health-check interval behind Envoy).",
    "ARENA_VERSION": "Version reported to discovery (default the package version).",
    "ARENA_READ_CACHE_TTL_S": "Seconds a hot read (GetUser, ListProblems) keeps its serialized answer; writers "
    "invalidate their own process's copies, the expiry bounds other processes' (default 2; 0 turns the caches off, "
    "for benchmarks).",
}


class ConfigError(ValueError):
    """A configuration variable has a value that cannot be used."""


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """Where one service listens."""

    address: str
    grpc_port: int
    web_port: int

    @property
    def grpc_target(self) -> str:
        return f"{self.address}:{self.grpc_port}"


@dataclasses.dataclass(frozen=True)
class PlatformConfig:
    """Settings every process shares."""

    data_dir: pathlib.Path
    """Where local state (SQLite files) lives."""
    database_url_template: str
    """Database URL with ``{service}`` standing for the service name."""
    endpoints: Mapping[str, Endpoint]
    """The static service table with environment overrides, by service name."""
    consul_http_addr: str | None
    """Consul agent address, or None for static discovery."""
    log_level: str
    log_format: str
    jwt_issuer: str
    jwt_audience: str
    version: str
    read_cache_ttl_s: float = 2.0
    """How long hot reads keep serialized answers (0: no caching)."""
    database_url_overrides: Mapping[str, str] = dataclasses.field(default_factory=dict)
    registry_dir: pathlib.Path | None = None
    """Registry directory for discovery without Consul (None: the static table)."""
    consul_check_interval_s: float = 5.0
    """How often Consul runs a registered instance's gRPC health check."""

    def database_url(self, service_name: str) -> str:
        url = self.database_url_overrides.get(service_name) or self.database_url_template
        return url.replace("{service}", service_name)


@dataclasses.dataclass(frozen=True)
class ServerConfig:
    """Settings of one service process."""

    spec: ServiceSpec
    platform: PlatformConfig
    instance_id: str
    shutdown_grace_s: float
    """How long in-flight calls may take to finish after SIGTERM."""
    drain_delay_s: float
    """How long to report NOT_SERVING before refusing new calls."""
    processes: int = 1
    """Processes sharing the service's ports (SO_REUSEPORT)."""
    bind_address: str | None = None
    """Where the listeners bind, when not the endpoint's (advertised) address."""

    @property
    def endpoint(self) -> Endpoint:
        return self.platform.endpoints[self.spec.name]

    @property
    def database_url(self) -> str:
        return self.platform.database_url(self.spec.name)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if not 0 < value < 65536 and name.endswith("_PORT"):
        raise ConfigError(f"{name}={value} is not a TCP port")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value < 0:
        raise ConfigError(f"{name}={value} must not be negative")
    return value


def seconds_in_range(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    """A service setting in seconds, ``default`` when unset, refused outside [low, high] with a sentence."""
    raw = env.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # (NaN fails too)
        raise ConfigError(f"{name} must be a number of seconds from {low:g} to {high:g}, not {raw!r}")
    return value


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if value == 0:
        raise ConfigError(f"{name}=0 must be positive")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (env.get(name) or default).lower()
    if value not in choices:
        raise ConfigError(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def _package_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("arena")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def load_platform(env: Mapping[str, str] | None = None) -> PlatformConfig:
    """Reads the shared settings from the environment."""
    env = os.environ if env is None else env
    data_dir = pathlib.Path(env.get("ARENA_DATA_DIR") or "data").resolve()
    endpoints = {}
    overrides = {}
    for spec in SERVICES:
        grpc_port = _int(env, f"{spec.env_prefix}GRPC_PORT", spec.grpc_port)
        endpoints[spec.name] = Endpoint(
            address=env.get(f"{spec.env_prefix}ADDRESS") or "127.0.0.1",
            grpc_port=grpc_port,
            web_port=_int(env, f"{spec.env_prefix}WEB_PORT", grpc_port + 1000),
        )
        if env.get(f"{spec.env_prefix}DATABASE_URL"):
            overrides[spec.name] = env[f"{spec.env_prefix}DATABASE_URL"]
    return PlatformConfig(
        data_dir=data_dir,
        database_url_template=env.get("ARENA_DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir}/{{service}}.db",
        database_url_overrides=overrides,
        endpoints=endpoints,
        consul_http_addr=env.get("ARENA_CONSUL_HTTP_ADDR") or None,
        log_level=_choice(env, "ARENA_LOG_LEVEL", "info", ("debug", "info", "warning", "error")),
        log_format=_choice(env, "ARENA_LOG_FORMAT", "json", ("json", "console")),
        jwt_issuer=env.get("ARENA_JWT_ISSUER") or "arena-user-service",
        jwt_audience=env.get("ARENA_JWT_AUDIENCE") or "arena",
        version=env.get("ARENA_VERSION") or _package_version(),
        read_cache_ttl_s=_float(env, "ARENA_READ_CACHE_TTL_S", 2.0),
        registry_dir=pathlib.Path(env["ARENA_REGISTRY_DIR"]).resolve() if env.get("ARENA_REGISTRY_DIR") else None,
        consul_check_interval_s=_positive(env, "ARENA_CONSUL_CHECK_INTERVAL_S", 5.0),
    )


def load_server(service_name: str, env: Mapping[str, str] | None = None) -> ServerConfig:
    """Reads one service process's settings from the environment."""
    env = os.environ if env is None else env
    spec = service(service_name)
    platform = load_platform(env)
    endpoint = platform.endpoints[spec.name]
    return ServerConfig(
        spec=spec,
        platform=platform,
        instance_id=env.get("ARENA_INSTANCE_ID") or f"{spec.name}-{endpoint.address}-{endpoint.grpc_port}",
        shutdown_grace_s=_float(env, "ARENA_SHUTDOWN_GRACE_S", 10.0),
        drain_delay_s=_float(env, "ARENA_DRAIN_DELAY_S", 0.0),
        processes=_processes(env, f"{spec.env_prefix}PROCESSES"),
        bind_address=env.get("ARENA_BIND_ADDRESS") or None,
    )


def _processes(env: Mapping[str, str], name: str) -> int:
    count = _int(env, name, 1)
    if not 1 <= count <= 64:
        raise ConfigError(f"{name}={count}: expected 1 to 64")
    return count
