"""Rejudging, the DOMjudge model: pure values and rules (no I/O, no protos).

A *rejudging* groups new judgings of finished submissions (one submission, a problem's or a
contest's). The new judgings run in the judge queue beside new submissions but record nothing
on the submissions themselves: until the rejudging is *applied* the old verdicts stay official
and the submissions' watchers see nothing. Applying makes every new judging official at once
(one transaction), appends a REJUDGED event to each submission whose result changed and owes
other services the new result; cancelling discards the new judgings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import NamedTuple

from arena.core.errors import FailedPrecondition, InvalidArgument
from arena.execution.domain import Event, Final, Status, TestOutcome, Verdict

MAX_SUBMISSION_IDS = 1000
MAX_REASON_CHARS = 1000


class RejudgingState(enum.Enum):
    """Numbered as arena.execution.v1.RejudgingState."""

    PENDING = 1
    """Created; no new judging has started."""
    JUDGING = 2
    """Some new judgings started, not all finished."""
    READY = 3
    """Every new judging finished: the changes can be reviewed, then applied or cancelled."""
    APPLIED = 4
    CANCELLED = 5

    @property
    def closed(self) -> bool:
        return self in (RejudgingState.APPLIED, RejudgingState.CANCELLED)


@dataclasses.dataclass(frozen=True)
class Scope:
    """What a rejudging covers: exactly one of explicit submissions, a problem or a contest."""

    submission_ids: tuple[str, ...] = ()
    problem_id: str = ""
    contest_id: str = ""


def check_scope(scope: Scope, reason: str) -> Scope:
    """The scope names exactly one kind of target; ids are unique (order kept)."""
    named = sum(bool(x) for x in (scope.submission_ids, scope.problem_id, scope.contest_id))
    if named == 0:
        raise InvalidArgument.field("rejudging", "must name submission_ids, a problem_id or a contest_id")
    if named > 1:
        raise InvalidArgument.field("rejudging", "must name only one of submission_ids, problem_id, contest_id")
    if len(scope.submission_ids) > MAX_SUBMISSION_IDS:
        raise InvalidArgument.field("rejudging.submission_ids", f"must hold at most {MAX_SUBMISSION_IDS} ids")
    if any(not s for s in scope.submission_ids):
        raise InvalidArgument.field("rejudging.submission_ids", "must not hold empty ids")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidArgument.field("rejudging.reason", f"must be at most {MAX_REASON_CHARS} characters")
    return dataclasses.replace(scope, submission_ids=tuple(dict.fromkeys(scope.submission_ids)))


class JudgingKey(NamedTuple):
    """A new judging is named by its rejudging and its submission (one each)."""

    rejudging_id: str
    submission_id: str


@dataclasses.dataclass(frozen=True)
class Judging:
    """One submission's new judging within a rejudging, beside the official result it may replace."""

    rejudging_id: str
    submission_id: str
    status: Status
    """QUEUED until a judge starts it, RUNNING while judged, FINISHED with ``new``."""
    old_verdict: Verdict | None
    old_score: float
    new: Final | None = None
    results: tuple[TestOutcome, ...] = ()
    finish_time: dt.datetime | None = None

    @property
    def key(self) -> JudgingKey:
        return JudgingKey(self.rejudging_id, self.submission_id)

    @property
    def changed(self) -> bool:
        """The new result differs in verdict or score from the official one."""
        return self.new is not None and (self.new.verdict is not self.old_verdict or self.new.score != self.old_score)


@dataclasses.dataclass(frozen=True)
class Rejudging:
    rejudging_id: str
    scope: Scope
    create_user_id: str
    reason: str
    state: RejudgingState
    create_time: dt.datetime
    close_time: dt.datetime | None = None
    """When it was applied or cancelled."""
    close_user_id: str = ""
    judging_count: int = 0
    judged_count: int = 0
    changed_count: int = 0


def state_of(closed: RejudgingState | None, total: int, started: int, judged: int) -> RejudgingState:
    """The state of an open rejudging follows from its judgings; a closed one keeps its own."""
    if closed is not None:
        return closed
    if judged >= total:
        return RejudgingState.READY
    return RejudgingState.JUDGING if started else RejudgingState.PENDING


def closed_error(rejudging: Rejudging, action: str) -> FailedPrecondition:
    """Why an applied or cancelled rejudging cannot be ``action`` (applied, cancelled)."""
    return FailedPrecondition(
        f"rejudging {rejudging.rejudging_id} was already {rejudging.state.name.lower()}; it cannot be {action}",
        reason="REJUDGING_CLOSED",
    )


def not_ready_error(rejudging: Rejudging) -> FailedPrecondition:
    return FailedPrecondition(
        f"rejudging {rejudging.rejudging_id} is still judging ({rejudging.judged_count} of "
        f"{rejudging.judging_count} judged); apply it once it is ready",
        reason="REJUDGING_NOT_READY",
    )


def overlap_error(submission_id: str = "") -> FailedPrecondition:
    """A submission (named when known) is already in an open rejudging."""
    which = f"submission {submission_id} is" if submission_id else "a submission in this scope is"
    return FailedPrecondition(
        f"{which} already in an open rejudging; apply or cancel that one first", reason="REJUDGING_OVERLAPS"
    )


@dataclasses.dataclass(frozen=True)
class Rejudged(Event):
    """A REJUDGED event: an applied rejudging changed the submission's result (the domain's type is
    FINISHED: it carries the final verdict and, when it is the log's last event, ends a watch)."""

    rejudging_id: str = ""


@dataclasses.dataclass(frozen=True)
class Superseded(Event):
    """A FINISHED (or REJUDGED) event a later rejudging replaced: a replay goes on past it."""

    rejudging_id: str = ""

    @property
    def last(self) -> bool:
        return False


def superseded(event: Event) -> Superseded:
    return Superseded(**{f.name: getattr(event, f.name) for f in dataclasses.fields(Event)},
                      rejudging_id=getattr(event, "rejudging_id", ""))  # fmt: skip
