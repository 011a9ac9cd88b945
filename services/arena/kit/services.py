"""The service table: every Arena service, the gRPC services it serves and its default ports.

One table drives static discovery, the Envoy configuration, the launcher and the
compose file. Ports follow DESIGN.md (gRPC 50051-50058); each service's gRPC-Web,
/metrics and /healthz listener is its gRPC port plus 1000.
"""

from __future__ import annotations

import dataclasses

# Every process also serves the ops services (platform health and debug views).
OPS_SERVICES = ("arena.ops.v1.OpsService", "arena.ops.v1.OpsInternalService")
WEB_PORT_OFFSET = 1000


@dataclasses.dataclass(frozen=True)
class ServiceSpec:
    """One Arena service as the platform knows it."""

    name: str
    """Short name, as used in discovery and configuration: ``user``, ``ai_analysis``."""
    public_service: str
    """Fully qualified name of the service's public gRPC service (exposed at the edge)."""
    internal_service: str | None
    """Fully qualified name of its service-to-service gRPC service, if it has one."""
    grpc_port: int
    """Default native gRPC port."""

    @property
    def package(self) -> str:
        return f"arena.{self.name}.v1"

    @property
    def web_port(self) -> int:
        """Default port of the gRPC-Web (sonora), /metrics and /healthz listener."""
        return self.grpc_port + WEB_PORT_OFFSET

    @property
    def grpc_services(self) -> tuple[str, ...]:
        """Every gRPC service the process serves, ops included."""
        own = (self.public_service,) if self.internal_service is None else (self.public_service, self.internal_service)
        return own + OPS_SERVICES

    @property
    def env_prefix(self) -> str:
        """Prefix of this service's environment variables, such as ``ARENA_AI_ANALYSIS_``."""
        return f"ARENA_{self.name.upper()}_"


def _spec(name: str, service: str, port: int, internal: bool) -> ServiceSpec:
    package = f"arena.{name}.v1"
    return ServiceSpec(
        name=name,
        public_service=f"{package}.{service}Service",
        internal_service=f"{package}.{service}InternalService" if internal else None,
        grpc_port=port,
    )


SERVICES: tuple[ServiceSpec, ...] = (
    _spec("user", "User", 50051, internal=True),
    _spec("problem", "Problem", 50052, internal=True),
    _spec("execution", "Execution", 50053, internal=True),
    _spec("contest", "Contest", 50054, internal=True),
    _spec("analytics", "Analytics", 50055, internal=True),
    _spec("notification", "Notification", 50056, internal=True),
    _spec("ai_analysis", "AiAnalysis", 50057, internal=False),
    _spec("realtime", "Realtime", 50058, internal=True),
)

SERVICES_BY_NAME: dict[str, ServiceSpec] = {s.name: s for s in SERVICES}


def service(name: str) -> ServiceSpec:
    """The spec of a service by short name; KeyError names the known ones."""
    try:
        return SERVICES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown service {name!r}; known: {', '.join(SERVICES_BY_NAME)}") from None
