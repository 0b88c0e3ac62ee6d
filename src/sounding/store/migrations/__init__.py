"""Alembic migrations of the store: ``sounding db upgrade --db URL`` (and ``Store.open``).

    from sounding.store import upgrade_database
    upgrade_database("sounding.db")      # SQLite file or PostgreSQL URL, in place

Why Alembic: the schema now changes with features (accounts, the access log), and a district's
database must follow without an export and re-import. The base revision is the schema of
version 2 (the one before migrations); every later change is one revision. ``Store.open``
creates a new database at head directly (the tables of ``tables.py``) and stamps it, and
brings an existing one to head in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

#: The first revision: the schema as it was when migrations began (SCHEMA_VERSION 2).
BASE = "0001_base"
#: The newest revision; ``tests/store/test_migrations.py`` checks it is Alembic's head.
HEAD = "0005_view_ids"
#: Revision -> schema_info version it leaves the database at.
SCHEMA_VERSIONS = {BASE: 2, "0002_accounts": 3, "0003_diagnostic": 4, "0004_views": 5,
                   HEAD: 6}
#: Tables each revision adds (a new database gets them all from ``tables.py`` at once).
ADDED_BY = {"0002_accounts": ("accounts", "api_tokens", "access_log"),
            "0003_diagnostic": ("diagnostic_sessions", "diagnostic_answers"),
            "0004_views": ("stored_views", "web_sessions", "login_failures",
                           "mastery_snapshots")}

_HERE = Path(__file__).resolve().parent


def config(connection: sa.engine.Connection | None = None) -> Any:
    """An Alembic Config on our scripts (no alembic.ini needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(_HERE / "versions"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def current_revision(conn: sa.engine.Connection) -> str | None:
    """The revision stamped in ``alembic_version``, or None (never migrated)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def stamp(conn: sa.engine.Connection, revision: str) -> None:
    """Record ``revision`` without running anything (a database created at head)."""
    from alembic import command

    command.stamp(config(conn), revision)


def upgrade_connection(conn: sa.engine.Connection, revision: str = "head") -> None:
    """Run every revision after the stamped one up to ``revision`` on ``conn``."""
    from alembic import command

    command.upgrade(config(conn), revision)
