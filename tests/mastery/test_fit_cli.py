"""`sounding mastery fit` / `show` end to end, the streaming store fit and the fit sample.

A small store is built through the real importers (roster, then responses) once per module.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sounding.cli import main
from sounding.errors import InvalidInput
from sounding.evidence import import_responses
from sounding.mastery.pipeline import (
    fit_sample,
    fit_store_mastery,
    normalize_students,
    student_grades,
)
from sounding.progression import load_default
from sounding.roster import import_roster
from sounding.services.views import student_view
from sounding.store import Store
from sounding.testing import write_tiny_district

GRAPH = load_default().k8_algebra1()
FAST = {"max_iter": 4}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return write_tiny_district(tmp_path_factory.mktemp("district"))


@pytest.fixture(scope="module")
def db(folder, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("store") / "s.db"
    with Store.open(str(path)) as store:
        import_roster(store, folder / "oneroster")
        import_responses(store, folder / "responses.csv")
    return str(path)


def _copy(db: str, tmp_path: Path) -> str:
    out = tmp_path / "copy.db"
    shutil.copy(db, out)
    return str(out)


@pytest.fixture(scope="module")
def fitted_db(db, tmp_path_factory) -> tuple[str, dict]:
    """The store after `sounding mastery fit --format json` (default graph model)."""
    path = tmp_path_factory.mktemp("fitted") / "s.db"
    shutil.copy(db, path)
    return str(path), {}


# ============================================================================ the CLI


def test_cli_fit_json_then_show_student_and_class(fitted_db, capsys):
    path, _ = fitted_db
    assert main(["mastery", "fit", "--db", path, "--format", "json", "--max-iter", "3"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["model"] == "graph" and summary["n_students"] == 360
    assert summary["fit"]["fit_students"] == 360 and summary["fit"]["sampled"] is False
    assert summary["fit"]["em_iterations"] == 3
    with Store.open(path) as store:
        stored = store.mastery(model="graph")
        students = normalize_students(store.students())
        classes = store.classes()
    assert len(stored) == 360 * len(GRAPH.standard_codes)
    sid = str(students["student_id"].iloc[7])
    assert main(["mastery", "show", "--student", sid, "--db", path, "--format", "json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["student_id"] == sid and len(view["strands"]) == 6
    for s in view["strands"]:
        if s["label"] != "n/a":
            assert s["n_standards"] > 0 and 0 <= s["p_secure"] <= 1
    assert main(["mastery", "show", "--student", sid, "--db", path]) == 0
    text = capsys.readouterr().out
    assert "Foundations by strand" in text and sid in text and view["name"] in text
    cid = str(classes["class_id"].iloc[3])
    assert main(["mastery", "show", "--class", cid, "--db", path, "--format", "json"]) == 0
    cview = json.loads(capsys.readouterr().out)
    assert cview["class_id"] == cid and cview["n_students"] == len(cview["students"]) > 0
    for counts in cview["distribution"].values():
        assert sum(counts.values()) == cview["n_students"]
    assert main(["mastery", "show", "--class", cid, "--db", path]) == 0
    text = capsys.readouterr().out
    assert "The iceberg" in text and cview["title"] in text


def test_cli_fit_text_with_a_sample_and_chunks(db, tmp_path, capsys):
    path = _copy(db, tmp_path)
    assert main(["mastery", "fit", "--db", path, "--fit-sample", "150", "--chunk", "100",
                 "--max-iter", "3"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "360 students x 288 standards" in out
    assert "fitted on a sample of 150 of 360 students" in out and "4 chunk(s) of 100" in out
    assert "EM:" in out and "log-likelihood" in out
    with Store.open(path) as store:
        assert store.mastery(model="graph")["student_id"].nunique() == 360


def test_cli_fit_bkt_says_placements_rest_on_tested_standards(db, tmp_path, capsys):
    path = _copy(db, tmp_path)
    bkt = ["mastery", "fit", "--db", path, "--model", "bkt", "--max-iter", "20"]
    assert main([*bkt, "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["model"] == "bkt"
    assert summary["n_students"] == 360  # students without answers are kept
    assert summary["n_students_without_answers"] >= 1
    assert any(c.get("unknown", 0) > 0 for c in summary["grades_below"].values())
    assert main(bkt) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "rest on tested standards only" in out and "unknown" in out


def test_cli_fit_best_lr_with_a_prerequisite_file(db, tmp_path, capsys):
    path = _copy(db, tmp_path)
    edges = tmp_path / "edges.csv"
    edges.write_text("from_skill,to_skill\n3.NF.A.1,4.NF.B.3\n")
    fit = ["mastery", "fit", "--db", path, "--model", "best-lr", "--prerequisites", str(edges)]
    assert main([*fit, "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["model"] == "best-lr" and summary["n_students"] == 360
    # the graph model takes its edges from the progression; BKT uses none
    for model in ("graph", "bkt"):
        assert main(["mastery", "fit", "--db", path, "--model", model, "--prerequisites",
                     str(edges)]) == 1
        assert "--prerequisites is for best-lr" in capsys.readouterr().err


def test_cli_show_errors(fitted_db, capsys):
    path, _ = fitted_db
    assert main(["mastery", "show", "--db", path]) == 1
    assert "exactly one of --student" in capsys.readouterr().err
    assert main(["mastery", "show", "--student", "nobody", "--db", path]) == 1
    assert "no student 'nobody'" in capsys.readouterr().err


# ============================================================================ streaming


def test_streamed_fit_equals_one_chunk_and_keeps_nothing(db, tmp_path):
    """Chunks of 70 students, nothing kept: the store holds exactly what one chunk gives."""
    a_path, b_path = _copy(db, tmp_path), str(tmp_path / "b.db")
    shutil.copy(db, b_path)
    with Store.open(a_path) as store:
        one = fit_store_mastery(store, graph=GRAPH, model_options=FAST)
        a = store.mastery(model="graph")
    with Store.open(b_path) as store:
        many = fit_store_mastery(store, graph=GRAPH, model_options=FAST, block_size=70,
                                 keep=False)
        b = store.mastery(model="graph")
    assert one.kept and not many.kept and many.posterior is None
    assert many.fit["chunks"] == 6 and one.fit["chunks"] == 1
    key = ["student_id", "standard"]
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    assert (a[key] == b[key]).all().all()
    np.testing.assert_allclose(a["p_mastered"], b["p_mastered"], atol=1e-12)
    np.testing.assert_allclose(a["sd"], b["sd"], atol=1e-12)
    s1, s2 = one.summary(), many.summary()
    assert {k: v for k, v in s1.items() if k != "fit"} == \
        {k: v for k, v in s2.items() if k != "fit"}
    with pytest.raises(InvalidInput, match="from the store"):
        student_view(many, a["student_id"].iloc[0])
    # the views read the store instead, and agree with the kept result
    sid = a["student_id"].iloc[0]
    with Store.open(b_path) as store:
        assert student_view(store, sid, GRAPH)["strands"] == student_view(one, sid)["strands"]


def test_a_district_smaller_than_the_sample_is_fitted_as_before(db, tmp_path):
    """fit_students >= district: the same fit as on everyone (the option changes nothing)."""
    with Store.open(_copy(db, tmp_path)) as store:
        a = fit_store_mastery(store, graph=GRAPH, model_options=FAST, fit_students=None)
        b = fit_store_mastery(store, graph=GRAPH, model_options=FAST, fit_students=10_000)
    np.testing.assert_array_equal(a.model.params_.intercept, b.model.params_.intercept)
    assert not b.fit["sampled"]
    pa = a.posterior.sort_values(["student_id", "standard"])["p_mastered"].to_numpy()
    pb = b.posterior.sort_values(["student_id", "standard"])["p_mastered"].to_numpy()
    np.testing.assert_array_equal(pa, pb)


def test_a_sample_fits_on_its_students_only(db, tmp_path):
    with Store.open(_copy(db, tmp_path)) as store:
        res = fit_store_mastery(store, graph=GRAPH, model_options=FAST, fit_students=120,
                                block_size=100)
        roster = normalize_students(store.students())
        grades = student_grades(roster, store.classes(), store.enrollments())
        sample = fit_sample(roster.assign(grade=roster["student_id"].map(grades)), 120)
        n_answers = len(store.responses(student_ids=list(sample)))
    assert res.fit["sampled"] and res.fit["fit_students"] == 120
    assert res.fit["fit_answers"] == n_answers
    assert res.posterior["student_id"].nunique() == 360


def test_fit_sample_is_stratified_and_deterministic():
    rng = np.random.default_rng(0)
    n = 5000
    students = pd.DataFrame({
        "student_id": [f"s{i:05d}" for i in range(n)],
        "grade": rng.choice([3, 4, 5, 6, 7, 8], n, p=[.3, .1, .1, .2, .2, .1]),
        "school_id": rng.choice(["a", "b", "c", "d"], n),
    })
    a = fit_sample(students, 500)
    assert len(a) == 500 and len(set(a)) == 500
    # the same students whatever the row order; another seed, another sample
    b = fit_sample(students.sample(frac=1, random_state=1), 500)
    assert set(a) == set(b)
    assert set(fit_sample(students, 500, seed=1)) != set(a)
    # strata (grade x school) in proportion, within one student
    picked = students[students["student_id"].isin(set(a))]
    want = students.groupby(["grade", "school_id"]).size() * 500 / n
    got = picked.groupby(["grade", "school_id"]).size().reindex(want.index, fill_value=0)
    assert (np.abs(got - want) <= 1).all()
    assert len(fit_sample(students, None)) == n and len(fit_sample(students, 10**6)) == n
    with pytest.raises(InvalidInput):
        fit_sample(students, 0)
