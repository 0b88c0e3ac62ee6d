"""The ids each stored view names (schema_info version 6).

A page redacts a stored view to the reader's scope. Walking a class plan (about 240 kB of
JSON, 20,000 nodes) to find the students, classes and schools it names, and copying it to
drop those outside the scope, cost 20-30 ms of every class page; with the names stored
beside the payload, a page checks them against the scope and, when all are inside (a
teacher's own class), uses the payload as it is. Rows stored before have NULL and are
walked as before.

Revision ID: 0005_view_ids
Revises: 0004_views
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0005_view_ids'
down_revision = '0004_views'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stored_views') as batch:
        batch.add_column(sa.Column('named_ids', sa.Text(), nullable=True))
    _set_version(6)


def downgrade() -> None:
    with op.batch_alter_table('stored_views') as batch:
        batch.drop_column('named_ids')
    op.execute(sa.text("DELETE FROM schema_info WHERE version = 6"))


def _set_version(version: int) -> None:
    info = sa.table("schema_info", sa.column("version", sa.Integer),
                    sa.column("applied_at", sa.DateTime))
    op.execute(info.delete().where(info.c.version == version))
    op.bulk_insert(info, [{"version": version, "applied_at": dt.datetime.now()}])
