"""contest embargoes

A contest keeps its problems from the public until it starts: one row per (contest, problem) with the
embargo's end, replaced whole when the contest changes. A problem is embargoed while a row ends later.

Revision ID: 9c1d5e7f2a30
Revises: 4b8e2f6a1c9d
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op

import arena.kit.db

revision = "9c1d5e7f2a30"
down_revision = "4b8e2f6a1c9d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "problem_embargoes",
        sa.Column("contest_id", sa.String(length=64), nullable=False),
        sa.Column("problem_id", sa.String(length=32), nullable=False),
        sa.Column("end_time", arena.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.problem_id"],
            name=op.f("fk_problem_embargoes_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contest_id", "problem_id", name=op.f("pk_problem_embargoes")),
    )
    op.create_index("ix_problem_embargoes_problem_id_end_time", "problem_embargoes", ["problem_id", "end_time"])


def downgrade() -> None:
    op.drop_index("ix_problem_embargoes_problem_id_end_time", table_name="problem_embargoes")
    op.drop_table("problem_embargoes")
