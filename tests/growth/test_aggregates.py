"""Accountability tables on a hand-made district; provider CSVs; growth-achievement quadrants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from sounding.errors import InvalidData, InvalidInput
from sounding.growth.aggregates import (
    ALL_STUDENTS,
    NO_PROVIDER,
    TOTAL,
    accountability_table,
    accountability_tables,
    read_provider_assignments,
)
from sounding.growth.quadrant import (
    HIGH_HIGH,
    HIGH_LOW,
    LOW_HIGH,
    LOW_LOW,
    SUPPRESSED_LABEL,
    growth_achievement_quadrants,
    quadrant_figure,
)
from sounding.growth.suppression import SUPPRESSED


def district() -> pd.DataFrame:
    """School A: 14 students (3 English learners), school B: 12 (none), one student without SGP.

    A's SGPs 10, 20, ..., 140 clipped to 99 are not used; they are listed explicitly so the
    medians can be checked by hand.
    """
    a_sgp = [5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 40, 50, 60, 70]
    b_sgp = [30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52]
    rows = []
    for i, s in enumerate(a_sgp):
        rows.append({
            "student_id": f"A{i}", "school_id": "A", "district_id": "D1", "sgp": s,
            "proficient": i % 2 == 0,                      # 7 of 14
            "catch_up": (i < 6) if i % 2 == 1 else pd.NA,  # needing: 7 odd i; 3 of them < 6
            "keep_up": (i < 8) if i % 2 == 0 else pd.NA,   # 4 of 7 even i are < 8
            "english_learner": i < 3,
            "grade_span_growth": i,
        })
    for i, s in enumerate(b_sgp):
        rows.append({
            "student_id": f"B{i}", "school_id": "B", "district_id": "D1", "sgp": s,
            "proficient": i < 3, "catch_up": pd.NA if i < 3 else i < 6, "keep_up": pd.NA,
            "english_learner": False, "grade_span_growth": 2,
        })
    rows.append({"student_id": "A99", "school_id": "A", "district_id": "D1", "sgp": np.nan,
                 "proficient": True, "catch_up": pd.NA, "keep_up": True,
                 "english_learner": True, "grade_span_growth": 9})
    return pd.DataFrame(rows)


def cell(table: pd.DataFrame, school: str, subgroup: str) -> pd.Series:
    row = table[(table.school_id == school) & (table.subgroup == subgroup)]
    assert len(row) == 1, (school, subgroup)
    return row.iloc[0]


def test_full_table_medians_and_shares_by_hand():
    full = accountability_table(district(), subgroups=["english_learner"], public=False)
    a = cell(full, "A", ALL_STUDENTS)
    assert a["n"] == 14  # the student without an SGP is not in the growth population
    assert a["median_sgp"] == pytest.approx(np.median([5, 15, 25, 35, 45, 55, 65, 75, 85, 95,
                                                       40, 50, 60, 70]))  # 52.5
    assert a["median_sgp"] == 52.5
    assert a["proficient_share"] == pytest.approx(7 / 14)
    assert a["catch_up_share"] == pytest.approx(3 / 7)  # of those who need to catch up
    assert a["keep_up_share"] == pytest.approx(4 / 7)
    assert a["mean_grade_span_growth"] == pytest.approx(np.mean(range(14)))
    el = cell(full, "A", "English learner")
    assert el["n"] == 3 and el["median_sgp"] == 15
    b = cell(full, "B", ALL_STUDENTS)
    assert b["n"] == 12 and b["median_sgp"] == 41
    assert b["catch_up_share"] == pytest.approx(3 / 9)
    assert pd.isna(b["keep_up_share"])
    # district and overall totals sum over schools
    d = full[(full.school_id == TOTAL) & (full.district_id == "D1")
             & (full.subgroup == ALL_STUDENTS)].iloc[0]
    assert d["n"] == 26
    assert d["median_sgp"] == np.median([5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 40, 50, 60, 70,
                                         30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52])
    top = full[(full.district_id == TOTAL) & (full.subgroup == ALL_STUDENTS)]
    assert top["n"].tolist() == [26]
    # subgroups partition "All students" in every group
    for school in ("A", "B", TOTAL):
        rows = full[(full.school_id == school) & (full.district_id == "D1")]
        sub = rows[rows.subgroup_type == "english_learner"]["n"].sum()
        assert sub == rows[rows.subgroup == ALL_STUDENTS]["n"].iloc[0]


def test_public_table_suppresses_small_groups_and_their_complements():
    pub = accountability_table(district(), subgroups=["english_learner"], min_n=10)
    el = cell(pub, "A", "English learner")
    assert el["n"] == SUPPRESSED and el["median_sgp"] == SUPPRESSED
    assert el["suppression"] == "primary"
    # A's non-EL row (11) would reveal A's EL count from A's 14: complementary.
    assert cell(pub, "A", "Not English learner")["suppression"] == "complementary"
    # A's EL students are the district's EL students: the district EL row (3) is primary too,
    # and its complement within the district (non-EL) must go as well.
    d_rows = pub[(pub.school_id == TOTAL) & (pub.district_id == "D1")].set_index("subgroup")
    assert d_rows.loc["English learner", "suppression"] == "primary"
    assert d_rows.loc["Not English learner", "suppression"] != ""
    assert cell(pub, "A", ALL_STUDENTS)["n"] == 14
    assert cell(pub, "B", ALL_STUDENTS)["median_sgp"] == 41
    assert len(pub.attrs["partitions"]) == 3


def test_by_district_and_default_subgroups():
    df = district()
    df["race_ethnicity"] = ["hispanic"] * 20 + ["white"] * 7
    df["econ_disadvantaged"] = [True, False] * 13 + [True]
    pub = accountability_table(df, by="district", min_n=1)
    labels = set(pub["subgroup"])
    assert {"Hispanic or Latino", "White", "Economically disadvantaged",
            "English learner"} <= labels
    assert (pub["suppression"] == "").all()
    assert set(pub["district_id"]) == {"D1", TOTAL}


def test_by_provider_with_assignment_table():
    df = district()
    providers = pd.DataFrame({"provider_id": ["P1"], "school_id": ["A"]})
    full = accountability_table(df, by="provider", providers=providers, subgroups=[],
                                public=False)
    n = full.set_index("provider_id")["n"].to_dict()
    assert n == {"P1": 14, NO_PROVIDER: 12, TOTAL: 26}
    shared = pd.DataFrame({"provider_id": ["P1", "P2", "P2"], "school_id": ["A", "A", "B"]})
    full = accountability_table(df, by="provider", providers=shared, subgroups=[],
                                public=False)
    assert full.set_index("provider_id")["n"].to_dict() == {"P1": 14, "P2": 26}  # no total


def test_bad_students_tables_are_rejected():
    df = district()
    with pytest.raises(InvalidInput, match="sgp"):
        accountability_table(df.assign(sgp=df["sgp"].replace(5, 100)))
    with pytest.raises(InvalidInput, match="district_id"):
        accountability_table(df.drop(columns=["district_id"]))
    with pytest.raises(InvalidInput, match="disability"):
        accountability_table(df, subgroups=["disability"])
    with pytest.raises(InvalidInput, match="provider"):
        accountability_table(df, by="provider")


def test_read_provider_assignments(tmp_path):
    good = tmp_path / "providers.csv"
    good.write_text("provider_id,school_id,name\nP1,A,x\nP2, B ,y\n")
    out = read_provider_assignments(good, known_schools=["A", "B"])
    assert out.values.tolist() == [["P1", "A"], ["P2", "B"]]

    bad = tmp_path / "bad.csv"
    bad.write_text("provider_id,school_id\nP1,A\n,B\nP1,\nP1,A\nP2,Z\n")
    with pytest.raises(InvalidData) as err:
        read_provider_assignments(bad, known_schools=["A", "B"])
    found = [(p.line, p.field) for p in err.value.problems]
    assert found == [(3, "provider_id"), (4, "school_id"), (5, "school_id"), (6, "school_id")]
    assert all(p.file == str(bad) for p in err.value.problems)
    assert "repeats line 2" in err.value.problems[2].message
    assert "unknown school" in err.value.problems[3].message

    nocol = tmp_path / "nocol.csv"
    nocol.write_text("provider,school_id\nP1,A\n")
    with pytest.raises(InvalidData) as err:
        read_provider_assignments(nocol)
    assert (err.value.problems[0].line, err.value.problems[0].field) == (1, "provider_id")
    with pytest.raises(InvalidData, match="not found"):
        read_provider_assignments(tmp_path / "missing.csv")


def test_quadrants_and_figure():
    df = district()
    extra = pd.DataFrame({"student_id": [f"C{i}" for i in range(5)], "school_id": "C",
                          "district_id": "D1", "sgp": 90, "proficient": True})
    df = pd.concat([df, extra], ignore_index=True)
    q = growth_achievement_quadrants(df, achievement_split=0.4, coding=None)  # internal
    by = q.set_index("school_id")
    assert by.loc["A", "quadrant"] == HIGH_HIGH  # median 52.5, 50 % proficient
    assert by.loc["B", "quadrant"] == LOW_LOW    # median 41, 25 %
    assert by.loc["C", "quadrant"] == SUPPRESSED_LABEL and pd.isna(by.loc["C", "median_sgp"])
    q2 = growth_achievement_quadrants(df, growth_split=60, achievement_split=0.2, coding=None)
    assert q2.set_index("school_id").loc["A", "quadrant"] == LOW_HIGH
    # published: the coded share ("≤50%" of 14 students: 0..7 proficient) plotted at the
    # middle of its band, placed by it, and a size class instead of the exact count
    pub = growth_achievement_quadrants(df, achievement_split=0.4).set_index("school_id")
    assert pub.loc["A", "proficient_label"] == "≤50%"
    assert pub.loc["A", "proficient_share"] == pytest.approx(3.5 / 14)
    assert pub.loc["A", "quadrant"] == HIGH_LOW and pub.loc["A", "size_class"] == "10-49"
    pub_fig = quadrant_figure(pub.reset_index())
    assert all("students: %{customdata[1]}" in t.hovertemplate for t in pub_fig.data)
    assert {str(c[1]) for t in pub_fig.data for c in t.customdata} <= {"10-49"}
    # with the released table, the chart shows exactly what the table shows
    released = accountability_tables(df, subgroups=["english_learner"])["school"]
    rel = growth_achievement_quadrants(df, released=released).set_index("school_id")
    a_label = released[(released.school_id == "A")
                       & (released.subgroup == "All students")]["proficient_share"].iloc[0]
    assert rel.loc["A", "proficient_label"] == (None if a_label == "*" else a_label)
    # default achievement split: share proficient of all students with an SGP (12/31)
    assert growth_achievement_quadrants(df).attrs["achievement_split"] == pytest.approx(
        (7 + 3 + 5) / 31)
    fig = quadrant_figure(q)
    assert isinstance(fig, go.Figure)
    xs = sorted(x for trace in fig.data for x in trace.x)
    assert xs == [41, 52.5]  # the small school is not drawn
    assert "1 with too few students" in fig.layout.title.text


# ------------------------------------------------------------------ subjects, labels, shares


def two_subjects() -> pd.DataFrame:
    """district() with a reading row for every student: reading SGPs are 100 - math's."""
    math = district().assign(subject="math")
    reading = math.assign(subject="reading", sgp=100 - math["sgp"].fillna(50),
                          proficient=~math["proficient"].astype(bool))
    return pd.concat([math, reading], ignore_index=True)


def test_two_subjects_do_not_multiply_rows():
    full = accountability_table(two_subjects(), subgroups=["english_learner"], public=False)
    assert set(full["subject"]) == {"math", "reading"}
    a = full[(full.school_id == "A") & (full.subgroup == ALL_STUDENTS)].set_index("subject")
    assert a.loc["math", "n"] == 14 and a.loc["reading", "n"] == 15  # A99 has a reading SGP
    assert a.loc["math", "median_sgp"] == 52.5
    assert a.loc["reading", "median_sgp"] == np.median(
        [100 - v for v in [5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 40, 50, 60, 70]] + [50])
    top = full[(full.district_id == TOTAL) & (full.subgroup == ALL_STUDENTS)]
    assert top.set_index("subject")["n"].to_dict() == {"math": 26, "reading": 27}
    dup = pd.concat([district(), district().iloc[[0]]], ignore_index=True)
    with pytest.raises(InvalidInput, match="one row per student and subject"):
        accountability_table(dup)


def test_accountability_students_merge_on_subject():
    from sounding.growth.students import accountability_students

    scores = pd.DataFrame({
        "student_id": ["s1", "s1", "s2", "s2", "s1", "s1", "s2", "s2"],
        "year": [2024, 2025] * 4, "grade": [4, 5] * 4,
        "subject": ["math"] * 4 + ["reading"] * 4,
        "scale_score": [400.0, 420, 380, 390, 500, 510, 480, 470],
        "achievement_level": ["2", "3", "1", "2", "3", "3", "2", "2"]})
    sgp = pd.DataFrame({"student_id": ["s1", "s2", "s1", "s2"], "year": 2025,
                        "subject": ["math", "math", "reading", "reading"],
                        "sgp": [60, 40, 55, 20]})
    roster = pd.DataFrame({"student_id": ["s1", "s2"], "school_id": "A", "district_id": "D"})
    gs = pd.DataFrame({"student_id": ["s1", "s2"], "secured_below": [3, 0],
                       "secured_on": [1, 2], "secured_above": [0, 1],
                       "secured_total": [4, 3]})
    rows = accountability_students(sgp, scores, roster, grade_span=gs)
    assert len(rows) == 4  # two students x two subjects, not four rows per student
    got = rows.set_index(["student_id", "subject"])
    assert got.loc[("s1", "reading"), "sgp"] == 55 and got.loc[("s2", "math"), "sgp"] == 40
    assert bool(got.loc[("s1", "math"), "proficient"]) and not got.loc[("s2", "math"),
                                                                        "proficient"]
    # grade-span growth is growth on the math progression: math rows only
    assert got.loc[("s1", "math"), "secured_below"] == 3
    assert pd.isna(got.loc[("s1", "reading"), "grade_span_growth"])


def test_race_codes_of_either_spelling_get_one_label():
    df = district()
    codes = (["american_indian", "aian", "AIAN", "two_or_more", "multi", "Two or more races",
              "pacific_islander", "nhpi", "hispanic", "white"] * 3)[:len(df)]
    df["race_ethnicity"] = codes
    full = accountability_table(df, subgroups=["race_ethnicity"], public=False, min_n=1)
    labels = set(full.loc[full.subgroup_type == "race_ethnicity", "subgroup"])
    assert labels == {"American Indian or Alaska Native", "Two or more races",
                      "Native Hawaiian or Other Pacific Islander", "Hispanic or Latino",
                      "White"}
    d = full[(full.school_id == TOTAL) & (full.district_id == "D1")].set_index("subgroup")
    assert d.loc["American Indian or Alaska Native", "n"] == 9  # 3 spellings x 3
    assert d.loc["Two or more races", "n"] == 9
    assert d.loc["Native Hawaiian or Other Pacific Islander", "n"] == 4  # one has no SGP
    from sounding.growth.aggregates import KNOWN_SUBGROUPS

    spec = KNOWN_SUBGROUPS["race_ethnicity"]
    assert spec.canonical("Black or African American") == spec.canonical("black") == "black"
    assert spec.labels(pd.Series(["martian", None])).tolist() == [
        "martian", "Race/ethnicity not reported"]


def test_shares_are_suppressed_on_their_own_denominators():
    """School B: 12 students, of whom 9 needed to catch up and 0 to keep up (n published)."""
    pub = accountability_table(district(), subgroups=[], min_n=10)
    b = cell(pub, "B", ALL_STUDENTS)
    assert b["n"] == 12 and b["suppression"] == ""
    assert b["catch_up_n"] == SUPPRESSED and b["catch_up_share"] == SUPPRESSED
    assert b["catch_up_suppression"] == "primary"  # 9 < 10, though the cell has 12
    # A: 7 catch-up and 7 keep-up students: both shares primary, n and median published
    a = cell(pub, "A", ALL_STUDENTS)
    assert a["median_sgp"] == 52.5
    assert (a["catch_up_suppression"], a["keep_up_suppression"]) == ("primary", "primary")
    # the district's 7 + 0 keep-up students are too few; its 26 = 16 catch-up + 7 keep-up + 3
    # with neither target, so publishing the 16 would give the 7 away: complementary
    d = pub[(pub.school_id == TOTAL) & (pub.district_id == "D1")].iloc[0]
    assert d["keep_up_suppression"] == "primary" and d["n"] == 26
    assert d["catch_up_suppression"] == "complementary" and d["catch_up_share"] == SUPPRESSED
    # with min_n 5, B's 9 catch-up students are enough, but B's 0 keep-up students are not,
    # and 12 = 9 + 0 + 3 would give the 0 away: B's catch-up share becomes complementary
    pub5 = accountability_table(district(), subgroups=[], min_n=5)
    b5 = cell(pub5, "B", ALL_STUDENTS)
    assert (b5["keep_up_suppression"], b5["catch_up_suppression"]) == ("primary",
                                                                      "complementary")
    assert cell(pub, "B", ALL_STUDENTS)["keep_up_suppression"] == "primary"  # 0 students
    full = accountability_table(district(), subgroups=[], public=False)
    assert cell(full, "B", ALL_STUDENTS)["catch_up_n"] == 9
    assert cell(full, "A", ALL_STUDENTS)["keep_up_n"] == 7


def test_grade_span_split_beside_proficiency():
    df = district()
    df["secured_below"] = df["grade_span_growth"] // 2
    df["secured_on"] = df["grade_span_growth"] - df["secured_below"]
    df["secured_above"] = 0
    full = accountability_table(df, subgroups=[], public=False)
    a = cell(full, "A", ALL_STUDENTS)
    assert a["grade_span_n"] == 14
    assert a["mean_secured_below"] == pytest.approx(np.mean([i // 2 for i in range(14)]))
    assert a["mean_secured_on"] + a["mean_secured_below"] == pytest.approx(
        a["mean_grade_span_growth"])
    assert "proficient_share" in full.columns
    pub = accountability_table(df, subgroups=[], min_n=10)
    assert "grade_span_suppression" in pub.columns
