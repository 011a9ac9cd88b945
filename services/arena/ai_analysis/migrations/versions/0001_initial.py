"""analyses and similarity fingerprints

Revision ID: a1a0000000001
Revises:
Create Date: 2026-12-02 01:00:00
"""

from alembic import op
import sqlalchemy as sa
import arena.kit.db


revision = 'a1a0000000001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analyses',
    sa.Column('analysis_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('language_id', sa.String(length=32), nullable=False),
    sa.Column('problem_id', sa.String(length=32), nullable=False),
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('model', sa.String(length=120), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('review', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('create_time', arena.kit.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('analysis_id', name=op.f('pk_analyses'))
    )
    op.create_index(op.f('ix_analyses_user_id'), 'analyses', ['user_id'], unique=False)
    op.create_table('fingerprints',
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('problem_id', sa.String(length=32), nullable=False),
    sa.Column('contest_id', sa.String(length=32), nullable=False),
    sa.Column('language_id', sa.String(length=32), nullable=False),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('token_count', sa.Integer(), nullable=False),
    sa.Column('hashes', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_fingerprints'))
    )
    op.create_index(op.f('ix_fingerprints_problem_id'), 'fingerprints', ['problem_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_fingerprints_problem_id'), table_name='fingerprints')
    op.drop_table('fingerprints')
    op.drop_index(op.f('ix_analyses_user_id'), table_name='analyses')
    op.drop_table('analyses')
