"""per-group scores and points on submissions, each test's earned fraction, judge notes

Problems may have test groups (subtasks, CMS GroupMin) and checker programs with partial
points: a submission keeps its total points, what the problem is worth and each group's score;
a test result keeps the fraction of its points it earned; judge notes say why a checker
program failed (for setters and admins). Results judged before get 1 for an
accepted test, and submissions their score x 100 out of 100 (the rule for problems without groups).

Revision ID: b81e4c2d9f06
Revises: 5c2f0e9d7a41
Create Date: 2026-12-01 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b81e4c2d9f06"
down_revision = "5c2f0e9d7a41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("points", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("max_points", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("group_results", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("judge_notes", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("test_results") as batch:
        batch.add_column(sa.Column("score", sa.Float(), nullable=False, server_default="0"))
    submissions = sa.table(
        "submissions",
        sa.column("verdict", sa.Integer()),
        sa.column("score", sa.Float()),
        sa.column("points", sa.Float()),
        sa.column("max_points", sa.Float()),
    )
    op.execute(
        submissions.update()
        .where(submissions.c.verdict.is_not(None))
        .values(points=submissions.c.score * 100, max_points=100)
    )
    results = sa.table("test_results", sa.column("verdict", sa.Integer()), sa.column("score", sa.Float()))
    op.execute(results.update().where(results.c.verdict == 1).values(score=1))


def downgrade() -> None:
    with op.batch_alter_table("test_results") as batch:
        batch.drop_column("score")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("judge_notes")
        batch.drop_column("group_results")
        batch.drop_column("max_points")
        batch.drop_column("points")
