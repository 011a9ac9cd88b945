"""A small LRU cache with expiry, for serialized responses on hot read paths.

Hot reads return cached bytes (the kit passes ``bytes`` responses through unserialized),
so a repeated read costs a dict lookup instead of a database query and a message build.
Writers invalidate the entries they change; the expiry bounds how stale another process's
copy can be when a service runs several processes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(
        self, *, max_entries: int = 10_000, ttl_s: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._max_entries = max_entries
        self._ttl_s = ttl_s
        self._clock = clock
        self.hits = 0
        self.misses = 0

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self._clock():
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: K, value: V) -> None:
        self._entries[key] = (self._clock() + self._ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def invalidate(self, predicate: Callable[[K], bool]) -> None:
        """Drops every entry whose key matches (a writer changed what they describe)."""
        for key in [k for k in self._entries if predicate(k)]:
            del self._entries[key]
