"""Alembic environment of the contest service (its own version table; see arena.kit.db)."""

from alembic import context

from arena.contest.store import Base
from arena.kit.db import run_migrations

run_migrations(context, Base.metadata)  # type: ignore[arg-type]  # alembic's module proxies EnvironmentContext
