"""Planning end to end on the simulated district, with the simulator's ground truth as mastery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sounding.planning import (
    algebra_readiness,
    default_scope_sequence,
    evidence_summary,
    small_groups,
    triage,
)
from sounding.testing import tiny_district


@pytest.fixture(scope="module")
def district(graph):
    d = tiny_district()
    tm = d.truth_mastery.melt(id_vars="student_id", var_name="standard", value_name="mastered")
    resp = d.responses.assign(standard=d.responses["standard"].map(graph.rollup))
    cnt = resp.groupby(["student_id", "standard"]).size().rename("n_evidence").reset_index()
    m = tm.merge(cnt, how="left", on=["student_id", "standard"]).fillna({"n_evidence": 0})
    m["p_mastered"] = np.where(m["mastered"], 0.95, 0.05)
    m["sd"] = 0.05
    ts = d.truth_students
    students = ts.rename(columns={"economically_disadvantaged": "econ_disadvantaged"}).assign(
        district_id="d")
    classes = d.classes.rename(columns={"sourcedId": "class_id", "schoolSourcedId": "school_id",
                                        "grades": "grade"}).assign(teacher_ids="t")
    en = d.enrollments[d.enrollments["role"] == "student"].rename(
        columns={"classSourcedId": "class_id", "userSourcedId": "student_id"})
    return d, m, students, classes, en


def test_stale_class_is_found_and_not_flagged(district):
    d, m, students, classes, en = district
    plan = triage(m, students, classes, en, evidence=evidence_summary(d.responses),
                  scope=default_scope_sequence())
    stale_truth = set(d.truth_students.loc[d.truth_students["stale_class"], "class_id"])
    found = {r.class_id for r in plan.select(kind="stale_class")}
    assert stale_truth and found == stale_truth
    for cid in stale_truth:
        assert not plan.select(class_id=cid, level="classroom")
        assert not plan.select(class_id=cid, level="student")


def test_weak_topics_are_classroom_level(district):
    d, m, students, classes, en = district
    plan = triage(m, students, classes, en, evidence=evidence_summary(d.responses),
                  scope=default_scope_sequence())
    flagged = {(r.class_id, s) for r in plan.select(level="classroom") for s in r.standards}
    weak = set(map(tuple, d.weak_topics[["class_id", "standard"]].to_numpy()))
    assert weak and weak <= flagged


def test_groups_cover_every_class(district):
    d, m, students, classes, en = district
    res = small_groups(m, students, classes, en, as_of="2026-01-12")
    members = en.groupby("class_id")["student_id"].agg(set).to_dict()
    for cid, cg in res.items():
        seen = [s for g in cg.groups for s in g.students] + cg.ready + cg.unassessed
        assert len(seen) == len(set(seen)) and set(seen) == members.get(cid, set())
        assert all(len(g.students) <= 6 for g in cg.groups)


def test_algebra_readiness_tracks_truth(district):
    d, m, students, classes, en = district
    res = algebra_readiness(m, students, classes, en, scores=d.scores)
    truth = d.truth_students.set_index("student_id")["algebra1_ready"]
    s = res.students.set_index("student_id")
    assessed = s[s["label"] != "unassessed"]
    ready = assessed["label"] == "ready"
    agree = (ready == truth.reindex(assessed.index).astype(bool)).mean()
    assert agree > 0.8
    assert set(res.access["school_id"]) >= {"all"}
    assert pd.Series(s["placed"]).any()  # the simulated district has an Algebra I class
