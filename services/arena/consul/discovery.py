"""Discovery through Consul's health API: passing instances, cached, refreshed by blocking queries."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
from typing import Any, cast

import structlog

from arena.consul.client import (
    call_in_daemon_thread,
    close_consul_client,
    consul_client,
    go_duration,
    parse_consul_address,
)
from arena.kit.discovery import Instance
from arena.kit.services import WEB_PORT_OFFSET

log = structlog.get_logger("arena.discovery")

_Answer = tuple[str | None, list[dict[str, Any]]]
"""What a health query returns: the X-Consul-Index header (if any) and the entries."""


def instances_from_health(service: str, entries: object) -> list[Instance]:
    """Instances from Consul's ``GET /v1/health/service/<name>`` answer, sorted by instance id.

    ``Service.Address`` falls back to ``Node.Address`` (Consul's documented rule for an empty
    service address); ``web_port`` and ``version`` come from ``Service.Meta`` (Meta values are
    strings), ``web_port`` defaulting to the platform's convention (gRPC port + 1000) for
    instances registered without it. Entries without a usable port or address are skipped.
    """
    found = []
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        node, registered = entry.get("Node") or {}, entry.get("Service") or {}
        meta = registered.get("Meta") or {}
        address = registered.get("Address") or node.get("Address")
        try:
            grpc_port = int(registered["Port"])
            web_port = int(meta.get("web_port") or grpc_port + WEB_PORT_OFFSET)
        except (KeyError, TypeError, ValueError):
            grpc_port = web_port = 0
        if not address or not 0 < grpc_port < 65536 or not 0 < web_port < 65536:
            log.warning("ignoring a Consul entry without a usable address or port", service=service, entry=registered)
            continue
        found.append(
            Instance(
                service=service,
                instance_id=str(registered.get("ID") or f"{service}-{address}-{grpc_port}"),
                address=str(address),
                grpc_port=grpc_port,
                web_port=web_port,
                version=str(meta.get("version") or ""),
            )
        )
    # Service IDs are unique per agent only: the address and port break ties across nodes.
    return sorted(found, key=lambda i: (i.instance_id, i.address, i.grpc_port))


class _MissingIndex(Exception):
    """The agent answered without ``X-Consul-Index``: no blocking queries possible."""


@dataclasses.dataclass
class _Watch:
    ready: asyncio.Event
    instances: list[Instance] = dataclasses.field(default_factory=list)
    task: asyncio.Task[None] | None = None
    client: Any = None


class ConsulDiscovery:
    """Passing instances from Consul's health API, cached per service and refreshed in the background.

    The first ``instances(name)`` starts a watcher for ``name`` and waits (at most
    ``first_answer_s``) for its first answer; later calls are answered from the cache.

    Refresh by blocking queries (``GET /v1/health/service/<name>?passing=1&index=N&wait=…``),
    not periodic polling: a change (an instance registered, deregistered, or a check turning
    critical) arrives as soon as Consul sees it rather than up to a poll period later, and an
    idle platform costs one held request per watched service every ``wait_s`` instead of a
    request per service per period. Per Consul's blocking-query rules, the index is reset
    when it goes backwards, kept at least 1, and queries are spaced by at least
    ``_MIN_SPACING_S`` (a flapping index cannot become a busy loop).

    Failures never fail a call: on any Consul error the last known instances keep being
    served (a warning is logged when the streak starts, info when it ends) and the query is
    retried after ``refresh_s``, doubling up to ``_MAX_BACKOFF_S``. An answer without
    ``X-Consul-Index`` (py-consul raises on it; a header-stripping proxy can cause it)
    switches that service to plain polling every ``refresh_s`` until the header comes back.
    """

    source = "consul"
    _MIN_SPACING_S = 0.1
    _MAX_BACKOFF_S = 30.0

    def __init__(
        self, http_addr: str, *, refresh_s: float = 1.0, wait_s: float = 30.0, first_answer_s: float = 5.0
    ) -> None:
        parse_consul_address(http_addr)  # a bad address fails now, not in a background task
        if refresh_s <= 0 or first_answer_s <= 0:
            raise ValueError("refresh_s and first_answer_s must be positive")
        if not 0 < wait_s <= 600:
            raise ValueError("wait_s must be in (0, 600]: Consul caps a blocking query's wait at 10 minutes")
        self._address = http_addr
        self._refresh_s = refresh_s
        self._wait = go_duration(wait_s)
        self._first_answer_s = first_answer_s
        self._watches: dict[str, _Watch] = {}
        self._closed = False

    async def instances(self, service: str) -> list[Instance]:
        watch = self._watches.get(service)
        if watch is None:
            if self._closed:
                return []
            watch = self._watches[service] = _Watch(ready=asyncio.Event())
            watch.task = asyncio.create_task(self._watch(service, watch), name=f"consul-watch-{service}")
        if not watch.ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watch.ready.wait(), timeout=self._first_answer_s)
        return list(watch.instances)

    async def close(self) -> None:
        self._closed = True
        watches = list(self._watches.values())
        for watch in watches:
            if watch.task is not None:
                watch.task.cancel()
        for watch in watches:
            if watch.task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await watch.task
            close_consul_client(watch.client)

    # -- the watcher ---------------------------------------------------------------------------

    def _blocking_query(self, client: Any, service: str, index: int) -> tuple[str | None, list[dict[str, Any]]]:
        """py-consul's health query; ``index`` 0 asks without blocking."""
        from consul import ConsulException

        try:
            if index:
                answer = client.health.service(service, passing=True, index=index, wait=self._wait)
            else:
                answer = client.health.service(service, passing=True)
        except ConsulException as error:
            if str(error).startswith("Missing index header"):
                raise _MissingIndex(str(error)) from error
            raise
        return cast(_Answer, answer)

    @staticmethod
    def _polling_query(client: Any, service: str) -> tuple[str | None, list[dict[str, Any]]]:
        """The same request, reading the index header if present instead of requiring it."""
        from consul.callback import CB

        decode = CB.json()  # py-consul's status checks and JSON decoding, without the index rule

        def answer(response: Any) -> tuple[str | None, list[dict[str, Any]]]:
            return response.headers.get("X-Consul-Index"), decode(response)

        return cast(
            _Answer,
            client.http.get(
                answer,
                f"/v1/health/service/{service}",
                params=[("passing", "1")],
                headers=client.prepare_headers(),
            ),
        )

    async def _watch(self, service: str, watch: _Watch) -> None:
        loop = asyncio.get_running_loop()
        watch.client = client = consul_client(self._address)
        index = 0
        polling = False
        failures = 0
        while True:
            started = loop.time()
            try:
                if polling:
                    query = functools.partial(self._polling_query, client, service)
                else:
                    query = functools.partial(self._blocking_query, client, service, index)
                raw_index, entries = await call_in_daemon_thread(query, name=f"consul-{service}")
            except _MissingIndex:
                log.warning(
                    "consul answered without X-Consul-Index; polling instead of blocking queries",
                    service=service,
                    refresh_s=self._refresh_s,
                )
                polling, index = True, 0
                continue
            except Exception as error:
                failures += 1
                if failures == 1:
                    log.warning(
                        "consul query failed; serving the last known instances",
                        service=service,
                        instances=[i.instance_id for i in watch.instances],
                        error=repr(error),
                    )
                else:
                    log.debug("consul query failed again", service=service, failures=failures, error=repr(error))
                watch.ready.set()
                index = 0
                await asyncio.sleep(min(self._refresh_s * 2 ** min(failures - 1, 10), self._MAX_BACKOFF_S))
                continue
            if failures:
                log.info("consul reachable again", service=service, failed_queries=failures)
                failures = 0
            found = instances_from_health(service, entries)
            if found != watch.instances:
                log.info("instances changed", service=service, instances=[i.instance_id for i in found])
                watch.instances = found
            watch.ready.set()

            new_index = _parse_index(raw_index)
            if polling and new_index is not None:
                log.info("consul sends X-Consul-Index again; back to blocking queries", service=service)
                polling = False
            if polling:
                await asyncio.sleep(self._refresh_s)
                continue
            if new_index is None:  # unreadable header value: poll without blocking
                index = 0
                await asyncio.sleep(self._refresh_s)
                continue
            # Consul's rules for blocking-query clients: reset when the index goes backwards
            # (a snapshot restore, a new cluster); never block with an index below 1.
            index = 0 if new_index < index else max(new_index, 1)
            await asyncio.sleep(max(0.0, self._MIN_SPACING_S - (loop.time() - started)))


def _parse_index(raw: Any) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None
