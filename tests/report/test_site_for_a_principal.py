"""`sounding report site`: rendered for one principal, through the services, reading only."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa

from sounding.cli import main
from sounding.store import Store
from sounding.store import tables as T
from tests.services.conftest import district_db, shapes  # noqa: F401  (fixtures)


def _digest(db: str) -> dict[str, str]:
    """A checksum of every table's rows (order-independent of storage)."""
    out = {}
    with Store.open(db) as store, store.engine.connect() as conn:
        for name, table in T.metadata.tables.items():
            rows = conn.execute(sa.select(table)).all()
            out[name] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    return out


def _copy(district_db, tmp_path) -> str:  # noqa: F811
    import shutil

    with Store.open(district_db) as s, s.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    target = tmp_path / "copy.db"
    shutil.copy(district_db, target)
    return str(target)


def test_report_site_writes_nothing_to_the_store(district_db, tmp_path):  # noqa: F811
    db = _copy(district_db, tmp_path)
    before = _digest(db)
    assert main(["report", "site", "--db", db, "--out", str(tmp_path / "site")]) == 0
    assert _digest(db) == before  # the mastery table included: nothing refitted
    html = (tmp_path / "site" / "index.html").read_text()
    assert "synthetic district" not in html and "Riverbend" in html
    # a signed-in principal's report adds only its access-log rows
    assert main(["report", "site", "--db", db, "--as", "teacher1", "--out",
                 str(tmp_path / "t")]) == 0
    after = _digest(db)
    assert {k for k in after if after[k] != before[k]} == {"access_log"}


def test_a_teachers_site_shows_only_her_students(district_db, shapes, tmp_path):  # noqa: F811
    db = _copy(district_db, tmp_path)
    out = tmp_path / "site"
    assert main(["--as", "teacher1", "report", "site", "--db", db, "--out", str(out)]) == 0
    with Store.open(db) as store:
        from sounding.access import principal_for, resolve

        reach = resolve(store, principal_for(store, "teacher1"))
        everyone = set(store.students()["student_id"].astype(str))
        names = store.students().set_index("student_id")
    others = everyone - set(reach.students)
    text = "\n".join(p.read_text() for p in out.rglob("*.html"))
    shown = set(re.findall(r"stu-\d{7}", text))
    assert shown and shown <= set(reach.students), sorted(shown - set(reach.students))[:5]
    assert not (others & shown)
    assert {p.stem for p in (out / "classes").glob("*.html")} == set(reach.classes)
    outsider = names.loc[sorted(others)[0]]
    assert f"{outsider['given_name']} {outsider['family_name']}" not in text
    assert "teacher1 (teacher)" in (out / "index.html").read_text()


def test_a_state_analysts_site_has_no_student_pages(district_db, tmp_path):  # noqa: F811
    db = _copy(district_db, tmp_path)
    out = tmp_path / "site"
    assert main(["report", "site", "--db", db, "--as", "state1", "--out", str(out)]) == 0
    assert not (out / "students").exists() and not (out / "family").exists()
    text = "\n".join(p.read_text() for p in out.rglob("*.html"))
    assert not re.findall(r"stu-\d{7}", text)


def test_the_report_reads_only_through_the_services():
    """No module of the report imports the store or planning's store glue."""
    import ast
    from pathlib import Path

    import sounding.report as report

    banned = ("sounding.store", "sounding.planning.from_store", "sounding.services._data")
    for path in Path(report.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith(banned) for n in names), (path.name, names)


def test_a_guardians_site_holds_her_children_and_no_class_page(district_db, shapes,  # noqa: F811
                                                               tmp_path):
    db = _copy(district_db, tmp_path)
    out = tmp_path / "site"
    assert main(["report", "site", "--db", db, "--as", "gdn.two", "--out", str(out)]) == 0
    kids = {shapes["child_a"], shapes["child_b"]}
    assert {p.stem for p in (out / "students").glob("*.html")} == kids
    assert {p.stem for p in (out / "family").glob("*.html")} == kids
    assert not (out / "classes").exists() and not (out / "plans").exists()
    text = "\n".join(p.read_text() for p in out.rglob("*.html"))
    assert set(re.findall(r"stu-\d{7}", text)) <= kids
