"""The adaptive diagnostic's sessions and answers (schema_info version 4).

One row per session and one per answer: the web application commits each answer in its own
transaction before it serves the next item, and rebuilds a session from its answers after a
restart (``sounding.diagnostic.durable``).

Revision ID: 0003_diagnostic
Revises: 0002_accounts
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0003_diagnostic'
down_revision = '0002_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('diagnostic_sessions',
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('student_id', sa.String(), nullable=False),
    sa.Column('grade', sa.SmallInteger(), nullable=False),
    sa.Column('started_at', sa.String(length=40), nullable=False),
    sa.Column('pending_item', sa.String(), nullable=True),
    sa.Column('n_answered', sa.Integer(), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('finished_at', sa.String(length=40), nullable=True),
    sa.Column('open_slot', sa.SmallInteger(), nullable=True),
    sa.Column('evidence_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('session_id'),
    sa.UniqueConstraint('student_id', 'open_slot', name='uq_diagnostic_open_session')
    )
    op.create_index(op.f('ix_diagnostic_sessions_student_id'), 'diagnostic_sessions',
                    ['student_id'], unique=False)
    op.create_table('diagnostic_answers',
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(), nullable=False),
    sa.Column('standard', sa.String(), nullable=False),
    sa.Column('response', sa.String(length=200), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('answered_at', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('session_id', 'position')
    )
    _set_version(4)


def downgrade() -> None:
    for name in ("diagnostic_answers", "diagnostic_sessions"):
        op.drop_table(name)
    op.execute(sa.text("DELETE FROM schema_info WHERE version = 4"))


def _set_version(version: int) -> None:
    info = sa.table("schema_info", sa.column("version", sa.Integer),
                    sa.column("applied_at", sa.DateTime))
    op.execute(info.delete().where(info.c.version == version))
    op.bulk_insert(info, [{"version": version, "applied_at": dt.datetime.now()}])
