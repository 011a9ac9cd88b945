"""Per-group scores, points, each test's fraction and judge notes survive every ExecutionStore
(in-memory, SQLite, PostgreSQL) and the events watchers replay."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from arena.execution.domain import EventType, GroupScore, Status, TestGroup, TestOutcome, Verdict, overall
from arena.execution.store import ExecutionStore
from integration.db.test_execution_store import LEASE, T0, queue, store  # noqa: F401 (the fixture)

pytestmark = pytest.mark.timeout(120)


async def test_group_scores_and_partial_fractions_round_trip(store: ExecutionStore):  # noqa: F811
    (submission_id,) = await queue(store, 1)
    now = T0 + dt.timedelta(minutes=1)
    await store.claim_next("j", now, LEASE)
    await store.advance(submission_id, EventType.RUNNING, Status.RUNNING, now, owner="j")
    results = [
        TestOutcome(1, True, Verdict.ACCEPTED, score=1.0),
        TestOutcome(2, False, Verdict.WRONG_ANSWER, score=0.25, checker_message=""),
        TestOutcome(3, False, Verdict.ACCEPTED, score=1.0),
    ]
    for outcome in results:
        await store.record_test(submission_id, outcome, now, owner="j")
    groups = (TestGroup("small", 30, (1,)), TestGroup("large", 70, (2, 3)))
    final = dataclasses.replace(overall(results, 3, groups), judge_notes="test 2: checker failed: ...")
    finished = await store.finish(submission_id, final, now, [], owner="j")

    expected_groups = (
        GroupScore("small", 30, 30, Verdict.ACCEPTED),
        GroupScore("large", 17.5, 70, Verdict.WRONG_ANSWER),
    )
    assert finished.groups == expected_groups and (finished.points, finished.max_points) == (47.5, 100)
    stored = await store.get(submission_id)
    assert stored is not None
    assert (stored.points, stored.max_points, stored.groups, stored.score) == (47.5, 100, expected_groups, 0.475)
    assert stored.judge_notes == "test 2: checker failed: ..."
    assert [r.score for r in stored.results] == [1.0, 0.25, 1.0]
    replayed = await store.events_after(submission_id, 0)
    assert replayed[-1].groups == expected_groups and replayed[-1].points == 47.5
    assert [e.test.score for e in replayed if e.test] == [1.0, 0.25, 1.0]
