"""Stored views, web sessions, sign-in failures, mastery snapshots (schema_info version 5).

The web app's class and student pages read views computed when mastery and the plan are
computed (instead of seconds of CPU per page); sessions and sign-in throttling live in the
database so that several server processes share them; mastery snapshots give progress over
time.

Revision ID: 0004_views
Revises: 0003_diagnostic
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0004_views'
down_revision = '0003_diagnostic'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stored_views',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(), nullable=False),
    sa.Column('variant', sa.String(length=120), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'object_id', 'variant')
    )
    op.create_table('web_sessions',
    sa.Column('sid_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sid_hash')
    )
    op.create_index(op.f('ix_web_sessions_username'), 'web_sessions', ['username'],
                    unique=False)
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_login_failures_key'), 'login_failures', ['key'], unique=False)
    op.create_table('mastery_snapshots',
    sa.Column('student_id', sa.String(), nullable=False),
    sa.Column('model', sa.String(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('standard_set', sa.String(length=40), nullable=False),
    sa.Column('n_standards', sa.Integer(), nullable=False),
    sa.Column('p_mastered', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('student_id', 'model', 'as_of')
    )
    _set_version(5)


def downgrade() -> None:
    for name in ("mastery_snapshots", "login_failures", "web_sessions", "stored_views"):
        op.drop_table(name)
    op.execute(sa.text("DELETE FROM schema_info WHERE version = 5"))


def _set_version(version: int) -> None:
    info = sa.table("schema_info", sa.column("version", sa.Integer),
                    sa.column("applied_at", sa.DateTime))
    op.execute(info.delete().where(info.c.version == version))
    op.bulk_insert(info, [{"version": version, "applied_at": dt.datetime.now()}])
