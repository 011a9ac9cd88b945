"""rejudgings and their judgings; submissions count applied rejudgings

A rejudging groups new judgings of finished submissions (the DOMjudge model). A judging is queued
for the judges like a submission (claim, lease) and is ``open`` while its rejudging is; the partial
unique index keeps a submission in at most one open rejudging. ``submissions.judging_version``
counts the rejudgings applied to a submission (0: its first judging), so receivers of a result can
tell a newer one from a replay.

Revision ID: 44a7a38d5cb9
Revises: b81e4c2d9f06
Create Date: 2026-12-01 23:00:15.113855
"""

import sqlalchemy as sa
from alembic import op

import arena.kit.db

revision = "44a7a38d5cb9"
down_revision = "b81e4c2d9f06"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rejudgings",
        sa.Column("rejudging_id", sa.String(length=32), nullable=False),
        sa.Column("submission_ids", sa.JSON(), nullable=False),
        sa.Column("problem_id", sa.String(length=32), nullable=False),
        sa.Column("contest_id", sa.String(length=32), nullable=False),
        sa.Column("create_user_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("create_time", arena.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_state", sa.String(length=16), nullable=True),
        sa.Column("close_time", arena.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("close_user_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("rejudging_id", name=op.f("pk_rejudgings")),
    )
    with op.batch_alter_table("rejudgings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejudgings_create_time"), ["create_time"], unique=False)

    op.create_table(
        "judgings",
        sa.Column("rejudging_id", sa.String(length=32), nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("old_verdict", sa.Integer(), nullable=True),
        sa.Column("old_score", sa.Float(), nullable=False),
        sa.Column("new_verdict", sa.Integer(), nullable=True),
        sa.Column("new_score", sa.Float(), nullable=False),
        sa.Column("passed_test_count", sa.Integer(), nullable=False),
        sa.Column("test_count", sa.Integer(), nullable=False),
        sa.Column("max_cpu_ms", sa.Integer(), nullable=False),
        sa.Column("max_memory_kib", sa.Integer(), nullable=False),
        sa.Column("compile_output", sa.Text(), nullable=False),
        sa.Column("new_points", sa.Float(), nullable=False),
        sa.Column("new_max_points", sa.Float(), nullable=False),
        sa.Column("new_group_results", sa.JSON(), nullable=False),
        sa.Column("new_judge_notes", sa.Text(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("create_time", arena.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finish_time", arena.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=False),
        sa.Column("lease_until", arena.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["rejudging_id"],
            ["rejudgings.rejudging_id"],
            name=op.f("fk_judgings_rejudging_id_rejudgings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.submission_id"],
            name=op.f("fk_judgings_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rejudging_id", "submission_id", name=op.f("pk_judgings")),
    )
    with op.batch_alter_table("judgings", schema=None) as batch_op:
        batch_op.create_index("ix_judgings_queue", ["open", "status"], unique=False)
        batch_op.create_index(
            "ux_judgings_open_submission",
            ["submission_id"],
            unique=True,
            sqlite_where=sa.text("open"),
            postgresql_where=sa.text("open"),
        )

    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("judging_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("judging_version")

    with op.batch_alter_table("judgings", schema=None) as batch_op:
        batch_op.drop_index(
            "ux_judgings_open_submission", sqlite_where=sa.text("open"), postgresql_where=sa.text("open")
        )
        batch_op.drop_index("ix_judgings_queue")

    op.drop_table("judgings")
    with op.batch_alter_table("rejudgings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejudgings_create_time"))

    op.drop_table("rejudgings")
