"""interactive problems

A problem may carry an interactor (language and source): the judge runs it against the contestant's
program over pipes and it decides each test. Empty: the problem is not interactive.

Revision ID: 4b8e2f6a1c9d
Revises: 7d3a91c0e5b2
Create Date: 2026-12-01 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "4b8e2f6a1c9d"
down_revision = "7d3a91c0e5b2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("problems") as batch:
        batch.add_column(sa.Column("interactor_language_id", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("interactor_source", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("problems") as batch:
        batch.drop_column("interactor_source")
        batch.drop_column("interactor_language_id")
