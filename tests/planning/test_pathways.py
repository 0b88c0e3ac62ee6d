"""Pathways: just-in-time prerequisites of the next unit, then the ready-to-learn fringe."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sounding.planning import default_scope_sequence, pathways
from sounding.planning.pathways import MIN_SURE
from sounding.progression import load_default

GRAPH = load_default().k8_algebra1()
CODES = list(GRAPH.standard_codes)
GRADE = np.array([GRAPH[c].grade_num for c in CODES])
SCOPE = default_scope_sequence()


def _students(n, grades):
    return pd.DataFrame({"student_id": [f"s{i}" for i in range(n)], "grade": grades,
                         "school_id": "a", "district_id": "d"})


def _table(p, drop=None):
    n = p.shape[0]
    m = pd.DataFrame({"student_id": np.repeat([f"s{i}" for i in range(n)], len(CODES)),
                      "standard": np.tile(CODES, n), "p_mastered": p.ravel(),
                      "n_evidence": 2})
    if drop is not None:
        m = m[~drop.ravel()]
    return m


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6),
       style=st.sampled_from(["uniform", "ability", "bimodal"]),
       missing=st.sampled_from([0.0, 0.1, 0.5]), day=st.integers(0, 364),
       n_steps=st.integers(1, 12))
def test_never_recommends_a_standard_with_unsecure_prerequisites(seed, n, style, missing, day,
                                                                 n_steps):
    rng = np.random.default_rng(seed)
    grades = rng.integers(0, 9, n)
    if style == "uniform":
        p = rng.random((n, len(CODES)))
    elif style == "ability":
        ab = rng.normal(0, 1.5, n)
        p = 1 / (1 + np.exp(-(ab[:, None] + 1.2 * (grades[:, None] - GRADE[None, :]))))
    else:
        p = np.where(rng.random((n, len(CODES))) < 0.7, 0.95, 0.1)
    drop = rng.random(p.shape) < missing
    m = _table(p, drop)
    as_of = SCOPE.units(0)[0].start_date + timedelta(days=day)
    table = pathways(m, _students(n, grades), scope=SCOPE, as_of=as_of, n_steps=n_steps)
    pm = {(s, c): v for s, c, v in zip(m["student_id"], m["standard"], m["p_mastered"],
                                       strict=True)}
    assert (table.steps.groupby("student_id").size() <= n_steps).all()
    for row in table.steps.itertuples(index=False):
        # probably not mastered and probably ready: P(not) x prod P(prerequisite) >= 0.7
        p_not = 1 - pm.get((row.student_id, row.standard), 0.5)
        ready = np.prod([pm.get((row.student_id, pre), 0.5)
                         for pre in GRAPH.prerequisites(row.standard)])
        assert p_not * ready >= MIN_SURE - 1e-9, row.standard
        assert row.sure == pytest.approx(p_not * ready, rel=1e-4)
        assert f"how sure: {row.sure:.0%}" in row.reason


def _one(p_by_code, grade):
    p = np.array([[p_by_code(c) for c in CODES]])
    return _table(p), _students(1, [grade])


def test_just_in_time_first_deepest_first():
    unit = SCOPE.unit_of("5.NF.A.1")
    as_of = unit.start_date - timedelta(days=3)
    assert SCOPE.next_unit(5, as_of).unit_id == unit.unit_id
    gaps = {"4.NF.A.1", "4.NF.B.3", "3.NF.A.1"}
    m, stu = _one(lambda c: 0.1 if c in gaps else (0.98 if GRAPH[c].grade_num < 5 else 0.3), 5)
    t = pathways(m, stu, scope=SCOPE, as_of=as_of, n_steps=8)
    path = t.pathway("s0")
    assert path.unit.unit_id == unit.unit_id
    jit = [s.standard for s in path.steps if s.kind == "just_in_time"]
    # 4.NF.B.3 rests on 3.NF.A.1 and 4.NF.A.1, so it waits in `later`
    assert {"3.NF.A.1", "4.NF.A.1"} <= set(GRAPH.prerequisites("4.NF.B.3"))
    assert sorted(jit) == ["3.NF.A.1", "4.NF.A.1"]
    sures = [s.sure for s in path.steps if s.kind == "just_in_time"]
    assert sures == sorted(sures, reverse=True) and min(sures) >= MIN_SURE
    assert path.later == ("4.NF.B.3",)
    assert all(s.kind == "ready" for s in path.steps[len(jit):])
    assert "needed for the next unit" in path.steps[0].reason


def test_ready_fringe_major_work_first():
    m, stu = _one(lambda c: 0.98 if GRAPH[c].grade_num < 6 else 0.1, 6)
    first = SCOPE.units(6)[0]
    assert all(GRAPH[p].grade_num < 6 for c in first.standards
               for p in GRAPH.prerequisites(c, transitive=True))
    t = pathways(m, stu, scope=SCOPE, as_of=first.start_date, n_steps=6)
    steps = t.pathway("s0").steps
    assert steps and all(s.kind == "ready" for s in steps)
    majors = [s.is_major for s in steps]
    assert majors == sorted(majors, reverse=True)  # major emphasis before the rest
    sure = [s.sure for s in steps if s.is_major]
    assert sure == sorted(sure, reverse=True)  # then the surest first
    for s in steps:
        assert GRAPH[s.standard].grade_num <= 6


def test_secure_student_has_no_steps_and_algebra1_placement():
    m, stu = _one(lambda c: 0.97, 8)
    t = pathways(m, stu, scope=SCOPE, as_of=SCOPE.units(8)[0].start_date)
    assert t.pathway("s0").steps == ()
    # placed in Algebra I: planned on the course's units
    stu = stu.assign(class_id="alg")
    classes = pd.DataFrame({"class_id": ["alg"], "school_id": ["a"], "grade": [8],
                            "title": ["Algebra I - Period 2"], "teacher_ids": ["t"]})
    m2, _ = _one(lambda c: 0.97 if GRAPH[c].grade_num < 9 else 0.1, 8)
    t2 = pathways(m2, stu, classes=classes, scope=SCOPE, as_of=SCOPE.units(9)[0].start_date)
    assert t2.students["plan_grade"].iloc[0] == 9
    assert t2.pathway("s0").unit.grade == 9
