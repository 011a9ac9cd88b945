"""The analytics service through the edge: REST, gRPC-Web and native gRPC; the judge's outbox feeding it."""

from __future__ import annotations

import time
import uuid

import grpc
import httpx
import pytest

from arena.analytics.v1 import (
    analytics_internal_service_pb2,
    analytics_internal_service_pb2_grpc,
    analytics_pb2,
    analytics_service_pb2,
    analytics_service_pb2_grpc,
)
from arena.launcher import Platform
from e2e.conftest import error_reason, register_and_login
from support.grpcweb_client import WebChannel

pytestmark = pytest.mark.timeout(120)

ACCEPTED_PY = "a, b = map(int, input().split())\nprint(a + b)\n"
WRONG_PY = "print(0)\n"


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def token(platform: Platform) -> str:
    with httpx.Client(base_url=platform.settings.edge_url, timeout=10) as rest:
        return register_and_login(rest, f"stats-{uuid.uuid4().hex[:8]}")


def test_client_events_over_rest_are_idempotent_and_validated(rest: httpx.Client, token: str):
    problem = f"p-{uuid.uuid4().hex[:8]}"
    event = {"event_id": f"v-{problem}", "type": "EVENT_TYPE_PROBLEM_VIEWED", "problem_id": problem}
    first = rest.post("/v1/events", json=event, headers=auth(token))
    assert first.status_code == 200, first.text
    assert first.json() == {"event_id": f"v-{problem}", "recorded": True}
    assert rest.post("/v1/events", json=event, headers=auth(token)).json()["recorded"] is False
    batch = {"events": [{**event, "event_id": f"b{i}-{problem}"} for i in range(3)] + [event]}
    counted = rest.post("/v1/events:batch", json=batch, headers=auth(token))
    assert counted.json() == {"recorded_count": 3, "duplicate_count": 1}
    insights = rest.get(f"/v1/problems/{problem}/insights").json()["insights"]
    assert insights["view_count"] == 4 and insights["submission_count"] == 0


def test_anonymous_page_views_need_a_client_id(rest: httpx.Client):
    page = {"type": "EVENT_TYPE_PAGE_VIEWED", "client_id": "browser-0001", "attributes": {"path": "/problems"}}
    ok = rest.post("/v1/events", json=page)
    assert ok.status_code == 200 and ok.json()["recorded"] is True and len(ok.json()["event_id"]) == 32
    missing = rest.post("/v1/events", json={**page, "client_id": ""})
    assert missing.status_code == 401 and error_reason(missing.json()) == "ANONYMOUS_EVENT_NOT_ALLOWED"
    hint = rest.post("/v1/events", json={**page, "type": "EVENT_TYPE_HINT_REQUESTED", "problem_id": "p"})
    assert hint.status_code == 401 and error_reason(hint.json()) == "ANONYMOUS_EVENT_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("body", "status", "reason", "field"),
    [
        ({"type": "EVENT_TYPE_SUBMISSION_JUDGED", "problem_id": "p"}, 400, "EVENT_TYPE_NOT_ALLOWED", "event.type"),
        ({"type": "EVENT_TYPE_UNSPECIFIED"}, 400, "VALIDATION_FAILED", "event.type"),
        ({"type": "EVENT_TYPE_PROBLEM_VIEWED"}, 400, "VALIDATION_FAILED", "event.problem_id"),
        ({"type": "EVENT_TYPE_PAGE_VIEWED", "attributes": {"path": "x"}}, 400, "VALIDATION_FAILED", "event.attributes"),
    ],
)
def test_bad_events_get_clear_errors(rest: httpx.Client, token: str, body: dict, status: int, reason: str, field: str):
    response = rest.post("/v1/events", json=body, headers=auth(token))
    assert response.status_code == status, response.text
    assert error_reason(response.json()) == reason
    violations = [v for d in response.json()["details"] for v in d.get("field_violations", [])]
    assert [v["field"] for v in violations] == [field]


def test_reads_check_their_arguments(rest: httpx.Client, token: str):
    zone = rest.get("/v1/users/me/insights", params={"time_zone": "Mars/Base"}, headers=auth(token))
    assert zone.status_code == 400 and error_reason(zone.json()) == "UNKNOWN_TIME_ZONE"
    assert rest.get("/v1/users/me/insights").status_code == 401
    days = rest.get("/v1/users/me/insights", params={"days": 400}, headers=auth(token))
    assert days.status_code == 400
    backwards = rest.get("/v1/stats", params={"start_time": "2026-12-01T00:00:00Z", "end_time": "2026-11-01T00:00:00Z"})
    assert backwards.status_code == 400 and error_reason(backwards.json()) == "VALIDATION_FAILED"
    too_many = rest.post(
        "/v1/events:batch", json={"events": [{"type": 1, "problem_id": "p"}] * 1001}, headers=auth(token)
    )
    assert too_many.status_code == 400


def test_a_sender_over_its_rate_is_told_when_to_retry(rest: httpx.Client):
    token = register_and_login(rest, f"flood-{uuid.uuid4().hex[:8]}")
    batch = {"events": [{"type": "EVENT_TYPE_PROBLEM_VIEWED", "problem_id": "flooded"}] * 1000}
    for _ in range(2):  # the burst: 2,000 events
        assert rest.post("/v1/events:batch", json=batch, headers=auth(token)).status_code == 200
    refused = rest.post("/v1/events:batch", json=batch, headers=auth(token))
    assert refused.status_code == 429 and error_reason(refused.json()) == "RATE_LIMITED"
    assert any(d["@type"].endswith("RetryInfo") for d in refused.json()["details"])


def test_the_judges_outbox_lands_in_the_insights(rest: httpx.Client, token: str):
    submitted = []
    for source in (WRONG_PY, ACCEPTED_PY):
        response = rest.post(
            "/v1/submissions",
            json={"problem_id": "a-plus-b", "language_id": "python3", "source": source},
            headers=auth(token),
        )
        assert response.status_code == 200, response.text
        submitted.append(response.json()["submission"])
        time.sleep(0.05)
    problem_id = submitted[0]["problem_id"]
    deadline = time.monotonic() + 60
    mine: dict = {}
    while time.monotonic() < deadline:
        mine = rest.get("/v1/users/me/insights", headers=auth(token)).json()["insights"]
        if mine.get("submission_count") == 2:
            break
        time.sleep(0.25)
    assert mine["submission_count"] == 2 and mine["solved_count"] == 1 and mine["attempted_count"] == 1
    assert {v["verdict"] for v in mine["verdicts"]} == {"VERDICT_ACCEPTED", "VERDICT_WRONG_ANSWER"}
    assert mine["activity"][-1]["submission_count"] == 2 and mine["current_streak_days"] == 1
    assert [g["group"] for g in mine["by_difficulty"]] == ["DIFFICULTY_EASY"]  # from the problem service
    problem = rest.get(f"/v1/problems/{problem_id}/insights").json()["insights"]
    assert problem["submission_count"] >= 2 and problem["solver_count"] >= 1
    assert any(p["percentile"] == 50 for p in problem["time_to_solve"])
    stats = rest.get("/v1/stats").json()["stats"]
    assert stats["submission_count"] >= 2 and stats["days"][-1]["submission_count"] >= 2
    assert stats["judge_wait_p95"] != "0s"


async def test_native_grpc_and_grpc_web_through_the_edge(platform: Platform, token: str):
    events = [analytics_pb2.Event(type=analytics_pb2.EVENT_TYPE_CODE_RUN, language_id="cpp") for _ in range(5)]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
        stub = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
        tracked = await stub.TrackEvents(
            analytics_service_pb2.TrackEventsRequest(events=events), metadata=(("authorization", f"Bearer {token}"),)
        )
        assert tracked.recorded_count == 5
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.TrackEvents(analytics_service_pb2.TrackEventsRequest(events=events))
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        stats = await stub.GetPlatformStats(analytics_service_pb2.GetPlatformStatsRequest())
        assert len(stats.stats.days) == 30
        internal = analytics_internal_service_pb2_grpc.AnalyticsInternalServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await internal.RecordEvents(analytics_internal_service_pb2.RecordEventsRequest())
        assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED  # never routed by the edge
    async with WebChannel(platform.settings.edge_url) as web:
        stub = analytics_service_pb2_grpc.AnalyticsServiceStub(web)
        insights = await stub.GetProblemInsights(analytics_service_pb2.GetProblemInsightsRequest(problem_id="nope"))
        assert insights.insights.problem_id == "nope" and insights.insights.submission_count == 0
        with pytest.raises(grpc.RpcError) as bad:
            await stub.GetUserInsights(analytics_service_pb2.GetUserInsightsRequest(user_id="x", time_zone="No/Where"))
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_record_events_directly_is_idempotent(platform: Platform):
    event = analytics_pb2.Event(
        event_id=f"user_registered:{uuid.uuid4().hex}", type=analytics_pb2.EVENT_TYPE_USER_REGISTERED, user_id="zed"
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.ports['analytics'].grpc}") as channel:
        stub = analytics_internal_service_pb2_grpc.AnalyticsInternalServiceStub(channel)
        first = await stub.RecordEvents(analytics_internal_service_pb2.RecordEventsRequest(events=[event, event]))
        assert (first.recorded_count, first.duplicate_count) == (1, 1)
        again = await stub.RecordEvents(analytics_internal_service_pb2.RecordEventsRequest(events=[event]))
        assert (again.recorded_count, again.duplicate_count) == (0, 1)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.RecordEvents(
                analytics_internal_service_pb2.RecordEventsRequest(events=[analytics_pb2.Event(type=13, user_id="x")])
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "event_id" in caught.value.details()


@pytest.mark.parametrize("protocol", ["grpc", "grpc-web"])
async def test_every_rpc_answers_over_both_grpc_protocols(platform: Platform, token: str, protocol: str):
    meta = (("authorization", f"Bearer {token}"),)
    view = analytics_pb2.Event(type=analytics_pb2.EVENT_TYPE_PROBLEM_VIEWED, problem_id=f"both-{protocol}")
    if protocol == "grpc":
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}")
    else:
        channel = WebChannel(platform.settings.edge_url)
    async with channel:
        stub = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
        one = await stub.TrackEvent(analytics_service_pb2.TrackEventRequest(event=view), metadata=meta)
        assert one.recorded and one.event_id
        many = await stub.TrackEvents(analytics_service_pb2.TrackEventsRequest(events=[view, view]), metadata=meta)
        assert many.recorded_count == 2
        problem = await stub.GetProblemInsights(
            analytics_service_pb2.GetProblemInsightsRequest(problem_id=f"both-{protocol}")
        )
        assert problem.insights.view_count == 3
        mine = await stub.GetUserInsights(
            analytics_service_pb2.GetUserInsightsRequest(user_id="me", time_zone="Asia/Tokyo", days=7), metadata=meta
        )
        assert len(mine.insights.activity) == 7 and mine.insights.time_zone == "Asia/Tokyo"
        stats = await stub.GetPlatformStats(analytics_service_pb2.GetPlatformStatsRequest())
        assert stats.stats.days and stats.stats.days[-1].active_user_count >= 1
