"""Clarifications pushed to realtime: the payload is the Clarification message as JSON, and a slow or
failing realtime service never reaches the caller."""

from __future__ import annotations

import asyncio
import datetime as dt

from arena.contest.domain import Clarification, ClarificationKind
from arena.contest.publish import MAX_IN_FLIGHT, ClarificationPublisher
from arena.realtime.v1 import realtime_internal_service_pb2

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
NEWS = Clarification("n1", "c1", ClarificationKind.ANNOUNCEMENT, "p1", "A", "n ≤ 10⁵", "setter", T0, public=True)


class Realtime:
    def __init__(self, fail: bool = False, hold: asyncio.Event | None = None) -> None:
        self.requests: list[realtime_internal_service_pb2.PublishRequest] = []
        self.fail = fail
        self.hold = hold

    async def Publish(self, request, timeout_s: float):  # type: ignore[no-untyped-def]
        assert timeout_s > 0
        if self.hold is not None:
            await self.hold.wait()
        if self.fail:
            raise ConnectionError("realtime is down")
        self.requests.append(request)
        return realtime_internal_service_pb2.PublishResponse(sequence=1)


class Clients:
    def __init__(self, realtime: Realtime) -> None:
        self.realtime = realtime

    def stub(self, factory: object, service: str) -> Realtime:
        assert service == "realtime"
        return self.realtime


async def test_a_push_carries_the_clarification_as_json() -> None:
    realtime = Realtime()
    publisher = ClarificationPublisher(Clients(realtime))  # type: ignore[arg-type]
    publisher("contests/c1/clarifications", "clarification.announced", NEWS)
    await publisher.close()
    [sent] = realtime.requests
    assert (sent.topic, sent.event_type) == ("contests/c1/clarifications", "clarification.announced")
    payload = dict(sent.payload)
    assert payload["text"] == "n ≤ 10⁵" and payload["kind"] == "CLARIFICATION_KIND_ANNOUNCEMENT"
    assert payload["label"] == "A" and payload["public"] is True and "answer_time" not in payload


async def test_a_failing_or_slow_realtime_is_shed_and_logged_not_raised() -> None:
    failing = ClarificationPublisher(Clients(Realtime(fail=True)))  # type: ignore[arg-type]
    failing("contests/c1/clarifications", "clarification.announced", NEWS)
    await failing.close()  # no exception
    hold = asyncio.Event()
    slow = Realtime(hold=hold)
    publisher = ClarificationPublisher(Clients(slow))  # type: ignore[arg-type]
    for _ in range(MAX_IN_FLIGHT + 10):
        publisher("contests/c1/clarifications", "clarification.announced", NEWS)
    hold.set()
    await publisher.close()
    assert len(slow.requests) == MAX_IN_FLIGHT
