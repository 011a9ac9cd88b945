"""Notification use cases on the in-memory store (fast, no database); the store contract test holds it to
the SQL store's semantics (tests/integration/db/test_notification_store.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from arena.core.identity import Identity
from arena.notification.store import InMemoryNotificationStore

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def person(user_id: str, *roles: str) -> Identity:
    return Identity(user_id, f"{user_id}-name", frozenset({"USER", *roles}), "t", "s", 0.0)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def store() -> InMemoryNotificationStore:
    return InMemoryNotificationStore()
