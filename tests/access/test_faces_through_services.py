"""The CLI's growth report, progress monitoring, program evaluation and imports read and write
through the query layer: ``--as`` limits them like every other command, writes are checked
by the policy, and school-based scopes answer membership by SQL without holding every id."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from sounding.access import Principal, Role, add_account, principal_for, resolve
from sounding.cli import main
from sounding.errors import NotFound
from sounding.pipeline import import_stage
from sounding.services import Context
from sounding.services.evaluation import provider_evaluation
from sounding.store import Store
from sounding.store import tables as T
from sounding.testing import tiny_district, write_tiny_district


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    root = tmp_path_factory.mktemp("faces")
    folder = write_tiny_district(root / "district")
    db = str(root / "s.db")
    with Store.open(db) as store:
        import_stage(store, folder)
        m = tiny_district().mastery_long()  # estimates as the services' tests write them
        store.write_mastery(pd.DataFrame({
            "student_id": m["student_id"], "standard": m["standard"],
            "p_mastered": np.where(m["mastered"].astype(bool), 0.9, 0.15), "n_evidence": 1}),
            model="graph")
        en = store.enrollments()
        teachers = en[en["role"] == "teacher"]
        cls = str(teachers["class_id"].iloc[0])
        tch = str(teachers["user_id"].iloc[0])
        taught = set(teachers[teachers["user_id"] == tch]["class_id"].astype(str))
        pupils = en[en["role"] == "student"]
        own = pupils[pupils["class_id"] == cls]["user_id"].astype(str)
        mine = set(pupils[pupils["class_id"].astype(str).isin(taught)]["user_id"].astype(str))
        others = set(pupils["user_id"].astype(str)) - mine
        district_id = str(store.orgs().query("type == 'district'")["org_id"].iloc[0])
        add_account(store, "tch", Role.teacher, user_id=tch, password="pw")
        add_account(store, "dist", Role.district, scopes=(district_id,), password="pw")
        add_account(store, "state", Role.state, password="pw")
        add_account(store, "prov", Role.provider, scopes=("prv-01",), password="pw")
    return {"db": db, "folder": folder, "own": sorted(own), "other": sorted(others),
            "class": cls}


def _log(path, students: list[str]) -> str:
    rows = ["student_id,intervention,standards,start_date,end_date,minutes,provider"]
    rows += [f"{s},Tutoring,3.OA.A.1,2025-10-01,,60," for s in students]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def _interventions(db: str) -> int:
    with Store.open(db) as store:
        return len(store.table("interventions"))


def test_only_admins_and_district_staff_import(district, capsys):
    db, folder = district["db"], district["folder"]
    for user in ("tch", "state", "prov"):
        assert main(["--as", user, "import", "scores", str(folder / "scores.csv"),
                     "--db", db, "--format", "json"]) == 1
        assert "no import of scores" in capsys.readouterr().err
    assert main(["--as", "dist", "import", "providers", str(folder / "providers.csv"),
                 "--db", db, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["import"]["rows"] >= 1


def test_a_teacher_records_interventions_for_own_students_only(district, tmp_path, capsys):
    db, own, other = district["db"], district["own"], district["other"]
    before = _interventions(db)
    bad = _log(tmp_path / "bad.csv", [own[0], other[0]])
    assert main(["--as", "tch", "import", "interventions", bad, "--db", db]) == 1
    err = capsys.readouterr().err
    assert "line 3" in err and f"unknown student '{other[0]}'" in err
    assert _interventions(db) == before  # refused whole
    good = _log(tmp_path / "good.csv", own[:2])
    assert main(["--as", "tch", "import", "interventions", good, "--db", db,
                 "--format", "json"]) == 0
    assert _interventions(db) == before + 2
    # the operator's own log names a student of another class: the teacher sees only hers
    assert main(["import", "interventions", _log(tmp_path / "op.csv", other[:1]),
                 "--db", db, "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["--as", "tch", "interventions", "--db", db, "--format", "json"]) == 0
    shown = {r["student_id"] for r in json.loads(capsys.readouterr().out)["records"]}
    assert shown == set(own[:2])
    with Store.open(db) as store:  # the record she does not see is there
        assert other[0] in set(store.table("interventions")["student_id"])
    assert main(["--as", "state", "interventions", "--db", db]) == 1


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A district big enough for growth percentiles (the tiny one has too few students)."""
    root = tmp_path_factory.mktemp("scored")
    dist, db = root / "dist", str(root / "g.db")
    assert main(["simulate", "-n", "1200", "--seed", "5", "--out", str(dist),
                 "--format", "json"]) == 0
    for kind, path in (("roster", dist / "oneroster"), ("scores", dist / "scores.csv"),
                       ("providers", dist / "providers.csv")):
        assert main(["import", kind, str(path), "--db", db, "--format", "json"]) == 0
    with Store.open(db) as store:
        en = store.enrollments()
        tch = str(en[en["role"] == "teacher"]["user_id"].iloc[0])
        prv = str(store.table("provider_assignments")["provider_id"].iloc[0])
        add_account(store, "tch", Role.teacher, user_id=tch, password="pw")
        add_account(store, "state", Role.state, password="pw")
        add_account(store, "prov", Role.provider, scopes=(prv,), password="pw")
    return db


def test_growth_report_for_an_account(scored, capsys):
    db = scored
    capsys.readouterr()
    assert main(["growth", "report", "--db", db, "--internal", "--min-n", "1",
                 "--format", "json"]) == 0
    operator = json.loads(capsys.readouterr().out)
    assert operator["public"] is False and operator["rows"]
    assert main(["--as", "state", "growth", "report", "--db", db, "--internal", "--min-n", "1",
                 "--format", "json"]) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["public"] is True and state["min_n"] >= 10  # the role forces suppression
    assert '"student_id"' not in json.dumps(state)
    assert main(["--as", "prov", "growth", "report", "--db", db, "--format", "json"]) == 0
    prov = json.loads(capsys.readouterr().out)
    with Store.open(db) as store:
        served = resolve(store, principal_for(store, "prov")).schools
    assert prov["rows"] and {r["school_id"] for r in prov["rows"]} <= served
    assert main(["--as", "tch", "growth", "report", "--db", db]) == 1
    assert "Error" in capsys.readouterr().err


def test_provider_evaluation_is_the_provider_summary(district):
    with Store.open(district["db"]) as store:
        prov = Context(store, principal_for(store, "prov"))
        with pytest.raises(NotFound):
            provider_evaluation(prov, "prv-02")  # another provider: as if it did not exist
        with pytest.raises(NotFound):
            provider_evaluation(Context(store, principal_for(store, "tch")), "prv-02")
        with pytest.raises(NotFound):
            provider_evaluation(Context.operator(store), "prv-nowhere")
        doc = provider_evaluation(Context.operator(store), "prv-02", matching="none")
        assert doc["program"]["provider"] == "prv-02" and doc["n_treatment"] > 0
        assert '"student_id"' not in json.dumps(doc)


def test_school_based_scopes_answer_by_sql_without_holding_ids(district):
    with Store.open(district["db"]) as store:
        students = set(store.students()["student_id"].astype(str))
        for user in ("state", "prov", "dist"):
            reach = resolve(store, principal_for(store, user))
            assert reach.by_sql  # nothing held after resolving
            probe = sorted(students)[:40] + ["stu-nowhere"]
            answers = [reach.has("student", s) for s in probe]
            kept = reach.keep("student", probe)
            assert reach.by_sql  # asking about ids does not load every id
            held = reach.students  # the whole set, built on demand, agrees
            assert answers == [s in held for s in probe] and kept == [s for s in probe
                                                                         if s in held]
            assert all(reach.has("class", c) == (c in reach.classes)
                       for c in store.classes()["class_id"].astype(str))
            fresh = resolve(store, principal_for(store, user))
            users = T.users.c.user_id
            with store.engine.connect() as conn:
                rows = {r[0] for r in conn.execute(sa.select(users).where(
                    fresh.student_filter(users)))}
            assert fresh.by_sql and rows == held  # the scope as a subquery
        state = resolve(store, Principal("s", Role.state))
        assert state.students == students  # one state: every student


def test_aggregate_roles_never_hold_student_ids(scored):
    """Every service a state analyst or a provider may call leaves their reach answering by
    SQL: no list of the students under a state or a provider's schools is ever built."""
    from sounding.access import can
    from sounding.errors import InvalidInput
    from sounding.services import SERVICES

    with Store.open(scored) as store:
        for user in ("state", "prov"):
            ctx = Context(store, principal_for(store, user))
            answered = 0
            for svc in SERVICES.values():
                if not can(ctx.principal.role, "read", svc.resource):
                    continue
                assert svc.kind not in ("student", "class"), svc.name
                objs = [None] if svc.target is None else sorted(ctx.reach.ids(svc.kind))[:2]
                for obj in objs:
                    try:
                        svc.fn(ctx, **({} if obj is None else {svc.target: obj}))
                        answered += 1
                    except (NotFound, InvalidInput):
                        pass
            assert answered >= 3 and ctx.reach.by_sql, (user, answered)
