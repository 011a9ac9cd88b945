"""Registering an instance with the local Consul agent (py-consul), and leaving on shutdown.

The registration carries a gRPC health check against the instance's own
``grpc.health.v1`` service (by the public service's name), so Consul marks the
instance critical as soon as it reports NOT_SERVING, and removes it entirely when it
stays critical for ``deregister_after_s`` (a crashed process cleans up after itself).
"""

from __future__ import annotations

import asyncio
import dataclasses

import structlog

from arena.kit.discovery import Instance, consul_client
from arena.kit.services import ServiceSpec

log = structlog.get_logger("arena.consul")


@dataclasses.dataclass(frozen=True)
class RegistrationSettings:
    check_interval_s: float = 5.0
    """How often Consul runs the gRPC health check."""
    check_timeout_s: float = 2.0
    """How long one check may take."""
    deregister_after_s: float = 60.0
    """How long an instance may stay critical before Consul removes it."""
    attempts: int = 5
    """Registration attempts at start-up (the agent may start after the service)."""
    first_backoff_s: float = 0.5


def _seconds(value: float) -> str:
    """Consul's duration format: whole seconds, or milliseconds below one second."""
    return f"{int(value)}s" if value >= 1 and float(value).is_integer() else f"{int(value * 1000)}ms"


def registration(instance: Instance, spec: ServiceSpec, settings: RegistrationSettings) -> dict:
    """The arguments of py-consul's ``agent.service.register`` for one instance."""
    import consul

    check = consul.Check.grpc(
        f"{instance.address}:{instance.grpc_port}/{spec.public_service}",
        _seconds(settings.check_interval_s),
        use_tls=False,
        timeout=_seconds(settings.check_timeout_s),
        deregister=_seconds(settings.deregister_after_s),
    )
    return {
        "name": spec.name,
        "service_id": instance.instance_id,
        "address": instance.address,
        "port": instance.grpc_port,
        "tags": ["arena", "grpc"],
        "meta": {
            "version": instance.version,
            "grpc_port": str(instance.grpc_port),
            "web_port": str(instance.web_port),
        },
        "check": check,
        "replace_existing_checks": True,
    }


class ConsulRegistrar:
    def __init__(self, address: str, settings: RegistrationSettings | None = None) -> None:
        self._client = consul_client(address)
        self._settings = settings or RegistrationSettings()

    async def register(self, instance: Instance, spec: ServiceSpec) -> None:
        """Registers, retrying with backoff; raises after the last attempt."""
        arguments = registration(instance, spec, self._settings)
        delay = self._settings.first_backoff_s
        for attempt in range(1, self._settings.attempts + 1):
            try:
                await asyncio.to_thread(self._client.agent.service.register, **arguments)
            except Exception as error:
                if attempt == self._settings.attempts:
                    raise RuntimeError(f"could not register {instance.instance_id} with Consul: {error}") from error
                log.warning("consul registration failed; retrying", attempt=attempt, error=str(error))
                await asyncio.sleep(delay)
                delay *= 2
            else:
                log.info("registered with consul", instance_id=instance.instance_id)
                return

    async def deregister(self, instance_id: str) -> None:
        """Leaves Consul; failures are logged, never raised (shutdown must go on)."""
        try:
            await asyncio.to_thread(self._client.agent.service.deregister, instance_id)
        except Exception as error:
            log.warning("consul deregistration failed", instance_id=instance_id, error=str(error))
        else:
            log.info("deregistered from consul", instance_id=instance_id)
