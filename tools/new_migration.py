"""Autogenerates an Alembic migration for one service from its models.

Usage: python tools/new_migration.py <service> "<message>"

The schema is diffed against a scratch SQLite database upgraded to the newest
migration, so nothing but the service's migrations folder is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import tempfile

import sqlalchemy as sa
from alembic import command

from arena.kit.db import alembic_config, make_engine, migrate


async def autogenerate(service: str, message: str) -> None:
    store = importlib.import_module(f"arena.{service}.store")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp}/scratch.db")
        await migrate(engine, store.MIGRATIONS, store.VERSION_TABLE)
        config = alembic_config(store.MIGRATIONS, store.VERSION_TABLE)

        def revision(connection: sa.Connection) -> None:
            config.attributes["connection"] = connection
            command.revision(config, message=message, autogenerate=True)

        async with engine.begin() as connection:
            await connection.run_sync(revision)
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service")
    parser.add_argument("message")
    args = parser.parse_args()
    asyncio.run(autogenerate(args.service, args.message))


if __name__ == "__main__":
    main()
