"""hidden tests' exit code, signal and checker message are no longer kept

The judge now stores, for hidden tests, only what the submitter may see (verdict, time, memory):
an exit code chosen by the program from the test's data could read that data out, a byte per
test. Results stored before that rule get the same treatment here, in the test results and in
the TEST_FINISHED events watchers replay.

Revision ID: 5c2f0e9d7a41
Revises: f9768ac69644
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5c2f0e9d7a41"
down_revision = "f9768ac69644"
branch_labels = None
depends_on = None

_HIDDEN_DETAILS = {"exit_code": 0, "signal": 0, "checker_message": ""}


def upgrade() -> None:
    results = sa.table(
        "test_results",
        sa.column("sample", sa.Boolean()),
        sa.column("exit_code", sa.Integer()),
        sa.column("signal", sa.Integer()),
        sa.column("checker_message", sa.Text()),
    )
    op.execute(results.update().where(results.c.sample == sa.false()).values(**_HIDDEN_DETAILS))

    events = sa.table(
        "submission_events",
        sa.column("submission_id", sa.String()),
        sa.column("sequence", sa.Integer()),
        sa.column("type", sa.String()),
        sa.column("payload", sa.JSON()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(events.c.submission_id, events.c.sequence, events.c.payload).where(events.c.type == "TEST_FINISHED")
    )
    for submission_id, sequence, payload in rows.all():
        test = (payload or {}).get("test")
        if not test or test.get("sample") or all(test.get(k) == v for k, v in _HIDDEN_DETAILS.items()):
            continue
        connection.execute(
            events.update()
            .where(events.c.submission_id == submission_id, events.c.sequence == sequence)
            .values(payload={**payload, "test": {**test, **_HIDDEN_DETAILS}})
        )


def downgrade() -> None:
    """Nothing to restore: the details are gone."""
