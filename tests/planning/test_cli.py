"""`sounding plan`, `groups`, `readiness algebra` on store-shaped tables (store read stubbed)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import sounding.planning.from_store as from_store
from sounding.cli import main
from sounding.planning.from_store import inputs_from_frames


@pytest.fixture
def store_tables(build_class, combined, monkeypatch):
    a = build_class(low={"5.NF.A.1": 6, "4.NF.B.3": 5}, class_id="c1")
    b = build_class(low={"5.NF.A.1": 2}, class_id="c2", school_id="sch2")
    m, st, cl = combined(a, b)
    # store spelling: OneRoster-style enrollments with teachers, no district column
    en = pd.DataFrame({"classSourcedId": list(st["class_id"]) + ["c1"],
                       "userSourcedId": list(st["student_id"]) + ["t1"],
                       "role": ["student"] * len(st) + ["teacher"]})
    resp = pd.DataFrame({"student_id": st["student_id"], "standard": "5.NF.A.1",
                         "correct": 1, "timestamp": "2026-01-10T09:00:00Z"})
    inputs = inputs_from_frames(mastery=m, students=st.drop(columns=["district_id", "class_id"]),
                                classes=cl, enrollments=en, responses=resp, scores=None)
    # the commands import load_inputs when they run, so patch it where it lives
    monkeypatch.setattr(from_store, "load_inputs", lambda db: inputs)
    return inputs


def test_plan_class_json(store_tables, capsys):
    assert main(["plan", "--class", "c1", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    recs = out["recommendations"]
    assert {r["class_id"] for r in recs} == {"c1"}
    assert [r["level"] for r in recs] == ["classroom", "classroom"]
    assert out["summary"]["as_of"] == "2026-01-10"  # the latest answer
    tp = out["teacher_plan"]
    assert len(tp["lead"]) == 2 and tp["more"] == []
    assert main(["plan", "--class", "c1", "--lead", "1", "--format", "json"]) == 0
    tp = json.loads(capsys.readouterr().out)["teacher_plan"]
    assert len(tp["lead"]) == 1 and len(tp["more"]) == 1
    assert main(["plan", "--class", "c1", "--lead", "1"]) == 0
    text = capsys.readouterr().out
    assert "Lead with" in text and "One step away" in text


def test_plan_threshold_and_levels(store_tables, capsys):
    assert main(["plan", "--school", "sch2", "--threshold", "0.1", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # 2 of 20 not secure: an estimated 12.5% of the class, over 10%, at or under 20%
    assert [r["level"] for r in out["recommendations"]] == ["classroom"]
    assert main(["plan", "--school", "sch2", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["level"] for r in out["recommendations"]] == ["student"]
    assert main(["plan", "--district"]) == 0
    assert "Plan for the district" in capsys.readouterr().out


def test_plan_errors(store_tables, capsys):
    assert main(["plan"]) == 1
    assert main(["plan", "--district", "--threshold", "0.5"]) == 1
    assert main(["plan", "--class", "nope"]) == 1
    assert "Error" in capsys.readouterr().err


def test_groups_and_readiness(store_tables, capsys):
    assert main(["groups", "--class", "c1", "--as-of", "2025-10-20", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    members = [s for g in out["groups"] for s in g["students"]] + out["ready"] + out["unassessed"]
    assert len(members) == 20 == len(set(members))
    assert main(["groups", "--class", "c1", "--as-of", "2025-10-20"]) == 0
    assert "ready for the unit" in capsys.readouterr().out
    assert main(["readiness", "algebra", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["students"] == []  # no grade-8 students in these classes



def test_plan_lists_the_checks_its_unsure_findings_ask_for(build_class, monkeypatch, capsys):
    m, st, cl = build_class(low={"5.NF.A.1": 4}, class_id="c3")  # exactly 20%
    en = pd.DataFrame({"classSourcedId": "c3", "userSourcedId": st["student_id"],
                       "role": "student"})
    resp = pd.DataFrame({"student_id": st["student_id"], "standard": "5.NF.A.1",
                         "correct": 1, "timestamp": "2026-01-10T09:00:00Z"})
    inputs = inputs_from_frames(mastery=m, students=st.drop(columns=["district_id", "class_id"]),
                                classes=cl, enrollments=en, responses=resp, scores=None)
    monkeypatch.setattr(from_store, "load_inputs", lambda db: inputs)
    assert main(["plan", "--class", "c3", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (r,) = out["recommendations"]
    # at the threshold: student level, but its 90% interval reaches above it
    assert r["level"] == "student" and r["numbers"]["near_threshold"]
    (chk,) = out["checks"]
    assert chk["class_id"] == "c3" and chk["standards"] == ["5.NF.A.1"]
    assert chk["n_students"] == 20 and chk["n_items"] == 3
    assert main(["plan", "--class", "c3"]) == 0
    text = capsys.readouterr().out
    assert "Checks to give first (1)" in text and "c3: 5.NF.A.1 -- 3 items" in text
    assert "sounding items export -o check-c3.zip --standard 5.NF.A.1" in text
