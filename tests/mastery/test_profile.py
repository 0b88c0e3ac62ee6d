"""The iceberg profile: secure levels per strand, ranked unfinished standards, group views."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sounding.errors import InvalidInput
from sounding.mastery.graph_model import PosteriorMatrix
from sounding.mastery.profile import (
    BELOW_BUCKETS,
    compute_icebergs,
    group_distribution,
    iceberg_profiles,
)
from sounding.progression import StandardsGraph, load_default


@pytest.fixture(scope="module")
def graph() -> StandardsGraph:
    return load_default().k8_algebra1()


def _posterior(graph: StandardsGraph, grade: int, overrides: dict[str, float],
               student: str = "stu") -> pd.DataFrame:
    """Secure (0.95) below ``grade``, unsure (0.3) from ``grade`` on, with overrides."""
    codes = list(graph.standard_codes)
    p = [overrides.get(c, 0.95 if graph[c].grade_num < grade else 0.3) for c in codes]
    return pd.DataFrame({"user_id": student, "standard": codes, "p_mastered": p})


GAPS = {"4.NF.B.3": 0.2, "3.OA.A.1": 0.3, "2.NBT.A.1": 0.4}


def test_hand_made_student_secure_levels(graph):
    post = _posterior(graph, 5, GAPS)
    t = compute_icebergs(post, pd.DataFrame({"student_id": ["stu"], "grade": ["5"]}), graph,
                         tolerance=0.0)
    prof = t.profile("stu")
    assert prof.grade == 5
    assert prof.strand("fractions").secure_through == 3
    assert prof.strand("fractions").label == "grade 3"
    assert prof.strand("fractions").grades_below == 1
    assert prof.strand("algebraic").secure_through == 2
    assert prof.strand("algebraic").grades_below == 2
    assert prof.strand("number").secure_through == 1
    assert prof.strand("number").grades_below == 3
    for s in ("geometry", "data"):  # everything below grade 5 secure, grade 5 itself not
        assert prof.strand(s).secure_through == 4 and prof.strand(s).grades_below == 0
    fn = prof.strand("functions")  # no functions standards at or below grade 5
    assert fn.secure_through is None and fn.label == "n/a" and fn.grades_below == 0
    # the probability behind "secure through grade 3 in fractions": all of them mastered
    n_frac = sum(1 for c in graph.standard_codes
                 if graph[c].strand == "fractions" and graph[c].grade_num <= 3)
    assert prof.strand("fractions").n_standards == n_frac
    assert prof.strand("fractions").p_secure == pytest.approx(0.95**n_frac)


def test_a_strand_that_ends_before_the_current_grade_counts_as_on_grade(graph):
    """Number (CC, NBT) stops at grade 5: a grade-8 student secure through 5 is not behind."""
    post = _posterior(graph, 8, {})
    t = compute_icebergs(post, pd.DataFrame({"student_id": ["stu"], "grade": ["8"]}), graph,
                         tolerance=0.0)
    number = t.profile("stu").strand("number")
    assert number.secure_through == 5 and number.grades_below == 0
    post = _posterior(graph, 8, {"4.NBT.B.5": 0.1})  # a real grade-4 gap is still 2 below 5
    t = compute_icebergs(post, pd.DataFrame({"student_id": ["stu"], "grade": ["8"]}), graph,
                         tolerance=0.0)
    number = t.profile("stu").strand("number")
    assert number.secure_through == 3 and number.grades_below == 2


def test_hand_made_student_unfinished_order_and_depth(graph):
    post = _posterior(graph, 5, GAPS)
    t = compute_icebergs(post, pd.DataFrame({"student_id": ["stu"], "grade": [5]}), graph)
    prof = t.profile("stu")
    got = [u.standard for u in prof.unfinished]
    assert set(got) == set(GAPS)

    def weight(c: str) -> tuple[int, bool]:
        deps = [s for s in graph.successors(c, transitive=True) if graph[s].grade_num >= 5]
        return (len(deps), graph[c].is_major)

    expected = sorted(GAPS, key=lambda c: (-weight(c)[0], not weight(c)[1], GAPS[c]))
    assert got == expected
    assert [u.rank for u in prof.unfinished] == [1, 2, 3]
    for u in prof.unfinished:
        assert u.n_dependents == weight(u.standard)[0]
        assert u.p_mastered == pytest.approx(GAPS[u.standard])
    majors = [5 - graph[c].grade_num for c in GAPS if graph[c].is_major]
    assert prof.depth == max(majors)
    json.dumps(prof.to_dict())
    assert list(prof.to_frame()["standard"]) == got


def test_tolerance_forgives_one_exception(graph):
    post = _posterior(graph, 5, {"4.NF.B.3": 0.2})
    n4 = sum(1 for c in graph.standard_codes
             if graph[c].strand == "fractions" and graph[c].grade_num <= 4)
    assert np.floor(0.1 * n4) >= 1  # one exception out of n4 is within 10 %
    st = pd.DataFrame({"student_id": ["stu"], "grade": [5]})
    strict = compute_icebergs(post, st, graph, tolerance=0.0).profile("stu")
    lenient = compute_icebergs(post, st, graph, tolerance=0.1).profile("stu")
    assert strict.strand("fractions").secure_through == 3
    assert lenient.strand("fractions").secure_through == 4
    assert lenient.strand("fractions").grades_below == 0
    # still listed as unfinished: tolerance is about the placement, not the list
    assert [u.standard for u in lenient.unfinished] == ["4.NF.B.3"]


def test_nothing_secure_reads_below_the_first_grade(graph):
    post = _posterior(graph, 4, {c: 0.1 for c in graph.standard_codes
                                 if graph[c].strand == "number"})
    prof = compute_icebergs(post, pd.DataFrame({"student_id": ["stu"], "grade": [4]}),
                            graph).profile("stu")
    assert prof.strand("number").secure_through == -1
    assert prof.strand("number").label == "below K"
    assert prof.strand("number").grades_below == 4


def _random_population(graph: StandardsGraph, n: int, seed: int):
    rng = np.random.default_rng(seed)
    codes = list(graph.standard_codes)
    grade = rng.integers(3, 9, n)
    ability = rng.normal(0, 1.2, n)
    sg = np.array([graph[c].grade_num for c in codes])
    logit = 2.0 + ability[:, None] + 0.3 * (grade[:, None] - sg[None, :]) \
        + rng.normal(0, 1.0, (n, len(codes)))
    P = 1.0 / (1.0 + np.exp(-logit))
    ids = np.array([f"s{i:04d}" for i in range(n)], dtype=object)
    students = pd.DataFrame({"student_id": ids, "grade": grade,
                             "school_id": rng.choice(["a", "b", "c"], n),
                             "english_learner": rng.random(n) < 0.2})
    pm = PosteriorMatrix(ids, tuple(codes), P.astype(np.float32), np.zeros_like(P),
                         np.zeros(P.shape, np.int32), grade)
    return students, pm


def test_matrix_and_frame_inputs_agree(graph):
    students, pm = _random_population(graph, 60, 1)
    a = compute_icebergs(pm, students, graph)
    b = compute_icebergs(pm.to_frame(), students, graph)
    pd.testing.assert_frame_equal(a.strands, b.strands)
    pd.testing.assert_frame_equal(a.unfinished, b.unfinished)
    pd.testing.assert_frame_equal(a.students, b.students)


def test_profiles_frame_shape_and_consistency(graph):
    students, pm = _random_population(graph, 80, 2)
    df = iceberg_profiles(pm, students, graph)
    n_strands = len({graph[c].strand for c in graph.standard_codes})
    assert len(df) == 80 * n_strands
    for col in ("student_id", "grade", "strand", "secure_through", "label", "grades_below",
                "p_secure", "n_unfinished", "depth", "n_unfinished_total", "top_unfinished"):
        assert col in df.columns
    assert df.groupby("student_id")["n_unfinished"].sum().equals(
        df.groupby("student_id")["n_unfinished_total"].first())
    assert (df["grades_below"] >= 0).all()
    assert df["p_secure"].between(0, 1).all()
    t = compute_icebergs(pm, students, graph)
    # unfinished rows are below grade, under the threshold, ranked 1..n per student
    u = t.unfinished.merge(students[["student_id", "grade"]], on="student_id",
                           suffixes=("", "_student"))
    assert (u["grade"] < u["grade_student"]).all() and (u["p_mastered"] < 0.5).all()
    ranks = u.groupby("student_id")["rank"].apply(list)
    assert all(r == list(range(1, len(r) + 1)) for r in ranks)
    nd = u.groupby("student_id")["n_dependents"].apply(lambda s: list(s) == sorted(s)[::-1])
    assert nd.all()


def test_group_distributions_sum(graph):
    students, pm = _random_population(graph, 300, 3)
    t = compute_icebergs(pm, students, graph)
    total = group_distribution(t, students, graph)
    by_school = group_distribution(t, students, graph, by="school_id")
    sizes = students.groupby("school_id").size()
    n_strands = t.strands["strand"].nunique()
    lv = by_school.levels
    per = lv.groupby(["group", "strand"])["n_students"].sum()
    assert len(per) == len(sizes) * n_strands
    for (grp, _), n in per.items():
        assert n == sizes[grp]
    np.testing.assert_allclose(lv.groupby(["group", "strand"])["share"].sum(), 1.0)
    assert set(lv["grades_below"].astype(str)) <= set(BELOW_BUCKETS)
    # the district is the sum of its schools
    a = total.levels.groupby(["strand", "grades_below"], observed=True)["n_students"].sum()
    b = lv.groupby(["strand", "grades_below"], observed=True)["n_students"].sum()
    pd.testing.assert_series_equal(a, b)
    un = by_school.unfinished
    assert (un["n_unfinished"] <= un["n_below_grade"]).all()
    assert un["n_unfinished"].sum() == len(t.unfinished)
    # denominators: students in the group whose grade is above the standard's
    row = un[(un["group"] == "a") & (un["standard"] == "3.OA.A.1")].iloc[0]
    assert row["n_below_grade"] == ((students["school_id"] == "a") & (students["grade"] > 3)).sum()
    assert row["share"] == pytest.approx(row["n_unfinished"] / row["n_below_grade"])
    json.dumps(by_school.to_dict())
    flags = group_distribution(t, students, graph, by="english_learner")
    assert flags.sizes["n_students"].sum() == 300


def test_bad_inputs(graph):
    students, pm = _random_population(graph, 5, 4)
    with pytest.raises(InvalidInput):
        compute_icebergs(pm, students.drop(columns="grade"), graph)
    with pytest.raises(InvalidInput):
        compute_icebergs(pm, students, graph, tolerance=1.5)
    t = compute_icebergs(pm, students, graph)
    with pytest.raises(InvalidInput):
        group_distribution(t, students, graph, by="nope")
