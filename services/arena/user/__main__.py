"""``python -m arena.user``: the user service process."""

from __future__ import annotations

import asyncio
import contextlib
import os

import structlog

from arena.kit.db import make_engine
from arena.kit.server import Runtime, ServiceParts, main
from arena.user.app import UserApp
from arena.user.passwords import Passwords
from arena.user.servicer import UserServicer
from arena.user.store import SqlUserStore
from arena.user.tokens import TokenSettings
from arena.user.v1 import user_service_pb2_grpc

log = structlog.get_logger("arena.user")

# How often the key-rotation schedule is checked (rotation itself follows TokenSettings).
_ROTATION_CHECK_S = 3600.0


async def build(runtime: Runtime) -> ServiceParts:
    platform = runtime.config.platform
    engine = make_engine(runtime.config.database_url)
    store = SqlUserStore(engine)
    await store.migrate()
    app = UserApp(store, Passwords(), TokenSettings(issuer=platform.jwt_issuer, audience=platform.jwt_audience))
    await app.ensure_signing_key()
    admin = (os.environ.get("ARENA_ADMIN_USERNAME"), os.environ.get("ARENA_ADMIN_PASSWORD"))
    if all(admin):
        email = os.environ.get("ARENA_ADMIN_EMAIL") or f"{admin[0]}@arena.local"
        await app.ensure_admin(admin[0], email, admin[1])

    servicer = UserServicer(app, profile_cache_ttl_s=platform.read_cache_ttl_s)
    rotation: list[asyncio.Task] = []

    async def rotate_on_schedule() -> None:
        while True:
            await asyncio.sleep(_ROTATION_CHECK_S)
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
        servicers=[(user_service_pb2_grpc.add_UserServiceServicer_to_server, servicer)],
        key_source=app.key_source,
        on_serving=[start_rotation],
        on_stop=[stop],
    )


if __name__ == "__main__":
    main("user", build)
