"""The placement-level model: an exact look-ahead, a fit that learns the levels' structure,
and the engine reporting its placements while the graph model keeps the mastery."""

from __future__ import annotations

import numpy as np
import pytest

from sounding.diagnostic import DiagnosticEngine, default_model
from sounding.diagnostic.levels import LevelModel, default_levels, fit_levels, true_levels
from sounding.diagnostic.placement import LOSSES, PlacementModel
from sounding.diagnostic.students import students_from_district, truth_matrix
from sounding.items import ItemBank
from sounding.simulate import DistrictSpec, simulate_district


@pytest.fixture(scope="module")
def engine() -> DiagnosticEngine:
    return DiagnosticEngine(default_model(), ItemBank.default())


@pytest.fixture(scope="module")
def students():
    return students_from_district(simulate_district(DistrictSpec(n_students=40, seed=13)), 13)


def _counts(engine, answers):
    nc = np.zeros(len(engine.codes))
    nw = np.zeros(len(engine.codes))
    for j, ok in answers:
        (nc if ok else nw)[j] += 1
    return nc, nw


@pytest.mark.parametrize("loss", ["entropy", "error"])
def test_look_ahead_equals_the_real_update(engine, loss):
    """For every candidate (asked before or not) the expected loss is the outcome-weighted
    loss of the posterior after the real update, and P(correct) is the evidence ratio."""
    lm = engine.levels
    assert lm is not None  # shipped: levels.json
    G = 6
    rng = np.random.default_rng(0)
    pool = np.flatnonzero(engine.placement.std_grade <= G)
    asked = [(int(j), bool(rng.random() < 0.6)) for j in rng.choice(pool, 8, replace=False)]
    asked.append((asked[0][0], not asked[0][1]))  # a standard asked twice
    nc, nw = _counts(engine, asked)
    lp = lm.posterior(G, nc, nw)
    active = lp.strands[::2]
    cands = np.concatenate([pool[::9], [asked[1][0], asked[0][0]]])
    got = lm.expected_loss(lp, nc, nw, cands, active, LOSSES[loss])
    for j, e in zip(cands, got, strict=True):
        after = [lm.posterior(G, *_counts(engine, asked + [(int(j), ok)])) for ok in (1, 0)]
        pc = lm.predict_correct(lp, nc, nw, int(j))
        assert pc == pytest.approx(np.exp(after[0].log_evidence - lp.log_evidence), rel=1e-9)
        assert 1 - pc == pytest.approx(np.exp(after[1].log_evidence - lp.log_evidence),
                                       rel=1e-9)
        L = [LOSSES[loss](np.array([a.bucket(t) for t in active])).sum() for a in after]
        assert e == pytest.approx(pc * L[0] + (1 - pc) * L[1], abs=1e-9), j


def test_fit_learns_levels_and_round_trips():
    """Fitted on a small calibration district: a standard is more often mastered by students
    secure through its grade than by students secure only below it; the posterior of a
    student whose answers are all right moves up, all wrong moves down; JSON round-trips."""
    model = default_model()
    pm = PlacementModel(model)
    cal = students_from_district(simulate_district(DistrictSpec(n_students=1500, seed=101)),
                                 101)
    grades = np.array([s.grade for s in cal])
    M = truth_matrix(cal, tuple(model.standards))
    lm = fit_levels(pm, grades, M, classes=3, iters=60, shrink_class=10.0)
    assert lm.q.shape == (10, 3, len(pm.sidx), 11)
    assert np.allclose(lm.pi.sum(axis=1), 1.0)
    G = 7
    at = np.flatnonzero(pm.std_grade == 5)
    q = lm.q[G].mean(axis=0)                                     # (J, levels)
    assert (q[at, 5 + 1] > q[at, 3 + 1]).mean() > 0.9            # secure through 5 vs 3
    nc0 = np.zeros(len(pm.sidx))
    lp0 = lm.posterior(G, nc0, nc0)
    cols = np.flatnonzero(pm.std_grade == 6)[:10]
    up = lm.posterior(G, np.isin(np.arange(len(nc0)), cols).astype(float), nc0)
    down = lm.posterior(G, nc0, np.isin(np.arange(len(nc0)), cols).astype(float))
    s = int(pm.sidx[cols[0]])
    assert up.bucket(s)[0] > lp0.bucket(s)[0] > down.bucket(s)[0]
    back = LevelModel.from_json(lm.to_json(), pm)
    assert np.allclose(back.posterior(G, nc0, nc0).buckets, lp0.buckets, atol=1e-4)
    # the truth's level of a student is one of the levels the model has
    st = next(x for x in cal if x.grade == G)
    tl = true_levels(pm, G, np.array([st.knows(c) for c in model.standards], dtype=float))
    assert tl and all(0 <= h <= G + 1 for h in tl.values())


def test_engine_reports_the_level_models_placement_and_the_graph_models_mastery(engine,
                                                                                 students):
    st = next(s for s in students if s.grade >= 5)
    s = engine.start(st.student_id, st.grade)
    engine.run(s, st.respond)
    cur = engine.current(s)
    res = engine.result(s)
    assert cur.levels is not None
    for p in res.placements:
        if p.grades_below is None:
            continue
        k = engine.placement.strands.index(p.strand)
        assert np.allclose(p.distribution, cur.levels.bucket(k), atol=1e-4)
    # mastery is the graph-aware posterior, updated online
    st_ = engine.state(s)
    assert np.allclose(res.mastery["p_mastered"].to_numpy(), st_.p_mastered)
    graph_only = DiagnosticEngine(engine.model, engine.bank, levels=None)
    assert graph_only.levels is None and graph_only.current(s).levels is None
    assert default_levels(PlacementModel(engine.model), path=None) is not None


def test_write_levels_makes_a_file_the_engine_loads(tmp_path):
    """`python -m sounding.diagnostic.calibrate --levels-only DIR` (here with a small
    calibration district) writes levels.json for DIR's params.json, and it loads."""
    import shutil
    from importlib import resources

    from sounding.diagnostic.calibrate import write_levels

    shutil.copy(resources.files("sounding.diagnostic").joinpath("params.json"),
                tmp_path / "params.json")
    info = write_levels(tmp_path, n_students=800, classes=2)
    assert info["seed"] == 101 and info["classes"] == 2
    model = default_model(path=tmp_path / "params.json")
    lm = default_levels(PlacementModel(model), path=tmp_path / "levels.json")
    assert lm is not None and lm.pi.shape == (10, 2)
    eng = DiagnosticEngine(model, ItemBank.default(), levels=lm)
    s = eng.start("w-1", 6)
    assert eng.next_item(s) is not None and eng.current(s).levels is not None
