"""Talking to Consul's HTTP API: addresses, py-consul clients, blocking calls off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def parse_consul_address(address: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``host:port`` or ``http(s)://host:port`` (port 8500 when absent)."""
    parsed = urllib.parse.urlsplit(address if "://" in address else f"http://{address}")
    if not parsed.hostname:
        raise ValueError(f"ARENA_CONSUL_HTTP_ADDR={address!r} has no host")
    if parsed.scheme not in ("http", "https"):
        raise ValueError(f"ARENA_CONSUL_HTTP_ADDR={address!r}: the scheme must be http or https")
    return parsed.scheme, parsed.hostname, parsed.port or 8500


def consul_client(address: str) -> Any:
    """A py-consul client (synchronous, on ``requests``) for ``host:port`` or a URL.

    py-consul reads ``CONSUL_HTTP_TOKEN`` itself; one client per thread of use, since a
    ``requests`` session is not documented as safe to share between threads.
    """
    import consul

    scheme, host, port = parse_consul_address(address)
    return consul.Consul(host=host, port=port, scheme=scheme)


def close_consul_client(client: Any) -> None:
    """Releases the pooled connections of a py-consul client (``Consul.http.close`` does not)."""
    session = getattr(getattr(client, "http", None), "session", None)
    if session is not None:
        with contextlib.suppress(Exception):
            session.close()


async def call_in_daemon_thread(function: Callable[[], T], *, name: str = "arena-consul") -> T:
    """Runs a blocking call in a new daemon thread and awaits its result.

    Not ``asyncio.to_thread``: a Consul blocking query holds its thread for up to its
    ``wait``, and the loop's default executor has only ``min(32, cpus + 4)`` threads (6 on
    a 2-core machine) shared with everything else; ``asyncio.run`` also joins that
    executor at exit, so a pending long poll would hold up a process's shutdown. A
    daemon thread does neither. Cancelling the await abandons the call (the thread ends
    when the request does). One thread per call costs ~0.1 ms, against calls that take
    from milliseconds to ``wait`` seconds.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        try:
            result, error = function(), None
        except BaseException as raised:  # handed to the awaiting task, which decides
            result, error = None, raised
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is waiting
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future


def go_duration(seconds: float) -> str:
    """A Go duration string Consul parses: ``1m``, ``5s``, ``250ms``."""
    if seconds <= 0:
        raise ValueError(f"a Consul duration must be positive, not {seconds}")
    millis = round(seconds * 1000)
    if millis % 60_000 == 0:
        return f"{millis // 60_000}m"
    if millis % 1000 == 0:
        return f"{millis // 1000}s"
    return f"{max(millis, 1)}ms"
