"""Recipients' email addresses from the user service (``UserInternalService.GetUserContact``)."""

from __future__ import annotations

from typing import Protocol

from arena.kit.client import UpstreamStub
from arena.notification.domain import Contact
from arena.user.v1 import user_internal_service_pb2

LOOKUP_TIMEOUT_S = 5.0


class Contacts(Protocol):
    async def contact(self, user_id: str) -> Contact:
        """The user's contact; NotFound when the account does not exist."""
        ...


class UserServiceContacts:
    def __init__(self, stub: UpstreamStub) -> None:
        self._stub = stub  # the kit's UpstreamStub for UserInternalService

    async def contact(self, user_id: str) -> Contact:
        response = await self._stub.GetUserContact(
            user_internal_service_pb2.GetUserContactRequest(user_id=user_id), timeout_s=LOOKUP_TIMEOUT_S
        )
        return Contact(response.user_id, response.display_name or response.username, response.email)
