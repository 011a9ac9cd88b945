"""What the judge owes the contest service: per-group scores for IOI and an order for rejudged results."""

from __future__ import annotations

import datetime as dt

from arena.contest.v1 import contest_internal_service_pb2
from arena.execution import outbox
from arena.execution.domain import Final, GroupScore, Status, Submission, Verdict
from arena.execution.rejudge import Judging

T0 = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
SUBMISSION = Submission("s1", "u1", "subtasks", "cup", "python3", "x", False, Status.FINISHED, T0)
GROUPS = (GroupScore("small", 40.0, 40.0, Verdict.ACCEPTED), GroupScore("large", 0.0, 60.0, Verdict.WRONG_ANSWER))


def _contest_request(items) -> contest_internal_service_pb2.RecordSubmissionResultRequest:
    (payload,) = [data for target, data in items if target == outbox.CONTEST]
    return contest_internal_service_pb2.RecordSubmissionResultRequest.FromString(payload)


def test_a_contest_verdict_carries_each_groups_points_and_when_it_was_reached():
    final = Final(Verdict.WRONG_ANSWER, 0.4, 3, 5, 10, 900, points=40.0, max_points=100.0, groups=GROUPS)
    request = _contest_request(outbox.on_judged(SUBMISSION, final, T0 + dt.timedelta(seconds=3)))
    assert [(g.group, g.points) for g in request.group_scores] == [("small", 40.0), ("large", 0.0)]
    assert request.judge_time.ToDatetime(tzinfo=dt.UTC) == T0 + dt.timedelta(seconds=3)
    assert (request.score, request.judging_version) == (0.4, 0)


def test_a_rejudged_result_comes_later_and_with_a_higher_version():
    new = Final(Verdict.ACCEPTED, 1.0, 5, 5, 10, 900, points=100.0, max_points=100.0, groups=GROUPS[:1])
    judging = Judging("r1", "s1", Status.FINISHED, Verdict.WRONG_ANSWER, 0.4, new=new)
    applied = T0 + dt.timedelta(hours=1)
    request = _contest_request(outbox.on_rejudged(SUBMISSION, judging, 1, applied))
    assert request.judging_version == 1
    assert request.judge_time.ToDatetime(tzinfo=dt.UTC) == applied
    assert [(g.group, g.points) for g in request.group_scores] == [("small", 40.0)]


def test_analytics_hears_the_verdict_with_its_cpu_time_and_memory():
    from arena.analytics.v1 import analytics_internal_service_pb2, analytics_pb2

    final = Final(Verdict.ACCEPTED, 1.0, 5, 5, 123, 4567)
    (payload,) = [data for target, data in outbox.on_judged(SUBMISSION, final, T0) if target == outbox.ANALYTICS]
    (event,) = analytics_internal_service_pb2.RecordEventsRequest.FromString(payload).events
    assert event.type == analytics_pb2.EVENT_TYPE_SUBMISSION_JUDGED and event.event_id == "submission_judged:s1"
    assert (event.verdict, event.cpu_duration.ToMilliseconds(), event.memory_kib) == (Verdict.ACCEPTED.value, 123, 4567)
