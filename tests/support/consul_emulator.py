"""ConsulEmulator: a contract-test double of the Consul HTTP API endpoints Arena uses.

No Consul binary (and no Docker engine) exists on the build machines, so tests talk to
this instead: a real HTTP server (stdlib ``http.server``, one thread per request) on
127.0.0.1 and a free port, speaking the documented requests and answers of:

- ``PUT /v1/agent/service/register[?replace-existing-checks]``
  https://developer.hashicorp.com/consul/api-docs/agent/service#register-service
  The JSON body is decoded as Consul does: keys case-insensitively (``ID``/``id``), with the
  snake_case aliases (``grpc_use_tls``, ``deregister_critical_service_after``), ``Check`` and
  ``Checks`` both accepted and combined; durations are Go duration strings (or nanoseconds);
  Meta values must be strings. Bad input gets ``400`` and a text message worded as Consul
  words it ("Missing service name", "Request decode failed: …", "Invalid check: …").
  ``200`` with an empty body on success. Check ids default to ``service:<id>`` (``:<n>``
  appended when there are several), names to ``Service '<name>' check``, the initial status
  to ``critical``; re-registering keeps the status of checks with the same id and, with
  ``replace-existing-checks``, drops the checks not in the new definition.
- ``PUT /v1/agent/service/deregister/<id>``
  https://developer.hashicorp.com/consul/api-docs/agent/service#deregister-service
  ``200``, or ``404`` with Consul's "Unknown service ID" message.
- ``GET /v1/agent/services``, ``GET /v1/agent/checks`` (the agent's view, for assertions) and
  ``GET /v1/status/leader``.
- ``GET /v1/health/service/<name>[?passing][&index=N&wait=D]``
  https://developer.hashicorp.com/consul/api-docs/health#list-service-instances-for-service
  Entries ``{"Node", "Service", "Checks"}`` (the node's ``serfHealth`` check included);
  ``passing`` drops an entry if any of its checks is not passing; ``X-Consul-Index`` on
  every answer; blocking queries (https://developer.hashicorp.com/consul/api-docs/features/blocking)
  hold the request while the index is <= N, up to ``wait`` (default 5m, max 10m) plus up
  to wait/16 of jitter.

Health checks are real: every registered gRPC check gets a thread that calls
``grpc.health.v1.Health/Check`` (service name = the part of ``GRPC`` after ``/``) on the
target every ``Interval``, bounded by ``Timeout`` (Consul's default 10s), and marks the check
passing (SERVING) or critical (anything else, or no answer). Differences from a real agent,
all to keep tests fast: the first check runs at once (Consul waits a random stagger of up to
one interval), and a service critical for longer than ``DeregisterCriticalServiceAfter`` is
removed within ``reap_interval_s`` (Consul enforces at least 1m and reaps every 30s). Other
check types (HTTP, TCP, TTL, ...) are accepted but not run: they keep their status unless a
test forces one.

For tests: ``requests`` / ``requests_to()`` (everything received, with parsed JSON bodies),
``registered()``, ``set_status()`` (force a check's status), ``set_node_status()``,
``transitions`` (check status changes with times), ``fail_with()`` (answer every request
with an error, as an agent without a leader does), ``send_index`` (False drops
``X-Consul-Index``), ``set_index()`` (make the index jump, e.g. backwards), ``stop()``.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

STATUSES = ("passing", "warning", "critical")
NODE_NAME = "arena-consul-emulator"
NODE_ADDRESS = "127.0.0.1"
DATACENTER = "dc1"
DEFAULT_GRPC_TIMEOUT_S = 10.0  # Consul's default for a gRPC check without Timeout
MAX_WAIT_S = 600.0
DEFAULT_WAIT_S = 300.0

_GO_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_META_KEY = re.compile(r"^[a-zA-Z0-9_-]+$")
# Fields that make a check an "interval" check (Consul's CheckType.Validate).
_INTERVAL_KINDS = ("scriptargs", "args", "http", "tcp", "udp", "grpc", "h2ping", "osservice")


class DecodeError(ValueError):
    """The body does not decode into Consul's structures (Consul: 400 "Request decode failed")."""


def parse_go_duration(value: Any) -> float:
    """Seconds in a Go duration (``"1m30s"``, ``"250ms"``, ``"0"``) or a JSON number of nanoseconds."""
    if isinstance(value, bool):
        raise DecodeError(f"cannot decode {value!r} as a duration")
    if isinstance(value, int | float):
        return value / 1e9
    if not isinstance(value, str):
        raise DecodeError(f"cannot decode {value!r} as a duration")
    text = value[1:] if value[:1] in "+-" else value
    sign = -1.0 if value.startswith("-") else 1.0
    if text == "0":
        return 0.0
    parts = _GO_DURATION_PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise DecodeError(f'time: invalid duration "{value}"')
    return sign * sum(float(number) * _UNIT_S[unit] for number, unit in parts)


def _canonical(key: str) -> str:
    """How Consul matches a JSON key to a field: case-insensitively, snake_case aliases included."""
    return key.lower().replace("_", "")


def _canonical_keys(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DecodeError(f"json: cannot unmarshal {_json_type(value)} into Go value of type {where}")
    return {_canonical(str(k)): v for k, v in value.items()}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"


def _typed(data: dict[str, Any], key: str, kind: type | tuple[type, ...], go_name: str, default: Any) -> Any:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) and kind is not bool:
        raise DecodeError(f"json: cannot unmarshal bool into Go struct field {go_name}")
    if not isinstance(value, kind):
        raise DecodeError(f"json: cannot unmarshal {_json_type(value)} into Go struct field {go_name}")
    return value


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    """One request as received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    """The parsed JSON body (the raw bytes if it was not JSON, None if empty)."""
    headers: dict[str, str]
    at: float
    """``time.monotonic()`` when it arrived."""


Recorded = RecordedRequest  # the older name


@dataclasses.dataclass(frozen=True)
class Transition:
    """A check changing status."""

    service_id: str
    check_id: str
    status: str
    at: float
    """``time.monotonic()`` of the change."""
    output: str


@dataclasses.dataclass
class CheckState:
    check_id: str
    name: str
    service_id: str
    kind: str
    """``grpc``, ``http``, ``tcp``, ``ttl``, ``script``, ``alias``, ..."""
    definition: dict[str, Any]
    """The check as received, keys canonical (lowercase, no underscores)."""
    interval_s: float
    timeout_s: float
    deregister_after_s: float
    status: str
    output: str = ""
    forced: str | None = None
    critical_since: float | None = None
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)

    def as_json(self, service: ServiceState) -> dict[str, Any]:
        definition: dict[str, Any] = {}
        if self.kind == "grpc":
            definition = {
                "GRPC": self.definition.get("grpc"),
                "GRPCUseTLS": bool(self.definition.get("grpcusetls")),
                "Interval": _format_duration(self.interval_s),
                "Timeout": _format_duration(self.timeout_s),
                "DeregisterCriticalServiceAfter": _format_duration(self.deregister_after_s),
            }
        return {
            "Node": NODE_NAME,
            "CheckID": self.check_id,
            "Name": self.name,
            "Status": self.status,
            "Notes": str(self.definition.get("notes") or ""),
            "Output": self.output,
            "ServiceID": service.id,
            "ServiceName": service.name,
            "ServiceTags": list(service.tags),
            "Type": self.kind,
            "Definition": definition,
        }


@dataclasses.dataclass
class ServiceState:
    id: str
    name: str
    address: str
    port: int
    tags: list[str]
    meta: dict[str, str]
    checks: dict[str, CheckState]
    body: dict[str, Any]
    """The registration body as received."""

    @property
    def status(self) -> str:
        """The worst status of the service's checks (passing when it has none)."""
        statuses = {c.status for c in self.checks.values()}
        return next((s for s in ("critical", "warning") if s in statuses), "passing")

    def as_json(self) -> dict[str, Any]:
        return {
            "ID": self.id,
            "Service": self.name,
            "Tags": list(self.tags),
            "Address": self.address,
            "Meta": dict(self.meta),
            "Port": self.port,
            "Weights": {"Passing": 1, "Warning": 1},
            "EnableTagOverride": False,
        }


def _format_duration(seconds: float) -> str:
    """Go's ``time.Duration.String()``: ``200ms``, ``5s``, ``1m0s``, ``1h30m0s``."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{int(hours)}h" if hours else ""
    if hours or minutes:
        text += f"{int(minutes)}m"
    return text + f"{secs:g}s"


class ConsulEmulator:
    """See the module docstring. ``ConsulEmulator().start()``; ``.address`` is ``127.0.0.1:<port>``."""

    def __init__(self, *, reap_interval_s: float = 0.05) -> None:
        self.reap_interval_s = reap_interval_s
        self.send_index = True
        """False: answers carry no ``X-Consul-Index`` (py-consul raises on that)."""
        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._transitions: list[Transition] = []
        self._services: dict[str, ServiceState] = {}
        self._node_status = "passing"
        self._fault: tuple[int, str, int | None] | None = None
        self._index = 10
        self._stopped = threading.Event()
        self._started = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.address = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.address}"
        self._threads = [
            threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="consul-emulator-http",
                daemon=True,
            ),
            threading.Thread(target=self._reap_loop, name="consul-emulator-reaper", daemon=True),
        ]

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> ConsulEmulator:
        self._started = True
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stops answering (new connections are refused, held blocking queries are dropped)."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        with self._lock:
            for service in self._services.values():
                for check in service.checks.values():
                    check.stop.set()
            self._lock.notify_all()
        if self._started:
            self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=5)

    def __enter__(self) -> ConsulEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- for tests --------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, prefix: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path starts with ``prefix`` (and of ``method``, if given)."""
        return [r for r in self.requests if r.path.startswith(prefix) and (method is None or r.method == method)]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    @property
    def transitions(self) -> list[Transition]:
        with self._lock:
            return list(self._transitions)

    @property
    def index(self) -> int:
        with self._lock:
            return self._index

    def registered(self) -> dict[str, dict[str, Any]]:
        """Registered services by id: name, address, port, tags, meta, status, checks (by id)."""
        with self._lock:
            return {
                s.id: {
                    "name": s.name,
                    "address": s.address,
                    "port": s.port,
                    "tags": list(s.tags),
                    "meta": dict(s.meta),
                    "status": s.status,
                    "checks": {c.check_id: c.as_json(s) for c in s.checks.values()},
                }
                for s in self._services.values()
            }

    def passing(self, name: str) -> list[str]:
        """Ids of the instances of ``name`` that ``?passing`` would return now."""
        with self._lock:
            return [e["Service"]["ID"] for e in self._entries(name, passing_only=True)]

    def set_status(self, service_id: str, status: str | None, check_id: str | None = None) -> None:
        """Forces the status of a service's checks (or of one), or None to return to real checks."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        with self._lock:
            service = self._services[service_id]
            for check in service.checks.values():
                if check_id is None or check.check_id == check_id:
                    check.forced = status
                    if status is not None:
                        self._set_check(service, check, status, f"forced {status} by the test")

    def set_node_status(self, status: str) -> None:
        """The node's ``serfHealth`` check (critical: every entry leaves ``?passing``)."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        with self._lock:
            if status != self._node_status:
                self._node_status = status
                self._bump()

    def fail_with(
        self,
        status: int | None,
        message: str = "rpc error making call: No cluster leader",
        *,
        times: int | None = None,
    ) -> None:
        """Answers requests with ``status`` and ``message``: the next ``times`` ones, or all until called with None."""
        with self._lock:
            self._fault = None if status is None else (status, message, times)

    def set_index(self, index: int) -> None:
        """Sets the index (lower than before: what clients see after a Consul snapshot restore)."""
        with self._lock:
            self._index = index
            self._lock.notify_all()

    # -- HTTP -------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "Consul-emulator"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_PUT(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_DELETE(self) -> None:
                self._serve()

            def _serve(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                path = urllib.parse.unquote(parsed.path)
                emulator._record(RecordedRequest(self.command, path, query, body, dict(self.headers), time.monotonic()))
                answer = emulator._route(self.command, path, query, body, raw)
                if answer is None or emulator._stopped.is_set():  # gone: drop the connection unanswered
                    self.close_connection = True
                    return
                status, payload, headers = answer
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, raw: bytes
    ) -> tuple[int, Any, dict[str, str]] | None:
        text = {"Content-Type": "text/plain; charset=utf-8"}
        with self._lock:
            fault = self._fault
            if fault is not None and fault[2] is not None:
                self._fault = (fault[0], fault[1], fault[2] - 1) if fault[2] > 1 else None
        if fault is not None:
            return fault[0], fault[1].encode(), text
        if path == "/v1/agent/service/register":
            if method != "PUT":
                return 405, b"method not allowed", text
            status, message = self._register(raw, query)
            return status, message.encode(), text
        if path.startswith("/v1/agent/service/deregister/"):
            if method != "PUT":
                return 405, b"method not allowed", text
            service_id = path.removeprefix("/v1/agent/service/deregister/")
            if self._deregister(service_id):
                return 200, b"", text
            message = f'Unknown service ID "{service_id}". Ensure that the service ID is passed, not the service name.'
            return 404, message.encode(), text
        if method == "GET" and path == "/v1/agent/services":
            with self._lock:
                services = {s.id: {**s.as_json(), "Datacenter": DATACENTER} for s in self._services.values()}
            return 200, services, {"Content-Type": "application/json"}
        if method == "GET" and path == "/v1/agent/checks":
            with self._lock:
                checks = {c.check_id: c.as_json(s) for s in self._services.values() for c in s.checks.values()}
            return 200, checks, {"Content-Type": "application/json"}
        if method == "GET" and path == "/v1/status/leader":
            return 200, "127.0.0.1:8300", {"Content-Type": "application/json"}
        if path.startswith("/v1/health/service/"):
            if method != "GET":
                return 405, b"method not allowed", text
            return self._health(path.removeprefix("/v1/health/service/"), query)
        return 404, b"404 page not found", text

    # -- the API ----------------------------------------------------------------------------

    def _bump(self) -> None:
        """One more change (call with the lock held)."""
        self._index += 1
        self._lock.notify_all()

    def _register(self, raw: bytes, query: dict[str, list[str]]) -> tuple[int, str]:
        try:
            body = json.loads(raw) if raw else None
            service, replace = self._decode_registration(body, query)
        except (DecodeError, ValueError) as error:
            return 400, f"Request decode failed: {error}"
        except _Rejected as rejected:
            return 400, str(rejected)
        with self._lock:
            previous = self._services.get(service.id)
            if previous is not None:
                for check_id, check in previous.checks.items():
                    if check_id in service.checks:
                        new = service.checks[check_id]
                        new.status, new.output, new.critical_since = (
                            check.status,
                            check.output,
                            check.critical_since,
                        )
                        new.forced = check.forced
                    elif not replace:
                        service.checks[check_id] = check
                        continue
                    check.stop.set()
            self._services[service.id] = service
            self._bump()
            runners = [c for c in service.checks.values() if c.kind == "grpc" and not c.stop.is_set()]
        for check in runners:
            if previous is None or previous.checks.get(check.check_id) is not check:
                threading.Thread(
                    target=self._run_grpc_check,
                    args=(service.id, check),
                    name=f"check-{check.check_id}",
                    daemon=True,
                ).start()
        return 200, ""

    def _decode_registration(self, body: Any, query: dict[str, list[str]]) -> tuple[ServiceState, bool]:
        data = _canonical_keys(body, "structs.ServiceDefinition")
        name = _typed(data, "name", str, "ServiceDefinition.Name of type string", "")
        service_id = _typed(data, "id", str, "ServiceDefinition.ID of type string", "") or name
        address = _typed(data, "address", str, "ServiceDefinition.Address of type string", "")
        port = _typed(data, "port", int, "ServiceDefinition.Port of type int", 0)
        tags = _typed(data, "tags", list, "ServiceDefinition.Tags of type []string", [])
        if not all(isinstance(t, str) for t in tags):
            raise DecodeError("json: cannot unmarshal into Go struct field ServiceDefinition.Tags of type string")
        meta = _typed(data, "meta", dict, "ServiceDefinition.Meta of type map[string]string", {})
        for value in meta.values():
            if not isinstance(value, str):
                raise DecodeError(
                    f"json: cannot unmarshal {_json_type(value)} into Go struct field "
                    "ServiceDefinition.Meta of type string"
                )
        raw_checks: list[Any] = []
        if data.get("check") is not None:
            raw_checks.append(data["check"])
        raw_checks.extend(_typed(data, "checks", list, "ServiceDefinition.Checks of type structs.CheckTypes", []))
        decoded = [_canonical_keys(c, "structs.CheckType") for c in raw_checks if c is not None]
        decoded = [c for c in decoded if any(v not in (None, "", 0, False, [], {}) for v in c.values())]

        if not name:
            raise _Rejected("Missing service name")
        if address in ("0.0.0.0", "::", "[::]"):
            raise _Rejected("Invalid service address")
        _validate_meta(meta)
        if not 0 <= port <= 65535:
            raise _Rejected(f"Validation failed: invalid port {port}")
        checks: dict[str, CheckState] = {}
        for position, check in enumerate(decoded, start=1):
            state = self._decode_check(check, service_id, name, position, len(decoded))
            checks[state.check_id] = state
        replace_values = query.get("replace-existing-checks")
        replace = bool(replace_values) and replace_values[0] in ("", "true")
        return ServiceState(service_id, name, address, port, list(tags), dict(meta), checks, body), replace

    @staticmethod
    def _decode_check(check: dict[str, Any], service_id: str, name: str, position: int, count: int) -> CheckState:
        durations = {}
        for key in ("interval", "timeout", "ttl", "deregistercriticalserviceafter"):
            durations[key] = parse_go_duration(check[key]) if check.get(key) not in (None, "") else 0.0
        for key in ("grpcusetls", "tlsskipverify"):
            _typed(check, key, bool, f"CheckType.{key} of type bool", False)
        for key in (
            "grpc",
            "http",
            "tcp",
            "udp",
            "h2ping",
            "osservice",
            "status",
            "checkid",
            "id",
            "name",
            "notes",
        ):
            _typed(check, key, str, f"CheckType.{key} of type string", "")
        status = check.get("status") or "critical"
        if status not in STATUSES:
            raise _Rejected("Status for checks must 'passing', 'warning', 'critical'")
        interval_check = any(check.get(kind) for kind in _INTERVAL_KINDS)
        alias = bool(check.get("aliasservice") or check.get("aliasnode"))
        if durations["interval"] > 0 and durations["ttl"] > 0:
            raise _Rejected("Invalid check: Interval and TTL cannot both be specified")
        if interval_check and durations["interval"] <= 0:
            raise _Rejected(
                "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks"
            )
        if not interval_check and not alias and durations["ttl"] <= 0:
            raise _Rejected("Invalid check: TTL must be > 0 for TTL checks")
        kind = next((k for k in ("grpc", "http", "tcp", "udp", "h2ping", "osservice") if check.get(k)), None)
        if kind is None:
            kind = "script" if check.get("args") or check.get("scriptargs") else ("alias" if alias else "ttl")
        check_id = (
            check.get("checkid") or check.get("id") or (f"service:{service_id}" + (f":{position}" if count > 1 else ""))
        )
        timeout_s = durations["timeout"] or (DEFAULT_GRPC_TIMEOUT_S if kind == "grpc" else 0.0)
        return CheckState(
            check_id=check_id,
            name=check.get("name") or f"Service '{name}' check",
            service_id=service_id,
            kind=kind,
            definition=check,
            interval_s=durations["interval"],
            timeout_s=timeout_s,
            deregister_after_s=durations["deregistercriticalserviceafter"],
            status=status,
            critical_since=time.monotonic() if status == "critical" else None,
        )

    def _deregister(self, service_id: str) -> bool:
        with self._lock:
            service = self._services.pop(service_id, None)
            if service is None:
                return False
            for check in service.checks.values():
                check.stop.set()
            self._bump()
            return True

    def _health(self, name: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]] | None:
        text = {"Content-Type": "text/plain; charset=utf-8"}
        passing_values = query.get("passing")
        passing_only = False
        if passing_values is not None:
            value = passing_values[0]
            if value.lower() in ("", "1", "t", "true"):
                passing_only = True
            elif value.lower() not in ("0", "f", "false"):
                return 400, b"Invalid value for ?passing", text
        try:
            wanted = int(query.get("index", ["0"])[0])
            if wanted < 0:
                raise ValueError
        except ValueError:
            return 400, b"Invalid index", text
        try:
            wait_s = parse_go_duration(query["wait"][0]) if "wait" in query else DEFAULT_WAIT_S
        except DecodeError:
            return 400, b"Invalid wait time", text
        with self._lock:
            if wanted > 0:
                wait_s = min(wait_s, MAX_WAIT_S)
                wait_s += random.uniform(0, wait_s / 16)
                self._lock.wait_for(lambda: self._index > wanted or self._stopped.is_set(), timeout=wait_s)
                if self._stopped.is_set():
                    return None
            entries = self._entries(name, passing_only)
            index = self._index
        headers = {
            "Content-Type": "application/json",
            "X-Consul-Knownleader": "true",
            "X-Consul-Lastcontact": "0",
        }
        if self.send_index:
            headers["X-Consul-Index"] = str(index)
        return 200, entries, headers

    def _entries(self, name: str, passing_only: bool) -> list[dict[str, Any]]:
        """Health entries of ``name`` (call with the lock held)."""
        node = {
            "ID": "00000000-0000-0000-0000-000000000001",
            "Node": NODE_NAME,
            "Address": NODE_ADDRESS,
            "Datacenter": DATACENTER,
            "TaggedAddresses": {"lan": NODE_ADDRESS, "wan": NODE_ADDRESS},
            "Meta": {},
        }
        serf = {
            "Node": NODE_NAME,
            "CheckID": "serfHealth",
            "Name": "Serf Health Status",
            "Status": self._node_status,
            "Notes": "",
            "Output": "Agent alive and reachable",
            "ServiceID": "",
            "ServiceName": "",
            "ServiceTags": [],
            "Type": "",
            "Definition": {},
        }
        entries = []
        for service in sorted(self._services.values(), key=lambda s: s.id):
            if service.name != name:
                continue
            checks = [serf, *(c.as_json(service) for c in service.checks.values())]
            if passing_only and any(c["Status"] != "passing" for c in checks):
                continue
            entries.append({"Node": node, "Service": service.as_json(), "Checks": checks})
        return entries

    # -- health checking --------------------------------------------------------------------

    def _set_check(self, service: ServiceState, check: CheckState, status: str, output: str) -> None:
        """Records a check result (call with the lock held); a status change moves the index."""
        check.output = output
        if status == check.status:
            return
        check.status = status
        check.critical_since = time.monotonic() if status == "critical" else None
        self._transitions.append(Transition(service.id, check.check_id, status, time.monotonic(), output))
        self._bump()

    def _run_grpc_check(self, service_id: str, check: CheckState) -> None:
        while not check.stop.is_set():
            if check.forced is None:
                status, output = self._probe(check)
                with self._lock:
                    service = self._services.get(service_id)
                    if check.stop.is_set() or service is None or service.checks.get(check.check_id) is not check:
                        return
                    if check.forced is None:
                        self._set_check(service, check, status, output)
            check.stop.wait(check.interval_s)

    @staticmethod
    def _probe(check: CheckState) -> tuple[str, str]:
        target = str(check.definition.get("grpc"))
        address, _, service_name = target.partition("/")
        credentials = grpc.ssl_channel_credentials() if check.definition.get("grpcusetls") else None
        try:
            channel = grpc.secure_channel(address, credentials) if credentials else grpc.insecure_channel(address)
            with channel:
                response = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=service_name), timeout=check.timeout_s
                )
        except grpc.RpcError as error:
            return "critical", f"gRPC check {target}: failed with {error.code().name}: {error.details()}"
        except Exception as error:  # a malformed target, for instance
            return "critical", f"gRPC check {target}: {error!r}"
        serving = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
        if response.status == health_pb2.HealthCheckResponse.SERVING:
            return "passing", f"gRPC check {target}: success"
        return "critical", f"gRPC check {target}: failed with status {serving}"

    def _reap_loop(self) -> None:
        while not self._stopped.wait(self.reap_interval_s):
            now = time.monotonic()
            with self._lock:
                for service in list(self._services.values()):
                    for check in service.checks.values():
                        if (
                            check.deregister_after_s > 0
                            and check.status == "critical"
                            and check.critical_since is not None
                            and now - check.critical_since > check.deregister_after_s
                        ):
                            del self._services[service.id]
                            for each in service.checks.values():
                                each.stop.set()
                            self._bump()
                            break


class _Rejected(Exception):
    """Consul refuses the registration with 400 and this message."""


def _validate_meta(meta: dict[str, str]) -> None:
    """Consul's ``ValidateServiceMetadata`` limits."""
    if len(meta) > 64:
        raise _Rejected("Invalid Service Meta: Node metadata cannot contain more than 64 key/value pairs")
    for key, value in meta.items():
        if not key:
            raise _Rejected("Invalid Service Meta: Key cannot be blank")
        if len(key) > 128:
            raise _Rejected(f"Invalid Service Meta: Key is too long (limit: 128 characters): {key!r}")
        if not _META_KEY.match(key):
            raise _Rejected(f"Invalid Service Meta: Key contains invalid characters: {key!r}")
        if key.startswith("consul-"):
            raise _Rejected(f"Invalid Service Meta: Key prefix 'consul-' is reserved for internal use: {key!r}")
        if len(value) > 512:
            raise _Rejected(f"Invalid Service Meta: Value is too long (limit: 512 characters): {key!r}")
