"""The notification servicers: proto ↔ domain, update masks, bad inputs as clear errors."""

from __future__ import annotations

import asyncio

import pytest
from google.protobuf import field_mask_pb2

from arena.core.errors import InvalidArgument, Unauthenticated
from arena.kit import context as request_context
from arena.kit.middleware import STREAM_STARTED
from arena.notification.app import NotificationApp
from arena.notification.hub import Hub
from arena.notification.servicer import NotificationInternalServicer, NotificationServicer
from arena.notification.v1 import notification_internal_service_pb2 as internal
from arena.notification.v1 import notification_pb2
from arena.notification.v1 import notification_service_pb2 as public
from arena.notification.webhooks import WebhookSender
from unit.notification.conftest import Clock, person


def acting(user_id: str | None) -> None:
    identity = person(user_id) if user_id else None
    request_context.set_current(request_context.RequestContext("r", "/m", "grpc", "t", identity=identity))


@pytest.fixture
def servicers(store) -> tuple[NotificationServicer, NotificationInternalServicer]:
    app = NotificationApp(store, Hub(), email_available=False, check_url=WebhookSender().check, clock=Clock())
    return NotificationServicer(app, heartbeat_s=30), NotificationInternalServicer(app)


def send_request(key: str, **kw: object) -> internal.SendNotificationRequest:
    fields: dict[str, object] = {
        "user_id": "ann",
        "kind": notification_pb2.NOTIFICATION_KIND_CLARIFICATION_ANSWERED,
        "title": "Your question was answered",
        "body": "Yes, n can be 0.",
        "link": "/contests/c1/clarifications",
        "idempotency_key": key,
    }
    fields.update(kw)
    return internal.SendNotificationRequest(**fields)  # type: ignore[arg-type]


async def test_send_list_and_stream_through_the_servicers(servicers) -> None:
    servicer, internal_servicer = servicers
    sent = await internal_servicer.SendNotification(send_request("k1"), None)
    assert sent.created and sent.notification.sequence == 1 and not sent.notification.read
    assert sent.notification.kind == notification_pb2.NOTIFICATION_KIND_CLARIFICATION_ANSWERED
    acting("ann")
    listed = await servicer.ListNotifications(public.ListNotificationsRequest(), None)
    assert [n.notification_id for n in listed.notifications] == [sent.notification.notification_id]
    assert listed.unread_count == 1

    stream = servicer.StreamNotifications(public.StreamNotificationsRequest(after_sequence=0), None)
    first = await anext(stream)
    assert first is not STREAM_STARTED and first.HasField("heartbeat") and first.unread_count == 1
    await internal_servicer.SendNotification(send_request("k2"), None)
    second = await asyncio.wait_for(anext(stream), 5)
    assert second.notification.sequence == 2 and second.unread_count == 2
    await stream.aclose()


async def test_preferences_follow_the_update_mask(servicers) -> None:
    servicer, _ = servicers
    acting("ann")
    updated = await servicer.UpdatePreferences(
        public.UpdatePreferencesRequest(
            preferences=notification_pb2.Preferences(
                email_enabled=False,
                channel_settings=[
                    notification_pb2.ChannelSetting(
                        kind=notification_pb2.NOTIFICATION_KIND_SUBMISSION_JUDGED,
                        channel=notification_pb2.CHANNEL_EMAIL,
                        enabled=True,
                    )
                ],
                muted_kinds=[notification_pb2.NOTIFICATION_KIND_ANNOUNCEMENT],
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["channel_settings", "email_enabled"]),
        ),
        None,
    )
    prefs = updated.preferences
    assert list(prefs.muted_kinds) == [] and not prefs.email_enabled  # muted_kinds was not in the mask
    judged_email = [
        s
        for s in prefs.channel_settings
        if s.kind == notification_pb2.NOTIFICATION_KIND_SUBMISSION_JUDGED
        and s.channel == notification_pb2.CHANNEL_EMAIL
    ]
    assert [s.enabled for s in judged_email] == [True]
    got = await servicer.GetPreferences(public.GetPreferencesRequest(), None)
    assert got.preferences == prefs


async def test_bad_inputs_are_clear_errors(servicers) -> None:
    servicer, internal_servicer = servicers
    with pytest.raises(InvalidArgument) as caught:
        await internal_servicer.SendNotification(send_request("k", kind=99), None)
    assert caught.value.violations[0].field == "kind"
    acting(None)
    with pytest.raises(Unauthenticated):
        await servicer.ListNotifications(public.ListNotificationsRequest(), None)
    acting("ann")
    cases = [
        public.UpdatePreferencesRequest(update_mask=field_mask_pb2.FieldMask(paths=[])),
        public.UpdatePreferencesRequest(update_mask=field_mask_pb2.FieldMask(paths=["role"])),
    ]
    for request in cases:
        with pytest.raises(InvalidArgument) as bad_mask:
            await servicer.UpdatePreferences(request, None)
        assert bad_mask.value.reason == "INVALID_UPDATE_MASK"
    bad_channel = public.UpdatePreferencesRequest(
        preferences=notification_pb2.Preferences(
            channel_settings=[notification_pb2.ChannelSetting(kind=notification_pb2.NOTIFICATION_KIND_SECURITY)]
        ),
        update_mask=field_mask_pb2.FieldMask(paths=["channel_settings"]),
    )
    with pytest.raises(InvalidArgument) as caught:
        await servicer.UpdatePreferences(bad_channel, None)
    assert caught.value.violations[0].field == "preferences.channel_settings[0].channel"
    with pytest.raises(InvalidArgument) as caught:
        await servicer.CreateWebhook(
            public.CreateWebhookRequest(webhook=notification_pb2.Webhook(url="http://127.0.0.1:8080/x")), None
        )
    assert caught.value.reason == "WEBHOOK_URL_FORBIDDEN"
    with pytest.raises(InvalidArgument):
        await servicer.ListWebhookDeliveries(public.ListWebhookDeliveriesRequest(webhook_id=""), None)
    with pytest.raises(InvalidArgument) as caught:
        await servicer.ListNotifications(public.ListNotificationsRequest(page_token="x"), None)
    assert caught.value.reason == "INVALID_PAGE_TOKEN"
