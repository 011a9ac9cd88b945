"""The analytics rules: event validation, the rate limit, ranges, percentiles and streaks."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arena.analytics.domain import (
    MAX_BATCH,
    Caller,
    DayRange,
    EventType,
    RateLimiter,
    RawEvent,
    day_range,
    percentile,
    percentile_counted,
    problem_meta,
    streaks,
    time_zone,
    validate,
)
from arena.core.errors import InvalidArgument, ResourceExhausted, Unauthenticated

NOW = 1_764_633_600_000
ANN = Caller("ann")
ANONYMOUS = Caller(None)


def view(**changes: object) -> RawEvent:
    base: dict[str, object] = {"event_id": "e1", "type": 1, "time_ms": NOW - 5, "problem_id": "p"}
    return RawEvent(**{**base, **changes})  # type: ignore[arg-type]


def judged(**changes: object) -> RawEvent:
    base: dict[str, object] = {
        "event_id": "judged:s1",
        "type": 11,
        "time_ms": NOW - 5,
        "user_id": "ann",
        "problem_id": "p",
        "submission_id": "s1",
        "language_id": "cpp",
        "verdict": 1,
        "cpu_ms": 12,
        "memory_kib": 2048,
    }
    return RawEvent(**{**base, **changes})  # type: ignore[arg-type]


def violation(caught: pytest.ExceptionInfo[InvalidArgument]) -> str:
    return caught.value.violations[0].field


def test_a_client_event_takes_the_callers_user_and_gets_an_id_and_a_time() -> None:
    (event,) = validate([view(event_id="", user_id="mallory", time_ms=0)], NOW, caller=ANN)
    assert event.user_id == "ann" and len(event.event_id) == 32 and event.time_ms == NOW
    (future,) = validate([view(time_ms=NOW + 10_000)], NOW, caller=ANN)
    assert future.time_ms == NOW and future.type is EventType.PROBLEM_VIEWED


def test_server_side_events_are_refused_from_clients_with_their_own_reason() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate([view(), judged()], NOW, caller=ANN)
    assert caught.value.reason == "EVENT_TYPE_NOT_ALLOWED" and violation(caught) == "events[1].type"
    assert validate([judged()], NOW, caller=None)[0].verdict == 1


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (view(type=0), "events[0].type"),
        (view(type=99), "events[0].type"),
        (view(problem_id=""), "events[0].problem_id"),
        (view(event_id="x" * 65), "events[0].event_id"),
        (view(problem_id="p" * 65), "events[0].problem_id"),
        (view(type=2, language_id=""), "events[0].language_id"),
        (view(type=4, attributes={}), "events[0].attributes"),
        (view(type=4, attributes={"path": "no-slash"}), "events[0].attributes"),
        (view(attributes={str(i): "v" for i in range(17)}), "events[0].attributes"),
        (view(attributes={"k": "v" * 129}), "events[0].attributes"),
        (view(time_ms=-1), "events[0].event_time"),
        (view(client_id="short"), "events[0].client_id"),
    ],
)
def test_bad_client_events_name_the_field(event: RawEvent, field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate([event], NOW, caller=ANN)
    assert violation(caught) == field and field in caught.value.message


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (judged(event_id=""), "events[0].event_id"),
        (judged(verdict=0), "events[0].verdict"),
        (judged(verdict=42), "events[0].verdict"),
        (judged(user_id=""), "events[0].user_id"),
        (judged(submission_id=""), "events[0].submission_id"),
        (judged(cpu_ms=-1), "events[0].cpu_duration"),
        (judged(memory_kib=-1), "events[0].memory_kib"),
        (judged(memory_kib=1 << 31), "events[0].memory_kib"),
        (judged(cpu_ms=86_400_001), "events[0].cpu_duration"),
        (judged(type=12, contest_id=""), "events[0].contest_id"),
    ],
)
def test_bad_server_events_name_the_field(event: RawEvent, field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate([event], NOW, caller=None)
    assert violation(caught) == field


def test_batches_hold_1_to_1000_events() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate([], NOW, caller=ANN)
    assert violation(caught) == "events"
    assert len(validate([view(event_id=f"e{i}") for i in range(MAX_BATCH)], NOW, caller=ANN)) == MAX_BATCH
    with pytest.raises(InvalidArgument, match="at most 1000"):
        validate([view(event_id=f"e{i}") for i in range(MAX_BATCH + 1)], NOW, caller=ANN)


def test_anonymous_clients_send_views_with_a_client_id_only() -> None:
    (page,) = validate(
        [view(type=4, attributes={"path": "/"}, client_id="abcd-1234", user_id="x")], NOW, caller=ANONYMOUS
    )
    assert page.user_id == "" and page.client_id == "abcd-1234"
    with pytest.raises(Unauthenticated) as caught:
        validate([view(client_id="")], NOW, caller=ANONYMOUS)
    assert caught.value.reason == "ANONYMOUS_EVENT_NOT_ALLOWED"
    with pytest.raises(Unauthenticated, match="HINT_REQUESTED"):
        validate([view(type=3, client_id="abcd-1234")], NOW, caller=ANONYMOUS)


def test_the_rate_limit_allows_a_burst_then_the_rate() -> None:
    limiter = RateLimiter(10.0, 1000)
    limiter.take("ann", 1000, 0.0)
    with pytest.raises(ResourceExhausted) as caught:
        limiter.take("ann", 10, 0.5)  # 5 tokens back
    assert caught.value.reason == "RATE_LIMITED" and caught.value.retry_after_s == pytest.approx(0.5)
    limiter.take("ann", 10, 1.0)
    limiter.take("bob", 1000, 1.0)  # per sender
    with pytest.raises(ResourceExhausted, match="exceeds"):
        limiter.take("cyd", 1001, 1.0)


def test_the_rate_limiter_forgets_idle_senders_when_full() -> None:
    limiter = RateLimiter(1000.0, 1000, max_senders=3)
    for i, sender in enumerate("abcd"):
        limiter.take(sender, 1, float(i * 10))
    limiter.take("a", 1000, 40.0)  # "a" was forgotten with a full bucket, or refilled: it may send a burst
    assert len(limiter._buckets) <= 3


def test_day_ranges_round_to_whole_days_and_are_checked() -> None:
    day = NOW // 86_400_000
    assert day_range(None, None, NOW, default_days=None, max_days=10) == DayRange(0, day + 1)
    assert day_range(None, None, NOW, default_days=30, max_days=366) == DayRange(day - 29, day + 1)
    assert day_range(NOW + 1, NOW + 86_400_000 + 1, NOW, default_days=None, max_days=3) == DayRange(day, day + 2)
    with pytest.raises(InvalidArgument, match="before end_time"):
        day_range(NOW, NOW - 86_400_000, NOW, default_days=None, max_days=3)
    with pytest.raises(InvalidArgument, match="1970"):
        day_range(-1, None, NOW, default_days=None, max_days=3)
    with pytest.raises(InvalidArgument, match="9999"):
        day_range(NOW, 253_402_300_799_000, NOW, default_days=None, max_days=10**7)  # 9999-12-31T23:59:59Z
    with pytest.raises(InvalidArgument, match="1970"):
        day_range(None, 86_400_000, NOW, default_days=30, max_days=366)  # 30 days before 1970-01-02
    with pytest.raises(InvalidArgument, match="at most 3 days"):
        day_range(NOW - 5 * 86_400_000, None, NOW, default_days=None, max_days=3)


def test_time_zones_are_iana_names() -> None:
    assert time_zone("").key == "UTC" and time_zone("Asia/Kathmandu").key == "Asia/Kathmandu"
    with pytest.raises(InvalidArgument) as caught:
        time_zone("Mars/Olympus")
    assert caught.value.reason == "UNKNOWN_TIME_ZONE" and violation(caught) == "time_zone"


@given(st.lists(st.integers(0, 50), max_size=60), st.integers(1, 100))
def test_a_histogram_percentile_equals_the_percentile_of_its_values(values: list[int], p: int) -> None:
    counts: dict[int, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    assert percentile_counted(counts.items(), p) == percentile(sorted(values), p)


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 50) == 0
    assert percentile([1, 2, 3, 4], 50) == 2 and percentile([1, 2, 3, 4], 90) == 4 and percentile([7], 1) == 7


def test_streaks_end_today_or_yesterday() -> None:
    today = dt.date(2026, 12, 2)
    days = [today - dt.timedelta(days=n) for n in (1, 2, 3, 7, 8, 9, 10, 11)]
    assert streaks(days, today) == (3, 5)
    assert streaks([*days, today], today) == (4, 5)
    assert streaks([today - dt.timedelta(days=2)], today) == (0, 1)
    assert streaks([], today) == (0, 0)
    shuffled = days[:]
    random.Random(1).shuffle(shuffled)
    assert streaks(shuffled + shuffled, today) == (3, 5)


def test_problem_facts_come_from_attributes() -> None:
    meta = problem_meta({"difficulty": "DIFFICULTY_HARD", "tags": " dp, graphs,,dp "})
    assert (meta.difficulty, meta.tags) == ("DIFFICULTY_HARD", ("dp", "graphs"))
    assert problem_meta({"difficulty": "IMPOSSIBLE"}).difficulty == "DIFFICULTY_UNSPECIFIED"
