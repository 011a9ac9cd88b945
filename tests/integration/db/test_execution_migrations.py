"""Execution's data migrations: results stored before a rule changed are brought under it."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command

from arena.execution import store
from arena.kit.db import alembic_config, make_engine, migrate

BEFORE_HIDING = "f9768ac69644"  # the initial schema, when hidden tests kept their exit codes


async def _upgrade_to(engine, revision: str) -> None:
    config = alembic_config(store.MIGRATIONS, store.VERSION_TABLE)

    def upgrade(connection: sa.Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)


def _test(ordinal: int, sample: bool) -> dict:
    return {"ordinal": ordinal, "sample": sample, "verdict": 6, "cpu_ms": 5, "wall_ms": 9, "memory_kib": 900,
            "exit_code": 42, "signal": 0, "checker_message": "expected 7, found 42"}  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_hidden_test_details_stored_before_the_rule_are_scrubbed(backend, tmp_path, request):
    if backend == "postgres":
        url = request.getfixturevalue("postgres").create_database("execution_hide_details")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/execution.db"
    engine = make_engine(url)
    now = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    try:
        await _upgrade_to(engine, BEFORE_HIDING)
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO submissions (submission_id, user_id, problem_id, contest_id, language_id, source,"
                    " run_all_tests, status, verdict, score, test_count, passed_test_count, max_cpu_ms,"
                    " max_memory_kib, compile_output, create_time, last_sequence, claimed_by)"
                    " VALUES ('s1', 'u1', 'p1', '', 'c', 'x', false, 'FINISHED', 6, 0, 2, 0, 5, 900, '', :now, 2, '')"
                ),
                {"now": now},
            )
            for ordinal, sample in ((1, True), (2, False)):
                test = _test(ordinal, sample)
                await connection.execute(
                    sa.text(
                        "INSERT INTO test_results (submission_id, ordinal, sample, verdict, cpu_ms, wall_ms,"
                        " memory_kib, exit_code, signal, checker_message) VALUES ('s1', :ordinal, :sample, 6, 5, 9,"
                        " 900, 42, 0, 'expected 7, found 42')"
                    ),
                    {"ordinal": ordinal, "sample": sample},
                )
                events = sa.table(
                    "submission_events",
                    sa.column("submission_id"),
                    sa.column("sequence"),
                    sa.column("type"),
                    sa.column("time"),
                    sa.column("payload", sa.JSON()),
                )
                await connection.execute(
                    events.insert().values(
                        submission_id="s1",
                        sequence=ordinal,
                        type="TEST_FINISHED",
                        time=now,
                        payload={"status": "RUNNING", "test": test, "verdict": None, "score": 0.0},
                    )
                )

        await migrate(engine, store.MIGRATIONS, store.VERSION_TABLE)

        async with engine.connect() as connection:
            results = (
                await connection.execute(
                    sa.text("SELECT ordinal, exit_code, signal, checker_message FROM test_results ORDER BY ordinal")
                )
            ).all()
            payloads = (
                (
                    await connection.execute(
                        sa.select(sa.column("payload", sa.JSON()))
                        .select_from(sa.table("submission_events"))
                        .order_by(sa.column("sequence"))
                    )
                )
                .scalars()
                .all()
            )
    finally:
        await engine.dispose()
    assert [tuple(r) for r in results] == [(1, 42, 0, "expected 7, found 42"), (2, 0, 0, "")]
    sample, hidden = (p["test"] for p in payloads)
    assert (sample["exit_code"], sample["checker_message"]) == (42, "expected 7, found 42")
    assert (hidden["exit_code"], hidden["signal"], hidden["checker_message"]) == (0, 0, "")
    assert (hidden["verdict"], hidden["cpu_ms"], hidden["memory_kib"]) == (6, 5, 900)  # what stays visible
