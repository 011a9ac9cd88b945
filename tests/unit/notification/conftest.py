"""Notification use cases on the real SQL store (SQLite in a temporary directory)."""

from __future__ import annotations

import datetime as dt

import pytest

from arena.core.identity import Identity
from arena.kit.db import make_engine
from arena.notification.store import SqlNotificationStore

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def person(user_id: str, *roles: str) -> Identity:
    return Identity(user_id, f"{user_id}-name", frozenset({"USER", *roles}), "t", "s", 0.0)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def store(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/notification.db")
    sql = SqlNotificationStore(engine)
    await sql.migrate()
    yield sql
    await engine.dispose()
