"""Calling other Arena services: discovery, deadlines, retries, circuit breakers, propagation.

``Clients.stub(StubClass, "problem")`` returns a proxy of a generated stub. Each call:

- picks a healthy instance of the upstream from discovery (round robin over the instances
  whose circuit breaker lets calls through), one shared channel per instance;
- carries a deadline: the method's default, cut to what the caller of the current RPC has
  left (minus a margin); a call with no time left fails fast with DEADLINE_EXCEEDED;
- is retried by gRPC itself on UNAVAILABLE, only when the contract declares the method
  idempotent (``idempotency_level``), through the channel's service config;
- goes through a pybreaker circuit breaker per upstream INSTANCE (keyed by instance id)
  that opens on UNAVAILABLE and DEADLINE_EXCEEDED, is skipped while open, and half-opens
  after a pause; when every instance's breaker is open the call fails fast (UNAVAILABLE,
  reason CIRCUIT_OPEN);
- after UNAVAILABLE from one instance, is tried once more on another instance within the
  same deadline when the method is idempotent or the call never reached the server;
- stops using an instance as soon as discovery drops it (its channel is closed);
- propagates the request id, traceparent and, for calls made on the user's behalf, the
  caller's authorization header;
- reports calls, errors, duration and breaker state as metrics and ops statistics.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pybreaker
import structlog
from google.protobuf import descriptor_pb2, descriptor_pool

from arena.kit import context as request_context
from arena.kit import errors
from arena.kit.discovery import Discovery, Instance
from arena.kit.metrics import BREAKER_STATE_VALUES, Metrics
from arena.kit.status import code_of

log = structlog.get_logger("arena.client")

TRANSIENT_CODES = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}
)
_BREAKER_TRIPS = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
# grpc-core's words for a call that failed before any byte reached the server (connect failed).
_NEVER_SENT = ("failed to connect", "connection refused", "connect failed", "no route to host")


@dataclasses.dataclass(frozen=True)
class ClientSettings:
    """How this process calls its upstreams."""

    default_timeout_s: float = 5.0
    """Deadline of a call when neither the call site nor the incoming RPC sets a shorter one."""
    deadline_margin_s: float = 0.02
    """Time kept back from the incoming deadline so this service can still answer its caller."""
    breaker_fail_max: int = 5
    """Consecutive transient failures that open an upstream's breaker."""
    breaker_reset_timeout_s: float = 10.0
    """How long an open breaker fails fast before letting a trial call through."""
    retry_max_attempts: int = 3
    keepalive_time_ms: int = 30_000
    keepalive_timeout_ms: int = 5_000


def retry_service_config(settings: ClientSettings, pool: descriptor_pool.DescriptorPool | None = None) -> str:
    """A gRPC service config retrying UNAVAILABLE for every method the contract marks idempotent."""
    pool = pool or descriptor_pool.Default()
    safe_levels = (descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS, descriptor_pb2.MethodOptions.IDEMPOTENT)
    names = []
    for service_name in _arena_service_names(pool):
        service = pool.FindServiceByName(service_name)
        for method in service.methods:
            if method.GetOptions().idempotency_level in safe_levels and not method.server_streaming:
                names.append({"service": service.full_name, "method": method.name})
    config: dict[str, Any] = {"methodConfig": []}
    if names:
        config["methodConfig"].append(
            {
                "name": names,
                "retryPolicy": {
                    "maxAttempts": settings.retry_max_attempts,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "0.5s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        )
    return json.dumps(config)


def _arena_service_names(pool: descriptor_pool.DescriptorPool) -> list[str]:
    from arena.kit.services import OPS_SERVICES, SERVICES

    names = [*OPS_SERVICES]
    for spec in SERVICES:
        names.append(spec.public_service)
        if spec.internal_service:
            names.append(spec.internal_service)
    found = []
    for name in names:
        try:
            pool.FindServiceByName(name)
        except KeyError:
            continue  # its generated module is not imported in this process
        found.append(name)
    return found


class _BreakerMetrics(pybreaker.CircuitBreakerListener):
    def __init__(self, metrics: Metrics, service: str, upstream: str, instance_id: str) -> None:
        self._gauge = metrics.breaker_state.labels(service, upstream, instance_id)
        self._upstream = upstream
        self._instance_id = instance_id
        self._gauge.set(0)

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        name = new_state.name if new_state is not None else "closed"
        self._gauge.set(BREAKER_STATE_VALUES.get(name, 0))
        log.warning("circuit breaker state changed", upstream=self._upstream, instance=self._instance_id, state=name)


@dataclasses.dataclass
class UpstreamStats:
    """One instance of an upstream as this process has seen it (the ops client-stats view)."""

    upstream: str
    instance_id: str = ""
    target: str = ""
    call_count: int = 0
    error_count: int = 0
    rejected_count: int = 0
    breaker_state: str = "closed"
    consecutive_failures: int = 0


def _is_business_error(exc: BaseException) -> bool:
    """Errors that say nothing about the upstream's health never trip the breaker."""
    return isinstance(exc, grpc.aio.AioRpcError) and exc.code() not in _BREAKER_TRIPS


class Member:
    """One instance of an upstream: its breaker and statistics (its channel lives in ``Clients``)."""

    def __init__(self, upstream: str, instance: Instance, clients: Clients) -> None:
        self.instance = instance
        self.stats = UpstreamStats(upstream=upstream, instance_id=instance.instance_id, target=instance.grpc_target)
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=clients.settings.breaker_fail_max,
            reset_timeout=clients.settings.breaker_reset_timeout_s,
            exclude=[_is_business_error],
            # The call that trips the breaker reports its own error; only later calls are refused.
            throw_new_error_on_trip=False,
            listeners=[_BreakerMetrics(clients.metrics, clients.caller, upstream, instance.instance_id)],
            name=instance.instance_id,
        )


class Upstream:
    """One upstream service: its instances (each with a breaker) as discovery reports them."""

    def __init__(self, name: str, clients: Clients) -> None:
        self.name = name
        self._clients = clients
        self._round_robin = itertools.count()
        self.members: dict[str, Member] = {}
        """By instance id: the instances discovery reported last."""

    async def refresh(self) -> list[Member]:
        """The healthy instances now, in discovery's order; forgets (and disconnects) the ones it dropped."""
        instances = await self._clients.discovery.instances(self.name)
        current: dict[str, Member] = {}
        for instance in instances:
            member = self.members.get(instance.instance_id)
            if member is None or member.instance != instance:
                member = Member(self.name, instance, self._clients)
            current[instance.instance_id] = member
        for gone_id, gone in self.members.items():
            if current.get(gone_id) is not gone:
                self._clients.drop_channel(gone.instance)
        self.members = current
        return list(current.values())

    async def candidates(self) -> list[Member]:
        """Healthy instances in round-robin order. Whether each may be called is its breaker's to say (an
        open one refuses with CircuitBreakerError until its reset timeout, then lets a trial call through)."""
        members = await self.refresh()
        if not members:
            raise errors.Unavailable(f"no healthy instance of the {self.name} service", reason="UPSTREAM_UNAVAILABLE")
        start = next(self._round_robin) % len(members)
        return members[start:] + members[:start]

    def breaker_state(self) -> str:
        """``closed`` if any instance takes calls normally, else ``half-open`` if any may try, else ``open``."""
        states = {m.breaker.current_state for m in self.members.values()}
        for state in (pybreaker.STATE_CLOSED, pybreaker.STATE_HALF_OPEN):
            if state in states or not states:
                return state
        return pybreaker.STATE_OPEN


class Clients:
    """The upstream connections of one process."""

    def __init__(
        self, discovery: Discovery, metrics: Metrics, *, caller: str, settings: ClientSettings | None = None
    ) -> None:
        self.discovery = discovery
        self.metrics = metrics
        self.caller = caller
        self.settings = settings or ClientSettings()
        self._upstreams: dict[str, Upstream] = {}
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._stubs: dict[tuple[int, type], Any] = {}
        self._closing: set[asyncio.Future[None]] = set()
        self._service_config: str | None = None
        self._idempotent: frozenset[str] | None = None

    def upstream(self, name: str) -> Upstream:
        found = self._upstreams.get(name)
        if found is None:
            found = self._upstreams[name] = Upstream(name, self)
        return found

    def channel(self, instance: Instance) -> grpc.aio.Channel:
        """The shared channel to one instance (created on first use)."""
        target = instance.grpc_target
        channel = self._channels.get(target)
        if channel is None:
            if self._service_config is None:
                self._service_config = retry_service_config(self.settings)
            channel = grpc.aio.insecure_channel(
                target,
                options=[
                    ("grpc.enable_retries", 1),
                    ("grpc.service_config", self._service_config),
                    ("grpc.keepalive_time_ms", self.settings.keepalive_time_ms),
                    ("grpc.keepalive_timeout_ms", self.settings.keepalive_timeout_ms),
                    # A restarted instance is reachable again quickly, not after a long backoff.
                    ("grpc.initial_reconnect_backoff_ms", 200),
                    ("grpc.max_reconnect_backoff_ms", 2000),
                ],
            )
            self._channels[target] = channel
        return channel

    def drop_channel(self, instance: Instance) -> None:
        """Closes the channel to an instance discovery no longer lists (calls on it fail over)."""
        channel = self._channels.pop(instance.grpc_target, None)
        if channel is None:
            return
        for key in [k for k in self._stubs if k[0] == id(channel)]:
            del self._stubs[key]
        self._closing.add(asyncio.ensure_future(channel.close(grace=1.0)))
        self._closing = {t for t in self._closing if not t.done()}

    def is_idempotent(self, full_method: str) -> bool:
        """Whether the contract marks ``/package.Service/Method`` idempotent (safe to send twice)."""
        if self._idempotent is None:
            config = json.loads(retry_service_config(self.settings))
            self._idempotent = frozenset(
                f"/{name['service']}/{name['method']}" for entry in config["methodConfig"] for name in entry["name"]
            )
        return full_method in self._idempotent

    def stub(self, stub_class: type, upstream: str) -> UpstreamStub:
        """A proxy of a generated stub whose calls go through discovery, deadlines and the breaker."""
        return UpstreamStub(self, self.upstream(upstream), stub_class)

    def generated_stub(self, stub_class: type, channel: grpc.aio.Channel) -> Any:
        key = (id(channel), stub_class)
        stub = self._stubs.get(key)
        if stub is None:
            stub = self._stubs[key] = stub_class(channel)
        return stub

    def stats(self) -> list[UpstreamStats]:
        """One entry per instance of every upstream called (as discovery lists them now)."""
        result = []
        for upstream in self._upstreams.values():
            for member in upstream.members.values():
                member.stats.breaker_state = member.breaker.current_state
                member.stats.consecutive_failures = member.breaker.fail_counter
                result.append(dataclasses.replace(member.stats))
        return sorted(result, key=lambda s: (s.upstream, s.instance_id))

    async def close(self) -> None:
        channels, self._channels = list(self._channels.values()), {}
        self._stubs.clear()
        for channel in channels:
            await channel.close(grace=None)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
            self._closing.clear()


def outgoing_metadata(*, on_behalf_of_caller: bool) -> tuple[tuple[str, str], ...]:
    """Request id, traceparent and (when acting for the caller) authorization of the current call."""
    current = request_context.current()
    if current is None:
        return ()
    metadata = [("x-request-id", current.request_id), ("traceparent", current.traceparent)]
    if on_behalf_of_caller and current.authorization:
        metadata.append(("authorization", current.authorization))
    return tuple(metadata)


class UpstreamStub:
    """Calls ``upstream.Method(request)`` with the kit's policies; see the module docstring."""

    def __init__(self, clients: Clients, upstream: Upstream, stub_class: type) -> None:
        self._clients = clients
        self._upstream = upstream
        self._stub_class = stub_class

    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]:
        async def call(request: Any, *, timeout_s: float | None = None, on_behalf_of_caller: bool = False) -> Any:
            return await self._unary(method, request, timeout_s, on_behalf_of_caller)

        call.__name__ = method
        return call

    def _timeout(self, timeout_s: float | None) -> float:
        settings = self._clients.settings
        timeout = timeout_s if timeout_s is not None else settings.default_timeout_s
        current = request_context.current()
        remaining = None if current is None else current.time_remaining_s()
        if remaining is not None:
            timeout = min(timeout, remaining - settings.deadline_margin_s)
        if timeout <= 0:
            raise errors.DeadlineExceeded("no time left in the caller's deadline for the upstream call")
        return timeout

    async def _unary(self, method: str, request: Any, timeout_s: float | None, on_behalf: bool) -> Any:
        upstream = self._upstream
        clients = self._clients
        timeout = self._timeout(timeout_s)
        deadline = time.monotonic() + timeout
        metadata = outgoing_metadata(on_behalf_of_caller=on_behalf)
        metrics = clients.metrics
        labels = (clients.caller, upstream.name, method)
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        tried = 0
        try:
            candidates = await upstream.candidates()
            for member in candidates:
                remaining = deadline - time.monotonic()
                if tried and remaining <= 0:
                    break
                try:
                    with member.breaker.calling():
                        tried += 1
                        member.stats.call_count += 1
                        channel = clients.channel(member.instance)
                        multicallable = getattr(clients.generated_stub(self._stub_class, channel), method)
                        return await multicallable(request, timeout=remaining, metadata=metadata)
                except pybreaker.CircuitBreakerError:
                    member.stats.rejected_count += 1  # its breaker is open: try the next one
                    continue
                except grpc.aio.AioRpcError as exc:
                    member.stats.error_count += 1
                    if tried < 2 and self._may_try_elsewhere(multicallable, exc):
                        log.info(
                            "upstream instance unavailable; trying another",
                            upstream=upstream.name,
                            instance=member.instance.instance_id,
                            error=exc.details(),
                        )
                        continue
                    raise
            if tried == 0:  # every instance's breaker refused
                metrics.breaker_rejected.labels(clients.caller, upstream.name).inc()
                raise errors.Unavailable(
                    f"calls to the {upstream.name} service are suspended after repeated failures",
                    retry_after_s=clients.settings.breaker_reset_timeout_s,
                    reason="CIRCUIT_OPEN",
                )
            raise errors.Unavailable(f"no instance of the {upstream.name} service answered")
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            raise _upstream_error(upstream.name, exc) from None
        except errors.ArenaError as exc:
            code = code_of(exc)
            raise
        finally:
            metrics.client_calls.labels(*labels, code.name).inc()
            metrics.client_duration.labels(*labels).observe(time.perf_counter() - started)

    def _may_try_elsewhere(self, multicallable: Any, exc: grpc.aio.AioRpcError) -> bool:
        """UNAVAILABLE on an idempotent method, or a call that provably never reached the server."""
        if exc.code() != grpc.StatusCode.UNAVAILABLE:
            return False
        full_method = getattr(multicallable, "_method", b"")
        if isinstance(full_method, bytes):
            full_method = full_method.decode()
        if self._clients.is_idempotent(str(full_method)):
            return True
        details = (exc.details() or "").lower()
        return any(sign in details for sign in _NEVER_SENT)

    async def stream(
        self, method: str, request: Any, *, timeout_s: float | None = None, on_behalf_of_caller: bool = False
    ) -> AsyncIterator[Any]:
        """A server-streaming call (no breaker: a stream's health is its own)."""
        candidates = await self._upstream.candidates()
        # No breaker guards a stream, but an instance whose breaker is open is avoided while another is not.
        member = next((m for m in candidates if m.breaker.current_state != pybreaker.STATE_OPEN), candidates[0])
        channel = self._clients.channel(member.instance)
        multicallable = getattr(self._clients.generated_stub(self._stub_class, channel), method)
        timeout = None if timeout_s is None else self._timeout(timeout_s)
        call = multicallable(
            request, timeout=timeout, metadata=outgoing_metadata(on_behalf_of_caller=on_behalf_of_caller)
        )
        try:
            async for message in call:
                yield message
        except grpc.aio.AioRpcError as exc:
            raise _upstream_error(self._upstream.name, exc) from None
        finally:
            call.cancel()


def _upstream_error(upstream: str, exc: grpc.aio.AioRpcError) -> errors.ArenaError:
    code = exc.code()
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return errors.DeadlineExceeded(f"the {upstream} service did not answer in time")
    if code in TRANSIENT_CODES:
        return errors.Unavailable(f"the {upstream} service is unavailable: {exc.details()}")
    details = None
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            details = value
    return errors.UpstreamError(code, exc.details() or f"the {upstream} service failed", status_details=details)
