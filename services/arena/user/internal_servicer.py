"""UserInternalService over gRPC: what other services may ask about an account (never routed by the edge).

The notification service sends emails, so it asks here for the recipient's address; nothing else in
the platform sees another user's email.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc

from arena.core.errors import InvalidArgument
from arena.user.app import UserApp
from arena.user.v1 import user_internal_service_pb2, user_internal_service_pb2_grpc

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class UserInternalServicer(user_internal_service_pb2_grpc.UserInternalServiceServicer):
    def __init__(self, app: UserApp) -> None:
        self.app = app

    async def GetUserContact(
        self, request: user_internal_service_pb2.GetUserContactRequest, context: Context
    ) -> user_internal_service_pb2.GetUserContactResponse:
        if request.user_id == "me":
            raise InvalidArgument.field("user_id", "must be an account id (`me` has no meaning between services)")
        user = await self.app.get_user(request.user_id)
        return user_internal_service_pb2.GetUserContactResponse(
            user_id=user.user_id,
            username=user.username,
            display_name=user.display_name or user.username,
            email=user.email,
        )
