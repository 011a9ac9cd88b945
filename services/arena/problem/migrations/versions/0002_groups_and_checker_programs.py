"""test groups (subtasks) and checker programs

A problem may carry test groups with points (CMS GroupMin), a setting to run a failed group's
remaining tests, and a checker program (language and source) for CHECKER_KIND_PROGRAM.

Revision ID: 7d3a91c0e5b2
Revises: 03806f4216b6
Create Date: 2026-12-01 23:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7d3a91c0e5b2"
down_revision = "03806f4216b6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("problems") as batch:
        batch.add_column(sa.Column("checker_language_id", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("checker_source", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("test_groups", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("run_whole_failed_groups", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("problems") as batch:
        batch.drop_column("run_whole_failed_groups")
        batch.drop_column("test_groups")
        batch.drop_column("checker_source")
        batch.drop_column("checker_language_id")
