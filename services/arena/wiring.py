"""The platform parts every service process is wired with, chosen here so the kit never imports them.

A service's ``__main__`` (its composition root) hands ``standard()`` to the kit:

- discovery: Consul's health API when ``ARENA_CONSUL_HTTP_ADDR`` is set, else the registry
  directory when ``ARENA_REGISTRY_DIR`` is set (several instances on one machine), else the
  static table;
- registration with the Consul agent or in the registry directory (when configured);
- token-verification keys from the user service's ``GetJwks`` (its generated stub only);
- the ops views (``arena.ops``) every process serves.
"""

from __future__ import annotations

from typing import Any

from arena.consul import ConsulDiscovery, ConsulRegistrar
from arena.consul.registration import RegistrationSettings
from arena.kit.auth import JwksKeySource
from arena.kit.config import PlatformConfig, ServerConfig
from arena.kit.discovery import Discovery, Registrar, StaticDiscovery
from arena.kit.registry import RegistryDiscovery, RegistryRegistrar
from arena.kit.server import AddServicer, Runtime, Wiring
from arena.ops.servicer import ops_servicers
from arena.user.v1 import user_service_pb2, user_service_pb2_grpc

JWKS_TIMEOUT_S = 2.0


def discovery_from_config(platform: PlatformConfig) -> Discovery:
    """Consul discovery when ARENA_CONSUL_HTTP_ADDR is set, else the registry directory, else the static table."""
    if platform.consul_http_addr:
        return ConsulDiscovery(platform.consul_http_addr)
    if platform.registry_dir is not None:
        return RegistryDiscovery(platform.registry_dir)
    return StaticDiscovery(platform)


def registrar_from_config(config: ServerConfig) -> Registrar | None:
    """Registration with the local Consul agent, or in the registry directory, when one is configured."""
    platform = config.platform
    if platform.consul_http_addr:
        interval_s = platform.consul_check_interval_s
        checks = RegistrationSettings(check_interval_s=interval_s, check_timeout_s=min(2.0, interval_s))
        return ConsulRegistrar(platform.consul_http_addr, checks)
    if platform.registry_dir is not None:
        return RegistryRegistrar(platform.registry_dir)
    return None


def user_service_keys(runtime: Runtime) -> JwksKeySource:
    """Verification keys fetched from the user service's GetJwks through the kit's client."""
    users = runtime.clients.stub(user_service_pb2_grpc.UserServiceStub, "user")

    async def fetch() -> list[dict[str, Any]]:
        response = await users.GetJwks(user_service_pb2.GetJwksRequest(), timeout_s=JWKS_TIMEOUT_S)
        return [
            {
                "kty": k.kty,
                "crv": k.crv,
                "x": k.x,
                "y": k.y if k.HasField("y") else None,
                "kid": k.kid,
                "alg": k.alg,
            }
            for k in response.keys
        ]

    return JwksKeySource(fetch)


def _ops(runtime: Runtime) -> list[tuple[AddServicer, Any]]:
    return list(ops_servicers(runtime))


def standard() -> Wiring:
    """The wiring of every service process."""
    return Wiring(
        discovery=discovery_from_config,
        registrar=registrar_from_config,
        key_source=user_service_keys,
        servicers=_ops,
    )
