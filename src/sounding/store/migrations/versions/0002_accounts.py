"""Accounts, API tokens and the access log (schema_info version 3).

Who may sign in (role and scope), bearer tokens stored only as hashes, and FERPA's record
of every read of a student-level record.

Revision ID: 0002_accounts
Revises: 0001_base
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0002_accounts'
down_revision = '0001_base'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('resource', sa.String(length=32), nullable=False),
    sa.Column('resource_id', sa.String(), nullable=True),
    sa.Column('student_id', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_access_log_at'), 'access_log', ['at'], unique=False)
    op.create_index(op.f('ix_access_log_student_id'), 'access_log', ['student_id'], unique=False)
    op.create_index(op.f('ix_access_log_username'), 'access_log', ['username'], unique=False)
    op.create_table('accounts',
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.Column('user_id', sa.String(), nullable=True),
    sa.Column('display_name', sa.String(), nullable=True),
    sa.Column('password_hash', sa.String(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('username')
    )
    op.create_index(op.f('ix_accounts_user_id'), 'accounts', ['user_id'], unique=False)
    op.create_table('api_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index(op.f('ix_api_tokens_username'), 'api_tokens', ['username'], unique=False)
    _set_version(3)


def downgrade() -> None:
    for name in ("access_log", "api_tokens", "accounts"):
        op.drop_table(name)
    op.execute(sa.text("DELETE FROM schema_info WHERE version = 3"))


def _set_version(version: int) -> None:
    info = sa.table("schema_info", sa.column("version", sa.Integer),
                    sa.column("applied_at", sa.DateTime))
    op.execute(info.delete().where(info.c.version == version))
    op.bulk_insert(info, [{"version": version, "applied_at": dt.datetime.now()}])
