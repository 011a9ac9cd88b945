"""A contract-test double of the Consul HTTP API endpoints Arena uses. No Consul can run here.

It speaks the documented requests and answers, and records every request so tests can
assert exactly what Arena sent:

- ``PUT /v1/agent/service/register`` (https://developer.hashicorp.com/consul/api-docs/agent/service#register-service):
  JSON body; keys are case-insensitive (Consul accepts ``ID``/``id``, ``Check``/``Checks``/``checks``);
  ``?replace-existing-checks``; 200 with an empty body, 400 with a text message on bad input.
- ``PUT /v1/agent/service/deregister/:service_id``: 200, or 404 for an unknown id.
- ``GET /v1/health/service/:service`` (https://developer.hashicorp.com/consul/api-docs/health#list-service-instances-for-service):
  ``?passing`` drops entries with any non-passing check; ``X-Consul-Index`` on every answer;
  blocking queries (``?index=N&wait=10s``) hold the request until the index moves past N.

Health checks are real: for a registered gRPC check, a thread calls ``grpc.health.v1.Health/Check``
on the target every ``Interval`` and marks the check passing or critical, and a service critical
for longer than ``DeregisterCriticalServiceAfter`` is removed, as Consul does. Tests may also
force a status with ``set_status``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: str) -> float:
    match = _DURATION.match(value or "")
    if not match:
        raise ValueError(f"invalid duration {value!r}")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).lower(): v for k, v in value.items()}
    return value


@dataclasses.dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclasses.dataclass
class _Service:
    id: str
    name: str
    address: str
    port: int
    tags: list[str]
    meta: dict[str, str]
    check: dict[str, Any] | None
    status: str = "critical"
    critical_since: float = dataclasses.field(default_factory=time.monotonic)
    last_check: float = 0.0


class ConsulEmulator:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._services: dict[str, _Service] = {}
        self._forced: dict[str, str] = {}
        self._index = 1
        self._changed = threading.Condition()
        self._stop = threading.Event()
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _record(self) -> tuple[str, dict[str, list[str]], Any]:
                parsed = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                emulator.requests.append(Recorded(self.command, parsed.path, query, body))
                return parsed.path, query, body

            def do_PUT(self) -> None:
                path, query, body = self._record()
                if path == "/v1/agent/service/register":
                    status, message = emulator._register(body, query)
                    self._answer(status, message)
                elif path.startswith("/v1/agent/service/deregister/"):
                    found = emulator._deregister(path.rsplit("/", 1)[1])
                    self._answer(200 if found else 404, None if found else b"Unknown service ID")
                else:
                    self._answer(404, b"404 page not found")

            def do_GET(self) -> None:
                path, query, _ = self._record()
                if path.startswith("/v1/health/service/"):
                    index, entries = emulator._health(path.rsplit("/", 1)[1], query)
                    self._answer(200, entries, {"X-Consul-Index": str(index), "Content-Type": "application/json"})
                else:
                    self._answer(404, b"404 page not found")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.address = f"127.0.0.1:{self.port}"
        self._threads = [
            threading.Thread(target=self._server.serve_forever, daemon=True),
            threading.Thread(target=self._check_loop, daemon=True),
        ]

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> ConsulEmulator:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    # -- for tests ----------------------------------------------------------------------------

    def registered(self) -> dict[str, dict[str, Any]]:
        return {s.id: {"name": s.name, "status": s.status, "port": s.port} for s in self._services.values()}

    def set_status(self, service_id: str, status: str | None) -> None:
        """Forces a check status ('passing', 'critical'), or None to go back to real checks."""
        if status is None:
            self._forced.pop(service_id, None)
        else:
            self._forced[service_id] = status
        self._set(service_id, status or "critical")

    def requests_to(self, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    # -- the API ------------------------------------------------------------------------------

    def _bump(self) -> None:
        with self._changed:
            self._index += 1
            self._changed.notify_all()

    def _register(self, body: Any, query: dict[str, list[str]]) -> tuple[int, bytes | None]:
        data = _lower_keys(body)
        if not isinstance(data, dict) or not data.get("name"):
            return 400, b"Missing service name"
        checks = data.get("checks") or ([data["check"]] if data.get("check") else [])
        check = _lower_keys(checks[0]) if checks else None
        if check is not None:
            try:
                parse_duration(check.get("interval", ""))
                if check.get("timeout"):
                    parse_duration(check["timeout"])
                deregister = check.get("deregistercriticalserviceafter") or check.get(
                    "deregister_critical_service_after"
                )
                if deregister:
                    parse_duration(deregister)
            except ValueError as error:
                return 400, f"Invalid check: {error}".encode()
        service = _Service(
            id=data.get("id") or data["name"],
            name=data["name"],
            address=data.get("address") or "",
            port=int(data.get("port") or 0),
            tags=list(data.get("tags") or []),
            meta=dict(data.get("meta") or {}),
            check=check,
            status="passing" if check is None else "critical",
        )
        self._services[service.id] = service
        self._bump()
        return 200, None

    def _deregister(self, service_id: str) -> bool:
        found = self._services.pop(service_id, None) is not None
        if found:
            self._bump()
        return found

    def _health(self, name: str, query: dict[str, list[str]]) -> tuple[int, list[dict[str, Any]]]:
        if "index" in query:
            wait_s = parse_duration(query.get("wait", ["5m"])[0])
            wanted = int(query["index"][0])
            with self._changed:
                self._changed.wait_for(lambda: self._index > wanted or self._stop.is_set(), timeout=wait_s)
        passing_only = "passing" in query and query["passing"][0] not in ("false", "0")
        entries = []
        for service in list(self._services.values()):
            if service.name != name or (passing_only and service.status != "passing"):
                continue
            entries.append(
                {
                    "Node": {"Node": "emulator", "Address": "127.0.0.1", "Datacenter": "dc1"},
                    "Service": {
                        "ID": service.id,
                        "Service": service.name,
                        "Tags": service.tags,
                        "Address": service.address,
                        "Port": service.port,
                        "Meta": service.meta,
                    },
                    "Checks": [
                        {"CheckID": "serfHealth", "Status": "passing"},
                        {"CheckID": f"service:{service.id}", "ServiceID": service.id, "Status": service.status},
                    ],
                }
            )
        return self._index, entries

    # -- health checking ----------------------------------------------------------------------

    def _set(self, service_id: str, status: str) -> None:
        service = self._services.get(service_id)
        if service is None or service.status == status:
            return
        service.status = status
        service.critical_since = time.monotonic()
        self._bump()

    def _check_loop(self) -> None:
        while not self._stop.wait(0.05):
            now = time.monotonic()
            for service in list(self._services.values()):
                if service.check is None:
                    continue
                if service.id in self._forced:
                    self._set(service.id, self._forced[service.id])
                    continue
                interval = parse_duration(service.check["interval"])
                if now - service.last_check >= interval:
                    service.last_check = now
                    self._set(service.id, self._grpc_check(service.check))
                deregister = service.check.get("deregistercriticalserviceafter")
                if (
                    deregister
                    and service.status == "critical"
                    and now - service.critical_since > parse_duration(deregister)
                ):
                    self._deregister(service.id)

    @staticmethod
    def _grpc_check(check: dict[str, Any]) -> str:
        target = check.get("grpc", "")
        address, _, service_name = target.partition("/")
        timeout_s = parse_duration(check["timeout"]) if check.get("timeout") else 10.0
        try:
            with grpc.insecure_channel(address) as channel:
                response = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=service_name), timeout=timeout_s
                )
        except grpc.RpcError:
            return "critical"
        return "passing" if response.status == health_pb2.HealthCheckResponse.SERVING else "critical"
