"""Notifications through Envoy: a verdict reaches its submitter's stream (the judge's outbox delivers it),
SendNotification is idempotent, the inbox over REST, gRPC-Web and native gRPC, preferences with an update
mask, resumable streams, webhooks with SSRF refusals and signed deliveries, and clear errors."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import grpc
import httpx
import pytest
from standardwebhooks.webhooks import Webhook as ReferenceVerifier

from arena.launcher import Platform
from arena.notification.v1 import (
    notification_internal_service_pb2,
    notification_internal_service_pb2_grpc,
    notification_pb2,
    notification_service_pb2,
    notification_service_pb2_grpc,
)
from e2e.conftest import error_reason, register_and_login
from integration.notification.servers import Receiver
from support.grpcweb_client import WebChannel

pytestmark = pytest.mark.timeout(180)

ACCEPTED_PY = "a, b = map(int, input().split())\nprint(a + b)\n"


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def me(rest: httpx.Client, token: str) -> str:
    return rest.get("/v1/users/me", headers=auth(token)).json()["user"]["user_id"]


async def send(platform: Platform, **fields) -> notification_internal_service_pb2.SendNotificationResponse:
    target = f"127.0.0.1:{platform.settings.ports['notification'].grpc}"
    async with grpc.aio.insecure_channel(target) as channel:
        stub = notification_internal_service_pb2_grpc.NotificationInternalServiceStub(channel)
        return await stub.SendNotification(
            notification_internal_service_pb2.SendNotificationRequest(**fields), timeout=10
        )


def announcement(user_id: str, key: str, title: str = "Maintenance tonight") -> dict:
    return {
        "user_id": user_id,
        "kind": notification_pb2.NOTIFICATION_KIND_ANNOUNCEMENT,
        "title": title,
        "body": "The judge pauses at 23:00 UTC for ten minutes.",
        "link": "/announcements/1",
        "idempotency_key": key,
    }


class StreamReader:
    """Reads a REST (newline-delimited JSON) notification stream in a thread."""

    def __init__(self, platform: Platform, token: str, params: dict | None = None) -> None:
        self.messages: list[dict] = []
        self.arrival: list[float] = []
        self.started = threading.Event()
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(platform.settings.edge_url, token, params or {}))
        self._thread.daemon = True

    def _run(self, url: str, token: str, params: dict) -> None:
        with (
            httpx.Client(base_url=url, timeout=30) as client,
            client.stream("GET", "/v1/notifications:stream", params=params, headers=auth(token)) as response,
        ):
            assert response.status_code == 200
            for line in response.iter_lines():
                if not line.strip():
                    continue
                self.messages.append(json.loads(line))
                self.arrival.append(time.monotonic())
                self.started.set()
                if self.stop.is_set():
                    return

    def __enter__(self) -> StreamReader:
        self._thread.start()
        assert self.started.wait(10), "the stream did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()

    def notifications(self) -> list[dict]:
        return [m["notification"] for m in self.messages if "notification" in m]

    def wait_for(self, count: int, timeout_s: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.notifications()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{len(self.notifications())} notifications after {timeout_s} s: {self.messages}")


def test_a_verdict_reaches_the_submitters_stream(platform: Platform, rest: httpx.Client):
    token = register_and_login(rest, "notified-submitter")
    with StreamReader(platform, token) as stream:
        assert stream.messages[0]["unread_count"] == 0 and "heartbeat" in stream.messages[0]
        submitted = rest.post(
            "/v1/submissions",
            json={"problem_id": "a-plus-b", "language_id": "python3", "source": ACCEPTED_PY},
            headers=auth(token),
        )
        assert submitted.status_code == 200, submitted.text
        submission_id = submitted.json()["submission"]["submission_id"]
        [got] = stream.wait_for(1, timeout_s=60)
    assert got["kind"] == "NOTIFICATION_KIND_SUBMISSION_JUDGED" and got["title"] == "Submission judged: accepted"
    assert got["link"] == f"/submissions/{submission_id}" and got["sequence"] == "1"
    listed = rest.get("/v1/notifications", headers=auth(token)).json()
    assert [n["notification_id"] for n in listed["notifications"]] == [got["notification_id"]]
    assert listed["unread_count"] == 1


def test_send_is_idempotent_and_the_inbox_works_over_every_protocol(platform: Platform, rest: httpx.Client):
    token = register_and_login(rest, "notified-inbox")
    user_id = me(rest, token)
    first = asyncio.run(send(platform, **announcement(user_id, "ann:1")))
    again = asyncio.run(send(platform, **announcement(user_id, "ann:1")))
    assert (
        first.created and not again.created and again.notification.notification_id == first.notification.notification_id
    )
    asyncio.run(send(platform, **announcement(user_id, "ann:2", "Second")))
    page = rest.get("/v1/notifications", params={"page_size": 1}, headers=auth(token)).json()
    assert [n["title"] for n in page["notifications"]] == ["Second"] and page["unread_count"] == 2
    rest_page = rest.get(
        "/v1/notifications", params={"page_size": 1, "page_token": page["next_page_token"]}, headers=auth(token)
    ).json()
    assert [n["title"] for n in rest_page["notifications"]] == ["Maintenance tonight"]
    assert rest_page["next_page_token"] == ""

    marked = rest.post(
        "/v1/notifications:markRead",
        json={"notification_ids": [first.notification.notification_id]},
        headers=auth(token),
    )
    assert marked.status_code == 200 and marked.json() == {"updated_count": 1, "unread_count": 1}

    async def web_and_native() -> tuple[int, int]:
        metadata = (("authorization", f"Bearer {token}"),)
        async with WebChannel(platform.settings.edge_url) as channel:
            stub = notification_service_pb2_grpc.NotificationServiceStub(channel)
            unread = await stub.ListNotifications(
                notification_service_pb2.ListNotificationsRequest(unread_only=True), metadata=metadata
            )
        async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as native:
            stub2 = notification_service_pb2_grpc.NotificationServiceStub(native)
            done = await stub2.MarkRead(
                notification_service_pb2.MarkReadRequest(all=True), metadata=metadata, timeout=10
            )
        return len(unread.notifications), done.unread_count

    assert asyncio.run(web_and_native()) == (1, 0)


def test_a_resumed_rest_stream_misses_nothing_and_repeats_nothing(platform: Platform, rest: httpx.Client):
    token = register_and_login(rest, "notified-resumer")
    user_id = me(rest, token)
    with StreamReader(platform, token) as stream:
        asyncio.run(send(platform, **announcement(user_id, "r:1", "one")))
        [one] = stream.wait_for(1)
    for i in (2, 3):
        asyncio.run(send(platform, **announcement(user_id, f"r:{i}", f"n{i}")))
    with StreamReader(platform, token, {"after_sequence": one["sequence"]}) as resumed:
        asyncio.run(send(platform, **announcement(user_id, "r:4", "n4")))
        got = resumed.wait_for(3)
    assert [n["title"] for n in got] == ["n2", "n3", "n4"] and [n["sequence"] for n in got] == ["2", "3", "4"]
    past = rest.get("/v1/notifications:stream", params={"after_sequence": 99}, headers=auth(token))
    assert past.status_code == 400 and error_reason(past.json()) == "VALIDATION_FAILED"


def test_preferences_with_an_update_mask(platform: Platform, rest: httpx.Client):
    token = register_and_login(rest, "notified-prefs")
    user_id = me(rest, token)
    got = rest.get("/v1/notifications/preferences", headers=auth(token)).json()["preferences"]
    assert got["muted_kinds"] == [] and got["email_enabled"] is True and len(got["channel_settings"]) == 12
    patched = rest.patch(
        "/v1/notifications/preferences",
        params={"update_mask": "muted_kinds"},
        json={"muted_kinds": ["NOTIFICATION_KIND_ANNOUNCEMENT"], "email_enabled": False},
        headers=auth(token),
    )
    assert patched.status_code == 200, patched.text
    prefs = patched.json()["preferences"]
    assert (
        prefs["muted_kinds"] == ["NOTIFICATION_KIND_ANNOUNCEMENT"] and prefs["email_enabled"] is True
    )  # not in the mask
    muted = asyncio.run(send(platform, **announcement(user_id, "m:1")))
    assert not muted.created and not muted.HasField("notification")
    assert rest.get("/v1/notifications", headers=auth(token)).json()["notifications"] == []
    for mask, body, reason in [
        ("role", {}, "INVALID_UPDATE_MASK"),
        ("muted_kinds", {"muted_kinds": ["NOTIFICATION_KIND_SECURITY"]}, "SECURITY_NOT_MUTABLE"),
        ("muted_kinds", {"muted_kinds": ["NOTIFICATION_KIND_UNSPECIFIED"]}, "VALIDATION_FAILED"),
    ]:
        bad = rest.patch("/v1/notifications/preferences", params={"update_mask": mask}, json=body, headers=auth(token))
        assert bad.status_code == 400 and error_reason(bad.json()) == reason, bad.text


def test_webhooks_are_ssrf_safe_signed_and_list_their_attempts(platform: Platform, rest: httpx.Client):
    token = register_and_login(rest, "notified-webhooks")
    user_id = me(rest, token)
    with Receiver() as receiver:
        for url in (
            receiver.url,
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/x",
            "ftp://example.com/",
        ):
            refused = rest.post("/v1/notifications/webhooks", json={"url": url}, headers=auth(token))
            assert refused.status_code == 400 and error_reason(refused.json()) == "WEBHOOK_URL_FORBIDDEN", url
        everyone = rest.post("/v1/notifications/webhooks", json={"url": "http://localhost:1/x", "all_users": True},
                             headers=auth(token))  # fmt: skip
        assert everyone.status_code == 403
        # The operator allows `localhost` in this platform (ARENA_NOTIFICATION_WEBHOOK_ALLOWED_HOSTS).
        allowed_url = receiver.url.replace("127.0.0.1", "localhost")
        created = rest.post(
            "/v1/notifications/webhooks",
            json={"url": allowed_url, "kinds": ["NOTIFICATION_KIND_ANNOUNCEMENT"]},
            headers=auth(token),
        )
        assert created.status_code == 200, created.text
        hook = created.json()["webhook"]
        assert hook["secret"].startswith("whsec_") and hook["state"] == "WEBHOOK_STATE_ACTIVE"
        receiver.statuses = [503]
        asyncio.run(send(platform, **announcement(user_id, "w:1")))
        deadline = time.monotonic() + 30
        while len(receiver.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(receiver.requests) == 2, "the failed attempt was not retried"
        for request in receiver.requests:
            payload = ReferenceVerifier(hook["secret"]).verify(request.body, request.headers)
            assert payload["type"] == "notification.announcement"
        assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
        # The 200 reached the receiver; the delivery's record is written right after: wait for it.
        deadline = time.monotonic() + 10
        while True:
            deliveries = rest.get(
                f"/v1/notifications/webhooks/{hook['webhook_id']}/deliveries", headers=auth(token)
            ).json()
            [delivery] = deliveries["deliveries"]
            if delivery["state"] == "DELIVERY_STATE_DELIVERED" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert delivery["state"] == "DELIVERY_STATE_DELIVERED"
        assert [a["status_code"] for a in delivery["attempts"]] == [503, 200]
        assert delivery["delivery_id"] == receiver.requests[0].headers["webhook-id"]
        listed = rest.get("/v1/notifications/webhooks", headers=auth(token)).json()["webhooks"]
        assert [w["webhook_id"] for w in listed] == [hook["webhook_id"]] and listed[0]["secret"] == ""
        other = register_and_login(rest, "notified-stranger")
        assert (
            rest.get(f"/v1/notifications/webhooks/{hook['webhook_id']}/deliveries", headers=auth(other)).status_code
            == 404
        )
        assert rest.delete(f"/v1/notifications/webhooks/{hook['webhook_id']}", headers=auth(other)).status_code == 404
        assert rest.delete(f"/v1/notifications/webhooks/{hook['webhook_id']}", headers=auth(token)).status_code == 200
        assert rest.get("/v1/notifications/webhooks", headers=auth(token)).json()["webhooks"] == []


def test_bad_calls_get_clear_errors(platform: Platform, rest: httpx.Client):
    assert rest.get("/v1/notifications").status_code == 401
    token = register_and_login(rest, "notified-errors")
    bad_token = rest.get("/v1/notifications", params={"page_token": "nope"}, headers=auth(token))
    assert bad_token.status_code == 400 and error_reason(bad_token.json()) == "INVALID_PAGE_TOKEN"
    empty = rest.post("/v1/notifications:markRead", json={}, headers=auth(token))
    assert empty.status_code == 400 and error_reason(empty.json()) == "VALIDATION_FAILED"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        asyncio.run(send(platform, user_id="u1", kind=notification_pb2.NOTIFICATION_KIND_ANNOUNCEMENT, title="x",
                         link="https://evil.example/", idempotency_key="k"))  # fmt: skip
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "link" in (caught.value.details() or "")


def _wait_for_titles(rest: httpx.Client, token: str, count: int, timeout_s: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = rest.get("/v1/notifications", headers=auth(token)).json()["notifications"]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_contest_answers_and_announcements_become_notifications(platform: Platform, rest: httpx.Client):
    from e2e.conftest import admin_token
    from e2e.test_contests import _running_contest

    admin = admin_token(rest)
    contest = _running_contest(rest, admin, "Notified Cup")
    cid = contest["contest_id"]
    ann, bob = register_and_login(rest, "notified-ann"), register_and_login(rest, "notified-bob")
    for token in (ann, bob):
        assert rest.post(f"/v1/contests/{cid}:register", json={}, headers=auth(token)).status_code == 200
    asked = rest.post(f"/v1/contests/{cid}/clarifications", json={"text": "Is n >= 0?"}, headers=auth(ann))
    assert asked.status_code == 200, asked.text
    question_id = asked.json()["clarification"]["clarification_id"]
    answered = rest.post(
        f"/v1/contests/{cid}/clarifications/{question_id}:answer", json={"answer": "Yes."}, headers=auth(admin)
    )
    assert answered.status_code == 200, answered.text
    announced = rest.post(f"/v1/contests/{cid}/announcements", json={"text": "Ten more minutes."}, headers=auth(admin))
    assert announced.status_code == 200, announced.text
    ann_got = _wait_for_titles(rest, ann, 2)
    assert sorted((n["kind"], n["body"]) for n in ann_got) == [
        ("NOTIFICATION_KIND_ANNOUNCEMENT", "Ten more minutes."),
        ("NOTIFICATION_KIND_CLARIFICATION_ANSWERED", "Yes."),
    ]
    bob_got = _wait_for_titles(rest, bob, 1)
    assert [(n["kind"], n["title"]) for n in bob_got] == [
        ("NOTIFICATION_KIND_ANNOUNCEMENT", "Announcement in Notified Cup")
    ]


def test_a_pending_webhook_delivery_survives_a_restart_of_the_service(platform: Platform, rest: httpx.Client):
    token = register_and_login(rest, "notified-restart")
    user_id = me(rest, token)
    with Receiver() as receiver:
        receiver.statuses = [503] * 1000  # the endpoint is failing
        url = receiver.url.replace("127.0.0.1", "localhost")
        hook = rest.post("/v1/notifications/webhooks", json={"url": url}, headers=auth(token)).json()["webhook"]
        asyncio.run(send(platform, **announcement(user_id, "restart:1")))
        deliveries_url = f"/v1/notifications/webhooks/{hook['webhook_id']}/deliveries"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            [delivery] = rest.get(deliveries_url, headers=auth(token)).json()["deliveries"]
            if len(delivery["attempts"]) >= 2:
                break
            time.sleep(0.1)
        assert len(delivery["attempts"]) >= 2 and delivery["state"] == "DELIVERY_STATE_PENDING"
        assert platform.stop_service("notification") == 0
        before_restart = len(receiver.requests)
        receiver.statuses = []  # the endpoint recovers while the service is down
        platform.start_service("notification")
        platform.wait_serving("notification", time.monotonic() + 60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            response = rest.get(deliveries_url, headers=auth(token))  # 503 until the edge routes to it again
            if response.status_code == 200:
                [delivery] = response.json()["deliveries"]
                if delivery["state"] != "DELIVERY_STATE_PENDING":
                    break
            time.sleep(0.2)
    assert delivery["state"] == "DELIVERY_STATE_DELIVERED"
    assert delivery["attempts"][-1]["status_code"] == 200
    assert all(a["status_code"] == 503 for a in delivery["attempts"][:-1])
    assert len(receiver.requests) == before_restart + 1  # delivered by the restarted process, once
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery["delivery_id"]}
