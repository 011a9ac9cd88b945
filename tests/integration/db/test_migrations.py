"""Every service's Alembic migrations build exactly the schema its models describe, on both backends."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import arena
from arena.kit.db import make_engine, migrate


def stores() -> list[str]:
    """Services that own a database (they have an ``arena.<service>.store`` with migrations)."""
    found = []
    for module in pkgutil.iter_modules(arena.__path__):
        try:
            store = importlib.import_module(f"arena.{module.name}.store")
        except ModuleNotFoundError:
            continue
        if hasattr(store, "MIGRATIONS") and hasattr(store, "Base"):
            found.append(module.name)
    return sorted(found)


def test_the_user_service_is_found():
    assert "user" in stores()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@pytest.mark.parametrize("service", stores())
async def test_migrations_match_the_models(service: str, backend: str, tmp_path, request):
    store = importlib.import_module(f"arena.{service}.store")
    if backend == "postgres":
        url = request.getfixturevalue("postgres").create_database(f"migrations_{service}")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/{service}.db"
    engine = make_engine(url)
    try:
        await migrate(engine, store.MIGRATIONS, store.VERSION_TABLE)
        await migrate(engine, store.MIGRATIONS, store.VERSION_TABLE)  # idempotent

        def diff(connection):
            context = MigrationContext.configure(
                connection, opts={"version_table": store.VERSION_TABLE, "compare_type": True}
            )
            return compare_metadata(context, store.Base.metadata)

        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []
