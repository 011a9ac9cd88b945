"""The analytics rules: events and their validation, the rate limit, and what each insight means.

Pure values and functions, no I/O. Times are integer milliseconds since the Unix epoch (UTC), days are
whole UTC days since the epoch, quarters are 15-minute slots since the epoch (every time zone's offset
is a whole number of quarters, so a user's local days are unions of quarters).

The ``scan_*`` functions compute every insight from the raw events by a full scan. They are the
definition the incremental rollups of ``store.SqlAnalyticsStore`` must agree with (the store contract
test checks both against an independent computation), the in-memory store's implementation, and the
baseline of the insights benchmark.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import re
import uuid
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from arena.core.errors import FieldViolation, InvalidArgument, ResourceExhausted, Unauthenticated

K = TypeVar("K", int, str)
DAY_MS = 86_400_000
QUARTER_MS = 900_000
ACCEPTED = 1
"""The ``arena.common.v1.Verdict`` value of an accepted submission."""
MAX_VERDICT = 9
MAX_BATCH = 1000
MAX_ATTRIBUTES = 16
MAX_ATTRIBUTE_CHARS = 128
MAX_ID_CHARS = 64
MAX_RANGE_DAYS = 3660
MAX_PLATFORM_DAYS = 366
MAX_ACTIVITY_DAYS = 366
DEFAULT_ACTIVITY_DAYS = 30
DEFAULT_PLATFORM_DAYS = 30
TOP_PROBLEMS = 10
TIME_TO_SOLVE_PERCENTILES = (25, 50, 75, 90)
MAX_CPU_MS = DAY_MS
MAX_MEMORY_KIB = 1 << 30
LAST_DAY = (dt.date(9999, 12, 30) - dt.date(1970, 1, 1)).days
"""Ranges end by this day (timestamps reach 9999-12-31; a range's end is the next midnight)."""
DIFFICULTIES = ("DIFFICULTY_EASY", "DIFFICULTY_MEDIUM", "DIFFICULTY_HARD")
UNKNOWN_DIFFICULTY = "DIFFICULTY_UNSPECIFIED"
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class EventType(enum.IntEnum):
    """``arena.analytics.v1.EventType`` values."""

    PROBLEM_VIEWED = 1
    CODE_RUN = 2
    HINT_REQUESTED = 3
    PAGE_VIEWED = 4
    SUBMISSION_CREATED = 10
    SUBMISSION_JUDGED = 11
    CONTEST_REGISTERED = 12
    USER_REGISTERED = 13
    PROBLEM_CREATED = 14


CLIENT_TYPES = frozenset(
    {EventType.PROBLEM_VIEWED, EventType.CODE_RUN, EventType.HINT_REQUESTED, EventType.PAGE_VIEWED}
)
"""Types a client may send (TrackEvent/TrackEvents); the rest come from services (RecordEvents)."""
ANONYMOUS_TYPES = frozenset({EventType.PROBLEM_VIEWED, EventType.PAGE_VIEWED})
"""Types an anonymous client (no access token, a client id) may send."""
_TYPES = {t.value: t for t in EventType}

# What each type needs besides its id and time ("user_id" is checked for server-side events only:
# client events take the caller's).
_REQUIRED: dict[EventType, tuple[str, ...]] = {
    EventType.PROBLEM_VIEWED: ("problem_id",),
    EventType.CODE_RUN: ("language_id",),
    EventType.HINT_REQUESTED: ("problem_id",),
    EventType.PAGE_VIEWED: (),
    EventType.SUBMISSION_CREATED: ("user_id", "problem_id", "submission_id", "language_id"),
    EventType.SUBMISSION_JUDGED: ("user_id", "problem_id", "submission_id", "language_id"),
    EventType.CONTEST_REGISTERED: ("user_id", "contest_id"),
    EventType.USER_REGISTERED: ("user_id",),
    EventType.PROBLEM_CREATED: ("problem_id",),
}


@dataclasses.dataclass(slots=True)
class Event:
    """One validated event (not frozen: a frozen dataclass costs twice as much to build, and batches
    of 1,000 build one per event; treat it as immutable)."""

    event_id: str
    type: EventType
    time_ms: int
    user_id: str = ""
    client_id: str = ""
    problem_id: str = ""
    contest_id: str = ""
    submission_id: str = ""
    language_id: str = ""
    verdict: int = 0
    cpu_ms: int = 0
    memory_kib: int = 0
    attributes: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True)
class RawEvent:
    """An event as received, before validation (``type`` may be any number, ``time_ms`` 0 when unset)."""

    event_id: str
    type: int
    time_ms: int
    user_id: str = ""
    client_id: str = ""
    problem_id: str = ""
    contest_id: str = ""
    submission_id: str = ""
    language_id: str = ""
    verdict: int = 0
    cpu_ms: int = 0
    memory_kib: int = 0
    attributes: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who sends client events: a signed-in user, or an anonymous client with a client id."""

    user_id: str | None


def _bad(path: str, description: str, reason: str | None = None) -> InvalidArgument:
    return InvalidArgument(f"{path}: {description}", violations=[FieldViolation(path, description)], reason=reason)


def validate(raw: Sequence[RawEvent], now_ms: int, *, caller: Caller | None, field: str = "events") -> list[Event]:
    """Checks a batch and returns its events normalised; one bad event rejects the batch.

    ``caller`` None means trusted server-side events (any type; ids required). For client events the
    user is the caller's (the field is ignored), a missing id is assigned, and anonymous callers may
    send page and problem views with a client id only.
    """
    if not raw:
        raise _bad(field, "at least one event is required")
    if len(raw) > MAX_BATCH:
        raise _bad(field, f"at most {MAX_BATCH} events per call, got {len(raw)}")
    return [_validate_one(e, now_ms, caller, field, i) for i, e in enumerate(raw)]


def _at(field: str, index: int) -> str:
    """A batch member's field path (built only for an error)."""
    return f"{field}[{index}]" if field == "events" else field


def _validate_one(e: RawEvent, now_ms: int, caller: Caller | None, field: str, index: int) -> Event:
    kind = _TYPES.get(e.type)
    if kind is None:
        raise _bad(f"{_at(field, index)}.type", "must be a known event type")
    event_id = e.event_id
    if len(event_id) > MAX_ID_CHARS:
        raise _bad(f"{_at(field, index)}.event_id", f"at most {MAX_ID_CHARS} characters")
    user_id = e.user_id
    client_id = e.client_id
    if caller is None:
        if not event_id:
            raise _bad(f"{_at(field, index)}.event_id", "server-side events need an id (it makes redelivery harmless)")
    else:
        if kind not in CLIENT_TYPES:
            raise _bad(
                f"{_at(field, index)}.type",
                f"{kind.name} is recorded by the platform's services, not sent by clients",
                "EVENT_TYPE_NOT_ALLOWED",
            )
        if caller.user_id is None:
            if kind not in ANONYMOUS_TYPES:
                raise Unauthenticated(
                    f"{_at(field, index)}.type: sign in to send {kind.name} "
                    "(anonymous clients send page and problem views)",
                    reason="ANONYMOUS_EVENT_NOT_ALLOWED",
                )
            if not client_id:
                raise Unauthenticated(
                    f"{_at(field, index)}.client_id: anonymous events need a client id (or an access token)",
                    reason="ANONYMOUS_EVENT_NOT_ALLOWED",
                )
            user_id = ""
        else:
            user_id = caller.user_id
        if client_id and not _CLIENT_ID.fullmatch(client_id):
            raise _bad(f"{_at(field, index)}.client_id", "8 to 64 letters, digits, '-' or '_'")
        if not event_id:
            event_id = uuid.uuid4().hex
    for name in _REQUIRED[kind]:
        value = user_id if name == "user_id" else getattr(e, name)
        if not value:
            raise _bad(f"{_at(field, index)}.{name}", f"required for {kind.name}")
    if (
        len(e.user_id) > MAX_ID_CHARS
        or len(e.problem_id) > MAX_ID_CHARS
        or len(e.contest_id) > MAX_ID_CHARS
        or len(e.submission_id) > MAX_ID_CHARS
        or len(e.language_id) > MAX_ID_CHARS
    ):
        for name in ("user_id", "problem_id", "contest_id", "submission_id", "language_id"):
            if len(getattr(e, name)) <= MAX_ID_CHARS:
                continue
            raise _bad(f"{_at(field, index)}.{name}", f"at most {MAX_ID_CHARS} characters")
    if len(e.attributes) > MAX_ATTRIBUTES:
        raise _bad(f"{_at(field, index)}.attributes", f"at most {MAX_ATTRIBUTES} attributes")
    for key, value in e.attributes.items():
        if not key or len(key) > MAX_ATTRIBUTE_CHARS or len(value) > MAX_ATTRIBUTE_CHARS:
            raise _bad(
                f"{_at(field, index)}.attributes",
                f"keys of 1 to {MAX_ATTRIBUTE_CHARS} characters, values at most {MAX_ATTRIBUTE_CHARS}",
            )
    if kind is EventType.PAGE_VIEWED and not e.attributes.get("path", "").startswith("/"):
        raise _bad(f"{_at(field, index)}.attributes", "PAGE_VIEWED needs a 'path' attribute starting with '/'")
    verdict = e.verdict
    if kind is EventType.SUBMISSION_JUDGED:
        if not 1 <= verdict <= MAX_VERDICT:
            raise _bad(f"{_at(field, index)}.verdict", "required for SUBMISSION_JUDGED (a known verdict)")
    else:
        verdict = 0
    if not 0 <= e.cpu_ms <= MAX_CPU_MS:
        raise _bad(f"{_at(field, index)}.cpu_duration", "from 0 to 24 hours")
    if not 0 <= e.memory_kib <= MAX_MEMORY_KIB:
        raise _bad(f"{_at(field, index)}.memory_kib", "from 0 to 1 TiB")
    time_ms = e.time_ms
    if time_ms < 0:
        raise _bad(f"{_at(field, index)}.event_time", "must be after 1970")
    if time_ms == 0 or time_ms > now_ms:
        time_ms = now_ms
    return Event(
        event_id,
        kind,
        time_ms,
        user_id,
        client_id,
        e.problem_id,
        e.contest_id,
        e.submission_id,
        e.language_id,
        verdict,
        e.cpu_ms if kind is EventType.SUBMISSION_JUDGED else 0,
        e.memory_kib if kind is EventType.SUBMISSION_JUDGED else 0,
        dict(e.attributes) if e.attributes else {},
    )


class RateLimiter:
    """A token bucket per sender (user id or client id): ``rate_per_s`` events per second on average,
    bursts up to ``burst``. A batch takes as many tokens as it has events, all or none."""

    def __init__(self, rate_per_s: float, burst: int, *, max_senders: int = 100_000) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_senders = max_senders

    def take(self, sender: str, count: int, now_s: float) -> None:
        tokens, last = self._buckets.get(sender, (float(self.burst), now_s))
        tokens = min(float(self.burst), tokens + (now_s - last) * self.rate_per_s)
        if count > tokens:
            wait_s = (count - tokens) / self.rate_per_s if count <= self.burst else math.inf
            self._buckets[sender] = (tokens, now_s)
            if count > self.burst:
                raise ResourceExhausted(
                    f"a batch of {count} events exceeds this sender's burst of {self.burst}",
                    violations=[],
                )
            raise ResourceExhausted(
                f"too many events: at most {self.rate_per_s:g}/s (bursts of {self.burst}); retry in {wait_s:.1f} s",
                retry_after_s=wait_s,
            )
        if len(self._buckets) >= self._max_senders and sender not in self._buckets:
            self._forget(now_s)
        self._buckets[sender] = (tokens - count, now_s)

    def _forget(self, now_s: float) -> None:
        """Drops full buckets (they hold no state worth keeping); halves the table if all are busy."""
        full_after_s = self.burst / self.rate_per_s
        self._buckets = {k: v for k, v in self._buckets.items() if now_s - v[1] < full_after_s}
        if len(self._buckets) >= self._max_senders:
            self._buckets = dict(list(self._buckets.items())[len(self._buckets) // 2 :])


# ----- ranges and time zones -----


def day_of(time_ms: int) -> int:
    return time_ms // DAY_MS


def quarter_of(time_ms: int) -> int:
    return time_ms // QUARTER_MS


def date_of_day(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


def ms_of(value: dt.datetime) -> int:
    return int(value.timestamp() * 1000)


@dataclasses.dataclass(frozen=True)
class DayRange:
    """Whole UTC days ``[start_day, end_day)``."""

    start_day: int
    end_day: int

    def __contains__(self, day: int) -> bool:
        return self.start_day <= day < self.end_day


def day_range(
    start_ms: int | None, end_ms: int | None, now_ms: int, *, default_days: int | None, max_days: int
) -> DayRange:
    """The UTC days covering ``[start, end)``: end defaults to now (rounded up to the next day), start
    to ``default_days`` before end (or the epoch when None)."""
    end_day = -(-(end_ms if end_ms is not None else now_ms) // DAY_MS)
    if end_ms is None:
        end_day = max(end_day, day_of(now_ms) + 1)
    if start_ms is not None:
        start_day = day_of(start_ms)
    elif default_days is not None:
        start_day = end_day - default_days
    else:
        start_day = 0
    if start_day < 0:
        raise _bad("start_time", "must not be before 1970-01-01")
    if end_day > LAST_DAY:
        raise _bad("end_time", "must be before 9999-12-30")
    if start_day >= end_day:
        raise _bad("start_time", "must be before end_time")
    if end_day - start_day > max_days and (start_ms is not None or default_days is not None):
        raise _bad("end_time", f"at most {max_days} days after start_time")
    return DayRange(start_day, end_day)


def time_zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise _bad("time_zone", f"{name!r} is not a known IANA time zone", "UNKNOWN_TIME_ZONE") from None


def local_date(time_ms: int, zone: zoneinfo.ZoneInfo) -> dt.date:
    return dt.datetime.fromtimestamp(time_ms / 1000, zone).date()


# ----- statistics -----


def percentile(sorted_values: Sequence[int], p: int) -> int:
    """Nearest rank: the smallest value with at least ``p`` percent of the values at or below it (0 when empty)."""
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(p * len(sorted_values) / 100))
    return sorted_values[rank - 1]


def percentile_counted(value_counts: Iterable[tuple[int, int]], p: int) -> int:
    """``percentile`` of a histogram given as (value, count) pairs."""
    pairs = sorted(value_counts)
    total = sum(c for _, c in pairs)
    if total == 0:
        return 0
    rank = max(1, math.ceil(p * total / 100))
    seen = 0
    for value, count in pairs:
        seen += count
        if seen >= rank:
            return value
    return pairs[-1][0]


def ranked(counts: Mapping[K, int]) -> list[tuple[K, int]]:
    """Most frequent first, ties by key."""
    return sorted(((k, c) for k, c in counts.items() if c), key=lambda kc: (-kc[1], kc[0]))


def streaks(active_dates: Iterable[dt.date], today: dt.date) -> tuple[int, int]:
    """(current, longest) runs of consecutive active days; the current run ends today, or yesterday
    when today has no activity yet."""
    days = sorted(set(active_dates))
    longest = run = 0
    previous: dt.date | None = None
    for day in days:
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, run)
        previous = day
    active = set(days)
    end = today if today in active else today - dt.timedelta(days=1)
    current = 0
    while end in active:
        current += 1
        end -= dt.timedelta(days=1)
    return current, longest


# ----- insights -----


@dataclasses.dataclass(frozen=True)
class ProblemInsights:
    problem_id: str
    days: DayRange
    view_count: int
    submission_count: int
    accepted_count: int
    solver_count: int
    attempter_count: int
    verdicts: list[tuple[int, int]]
    languages: list[tuple[str, int]]
    cpu_p50_ms: int
    cpu_p90_ms: int
    memory_p50_kib: int
    memory_p90_kib: int
    attempts_before_first_accept: list[tuple[int, int]]
    """(failed attempts, users), by failed attempts."""
    time_to_solve_ms: list[tuple[int, int]]
    """(percentile, ms) for TIME_TO_SOLVE_PERCENTILES."""

    @property
    def acceptance_rate(self) -> float:
        return self.accepted_count / self.submission_count if self.submission_count else 0.0


@dataclasses.dataclass(frozen=True)
class DayActivity:
    date: dt.date
    submission_count: int
    solved_count: int


@dataclasses.dataclass(frozen=True)
class Progress:
    group: str
    solved_count: int
    attempted_count: int

    @property
    def solve_rate(self) -> float:
        return self.solved_count / self.attempted_count if self.attempted_count else 0.0


@dataclasses.dataclass(frozen=True)
class UserInsights:
    user_id: str
    time_zone: str
    solved_count: int
    attempted_count: int
    submission_count: int
    accepted_count: int
    verdicts: list[tuple[int, int]]
    languages: list[tuple[str, int]]
    activity: list[DayActivity]
    current_streak_days: int
    longest_streak_days: int
    by_difficulty: list[Progress]
    by_tag: list[Progress]

    @property
    def acceptance_rate(self) -> float:
        return self.accepted_count / self.submission_count if self.submission_count else 0.0


@dataclasses.dataclass(frozen=True)
class PlatformDay:
    day: int
    active_user_count: int
    submission_count: int
    accepted_count: int


@dataclasses.dataclass(frozen=True)
class PlatformStats:
    days: DayRange
    user_count: int
    problem_count: int
    submission_count: int
    accepted_count: int
    submission_count_24h: int
    active_user_count_24h: int
    verdicts: list[tuple[int, int]]
    languages: list[tuple[str, int]]
    top_problems: list[tuple[str, int]]
    per_day: list[PlatformDay]
    judge_queue_length: int
    judge_wait_p50_ms: int
    judge_wait_p95_ms: int
    range_verdicts: list[tuple[int, int]]


@dataclasses.dataclass(frozen=True)
class ProblemMeta:
    difficulty: str
    tags: tuple[str, ...]


def problem_meta(attributes: Mapping[str, str]) -> ProblemMeta:
    """What a PROBLEM_CREATED event says about the problem."""
    difficulty = attributes.get("difficulty", "")
    tags = tuple(sorted({t.strip() for t in attributes.get("tags", "").split(",") if t.strip()}))
    return ProblemMeta(difficulty if difficulty in DIFFICULTIES else UNKNOWN_DIFFICULTY, tags)


def window_24h(now_ms: int) -> int:
    """The first quarter of the last 24 hours: the 96 quarters ending with the current one."""
    return quarter_of(now_ms) - 95


def progress(attempted: Mapping[str, bool], metas: Mapping[str, ProblemMeta]) -> tuple[list[Progress], list[Progress]]:
    """Per difficulty (easy first, unknown last) and per tag (weakest first) from problem → solved."""
    by_difficulty: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for problem_id, solved in attempted.items():
        meta = metas.get(problem_id, ProblemMeta(UNKNOWN_DIFFICULTY, ()))
        for group in (by_difficulty[meta.difficulty], *(by_tag[t] for t in meta.tags)):
            group[0] += int(solved)
            group[1] += 1
    order = {d: i for i, d in enumerate((*DIFFICULTIES, UNKNOWN_DIFFICULTY))}
    difficulties = [Progress(d, s, a) for d, (s, a) in sorted(by_difficulty.items(), key=lambda kv: order[kv[0]])]
    tags = sorted(
        (Progress(t, s, a) for t, (s, a) in by_tag.items()), key=lambda p: (p.solve_rate, -p.attempted_count, p.group)
    )
    return difficulties, tags


def scan_problem(events: Iterable[Event], problem_id: str, days: DayRange) -> ProblemInsights:
    """GetProblemInsights by a full scan of the events."""
    views = judged = accepted = 0
    solvers: set[str] = set()
    attempters: set[str] = set()
    verdicts: Counter[int] = Counter()
    languages: Counter[str] = Counter()
    cpu: list[int] = []
    memory: list[int] = []
    first_try: dict[str, int] = {}
    judged_by_user: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for e in events:
        if e.problem_id != problem_id:
            continue
        if e.type is EventType.SUBMISSION_CREATED or e.type is EventType.SUBMISSION_JUDGED:
            first_try[e.user_id] = min(first_try.get(e.user_id, e.time_ms), e.time_ms)
        in_range = day_of(e.time_ms) in days
        if e.type is EventType.PROBLEM_VIEWED and in_range:
            views += 1
        if e.type is not EventType.SUBMISSION_JUDGED:
            continue
        judged_by_user[e.user_id].append((e.time_ms, e.verdict))
        if not in_range:
            continue
        judged += 1
        attempters.add(e.user_id)
        verdicts[e.verdict] += 1
        languages[e.language_id] += 1
        if e.verdict == ACCEPTED:
            accepted += 1
            solvers.add(e.user_id)
            cpu.append(e.cpu_ms)
            memory.append(e.memory_kib)
    attempts: Counter[int] = Counter()
    solve_ms: list[int] = []
    for user, runs in judged_by_user.items():
        accepts = [t for t, v in runs if v == ACCEPTED]
        if not accepts:
            continue
        first = min(accepts)
        if day_of(first) not in days:
            continue
        attempts[sum(1 for t, v in runs if v != ACCEPTED and t < first)] += 1
        solve_ms.append(first - first_try[user])
    cpu.sort()
    memory.sort()
    solve_ms.sort()
    return ProblemInsights(
        problem_id,
        days,
        views,
        judged,
        accepted,
        len(solvers),
        len(attempters),
        ranked(verdicts),
        ranked(languages),
        percentile(cpu, 50),
        percentile(cpu, 90),
        percentile(memory, 50),
        percentile(memory, 90),
        sorted(attempts.items()),
        [(p, percentile(solve_ms, p)) for p in TIME_TO_SOLVE_PERCENTILES] if solve_ms else [],
    )


def scan_user(
    events: Iterable[Event],
    user_id: str,
    zone: zoneinfo.ZoneInfo,
    activity_days: int,
    now_ms: int,
    metas: Mapping[str, ProblemMeta],
) -> UserInsights:
    """GetUserInsights by a full scan of the events."""
    verdicts: Counter[int] = Counter()
    languages: Counter[str] = Counter()
    solved_at: dict[str, int] = {}
    attempted: dict[str, bool] = {}
    per_date: Counter[dt.date] = Counter()
    judged = accepted = 0
    for e in events:
        if e.user_id != user_id or e.type is not EventType.SUBMISSION_JUDGED:
            continue
        judged += 1
        verdicts[e.verdict] += 1
        languages[e.language_id] += 1
        per_date[local_date(e.time_ms, zone)] += 1
        attempted.setdefault(e.problem_id, False)
        if e.verdict == ACCEPTED:
            accepted += 1
            attempted[e.problem_id] = True
            solved_at[e.problem_id] = min(solved_at.get(e.problem_id, e.time_ms), e.time_ms)
    return _user_insights(
        user_id,
        zone,
        activity_days,
        now_ms,
        metas,
        judged,
        accepted,
        verdicts,
        languages,
        per_date,
        solved_at,
        attempted,
    )


def _user_insights(
    user_id: str,
    zone: zoneinfo.ZoneInfo,
    activity_days: int,
    now_ms: int,
    metas: Mapping[str, ProblemMeta],
    judged: int,
    accepted: int,
    verdicts: Mapping[int, int],
    languages: Mapping[str, int],
    per_date: Mapping[dt.date, int],
    solved_at: Mapping[str, int],
    attempted: Mapping[str, bool],
) -> UserInsights:
    """The parts shared by the scan and the rollups: dates, streaks and groups."""
    today = local_date(now_ms, zone)
    solved_per_date = Counter(local_date(t, zone) for t in solved_at.values())
    activity = [
        DayActivity(d, per_date.get(d, 0), solved_per_date.get(d, 0))
        for d in (today - dt.timedelta(days=n) for n in range(activity_days - 1, -1, -1))
    ]
    current, longest = streaks((d for d, n in per_date.items() if n), today)
    by_difficulty, by_tag = progress(attempted, metas)
    return UserInsights(
        user_id,
        zone.key,
        len(solved_at),
        len(attempted),
        judged,
        accepted,
        ranked(verdicts),
        ranked(languages),
        activity,
        current,
        longest,
        by_difficulty,
        by_tag,
    )


def user_insights_from(
    user_id: str,
    zone: zoneinfo.ZoneInfo,
    activity_days: int,
    now_ms: int,
    metas: Mapping[str, ProblemMeta],
    *,
    verdicts: Mapping[int, int],
    languages: Mapping[str, int],
    judged_per_quarter: Iterable[tuple[int, int]],
    problems: Iterable[tuple[str, int | None]],
) -> UserInsights:
    """GetUserInsights from the rollups: judged submissions per quarter, (problem, first accept ms)."""
    per_date: Counter[dt.date] = Counter()
    for quarter, count in judged_per_quarter:
        per_date[local_date(quarter * QUARTER_MS, zone)] += count
    solved_at: dict[str, int] = {}
    attempted: dict[str, bool] = {}
    for problem_id, first_accept_ms in problems:
        attempted[problem_id] = first_accept_ms is not None
        if first_accept_ms is not None:
            solved_at[problem_id] = first_accept_ms
    judged = sum(verdicts.values())
    return _user_insights(
        user_id,
        zone,
        activity_days,
        now_ms,
        metas,
        judged,
        verdicts.get(ACCEPTED, 0),
        verdicts,
        languages,
        per_date,
        solved_at,
        attempted,
    )


def scan_platform(events: Iterable[Event], days: DayRange, now_ms: int) -> PlatformStats:
    """GetPlatformStats by a full scan of the events."""
    users = problems = judged = accepted = judged_24h = 0
    active_24h: set[str] = set()
    verdicts: Counter[int] = Counter()
    range_verdicts: Counter[int] = Counter()
    languages: Counter[str] = Counter()
    per_problem: Counter[str] = Counter()
    active: dict[int, set[str]] = defaultdict(set)
    day_judged: Counter[int] = Counter()
    day_accepted: Counter[int] = Counter()
    created: dict[str, int] = {}
    judged_at: dict[str, int] = {}
    first_q = window_24h(now_ms)
    for e in events:
        day = day_of(e.time_ms)
        recent = quarter_of(e.time_ms) >= first_q
        if e.user_id:
            active[day].add(e.user_id)
            if recent:
                active_24h.add(e.user_id)
        if e.type is EventType.USER_REGISTERED:
            users += 1
        elif e.type is EventType.PROBLEM_CREATED:
            problems += 1
        elif e.type is EventType.SUBMISSION_CREATED:
            created[e.submission_id] = e.time_ms
        elif e.type is EventType.SUBMISSION_JUDGED:
            judged_at[e.submission_id] = e.time_ms
            judged += 1
            accepted += e.verdict == ACCEPTED
            judged_24h += recent
            verdicts[e.verdict] += 1
            languages[e.language_id] += 1
            per_problem[e.problem_id] += 1
            day_judged[day] += 1
            day_accepted[day] += e.verdict == ACCEPTED
            if day in days:
                range_verdicts[e.verdict] += 1
    waits = sorted(max(0, t - created[s]) for s, t in judged_at.items() if s in created and day_of(t) in days)
    return PlatformStats(
        days,
        users,
        problems,
        judged,
        accepted,
        judged_24h,
        len(active_24h),
        ranked(verdicts),
        ranked(languages),
        ranked(per_problem)[:TOP_PROBLEMS],
        [
            PlatformDay(d, len(active.get(d, ())), day_judged.get(d, 0), day_accepted.get(d, 0))
            for d in range(days.start_day, days.end_day)
        ],
        sum(1 for s in created if s not in judged_at),
        percentile(waits, 50),
        percentile(waits, 95),
        ranked(range_verdicts),
    )
