"""The analytics use cases on the in-memory store, a fake problem catalog and fake clocks."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from arena.analytics.app import AnalyticsApp
from arena.analytics.domain import ProblemMeta, RateLimiter, RawEvent
from arena.analytics.settings import AnalyticsSettings, load_analytics_settings
from arena.analytics.store import InMemoryAnalyticsStore
from arena.core.errors import InvalidArgument, ResourceExhausted, Unauthenticated
from arena.core.identity import Identity
from arena.kit.config import ConfigError

NOW = 1_764_633_600_000
ANN = Identity("ann", "ann", frozenset({"USER"}), "t", "s", 0.0)


class Catalog:
    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    async def metas(self, problem_ids: Sequence[str]) -> dict[str, ProblemMeta]:
        self.asked.append(list(problem_ids))
        return {p: ProblemMeta("DIFFICULTY_MEDIUM", ("graphs",)) for p in problem_ids if p != "hidden"}


@pytest.fixture
def clock() -> list[float]:
    return [0.0]


@pytest.fixture
def app(clock: list[float]) -> AnalyticsApp:
    return AnalyticsApp(
        InMemoryAnalyticsStore(),
        RateLimiter(10.0, 1000),
        catalog=Catalog(),
        clock_ms=lambda: NOW,
        monotonic_s=lambda: clock[0],
    )


def view(event_id: str, **changes: object) -> RawEvent:
    return RawEvent(**{"event_id": event_id, "type": 1, "time_ms": 0, "problem_id": "p", **changes})  # type: ignore[arg-type]


def judged(sid: str, problem: str, verdict: int) -> RawEvent:
    return RawEvent(f"judged:{sid}", 11, NOW - 1000, "ann", "", problem, "", sid, "cpp", verdict)


async def test_tracking_is_idempotent_by_event_id(app: AnalyticsApp) -> None:
    ids, recorded, duplicates = await app.track(ANN, [view("a"), view("b"), view("a")])
    assert ids == ["a", "b", "a"] and (recorded, duplicates) == (2, 1)
    assert (await app.track(ANN, [view("a")]))[1:] == (0, 1)
    assert (await app.problem_insights("p", None, None)).view_count == 2


async def test_a_sender_over_its_rate_is_refused_until_it_refills(app: AnalyticsApp, clock: list[float]) -> None:
    await app.track(ANN, [view(f"e{i}") for i in range(1000)])
    with pytest.raises(ResourceExhausted) as caught:
        await app.track(ANN, [view("late")])
    assert caught.value.retry_after_s == pytest.approx(0.1)
    clock[0] = 1.0
    assert (await app.track(ANN, [view("late")]))[1] == 1
    # Another sender has its own bucket, and the refused event was not stored.
    assert (await app.track(None, [view("anon", client_id="client-0001")]))[1] == 1
    assert (await app.problem_insights("p", None, None)).view_count == 1002


async def test_an_anonymous_batch_comes_from_one_client(app: AnalyticsApp) -> None:
    with pytest.raises(InvalidArgument, match="one client id"):
        await app.track(None, [view("x", client_id="client-0001"), view("y", client_id="client-0002")])
    with pytest.raises(Unauthenticated):
        await app.track(None, [view("x")])


async def test_recording_server_events_is_not_rate_limited(app: AnalyticsApp) -> None:
    for batch in range(3):
        raw = [judged(f"s{batch}-{i}", "p", 1 + i % 2) for i in range(1000)]
        assert await app.record(raw) == (1000, 0)
    assert await app.record([judged("s0-0", "p", 1)]) == (0, 1)
    insights = await app.problem_insights("p", None, None)
    assert (insights.submission_count, insights.accepted_count) == (3000, 1500)


async def test_user_insights_resolve_me_and_check_their_arguments(app: AnalyticsApp) -> None:
    await app.record([judged("s1", "p", 1), judged("s2", "hidden", 2)])
    mine = await app.user_insights(ANN, "me", "Europe/Berlin", 7)
    assert mine.user_id == "ann" and mine.solved_count == 1 and len(mine.activity) == 7
    assert mine.time_zone == "Europe/Berlin"
    assert len((await app.user_insights(None, "ann", "", 0)).activity) == 30
    with pytest.raises(Unauthenticated):
        await app.user_insights(None, "me", "", 0)
    with pytest.raises(InvalidArgument, match="days"):
        await app.user_insights(ANN, "me", "", 367)
    with pytest.raises(InvalidArgument) as caught:
        await app.user_insights(ANN, "me", "Nowhere/Land", 1)
    assert caught.value.reason == "UNKNOWN_TIME_ZONE"
    with pytest.raises(InvalidArgument, match="user_id"):
        await app.user_insights(ANN, "", "", 1)


async def test_problem_facts_are_asked_of_the_catalog_once(app: AnalyticsApp) -> None:
    await app.record([judged("s1", "p", 1), judged("s2", "hidden", 2)])
    first = await app.user_insights(ANN, "me", "", 1)
    assert [(g.group, g.solved_count, g.attempted_count) for g in first.by_difficulty] == [
        ("DIFFICULTY_MEDIUM", 1, 1),
        ("DIFFICULTY_UNSPECIFIED", 0, 1),
    ]
    assert [g.group for g in first.by_tag] == ["graphs"]
    await app.user_insights(ANN, "me", "", 1)
    assert app.catalog.asked == [["hidden", "p"], ["hidden"]]  # type: ignore[union-attr]  # known ones are kept


async def test_problem_and_platform_reads_check_their_ranges(app: AnalyticsApp) -> None:
    with pytest.raises(InvalidArgument, match="problem_id"):
        await app.problem_insights("", None, None)
    with pytest.raises(InvalidArgument, match="start_time"):
        await app.problem_insights("p", NOW, NOW - 86_400_000 * 2)
    with pytest.raises(InvalidArgument, match="366"):
        await app.platform_stats(NOW - 400 * 86_400_000, None)
    stats = await app.platform_stats(None, None)
    assert len(stats.per_day) == 30


def test_settings_are_checked() -> None:
    assert load_analytics_settings({}) == AnalyticsSettings()
    assert load_analytics_settings({"ARENA_ANALYTICS_EVENTS_PER_S": "0.5", "ARENA_ANALYTICS_EVENT_BURST": "5000"}) == (
        AnalyticsSettings(0.5, 5000)
    )
    for env in (
        {"ARENA_ANALYTICS_EVENTS_PER_S": "fast"},
        {"ARENA_ANALYTICS_EVENTS_PER_S": "-1"},
        {"ARENA_ANALYTICS_EVENT_BURST": "10"},
    ):
        with pytest.raises(ConfigError):
            load_analytics_settings(env)


async def test_anonymous_clients_share_their_addresses_budget(app: AnalyticsApp) -> None:
    pages = [view(f"a{i}", client_id="client-0001") for i in range(600)]
    await app.track(None, pages, address="203.0.113.7")
    fresh_id = [view(f"b{i}", client_id="client-0002") for i in range(600)]
    with pytest.raises(ResourceExhausted):
        await app.track(None, fresh_id, address="203.0.113.7")  # a new client id, the same address
    assert (await app.track(None, fresh_id, address="198.51.100.1"))[1] == 600
