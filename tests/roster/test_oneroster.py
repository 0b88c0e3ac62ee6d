"""OneRoster CSV import: every problem found before anything is written, with its place."""

from __future__ import annotations

import json
import zipfile

import pandas as pd
import pytest

from sounding.errors import InvalidRoster, NotFound, Problem
from sounding.roster import import_roster, read_roster
from sounding.store import Store
from tests.roster.mini_roster import DLM, write_mini

ROSTER_TABLES = ("orgs", "academic_sessions", "courses", "classes", "users", "roles",
                 "enrollments", "demographics")


def roster_counts(store: Store) -> dict[str, int]:
    c = store.counts()
    return {k: c[k] for k in ROSTER_TABLES}


def problems_of(path) -> list[Problem]:
    with pytest.raises(InvalidRoster) as info:
        read_roster(path)
    return info.value.problems


def test_mini_roster_imports_with_ids_and_grades_as_given(mini, tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        report = import_roster(store, mini)
        assert roster_counts(store) == {"orgs": 4, "academic_sessions": 2, "courses": 2,
                                        "classes": 2, "users": 6, "roles": 6,
                                        "enrollments": 6, "demographics": 4}
        assert report.rows["enrollments.csv"] == 6
        assert report.written["users"] == 6
        students = store.students().set_index("student_id")
        assert list(students.index) == ["s-1", "s-2", "s-3", "s-4"]
        assert students.loc["s-1", "grades"] == "04"
        assert students.loc["s-3", "grades"] == "KG"
        assert students["grade"].tolist() == [4, 4, 0, 0]
        assert students.loc["s-3", "school_id"] == "sch-2"
        assert set(students["district_id"]) == {"org-d1"}
        assert students.loc["s-1", "econ_disadvantaged"]
        assert students.loc["s-2", "english_learner"]
        assert students.loc["s-3", "hispanic_or_latino"]
        assert students.loc["s-2", "identifier"] == "002"  # leading zeros kept
        classes = store.classes().set_index("class_id")
        assert classes.loc["c-1", "teacher_ids"] == ["t-1"]
        assert classes.loc["c-2", "grade"] == 0
        assert classes.loc["c-2", "term_ids"] == "as-2026,as-2026-s1"
        enr = store.enrollments()
        assert len(enr) == 6 and enr["primary"].dtype == "boolean"
        orgs = store.orgs().set_index("org_id")
        assert orgs.loc["sch-1", "parent_id"] == "org-d1"
        demo = store.table("demographics").set_index("user_id")
        assert json.loads(demo.loc["s-1", "extensions"]) == {"homeLanguage": "en"}
        assert pd.isna(demo.loc["s-2", "extensions"])


def test_reimport_is_idempotent_and_updates_in_place(mini, tmp_path, edit):
    with Store.open(tmp_path / "s.db") as store:
        import_roster(store, mini)
        first = roster_counts(store)
        report = import_roster(store, mini)
        assert roster_counts(store) == first
        assert report.written == {}
        edit(mini, "users.csv", lambda ls: [ls[0]] + [ln.replace(",Ava,", ",Avery,")
                                                      for ln in ls[1:]])
        import_roster(store, mini)
        assert roster_counts(store) == first
        assert store.students().set_index("student_id").loc["s-1", "given_name"] == "Avery"


def test_roster_from_zip_with_a_subfolder(mini, tmp_path):
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in mini.iterdir():
            zf.write(f, f"district_export/{f.name}")
    roster = read_roster(z)
    assert len(roster.rows["users"]) == 6


def test_oneroster_11_layout_roles_from_users(tmp_path):
    users11 = (
        "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
        "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
        "password\n"
        f"t-1,,{DLM},true,sch-1,teacher,alee,,Ann,Lee,,E1,,,,,04,\n"
        f"t-2,,{DLM},true,sch-2,teacher,bdiaz,,Ben,Diaz,,E2,,,,,KG,\n"
        f"s-1,,{DLM},true,sch-1,student,s1,,Ava,Ames,,001,,,,,04,\n"
        f"s-2,,{DLM},true,sch-1,student,s2,,Bo,Bell,,002,,,,,04,\n"
        f"s-3,,{DLM},true,\"sch-2,sch-1\",student,s3,,Cy,Cole,,003,,,,,KG,\n"
        f"s-4,,{DLM},true,sch-2,student,s4,,Di,Dunn,,004,,,,,KG,\n")
    manifest = "propertyName,value\noneroster.version,1.1\n" + "".join(
        f"file.{f},bulk\n" for f in ("orgs", "academicSessions", "courses", "classes", "users",
                                     "enrollments", "demographics")) + "file.roles,absent\n"
    folder = write_mini(tmp_path / "or11", {"users.csv": users11, "roles.csv": None,
                                            "manifest.csv": manifest})
    (folder / "roles.csv").unlink(missing_ok=True)
    with Store.open(tmp_path / "s.db") as store:
        report = import_roster(store, folder)
        assert any("1.1" in n for n in report.notes)
        students = store.students().set_index("student_id")
        assert len(students) == 4
        assert students.loc["s-3", "school_id"] == "sch-2"  # the first org is primary
        assert store.counts()["roles"] == 7


def test_delta_file_rows_need_a_status(mini, edit):
    edit(mini, "manifest.csv", lambda ls: [ln.replace("file.users,bulk", "file.users,delta")
                                           for ln in ls])
    probs = problems_of(mini)
    assert probs[0].file == "users.csv"
    assert probs[0].line == 2 and probs[0].field == "status"
    assert "in a delta file every row is 'active'" in probs[0].message


def test_bulk_file_missing_is_a_problem(mini):
    (mini / "classes.csv").unlink()
    probs = problems_of(mini)
    assert Problem("classes.csv", None, None,
                   "manifest.csv lists this file as bulk but it is missing") in probs


def test_unknown_class_in_enrollments_names_file_line_field(mini, edit):
    edit(mini, "enrollments.csv",
         lambda ls: ls + [f"e-s-9,,{DLM},c-999,sch-1,s-1,student,false,,"])
    probs = problems_of(mini)
    assert probs == [Problem("enrollments.csv", 8, "classSourcedId", "unknown class 'c-999'")]


def test_every_problem_is_collected_in_one_pass(mini, edit):
    edit(mini, "orgs.csv", lambda ls: ls[:2] + [ls[2].replace(",district,", ",county,")]
         + ls[3:])
    edit(mini, "classes.csv", lambda ls: ls + [ls[1].replace("c-1,", "c-1b,")
                                               .replace("as-2026,Math", "as-9999,Math")])
    edit(mini, "users.csv", lambda ls: ls[:3] + [ls[3].replace(",true,s1,", ",yes,s1,")]
         + ls[4:])
    edit(mini, "roles.csv", lambda ls: ls[:3] + [ls[3].replace(",student,", ",pupil,")]
         + ls[4:])
    edit(mini, "enrollments.csv", lambda ls: ls[:1] + [ls[1].replace("2025-08-11", "2025-8-11")]
         + ls[2:])
    edit(mini, "demographics.csv", lambda ls: ls + [ls[1]])
    probs = problems_of(mini)
    where = {(p.file, p.line, p.field) for p in probs}
    assert where == {
        ("orgs.csv", 3, "type"),
        ("classes.csv", 4, "termSourcedIds"),
        ("users.csv", 4, "enabledUser"),
        ("roles.csv", 4, "role"),
        ("enrollments.csv", 2, "beginDate"),
        ("demographics.csv", 6, "sourcedId"),
    }
    msgs = {p.field: p.message for p in probs}
    assert msgs["type"].startswith("'county' is not one of department, school")
    assert msgs["termSourcedIds"] == "unknown academic session 'as-9999'"
    assert msgs["enabledUser"] == "'yes' is not a boolean (true or false)"
    assert msgs["beginDate"] == "'2025-8-11' is not a date (YYYY-MM-DD)"
    assert msgs["sourcedId"] == "duplicate sourcedId 's-1' (first on line 2)"


def test_header_problems_missing_columns_and_unknown_ones_kept(mini, edit, tmp_path):
    edit(mini, "orgs.csv", lambda ls: [ls[0].replace(",name,", ",title,")] + ls[1:])
    probs = problems_of(mini)
    assert probs == [Problem("orgs.csv", 1, "name", "missing required column 'name'")]
    good = write_mini(tmp_path / "good")
    edit(good, "courses.csv", lambda ls: [ls[0].replace("subjectCodes", "subjectCode")] + ls[1:])
    roster = read_roster(good)
    assert any("courses.csv: column(s) OneRoster does not define kept as extensions: "
               "subjectCode" in n for n in roster.notes)


def test_short_and_long_rows_and_empty_required_values(mini, edit):
    edit(mini, "users.csv", lambda ls: ls[:2] + [",".join(ls[2].split(",")[:10])] + ls[3:])
    edit(mini, "roles.csv", lambda ls: ls[:4] + [ls[4] + ",extra"] + ls[5:])
    edit(mini, "orgs.csv", lambda ls: ls[:4] + [ls[4].replace("Blue Mesa Middle", "")])
    probs = problems_of(mini)
    assert Problem("users.csv", 3, "email",
                   "row has 10 fields, the header has 23: 'email' and later fields are "
                   "missing") in probs
    assert Problem("roles.csv", 5, "column 11",
                   "row has 11 fields, the header has 10: extra value(s) 'extra'") in probs
    assert Problem("orgs.csv", 5, "name", "required value is empty") in probs
    # the short users row still counts as a user: no cascade of "unknown user" problems
    assert not [p for p in probs if "unknown user" in p.message]


def test_non_utf8_bytes_are_located(mini):
    path = mini / "users.csv"
    path.write_bytes(path.read_bytes().replace(b"Bo,Bell", b"Bo,B\xe9ll"))
    probs = problems_of(mini)
    assert probs == [Problem("users.csv", 5, "familyName",
                             "not valid UTF-8 (byte 0xe9); save the file as UTF-8")]


def test_bom_and_crlf_are_fine(mini):
    path = mini / "orgs.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert len(read_roster(mini).rows["orgs"]) == 4


def test_tobedeleted_rows_are_not_in_the_roster(mini, edit, tmp_path):
    edit(mini, "users.csv", lambda ls: ls[:6] + [ls[6].replace("s-4,,", "s-4,tobedeleted,")])
    with Store.open(tmp_path / "s.db") as store:
        report = import_roster(store, mini)
        assert any("tobedeleted" in n for n in report.notes)
        assert "s-4" not in set(store.students()["student_id"])
        assert store.counts()["users"] == 6


def test_missing_folder_is_not_found(tmp_path):
    with pytest.raises(NotFound):
        read_roster(tmp_path / "nope")


def test_not_a_zip_is_a_problem(tmp_path):
    bad = tmp_path / "roster.zip"
    bad.write_bytes(b"hello")
    with pytest.raises(InvalidRoster) as info:
        read_roster(bad)
    assert info.value.problems[0].file == "roster.zip"


def test_absent_file_references_resolve_against_the_store(mini, tmp_path, edit):
    """A second export that leaves orgs.csv out may still point at stored orgs."""
    with Store.open(tmp_path / "s.db") as store:
        import_roster(store, mini)
        edit(mini, "manifest.csv", lambda ls: [ln.replace("file.orgs,bulk", "file.orgs,absent")
                                               for ln in ls])
        (mini / "orgs.csv").unlink()
        report = import_roster(store, mini)
        assert "orgs.csv" not in report.rows
        assert store.counts()["orgs"] == 4


@pytest.mark.parametrize("bad", [
    lambda ls: ls + [f"e-x,,{DLM},c-999,sch-1,s-1,student,false,,"],
    lambda ls: ls[:3] + [ls[3].replace("student", "learner")] + ls[4:],
])
def test_rejected_roster_changes_nothing(mini, tmp_path, edit, db_url, bad):
    good = write_mini(tmp_path / "good")
    with Store.open(db_url) as store:
        import_roster(store, good)
        before = store.counts()
        edit(mini, "users.csv", lambda ls: ls + [ls[-1].replace("s-4,", "s-5,")])
        edit(mini, "enrollments.csv", bad)
        with pytest.raises(InvalidRoster):
            import_roster(store, mini)
        assert store.counts() == before


def test_roster_round_trip_on_each_backend(mini, db_url):
    with Store.open(db_url) as store:
        import_roster(store, mini)
        import_roster(store, mini)
        assert roster_counts(store)["users"] == 6
        s = store.students()
        assert s["grade"].tolist() == [4, 4, 0, 0]
        assert s["birth_date"].iloc[0] == pd.Timestamp("2015-09-02")
        assert store.classes().set_index("class_id").loc["c-2", "teacher_ids"] == ["t-2"]


def test_simulated_district_imports(tmp_path):
    from sounding.testing import write_tiny_district

    folder = write_tiny_district(tmp_path / "d")
    with Store.open(tmp_path / "s.db") as store:
        report = import_roster(store, folder / "oneroster")
        n_students = len(store.students())
        truth = pd.read_csv(folder / "truth" / "students.csv", dtype=str)
        assert n_students == len(truth)
        s = store.students().set_index("student_id")
        t = truth.set_index("student_id")
        assert (s.loc[t.index, "school_id"] == t["school_id"]).all()
        assert (s.loc[t.index, "grade"].astype(int) == t["grade"].astype(int)).all()
        assert report.notes[-1] == "OneRoster 1.2"
