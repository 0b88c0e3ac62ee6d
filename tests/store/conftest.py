"""Store test fixtures: ``db_url`` runs a test on SQLite and on PostgreSQL."""

from tests._pg import db_url  # noqa: F401  (fixture)
