"""The user servicer's hot read path: cached serialized answers that writers invalidate."""

from __future__ import annotations

import time

import pytest
from google.protobuf import field_mask_pb2

from arena.kit import context as request_context
from arena.kit.auth import Identity
from arena.kit.db import make_engine
from arena.user.app import UserApp
from arena.user.passwords import HashParameters, Passwords
from arena.user.servicer import UserServicer
from arena.user.store import SqlUserStore
from arena.user.tokens import TokenSettings
from arena.user.v1 import user_pb2, user_service_pb2


@pytest.fixture
async def servicer(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/user.db")
    store = SqlUserStore(engine)
    await store.migrate()
    app = UserApp(
        store, Passwords(HashParameters(time_cost=1, memory_cost_kib=1024)), TokenSettings(issuer="i", audience="a")
    )
    await app.ensure_signing_key()
    yield UserServicer(app)
    await engine.dispose()


def acting_as(user_id: str):
    identity = Identity(user_id, "someone", frozenset({"USER"}), "t", "s", time.time() + 60)
    return request_context.set_current(request_context.RequestContext("r", "/m", "grpc", "t", identity=identity))


async def test_repeated_reads_are_served_from_cached_bytes(servicer: UserServicer):
    created = await servicer.CreateUser(
        user_service_pb2.CreateUserRequest(username="reader", email="r@example.com", password="long enough secret"),
        None,
    )
    request = user_service_pb2.GetUserRequest(user_id=created.user.user_id)
    first = await servicer.GetUser(request, None)
    second = await servicer.GetUser(request, None)
    assert isinstance(first, bytes) and first is second
    answer = user_service_pb2.GetUserResponse.FromString(second)
    assert answer.user.username == "reader" and answer.user.email == ""  # anonymous view


async def test_an_update_is_visible_at_once(servicer: UserServicer):
    created = await servicer.CreateUser(
        user_service_pb2.CreateUserRequest(username="writer", email="w@example.com", password="long enough secret"),
        None,
    )
    user_id = created.user.user_id
    token = acting_as(user_id)
    try:
        before = user_service_pb2.GetUserResponse.FromString(
            await servicer.GetUser(user_service_pb2.GetUserRequest(user_id="me"), None)
        )
        assert before.user.display_name == "writer" and before.user.email == "w@example.com"
        await servicer.UpdateUser(
            user_service_pb2.UpdateUserRequest(
                user=user_pb2.User(user_id="me", display_name="Writer Prime"),
                update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
            ),
            None,
        )
        after = user_service_pb2.GetUserResponse.FromString(
            await servicer.GetUser(user_service_pb2.GetUserRequest(user_id=user_id), None)
        )
        assert after.user.display_name == "Writer Prime"
    finally:
        request_context.reset(token)
