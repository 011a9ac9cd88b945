"""``python -m arena.notification``: the notification service process (its composition root).

Reads the service's settings once and builds the parts: SQL store → channels (SMTP when configured,
webhooks) → delivery worker and inbox watcher → use cases → servicers. The worker starts once the
service is serving and picks up every pending delivery left by an earlier run.
"""

from __future__ import annotations

import functools

from arena.kit.db import make_engine, utcnow
from arena.kit.server import Runtime, ServiceParts, main
from arena.notification.app import NotificationApp
from arena.notification.contacts import UserServiceContacts
from arena.notification.delivery import Deliverer
from arena.notification.domain import RetryPolicy
from arena.notification.hub import Hub, InboxWatcher
from arena.notification.mail import SmtpMailer
from arena.notification.servicer import NotificationInternalServicer, NotificationServicer
from arena.notification.settings import NotificationSettings, load_notification_settings
from arena.notification.store import SqlNotificationStore
from arena.notification.v1 import notification_internal_service_pb2_grpc, notification_service_pb2_grpc
from arena.notification.webhooks import WebhookSender
from arena.user.v1 import user_internal_service_pb2_grpc
from arena.wiring import standard


async def build(settings: NotificationSettings, runtime: Runtime) -> ServiceParts:
    engine = make_engine(runtime.config.database_url)
    store = SqlNotificationStore(engine)
    await store.migrate()
    hub = Hub()
    webhooks = WebhookSender(allowed_hosts=settings.webhook_allowed_hosts, timeout_s=settings.webhook_timeout_s)
    contacts = UserServiceContacts(runtime.clients.stub(user_internal_service_pb2_grpc.UserInternalServiceStub, "user"))
    deliverer = Deliverer(
        store,
        mailer=SmtpMailer(settings.smtp) if settings.smtp is not None else None,
        webhooks=webhooks,
        contacts=contacts,
        policy=RetryPolicy(settings.retry_first_s, settings.retry_max_s, settings.max_attempts),
        app_url=settings.app_url,
        clock=utcnow,
        interval_s=settings.delivery_interval_s,
    )
    app = NotificationApp(
        store, hub, email_available=settings.smtp is not None, check_url=webhooks.check, kick=deliverer.kick
    )
    watcher = InboxWatcher(store.changed_inboxes, hub, utcnow)
    return ServiceParts(
        servicers=[
            (
                notification_service_pb2_grpc.add_NotificationServiceServicer_to_server,
                NotificationServicer(app, heartbeat_s=settings.heartbeat_s),
            ),
            (
                notification_internal_service_pb2_grpc.add_NotificationInternalServiceServicer_to_server,
                NotificationInternalServicer(app),
            ),
        ],
        on_serving=[deliverer.start, watcher.start],
        on_stop=[deliverer.stop, watcher.stop, webhooks.close, engine.dispose],
    )


if __name__ == "__main__":
    main("notification", functools.partial(build, load_notification_settings()), standard())
