"""The stored roster exported as strict OneRoster 1.2: valid, lossless, byte-stable."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sounding.cli import main
from sounding.roster import import_roster
from sounding.roster.export import export_roster
from sounding.store import Store
from tests.roster.mini_roster import write_mini
from tests.roster.oneroster_validator import validate
from tests.roster.test_delta import write_delta
from tests.roster.test_real_files import write_sis_export


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


def rows_of(path: Path) -> tuple[list[str], set[tuple[str, ...]]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return rows[0], {tuple(r) for r in rows[1:]}


def test_round_trip_export_import_export_is_byte_identical(tmp_path, db_url):
    with Store.open(db_url) as store:
        import_roster(store, write_sis_export(tmp_path / "sis"))
        import_roster(store, write_mini(tmp_path / "mini"))
        first = export_roster(store, tmp_path / "first")
    assert validate(tmp_path / "first") == []
    assert first.rows["users.csv"] == 9
    with Store.open(tmp_path / "again.db") as store:
        import_roster(store, tmp_path / "first")
        export_roster(store, tmp_path / "second")
    a, b = files_of(tmp_path / "first"), files_of(tmp_path / "second")
    assert list(a) == ["academicSessions.csv", "classes.csv", "courses.csv", "demographics.csv",
                       "enrollments.csv", "manifest.csv", "orgs.csv", "roles.csv", "users.csv"]
    assert a == b


def test_export_is_strict_whatever_was_accepted(tmp_path):
    """A liberal import (1.2 with 1.1 columns, unpadded grades, unprefixed extensions) comes
    out as a strict 1.2 bulk export: spec order, metadata.* last, blank bookkeeping."""
    with Store.open(tmp_path / "s.db") as store:
        import_roster(store, write_sis_export(tmp_path / "sis"))
        export_roster(store, tmp_path / "out")
    assert validate(tmp_path / "out") == []
    header, rows = rows_of(tmp_path / "out" / "courses.csv")
    assert header[-1] == "metadata.sis_course_number"
    alg = next(r for r in rows if r[0] == "c-alg1")
    assert alg[1:3] == ("", "") and alg[header.index("grades")] == "09,10"
    header, rows = rows_of(tmp_path / "out" / "users.csv")
    assert header[-1] == "metadata.ext.homeroom" and "role" not in header
    header, _ = rows_of(tmp_path / "out" / "demographics.csv")
    assert header[-4:] == ["metadata.englishLearner", "metadata.disability",
                           "metadata.economicallyDisadvantaged", "metadata.homeLanguage"]


def test_the_validator_fails_what_the_spec_forbids(tmp_path):
    folder = write_mini(tmp_path / "mini")  # hand-written: dateLastModified filled in bulk
    errors = validate(folder)
    assert any("users.csv, line 2, dateLastModified: must be blank in a bulk file" in e
               for e in errors)
    assert any(e.startswith("roles.csv, line 1: columns must be, in this order") for e in errors)
    assert any("subjectCodes: 0 entries but subjects has 1" in e for e in errors)
    assert not any("metadata.* and come after" in e for e in errors)  # mini has metadata.*


def test_simulated_district_survives_import_and_export(tmp_path):
    """Every row and value the simulator hands over comes back out of the store."""
    from sounding.testing import write_tiny_district

    src = write_tiny_district(tmp_path / "d") / "oneroster"
    with Store.open(tmp_path / "s.db") as store:
        import_roster(store, src)
        export_roster(store, tmp_path / "out")
    assert validate(tmp_path / "out") == []
    for name in ("orgs.csv", "academicSessions.csv", "courses.csv", "classes.csv", "users.csv",
                 "roles.csv", "enrollments.csv", "demographics.csv"):
        assert rows_of(tmp_path / "out" / name) == rows_of(src / name), name


def test_delta_then_export_is_the_roster_as_it_stands(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        import_roster(store, write_mini(tmp_path / "bulk"))
        import_roster(store, write_delta(tmp_path / "delta"))
        export_roster(store, tmp_path / "out")
    assert validate(tmp_path / "out") == []
    _, users = rows_of(tmp_path / "out" / "users.csv")
    assert sorted(r[0] for r in users) == ["s-1", "s-2", "s-3", "s-5", "t-1", "t-2"]


def test_cli_export_roster(tmp_path, capsys):
    db = str(tmp_path / "s.db")
    assert main(["import", "roster", str(write_mini(tmp_path / "mini")), "--db", db]) == 0
    capsys.readouterr()
    out = tmp_path / "out"
    assert main(["export", "roster", "--db", db, "-o", str(out), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"]["users.csv"] == 6 and summary["files"][0] == "manifest.csv"
    assert validate(out) == []
    assert main(["export", "roster", "--db", str(tmp_path / "none.db"), "-o", str(out)]) == 1
    assert "not found" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()
