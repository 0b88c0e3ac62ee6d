"""Grade-span growth: standards newly secured, below / on / above grade."""

from __future__ import annotations

import pandas as pd
import pytest

from sounding.errors import InvalidInput
from sounding.growth.grade_span import grade_span_growth, grade_span_summary, mastery_snapshots
from sounding.progression import load_default
from sounding.testing import tiny_district


@pytest.fixture(scope="module")
def graph():
    return load_default().k8_algebra1()


def test_hand_made_counts(graph):
    before = pd.DataFrame({"student_id": "s1",
                           "standard": ["4.NF.A.1", "5.NF.A.1", "6.NS.A.1", "3.NF.A.1"],
                           "p_mastered": [0.3, 0.2, 0.1, 0.9]})
    after = before.assign(p_mastered=[0.9, 0.85, 0.95, 0.4])
    g = grade_span_growth(before, after, {"s1": 5}, graph)
    row = g.iloc[0]
    assert (row.secured_below, row.secured_on, row.secured_above) == (1, 1, 1)
    assert row.secured_total == 3 and row.lost_total == 1
    assert (row.secure_before, row.secure_after) == (1, 3)


def test_student_without_baseline_claims_no_growth(graph):
    after = pd.DataFrame({"student_id": ["s1", "s2"], "standard": "4.NF.A.1",
                          "p_mastered": [0.9, 0.9]})
    before = after[after.student_id == "s1"].assign(p_mastered=0.1)
    g = grade_span_growth(before, after, {"s1": 5, "s2": 5}, graph)
    assert list(g.student_id) == ["s1"]


def test_summary_has_proficiency_beside_growth(graph):
    growth = pd.DataFrame({"student_id": ["a", "b"], "grade": [6, 6], "secured_below": [4, 0],
                           "secured_on": [1, 3], "secured_above": [0, 0],
                           "secured_total": [5, 3], "lost_total": [0, 0],
                           "secure_before": [10, 10], "secure_after": [15, 13]})
    students = pd.DataFrame({"student_id": ["a", "b"], "school_id": ["x", "x"]})
    s = grade_span_summary(growth, students, proficient=pd.Series({"a": False, "b": True}))
    assert s.loc[0, "secured_below"] == 2 and s.loc[0, "proficient_share"] == 0.5
    with pytest.raises(InvalidInput, match="school_id"):
        grade_span_summary(growth, students.drop(columns="school_id"))


def test_a_school_year_secures_standards_on_simulated_students(graph):
    d = tiny_district()
    r = d.responses
    grades = dict(zip(d.truth_students.student_id, d.truth_students.grade, strict=True))
    before, after = mastery_snapshots(r, grades, graph, "2026-01-01")
    g = grade_span_growth(before, after, grades, graph)
    assert len(g) > 0.8 * len(grades)
    # the books balance per student, and the year's evidence secures more than it unsettles
    assert (g.secure_after - g.secure_before == g.secured_total - g.lost_total).all()
    assert g["secured_total"].sum() > g["lost_total"].sum()
