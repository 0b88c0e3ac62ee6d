"""Real OneRoster files as SIS exports write them import: liberal in what we accept.

Each file here is what a real export looks like rather than what our own writer makes:
a BOM, CRLF line ends, every value quoted, columns in the vendor's own order, grades written
``9`` and ``K``, extension columns with and without the ``metadata.`` prefix, header names
in another case, OneRoster 1.1 role columns (alone, or kept beside a 1.2 roles.csv).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from sounding.errors import InvalidRoster
from sounding.roster import import_roster, read_roster
from sounding.store import Store
from tests.roster.mini_roster import write_mini

DLM = "2025-08-04T06:00:00.000Z"


def sis_file(rows: list[list[str]]) -> bytes:
    """A file the way many SIS exports write it: BOM, CRLF, every value quoted."""
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def write_sis_export(folder: Path) -> Path:
    """A high-school district's OneRoster 1.2 bulk export from an SIS."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "manifest.csv": [["propertyName", "value"], ["manifest.version", "1.0"],
                         ["oneroster.version", "1.2"],
                         *[[f"file.{f}", "bulk"] for f in (
                             "orgs", "academicSessions", "courses", "classes", "users",
                             "roles", "enrollments", "demographics")],
                         ["file.results", "absent"], ["source.systemName", "Acme SIS"]],
        # columns in the vendor's order, status 'active' and dateLastModified filled
        "orgs.csv": [["sourcedId", "name", "type", "parentSourcedId", "identifier", "status",
                      "dateLastModified"],
                     ["d1", "Lakeside USD", "district", "", "0601", "active", DLM],
                     ["hs1", "Lakeside High, North Campus", "school", "d1", "0601-1", "active",
                      DLM]],
        "academicSessions.csv": [["sourcedId", "status", "dateLastModified", "title", "type",
                                  "startDate", "endDate", "parentSourcedId", "schoolYear"],
                                 ["sy26", "active", DLM, "2025-26", "schoolYear", "2025-08-11",
                                  "2026-06-05", "", "2026"]],
        # grades unpadded; header names in another case; an extension without the prefix
        "courses.csv": [["SourcedId", "Status", "DateLastModified", "schoolYearSourcedId",
                         "Title", "courseCode", "grades", "orgSourcedId", "subjects",
                         "subjectCodes", "sis_course_number"],
                        ["c-alg1", "active", DLM, "sy26", "Algebra I", "02052", "9,10",
                         "d1", "Mathematics", "02052", "MA1001"],
                        ["c-m8", "active", DLM, "sy26", "Math 8", "", "8", "d1", "", "",
                         "MA0800"]],
        "classes.csv": [["sourcedId", "status", "dateLastModified", "title", "grades",
                         "courseSourcedId", "classCode", "classType", "location",
                         "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes",
                         "periods", "metadata.ext.room_capacity"],
                        ["k-1", "active", DLM, "Algebra I, Period 2", "9", "c-alg1", "A1-2",
                         "scheduled", "Room 12", "hs1", "sy26", "", "", "2", "32"]],
        # OneRoster 1.2 users.csv that still carries the 1.1 role and orgSourcedIds columns
        "users.csv": [["sourcedId", "status", "dateLastModified", "enabledUser",
                       "orgSourcedIds", "role", "username", "userIds", "givenName",
                       "familyName", "middleName", "identifier", "email", "sms", "phone",
                       "agentSourcedIds", "grades", "password", "primaryOrgSourcedId",
                       "metadata.ext.homeroom"],
                      ["t1", "active", DLM, "true", "hs1", "teacher", "mlopez", "", "María",
                       "López", "", "E100", "mlopez@lakeside.org", "", "", "", "9,10", "",
                       "hs1", ""],
                      ["s1", "active", DLM, "true", "hs1", "student", "s1", "{SIS:00042}",
                       "Jordan", "O'Neil, Jr.", "", "00042", "", "", "", "", "9", "", "hs1",
                       "H-101"],
                      ["s2", "active", DLM, "TRUE", "hs1", "student", "s2", "", "Ana",
                       "Nguyen", "Thi", "00043", "", "", "", "", "10", "", "hs1", "H-102"]],
        "roles.csv": [["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType",
                       "role", "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId"],
                      ["r-t1", "active", DLM, "t1", "primary", "teacher", "", "", "hs1", ""],
                      ["r-s1", "active", DLM, "s1", "primary", "student", "", "", "hs1", ""],
                      ["r-s2", "active", DLM, "s2", "primary", "student", "", "", "hs1", ""]],
        "enrollments.csv": [["sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId",
                             "role", "primary", "beginDate", "endDate", "status",
                             "dateLastModified"],
                            ["e-t1", "k-1", "hs1", "t1", "teacher", "true", "", "", "active",
                             DLM],
                            ["e-s1", "k-1", "hs1", "s1", "student", "false", "", "", "active",
                             DLM],
                            ["e-s2", "k-1", "hs1", "s2", "student", "false", "", "", "active",
                             DLM]],
        "demographics.csv": [["sourcedId", "status", "dateLastModified", "birthDate", "sex",
                              "hispanicOrLatinoEthnicity", "metadata.englishLearner",
                              "metadata.economicallyDisadvantaged", "homeLanguage"],
                             ["s1", "active", DLM, "2011-03-04", "male", "false", "false",
                              "true", "en"],
                             ["s2", "active", DLM, "2010-07-30", "female", "false", "true",
                              "true", "vi"]],
    }
    for name, rows in files.items():
        (folder / name).write_bytes(sis_file(rows))
    return folder


def test_a_real_sis_export_imports(tmp_path):
    folder = write_sis_export(tmp_path / "sis")
    with Store.open(tmp_path / "s.db") as store:
        report = import_roster(store, folder)
        students = store.students().set_index("student_id")
        assert list(students.index) == ["s1", "s2"]
        assert students.loc["s1", "grades"] == "09"           # read as the CEDS code
        assert students.loc["s2", "grades"] == "10"
        assert students["grade"].tolist() == [9, 10]
        assert students.loc["s1", "family_name"] == "O'Neil, Jr."   # quoted comma kept
        assert students.loc["s2", "english_learner"]
        assert students.loc["s1", "school_id"] == "hs1"
        courses = store.table("courses").set_index("course_id")
        assert courses.loc["c-alg1", "grades"] == "09,10"
        assert courses.loc["c-m8", "grades"] == "08"
        assert json.loads(courses.loc["c-alg1", "extensions"]) == {"sis_course_number": "MA1001"}
        users = store.table("users").set_index("user_id")
        assert json.loads(users.loc["s1", "extensions"]) == {"ext.homeroom": "H-101"}
        classes = store.table("classes").set_index("class_id")
        assert json.loads(classes.loc["k-1", "extensions"]) == {"ext.room_capacity": "32"}
        demo = store.table("demographics").set_index("user_id")
        assert json.loads(demo.loc["s2", "extensions"]) == {"homeLanguage": "vi"}
        assert store.counts()["roles"] == 3                    # from roles.csv, not users.csv
    notes = "\n".join(report.notes)
    assert "grades value(s) written another way" in notes
    assert "'SourcedId' as 'sourcedId'" in notes
    assert "kept as extensions: sis_course_number" in notes
    assert "users.csv also has OneRoster 1.1 columns" in notes
    assert report.notes[-1] == "OneRoster 1.2"


def test_oneroster_11_export_with_its_role_columns_imports(tmp_path):
    """OneRoster 1.1: no roles.csv; users.csv has role and orgSourcedIds (several orgs)."""
    users11 = sis_file([
        ["sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role",
         "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email",
         "sms", "phone", "agentSourcedIds", "grades", "password"],
        ["t-1", "active", DLM, "true", "sch-1", "teacher", "alee", "", "Ann", "Lee", "", "E1",
         "", "", "", "", "4", ""],
        ["t-2", "active", DLM, "true", "sch-2", "teacher", "bdiaz", "", "Ben", "Diaz", "", "E2",
         "", "", "", "", "K", ""],
        ["s-1", "active", DLM, "true", "sch-1", "student", "s1", "", "Ava", "Ames", "", "001",
         "", "", "", "", "4", ""],
        ["s-2", "active", DLM, "true", "sch-1", "student", "s2", "", "Bo", "Bell", "", "002",
         "", "", "", "", "4", ""],
        ["s-3", "active", DLM, "true", "sch-2,sch-1", "student", "s3", "", "Cy", "Cole", "",
         "003", "", "", "", "", "K", ""],
        ["s-4", "active", DLM, "true", "sch-2", "student", "s4", "", "Di", "Dunn", "", "004",
         "", "", "", "", "KG", ""],
    ])
    manifest = "propertyName,value\noneroster.version,1.1\n" + "".join(
        f"file.{f},bulk\n" for f in ("orgs", "academicSessions", "courses", "classes", "users",
                                     "enrollments", "demographics")) + "file.roles,absent\n"
    folder = write_mini(tmp_path / "or11", {"roles.csv": None, "manifest.csv": manifest})
    (folder / "users.csv").write_bytes(users11)
    with Store.open(tmp_path / "s.db") as store:
        report = import_roster(store, folder)
        s = store.students().set_index("student_id")
        assert s["grades"].tolist() == ["04", "04", "KG", "KG"]
        assert s.loc["s-3", "school_id"] == "sch-2"
        assert store.counts()["roles"] == 7
    assert report.notes[-1] == "OneRoster 1.1"


@pytest.mark.parametrize("grades, message", [
    ("13x", "'13x' is not a CEDS grade level"),
    ("4,grade 5", "'grade 5' is not a CEDS grade level"),
])
def test_grades_that_are_no_grade_are_still_refused(mini, edit, grades, message):
    edit(mini, "courses.csv", lambda ls: ls[:1] + [ls[1].replace(",04,", f',"{grades}",')]
         + ls[2:])
    with pytest.raises(InvalidRoster) as info:
        read_roster(mini)
    p = info.value.problems[0]
    assert (p.file, p.line, p.field) == ("courses.csv", 2, "grades")
    assert p.message.startswith(message)


def test_trailing_commas_are_empty_columns_ignored(mini, edit):
    edit(mini, "orgs.csv", lambda ls: [ln + "," for ln in ls])
    roster = read_roster(mini)
    assert len(roster.rows["orgs"]) == 4
    assert any("orgs.csv: 1 column(s) without a name" in n for n in roster.notes)
    edit(mini, "orgs.csv", lambda ls: ls[:2] + [ls[2] + "oops"] + ls[3:])
    with pytest.raises(InvalidRoster) as info:
        read_roster(mini)
    p = info.value.problems[0]
    assert (p.file, p.line, p.field) == ("orgs.csv", 3, "column 8")
    assert p.message == "value 'oops' in a column without a name"
