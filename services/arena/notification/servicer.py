"""NotificationService and NotificationInternalService over gRPC: proto ↔ domain values, a few lines per RPC."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any, TypeAlias, cast

import grpc

from arena.common.v1 import stream_pb2
from arena.core.errors import InvalidArgument
from arena.kit import context as request_context
from arena.kit import pagination
from arena.kit.convert import timestamp
from arena.kit.middleware import announces_start
from arena.notification.app import NotificationApp
from arena.notification.domain import (
    Attempt,
    Channel,
    DeliveryRecord,
    DeliveryState,
    Kind,
    NewNotification,
    Notification,
    Preferences,
    Webhook,
)
from arena.notification.v1 import (
    notification_internal_service_pb2,
    notification_internal_service_pb2_grpc,
    notification_pb2,
    notification_service_pb2,
    notification_service_pb2_grpc,
)

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

_KINDS = {k.value: k for k in Kind}
_CHANNELS = {c.value: c for c in Channel}
_DELIVERY_STATES = {
    DeliveryState.PENDING: notification_pb2.DELIVERY_STATE_PENDING,
    DeliveryState.DELIVERED: notification_pb2.DELIVERY_STATE_DELIVERED,
    DeliveryState.FAILED: notification_pb2.DELIVERY_STATE_FAILED,
}
STREAM_HEARTBEAT_S = 15.0


def kind_of(value: int, field: str) -> Kind:
    found = _KINDS.get(value)
    if found is None:
        raise InvalidArgument.field(field, "is not a known notification kind")
    return found


def notification_message(n: Notification) -> notification_pb2.Notification:
    return notification_pb2.Notification(
        notification_id=n.notification_id,
        user_id=n.user_id,
        kind=cast("notification_pb2.NotificationKind", n.kind.value),
        title=n.title,
        body=n.body,
        link=n.link,
        create_time=timestamp(n.create_time),
        read=n.read,
        read_time=timestamp(n.read_time),
        sequence=n.sequence,
    )


def preferences_message(p: Preferences) -> notification_pb2.Preferences:
    return notification_pb2.Preferences(
        muted_kinds=[
            cast("notification_pb2.NotificationKind", k.value) for k in sorted(p.muted, key=lambda k: k.value)
        ],
        email_enabled=p.email_enabled,
        channel_settings=[
            notification_pb2.ChannelSetting(
                kind=cast("notification_pb2.NotificationKind", k.value),
                channel=cast("notification_pb2.Channel", c.value),
                enabled=enabled,
            )
            for k, c, enabled in p.matrix()
        ],
    )


def webhook_message(w: Webhook, *, with_secret: bool = False) -> notification_pb2.Webhook:
    return notification_pb2.Webhook(
        webhook_id=w.webhook_id,
        owner_id=w.owner_id,
        url=w.url,
        kinds=[cast("notification_pb2.NotificationKind", k.value) for k in sorted(w.kinds, key=lambda k: k.value)],
        secret=w.secret if with_secret else "",
        all_users=w.all_users,
        state=notification_pb2.WEBHOOK_STATE_FAILING if w.failing else notification_pb2.WEBHOOK_STATE_ACTIVE,
        last_error=w.last_error,
        create_time=timestamp(w.create_time),
    )


def _attempt_message(a: Attempt) -> notification_pb2.DeliveryAttempt:
    return notification_pb2.DeliveryAttempt(
        attempt_time=timestamp(a.attempt_time), status_code=a.status_code, error=a.error, duration_ms=a.duration_ms
    )


def delivery_message(record: DeliveryRecord) -> notification_pb2.WebhookDelivery:
    d = record.delivery
    return notification_pb2.WebhookDelivery(
        delivery_id=d.delivery_id,
        webhook_id=d.webhook_id or "",
        notification_id=d.notification_id,
        kind=cast("notification_pb2.NotificationKind", d.kind.value),
        state=_DELIVERY_STATES[d.state],
        next_attempt_time=timestamp(d.next_attempt_time) if d.state is DeliveryState.PENDING else None,
        last_error=d.last_error,
        create_time=timestamp(d.create_time),
        attempts=[_attempt_message(a) for a in record.attempts],
    )


class NotificationServicer(notification_service_pb2_grpc.NotificationServiceServicer):
    def __init__(self, app: NotificationApp, *, heartbeat_s: float = STREAM_HEARTBEAT_S) -> None:
        self.app = app
        self.heartbeat_s = heartbeat_s

    async def ListNotifications(
        self, request: notification_service_pb2.ListNotificationsRequest, context: Context
    ) -> notification_service_pb2.ListNotificationsResponse:
        caller = request_context.require_identity()
        size = pagination.page_size(request.page_size, default=50, maximum=100)
        fingerprint = {"u": caller.user_id, "unread": request.unread_only}
        cursor = pagination.decode_token(request.page_token, fingerprint)
        before = pagination.keyset_cursor(cursor, int)[0] if cursor is not None else None
        page, next_before, unread = await self.app.page(caller, request.unread_only, size, before)
        return notification_service_pb2.ListNotificationsResponse(
            notifications=[notification_message(n) for n in page],
            next_page_token=pagination.encode_token([next_before], fingerprint) if next_before is not None else "",
            unread_count=unread,
        )

    async def MarkRead(
        self, request: notification_service_pb2.MarkReadRequest, context: Context
    ) -> notification_service_pb2.MarkReadResponse:
        changed, unread = await self.app.mark_read(
            request_context.require_identity(), list(request.notification_ids), request.all
        )
        return notification_service_pb2.MarkReadResponse(updated_count=changed, unread_count=unread)

    async def GetPreferences(
        self, request: notification_service_pb2.GetPreferencesRequest, context: Context
    ) -> notification_service_pb2.GetPreferencesResponse:
        preferences = await self.app.preferences(request_context.require_identity())
        return notification_service_pb2.GetPreferencesResponse(preferences=preferences_message(preferences))

    async def UpdatePreferences(
        self, request: notification_service_pb2.UpdatePreferencesRequest, context: Context
    ) -> notification_service_pb2.UpdatePreferencesResponse:
        caller = request_context.require_identity()
        paths = list(request.update_mask.paths)
        if not paths:
            raise InvalidArgument.field(
                "update_mask", "name at least one field to change", reason="INVALID_UPDATE_MASK"
            )
        changes: dict[str, Any] = {}
        given = request.preferences
        for path in paths:
            if path == "muted_kinds":
                changes["muted"] = [
                    kind_of(k, f"preferences.muted_kinds[{i}]") for i, k in enumerate(given.muted_kinds)
                ]
            elif path == "email_enabled":
                changes["email_enabled"] = given.email_enabled
            elif path == "channel_settings":
                settings = []
                for i, s in enumerate(given.channel_settings):
                    channel = _CHANNELS.get(s.channel)
                    if channel is None:
                        raise InvalidArgument.field(
                            f"preferences.channel_settings[{i}].channel", "must be IN_APP or EMAIL"
                        )
                    settings.append((kind_of(s.kind, f"preferences.channel_settings[{i}].kind"), channel, s.enabled))
                changes["settings"] = settings
            else:
                raise InvalidArgument.field("update_mask", f"`{path}` cannot be changed", reason="INVALID_UPDATE_MASK")
        updated = await self.app.update_preferences(caller, **changes)
        return notification_service_pb2.UpdatePreferencesResponse(preferences=preferences_message(updated))

    @announces_start  # the first heartbeat, as soon as the stream is in place
    async def StreamNotifications(
        self, request: notification_service_pb2.StreamNotificationsRequest, context: Context
    ) -> AsyncIterator[Any]:
        caller = request_context.require_identity()
        events = self.app.follow(caller, request.after_sequence, self.heartbeat_s)
        async with contextlib.aclosing(events):
            async for event in events:
                if event.notification is None:
                    beat = stream_pb2.Heartbeat()
                    beat.time.FromDatetime(dt.datetime.now(dt.UTC))
                    yield notification_service_pb2.StreamNotificationsResponse(
                        heartbeat=beat, unread_count=event.unread_count
                    )
                else:
                    yield notification_service_pb2.StreamNotificationsResponse(
                        notification=notification_message(event.notification), unread_count=event.unread_count
                    )

    async def CreateWebhook(
        self, request: notification_service_pb2.CreateWebhookRequest, context: Context
    ) -> notification_service_pb2.CreateWebhookResponse:
        caller = request_context.require_identity()
        given = request.webhook
        kinds = frozenset(kind_of(k, f"webhook.kinds[{i}]") for i, k in enumerate(given.kinds))
        webhook = await self.app.create_webhook(caller, given.url, kinds, given.all_users)
        return notification_service_pb2.CreateWebhookResponse(webhook=webhook_message(webhook, with_secret=True))

    async def ListWebhooks(
        self, request: notification_service_pb2.ListWebhooksRequest, context: Context
    ) -> notification_service_pb2.ListWebhooksResponse:
        found = await self.app.webhooks(request_context.require_identity())
        return notification_service_pb2.ListWebhooksResponse(webhooks=[webhook_message(w) for w in found])

    async def DeleteWebhook(
        self, request: notification_service_pb2.DeleteWebhookRequest, context: Context
    ) -> notification_service_pb2.DeleteWebhookResponse:
        await self.app.delete_webhook(request_context.require_identity(), request.webhook_id)
        return notification_service_pb2.DeleteWebhookResponse()

    async def ListWebhookDeliveries(
        self, request: notification_service_pb2.ListWebhookDeliveriesRequest, context: Context
    ) -> notification_service_pb2.ListWebhookDeliveriesResponse:
        caller = request_context.require_identity()
        size = pagination.page_size(request.page_size, default=20, maximum=100)
        fingerprint = {"w": request.webhook_id}
        cursor = pagination.decode_token(request.page_token, fingerprint)
        before = None
        if cursor is not None:
            create_time, delivery_id = pagination.keyset_cursor(cursor, dt.datetime, str)
            before = (create_time, delivery_id)
        page, next_before = await self.app.deliveries(caller, request.webhook_id, size, before)
        token = ""
        if next_before is not None:
            token = pagination.encode_token([next_before[0].isoformat(), next_before[1]], fingerprint)
        return notification_service_pb2.ListWebhookDeliveriesResponse(
            deliveries=[delivery_message(r) for r in page], next_page_token=token
        )


class NotificationInternalServicer(notification_internal_service_pb2_grpc.NotificationInternalServiceServicer):
    def __init__(self, app: NotificationApp) -> None:
        self.app = app

    async def SendNotification(
        self, request: notification_internal_service_pb2.SendNotificationRequest, context: Context
    ) -> notification_internal_service_pb2.SendNotificationResponse:
        new = NewNotification(
            user_id=request.user_id,
            kind=kind_of(request.kind, "kind"),
            title=request.title,
            body=request.body,
            link=request.link,
            idempotency_key=request.idempotency_key,
        )
        notification, created = await self.app.send(new)
        return notification_internal_service_pb2.SendNotificationResponse(
            notification=notification_message(notification) if notification is not None else None, created=created
        )
