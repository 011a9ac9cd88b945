"""virtual participations and their results; clarifications and announcements

Revision ID: 7c1e5a9d3f20
Revises: 2d60bebddebc
Create Date: 2026-12-01 23:40:00
"""

from alembic import op
import sqlalchemy as sa
import arena.kit.db


revision = '7c1e5a9d3f20'
down_revision = '2d60bebddebc'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contest_virtual_participations',
    sa.Column('contest_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('start_time', arena.kit.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('duration_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.contest_id'], name=op.f('fk_contest_virtual_participations_contest_id_contests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contest_id', 'user_id', name=op.f('pk_contest_virtual_participations'))
    )
    op.create_table('contest_virtual_results',
    sa.Column('submission_id', sa.String(length=64), nullable=False),
    sa.Column('contest_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('problem_id', sa.String(length=64), nullable=False),
    sa.Column('verdict', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('groups', sa.Text(), nullable=False),
    sa.Column('submit_time', arena.kit.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('judge_time', arena.kit.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.contest_id'], name=op.f('fk_contest_virtual_results_contest_id_contests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_contest_virtual_results'))
    )
    op.create_index('ix_contest_virtual_results_contest_user', 'contest_virtual_results', ['contest_id', 'user_id'], unique=False)
    op.create_table('contest_clarifications',
    sa.Column('clarification_id', sa.String(length=32), nullable=False),
    sa.Column('contest_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('problem_id', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.String(length=32), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answerer_id', sa.String(length=32), nullable=False),
    sa.Column('create_time', arena.kit.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('answer_time', arena.kit.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.contest_id'], name=op.f('fk_contest_clarifications_contest_id_contests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('clarification_id', name=op.f('pk_contest_clarifications'))
    )
    op.create_index('ix_contest_clarifications_contest_time', 'contest_clarifications', ['contest_id', 'create_time'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_contest_clarifications_contest_time', table_name='contest_clarifications')
    op.drop_table('contest_clarifications')
    op.drop_index('ix_contest_virtual_results_contest_user', table_name='contest_virtual_results')
    op.drop_table('contest_virtual_results')
    op.drop_table('contest_virtual_participations')
