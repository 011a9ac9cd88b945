"""ListProblems pages kept serialized, dropped on every write (DESIGN: hot reads serve bytes)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class PageCache:
    """Serialized ListProblems pages, dropped whenever this process changes a problem, a like or a bookmark.

    A page depends on the caller (what they may see, what they liked and bookmarked), the filters,
    the order, the size and the page token, so all of them are the key. Every write drops every
    page once it has committed (writes are rare next to the first page every visitor opens), and a
    page read before a write finished is not stored after it (the generation moved), so a client
    never reads a list older than its own write from this process. The expiry bounds how long
    another process of the service may still serve a page from before a write (a contest's embargo
    included), and how late a page shows a problem whose embargo ended (a contest's start). Pages are bounded
    in number and in bytes (statements make pages large), least recently used out first.
    """

    def __init__(
        self,
        *,
        ttl_s: float = 2.0,
        max_entries: int = 10_000,
        max_bytes: int = 32 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pages: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        self.size_bytes = 0
        self.generation = 0

    def __len__(self) -> int:
        return len(self._pages)

    def _drop(self, key: Hashable) -> None:
        self.size_bytes -= len(self._pages.pop(key)[1])

    async def get_or_build(self, key: Hashable, build: Callable[[], Awaitable[bytes]]) -> bytes:
        if self._ttl_s <= 0:
            return await build()
        found = self._pages.get(key)
        if found is not None:
            if found[0] > self._clock():
                self._pages.move_to_end(key)
                return found[1]
            self._drop(key)
        generation = self.generation
        page = await build()
        if generation == self.generation and len(page) <= self._max_bytes:
            if key in self._pages:  # built twice at once: keep the newer
                self._drop(key)
            self._pages[key] = (self._clock() + self._ttl_s, page)
            self.size_bytes += len(page)
            while len(self._pages) > self._max_entries or self.size_bytes > self._max_bytes:
                self._drop(next(iter(self._pages)))
        return page

    def invalidate(self) -> None:
        self.generation += 1
        self._pages.clear()
        self.size_bytes = 0

    async def writing(self, write: Awaitable[T]) -> T:
        """Runs a write, then drops every page (also when the write failed part-way)."""
        try:
            return await write
        finally:
            self.invalidate()
