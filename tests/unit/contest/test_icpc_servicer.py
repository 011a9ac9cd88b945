"""The ICPC Contest API export through the servicer: HttpBody documents, serialized once per view."""

from __future__ import annotations

import json

from google.api import httpbody_pb2

from arena.contest.v1 import contest_service_pb2 as public
from unit.contest.test_servicer import _stream_setup, parts, result  # noqa: F401 (the fixture)


async def test_the_scoreboard_and_event_feed_as_http_bodies(parts) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    servicer, internal_servicer, _clock, cid = await _stream_setup(parts)
    await internal_servicer.RecordSubmissionResult(result("s1", "bob", 30, verdict=2, cid=cid), None)
    await internal_servicer.RecordSubmissionResult(result("s2", "bob", 41, cid=cid), None)
    request = public.GetIcpcScoreboardRequest(contest_id=cid)
    raw = await servicer.GetIcpcScoreboard(request, None)
    assert await servicer.GetIcpcScoreboard(request, None) is raw  # built once per view and version
    body = httpbody_pb2.HttpBody.FromString(raw)
    assert body.content_type == "application/json"
    board = json.loads(body.data)
    bob = board["rows"][0]
    assert (bob["rank"], bob["team_id"], bob["score"]) == (1, "bob", {"num_solved": 1, "total_time": 61})
    assert bob["problems"][0] == {
        "problem_id": "A",
        "num_judged": 2,
        "num_pending": 0,
        "solved": True,
        "time": 41,
        "first_to_solve": True,
    }
    assert board["state"]["started"] and board["state"]["ended"] is None
    feed = httpbody_pb2.HttpBody.FromString(
        await servicer.GetIcpcEventFeed(public.GetIcpcEventFeedRequest(contest_id=cid), None)
    )
    assert feed.content_type == "application/x-ndjson"
    events = [json.loads(line) for line in feed.data.decode().splitlines()]
    assert events[0]["type"] == "contest" and events[-1]["type"] == "state"
    assert [e["data"]["judgement_type_id"] for e in events if e["type"] == "judgements"] == ["WA", "AC"]
