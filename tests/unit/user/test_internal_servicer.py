"""UserInternalService: the notification service learns a recipient's email address, nobody else's view changes."""

from __future__ import annotations

import pytest

from arena.core.errors import InvalidArgument, NotFound
from arena.kit.db import make_engine
from arena.user.app import UserApp
from arena.user.internal_servicer import UserInternalServicer
from arena.user.passwords import HashParameters, Passwords
from arena.user.servicer import UserServicer
from arena.user.store import SqlUserStore
from arena.user.tokens import TokenSettings
from arena.user.v1 import user_internal_service_pb2, user_service_pb2


@pytest.fixture
async def servicers(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/user.db")
    store = SqlUserStore(engine)
    await store.migrate()
    app = UserApp(
        store, Passwords(HashParameters(time_cost=1, memory_cost_kib=1024)), TokenSettings(issuer="i", audience="a")
    )
    yield UserServicer(app), UserInternalServicer(app)
    await engine.dispose()


async def test_the_contact_of_a_user_carries_their_email(servicers):
    public, internal = servicers
    created = await public.CreateUser(
        user_service_pb2.CreateUserRequest(
            username="mailme", email="mail.me@example.com", password="long enough secret"
        ),
        None,
    )
    contact = await internal.GetUserContact(
        user_internal_service_pb2.GetUserContactRequest(user_id=created.user.user_id), None
    )
    assert (contact.user_id, contact.username, contact.display_name, contact.email) == (
        created.user.user_id,
        "mailme",
        "mailme",
        "mail.me@example.com",
    )


async def test_unknown_users_and_me_are_refused(servicers):
    _public, internal = servicers
    with pytest.raises(NotFound):
        await internal.GetUserContact(user_internal_service_pb2.GetUserContactRequest(user_id="u-missing"), None)
    with pytest.raises(InvalidArgument) as caught:
        await internal.GetUserContact(user_internal_service_pb2.GetUserContactRequest(user_id="me"), None)
    assert caught.value.violations[0].field == "user_id"
