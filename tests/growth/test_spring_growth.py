"""Grade-span growth from one spring to the next, judged against the simulator's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sounding.errors import InvalidData
from sounding.growth.grade_span import (
    SPAN_COLUMNS,
    read_spring_windows,
    span_beside_scores,
    span_of,
    spring_window_growth,
)
from sounding.progression import load_default
from sounding.simulate import DistrictSpec, simulate_district


@pytest.fixture(scope="module")
def graph():
    return load_default().k8_algebra1()


@pytest.fixture(scope="module")
def measured(graph):
    d = simulate_district(DistrictSpec(n_students=1800, seed=19))
    grades = dict(zip(d.truth_students["student_id"], d.truth_students["grade"], strict=True))
    out, info = spring_window_growth(d.spring_windows, grades, graph)
    return d, out, info


def test_measured_growth_tracks_true_growth(measured) -> None:
    d, out, info = measured
    assert info["available"] and (info["from_year"], info["to_year"]) == (2025, 2026)
    assert list(out.columns) == list(SPAN_COLUMNS)
    assert len(out) == len(d.truth_students)
    m = out.merge(d.truth_span, on=["student_id", "grade"]).merge(
        d.truth_students[["student_id", "school_id"]], on="student_id")
    assert (m["n_span_standards_x"] == m["n_span_standards_y"]).all()
    # each student: measured and true growth agree well beyond chance
    assert m["span_growth"].corr(m["true_span_growth"]) > 0.6
    # each school and grade (what accountability publishes): very closely
    by_school = m.groupby(["school_id", "grade"])[["span_growth", "true_span_growth"]].mean()
    assert by_school["span_growth"].corr(by_school["true_span_growth"]) > 0.85
    # and each grade's mean is right to within one standard, without a bias
    by_grade = m.groupby("grade")[["span_growth", "true_span_growth"]].mean()
    assert (by_grade["span_growth"] - by_grade["true_span_growth"]).abs().max() < 1.0
    # the expected counts are on the truth's scale before and after, too
    assert abs(m["span_mastered_after"].mean() - m["mastered_this_spring"].mean()) < 2.0
    assert abs(m["span_mastered_before"].mean() - m["mastered_last_spring"].mean()) < 2.0
    # newly secured standards: a count that needs a confident posterior, so it under-counts,
    # but it still tracks the truth
    assert m["secured_total"].corr(m["true_span_growth"]) > 0.5
    assert (m["secured_total"] == m["secured_below"] + m["secured_on"]
            + m["secured_above"]).all()


def test_growth_sits_beside_the_scale_score_view(measured) -> None:
    d, out, _ = measured
    rows = span_beside_scores(out, d.scores, None, min_n=10)
    assert [r["grade"] for r in rows] == [3, 4, 5, 6, 7, 8]
    for r in rows:
        assert r["span"] == "{}-{}".format(*span_of(r["grade"]))
        assert r["share_mastered_after"] > r["share_mastered_before"]
    # grade 3 has no score the spring before (tested grades start at 3)
    assert "mean_scale_score_change" not in rows[0]
    assert all(r["mean_scale_score_change"] > 0 for r in rows[1:])
    small = span_beside_scores(out.head(15), d.scores, None, min_n=10)
    assert all(r["n"] >= 10 for r in small)


def test_one_spring_only_says_why(graph) -> None:
    w = pd.DataFrame({"student_id": ["a", "a"], "standard": ["6.RP.A.1", "6.EE.A.1"],
                      "correct": [1, 0],
                      "timestamp": pd.to_datetime(["2026-04-21T09:00", "2026-04-21T09:02"])})
    out, info = spring_window_growth(w, {"a": 6}, graph)
    assert out is None and "two springs" in info["message"]


def test_spring_window_file_errors_name_line_and_field(tmp_path) -> None:
    bad = tmp_path / "windows.csv"
    bad.write_text("student_id,item_id,standard,correct,timestamp,source\n"
                   "s1,i1,6.RP.A.1,1,2025-04-21T09:00:00,spring_window\n"
                   "s1,i2,6.RP.A.2,yes,2025-04-21T09:01:00,spring_window\n"
                   "s1,i3,6.RP.A.3,0,next tuesday,spring_window\n"
                   ",i4,6.RP.A.3,0,2025-04-21T09:03:00,spring_window\n")
    with pytest.raises(InvalidData) as exc:
        read_spring_windows(bad)
    text = "\n".join(str(p) for p in exc.value.problems)
    assert "windows.csv, line 3, field correct" in text
    assert "line 4, field timestamp" in text and "line 5, field student_id" in text
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("student_id,standard,correct\ns1,6.RP.A.1,1\n")
    with pytest.raises(InvalidData, match="line 1, field timestamp"):
        read_spring_windows(nocol)
    good = tmp_path / "good.csv"
    good.write_text("student_id,standard,correct,timestamp\ns1,6.RP.A.1,1,2025-04-21T09:00\n")
    frame = read_spring_windows(good)
    assert frame["correct"].dtype == np.int8 and len(frame) == 1
