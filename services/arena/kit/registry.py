"""Discovery without Consul for several instances on one machine: a registry directory.

It behaves like Consul's catalog plus its agent checks, for when no Consul agent runs:

- ``RegistryRegistrar``: an instance writes ``<instance_id>.json`` (atomically: temporary
  file, then rename) once it serves, and removes it when it starts draining (SIGTERM);
- ``RegistryDiscovery``: lists the directory and probes each listed instance's
  ``grpc.health.v1`` Check (short timeout) in one background task per process, every
  ``interval_s``, only for the services this process has asked about lately (a service
  nobody asked about for ``idle_s`` is no longer probed until asked again). An instance that
  was SIGKILLed (its file left behind) drops out within one round and comes back as soon
  as it answers SERVING again.

The directory is ``ARENA_REGISTRY_DIR`` (the launcher sets it when it runs several
instances of a service).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import pathlib
import tempfile
import time
from collections.abc import Iterable

import grpc
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc

from arena.kit.discovery import Instance
from arena.kit.services import ServiceSpec

log = structlog.get_logger("arena.registry")

_SUFFIX = ".json"
# A dead target must not keep a channel in a long reconnect backoff: probes want a fresh answer.
_PROBE_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 250),
]


class RegistryError(ValueError):
    """A registry entry or setting that cannot be used."""


def _entry_name(instance_id: str) -> str:
    if not instance_id or "/" in instance_id or instance_id.startswith("."):
        raise RegistryError(f"instance id {instance_id!r} cannot name a registry file")
    return instance_id + _SUFFIX


def write_entry(directory: pathlib.Path, instance: Instance) -> pathlib.Path:
    """Writes one instance's entry atomically; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / _entry_name(instance.instance_id)
    body = json.dumps({**dataclasses.asdict(instance), "pid": os.getpid()}, sort_keys=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(body)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return target


def read_entries(directory: pathlib.Path) -> list[Instance]:
    """Every well-formed entry in the directory (a half-written or foreign file is skipped)."""
    found = []
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    for name in names:
        if not name.endswith(_SUFFIX) or name.startswith("."):
            continue
        try:
            raw = json.loads((directory / name).read_text())
            found.append(
                Instance(
                    service=str(raw["service"]),
                    instance_id=str(raw["instance_id"]),
                    address=str(raw["address"]),
                    grpc_port=int(raw["grpc_port"]),
                    web_port=int(raw["web_port"]),
                    version=str(raw.get("version", "")),
                )
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.debug("registry entry skipped", file=name, error=str(error))
    return found


class RegistryRegistrar:
    """Makes an instance discoverable through the registry directory while it serves."""

    def __init__(self, directory: pathlib.Path | str) -> None:
        self.directory = pathlib.Path(directory)

    async def register(self, instance: Instance, spec: ServiceSpec) -> None:
        if instance.service != spec.name:
            raise RegistryError(f"instance {instance.instance_id} is of {instance.service!r}, not {spec.name!r}")
        path = write_entry(self.directory, instance)
        log.info("registered", registry=str(path))

    async def deregister(self, instance_id: str) -> None:
        try:
            os.unlink(self.directory / _entry_name(instance_id))
        except (OSError, RegistryError) as error:
            log.warning("deregistration failed", instance_id=instance_id, error=str(error))

    async def close(self) -> None:
        pass


class RegistryDiscovery:
    """The healthy instances listed in the registry directory, checked over grpc.health.v1."""

    source = "registry"

    def __init__(
        self,
        directory: pathlib.Path | str,
        *,
        interval_s: float = 0.4,
        probe_timeout_s: float = 0.3,
        idle_s: float = 30.0,
    ) -> None:
        if interval_s <= 0 or probe_timeout_s <= 0 or idle_s <= 0:
            raise RegistryError("registry discovery needs a positive interval, probe timeout and idle time")
        self.idle_s = idle_s
        self.directory = pathlib.Path(directory)
        self.interval_s = interval_s
        self.probe_timeout_s = probe_timeout_s
        self._watched: dict[str, float] = {}
        """Service -> when it was last asked for (monotonic)."""
        self._healthy: dict[str, list[Instance]] = {}
        self._known: dict[str, list[Instance]] = {}
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    async def instances(self, service: str) -> list[Instance]:
        now = time.monotonic()
        if service not in self._watched:
            self._watched[service] = now
            await self.refresh([service])
            if self._task is None and not self._closed:
                self._task = asyncio.create_task(self._run(), name="registry-discovery")
        self._watched[service] = now
        return list(self._healthy.get(service, ()))

    def known(self, service: str) -> list[Instance]:
        """Every listed instance of ``service`` at the last round, healthy or not (the ops views)."""
        return list(self._known.get(service, ()))

    async def refresh(self, services: Iterable[str] | None = None) -> None:
        """One round: read the directory, probe the listed instances of ``services`` (default: watched)."""
        wanted = set(self._watched if services is None else services)
        listed_everywhere = read_entries(self.directory)
        entries = [i for i in listed_everywhere if i.service in wanted]
        results = await asyncio.gather(*(self._probe(i) for i in entries))
        for service in wanted:
            listed = [i for i in entries if i.service == service]
            healthy = [i for i, ok in zip(entries, results, strict=True) if ok and i.service == service]
            before = [i.instance_id for i in self._healthy.get(service, ())]
            self._known[service] = listed
            self._healthy[service] = healthy
            if before != [i.instance_id for i in healthy]:
                log.info("instances changed", service=service, healthy=[i.instance_id for i in healthy])
        listed_targets = {i.grpc_target for i in listed_everywhere}
        for target in [t for t in self._channels if t not in listed_targets]:
            await self._drop_channel(target)

    async def _probe(self, instance: Instance) -> bool:
        target = instance.grpc_target
        channel = self._channels.get(target)
        if channel is None:
            channel = self._channels[target] = grpc.aio.insecure_channel(target, options=_PROBE_CHANNEL_OPTIONS)
        try:
            response = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=self.probe_timeout_s
            )
        except grpc.aio.AioRpcError:
            await self._drop_channel(target)  # the next round connects afresh
            return False
        return bool(response.status == health_pb2.HealthCheckResponse.SERVING)

    async def _drop_channel(self, target: str) -> None:
        channel = self._channels.pop(target, None)
        if channel is not None:
            await channel.close(grace=None)

    async def _run(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.interval_s)
            idle_since = time.monotonic() - self.idle_s
            for service in [s for s, asked in self._watched.items() if asked < idle_since]:
                del self._watched[service]  # asked again: probed at once, then every round
                self._healthy.pop(service, None)
                self._known.pop(service, None)
            try:
                await self.refresh()
            except Exception:
                log.exception("registry refresh failed")

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for target in list(self._channels):
            await self._drop_channel(target)
