"""Planning from a real store: the planning imports, and commands that read what was imported.

One tiny simulated district (360 students) is imported into a SQLite store through the real
importers and its mastery fitted once (module fixture); each test copies the store file so
imports in one test do not leak into another.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from sounding.cli import main
from sounding.planning import algebra_readiness, default_scope_sequence
from sounding.planning.family import family_report_for
from sounding.planning.from_store import load_inputs
from sounding.testing import write_tiny_district


@pytest.fixture(scope="module")
def base_store(tmp_path_factory):
    from sounding.evidence import import_responses, import_scores
    from sounding.mastery.pipeline import fit_store_mastery
    from sounding.roster import import_roster
    from sounding.store import Store

    tmp = tmp_path_factory.mktemp("plan_store")
    folder = write_tiny_district(tmp / "d")
    db = tmp / "base.db"
    with Store.open(str(db)) as store:
        import_roster(store, folder / "oneroster")
        import_responses(store, folder / "responses.csv")
        import_scores(store, folder / "scores.csv")
        fit_store_mastery(store, graph=store.progression().k8_algebra1(),
                          model_options={"max_iter": 8})
    return db


@pytest.fixture
def db(base_store, tmp_path):
    path = tmp_path / "s.db"
    shutil.copy(base_store, path)
    return str(path)


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_access_view_from_a_store_has_race_ethnicity(db):
    inputs = load_inputs(db)
    assert "race_ethnicity" in inputs.students.columns
    assert inputs.students["race_ethnicity"].notna().mean() > 0.9
    res = algebra_readiness(inputs.mastery, inputs.students, inputs.classes, inputs.enrollments,
                            scores=inputs.scores, graph=inputs.graph)
    dims = set(res.access["dimension"])
    assert "race_ethnicity" in dims
    groups = set(res.access.loc[res.access["dimension"] == "race_ethnicity", "group"])
    assert {"white", "hispanic"} <= groups


def _scope_csv(tmp_path, prefix="RB-"):
    frame = default_scope_sequence().to_frame()
    frame["unit_id"] = prefix + frame["unit_id"]
    path = tmp_path / "scope.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_import_scope_then_plans_use_it(db, tmp_path, capsys):
    path, frame = _scope_csv(tmp_path)
    assert main(["import", "scope", str(path), "--db", db, "--format", "json"]) == 0
    out = _json(capsys)
    assert out["rows"] == len(frame) and out["district_id"]
    from sounding.store import Store

    with Store.open(db) as store:
        stored = store.table("scope_sequence")
    assert len(stored) == len(frame) and stored["district_id"].nunique() == 1
    assert load_inputs(db).scope().units(5)[0].unit_id.startswith("RB-")
    # a plan's units now come from the stored scope
    assert main(["plan", "--district", "--db", db, "--format", "json"]) == 0
    units = {r["unit"]["unit_id"] for r in _json(capsys)["recommendations"] if r["unit"]}
    assert units and all(u.startswith("RB-") for u in units)
    # importing again replaces the district's scope rather than adding to it
    assert main(["import", "scope", str(path), "--db", db, "--format", "json"]) == 0
    assert _json(capsys)["in_store"] == len(frame)


def test_import_scope_rejects_a_bad_file_and_keeps_the_old_one(db, tmp_path, capsys):
    path, frame = _scope_csv(tmp_path)
    assert main(["import", "scope", str(path), "--db", db]) == 0
    bad = frame.copy()
    bad.loc[3, "standard"] = "5.ZZ.A.9"
    bad.loc[5, "start_date"] = "2025-13-40"
    bad_path = tmp_path / "bad.csv"
    bad.to_csv(bad_path, index=False)
    capsys.readouterr()
    assert main(["import", "scope", str(bad_path), "--db", db]) == 1
    err = capsys.readouterr().err
    assert "bad.csv" in err and "line 5" in err and "standard" in err
    assert "line 7" in err and "start_date" in err
    from sounding.store import Store

    with Store.open(db) as store:
        assert len(store.table("scope_sequence")) == len(frame)


def _students(db, n=6):
    inputs = load_inputs(db)
    return list(inputs.students["student_id"].iloc[:n])


HEADER = "student_id,intervention,standards,start_date,end_date,minutes,provider\n"


def test_import_interventions_and_progress_from_the_store(db, tmp_path, capsys):
    ids = _students(db)
    body = "".join(f"{s},Fraction tutoring,4.NF.B.3;4.NF.A.1,2025-11-01,,300,Acme\n"
                   for s in ids[:4])
    log = tmp_path / "log.csv"
    log.write_text(HEADER + body)
    assert main(["import", "interventions", str(log), "--db", db, "--format", "json"]) == 0
    out = _json(capsys)
    assert out["records"] == 4 and out["in_store"] == 4
    # the same records again: updated, not repeated
    assert main(["import", "interventions", str(log), "--db", db, "--format", "json"]) == 0
    assert _json(capsys)["in_store"] == 4
    assert main(["interventions", "--db", db, "--format", "json"]) == 0
    rep = _json(capsys)
    assert len(rep["records"]) == 4 and {r["student_id"] for r in rep["records"]} == set(ids[:4])
    assert all(r["mean_p_after"] is not None for r in rep["records"])
    # --log still works, and text output
    assert main(["interventions", "--log", str(log), "--db", db]) == 0
    assert "Fraction tutoring: 4 records" in capsys.readouterr().out


def test_import_interventions_rejects_unknown_students(db, tmp_path, capsys):
    ids = _students(db)
    log = tmp_path / "log.csv"
    log.write_text(HEADER + f"{ids[0]},Tutoring,4.NF.B.3,2025-11-01,,,Acme\n"
                            "nobody-42,Tutoring,4.NF.B.3,2025-11-01,,,Acme\n")
    assert main(["import", "interventions", str(log), "--db", db]) == 1
    err = capsys.readouterr().err
    assert "log.csv" in err and "line 3" in err and "student_id" in err and "nobody-42" in err
    from sounding.store import Store

    with Store.open(db) as store:
        assert len(store.table("interventions")) == 0  # nothing half-written
    assert main(["interventions", "--db", db]) == 1
    assert "no intervention log in the store" in capsys.readouterr().err


def test_import_family_signals_and_the_family_finding(db, tmp_path, capsys):
    inputs = load_inputs(db)
    st = inputs.students
    school = st["school_id"].value_counts().index[0]
    members = list(st.loc[st["school_id"] == school, "student_id"])
    day = inputs.latest_answer()
    reached = members[: len(members) // 2]  # half the school reached recently
    rows = [(s, "phone_call", (day - pd.Timedelta(days=10)).isoformat(), 1.0, "office")
            for s in reached]
    rows += [(s, "phone_call", (day - pd.Timedelta(days=12)).isoformat(), 0.0, "office")
             for s in members[len(members) // 2:]]
    path = tmp_path / "family.csv"
    pd.DataFrame(rows, columns=["student_id", "signal", "date", "value", "source"]).to_csv(
        path, index=False)
    assert main(["import", "family", str(path), "--db", db, "--format", "json"]) == 0
    assert _json(capsys)["rows"] == len(members)
    assert main(["plan", "--school", str(school), "--db", db, "--format", "json"]) == 0
    fam = [r for r in _json(capsys)["recommendations"] if r["kind"] == "family_connection"]
    assert len(fam) == 1 and fam[0]["school_id"] == school
    assert fam[0]["share"] == pytest.approx(1 - len(reached) / len(members), abs=1e-3)
    # bad rows are named by file, line and field; nothing is written
    bad = tmp_path / "bad.csv"
    bad.write_text("student_id,signal,date,value\n"
                   f"{members[0]},visit,2026-01-05,yes\nnobody,visit,2026-1-5,1\n")
    assert main(["import", "family", str(bad), "--db", db]) == 1
    err = capsys.readouterr().err
    assert "bad.csv" in err and "line 2" in err and "value" in err
    assert "line 3" in err and "student_id" in err and "date" in err


def test_plan_json_lists_tiers_and_class_sees_school_findings(db, capsys):
    inputs = load_inputs(db)
    cid = inputs.classes["class_id"].iloc[0]
    assert main(["plan", "--class", cid, "--db", db, "--format", "json"]) == 0
    out = _json(capsys)
    tiers = out["tiers"]
    members = set(inputs.enrollments.loc[inputs.enrollments["class_id"] == cid, "student_id"])
    assert {t["student_id"] for t in tiers} == members
    assert all({"student_id", "tier", "reason"} <= set(t) for t in tiers)
    assert all(t["tier"] in (1, 2, 3, "unknown: no recent evidence") for t in tiers)
    school = inputs.school_of_class(cid)
    assert all(r["class_id"] == cid or cid in r["classes"]
               or (r["level"] == "system" and r["school_id"] == school)
               for r in out["recommendations"])


def test_family_report_is_as_of_the_latest_evidence(db):
    inputs = load_inputs(db)
    sid = inputs.students["student_id"].iloc[0]
    html = family_report_for(inputs, sid)
    day = inputs.latest_answer()
    assert day.strftime("%B %-d, %Y") in html
    assert "March 3, 2026" in family_report_for(inputs, sid, as_of="2026-03-03")


@pytest.mark.parametrize("kind", ["scope", "interventions", "family"])
def test_a_rejected_first_planning_import_leaves_no_database(kind, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("not,the,right,columns\n1,2,3,4\n", encoding="utf-8")
    db = tmp_path / "new.db"
    assert main(["import", kind, str(bad), "--db", str(db)]) == 1
    assert "bad.csv" in capsys.readouterr().err
    assert not db.exists()
