"""Algebra I readiness from the foundations Algebra I rests on, and the access view."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sounding.planning import algebra1_foundations, algebra_readiness


def test_foundations_are_weighted_by_algebra1_dependents(graph):
    fd = algebra1_foundations(graph)
    assert (fd["grade"] < 9).all() and fd["weight"].is_monotonic_decreasing
    alg = set(graph.algebra1_codes)
    for code, w in zip(fd["standard"], fd["weight"], strict=True):
        assert w == sum(code in graph.below_grade_foundations(a) for a in alg)
        assert any(code in graph.prerequisites(a) for a in alg)  # immediate
    full = algebra1_foundations(graph, "all")
    assert set(fd["standard"]) < set(full["standard"])


def _grade8(graph, n, p_found, placed=None, **cols):
    fd = set(algebra1_foundations(graph)["standard"])
    ids = [f"s{i}" for i in range(n)]
    rows = []
    for i, s in enumerate(ids):
        for c in graph.standard_codes:
            if graph[c].grade_num <= 8:
                rows.append((s, c, p_found[i] if c in fd else 0.95, 2))
    m = pd.DataFrame(rows, columns=["student_id", "standard", "p_mastered", "n_evidence"])
    placed = placed if placed is not None else [False] * n
    stu = pd.DataFrame({"student_id": ids, "grade": 8, "school_id": "a", "district_id": "d",
                        "class_id": ["alg" if p else "m8" for p in placed], **cols})
    cl = pd.DataFrame({"class_id": ["alg", "m8"], "school_id": "a", "grade": 8,
                       "title": ["Algebra I", "Math 8"], "teacher_ids": "t"})
    return m, stu, cl


def test_labels_and_reasons(graph):
    m, stu, cl = _grade8(graph, 3, [0.95, 0.7, 0.2])
    res = algebra_readiness(m, stu, cl)
    s = res.students.set_index("student_id")
    assert list(s["label"]) == ["ready", "nearly ready", "not yet"]
    assert s.loc["s0", "mastery_index"] == pytest.approx(0.95)
    assert s.loc["s2", "missing"][0] == algebra1_foundations(graph)["standard"].iloc[0]
    assert "missing 33 of 33" in s.loc["s2", "reason"]
    assert "no missing foundation" in s.loc["s0", "reason"]


def test_scale_scores_enter_with_a_quarter_weight(graph):
    m, stu, cl = _grade8(graph, 2, [0.75, 0.75])
    scores = pd.DataFrame({"student_id": ["s0", "s0", "s1"], "year": [2024, 2025, 2025],
                           "grade": [7, 8, 8], "subject": "math",
                           "scale_score": [500, 560, 420], "achievement_level": ["2", "4", "1"]})
    s = algebra_readiness(m, stu, cl, scores=scores).students.set_index("student_id")
    assert s.loc["s0", "score_component"] == 1.0  # the latest year, level 4
    assert s.loc["s0", "readiness"] == pytest.approx(0.75 * 0.75 + 0.25 * 1.0)
    assert s.loc["s1", "readiness"] == pytest.approx(0.75 * 0.75 + 0.25 * 0.2)
    assert list(s["label"]) == ["ready", "nearly ready"]


def test_access_view_counts_rates_and_gap(graph):
    # 6 ready students: 4 EL (1 placed), 2 non-EL (both placed); 2 not ready
    p = [0.95] * 6 + [0.2] * 2
    placed = [True, False, False, False, True, True, False, False]
    el = [True, True, True, True, False, False, True, False]
    m, stu, cl = _grade8(graph, 8, p, placed=placed, english_learner=el)
    res = algebra_readiness(m, stu, cl)
    acc = res.access
    row = acc[(acc["school_id"] == "all") & (acc["dimension"] == "english_learner")
              & (acc["group"] == True)].iloc[0]  # noqa: E712
    assert (row["n_students"], row["n_ready"], row["n_ready_placed"],
            row["n_ready_not_placed"]) == (5, 4, 1, 3)
    assert row["placed_rate_of_ready"] == pytest.approx(0.25)
    assert row["share_of_ready"] == pytest.approx(4 / 6)
    assert row["share_of_ready_not_placed"] == pytest.approx(1.0)
    assert row["gap"] == pytest.approx(1 - 4 / 6)
    total = acc[(acc["school_id"] == "a") & (acc["dimension"] == "all")].iloc[0]
    assert total["n_ready"] == 6 and np.isclose(total["gap"], 0)
    d = res.to_dict()
    assert d["summary"]["ready"] == 6 and d["summary"]["not yet"] == 2


def test_other_grades_and_unassessed(graph):
    m, stu, cl = _grade8(graph, 2, [0.9, 0.9])
    stu.loc[1, "grade"] = 7
    m.loc[m["student_id"] == "s0", "n_evidence"] = 0
    res = algebra_readiness(m, stu, cl)
    assert list(res.students["student_id"]) == ["s0"]
    assert res.students["label"].iloc[0] == "unassessed"
    assert res.access["n_students"].max() == 0
