"""Small upstream servicers for client tests: they count the calls each instance received."""

from __future__ import annotations

from arena.user.v1 import user_service_pb2, user_service_pb2_grpc


class CountingUsers(user_service_pb2_grpc.UserServiceServicer):
    """GetUser answers an empty user and counts the calls (which instance a client picked)."""

    def __init__(self) -> None:
        self.calls = 0

    async def GetUser(self, request, context):
        self.calls += 1
        return user_service_pb2.GetUserResponse()
