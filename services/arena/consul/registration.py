"""Registering an instance with the local Consul agent (py-consul), and leaving on shutdown.

The registration carries a gRPC health check against the instance's own ``grpc.health.v1``
service, by the public service's name (``GRPC: "<address>:<port>/<service FQN>"``), so Consul
marks the instance critical as soon as it reports NOT_SERVING (the first step of a graceful
shutdown), and removes it entirely once it has stayed critical for
``deregister_critical_after_s`` (a crashed process cleans up after itself).

API: https://developer.hashicorp.com/consul/api-docs/agent/service#register-service and
https://developer.hashicorp.com/consul/api-docs/agent/service#deregister-service.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import structlog

from arena.consul.client import call_in_daemon_thread, close_consul_client, consul_client, go_duration
from arena.kit.discovery import Instance
from arena.kit.services import ServiceSpec

log = structlog.get_logger("arena.consul")

# Registration needs an address every other instance (and the agent's checker) can reach.
_WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::", "[::]"})


class ConsulRegistrationError(RuntimeError):
    """The instance could not be registered with Consul (the service cannot be discovered)."""


@dataclasses.dataclass(frozen=True)
class RegistrationSettings:
    """How an instance registers; the check timings end up in Consul's check definition."""

    check_interval_s: float = 5.0
    """How often Consul runs the gRPC health check (``Interval``)."""
    check_timeout_s: float = 2.0
    """How long one check may take before it counts as failed (``Timeout``)."""
    deregister_critical_after_s: float = 60.0
    """How long an instance may stay critical before Consul removes it
    (``DeregisterCriticalServiceAfter``; Consul's own minimum is one minute)."""
    tags: tuple[str, ...] = ("arena", "grpc")
    attempts: int = 5
    """Registration attempts at start-up (the agent may start after the service)."""
    first_backoff_s: float = 0.5
    """Pause after the first failed attempt; doubled after each further one."""
    max_backoff_s: float = 5.0
    request_timeout_s: float = 5.0
    """Upper bound of one register or deregister request."""

    def __post_init__(self) -> None:
        for name in (
            "check_interval_s",
            "check_timeout_s",
            "deregister_critical_after_s",
            "request_timeout_s",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"RegistrationSettings.{name} must be positive")
        if self.attempts < 1 or self.first_backoff_s < 0 or self.max_backoff_s < 0:
            raise ValueError("RegistrationSettings: attempts must be >= 1 and backoffs >= 0")


def health_check_target(instance: Instance, spec: ServiceSpec) -> str:
    """Consul's ``GRPC`` field: the instance's endpoint, then ``/`` and the health service name."""
    return f"{instance.address}:{instance.grpc_port}/{spec.public_service}"


def registration(instance: Instance, spec: ServiceSpec, settings: RegistrationSettings) -> dict[str, Any]:
    """The keyword arguments of py-consul's ``agent.service.register`` for one instance.

    py-consul turns them into ``PUT /v1/agent/service/register?replace-existing-checks=true``
    with lowercase keys and the check in a ``checks`` list (Consul decodes keys case-
    insensitively and accepts both ``Check`` and ``Checks``). Meta values are strings, as
    Consul requires.
    """
    import consul

    if instance.service != spec.name:
        raise ValueError(f"instance {instance.instance_id} is of {instance.service!r}, not {spec.name!r}")
    if instance.address in _WILDCARD_ADDRESSES:
        raise ValueError(
            f"cannot register {instance.instance_id} with address {instance.address!r}: Consul needs an "
            f"address others can reach; set {spec.env_prefix}ADDRESS to one (a host name or IP)"
        )
    check = consul.Check.grpc(
        health_check_target(instance, spec),
        go_duration(settings.check_interval_s),
        use_tls=False,
        timeout=go_duration(settings.check_timeout_s),
        deregister=go_duration(settings.deregister_critical_after_s),
    )
    return {
        "name": spec.name,
        "service_id": instance.instance_id,
        "address": instance.address,
        "port": instance.grpc_port,
        "tags": list(settings.tags),
        "meta": {
            "version": instance.version,
            "grpc_port": str(instance.grpc_port),
            "web_port": str(instance.web_port),
        },
        "check": check,
        # Re-registering the same id (a restart) must not leave an older check behind.
        "replace_existing_checks": True,
    }


def _is_permanent(error: BaseException) -> bool:
    """Errors a retry cannot fix: Consul refused the request itself (bad input, ACLs)."""
    from consul.exceptions import ACLDisabled, ACLPermissionDenied, BadRequest, ClientError

    if isinstance(error, ClientError):
        return not str(error).startswith("429")  # rate limited: try again later
    return isinstance(error, BadRequest | ACLPermissionDenied | ACLDisabled)


class ConsulRegistrar:
    """Registers one process's instance with the Consul agent at ``address`` and deregisters it."""

    def __init__(self, address: str, settings: RegistrationSettings | None = None) -> None:
        self._address = address
        self._client = consul_client(address)
        self._settings = settings or RegistrationSettings()

    async def register(self, instance: Instance, spec: ServiceSpec) -> None:
        """Registers, retrying transient failures with backoff.

        Raises ``ConsulRegistrationError`` when Consul refuses the registration (bad input,
        ACLs: not retried) or is still unreachable after ``settings.attempts`` tries.
        """
        arguments = registration(instance, spec, self._settings)
        delay = self._settings.first_backoff_s
        for attempt in range(1, self._settings.attempts + 1):
            try:
                await asyncio.wait_for(
                    call_in_daemon_thread(lambda: self._client.agent.service.register(**arguments)),
                    timeout=self._settings.request_timeout_s,
                )
            except Exception as error:
                if _is_permanent(error):
                    raise ConsulRegistrationError(
                        f"Consul at {self._address} refused to register {instance.instance_id}: {error}"
                    ) from error
                if attempt == self._settings.attempts:
                    raise ConsulRegistrationError(
                        f"could not register {instance.instance_id} with Consul at {self._address} "
                        f"after {attempt} attempts: {error!r}"
                    ) from error
                log.warning(
                    "consul registration failed; retrying",
                    instance_id=instance.instance_id,
                    attempt=attempt,
                    retry_in_s=delay,
                    error=repr(error),
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._settings.max_backoff_s)
            else:
                log.info(
                    "registered with consul",
                    instance_id=instance.instance_id,
                    check=health_check_target(instance, spec),
                )
                return

    async def deregister(self, instance_id: str) -> None:
        """Leaves Consul. Never raises: failures are logged and shutdown goes on.

        An unknown id (404, for instance already reaped by Consul) is not a failure.
        """
        try:
            known = await asyncio.wait_for(
                call_in_daemon_thread(lambda: self._client.agent.service.deregister(instance_id)),
                timeout=self._settings.request_timeout_s,
            )
        except Exception as error:
            log.warning("consul deregistration failed", instance_id=instance_id, error=repr(error))
        else:
            if known:
                log.info("deregistered from consul", instance_id=instance_id)
            else:
                log.info("consul did not know this instance (already gone)", instance_id=instance_id)

    async def close(self) -> None:
        """Releases the client's pooled connections."""
        close_consul_client(self._client)
