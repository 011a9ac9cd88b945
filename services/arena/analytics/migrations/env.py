"""Alembic environment of the analytics service (its own version table; see arena.kit.db)."""

from alembic import context

from arena.analytics.store import metadata
from arena.kit.db import run_migrations

run_migrations(context, metadata)  # type: ignore[arg-type]  # alembic's module proxies EnvironmentContext
