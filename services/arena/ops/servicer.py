"""OpsService (GET /v1/health and the debug views) and OpsInternalService.

Every process serves these, so Envoy can send ``/v1/health`` to any live instance. The
platform-wide views fan out over discovery: gRPC health checks to every instance, and
``GetLocalClientStats`` to every process for the client statistics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import grpc
from google.protobuf import timestamp_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from arena.kit.discovery import Instance
from arena.kit.services import SERVICES
from arena.ops.v1 import (
    ops_internal_service_pb2,
    ops_internal_service_pb2_grpc,
    ops_pb2,
    ops_service_pb2,
    ops_service_pb2_grpc,
)

if TYPE_CHECKING:
    from arena.kit.server import Runtime

_CHECK_TIMEOUT_S = 1.0
_BREAKER_STATES = {
    "closed": ops_pb2.BREAKER_STATE_CLOSED,
    "open": ops_pb2.BREAKER_STATE_OPEN,
    "half-open": ops_pb2.BREAKER_STATE_HALF_OPEN,
}


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class PlatformProbe:
    """Checks the health of every known instance over gRPC."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def _check(self, instance: Instance, service_name: str) -> ops_pb2.ServingStatus:
        stub = health_pb2_grpc.HealthStub(self._runtime.clients.channel(instance))
        try:
            response = await stub.Check(health_pb2.HealthCheckRequest(service=service_name), timeout=_CHECK_TIMEOUT_S)
        except grpc.aio.AioRpcError:
            return ops_pb2.SERVING_STATUS_UNREACHABLE
        if response.status == health_pb2.HealthCheckResponse.SERVING:
            return ops_pb2.SERVING_STATUS_SERVING
        return ops_pb2.SERVING_STATUS_NOT_SERVING

    async def services(self) -> list[ops_pb2.ServiceHealth]:
        discovery = self._runtime.discovery
        per_service = await asyncio.gather(*(discovery.instances(spec.name) for spec in SERVICES))
        # A discovery that also knows the instances failing their checks (the registry directory: a killed
        # instance's entry stays behind) lists them too, so the view shows them UNREACHABLE, not missing.
        known = getattr(discovery, "known", None)
        if callable(known):
            per_service = [known(spec.name) or found for spec, found in zip(SERVICES, per_service, strict=True)]
        checks = [
            self._check(instance, spec.public_service)
            for spec, instances in zip(SERVICES, per_service, strict=True)
            for instance in instances
        ]
        statuses = iter(await asyncio.gather(*checks))
        result = []
        for spec, instances in zip(SERVICES, per_service, strict=True):
            entries = [
                ops_pb2.Instance(
                    service=spec.name,
                    instance_id=i.instance_id,
                    address=i.address,
                    grpc_port=i.grpc_port,
                    web_port=i.web_port,
                    version=i.version,
                    status=next(statuses),
                )
                for i in instances
            ]
            result.append(ops_pb2.ServiceHealth(service=spec.name, status=_overall(entries), instances=entries))
        return result


def _overall(instances: list[ops_pb2.Instance]) -> ops_pb2.ServingStatus:
    """SERVING when any instance serves; UNREACHABLE when none answered; else NOT_SERVING."""
    statuses = {i.status for i in instances}
    if ops_pb2.SERVING_STATUS_SERVING in statuses:
        return ops_pb2.SERVING_STATUS_SERVING
    if ops_pb2.SERVING_STATUS_NOT_SERVING in statuses:
        return ops_pb2.SERVING_STATUS_NOT_SERVING
    return ops_pb2.SERVING_STATUS_UNREACHABLE


def local_client_stats(runtime: Runtime) -> ops_pb2.ProcessClientStats:
    return ops_pb2.ProcessClientStats(
        service=runtime.config.spec.name,
        instance_id=runtime.config.instance_id,
        upstreams=[
            ops_pb2.UpstreamStats(
                upstream=s.upstream,
                instance_id=s.instance_id,
                target=s.target,
                call_count=s.call_count,
                error_count=s.error_count,
                rejected_count=s.rejected_count,
                breaker_state=_BREAKER_STATES.get(s.breaker_state, ops_pb2.BREAKER_STATE_UNSPECIFIED),
                consecutive_failures=s.consecutive_failures,
            )
            for s in runtime.clients.stats()
        ],
        read_time=_now(),
    )


class OpsServicer(ops_service_pb2_grpc.OpsServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._probe = PlatformProbe(runtime)

    async def GetPlatformHealth(
        self, request: ops_service_pb2.GetPlatformHealthRequest, context: Context
    ) -> ops_service_pb2.GetPlatformHealthResponse:
        services = await self._probe.services()
        every_service_serves = all(s.status == ops_pb2.SERVING_STATUS_SERVING for s in services)
        return ops_service_pb2.GetPlatformHealthResponse(
            status=ops_pb2.SERVING_STATUS_SERVING if every_service_serves else ops_pb2.SERVING_STATUS_NOT_SERVING,
            services=services,
            check_time=_now(),
        )

    async def ListInstances(
        self, request: ops_service_pb2.ListInstancesRequest, context: Context
    ) -> ops_service_pb2.ListInstancesResponse:
        services = await self._probe.services()
        return ops_service_pb2.ListInstancesResponse(
            source=self._runtime.discovery.source,
            instances=[instance for service in services for instance in service.instances],
        )

    async def GetClientStats(
        self, request: ops_service_pb2.GetClientStatsRequest, context: Context
    ) -> ops_service_pb2.GetClientStatsResponse:
        runtime = self._runtime
        per_service = await asyncio.gather(*(runtime.discovery.instances(spec.name) for spec in SERVICES))
        instances = [i for group in per_service for i in group]

        async def fetch(instance: Instance) -> ops_pb2.ProcessClientStats | None:
            if instance.instance_id == runtime.config.instance_id:
                return local_client_stats(runtime)
            stub = ops_internal_service_pb2_grpc.OpsInternalServiceStub(  # type: ignore[no-untyped-call]
                runtime.clients.channel(instance)
            )
            try:
                response = await stub.GetLocalClientStats(
                    ops_internal_service_pb2.GetLocalClientStatsRequest(), timeout=_CHECK_TIMEOUT_S
                )
            except grpc.aio.AioRpcError:
                return None  # unreachable processes are simply missing from the view
            stats: ops_pb2.ProcessClientStats = response.stats
            return stats

        found = await asyncio.gather(*(fetch(i) for i in instances))
        return ops_service_pb2.GetClientStatsResponse(processes=[f for f in found if f is not None])


class OpsInternalServicer(ops_internal_service_pb2_grpc.OpsInternalServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def GetLocalClientStats(
        self, request: ops_internal_service_pb2.GetLocalClientStatsRequest, context: Context
    ) -> ops_internal_service_pb2.GetLocalClientStatsResponse:
        return ops_internal_service_pb2.GetLocalClientStatsResponse(stats=local_client_stats(self._runtime))


def ops_servicers(runtime: Runtime) -> list[tuple[Callable[[Any, Any], None], Any]]:
    """The (add function, servicer) pairs the kit registers in every process."""
    return [
        (ops_service_pb2_grpc.add_OpsServiceServicer_to_server, OpsServicer(runtime)),
        (
            ops_internal_service_pb2_grpc.add_OpsInternalServiceServicer_to_server,
            OpsInternalServicer(runtime),
        ),
    ]
