"""A small TCP proxy that adds latency and fails a share of connections.

This kernel has no ``netem``, so latency and loss for a host come from here: the proxy sits
between callers and one upstream address. At TCP level it cannot see gRPC calls (HTTP/2
multiplexes them on one connection), so what it can do is per connection and per chunk:

- ``delay_s``: every chunk read from either side is forwarded ``delay_s`` after it arrived
  (order kept, reads not blocked, so throughput is not capped by the delay): a request and
  its answer each wait once, a round trip gains ``2 x delay_s``.
- ``fail_share``: that share of new connections is reset at once (a caller sees a connect
  failure / reset, as from a flaky host). Which ones is decided by a seeded random draw.
- ``chunk_fail_share``: each chunk a caller sends resets its connection with this
  probability (every call in flight on it fails: "a share of failed calls" for HTTP/2).
- ``refuse``: every new connection is reset (a dead dependency that still accepts SYNs);
  existing ones are cut too when it is set.

Counts (connections accepted, reset, bytes each way) tell a scenario what the proxy saw.
Envoy's fault filter is the other way to add delay and aborts per request; it lives in
Envoy's config (generated, shared), so the fault suite uses this proxy instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import threading
import time
from collections.abc import Iterator


@dataclasses.dataclass
class ProxyStats:
    connections: int = 0
    reset: int = 0
    chunks_failed: int = 0
    bytes_up: int = 0
    bytes_down: int = 0


class FaultProxy:
    """Listens on ``listen_host:listen_port`` (0: a free one) and forwards to ``upstream``."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        delay_s: float = 0.0,
        fail_share: float = 0.0,
        chunk_fail_share: float = 0.0,
        seed: int = 16,
    ) -> None:
        if delay_s < 0:
            raise ValueError("delay_s must be >= 0")
        if not (0.0 <= fail_share <= 1.0 and 0.0 <= chunk_fail_share <= 1.0):
            raise ValueError("fail_share and chunk_fail_share must be within [0, 1]")
        self.upstream = (upstream_host, upstream_port)
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.delay_s = delay_s
        self.fail_share = fail_share
        self.chunk_fail_share = chunk_fail_share
        self.refuse = False
        self.stats = ProxyStats()
        self._random = random.Random(seed)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, self.listen_host, self.listen_port)
        self.listen_port = self._server.sockets[0].getsockname()[1]
        return self.listen_port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self.cut()
            await self._server.wait_closed()
            self._server = None

    def cut(self) -> None:
        """Resets every open connection."""
        for writer in list(self._open):
            _reset(writer)

    def set_refuse(self, refuse: bool) -> None:
        self.refuse = refuse
        if refuse:
            self.cut()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        if self.refuse or (self.fail_share and self._random.random() < self.fail_share):
            self.stats.reset += 1
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(*self.upstream), 5.0)
        except (OSError, TimeoutError):
            self.stats.reset += 1
            _reset(writer)
            return
        self._open.update((writer, up_writer))
        try:
            results = await asyncio.gather(
                self._pipe(reader, up_writer, up=True), self._pipe(up_reader, writer, up=False), return_exceptions=True
            )
            if any(isinstance(r, BaseException) for r in results):
                _reset(writer)
                _reset(up_writer)
        finally:
            self._open.difference_update((writer, up_writer))
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    w.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, up: bool) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def forward() -> None:
            while True:
                due, chunk = await queue.get()
                if not chunk:
                    with contextlib.suppress(OSError, RuntimeError):
                        writer.write_eof()
                    return
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(chunk)
                await writer.drain()

        forwarder = asyncio.create_task(forward())
        try:
            while True:
                chunk = await reader.read(65536)
                if up:
                    self.stats.bytes_up += len(chunk)
                    if chunk and self.chunk_fail_share and self._random.random() < self.chunk_fail_share:
                        self.stats.chunks_failed += 1
                        raise ConnectionResetError("the fault proxy failed this chunk")
                else:
                    self.stats.bytes_down += len(chunk)
                queue.put_nowait((time.monotonic() + self.delay_s, chunk))
                if not chunk:
                    break
            await forwarder
        except (OSError, asyncio.IncompleteReadError):
            forwarder.cancel()
            _reset(writer)
            raise
        finally:
            if not forwarder.done():
                forwarder.cancel()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Closes with RST (SO_LINGER 0), as a failing host would, rather than an orderly FIN."""
    import socket
    import struct

    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(Exception):
        writer.transport.abort()


class ProxyThread:
    """A ``FaultProxy`` on its own event loop in a thread, for synchronous scenario code."""

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)

    def start(self) -> int:
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self.proxy.start(), self._loop).result(10)

    def call(self, function: object, *args: object) -> None:
        self._loop.call_soon_threadsafe(function, *args)  # type: ignore[arg-type]

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.proxy.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@contextlib.contextmanager
def running_proxy(proxy: FaultProxy) -> Iterator[ProxyThread]:
    thread = ProxyThread(proxy)
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()
