"""The standings and the contest in the ICPC Contest API's terms (CCS specification 2023-06), so ICPC
tools (resolvers, shadowing, scoreboards) can read an Arena contest. Pure: domain values in, JSON-ready
dicts out; no I/O, no protos.

- ``scoreboard(...)`` is the ``/contests/{id}/scoreboard`` document: rows of rank, team_id,
  score {num_solved, total_time} and problems [{problem_id, num_judged, num_pending, solved, time,
  first_to_solve}], times in whole minutes as 2023-06 has them (later drafts switch to RELTIME strings).
- ``event_feed(...)`` is the ``/contests/{id}/event-feed`` as a list of events (``{"type", "id", "data"}``):
  the contest, the judgement types, the problems, the teams, every submission and its judgement, the state.
- A team is a participant (``team_id`` is the user id); a problem's id is its label in the contest.
- Results hidden from the viewer by the freeze are pending (``num_pending``, a submission without a
  judgement in the feed), exactly as on the board the viewer gets.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from arena.contest.domain import (
    NOT_COUNTED,
    Contest,
    Participant,
    Result,
    ScoringRule,
    Standings,
    Verdict,
    Viewer,
    hidden_from,
    latest,
)

JUDGEMENT_TYPES: dict[Verdict, tuple[str, str, bool, bool]] = {
    Verdict.ACCEPTED: ("AC", "correct", False, True),
    Verdict.WRONG_ANSWER: ("WA", "wrong answer", True, False),
    Verdict.TIME_LIMIT_EXCEEDED: ("TLE", "time limit exceeded", True, False),
    Verdict.MEMORY_LIMIT_EXCEEDED: ("MLE", "memory limit exceeded", True, False),
    Verdict.RUNTIME_ERROR: ("RTE", "run-time error", True, False),
    Verdict.COMPILATION_ERROR: ("CE", "compiler error", False, False),
    Verdict.OUTPUT_LIMIT_EXCEEDED: ("OLE", "output limit exceeded", True, False),
    Verdict.INTERNAL_ERROR: ("JE", "judging error", False, False),
}
"""Arena's verdicts as the Contest API's judgement types: (id, name, penalty, solved). A SKIPPED run has none."""


def abstime(value: dt.datetime) -> str:
    """A TIME: ISO 8601 with milliseconds and the zone as ``+hh`` (``2026-12-01T09:00:00.000+00``)."""
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+00"


def reltime(delta: dt.timedelta) -> str:
    """A RELTIME: ``(-)h:mm:ss.uuu``."""
    sign = "-" if delta < dt.timedelta(0) else ""
    ms = abs(delta) // dt.timedelta(milliseconds=1)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{sign}{hours}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def minutes(delta: dt.timedelta | None) -> int:
    """Whole minutes, as ICPC counts solve and penalty time."""
    return 0 if delta is None else int(delta.total_seconds() // 60)


@dataclasses.dataclass(frozen=True)
class State:
    """When the contest reached each moment the Contest API names (None until it has)."""

    started: dt.datetime | None
    frozen: dt.datetime | None
    ended: dt.datetime | None
    thawed: dt.datetime | None
    finalized: dt.datetime | None
    end_of_updates: dt.datetime | None


def state(contest: Contest, now: dt.datetime) -> State:
    """The contest's state at ``now``. Published final standings are thawed and final when they were
    published (the contest's last update); a contest without a freeze is final at its end."""
    spec = contest.spec
    freeze = spec.freeze_time
    ended = now >= spec.end_time
    thawed = contest.update_time if contest.final_standings_published and freeze is not None else None
    final = (thawed or spec.end_time) if ended and (freeze is None or contest.final_standings_published) else None
    return State(
        started=spec.start_time if now >= spec.start_time else None,
        frozen=freeze if freeze is not None and now >= freeze else None,
        ended=spec.end_time if ended else None,
        thawed=thawed,
        finalized=final,
        end_of_updates=final,
    )


def _state_json(s: State) -> dict[str, str | None]:
    return {k: None if v is None else abstime(v) for k, v in dataclasses.asdict(s).items()}


def scoreboard(contest: Contest, standings: Standings, at: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    """The ``/contests/{id}/scoreboard`` document of ``standings`` (the board as of ``at``)."""
    ioi = contest.spec.scoring_rule is ScoringRule.IOI
    rows = []
    for row in standings.rows:
        score: dict[str, object] = {"num_solved": row.solved_count, "total_time": minutes(row.penalty)}
        if ioi:
            score["score"] = row.score
        problems = []
        for cell in row.cells:
            entry: dict[str, object] = {
                "problem_id": cell.label,
                "num_judged": cell.rejected_attempts + int(cell.solved),
                "num_pending": cell.pending_attempts,
                "solved": cell.solved,
            }
            if ioi:
                entry["score"] = cell.score
            if cell.solved:
                entry["time"] = minutes(cell.solved_after)
                entry["first_to_solve"] = cell.first_solve
            problems.append(entry)
        rows.append({"rank": row.rank, "team_id": row.user_id, "score": score, "problems": problems})
    return {
        "time": abstime(at),
        "contest_time": reltime(at - contest.spec.start_time),
        "state": _state_json(state(contest, now)),
        "rows": rows,
    }


def _contest_json(contest: Contest) -> dict[str, Any]:
    spec = contest.spec
    out: dict[str, object] = {
        "id": contest.contest_id,
        "name": spec.title,
        "formal_name": spec.title,
        "start_time": abstime(spec.start_time),
        "duration": reltime(spec.duration),
        "scoreboard_type": "pass-fail" if spec.scoring_rule is ScoringRule.ICPC else "score",
        "penalty_time": minutes(spec.penalty_per_rejection),
    }
    if spec.freeze_time is not None:
        out["scoreboard_freeze_duration"] = reltime(spec.freeze_before_end)
    return out


def event_feed(
    contest: Contest,
    participants: Iterable[Participant],
    results: Iterable[Result],
    viewer: Viewer,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """The event feed: everything a client needs to rebuild the scoreboard, in the order it must be
    applied (definitions first, then submissions and judgements by submit time, the state last)."""
    spec = contest.spec
    events: list[dict[str, Any]] = [{"type": "contest", "id": None, "data": _contest_json(contest)}]
    events += [
        {"type": "judgement-types", "id": tid, "data": {"id": tid, "name": name, "penalty": penalty, "solved": solved}}
        for tid, name, penalty, solved in JUDGEMENT_TYPES.values()
    ]
    events += [
        {
            "type": "problems",
            "id": p.label,
            "data": {
                "id": p.label,
                "label": p.label,
                "name": p.title or p.label,
                "ordinal": i,
                "test_data_count": 0,
                **({"max_score": p.max_score} if spec.scoring_rule is ScoringRule.IOI else {}),
            },
        }
        for i, p in enumerate(spec.problems)
    ]
    people = {p.user_id: p for p in participants}
    events += [
        {"type": "teams", "id": p.user_id, "data": {"id": p.user_id, "name": p.display_name or p.user_id}}
        for p in sorted(people.values(), key=lambda p: p.user_id)
    ]
    by_id = {p.problem_id: p for p in spec.problems}
    labels = {p.problem_id: p.label for p in spec.problems}
    ordered = sorted(latest(results).values(), key=lambda r: (r.submit_time, r.submission_id))
    for r in ordered:
        if r.user_id not in people or r.problem_id not in labels:
            continue
        if not spec.start_time <= r.submit_time < spec.end_time:
            continue
        events.append(
            {
                "type": "submissions",
                "id": r.submission_id,
                "data": {
                    "id": r.submission_id,
                    "team_id": r.user_id,
                    "problem_id": labels[r.problem_id],
                    "language_id": "",
                    "time": abstime(r.submit_time),
                    "contest_time": reltime(r.submit_time - spec.start_time),
                    "files": [],
                },
            }
        )
        judged = JUDGEMENT_TYPES.get(r.verdict)
        if judged is None or hidden_from(contest, r, viewer):
            continue  # no judgement (skipped), or pending for this viewer
        judgement: dict[str, object] = {
            "id": r.submission_id,
            "submission_id": r.submission_id,
            "judgement_type_id": judged[0],
            "start_time": abstime(r.submit_time),
            "start_contest_time": reltime(r.submit_time - spec.start_time),
            "end_time": abstime(max(r.judge_time, r.submit_time)),
            "end_contest_time": reltime(max(r.judge_time, r.submit_time) - spec.start_time),
        }
        if spec.scoring_rule is ScoringRule.IOI and r.verdict not in NOT_COUNTED:
            points = sum(g.points for g in r.groups) if r.groups else r.score * by_id[r.problem_id].max_score
            judgement["score"] = round(points, 6)
        events.append({"type": "judgements", "id": r.submission_id, "data": judgement})
    events.append({"type": "state", "id": None, "data": _state_json(state(contest, now))})
    return events


def json_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def ndjson(events: Sequence[dict[str, Any]]) -> bytes:
    """One event per line, each line a JSON object, as the Contest API streams its event feed."""
    return b"".join(json_bytes(e) + b"\n" for e in events)
