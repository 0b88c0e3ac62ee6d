"""OneRoster delta exports (how nightly SIS syncs arrive) applied to a stored roster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sounding.errors import InvalidRoster
from sounding.roster import import_roster
from sounding.store import Store
from tests.roster.mini_roster import write_mini

NIGHT = "2025-09-02T04:00:00.000Z"
MANIFEST = """propertyName,value
manifest.version,1.0
oneroster.version,1.2
file.academicSessions,absent
file.classes,absent
file.courses,absent
file.demographics,delta
file.enrollments,delta
file.orgs,absent
file.roles,delta
file.users,delta
source.systemName,Acme SIS nightly
"""
USERS = ("sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,"
         "middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,"
         "userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,"
         "preferredFamilyName,primaryOrgSourcedId,pronouns\n"
         f"s-5,active,{NIGHT},true,s5,,Eli,Estes,,005,,,,,4,,,,,,,sch-1,\n"      # added
         f"s-1,active,{NIGHT},true,s1,,Avery,Ames,,001,,,,,04,,,,,,,sch-1,\n"    # renamed
         f"s-4,tobedeleted,{NIGHT},,,,,,,,,,,,,,,,,,,,\n")                        # left
ROLES = ("sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
         "orgSourcedId,userProfileSourcedId\n"
         f"r-s-5,active,{NIGHT},s-5,primary,student,,,sch-1,\n"
         f"r-s-4,tobedeleted,{NIGHT},,,,,,,\n")
ENROLLMENTS = ("sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,"
               "role,primary,beginDate,endDate\n"
               f"e-s-5,active,{NIGHT},c-1,sch-1,s-5,student,false,,\n"   # class from the store
               f"e-s-4,tobedeleted,{NIGHT},c-2,sch-2,s-4,student,false,,\n")
DEMOGRAPHICS = ("sourcedId,status,dateLastModified,birthDate,sex,metadata.englishLearner\n"
                f"s-5,active,{NIGHT},2015-05-05,male,true\n")


def write_delta(folder: Path, **replace: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"manifest.csv": MANIFEST, "users.csv": USERS, "roles.csv": ROLES,
             "enrollments.csv": ENROLLMENTS, "demographics.csv": DEMOGRAPHICS, **replace}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def roster_snapshot(store: Store) -> dict[str, list]:
    return {t: store.table(t).sort_values(store.table(t).columns[0]).astype(str)
            .values.tolist() for t in ("users", "roles", "enrollments", "demographics")}


def test_delta_adds_updates_and_deletes(tmp_path, db_url):
    with Store.open(db_url) as store:
        import_roster(store, write_mini(tmp_path / "bulk"))
        report = import_roster(store, write_delta(tmp_path / "delta"))
        assert report.changes == {
            "users": {"added": 1, "updated": 1, "deleted": 1},
            "roles": {"added": 1, "updated": 0, "deleted": 1},
            "enrollments": {"added": 1, "updated": 0, "deleted": 1},
            "demographics": {"added": 1, "updated": 0, "deleted": 0},
        }
        assert "users: 1 added, 1 updated, 1 deleted" in report.notes
        students = store.students().set_index("student_id")
        assert list(students.index) == ["s-1", "s-2", "s-3", "s-5"]
        assert students.loc["s-1", "given_name"] == "Avery"
        assert students.loc["s-5", "grades"] == "04" and students.loc["s-5", "english_learner"]
        assert students.loc["s-5", "school_id"] == "sch-1"
        classes = store.classes().set_index("class_id")
        assert classes.loc["c-1", "teacher_ids"] == ["t-1"]
        enr = store.enrollments()
        assert set(enr["user_id"]) == {"t-1", "t-2", "s-1", "s-2", "s-3", "s-5"}
        users = store.table("users").set_index("user_id")
        # a deleted row is kept for the record, marked, with the delta's timestamp
        assert users.loc["s-4", "status"] == "tobedeleted"
        assert users.loc["s-4", "date_last_modified"] == NIGHT
        assert users.loc["s-4", "given_name"] == "Di"
        # the same delta again changes nothing more
        again = import_roster(store, tmp_path / "delta")
        assert again.changes["users"] == {"added": 0, "updated": 2, "deleted": 0}
        assert list(store.students()["student_id"]) == ["s-1", "s-2", "s-3", "s-5"]


@pytest.mark.parametrize("bad_file, bad_text, where", [
    ("enrollments.csv", ENROLLMENTS + f"e-s-6,active,{NIGHT},c-999,sch-1,s-5,student,,,\n",
     ("enrollments.csv", 4, "classSourcedId")),
    ("users.csv", USERS + f"s-6,,{NIGHT},true,s6,,Fay,Fox,,006,,,,,4,,,,,,,sch-1,\n",
     ("users.csv", 5, "status")),
    ("roles.csv", ROLES.replace("r-s-5,active", "r-s-5,inserted"), ("roles.csv", 2, "status")),
])
def test_a_rejected_delta_changes_nothing(tmp_path, db_url, bad_file, bad_text, where):
    with Store.open(db_url) as store:
        import_roster(store, write_mini(tmp_path / "bulk"))
        before = roster_snapshot(store)
        counts = store.counts()
        with pytest.raises(InvalidRoster) as info:
            import_roster(store, write_delta(tmp_path / "delta", **{bad_file: bad_text}))
        p = info.value.problems[0]
        assert (p.file, p.line, p.field) == where
        assert store.counts() == counts
        assert roster_snapshot(store) == before


def test_delete_of_an_unknown_id_is_a_note(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        import_roster(store, write_mini(tmp_path / "bulk"))
        users = USERS + f"s-99,tobedeleted,{NIGHT},,,,,,,,,,,,,,,,,,,,\n"
        report = import_roster(store, write_delta(tmp_path / "delta", **{"users.csv": users}))
        assert report.changes["users"]["deleted"] == 1
        assert any("1 tobedeleted row(s) name ids that are not in the roster" in n
                   for n in report.notes)


def test_cli_applies_a_delta_and_reports_the_changes(tmp_path, capsys):
    from sounding.cli import main

    db = str(tmp_path / "s.db")
    assert main(["import", "roster", str(write_mini(tmp_path / "bulk")), "--db", db]) == 0
    capsys.readouterr()
    assert main(["import", "roster", str(write_delta(tmp_path / "delta")), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "users: 1 added, 1 updated, 1 deleted" in out
    assert main(["import", "roster", str(tmp_path / "delta"), "--db", db, "--format",
                 "json"]) == 0
    rep = json.loads(capsys.readouterr().out)["import"]
    assert rep["changes"]["users"] == {"added": 0, "updated": 2, "deleted": 0}
