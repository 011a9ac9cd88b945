"""Alembic environment of the notification service (its own version table; see arena.kit.db)."""

from alembic import context

from arena.kit.db import run_migrations
from arena.notification.store import Base

run_migrations(context, Base.metadata)  # type: ignore[arg-type]  # alembic's module proxies EnvironmentContext
