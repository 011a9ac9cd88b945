"""Service discovery: where the instances of a service are and whether they are healthy.

The kit holds the interface (``Discovery``, ``Instance``, ``Registrar``) and the static table.
Consul's implementation lives in ``arena.consul``; the composition root (``arena.wiring``)
picks one, so the kit never imports it. Clients, the ops views and the Envoy EDS renderer
all read instances through the ``Discovery`` protocol.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from arena.kit.config import PlatformConfig
from arena.kit.services import ServiceSpec


@dataclasses.dataclass(frozen=True)
class Instance:
    """One running instance of a service."""

    service: str
    """Short service name, such as ``user``."""
    instance_id: str
    """Unique id, such as ``user-127.0.0.1-50051``."""
    address: str
    grpc_port: int
    web_port: int
    version: str = ""

    @property
    def grpc_target(self) -> str:
        return f"{self.address}:{self.grpc_port}"


class Discovery(Protocol):
    """Finds the healthy instances of a service."""

    source: str
    """``static`` or ``consul``."""

    async def instances(self, service: str) -> list[Instance]:
        """The instances of ``service`` currently believed healthy, in a stable order."""
        ...

    async def close(self) -> None:
        """Stops background refreshes and releases connections."""
        ...


class Registrar(Protocol):
    """Makes an instance discoverable while it runs (Consul's agent, for one)."""

    async def register(self, instance: Instance, spec: ServiceSpec) -> None: ...

    async def deregister(self, instance_id: str) -> None:
        """Leaves discovery; never raises (shutdown goes on)."""
        ...

    async def close(self) -> None: ...


# -- static ------------------------------------------------------------------------------------


class StaticDiscovery:
    """One instance per service, from the configured static table (no health information)."""

    source = "static"

    def __init__(self, platform: PlatformConfig) -> None:
        self._instances = {
            name: [
                Instance(
                    service=name,
                    instance_id=f"{name}-{endpoint.address}-{endpoint.grpc_port}",
                    address=endpoint.address,
                    grpc_port=endpoint.grpc_port,
                    web_port=endpoint.web_port,
                    version=platform.version,
                )
            ]
            for name, endpoint in platform.endpoints.items()
        }

    async def instances(self, service: str) -> list[Instance]:
        return list(self._instances.get(service, ()))

    async def close(self) -> None:
        pass
