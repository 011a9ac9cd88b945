"""The fault suite's TCP proxy: delay, reset connections, reset chunks, refuse."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from bench.faults.proxy import FaultProxy


@pytest.fixture
async def echo() -> AsyncIterator[int]:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def round_trip(port: int, payload: bytes = b"ping") -> tuple[bytes, float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(payload)
    await writer.drain()
    answer = await asyncio.wait_for(reader.readexactly(len(payload)), 10)
    elapsed = time.monotonic() - started
    writer.close()
    return answer, elapsed


async def test_forwards_and_adds_the_delay_each_way(echo: int) -> None:
    proxy = FaultProxy("127.0.0.1", echo, delay_s=0.15)
    port = await proxy.start()
    try:
        answer, elapsed = await round_trip(port)
        assert answer == b"ping"
        assert elapsed >= 0.3  # 0.15 s on the way there and 0.15 s back: the delay is a floor
        proxy.delay_s = 0.0
        answer, _ = await round_trip(port, b"x" * 100_000)
        assert answer == b"x" * 100_000
        assert proxy.stats.connections == 2 and proxy.stats.bytes_up == proxy.stats.bytes_down == 100_004
    finally:
        await proxy.stop()


async def test_fail_share_resets_new_connections(echo: int) -> None:
    proxy = FaultProxy("127.0.0.1", echo, fail_share=1.0)
    port = await proxy.start()
    try:
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            await round_trip(port)
        assert proxy.stats.reset == 1
    finally:
        await proxy.stop()


async def test_chunk_fail_share_cuts_a_connection_in_use(echo: int) -> None:
    proxy = FaultProxy("127.0.0.1", echo, chunk_fail_share=1.0)
    port = await proxy.start()
    try:
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            await round_trip(port)
        assert proxy.stats.chunks_failed == 1
    finally:
        await proxy.stop()


async def test_refuse_cuts_open_connections_and_new_ones(echo: int) -> None:
    proxy = FaultProxy("127.0.0.1", echo)
    port = await proxy.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"a")
        assert await reader.readexactly(1) == b"a"
        proxy.set_refuse(True)
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            writer.write(b"b")
            await writer.drain()
            await asyncio.wait_for(reader.readexactly(1), 5)
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            await round_trip(port)
        proxy.set_refuse(False)
        assert (await round_trip(port))[0] == b"ping"
    finally:
        await proxy.stop()


async def test_dead_upstream_is_a_reset(echo: int) -> None:
    from support.ports import free_port

    proxy = FaultProxy("127.0.0.1", free_port())
    port = await proxy.start()
    try:
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            await round_trip(port)
    finally:
        await proxy.stop()


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="delay_s"):
        FaultProxy("127.0.0.1", 1, delay_s=-1)
    with pytest.raises(ValueError, match="within"):
        FaultProxy("127.0.0.1", 1, fail_share=1.5)
    with pytest.raises(ValueError, match="within"):
        FaultProxy("127.0.0.1", 1, chunk_fail_share=-0.1)
