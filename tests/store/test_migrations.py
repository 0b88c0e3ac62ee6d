"""Schema migrations: new databases at head, old ones upgraded in place (SQLite, PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from sounding.cli import main
from sounding.store import Store, normalize_url
from sounding.store import migrations as M
from sounding.store import tables as T

NEW_TABLES = {t for names in M.ADDED_BY.values() for t in names}


def test_head_is_alembics_head_and_schema_versions_match():
    scripts = ScriptDirectory.from_config(M.config())
    assert scripts.get_current_head() == M.HEAD
    assert [r.revision for r in scripts.walk_revisions()][::-1] == list(M.SCHEMA_VERSIONS)
    assert M.SCHEMA_VERSIONS[M.HEAD] == T.SCHEMA_VERSION


def test_a_new_database_is_created_at_head(db_url):
    with Store.open(db_url) as store:
        assert store.revision() == M.HEAD and store.schema_version == T.SCHEMA_VERSION
        assert NEW_TABLES <= set(sa.inspect(store.engine).get_table_names())


def _legacy(db_url: str) -> None:
    """A version-2 database as Sounding made it before migrations: the base tables, a
    schema_info row, data, no alembic_version."""
    engine = sa.create_engine(normalize_url(db_url))
    base = [t for t in T.metadata.sorted_tables if t.name not in NEW_TABLES]
    T.metadata.create_all(engine, tables=base)
    with engine.begin() as conn:
        conn.execute(T.schema_info.insert().values(version=2, applied_at=dt.datetime.now()))
        conn.execute(T.orgs.insert().values(org_id="s1", name="School", type="school"))
    engine.dispose()


def test_an_old_database_upgrades_in_place_keeping_its_data(db_url):
    _legacy(db_url)
    assert main(["db", "upgrade", "--db", db_url, "--format", "json"]) == 0
    with Store.open(db_url) as store:
        assert store.revision() == M.HEAD and store.schema_version == T.SCHEMA_VERSION
        assert NEW_TABLES <= set(sa.inspect(store.engine).get_table_names())
        assert store.orgs()["org_id"].tolist() == ["s1"]
        from sounding.access import add_account

        add_account(store, "ana", "admin", password="pw")
    assert main(["db", "upgrade", "--db", db_url, "--format", "json"]) == 0  # idempotent


def test_db_upgrade_reports_where_it_started(db_url, capsys):
    _legacy(db_url)
    capsys.readouterr()
    assert main(["db", "upgrade", "--db", db_url, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"before": M.BASE, "after": M.HEAD}
    assert main(["db", "revision", "--db", db_url]) == 0
    assert capsys.readouterr().out.strip() == M.HEAD


def test_opening_an_old_database_upgrades_it_too(db_url):
    _legacy(db_url)
    with Store.open(db_url) as store:
        assert store.revision() == M.HEAD


def test_a_database_from_a_newer_sounding_is_refused(tmp_path):
    import pytest

    from sounding.errors import SoundingError

    db = str(tmp_path / "newer.db")
    Store.open(db).close()
    engine = sa.create_engine(normalize_url(db))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099_future'")
    engine.dispose()
    with pytest.raises(SoundingError, match="newer than this Sounding"):
        Store.open(db)


def test_every_revision_downgrades_to_nothing_and_back(db_url):
    """downgrade base drops what the revisions created (only Alembic's own table is left), and
    upgrading again rebuilds head."""
    from alembic import command

    with Store.open(db_url):
        pass
    engine = sa.create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        command.downgrade(M.config(conn), "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    with engine.begin() as conn:
        M.upgrade_connection(conn)
    assert {t.name for t in T.metadata.sorted_tables} <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


def test_a_version_3_database_gains_the_diagnostic_tables_keeping_its_accounts(db_url):
    """A database at 0002_accounts (before the diagnostic and the stored views) upgrades to
    head in place."""
    from alembic import command

    from sounding.access import add_account, get_account

    with Store.open(db_url) as store:
        add_account(store, "ana", "admin", password="pw")
    engine = sa.create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        command.downgrade(M.config(conn), "0002_accounts")
    assert "diagnostic_answers" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    with Store.open(db_url) as store:
        assert store.revision() == M.HEAD and store.schema_version == T.SCHEMA_VERSION
        assert {"diagnostic_sessions", "diagnostic_answers", "stored_views"} <= set(
            sa.inspect(store.engine).get_table_names())
        assert get_account(store, "ana").role.value == "admin"
