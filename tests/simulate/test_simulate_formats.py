"""The files a district hands over: exact OneRoster 1.2 headers, ids, references, codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sounding.progression import load_default
from sounding.simulate import DistrictSpec, read_truth, simulate_district, write_district

HEADERS = {
    "orgs.csv": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "academicSessions.csv": "sourcedId,status,dateLastModified,title,type,startDate,endDate,"
    "parentSourcedId,schoolYear",
    "courses.csv": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,"
    "grades,orgSourcedId,subjects,subjectCodes",
    "classes.csv": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
    "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "users.csv": "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,"
    "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,"
    "userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,"
    "preferredFamilyName,primaryOrgSourcedId,pronouns",
    "roles.csv": "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,"
    "endDate,orgSourcedId,userProfileSourcedId",
    "enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
    "userSourcedId,role,primary,beginDate,endDate",
    "demographics.csv": "sourcedId,status,dateLastModified,birthDate,sex,"
    "americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,"
    "nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,"
    "hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,"
    "publicSchoolResidenceStatus,metadata.englishLearner,metadata.disability,"
    "metadata.economicallyDisadvantaged",
    "manifest.csv": "propertyName,value",
}
OTHER_HEADERS = {
    "responses.csv": "student_id,item_id,standard,correct,timestamp,source",
    "scores.csv": "student_id,year,grade,subject,scale_score,achievement_level",
    "providers.csv": "provider_id,school_id",
    "truth/weak_topics.csv": "class_id,standard",
}


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = simulate_district(DistrictSpec(n_students=1500, seed=3))
    path = tmp_path_factory.mktemp("district")
    write_district(d, path)
    return path


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_layout(out: Path) -> None:
    for name in HEADERS:
        assert (out / "oneroster" / name).is_file(), name
    for rel in ("responses.csv", "responses.parquet", "scores.csv", "providers.csv",
                "README.txt", "truth/mastery.parquet", "truth/students.csv",
                "truth/weak_topics.csv"):
        assert (out / rel).is_file(), rel
    text = (out / "README.txt").read_text()
    assert "truth/mastery.parquet" in text and "oneroster/" in text


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_oneroster_headers_exact(out: Path, name: str) -> None:
    first = (out / "oneroster" / name).read_text().splitlines()[0]
    assert first == HEADERS[name]


@pytest.mark.parametrize("rel", sorted(OTHER_HEADERS))
def test_other_headers_exact(out: Path, rel: str) -> None:
    assert (out / rel).read_text().splitlines()[0] == OTHER_HEADERS[rel]


def test_every_row_has_every_field(out: Path) -> None:
    for name in HEADERS:
        with open(out / "oneroster" / name, newline="") as fh:
            rows = list(csv.reader(fh))
        widths = {len(r) for r in rows}
        assert widths == {len(rows[0])}, name


def test_manifest(out: Path) -> None:
    m = dict(_read(out / "oneroster" / "manifest.csv").values.tolist())
    assert m["manifest.version"] == "1.0"
    assert m["oneroster.version"] == "1.2"
    for f in ("orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments",
              "demographics"):
        assert m[f"file.{f}"] == "bulk"
    assert m["file.results"] == "absent"
    assert set(v for k, v in m.items() if k.startswith("file.")) == {"bulk", "absent"}


def test_bulk_conventions(out: Path) -> None:
    for name in HEADERS:
        if name == "manifest.csv":
            continue
        t = _read(out / "oneroster" / name)
        assert (t["status"] == "").all(), name
        assert (t["dateLastModified"] == "").all(), name  # blank in a bulk file (1.2)
    users = _read(out / "oneroster" / "users.csv")
    assert users["grades"].isin(["KG"] + [f"{g:02d}" for g in range(1, 13)]).all()
    assert set(users["enabledUser"]) == {"true"}
    demo = _read(out / "oneroster" / "demographics.csv")
    for col in demo.columns[5:12].tolist() + demo.columns[-3:].tolist():
        assert set(demo[col]) <= {"true", "false"}, col
    assert set(demo["sex"]) <= {"male", "female", "other", "unspecified"}


def test_strict_oneroster_12_validator_passes(out: Path) -> None:
    from tests.roster.oneroster_validator import validate

    assert validate(out / "oneroster") == []
    courses = _read(out / "oneroster" / "courses.csv")
    assert set(zip(courses["subjects"], courses["subjectCodes"], strict=True)) == {
        ("Mathematics", "02")}


def test_org_tree(out: Path) -> None:
    orgs = _read(out / "oneroster" / "orgs.csv")
    by_id = orgs.set_index("sourcedId")
    (state,) = orgs.loc[orgs["type"] == "state", "sourcedId"]
    (district,) = orgs.loc[orgs["type"] == "district", "sourcedId"]
    assert by_id.at[district, "parentSourcedId"] == state
    schools = orgs[orgs["type"] == "school"]
    assert len(schools) >= 2 and (schools["parentSourcedId"] == district).all()
    assert by_id.at[state, "parentSourcedId"] == ""


def test_references_resolve(out: Path) -> None:
    o = {n: _read(out / "oneroster" / n) for n in HEADERS}
    schools = set(o["orgs.csv"].query("type == 'school'")["sourcedId"])
    classes = set(o["classes.csv"]["sourcedId"])
    users = set(o["users.csv"]["sourcedId"])
    courses = set(o["courses.csv"]["sourcedId"])
    sessions = set(o["academicSessions.csv"]["sourcedId"])
    enr = o["enrollments.csv"]
    assert set(enr["classSourcedId"]) <= classes
    assert set(enr["userSourcedId"]) <= users
    assert set(enr["schoolSourcedId"]) <= schools
    assert set(o["classes.csv"]["courseSourcedId"]) <= courses
    assert set(o["classes.csv"]["termSourcedIds"]) <= sessions
    assert set(o["classes.csv"]["schoolSourcedId"]) <= schools
    assert set(o["roles.csv"]["userSourcedId"]) == users
    assert set(o["demographics.csv"]["sourcedId"]) <= users
    # one primary teacher per class; each student in exactly one math class
    teach = enr[enr["role"] == "teacher"]
    assert teach["classSourcedId"].is_unique and set(teach["classSourcedId"]) == classes
    assert (teach["primary"] == "true").all()
    stu = enr[enr["role"] == "student"]
    assert stu["userSourcedId"].is_unique
    # ids are unique
    for n in ("orgs.csv", "classes.csv", "users.csv", "roles.csv", "enrollments.csv"):
        assert o[n]["sourcedId"].is_unique, n


def test_evidence_refers_to_roster_and_progression(out: Path) -> None:
    users = _read(out / "oneroster" / "users.csv")
    students = set(users.loc[users["sourcedId"].str.startswith("stu-"), "sourcedId"])
    g = load_default().k8_algebra1()
    resp = _read(out / "responses.csv")
    assert set(resp["student_id"]) <= students
    assert all(c in g for c in resp["standard"].unique())
    assert set(resp["correct"]) == {"0", "1"}
    assert set(resp["source"]) == {"diagnostic", "classwork", "interim"}
    assert resp["timestamp"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d").all()
    ts = pd.to_datetime(resp["timestamp"])
    assert ts.min() >= pd.Timestamp("2025-08-11") and ts.max() <= pd.Timestamp("2026-06-05")
    assert (ts.dt.day_of_week < 5).all()  # school days only
    assert resp["standard"].map(lambda c: g[c].is_substandard).mean() > 0.03
    scores = _read(out / "scores.csv")
    assert set(scores["student_id"]) <= students
    assert set(scores["subject"]) == {"math"}
    assert set(scores["achievement_level"]) <= {"1", "2", "3", "4"}
    prov = _read(out / "providers.csv")
    orgs = _read(out / "oneroster" / "orgs.csv")
    assert set(prov["school_id"]) <= set(orgs["sourcedId"])


def test_parquet_matches_csv(out: Path) -> None:
    pqt = pq.read_table(out / "responses.parquet").to_pandas()
    csvt = pd.read_csv(out / "responses.csv", dtype={"student_id": str})
    assert list(pqt.columns) == list(csvt.columns)
    assert len(pqt) == len(csvt)
    assert (pqt["student_id"] == csvt["student_id"]).all()
    assert (pqt["correct"].astype(int) == csvt["correct"]).all()
    assert (pqt["timestamp"] == pd.to_datetime(csvt["timestamp"])).all()


def test_truth_files(out: Path) -> None:
    g = load_default().k8_algebra1()
    wide = pq.read_table(out / "truth" / "mastery.parquet").to_pandas()
    assert list(wide.columns) == ["student_id", *g.standard_codes]
    long = read_truth(out)
    assert list(long.columns) == ["student_id", "standard", "mastered"]
    assert len(long) == len(wide) * len(g.standard_codes)
    students = _read(out / "truth" / "students.csv")
    for col in ("student_id", "school_id", "class_id", "grade", "ability", "proficient",
                "english_learner", "disability", "economically_disadvantaged"):
        assert col in students.columns
    assert set(students["student_id"]) == set(wide["student_id"])
    weak = _read(out / "truth" / "weak_topics.csv")
    classes = set(_read(out / "oneroster" / "classes.csv")["sourcedId"])
    assert len(weak) and set(weak["class_id"]) <= classes
    assert all(c in g and not g[c].is_substandard for c in weak["standard"])


def test_scores_cover_three_years(out: Path) -> None:
    scores = pd.read_csv(out / "scores.csv", dtype={"student_id": str})
    students = pd.read_csv(out / "truth" / "students.csv", dtype={"student_id": str})
    assert sorted(scores["year"].unique()) == [2024, 2025, 2026]
    m = scores.merge(students[["student_id", "grade"]], on="student_id",
                     suffixes=("", "_now"))
    assert (m["grade"] == m["grade_now"] - (2026 - m["year"])).all()
    assert (m["grade"] >= 3).all()
    per = scores.groupby("student_id")["year"].nunique()
    g3 = students.loc[students["grade"] == 3, "student_id"]
    assert per.reindex(g3).dropna().max() == 1
    g8 = students.loc[students["grade"] == 8, "student_id"]
    assert per.reindex(g8).dropna().value_counts().idxmax() == 3


def test_data_quality_signals_present(out: Path) -> None:
    students = pd.read_csv(out / "truth" / "students.csv", dtype={"student_id": str})
    resp = pd.read_csv(out / "responses.csv", dtype={"student_id": str})
    no_ev = set(students["student_id"]) - set(resp["student_id"])
    assert 0 < len(no_ev) < 0.05 * len(students)
    assert set(students.loc[~students["has_evidence"], "student_id"]) == no_ev
    stale = students.loc[students["stale_class"], "student_id"]
    assert len(stale)
    last = pd.to_datetime(resp.groupby("student_id")["timestamp"].max())
    assert (last.reindex(stale).dropna() <= pd.Timestamp("2025-10-11")).all()
    fresh = students.loc[~students["stale_class"] & students["has_evidence"], "student_id"]
    assert (last.reindex(fresh) > pd.Timestamp("2026-03-01")).mean() > 0.95


def test_usernames_and_identifiers_unique(out: Path) -> None:
    users = _read(out / "oneroster" / "users.csv")
    assert users["username"].is_unique
    assert users["identifier"].is_unique
    assert users["email"].str.contains("@").all()


def test_response_keys_are_unique_even_for_large_districts():
    """The importers reject a file whose (student, item, timestamp, source) key repeats."""
    from sounding.simulate import DistrictSpec, simulate_district

    r = simulate_district(DistrictSpec(n_students=3000, seed=7)).responses
    assert not r.duplicated(["student_id", "item_id", "timestamp", "source"]).any()
