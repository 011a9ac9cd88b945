"""A contest to benchmark with: N contestants, P problems, S judged submissions, deterministic.

``synthetic(...)`` builds it as domain values (for the pure scoring benchmark); ``seed(...)`` writes
the same contest into the contest service's own database in one transaction (registrations and
results as rows, the board at version 1), so a benchmark can start the platform on it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random

import sqlalchemy as sa

from arena.contest.domain import (
    Contest,
    ContestProblem,
    GroupScore,
    Participant,
    Result,
    ScoringRule,
    Spec,
    Verdict,
)
from arena.contest.store import RegistrationRow, ResultRow, SqlContestStore
from arena.kit.db import make_engine

CONTEST_ID = "bench-contest"
START = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
DURATION = dt.timedelta(days=29)
"""Long enough that the contest is RUNNING whenever the benchmark runs (no freeze: one view for all)."""
WINDOW = dt.timedelta(hours=5)
"""Submissions fall in the first five hours, as in a real contest."""
VERDICTS = (
    (Verdict.ACCEPTED, 0.35),
    (Verdict.WRONG_ANSWER, 0.40),
    (Verdict.TIME_LIMIT_EXCEEDED, 0.12),
    (Verdict.RUNTIME_ERROR, 0.05),
    (Verdict.COMPILATION_ERROR, 0.08),
)


@dataclasses.dataclass(frozen=True)
class Synthetic:
    contest: Contest
    participants: tuple[Participant, ...]
    results: tuple[Result, ...]


def user_id(i: int) -> str:
    return f"u{i:05d}"


def synthetic(
    rule: ScoringRule,
    *,
    contestants: int = 1000,
    problems: int = 10,
    submissions: int = 10_000,
    seed: int = 13,
    start: dt.datetime = START,
) -> Synthetic:
    """The contest, its participants and its results (IOI results carry three subtasks each); ``start``
    a moment in the last 29 days keeps the contest running now."""
    rng = random.Random(seed)
    spec = Spec(
        title="Bench contest",
        scoring_rule=rule,
        start_time=start,
        duration=DURATION,
        problems=tuple(ContestProblem(f"p{j:02d}", chr(ord("A") + j), 100, f"Problem {j}") for j in range(problems)),
    )
    created = start - dt.timedelta(days=1)
    contest = Contest(CONTEST_ID, spec, "bench-author", created, created)
    participants = tuple(Participant(user_id(i), f"Contestant {i}") for i in range(contestants))
    verdicts, weights = zip(*VERDICTS, strict=True)
    results = []
    for k in range(submissions):
        verdict = rng.choices(verdicts, weights)[0]
        fraction = 1.0 if verdict is Verdict.ACCEPTED else round(rng.random(), 2)
        groups = ()
        if rule is ScoringRule.IOI and verdict is not Verdict.COMPILATION_ERROR:
            groups = tuple(
                GroupScore(f"g{g}", 0.0 if rng.random() > fraction else points)
                for g, points in enumerate((20.0, 30.0, 50.0))
            )
        submit = start + dt.timedelta(seconds=rng.randrange(int(WINDOW.total_seconds())))
        results.append(
            Result(
                submission_id=f"s{k:06d}",
                user_id=user_id(rng.randrange(contestants)),
                problem_id=f"p{rng.randrange(problems):02d}",
                verdict=verdict,
                submit_time=submit,
                score=fraction,
                groups=groups,
                judge_time=submit + dt.timedelta(seconds=5),
            )
        )
    return Synthetic(contest, participants, tuple(results))


async def seed(database_url: str, data: Synthetic) -> None:
    """The contest service's database, migrated, holding ``data`` (registrations and results as rows)."""
    engine = make_engine(database_url)
    try:
        store = SqlContestStore(engine)
        await store.migrate()
        contest = data.contest
        await store.insert(contest.contest_id, contest.spec, contest.author_id, contest.create_time)
        registrations = [
            {
                "contest_id": contest.contest_id,
                "user_id": p.user_id,
                "display_name": p.display_name,
                "register_time": contest.create_time,
            }
            for p in data.participants
        ]
        results = [
            {
                "submission_id": r.submission_id,
                "contest_id": contest.contest_id,
                "user_id": r.user_id,
                "problem_id": r.problem_id,
                "verdict": r.verdict.name,
                "score": r.score,
                "groups": json.dumps([[g.group, g.points] for g in r.groups]),
                "submit_time": r.submit_time,
                "judge_time": r.judge_time,
            }
            for r in data.results
        ]
        async with engine.begin() as connection:
            await connection.execute(sa.insert(RegistrationRow.__table__), registrations)
            if results:
                await connection.execute(sa.insert(ResultRow.__table__), results)
            await connection.execute(
                sa.text(
                    "UPDATE contests SET participant_count = :n, board_version = board_version + 1 "
                    "WHERE contest_id = :c"
                ),
                {"n": len(registrations), "c": contest.contest_id},
            )
    finally:
        await engine.dispose()
