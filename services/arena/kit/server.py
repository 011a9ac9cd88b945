"""One call runs a service: ``python -m arena.<service>`` → ``arena.kit.server.main(name, build)``.

A service process serves the same servicer objects on two listeners in one event loop:

- native gRPC (grpc.aio) on its gRPC port, with grpc.health.v1 and server reflection;
- gRPC-Web (sonora, made correct by ``arena.kit.grpcweb``) on its web port, served by
  uvicorn, which also answers ``/metrics`` (Prometheus) and ``/healthz``.

Every method handler is wrapped by the kit's middleware (``arena.kit.middleware``)
before it is registered on either server, so both transports behave the same.

The kit knows no service: what every process needs from outside the kit (discovery and
registration, token-verification keys, the ops views) arrives in a ``Wiring`` from the
composition root (``python -m arena.<service>`` passes ``arena.wiring.standard()``).

On SIGTERM or SIGINT: health goes NOT_SERVING, the instance deregisters from discovery,
after ``drain_delay_s`` new calls are refused with UNAVAILABLE and open streams end
cleanly, in-flight unary calls get ``shutdown_grace_s`` to finish, then the process
exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

import grpc
import structlog
import uvicorn
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from arena.kit import logging as kit_logging
from arena.kit.auth import KeySource, TokenVerifier
from arena.kit.client import Clients
from arena.kit.config import PlatformConfig, ServerConfig, load_server
from arena.kit.discovery import Discovery, Instance, Registrar, StaticDiscovery
from arena.kit.grpcweb import ArenaGrpcASGI
from arena.kit.metrics import Metrics
from arena.kit.middleware import Lifecycle, MethodInfo, Pipeline

log = structlog.get_logger("arena.server")

AddServicer = Callable[[Any, Any], None]
StopHook = Callable[[], Awaitable[None]]

# Keepalive that tolerates clients pinging every 10 s (grpc doc/keepalive.md).
# No grpc.max_connection_age: a server that ages a connection out closes it as soon as its
# last stream ends, and when that stream is one it refused early (a message over the size
# limit) the unread request bytes make the kernel answer with a TCP reset that can overtake
# the status: Envoy saw "connection termination" (UNAVAILABLE) instead of RESOURCE_EXHAUSTED.
# Connections are recycled by the client side instead (Envoy's max_connection_duration),
# which drains without that race.
GRPC_SERVER_OPTIONS = (
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.max_receive_message_length", 8 * 1024 * 1024),
)


@dataclasses.dataclass
class ServiceParts:
    """What a service's build function hands to the kit."""

    servicers: list[tuple[AddServicer, Any]]
    """(``add_XServicer_to_server``, servicer) pairs, from the generated ``*_pb2_grpc`` modules."""
    on_stop: list[StopHook] = dataclasses.field(default_factory=list)
    """Called after the servers stopped, in order (close databases, workers...)."""
    key_source: KeySource | None = None
    """Where token-verification keys come from; default: the wiring's (the user service's JWKS)."""
    on_serving: list[StopHook] = dataclasses.field(default_factory=list)
    """Called once both listeners accept calls (start background workers here)."""


class Runtime:
    """What the kit gives a service's build function: configuration and shared machinery."""

    def __init__(self, config: ServerConfig, discovery: Discovery) -> None:
        self.config = config
        self.discovery = discovery
        self.metrics = Metrics(config.spec.name)
        self.clients = Clients(discovery, self.metrics, caller=config.spec.name)
        self.lifecycle = Lifecycle()


def _no_registrar(config: ServerConfig) -> Registrar | None:
    return None


def _no_servicers(runtime: Runtime) -> list[tuple[AddServicer, Any]]:
    return []


@dataclasses.dataclass(frozen=True)
class Wiring:
    """What a composition root plugs into every process: the platform parts the kit must not import.

    The defaults make a bare process (static discovery, no registration, no extra servicers,
    no token verification unless the service brings keys): what in-process tests need.
    """

    discovery: Callable[[PlatformConfig], Discovery] = StaticDiscovery
    """Builds the process's discovery from the platform settings."""
    registrar: Callable[[ServerConfig], Registrar | None] = _no_registrar
    """Builds what registers the instance (None: nothing to register with)."""
    key_source: Callable[[Runtime], KeySource] | None = None
    """Token-verification keys for services whose ``ServiceParts`` bring none."""
    servicers: Callable[[Runtime], list[tuple[AddServicer, Any]]] = _no_servicers
    """Servicers every process serves besides its own (the ops views)."""


class _HandlerCollector:
    """Stands in for a server when calling a generated ``add_XServicer_to_server``.

    Generated code registers the same handlers twice (generic and "registered");
    the registered form carries the service name and the method dict we need.
    """

    def __init__(self) -> None:
        self.services: dict[str, dict[str, grpc.RpcMethodHandler[Any, Any]]] = {}

    def add_generic_rpc_handlers(self, handlers: Iterable[Any]) -> None:
        pass

    def add_registered_method_handlers(
        self, service_name: str, handlers: dict[str, grpc.RpcMethodHandler[Any, Any]]
    ) -> None:
        self.services[service_name] = dict(handlers)


def wrap_servicers(
    servicers: Iterable[tuple[AddServicer, Any]], pipeline: Pipeline
) -> dict[str, dict[str, grpc.RpcMethodHandler[Any, Any]]]:
    """Every method handler of the servicers, wrapped in the middleware, by service name."""
    collector = _HandlerCollector()
    for add, servicer in servicers:
        add(servicer, collector)
    pool = descriptor_pool.Default()
    wrapped = {}
    for service_name, handlers in collector.services.items():
        service = pool.FindServiceByName(service_name)
        wrapped[service_name] = {
            name: pipeline.wrap(MethodInfo.from_descriptor(service.methods_by_name[name]), handler)
            for name, handler in handlers.items()
        }
    return wrapped


class _EmbeddedUvicorn(uvicorn.Server):
    """uvicorn inside the service's own loop: the kit, not uvicorn, owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listening_socket(address: str, port: int, *, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio enables TCP_NODELAY only on such sockets, and without
    # it Nagle holds a response's second write until the client's delayed ACK (~40 ms a call).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((address, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


AsgiApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def http_app(metrics: Metrics, health: HealthServicer, service_names: tuple[str, ...]) -> AsgiApp:
    """The plain-HTTP routes of the web port: /metrics and /healthz."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/metrics":
            body, content_type = metrics.exposition()
            status = 200
        elif path == "/healthz":
            statuses = {}
            for name in ("", *service_names):
                response = await health.Check(health_pb2.HealthCheckRequest(service=name), None)
                statuses[name or "overall"] = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
            status = 200 if statuses["overall"] == "SERVING" else 503
            body = json.dumps({"status": statuses["overall"], "services": statuses}).encode()
            content_type = "application/json"
        else:
            status, content_type = 404, "application/json"
            body = json.dumps({"code": 5, "message": f"no route for {path}"}).encode()
        headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


async def serve(
    config: ServerConfig,
    build: Callable[[Runtime], Awaitable[ServiceParts]],
    *,
    stop: asyncio.Event | None = None,
    reuse_port: bool = False,
    register: bool = True,
    handle_signals: bool = True,
    on_ready: Callable[[Runtime], None] | None = None,
    wiring: Wiring | None = None,
) -> int:
    """Runs one service until ``stop`` is set (or SIGTERM/SIGINT); returns the exit status.

    ``on_ready`` is called once the service accepts calls (tests use it to learn ports).
    """
    spec, endpoint = config.spec, config.endpoint
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    if handle_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)

    wiring = wiring or Wiring()
    discovery = wiring.discovery(config.platform)
    runtime = Runtime(config, discovery)
    parts = await build(runtime)
    key_source = parts.key_source or (wiring.key_source(runtime) if wiring.key_source else None)
    verifier = (
        TokenVerifier(key_source, issuer=config.platform.jwt_issuer, audience=config.platform.jwt_audience)
        if key_source is not None
        else None
    )
    pipeline = Pipeline(service=spec.name, metrics=runtime.metrics, verifier=verifier, lifecycle=runtime.lifecycle)

    servicers = [*parts.servicers, *wiring.servicers(runtime)]
    wrapped = wrap_servicers(servicers, pipeline)
    health = HealthServicer()

    grpc_server = grpc.aio.server(options=[*GRPC_SERVER_OPTIONS, ("grpc.so_reuseport", 1 if reuse_port else 0)])
    for name, handlers in wrapped.items():
        grpc_server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, handlers),))
        grpc_server.add_registered_method_handlers(name, handlers)
    health_pb2_grpc.add_HealthServicer_to_server(health, grpc_server)
    reflection.enable_server_reflection(
        (*wrapped, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
        grpc_server,
    )
    listen = config.bind_address or endpoint.address
    grpc_port = grpc_server.add_insecure_port(f"{listen}:{endpoint.grpc_port}")

    web_app = ArenaGrpcASGI(application=http_app(runtime.metrics, health, tuple(wrapped)))
    for name, handlers in wrapped.items():
        web_app.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, handlers),))
    web_socket = _listening_socket(listen, endpoint.web_port, reuse_port=reuse_port)
    web_server = _EmbeddedUvicorn(
        uvicorn.Config(
            web_app,
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=max(1, int(config.shutdown_grace_s)),
            timeout_keep_alive=30,
        )
    )

    await grpc_server.start()
    web_task = asyncio.create_task(web_server.serve(sockets=[web_socket]), name="uvicorn")
    while not web_server.started and not web_task.done():
        await asyncio.sleep(0.01)
    if web_task.done():
        await grpc_server.stop(None)
        web_task.result()  # raises why uvicorn could not start
        return 1

    for name in ("", *wrapped):
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    instance = Instance(
        service=spec.name,
        instance_id=config.instance_id,
        address=endpoint.address,
        grpc_port=grpc_port,
        web_port=endpoint.web_port,
        version=config.platform.version,
    )
    registrar = wiring.registrar(config) if register else None
    if registrar is not None:
        await registrar.register(instance, spec)
    for hook in parts.on_serving:
        await hook()
    log.info("serving", grpc_port=grpc_port, web_port=endpoint.web_port, pid=os.getpid(), services=list(wrapped))
    if on_ready is not None:
        on_ready(runtime)

    await stop.wait()

    log.info("shutting down", grace_s=config.shutdown_grace_s)
    await health.enter_graceful_shutdown()
    if registrar is not None:
        await registrar.deregister(instance.instance_id)
        await registrar.close()
    if config.drain_delay_s:
        await asyncio.sleep(config.drain_delay_s)
    runtime.lifecycle.start_draining()
    runtime.lifecycle.close_streams()
    web_server.should_exit = True
    await asyncio.gather(grpc_server.stop(config.shutdown_grace_s), web_task, return_exceptions=True)
    for hook in parts.on_stop:
        try:
            await hook()
        except Exception:
            log.exception("shutdown hook failed")
    await runtime.clients.close()
    await discovery.close()
    log.info("stopped")
    return 0


GC_THRESHOLDS = (20_000, 20, 10)
"""CPython's cycle collector for a service process: the young generation collected every 20,000 allocations
(the default is 700) and the middle one after 20 of those (default 10). One verdict fanned out to 1,000
leaderboard streams (or a burst of calls) makes tens of thousands of short-lived objects; with the defaults
young collections ran dozens of times per fan-out and promoted that garbage until a full collection over
the whole heap (a contest board of 10,000 results in memory) paused every stream for 80-150 ms, several
times a minute (gc.callbacks, bench.board_stream). With these, objects die young and full collections stay
rare; a young collection of 20,000 objects takes about a millisecond."""


def tune_gc() -> None:
    """Sets the process's collector thresholds (``GC_THRESHOLDS``)."""
    gc.set_threshold(*GC_THRESHOLDS)


def freeze_startup_objects(_runtime: Runtime) -> None:
    """Once serving: what start-up made (modules, descriptors, the built service) moves out of the
    collector's generations, so full collections no longer walk it (``gc.freeze``, after a collection so
    no garbage is kept)."""
    gc.collect()
    gc.freeze()


def main(service_name: str, build: Callable[[Runtime], Awaitable[ServiceParts]], wiring: Wiring) -> None:
    """Entry point of ``python -m arena.<service>``: load config once, log, serve, exit."""
    config = load_server(service_name)
    kit_logging.configure(
        service=service_name,
        instance_id=config.instance_id,
        level=config.platform.log_level,
        fmt=config.platform.log_format,
    )
    tune_gc()
    if config.processes == 1:
        sys.exit(asyncio.run(serve(config, build, wiring=wiring, on_ready=freeze_startup_objects)))
    sys.exit(_serve_forked(config, build, wiring))


def _serve_forked(config: ServerConfig, build: Callable[[Runtime], Awaitable[ServiceParts]], wiring: Wiring) -> int:
    """N processes sharing the service's ports through SO_REUSEPORT; the parent only supervises.

    Forks before any event loop, server or channel exists (gRPC cannot survive a fork after
    that; see grpc's examples/python/multiprocessing). One instance in discovery: only the
    first child registers with Consul.
    """
    children = []
    for index in range(config.processes):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = asyncio.run(
                    serve(
                        config,
                        build,
                        reuse_port=True,
                        register=index == 0,
                        wiring=wiring,
                        on_ready=freeze_startup_objects,
                    )
                )
            finally:
                os._exit(code)
        children.append(pid)

    def forward(signum: int, _frame: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    status = 0
    for child in children:
        _, code = os.waitpid(child, 0)
        status = status or os.waitstatus_to_exitcode(code)
    return status
