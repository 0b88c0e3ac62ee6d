"""PostgreSQL for the database tests: a fresh schema per test on the server named by
SOUNDING_TEST_PG_URL (``bash scripts/postgres.sh`` starts one and prints its URL).

Imported by tests/store/conftest.py and tests/roster/conftest.py as ``tests._pg`` (the
test folders are packages). Tests that take ``db_url`` run once on a SQLite file
and once on PostgreSQL; the PostgreSQL run is marked ``postgres`` and skipped when the
variable is unset.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest

PG_ENV = "SOUNDING_TEST_PG_URL"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set")]),
]


def _fresh_schema_url(base: str) -> tuple[str, str]:
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema}')}", schema


def _drop_schema(base: str, schema: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A database URL for an empty database: a SQLite file or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "sounding.db")
        return
    base = os.environ[PG_ENV]
    url, schema = _fresh_schema_url(base)
    try:
        yield url
    finally:
        _drop_schema(base, schema)
