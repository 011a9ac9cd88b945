"""``python -m arena.user``: the user service process (its composition root).

Reads the service's own settings once, builds the parts (store, use cases, servicer) and
hands them to the kit with the standard platform wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools

import structlog

from arena.kit.db import make_engine
from arena.kit.server import Runtime, ServiceParts, main
from arena.user.app import UserApp
from arena.user.internal_servicer import UserInternalServicer
from arena.user.passwords import Passwords
from arena.user.servicer import UserServicer
from arena.user.settings import UserSettings, load_user_settings
from arena.user.store import SqlUserStore
from arena.user.tokens import TokenSettings
from arena.user.v1 import user_internal_service_pb2_grpc, user_service_pb2_grpc
from arena.wiring import standard

log = structlog.get_logger("arena.user")


async def build(settings: UserSettings, runtime: Runtime) -> ServiceParts:
    platform = runtime.config.platform
    engine = make_engine(runtime.config.database_url)
    store = SqlUserStore(engine)
    await store.migrate()
    app = UserApp(store, Passwords(), TokenSettings(issuer=platform.jwt_issuer, audience=platform.jwt_audience))
    await app.ensure_signing_key()
    admin = settings.first_admin
    if admin is not None:
        await app.ensure_admin(admin.username, admin.email, admin.password)

    servicer = UserServicer(app, profile_cache_ttl_s=platform.read_cache_ttl_s)
    rotation: list[asyncio.Task[None]] = []

    async def rotate_on_schedule() -> None:
        while True:
            await asyncio.sleep(settings.key_rotation_check_s)
            try:
                await app.ensure_signing_key()
            except Exception:
                log.exception("signing key rotation check failed")

    async def start_rotation() -> None:
        rotation.append(asyncio.create_task(rotate_on_schedule(), name="key-rotation"))

    async def stop() -> None:
        for task in rotation:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.dispose()

    return ServiceParts(
        servicers=[
            (user_service_pb2_grpc.add_UserServiceServicer_to_server, servicer),
            (user_internal_service_pb2_grpc.add_UserInternalServiceServicer_to_server, UserInternalServicer(app)),
        ],
        key_source=app.key_source,
        on_serving=[start_rotation],
        on_stop=[stop],
    )


if __name__ == "__main__":
    main("user", functools.partial(build, load_user_settings()), standard())
