"""The analytics use cases: who may send which events, the rate limit, and the insight reads.

Transport-free: the servicer hands in raw events and the caller, and gets domain values back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from arena.analytics.domain import (
    DEFAULT_ACTIVITY_DAYS,
    DEFAULT_PLATFORM_DAYS,
    MAX_ACTIVITY_DAYS,
    MAX_PLATFORM_DAYS,
    MAX_RANGE_DAYS,
    Caller,
    PlatformStats,
    ProblemInsights,
    ProblemMeta,
    RateLimiter,
    RawEvent,
    UserInsights,
    day_range,
    time_zone,
    validate,
)
from arena.analytics.store import AnalyticsStore
from arena.core.errors import InvalidArgument, Unauthenticated
from arena.core.identity import Identity


class ProblemCatalog(Protocol):
    """Difficulty and tags of problems the store has no PROBLEM_CREATED event for (the problem service)."""

    async def metas(self, problem_ids: Sequence[str]) -> dict[str, ProblemMeta]: ...


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class AnalyticsApp:
    def __init__(
        self,
        store: AnalyticsStore,
        limiter: RateLimiter,
        *,
        catalog: ProblemCatalog | None = None,
        clock_ms: Callable[[], int] = _now_ms,
        monotonic_s: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.limiter = limiter
        self.catalog = catalog
        self.clock_ms = clock_ms
        self.monotonic_s = monotonic_s

    async def track(
        self, caller: Identity | None, raw: Sequence[RawEvent], *, field: str = "events", address: str = ""
    ) -> tuple[list[str], int, int]:
        """Client events: validated (all or none), rate limited per user, or for anonymous ones per
        client id and per network address (so fresh client ids do not buy more), then stored.
        Returns (event ids, recorded, duplicates)."""
        events = validate(raw, self.clock_ms(), caller=Caller(caller.user_id if caller else None), field=field)
        if caller is not None:
            sender = f"user:{caller.user_id}"
        else:
            clients = {e.client_id for e in events}
            if len(clients) != 1:
                raise InvalidArgument.field(field, "an anonymous batch comes from one client id")
            sender = f"client:{clients.pop()}"
            if address:
                self.limiter.take(f"address:{address}", len(events), self.monotonic_s())
        self.limiter.take(sender, len(events), self.monotonic_s())
        recorded, duplicates = await self.store.ingest(events)
        return [e.event_id for e in events], recorded, duplicates

    async def record(self, raw: Sequence[RawEvent]) -> tuple[int, int]:
        """Trusted server-side events (the outbox): validated, idempotent by event id, never rate limited."""
        return await self.store.ingest(validate(raw, self.clock_ms(), caller=None))

    async def problem_insights(self, problem_id: str, start_ms: int | None, end_ms: int | None) -> ProblemInsights:
        if not problem_id:
            raise InvalidArgument.field("problem_id", "required")
        days = day_range(start_ms, end_ms, self.clock_ms(), default_days=None, max_days=MAX_RANGE_DAYS)
        return await self.store.problem_insights(problem_id, days)

    async def user_insights(self, caller: Identity | None, user_id: str, zone_name: str, days: int) -> UserInsights:
        if user_id == "me":
            if caller is None:
                raise Unauthenticated("sign in first: `me` names the caller", reason="UNAUTHENTICATED")
            user_id = caller.user_id
        if not user_id:
            raise InvalidArgument.field("user_id", "required (a user id or `me`)")
        if days == 0:
            days = DEFAULT_ACTIVITY_DAYS
        if not 1 <= days <= MAX_ACTIVITY_DAYS:
            raise InvalidArgument.field("days", f"from 1 to {MAX_ACTIVITY_DAYS}")
        zone = time_zone(zone_name)
        metas: Mapping[str, ProblemMeta] = {}
        if self.catalog is not None:
            tried = await self.store.user_problems(user_id)
            known = await self.store.problem_metas(tried)
            missing = [p for p in tried if p not in known]
            if missing:
                metas = await self.catalog.metas(missing)
                await self.store.put_problem_metas(metas)
        return await self.store.user_insights(user_id, zone, days, self.clock_ms(), metas)

    async def platform_stats(self, start_ms: int | None, end_ms: int | None) -> PlatformStats:
        now = self.clock_ms()
        days = day_range(start_ms, end_ms, now, default_days=DEFAULT_PLATFORM_DAYS, max_days=MAX_PLATFORM_DAYS)
        return await self.store.platform_stats(days, now)
