"""``python -m arena.notification``: the notification service process.

Its issue is still open, so it serves the generated base servicers: every RPC answers
UNIMPLEMENTED while health, discovery and the ops views work as for any service.
"""

from arena.kit.server import main, placeholder
from arena.notification.v1 import notification_internal_service_pb2_grpc as internal
from arena.notification.v1 import notification_service_pb2_grpc as public
from arena.wiring import standard

if __name__ == "__main__":
    main(
        "notification",
        placeholder(
            (public.add_NotificationServiceServicer_to_server, public.NotificationServiceServicer()),
            (
                internal.add_NotificationInternalServiceServicer_to_server,
                internal.NotificationInternalServiceServicer(),
            ),
        ),
        standard(),
    )
