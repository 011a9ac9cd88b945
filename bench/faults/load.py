"""Steady REST load through the edge, counting what happened to every request.

Each of ``connections`` workers keeps one HTTP/1.1 keep-alive connection (httpx) and sends
the mix's requests in turn, paced so that all workers together send ``rate_per_s`` (a
worker whose answer came late sends its next request at once, never two at a time). The
run is bounded by ``max_requests`` and ``duration_s``, whichever comes first, and every
request by ``timeout_s``.

Each request ends as exactly one of:

- succeeded: a 2xx answer;
- failed: an answer that is not 2xx (counted by HTTP status and the gRPC code in the JSON
  ``google.rpc.Status`` body), or a transport error (connection refused or reset);
- lost: no answer within ``timeout_s``.

With ``client_attempts`` > 1 an idempotent request answered 503 (UNAVAILABLE) is tried again
by the client, up to that many attempts (the attempts count apart: ``attempts``).

The time line of failures gives the recovery time: from the fault (``mark``) to the last
failure, and from the first failure to the last.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx

GRPC_CODES = {
    0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
    6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION", 10: "ABORTED",
    11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Call:
    """One kind of request of the mix."""

    name: str
    method: str
    path: str
    body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    idempotent: bool = True


@dataclasses.dataclass
class LoadStats:
    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    lost: int = 0
    attempts: int = 0
    failures: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    by_call: dict[str, collections.Counter[str]] = dataclasses.field(default_factory=dict)
    failure_times: list[float] = dataclasses.field(default_factory=list)
    """Monotonic times of failed and lost requests (when their answer or timeout came)."""
    latencies_s: list[float] = dataclasses.field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    marks: dict[str, float] = dataclasses.field(default_factory=dict)
    """Named moments (monotonic) a scenario set: ``fault``, ``heal``..."""

    @property
    def bad(self) -> int:
        return self.failed + self.lost

    @property
    def failed_share(self) -> float:
        return self.bad / self.sent if self.sent else 0.0

    def failures_between(self, start: float, end: float = float("inf")) -> int:
        return sum(1 for t in self.failure_times if start <= t < end)

    def recovery_s(self, since: str = "fault") -> float | None:
        """From the mark (default ``fault``) to the last failure after it; None without failures."""
        start = self.marks.get(since, self.started)
        after = [t for t in self.failure_times if t >= start]
        return max(after) - start if after else None

    def burst_s(self) -> float | None:
        """From the first failure to the last."""
        return max(self.failure_times) - min(self.failure_times) if self.failure_times else None

    def p(self, fraction: float) -> float:
        values = sorted(self.latencies_s)
        if not values:
            return 0.0
        return values[min(len(values) - 1, round(fraction * (len(values) - 1)))]

    def summary(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "lost": self.lost,
            "attempts": self.attempts,
            "failures": dict(self.failures),
            "duration_s": round(self.ended - self.started, 2),
            "p50_ms": round(self.p(0.5) * 1000, 2),
            "p99_ms": round(self.p(0.99) * 1000, 2),
            "max_ms": round(max(self.latencies_s, default=0.0) * 1000, 2),
        }


def classify(response: httpx.Response) -> str:
    """``503 UNAVAILABLE``: the HTTP status and the gRPC code of a JSON error body (when it has one)."""
    code = ""
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("code"), int):
            code = GRPC_CODES.get(body["code"], str(body["code"]))
    return f"{response.status_code} {code}".strip()


class LoadGenerator:
    def __init__(
        self,
        base_url: str,
        calls: Sequence[Call],
        *,
        rate_per_s: float = 100.0,
        connections: int = 8,
        timeout_s: float = 5.0,
        duration_s: float = 10.0,
        max_requests: int = 100_000,
        client_attempts: int = 1,
        on_success: Callable[[Call, httpx.Response], None] | None = None,
    ) -> None:
        if not calls:
            raise ValueError("the mix needs at least one call")
        if rate_per_s <= 0 or connections <= 0 or timeout_s <= 0 or duration_s <= 0 or max_requests <= 0:
            raise ValueError("rate, connections, timeout, duration and max_requests must be positive")
        if client_attempts < 1:
            raise ValueError("client_attempts must be at least 1")
        self.base_url = base_url
        self.calls = list(calls)
        self.rate_per_s = rate_per_s
        self.connections = connections
        self.timeout_s = timeout_s
        self.duration_s = duration_s
        self.max_requests = max_requests
        self.client_attempts = client_attempts
        self.on_success = on_success
        """Called with every 2xx answer (on the load's event loop thread)."""
        self.stats = LoadStats()
        self._stop = threading.Event()
        self._next = 0

    def stop(self) -> None:
        """Ends the run early (from any thread); requests in flight still finish."""
        self._stop.set()

    def mark(self, name: str) -> None:
        self.stats.marks[name] = time.monotonic()

    async def run(self) -> LoadStats:
        stats = self.stats
        stats.started = time.monotonic()
        deadline = stats.started + self.duration_s
        interval = self.connections / self.rate_per_s
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        clients = [
            httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout_s, limits=limits, trust_env=False)
            for _ in range(self.connections)
        ]
        try:
            await asyncio.gather(
                *(
                    self._worker(client, stats.started + i * interval / self.connections, interval, deadline)
                    for i, client in enumerate(clients)
                )
            )
        finally:
            for client in clients:
                await client.aclose()
        stats.ended = time.monotonic()
        return stats

    def _take(self) -> Call | None:
        if self._stop.is_set() or self.stats.sent >= self.max_requests:
            return None
        call = self.calls[self._next % len(self.calls)]
        self._next += 1
        self.stats.sent += 1
        return call

    async def _worker(self, client: httpx.AsyncClient, due: float, interval: float, deadline: float) -> None:
        while True:
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if time.monotonic() >= deadline:
                return
            call = self._take()
            if call is None:
                return
            await self._one(client, call)
            due = max(due + interval, time.monotonic() - interval)  # never burst to catch up

    async def _one(self, client: httpx.AsyncClient, call: Call) -> None:
        stats = self.stats
        counter = stats.by_call.setdefault(call.name, collections.Counter())
        started = time.monotonic()
        outcome = ""
        attempts = self.client_attempts if call.idempotent else 1
        for attempt in range(attempts):
            stats.attempts += 1
            try:
                response = await client.request(call.method, call.path, json=call.body, headers=dict(call.headers))
            except httpx.TimeoutException:
                outcome = "lost"
                break
            except httpx.TransportError as error:
                outcome = f"transport {type(error).__name__}"
                break
            if response.is_success:
                outcome = "ok"
                if self.on_success is not None:
                    self.on_success(call, response)
                break
            outcome = classify(response)
            if response.status_code != 503 or attempt + 1 == attempts:
                break
            await asyncio.sleep(0.05 * 2**attempt)
        now = time.monotonic()
        counter[outcome] += 1
        if outcome == "ok":
            stats.succeeded += 1
            stats.latencies_s.append(now - started)
            return
        stats.failure_times.append(now)
        stats.failures[outcome] += 1
        if outcome == "lost":
            stats.lost += 1
        else:
            stats.failed += 1


class BackgroundLoad:
    """A ``LoadGenerator`` running on its own event loop in a thread while scenario code acts."""

    def __init__(self, generator: LoadGenerator) -> None:
        self.generator = generator
        self._result: LoadStats | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="fault-load", daemon=True)

    def _main(self) -> None:
        try:
            self._result = asyncio.run(self.generator.run())
        except BaseException as error:  # reported by wait()
            self._error = error

    def start(self) -> BackgroundLoad:
        self._thread.start()
        return self

    def mark(self, name: str) -> None:
        self.generator.mark(name)

    @property
    def stats(self) -> LoadStats:
        return self.generator.stats

    def wait(self, timeout_s: float | None = None) -> LoadStats:
        """Waits for the run to end by itself (its duration or count); returns its counts."""
        self._thread.join(
            timeout_s if timeout_s is not None else self.generator.duration_s + 2 * self.generator.timeout_s + 30
        )
        if self._thread.is_alive():
            self.generator.stop()
            self._thread.join(self.generator.timeout_s * 2 + 10)
        if self._error is not None:
            raise self._error
        assert self._result is not None, "the load thread did not finish"
        return self._result

    def stop(self) -> LoadStats:
        self.generator.stop()
        return self.wait()


@contextlib.contextmanager
def background(generator: LoadGenerator) -> Iterator[BackgroundLoad]:
    load = BackgroundLoad(generator).start()
    try:
        yield load
    finally:
        if load._thread.is_alive():
            load.generator.stop()
            load._thread.join(generator.timeout_s * 2 + 10)
