"""Contests: what a valid contest is, where it is in time, and how results rank. No I/O, no protos.

- ``phase_at(spec, now)`` is the contest's phase, computed from its times and the clock, never stored.
- ``validate`` and ``validate_update`` check a contest with field-level violations.
- ``standings(contest, participants, results, viewer)`` is the scoring: a pure function of the contest and
  its results, so a board kept up to date incrementally always equals a recomputation. Results are
  deduplicated by submission id (the latest judgement wins), so any order or replay of the same results
  gives the same standings.
- The freeze is a view: ``Viewer`` says who looks (the public, one contestant, or the jury), and a result
  submitted after the freeze start shows as pending to everyone but its author and the jury until the final
  standings are published.
- Virtual participation: after the end, a user who did not take part gets a window of the contest's length
  (``VirtualParticipation``); ``virtual_standings`` is the real board restricted to results before the same
  time into the contest, plus the participant's own results moved onto the contest's timeline.
- Clarifications: questions of registered participants, answered once by a judge (the author or an admin),
  privately or to all; announcements; ``may_see`` says who sees what, ``clarification_event`` where each is
  pushed live.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias

from arena.core.errors import FailedPrecondition, FieldViolation, InvalidArgument, PermissionDenied
from arena.core.identity import Identity, Role

TITLE_MAX = 120
DESCRIPTION_MAX = 64 * 1024
MIN_DURATION = dt.timedelta(minutes=1)
MAX_DURATION = dt.timedelta(days=30)
MAX_PROBLEMS = 26
DEFAULT_MAX_SCORE = 100
MAX_SCORE = 10_000
DEFAULT_PENALTY = dt.timedelta(minutes=20)
MAX_PENALTY = dt.timedelta(hours=24)
LABEL_PATTERN = re.compile(r"^[A-Za-z0-9]{1,8}$")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

UPDATABLE_FIELDS = frozenset(
    {"title", "description", "start_time", "duration", "freeze_before_end", "penalty_per_rejection", "problems"}
)
"""What UpdateContest may change before the start."""
UPDATABLE_WHILE_RUNNING = frozenset({"title", "description", "duration", "freeze_before_end"})
"""What may still change once the contest has started (extending a running contest is normal)."""


class ScoringRule(enum.Enum):
    ICPC = 1
    IOI = 2


class Phase(enum.Enum):
    UPCOMING = 1
    RUNNING = 2
    FROZEN = 3
    ENDED = 4


class Verdict(enum.Enum):
    """A judged submission's verdict (the values of ``arena.common.v1.Verdict``)."""

    ACCEPTED = 1
    WRONG_ANSWER = 2
    TIME_LIMIT_EXCEEDED = 3
    MEMORY_LIMIT_EXCEEDED = 4
    RUNTIME_ERROR = 5
    COMPILATION_ERROR = 6
    OUTPUT_LIMIT_EXCEEDED = 7
    INTERNAL_ERROR = 8
    SKIPPED = 9


NOT_COUNTED = frozenset({Verdict.COMPILATION_ERROR, Verdict.INTERNAL_ERROR, Verdict.SKIPPED})
"""Verdicts that are no attempt at all: no penalty, no score (the ICPC rules and DOMjudge's default)."""


@dataclasses.dataclass(frozen=True)
class ContestProblem:
    problem_id: str
    label: str = ""
    max_score: int = DEFAULT_MAX_SCORE
    title: str = ""
    """The problem's title as the problem service had it when the contest was set (for the board)."""


@dataclasses.dataclass(frozen=True)
class Spec:
    """What a setter writes: everything about a contest but its identity and bookkeeping."""

    title: str
    scoring_rule: ScoringRule
    start_time: dt.datetime
    duration: dt.timedelta
    problems: tuple[ContestProblem, ...]
    description: str = ""
    freeze_before_end: dt.timedelta = dt.timedelta(0)
    penalty_per_rejection: dt.timedelta = DEFAULT_PENALTY

    @property
    def end_time(self) -> dt.datetime:
        return self.start_time + self.duration

    @property
    def freeze_time(self) -> dt.datetime | None:
        """When the public board freezes, or None for a contest without a freeze."""
        return self.end_time - self.freeze_before_end if self.freeze_before_end > dt.timedelta(0) else None

    def problem(self, problem_id: str) -> ContestProblem | None:
        return self._by_id.get(problem_id)

    @functools.cached_property
    def _by_id(self) -> dict[str, ContestProblem]:
        """The problems by id (built once per spec: scoring looks one up per result)."""
        return {p.problem_id: p for p in self.problems}


@dataclasses.dataclass(frozen=True)
class Contest:
    contest_id: str
    spec: Spec
    author_id: str
    create_time: dt.datetime
    update_time: dt.datetime
    final_standings_published: bool = False
    participant_count: int = 0


# -- time --------------------------------------------------------------------------------------------


def phase_at(spec: Spec, now: dt.datetime) -> Phase:
    """The contest's phase at ``now``: the start is RUNNING, the freeze start FROZEN, the end ENDED."""
    if now < spec.start_time:
        return Phase.UPCOMING
    if now >= spec.end_time:
        return Phase.ENDED
    freeze = spec.freeze_time
    if freeze is not None and now >= freeze:
        return Phase.FROZEN
    return Phase.RUNNING


def is_frozen_board(contest: Contest) -> bool:
    """Whether the public board hides results submitted after the freeze start (until published)."""
    return contest.spec.freeze_time is not None and not contest.final_standings_published


# -- validation --------------------------------------------------------------------------------------


def _label(index: int) -> str:
    return chr(ord("A") + index)


def validate(spec: Spec) -> Spec:
    """The spec cleaned (title trimmed, labels assigned in order), or InvalidArgument with every violation."""
    bad: list[FieldViolation] = []
    title = spec.title.strip()
    if not title:
        bad.append(FieldViolation("contest.title", "must not be empty"))
    elif len(title) > TITLE_MAX:
        bad.append(FieldViolation("contest.title", f"at most {TITLE_MAX} characters"))
    if len(spec.description.encode()) > DESCRIPTION_MAX:
        bad.append(FieldViolation("contest.description", f"at most {DESCRIPTION_MAX} bytes"))
    if spec.start_time.tzinfo is None:
        bad.append(FieldViolation("contest.start_time", "must carry a time zone"))
    if spec.duration <= dt.timedelta(0):
        bad.append(FieldViolation("contest.duration", "must be positive: the end must come after the start"))
    elif not MIN_DURATION <= spec.duration <= MAX_DURATION:
        bad.append(FieldViolation("contest.duration", "between 1 minute and 30 days"))
    if spec.freeze_before_end < dt.timedelta(0):
        bad.append(FieldViolation("contest.freeze_before_end", "must not be negative"))
    elif spec.freeze_before_end > spec.duration:
        bad.append(FieldViolation("contest.freeze_before_end", "must not be longer than the contest"))
    if spec.penalty_per_rejection < dt.timedelta(0):
        bad.append(FieldViolation("contest.penalty_per_rejection", "must not be negative"))
    elif spec.penalty_per_rejection > MAX_PENALTY:
        bad.append(FieldViolation("contest.penalty_per_rejection", "at most 24 hours"))
    problems: list[ContestProblem] = []
    if not spec.problems:
        bad.append(FieldViolation("contest.problems", "a contest needs at least one problem"))
    elif len(spec.problems) > MAX_PROBLEMS:
        bad.append(FieldViolation("contest.problems", f"at most {MAX_PROBLEMS} problems"))
    seen_ids: set[str] = set()
    seen_labels: set[str] = set()
    for i, problem in enumerate(spec.problems):
        field = f"contest.problems[{i}]"
        problem_id = problem.problem_id.strip()
        label = problem.label.strip() or _label(i)
        max_score = problem.max_score or DEFAULT_MAX_SCORE
        if not problem_id:
            bad.append(FieldViolation(f"{field}.problem_id", "must not be empty"))
        elif problem_id in seen_ids:
            bad.append(FieldViolation(f"{field}.problem_id", f"problem {problem_id!r} is listed twice"))
        if not LABEL_PATTERN.match(label):
            bad.append(FieldViolation(f"{field}.label", "1 to 8 letters or digits"))
        elif label.upper() in seen_labels:
            bad.append(FieldViolation(f"{field}.label", f"label {label!r} is used twice"))
        if not 0 < max_score <= MAX_SCORE:
            bad.append(FieldViolation(f"{field}.max_score", f"between 1 and {MAX_SCORE}"))
        seen_ids.add(problem_id)
        seen_labels.add(label.upper())
        problems.append(ContestProblem(problem_id, label, max_score, problem.title))
    if bad:
        raise InvalidArgument(f"invalid contest: {bad[0].field}: {bad[0].description}", violations=bad)
    return dataclasses.replace(spec, title=title, problems=tuple(problems))


def validate_update(current: Spec, changes: Mapping[str, object], now: dt.datetime) -> Spec:
    """The spec after ``changes`` (field name → new value), validated; after the start only the title,
    the description and the end and freeze times may change, and a running contest may not end in the past."""
    unknown = sorted(set(changes) - UPDATABLE_FIELDS)
    if unknown:
        raise InvalidArgument.field("update_mask", f"cannot change {', '.join(unknown)}", reason="INVALID_UPDATE_MASK")
    if not changes:
        raise InvalidArgument.field("update_mask", "names no field to change", reason="INVALID_UPDATE_MASK")
    started = phase_at(current, now) is not Phase.UPCOMING
    if started:
        locked = sorted(set(changes) - UPDATABLE_WHILE_RUNNING)
        if locked:
            raise FailedPrecondition(
                f"the contest has started: {', '.join(locked)} can no longer change "
                "(only title, description, duration and freeze_before_end)"
            )
    updated = validate(dataclasses.replace(current, **changes))  # type: ignore[arg-type]
    if started and phase_at(current, now) is not Phase.ENDED and updated.end_time <= now:
        raise InvalidArgument.field("contest.duration", "a running contest cannot be made to end in the past")
    return updated


def may_manage(contest: Contest, caller: Identity) -> bool:
    """The author (a SETTER) or an ADMIN may change a contest and publish its standings."""
    return caller.is_admin or (caller.user_id == contest.author_id and caller.has_role(Role.SETTER))


def problems_shown(contest: Contest, caller: Identity | None, now: dt.datetime) -> tuple[ContestProblem, ...]:
    """A contest's problems as a caller sees them: before the start, only labels and points to anyone but
    its managers (ids and titles would tell what the contest holds; the problems themselves are embargoed)."""
    if phase_at(contest.spec, now) is not Phase.UPCOMING or (caller is not None and may_manage(contest, caller)):
        return contest.spec.problems
    return tuple(ContestProblem("", p.label, p.max_score, "") for p in contest.spec.problems)


def require_manager(contest: Contest, caller: Identity) -> None:
    if not may_manage(contest, caller):
        raise PermissionDenied("only the contest's author or an admin may do this", reason="NOT_OWNER")


def check_registration(contest: Contest, now: dt.datetime) -> None:
    """Registration is open until the end."""
    if phase_at(contest.spec, now) is Phase.ENDED:
        raise FailedPrecondition("the contest has ended", reason="CONTEST_REGISTRATION_CLOSED")


def authorize(contest: Contest, registered: bool, problem_id: str, now: dt.datetime) -> ContestProblem:
    """The contest problem a user may submit now, or FailedPrecondition saying why not."""
    phase = phase_at(contest.spec, now)
    if phase not in (Phase.RUNNING, Phase.FROZEN):
        word = "has not started" if phase is Phase.UPCOMING else "has ended"
        raise FailedPrecondition(f"the contest {word}", reason="CONTEST_NOT_RUNNING", metadata={"phase": phase.name})
    if not registered:
        raise FailedPrecondition("you are not registered for this contest", reason="CONTEST_NOT_REGISTERED")
    problem = contest.spec.problem(problem_id)
    if problem is None:
        raise FailedPrecondition(f"problem {problem_id!r} is not in this contest", reason="PROBLEM_NOT_IN_CONTEST")
    return problem


# -- results and scoring -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GroupScore:
    """Points a submission earned on one test group (subtask)."""

    group: str
    points: float


@dataclasses.dataclass(frozen=True)
class Result:
    """A judged contest submission, as the judge reports it."""

    submission_id: str
    user_id: str
    problem_id: str
    verdict: Verdict
    submit_time: dt.datetime
    score: float = 0.0
    """The fraction of tests accepted, 0 to 1."""
    groups: tuple[GroupScore, ...] = ()
    judge_time: dt.datetime = EPOCH
    """When the judgement was made: a rejudge replaces an older judgement, never the reverse."""

    def supersedes(self, other: Result) -> bool:
        """Whether this judgement of a submission wins over ``other`` (the later one; ties by content)."""
        return (self.judge_time, _order_key(self)) > (other.judge_time, _order_key(other))


def _order_key(r: Result) -> tuple[object, ...]:
    return (
        r.verdict.value,
        r.score,
        tuple((g.group, g.points) for g in r.groups),
        r.user_id,
        r.problem_id,
        r.submit_time,
    )


def latest(results: Iterable[Result]) -> dict[str, Result]:
    """One judgement per submission, the latest: what any order or replay of the same results reduces to."""
    out: dict[str, Result] = {}
    for r in results:
        have = out.get(r.submission_id)
        if have is None or r.supersedes(have):
            out[r.submission_id] = r
    return out


@dataclasses.dataclass(frozen=True)
class Participant:
    user_id: str
    display_name: str


class ViewerKind(enum.Enum):
    PUBLIC = 1
    CONTESTANT = 2
    JURY = 3


@dataclasses.dataclass(frozen=True)
class Viewer:
    """Who looks at a board: the public, one contestant (sees their own results), or the jury (live)."""

    kind: ViewerKind
    user_id: str = ""

    @property
    def key(self) -> str:
        """The board cache's key for this view."""
        return f"user:{self.user_id}" if self.kind is ViewerKind.CONTESTANT else self.kind.name.lower()


PUBLIC = Viewer(ViewerKind.PUBLIC)
JURY = Viewer(ViewerKind.JURY)


def viewer_for(contest: Contest, caller: Identity | None, registered: bool) -> Viewer:
    """The view a caller gets; during a freeze only the view matters, so unregistered callers share PUBLIC."""
    if not is_frozen_board(contest):
        return JURY  # nothing hidden: everyone sees the same live board
    if caller is not None and may_manage(contest, caller):
        return JURY
    if caller is not None and registered:
        return Viewer(ViewerKind.CONTESTANT, caller.user_id)
    return PUBLIC


def hidden_from(contest: Contest, result: Result, viewer: Viewer) -> bool:
    """Whether ``viewer`` sees this result as pending: submitted after the freeze start by someone else."""
    freeze = contest.spec.freeze_time
    if freeze is None or contest.final_standings_published or viewer.kind is ViewerKind.JURY:
        return False
    if viewer.kind is ViewerKind.CONTESTANT and viewer.user_id == result.user_id:
        return False
    return result.submit_time >= freeze


@dataclasses.dataclass(frozen=True)
class Cell:
    label: str
    solved: bool = False
    rejected_attempts: int = 0
    pending_attempts: int = 0
    score: float = 0.0
    solved_after: dt.timedelta | None = None
    first_solve: bool = False


@dataclasses.dataclass(frozen=True)
class Row:
    rank: int
    user_id: str
    display_name: str
    score: float
    solved_count: int
    penalty: dt.timedelta
    cells: tuple[Cell, ...]


@dataclasses.dataclass(frozen=True)
class Standings:
    rows: tuple[Row, ...]
    frozen: bool
    """Whether some results are hidden from this view (shown as pending)."""


def _minutes(delta: dt.timedelta) -> dt.timedelta:
    """A time truncated to whole minutes, as ICPC penalty counts it."""
    return dt.timedelta(minutes=int(delta.total_seconds() // 60))


def _icpc_cell(problem: ContestProblem, spec: Spec, attempts: Sequence[tuple[Result, bool]]) -> Cell:
    rejected = pending = 0
    for result, hidden in attempts:
        if hidden:
            pending += 1
            continue
        if result.verdict in NOT_COUNTED:
            continue
        if result.verdict is Verdict.ACCEPTED:
            return Cell(
                problem.label,
                solved=True,
                rejected_attempts=rejected,
                pending_attempts=pending,
                score=1.0,
                solved_after=result.submit_time - spec.start_time,
            )
        rejected += 1
    return Cell(problem.label, rejected_attempts=rejected, pending_attempts=pending)


def _ioi_cell(problem: ContestProblem, spec: Spec, attempts: Sequence[tuple[Result, bool]]) -> Cell:
    best_groups: dict[str, float] = {}
    best_plain = 0.0
    reached: dt.datetime | None = None
    total = 0.0
    pending = rejected = 0
    for result, hidden in attempts:
        if hidden:
            pending += 1
            continue
        if result.verdict in NOT_COUNTED:
            continue
        if result.verdict is not Verdict.ACCEPTED:
            rejected += 1
        if result.groups:
            for g in result.groups:
                best_groups[g.group] = max(best_groups.get(g.group, 0.0), g.points)
        else:
            best_plain = max(best_plain, min(max(result.score, 0.0), 1.0) * problem.max_score)
        new_total = max(best_plain, sum(best_groups[k] for k in sorted(best_groups)))
        if new_total > total:
            total, reached = new_total, result.submit_time
    total = round(min(total, problem.max_score), 6)
    return Cell(
        problem.label,
        solved=total >= problem.max_score,
        rejected_attempts=rejected,
        pending_attempts=pending,
        score=total,
        solved_after=None if reached is None else reached - spec.start_time,
    )


@dataclasses.dataclass(frozen=True)
class Entry:
    """One participant's standing before ranking: the sort key, the totals and the cells (first-to-solve
    flags are set by ``ranked``, as they depend on everyone)."""

    key: tuple[object, ...]
    person: Participant
    score: float
    solved: int
    penalty: dt.timedelta
    cells: tuple[Cell, ...]
    hidden: bool
    """Whether some of this participant's results are hidden from the view (pending)."""

    @functools.cached_property
    def order(self) -> tuple[tuple[object, ...], str]:
        """Where the entry sorts: best key first, ties by user id."""
        return (self.key, self.person.user_id)

    @functools.cached_property
    def solve_times(self) -> tuple[tuple[int, dt.timedelta], ...]:
        """(column, time) of each solved cell with a time: the candidates for a first solve."""
        return tuple((k, c.solved_after) for k, c in enumerate(self.cells) if c.solved and c.solved_after is not None)


RowMemo: TypeAlias = dict[str, tuple[Entry, int, tuple[int, ...], "Row"]]
"""``ranked``'s rows of the last call by user id, with what made them (entry, rank, first-solve columns):
a caller ranking the same participants again passes it to reuse the rows that did not change."""


def counts(spec: Spec, result: Result) -> bool:
    """Whether a result of a participant can count at all: a problem of the contest, inside its window."""
    return spec.problem(result.problem_id) is not None and spec.start_time <= result.submit_time < spec.end_time


def entry(
    contest: Contest,
    person: Participant,
    results: Iterable[Result],
    viewer: Viewer = JURY,
    revealed: frozenset[str] = frozenset(),
) -> Entry:
    """``person``'s standing from their results (the latest judgement per submission, results that do not
    ``count`` left out), as ``viewer`` sees it; results on the ``revealed`` problems are never hidden (an
    unfreeze reveal resolves cells one at a time)."""
    spec = contest.spec
    by_problem: dict[str, list[tuple[Result, bool]]] = {}
    hidden_any = False
    for r in sorted(latest(results).values(), key=lambda r: (r.submit_time, r.submission_id)):
        if r.user_id != person.user_id or not counts(spec, r):
            continue
        hidden = r.problem_id not in revealed and hidden_from(contest, r, viewer)
        hidden_any |= hidden
        by_problem.setdefault(r.problem_id, []).append((r, hidden))
    icpc = spec.scoring_rule is ScoringRule.ICPC
    cell_of = _icpc_cell if icpc else _ioi_cell
    cells = tuple(cell_of(p, spec, by_problem.get(p.problem_id, ())) for p in spec.problems)
    solved = sum(c.solved for c in cells)
    if icpc:
        penalty = sum(
            (
                _minutes(c.solved_after) + spec.penalty_per_rejection * c.rejected_attempts
                for c in cells
                if c.solved and c.solved_after is not None
            ),
            dt.timedelta(0),
        )
        return Entry((-solved, penalty), person, float(solved), solved, penalty, cells, hidden_any)
    score = round(sum(c.score for c in cells), 6)
    return Entry((-score,), person, score, solved, dt.timedelta(0), cells, hidden_any)


def ranked(
    contest: Contest,
    entries: Iterable[Entry],
    viewer: Viewer = JURY,
    now: dt.datetime | None = None,
    memo: RowMemo | None = None,
) -> Standings:
    """The board from every participant's entry: best key first (ties by user id), equal keys share a rank;
    ICPC flags the first solve of each problem among the solves this view sees. ``memo`` (optional, updated):
    rows of an earlier call reused where entry, rank and flags are the same (the board is the same either way)."""
    order = sorted(entries, key=_order_of)
    first: dict[int, dt.timedelta] = {}
    """Column -> the earliest solve time in it (ICPC)."""
    if contest.spec.scoring_rule is ScoringRule.ICPC:
        for e in order:
            for column, t in e.solve_times:
                best = first.get(column)
                if best is None or t < best:
                    first[column] = t
    rows: list[Row] = []
    rank = 0
    previous: tuple[object, ...] | None = None
    any_hidden = False
    for i, e in enumerate(order):
        if not i or previous != e.key:
            rank = i + 1
        previous = e.key
        any_hidden |= e.hidden
        firsts = tuple(column for column, t in e.solve_times if first[column] == t) if first else ()
        user_id = e.person.user_id
        kept = memo.get(user_id) if memo is not None else None
        if kept is not None and kept[0] is e and kept[1] == rank and kept[2] == firsts:
            rows.append(kept[3])
            continue
        cells = e.cells
        if firsts:
            cells = tuple(dataclasses.replace(c, first_solve=True) if k in firsts else c for k, c in enumerate(cells))
        row = Row(rank, user_id, e.person.display_name, e.score, e.solved, e.penalty, cells)
        if memo is not None:
            memo[user_id] = (e, rank, firsts, row)
        rows.append(row)
    if memo is not None and len(memo) > len(rows):  # participants gone
        for user_id in memo.keys() - {r.user_id for r in rows}:
            del memo[user_id]
    return Standings(tuple(rows), any_hidden or _frozen_view(contest, viewer, now))


def _order_of(e: Entry) -> tuple[tuple[object, ...], str]:
    return e.order


def standings(
    contest: Contest,
    participants: Iterable[Participant],
    results: Iterable[Result],
    viewer: Viewer = JURY,
    now: dt.datetime | None = None,
) -> Standings:
    """The ranked board of ``contest`` as ``viewer`` sees it.

    A pure function of its inputs: results are reduced to the latest judgement per submission, attempts
    ordered by (submit time, submission id), results outside the contest window or of unknown problems or
    participants ignored. ICPC: most solved, then least penalty (whole minutes to the first accepted plus
    ``penalty_per_rejection`` per counted rejection before it); IOI: highest total of the best score per
    subtask (or the best fraction of tests passed times the points). Equal keys share a rank; ties list by
    user id. (``ranking.LiveStandings`` keeps the same board up to date recomputing only changed entries.)
    """
    people = {p.user_id: p for p in participants}
    by_user: dict[str, list[Result]] = {}
    for r in latest(results).values():  # one judgement per submission id, whoever it names
        if r.user_id in people:
            by_user.setdefault(r.user_id, []).append(r)
    entries = [entry(contest, person, by_user.get(user_id, ()), viewer) for user_id, person in people.items()]
    return ranked(contest, entries, viewer, now)


def _frozen_view(contest: Contest, viewer: Viewer, now: dt.datetime | None) -> bool:
    freeze = contest.spec.freeze_time
    return (
        viewer.kind is not ViewerKind.JURY
        and is_frozen_board(contest)
        and freeze is not None
        and now is not None
        and now >= freeze
    )


# -- virtual participation ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class VirtualParticipation:
    """A user's personal window of the contest's length, started after the end."""

    contest_id: str
    user_id: str
    display_name: str
    start_time: dt.datetime
    duration: dt.timedelta

    @property
    def end_time(self) -> dt.datetime:
        return self.start_time + self.duration

    def contest_time(self, now: dt.datetime) -> dt.timedelta:
        """How far into the contest the participant is at ``now`` (0 before, the duration after the window)."""
        return min(max(now - self.start_time, dt.timedelta(0)), self.duration)

    def running(self, now: dt.datetime) -> bool:
        return self.start_time <= now < self.end_time


def check_virtual_start(contest: Contest, registered: bool, now: dt.datetime) -> None:
    """A virtual participation starts after the end, for a user who did not take part for real."""
    if phase_at(contest.spec, now) is not Phase.ENDED:
        raise FailedPrecondition(
            "virtual participation starts once the contest has ended; register to take part now",
            reason="CONTEST_NOT_RUNNING",
            metadata={"phase": phase_at(contest.spec, now).name},
        )
    if registered:
        raise FailedPrecondition(
            "you are registered for this contest: its standings already have your results",
            reason="ALREADY_REGISTERED",
        )


def authorize_virtual(
    contest: Contest, virtual: VirtualParticipation, problem_id: str, now: dt.datetime
) -> ContestProblem:
    """The problem a virtual participant may submit now (inside their window), or FailedPrecondition."""
    if not virtual.running(now):
        raise FailedPrecondition(
            "your virtual participation has ended", reason="CONTEST_NOT_RUNNING", metadata={"phase": "VIRTUAL_ENDED"}
        )
    problem = contest.spec.problem(problem_id)
    if problem is None:
        raise FailedPrecondition(f"problem {problem_id!r} is not in this contest", reason="PROBLEM_NOT_IN_CONTEST")
    return problem


def shifted(contest: Contest, virtual: VirtualParticipation, result: Result) -> Result:
    """A virtual result moved onto the contest's own timeline (same time into the contest)."""
    return dataclasses.replace(result, submit_time=contest.spec.start_time + (result.submit_time - virtual.start_time))


def virtual_standings(
    contest: Contest,
    participants: Iterable[Participant],
    results: Iterable[Result],
    virtual: VirtualParticipation,
    virtual_results: Iterable[Result],
    now: dt.datetime,
) -> Standings:
    """The virtual participant's board at ``now``: the real participants with the results submitted before
    the same time into the contest, plus the participant's own results from their window (shifted onto the
    contest's timeline), as a contestant saw the board at that moment (during the freeze: others' later
    attempts pending). Once the window is over, the board as the contest's final state shows it."""
    moment = contest.spec.start_time + virtual.contest_time(now)
    as_of = dataclasses.replace(contest, final_standings_published=False) if virtual.running(now) else contest
    real = [r for r in latest(results).values() if r.submit_time < moment and r.user_id != virtual.user_id]
    mine = [
        shifted(contest, virtual, r)
        for r in latest(virtual_results).values()
        if r.user_id == virtual.user_id and virtual.start_time <= r.submit_time < virtual.end_time
    ]
    people = [p for p in participants if p.user_id != virtual.user_id]
    people.append(Participant(virtual.user_id, virtual.display_name))
    viewer = Viewer(ViewerKind.CONTESTANT, virtual.user_id)
    return standings(as_of, people, [*real, *mine], viewer, moment)


# -- clarifications ----------------------------------------------------------------------------------

CLARIFICATION_TEXT_MAX = 2000


class ClarificationKind(enum.Enum):
    QUESTION = 1
    ANNOUNCEMENT = 2


@dataclasses.dataclass(frozen=True)
class Clarification:
    clarification_id: str
    contest_id: str
    kind: ClarificationKind
    problem_id: str
    """The problem it is about; empty for the contest in general."""
    label: str
    text: str
    author_id: str
    create_time: dt.datetime
    public: bool = False
    answer: str = ""
    answerer_id: str = ""
    answer_time: dt.datetime | None = None

    @property
    def answered(self) -> bool:
        return self.answer_time is not None


def clean_text(text: str, field: str) -> str:
    """Text trimmed, 1 to ``CLARIFICATION_TEXT_MAX`` characters, or InvalidArgument on ``field``."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidArgument.field(field, "must not be empty")
    if len(cleaned) > CLARIFICATION_TEXT_MAX:
        raise InvalidArgument.field(field, f"at most {CLARIFICATION_TEXT_MAX} characters")
    return cleaned


def clarification_problem(contest: Contest, problem_id: str) -> ContestProblem | None:
    """The contest problem named by id or label; None for a general one; InvalidArgument when unknown."""
    key = problem_id.strip()
    if not key:
        return None
    found = contest.spec.problem(key) or next(
        (p for p in contest.spec.problems if p.label.upper() == key.upper()), None
    )
    if found is None:
        raise InvalidArgument.field("problem_id", f"problem {key!r} is not in this contest")
    return found


def check_ask(contest: Contest, registered: bool, now: dt.datetime) -> None:
    """A registered participant may ask until the end."""
    if not registered:
        raise FailedPrecondition("only the contest's registered participants may ask", reason="CONTEST_NOT_REGISTERED")
    if phase_at(contest.spec, now) is Phase.ENDED:
        raise FailedPrecondition("the contest has ended", reason="CONTEST_NOT_RUNNING", metadata={"phase": "ENDED"})


def answered(question: Clarification, answer: str, public: bool, judge: Identity, now: dt.datetime) -> Clarification:
    """The question with its answer; FailedPrecondition for an announcement or a question answered already."""
    if question.kind is not ClarificationKind.QUESTION:
        raise FailedPrecondition("an announcement has no answer")
    if question.answered:
        raise FailedPrecondition(
            "this question has been answered already", metadata={"answerer_id": question.answerer_id}
        )
    return dataclasses.replace(
        question,
        answer=clean_text(answer, "answer"),
        public=public,
        answerer_id=judge.user_id,
        answer_time=now,
    )


def may_see(clarification: Clarification, viewer_id: str | None, jury: bool) -> bool:
    """Judges see everything; others see announcements, public answers and their own questions."""
    return jury or clarification.public or (viewer_id is not None and clarification.author_id == viewer_id)


def clarification_event(contest: Contest, c: Clarification) -> tuple[str, str]:
    """Where a new or answered clarification is pushed live, and as what: (realtime topic, event type).

    A new question goes to the contest's author (the judge); a public answer or an announcement to the
    contest's public topic; a private answer to the asker's own topic."""
    public_topic = f"contests/{contest.contest_id}/clarifications"
    if c.kind is ClarificationKind.ANNOUNCEMENT:
        return public_topic, "clarification.announced"
    if not c.answered:
        return f"users/{contest.author_id}/contests/{contest.contest_id}/clarifications", "clarification.asked"
    if c.public:
        return public_topic, "clarification.answered"
    return f"users/{c.author_id}/contests/{contest.contest_id}/clarifications", "clarification.answered"


# -- the contest's problems and the problem service's visibility ------------------------------------


def may_use_problem(
    caller: Identity, author_id: str, hidden: bool, embargo_end: dt.datetime | None, now: dt.datetime
) -> bool:
    """Whether the caller may put a problem in a contest: one they may see. A hidden problem, or one
    another contest keeps from the public until it starts, only if it is theirs or they are an admin;
    any other is refused exactly like a problem that does not exist (its existence is not told)."""
    publicly_visible = not hidden and (embargo_end is None or embargo_end <= now)
    return publicly_visible or caller.is_admin or (bool(author_id) and author_id == caller.user_id)


def kept_hidden(contest_author_id: str, problem_authors: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The problems (of (problem id, author id) pairs, in that order) the contest keeps hidden from everyone
    but their authors and admins until it starts: those its own author wrote. Another setter's public
    problem stays public: it was public before the contest (hiding it protects nothing) and hiding it would
    let anyone who can create a contest take a public problem away until a start date of their choosing."""
    return tuple(dict.fromkeys(p for p, author in problem_authors if author and author == contest_author_id))
