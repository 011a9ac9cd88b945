"""Service discovery: where the instances of a service are and whether they are healthy.

A static table (from configuration) by default; Consul's health API when
``ARENA_CONSUL_HTTP_ADDR`` is set. Clients, the ops views and the Envoy EDS renderer
all read instances through the ``Discovery`` protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import urllib.parse
from typing import Any, Protocol

import structlog

from arena.kit.config import PlatformConfig

log = structlog.get_logger("arena.discovery")


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


def parse_consul_address(address: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``host:port`` or ``http(s)://host:port``."""
    parsed = urllib.parse.urlsplit(address if "://" in address else f"http://{address}")
    if not parsed.hostname:
        raise ValueError(f"ARENA_CONSUL_HTTP_ADDR={address!r} has no host")
    return parsed.scheme or "http", parsed.hostname, parsed.port or 8500


def consul_client(address: str) -> Any:
    import consul

    scheme, host, port = parse_consul_address(address)
    return consul.Consul(host=host, port=port, scheme=scheme)


class StaticDiscovery:
    """One instance per service, from the configured static table."""

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


def instances_from_health(service: str, entries: list[dict[str, Any]]) -> list[Instance]:
    """Instances from Consul's ``/v1/health/service/<name>`` answer, sorted by id."""
    found = []
    for entry in entries:
        node, registered = entry.get("Node") or {}, entry.get("Service") or {}
        meta = registered.get("Meta") or {}
        try:
            grpc_port = int(registered["Port"])
            web_port = int(meta.get("web_port") or 0)
        except (KeyError, TypeError, ValueError):
            log.warning("ignoring a malformed Consul entry", service=service)
            continue
        found.append(
            Instance(
                service=service,
                instance_id=str(registered.get("ID") or f"{service}-{grpc_port}"),
                # An empty service address means "the node's address" (Consul's documented rule).
                address=registered.get("Address") or node.get("Address") or "127.0.0.1",
                grpc_port=grpc_port,
                web_port=web_port,
                version=str(meta.get("version", "")),
            )
        )
    return sorted(found, key=lambda i: i.instance_id)


class ConsulDiscovery:
    """Healthy instances from Consul's health API, cached and refreshed in the background.

    Each service a caller asks about gets a watcher doing Consul blocking queries
    (``index`` + ``wait``), so changes arrive within moments and an idle platform costs
    one long-poll per service. Calls are answered from the cache; when Consul is
    unreachable the last known instances keep serving (and a warning is logged).
    """

    source = "consul"

    def __init__(self, address: str, *, wait_s: float = 10.0, retry_s: float = 1.0) -> None:
        self._client = consul_client(address)
        self._wait_s = wait_s
        self._retry_s = retry_s
        self._cache: dict[str, list[Instance]] = {}
        self._ready: dict[str, asyncio.Event] = {}
        self._watchers: dict[str, asyncio.Task] = {}

    async def instances(self, service: str) -> list[Instance]:
        if service not in self._watchers:
            self._ready[service] = asyncio.Event()
            self._watchers[service] = asyncio.create_task(self._watch(service), name=f"consul-watch-{service}")
        ready = self._ready[service]
        if not ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), timeout=self._wait_s + 2)
        return list(self._cache.get(service, ()))

    async def _query(self, service: str, index: int | None) -> tuple[int | None, list[Instance]]:
        def call() -> tuple[Any, list[dict[str, Any]]]:
            if index is None:
                return self._client.health.service(service, passing=True)
            return self._client.health.service(service, passing=True, index=index, wait=f"{int(self._wait_s)}s")

        new_index, entries = await asyncio.to_thread(call)
        try:
            parsed_index = int(new_index) if new_index is not None else None
        except (TypeError, ValueError):
            parsed_index = None
        return parsed_index, instances_from_health(service, entries or [])

    async def _watch(self, service: str) -> None:
        index: int | None = None
        while True:
            try:
                new_index, found = await self._query(service, index)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("consul query failed; keeping the last known instances", service=service, error=str(error))
                self._ready[service].set()
                index = None
                await asyncio.sleep(self._retry_s)
                continue
            if found != self._cache.get(service):
                log.info("instances changed", service=service, instances=[i.instance_id for i in found])
            self._cache[service] = found
            self._ready[service].set()
            # An index that went backwards (Consul restarted) restarts the blocking queries.
            index = new_index if new_index is not None and (index is None or new_index >= index) else None
            if new_index is None:
                await asyncio.sleep(self._retry_s)

    async def close(self) -> None:
        watchers, self._watchers = list(self._watchers.values()), {}
        for task in watchers:
            task.cancel()
        for task in watchers:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def from_config(platform: PlatformConfig) -> Discovery:
    """Consul discovery when ARENA_CONSUL_HTTP_ADDR is set, else the static table."""
    if platform.consul_http_addr:
        return ConsulDiscovery(platform.consul_http_addr)
    return StaticDiscovery(platform)
