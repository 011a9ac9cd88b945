"""The platform under test and what the fault suite adds to it.

- ``launch``: the platform on free ports (the launcher's ``Platform`` with several instances,
  registry discovery and Envoy's endpoint files following it), demo data loaded.
- ``Extra``: an instance the suite starts itself (not one of the launcher's keys), placed in a
  simulated host (``netns.Host``), optionally behind a ``FaultProxy``: it binds the host's own
  address and registers either that address (reached directly: a partition cuts it) or the
  host's gateway address in the root namespace, where a proxy on the same ports forwards to it
  (latency and failures for every caller: Envoy, the other services, discovery's probes).
- ``FailingUpstream``: a gRPC server that answers every call UNAVAILABLE (health checks
  SERVING) and counts the calls, registered as an instance of a service (scenario 6).
- ``rss_kib``: resident memory of every platform process, from /proc.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health_pb2

from arena.kit.discovery import Instance
from arena.kit.registry import write_entry
from arena.kit.services import SERVICES
from arena.launcher import LaunchError, LaunchSettings, Platform, ServicePorts, _die_with_parent
from bench.faults.netns import Host
from bench.faults.proxy import FaultProxy, ProxyThread
from bench.system import free_ports


@contextlib.contextmanager
def launch(
    data_dir: pathlib.Path,
    *,
    instances_by_service: Mapping[str, int] | None = None,
    instances: int = 1,
    env: Mapping[str, str] | None = None,
    demo_activity_s: float = 0.0,
    broker: bool = False,
) -> Iterator[Platform]:
    """``broker``: cross-instance streams over NATS, where the launcher has it (branch ``broker``).

    One failed start is tried again on fresh ports: on a machine shared with other work a port
    chosen free may be taken before Envoy binds it (then the edge answers with someone else's
    bytes), and Envoy has been seen to crash (SIGSEGV) at start.
    """
    for attempt in (1, 2):
        settings = _settings(data_dir / f"try-{attempt}", instances_by_service, instances, env, demo_activity_s, broker)
        platform = Platform(settings)
        try:
            platform.start(timeout_s=180)
            break
        except (LaunchError, http.client.HTTPException):
            if attempt == 2:
                raise
    try:
        yield platform
    finally:
        platform.stop()


def _settings(
    data_dir: pathlib.Path,
    instances_by_service: Mapping[str, int] | None,
    instances: int,
    env: Mapping[str, str] | None,
    demo_activity_s: float,
    broker: bool,
) -> LaunchSettings:
    count = len(SERVICES)
    ports = free_ports(2 + 2 * count)
    settings = LaunchSettings(
        data_dir=data_dir,
        edge_port=ports[0],
        admin_port=ports[1],
        ports={s.name: ServicePorts(ports[2 + 2 * i], ports[3 + 2 * i]) for i, s in enumerate(SERVICES)},
        instances=instances,
        instances_by_service=dict(instances_by_service or {}),
        # Instances leave the registry when they start draining; Envoy's endpoint files follow
        # within half a second, so a second of drain lets every caller see it first.
        extra_env={"ARENA_DRAIN_DELAY_S": "1.5", "ARENA_LOG_LEVEL": "warning", **(env or {})},
        demo_data=True,
        demo_activity_s=demo_activity_s,
        shutdown_grace_s=5.0,
    )
    if broker:
        settings = dataclasses.replace(settings, broker=True)
    # Further instances' default ports (+100 each) may be taken: give each its own free pair.
    extra_keys = [k for s in SERVICES for k in settings.instance_keys(s.name) if k not in settings.ports]
    if extra_keys:
        more = free_ports(2 * len(extra_keys))
        settings = dataclasses.replace(
            settings,
            instance_ports_by_key={k: ServicePorts(more[2 * i], more[2 * i + 1]) for i, k in enumerate(extra_keys)},
        )
    return settings


def login(edge_url: str, username: str, password: str) -> str:
    request = urllib.request.Request(
        f"{edge_url}/v1/auth:login",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["tokens"]["access_token"])


def http_ok(url: str, timeout_s: float = 1.0) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout_s) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def wait_until(predicate: object, timeout_s: float, what: str, interval_s: float = 0.1) -> float:
    """Polls ``predicate`` until true; returns the seconds it took (raises past the deadline)."""
    started = time.monotonic()
    while not predicate():  # type: ignore[operator]
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"{what}: not within {timeout_s:g} s")
        time.sleep(interval_s)
    return time.monotonic() - started


def registered(platform: Platform, instance_id: str) -> bool:
    return (platform.settings.registry_dir / f"{instance_id}.json").exists()


def eds_targets(platform: Platform, service: str) -> list[str]:
    """``address:port`` of the endpoints in Envoy's endpoint file of a service's gRPC cluster."""
    import yaml

    try:
        document = yaml.safe_load((platform.eds_dir() / f"{service}.yaml").read_text())
    except OSError:
        return []
    found = []
    for resource in document.get("resources", []):
        for group in resource.get("endpoints", []):
            for lb in group.get("lb_endpoints", []):
                socket = lb["endpoint"]["address"]["socket_address"]
                found.append(f"{socket['address']}:{socket['port_value']}")
    return found


def envoy_healthy_hosts(platform: Platform, cluster: str) -> list[str]:
    """Hosts Envoy itself counts healthy in a cluster (its admin /clusters view)."""
    url = f"http://127.0.0.1:{platform.settings.admin_port}/clusters?format=json"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=2) as response:
        data = json.load(response)
    hosts = []
    for status in data.get("cluster_statuses", []):
        if status.get("name") != cluster:
            continue
        for host in status.get("host_statuses", []):
            health = host.get("health_status", {})
            flags = [k for k, v in health.items() if v is True and k != "eds_health_status"]
            if health.get("eds_health_status") == "HEALTHY" and not flags:
                socket = host["address"]["socket_address"]
                hosts.append(f"{socket['address']}:{socket['port_value']}")
    return hosts


# -- instances the suite adds ----------------------------------------------------------------


class Extra:
    """One instance of a service started by the suite in a simulated host."""

    def __init__(
        self, platform: Platform, service: str, instance_id: str, host: Host, *, proxy: FaultProxy | None = None
    ) -> None:
        self.platform = platform
        self.service = service
        self.instance_id = instance_id
        self.host = host
        self.ports = ServicePorts(*free_ports(2))
        self.proxied = proxy is not None
        self._proxy_template = proxy
        self.proxies: list[ProxyThread] = []
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def registered_address(self) -> str:
        return self.host.gateway if self.proxied else self.host.address

    @property
    def grpc_target(self) -> str:
        return f"{self.registered_address}:{self.ports.grpc}"

    def start(self) -> None:
        settings = self.platform.settings
        env = settings.service_env()
        prefix = f"ARENA_{self.service.upper()}_"
        env.update(
            {
                prefix + "GRPC_PORT": str(self.ports.grpc),
                prefix + "WEB_PORT": str(self.ports.web),
                prefix + "ADDRESS": self.registered_address,
                "ARENA_BIND_ADDRESS": self.host.address,
                "ARENA_INSTANCE_ID": self.instance_id,
                "ARENA_REGISTRY_DIR": str(settings.registry_dir),
            }
        )
        if self.proxied and not self.proxies:
            template = self._proxy_template
            assert template is not None
            for port in (self.ports.grpc, self.ports.web):
                proxy = FaultProxy(
                    self.host.address,
                    port,
                    listen_host=self.host.gateway,
                    listen_port=port,
                    delay_s=template.delay_s,
                    fail_share=template.fail_share,
                    chunk_fail_share=template.chunk_fail_share,
                )
                thread = ProxyThread(proxy)
                thread.start()
                self.proxies.append(thread)
        host = self.host

        def child() -> None:
            _die_with_parent()
            host.enter()

        log_file = open(settings.log_dir / f"{self.instance_id}.log", "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"arena.{self.service}"],
            env=env,
            cwd=settings.repo_root,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=child,
        )
        log_file.close()

    def wait_serving(self, timeout_s: float = 60.0) -> None:
        url = f"http://{self.host.address}:{self.ports.web}/healthz"

        def serving() -> bool:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.instance_id} exited; see {self.platform.settings.log_dir}")
            return http_ok(url)

        wait_until(serving, timeout_s, f"{self.instance_id} serving")
        wait_until(lambda: registered(self.platform, self.instance_id), timeout_s, f"{self.instance_id} registered")

    def set_faults(self, *, delay_s: float | None = None, chunk_fail_share: float | None = None) -> None:
        for thread in self.proxies:
            if delay_s is not None:
                thread.proxy.delay_s = delay_s
            if chunk_fail_share is not None:
                thread.proxy.chunk_fail_share = chunk_fail_share

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        (self.platform.settings.registry_dir / f"{self.instance_id}.json").unlink(missing_ok=True)
        for thread in self.proxies:
            thread.stop()
        self.proxies.clear()


# -- an upstream that always fails -------------------------------------------------------------


class FailingUpstream:
    """A gRPC server answering every call UNAVAILABLE and counting them (health: SERVING)."""

    def __init__(self) -> None:
        self.calls = 0
        self.calls_by_method: dict[str, int] = {}
        self._lock = threading.Lock()
        self.port = free_ports(1)[0]
        self.web_port = free_ports(1)[0]
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        upstream = self

        class Handler(grpc.GenericRpcHandler):
            def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[Any, Any] | None:
                method = details.method
                if method == "/grpc.health.v1.Health/Check":
                    return grpc.unary_unary_rpc_method_handler(
                        lambda request, context: health_pb2.HealthCheckResponse(
                            status=health_pb2.HealthCheckResponse.SERVING
                        ).SerializeToString(),
                        request_deserializer=None,
                        response_serializer=None,
                    )

                def fail(request: bytes, context: grpc.ServicerContext) -> bytes:
                    with upstream._lock:
                        upstream.calls += 1
                        upstream.calls_by_method[method] = upstream.calls_by_method.get(method, 0) + 1
                    context.abort(grpc.StatusCode.UNAVAILABLE, "the fault suite's failing upstream")
                    raise AssertionError("unreachable")

                return grpc.unary_unary_rpc_method_handler(fail)

        self._server.add_generic_rpc_handlers((Handler(),))
        self._server.add_insecure_port(f"127.0.0.1:{self.port}")

    def start(self) -> None:
        self._server.start()

    def register(self, registry_dir: pathlib.Path, service: str, instance_id: str) -> None:
        write_entry(registry_dir, Instance(service, instance_id, "127.0.0.1", self.port, self.web_port))

    def stop(self) -> None:
        self._server.stop(0).wait(5)


# -- memory ------------------------------------------------------------------------------------


def rss_kib(pid: int) -> int | None:
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def tree_rss_kib(pid: int) -> int:
    """RSS of a process and its children (a service may fork worker processes)."""
    total = rss_kib(pid) or 0
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                for child in pathlib.Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                    total += tree_rss_kib(int(child))
    return total


def platform_rss_kib(platform: Platform) -> dict[str, int]:
    return {key: tree_rss_kib(p.pid) for key, p in platform.processes.items() if p.poll() is None}
