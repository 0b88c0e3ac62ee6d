"""Alembic environment: runs on the connection the caller hands over (``Store.migrate``), or
on ``sqlalchemy.url`` when run by the ``alembic`` tool for writing a new revision."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from sounding.store.tables import metadata

config = context.config


def _run(connection: sa.engine.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # pragma: no cover - the alembic tool, writing revisions
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
