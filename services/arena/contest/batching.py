"""Group commit: what arrives while a write is under way goes into the next write, together.

A burst of verdicts for one contest (the judge's outbox delivering 200 in a second) written one transaction
each queued behind each other on the database's one writer, each transaction a dozen round trips through
the event loop that the leaderboard's fan-out also needs: the last verdict of such a burst was recorded
seconds after it arrived. Here the first item of a key starts a write at once; the items that come while it
runs wait and are written by the next one, all together. Nothing waits for a timer: a lone item is written as
soon as it arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


class Batches(Generic[K, T, R]):
    """``write(key, items)`` returns one outcome per item, in order; ``submit`` returns an item's outcome (or
    raises what its write raised)."""

    def __init__(self, write: Callable[[K, list[T]], Awaitable[Sequence[R]]]) -> None:
        self._write = write
        self._waiting: dict[K, list[tuple[T, asyncio.Future[R]]]] = {}
        self._writers: dict[K, asyncio.Task[None]] = {}

    async def submit(self, key: K, item: T) -> R:
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append((item, done))
        if key not in self._writers:
            self._writers[key] = asyncio.create_task(self._drain(key), name=f"batch writer {key}")
        return await done  # (a caller that goes away leaves its item in the write: writes are idempotent)

    async def _drain(self, key: K) -> None:
        try:
            while batch := self._waiting.pop(key, None):
                try:
                    outcomes = await self._write(key, [item for item, _ in batch])
                    if len(outcomes) != len(batch):
                        raise RuntimeError(f"{len(outcomes)} outcomes for {len(batch)} items")
                except asyncio.CancelledError:
                    for _, done in batch:
                        done.cancel()
                    raise
                except Exception as error:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(error)
                    continue
                for (_, done), outcome in zip(batch, outcomes, strict=True):
                    if not done.done():
                        done.set_result(outcome)
        finally:
            del self._writers[key]
            for _, done in self._waiting.pop(key, []):  # only when cancelled: nobody writes these any more
                if not done.done():
                    done.cancel()
