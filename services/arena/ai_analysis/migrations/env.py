"""Alembic environment of the ai_analysis service (its own version table; see arena.kit.db)."""

from alembic import context

from arena.ai_analysis.store import Base
from arena.kit.db import run_migrations

run_migrations(context, Base.metadata)  # type: ignore[arg-type]  # alembic's module proxies EnvironmentContext
