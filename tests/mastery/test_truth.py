"""Against the simulator's ground truth: placements, calibration, and what the edges add.

One simulated district to fit on (full evidence), another, written to disk, to judge on: its
truth is read back with :func:`sounding.simulate.read_truth` (the truth files a district
simulation ships). Figures quoted in the docstrings are from this fixture (seeds 1 and 2,
2,000 students each) on the development machine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from sounding.mastery.graph_model import GraphMastery
from sounding.mastery.pipeline import cap_strand_ends
from sounding.mastery.profile import compute_icebergs
from sounding.progression import StandardsGraph, load_default
from sounding.simulate import DistrictSpec, read_truth, simulate_district, write_district

GRAPH = load_default().k8_algebra1()
CODES = list(GRAPH.standard_codes)
N_STUDENTS = 2000


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    r = rankdata(s)
    n1 = y.sum()
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * (y.size - n1)))


def _grades(d) -> dict:
    ts = d.truth_students
    return {s: (9 if a else int(g))
            for s, g, a in zip(ts["student_id"], ts["grade"], ts["algebra1"], strict=True)}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    train = simulate_district(DistrictSpec(n_students=N_STUDENTS, seed=1))
    test = simulate_district(DistrictSpec(n_students=N_STUDENTS, seed=2))
    out = tmp_path_factory.mktemp("district")
    write_district(test, out)
    truth = read_truth(out)
    model = GraphMastery(GRAPH).fit(train.responses, _grades(train))
    grades = _grades(test)
    ids = test.truth_students["student_id"].to_numpy()
    wide = truth.pivot(index="student_id", columns="standard", values="mastered")
    std_grade = test.responses["standard"].map(lambda c: GRAPH[GRAPH.rollup(c)].grade_num)
    on_grade = test.responses[std_grade.to_numpy()
                              >= test.responses["student_id"].map(grades).to_numpy()]
    return {"train": train, "test": test, "truth": truth, "model": model, "grades": grades,
            "ids": ids, "Y": wide.loc[ids, CODES].to_numpy(bool), "on_grade": on_grade,
            "G": np.array([grades[s] for s in ids]),
            "std_grade": np.array([GRAPH[c].grade_num for c in CODES])}


def _P(model: GraphMastery, responses: pd.DataFrame, world: dict) -> np.ndarray:
    pm = model.posterior_matrix(responses, world["grades"])
    rows = pd.Index(pm.user_ids).get_indexer(world["ids"])
    cols = pd.Index(model.standards).get_indexer(CODES)
    return pm.p[rows][:, cols].astype(float)


# ============================================================================ placements


def _old_rule_grades_below(post: pd.DataFrame, students: pd.DataFrame) -> np.ndarray:
    """The first version's placement: a standard is secure at P >= 0.8, at most
    round(10 %) not secure per prefix (the same tolerance as now), no probabilities."""
    hard = post.assign(p_mastered=(post["p_mastered"] >= 0.8).astype(float)).drop(columns="sd")
    t = cap_strand_ends(compute_icebergs(hard, students, GRAPH), GRAPH)
    return t.strands.sort_values(["student_id", "strand"])["grades_below"].to_numpy(float)


def test_placements_agree_with_the_truth(world):
    """Secure levels from all of a student's answers against the true secure levels.

    Measured (2,000 + 2,000 students): estimated grades below 1.49 on average against 1.46
    true, exact agreement 0.721, within one grade 0.865, 7.1 % of truly on-grade strands
    placed 1+ below; the old threshold rule on the same posterior: 1.91, 0.65 and 18.8 %.
    Before issue 12's second round (straight-line coupling in the profile, unweighted DAG
    projection of the intercepts): 1.70, 0.707, 0.847 and 7.7 %; with the probit coupling
    alone 1.56, 0.719, 0.858 and 6.6 %.
    """
    pm = world["model"].posterior_matrix(world["test"].responses, world["grades"])
    students = pd.DataFrame({"student_id": pm.user_ids, "grade": pm.grade})
    est = cap_strand_ends(compute_icebergs(pm, students, GRAPH), GRAPH).strands
    truth = world["truth"].rename(columns={"mastered": "p_mastered"})
    truth["p_mastered"] = truth["p_mastered"].astype(float)
    true = cap_strand_ends(compute_icebergs(truth, students, GRAPH), GRAPH).strands
    key = ["student_id", "strand"]
    est, true = est.sort_values(key), true.sort_values(key)
    e = est["grades_below"].to_numpy(float)
    t = true["grades_below"].to_numpy(float)
    old = _old_rule_grades_below(pm.to_frame(), students)
    exact, within = (e == t).mean(), (np.abs(e - t) <= 1).mean()
    deep = (e[t == 0] >= 1).mean()
    print(f"\nplacement: est {e.mean():.2f} true {t.mean():.2f} exact {exact:.3f} "
          f"within1 {within:.3f} on-grade placed below {deep:.3f} | old rule est "
          f"{old.mean():.2f} exact {(old == t).mean():.3f} "
          f"on-grade placed below {(old[t == 0] >= 1).mean():.3f}")
    assert exact >= 0.71 and within >= 0.855 and deep <= 0.08
    assert abs(e.mean() - t.mean()) <= 0.1
    assert exact >= (old == t).mean() + 0.03
    assert e.mean() < old.mean() - 0.1
    # p_secure is the probability that the placement is right: calibrated
    right = est["secure_through"].to_numpy() == true["secure_through"].to_numpy()
    ps = est["p_secure"].to_numpy()
    ok = ~np.isnan(ps)
    for lo, hi in ((0.0, 0.5), (0.5, 0.8), (0.8, 1.01)):
        m = ok & (ps >= lo) & (ps < hi)
        assert abs(ps[m].mean() - right[m].mean()) <= 0.08, (lo, hi)


# ============================================================================ calibration


def test_calibration_with_grade_level_evidence_only(world):
    """Only the answers on the students' own grade (what a state test gives): P(mastered) of
    every student x standard, tested or not, against the truth in 10 bins.

    Measured: worst bin gap 0.040 over all pairs, 0.048 over the below-grade ones (0.053 and
    0.056 with the unweighted DAG projection of the intercepts).
    """
    P = _P(world["model"], world["on_grade"], world)
    Y = world["Y"]
    below = world["std_grade"][None, :] < world["G"][:, None]
    worst = {}
    for name, mask in (("all", np.ones_like(Y)), ("below grade", below)):
        p, y = P[mask], Y[mask]
        bins = np.minimum((p * 10).astype(int), 9)
        gaps = [abs(p[bins == b].mean() - y[bins == b].mean()) for b in range(10)
                if (bins == b).sum() >= 200]
        worst[name] = max(gaps)
    print(f"\ngrade-level evidence only, worst calibration gap: {worst}")
    assert worst["all"] <= 0.07 and worst["below grade"] <= 0.07


# ============================================================================ what the edges add


def test_what_the_prerequisite_edges_add_with_grade_level_evidence(world):
    """The graph's contribution in isolation: the same model on the same standards and
    strands, fitted without the 526 prerequisite edges (so without the DAG-consistent
    intercepts), judged on below-grade standards from grade-level answers only.

    Measured: with edges accuracy 0.852, AUC 0.926; without 0.847 and 0.921 (+0.5 and +0.4
    points; with the earlier unweighted DAG projection 0.850 and 0.925, and on a 3,000-student
    pair -0.4 and -0.3). The edges add about nothing beyond the
    strand abilities, which carry the payoff over a graph-blind per-standard model (+0.05 or
    more, test_graph_model); see the graph model's docstring "What it does not do". This
    test pins that down: the edges must not hurt, and if a change made them matter by more
    than a point either way it fails and the docstring must be revisited.
    """
    flat = StandardsGraph(list(GRAPH), [], name="no prerequisite edges")
    assert not flat.edges("standard") and set(flat.standard_codes) == set(CODES)
    train = world["train"]
    no_edges = GraphMastery(flat).fit(train.responses, _grades(train))
    Y = world["Y"]
    below = world["std_grade"][None, :] < world["G"][:, None]
    out = {}
    for name, model in (("edges", world["model"]), ("no edges", no_edges)):
        P = _P(model, world["on_grade"], world)
        out[name] = (((P[below] > 0.5) == Y[below]).mean(), _auc(Y[below], P[below]))
    print(f"\nbelow grade from grade-level evidence (acc, AUC): {out}")
    d_acc = out["edges"][0] - out["no edges"][0]
    d_auc = out["edges"][1] - out["no edges"][1]
    assert -0.005 <= d_acc <= 0.01 and -0.005 <= d_auc <= 0.01
    # both are far better than the base rate: the strand abilities carry the payoff
    base = max(Y[below].mean(), 1 - Y[below].mean())
    assert out["no edges"][0] >= base + 0.1


def test_a_failed_prerequisite_is_edge_blind_given_the_strand(world):
    """What the model does not do, pinned down: a wrong answer on 3.NF.A.1 lowers its direct
    successor 4.NF.B.3 exactly as much as a same-strand, same-grade standard that does not
    rest on it would be lowered with the same parameters -- evidence travels through the
    strand ability, not along the specific edge."""
    model = world["model"]
    p = model.params_
    idx = {c: j for j, c in enumerate(model.standards)}
    pre, succ = "3.NF.A.1", "4.NF.B.3"
    assert succ in GRAPH.successors(pre)
    others = [c for c in CODES if GRAPH[c].strand == "fractions" and GRAPH[c].grade_num == 4
              and pre not in GRAPH.prerequisites(c, transitive=True)]
    assert others, "a grade-4 fractions standard that does not rest on 3.NF.A.1"
    other = others[0]
    # give the non-successor the successor's parameters: then only the edge differs
    q = p.copy()
    for arr in (q.intercept, q.slope, q.guess, q.slip):
        arr[idx[other]] = arr[idx[succ]]
    twin = GraphMastery.from_params(GRAPH, q)
    state = twin.initial_state(5)
    wrong = twin.update(state, pre, False)
    drop_succ = state.p(succ) - wrong.p(succ)
    drop_other = state.p(other) - wrong.p(other)
    assert drop_succ > 0.01
    assert drop_succ == pytest.approx(drop_other, abs=1e-9)


def _logistic(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    from scipy.optimize import minimize
    from scipy.special import expit

    Xb = np.c_[np.ones(len(X)), X]

    def f(w):
        z = Xb @ w
        return float((np.logaddexp(0, z) - y * z).sum()), Xb.T @ (expit(z) - y)

    return minimize(f, np.zeros(Xb.shape[1]), jac=True, method="L-BFGS-B").x


def test_the_edges_carry_information_given_evidence_on_the_prerequisites(world):
    """Item 3 of issue 12, pinned down (``bench_models.py --edge-study`` gives the table).

    With below-grade (diagnostic) answers on half of each student's below-grade standards,
    judged on the held-out below-grade standards that are a direct prerequisite or successor
    of an answered one: a logistic layer on the model's ``logit(p_j)`` plus the residuals of
    the answered direct prerequisites and successors (answer minus P(correct)), fitted on half
    the students and scored on the others, beats the readout alone -- evidence travels along
    the edges beyond the strand abilities -- but by little (measured AUC 0.932 -> 0.935), far
    from what the true state of the direct prerequisites would add (0.947, the ceiling): one
    noisy answer per prerequisite says little. The model does not use the edges this way;
    if a change made it, the readout-alone AUC would rise and this test must be revisited.
    """
    from scipy.special import logit

    test, model, Y = world["test"], world["model"], world["Y"]
    ids = world["ids"]
    idx = {c: j for j, c in enumerate(CODES)}
    row = {s: i for i, s in enumerate(ids)}
    r = test.responses
    j_of = r["standard"].map(GRAPH.rollup).map(idx).to_numpy()
    i_of = r["student_id"].map(row).to_numpy()
    below_answer = world["std_grade"][j_of] < world["G"][i_of]
    half = np.random.default_rng(0).random(Y.shape) < 0.5
    kept = ~below_answer | half[i_of, j_of]
    EV = np.zeros(Y.shape, dtype=bool)
    EV[i_of[below_answer & kept], j_of[below_answer & kept]] = True
    P = _P(model, r[kept], world)
    A = np.zeros((len(CODES), len(CODES)))
    for c in CODES:
        for p in GRAPH.prerequisites(c):
            A[idx[p], idx[c]] = 1.0
    R = np.zeros(Y.shape)
    n = np.zeros(Y.shape)
    sel = below_answer & kept
    np.add.at(R, (i_of[sel], j_of[sel]),
              r["correct"].to_numpy(float)[sel] - (0.2 + 0.7 * P[i_of[sel], j_of[sel]]))
    np.add.at(n, (i_of[sel], j_of[sel]), 1.0)
    R = np.divide(R, n, out=np.zeros_like(R), where=n > 0)
    below = world["std_grade"][None, :] < world["G"][:, None]
    m = below & ~EV & ((EV.astype(float) @ (A + A.T)) > 0)
    true_pre = (Y.astype(float) @ A) / np.maximum(A.sum(axis=0), 1.0)
    X = np.c_[logit(np.clip(P[m], 1e-4, 1 - 1e-4)), (R @ A)[m], (R @ A.T)[m], true_pre[m]]
    y = Y[m].astype(float)
    fold = (np.arange(len(ids)) % 2)[np.nonzero(m)[0]]
    auc = {}
    for name, cols in (("readout", [0]), ("residuals", [0, 1, 2]), ("oracle", [0, 3])):
        score = np.empty(len(y))
        for f in (0, 1):
            w = _logistic(X[fold == f][:, cols], y[fold == f])
            score[fold != f] = np.c_[np.ones((fold != f).sum()), X[fold != f][:, cols]] @ w
        auc[name] = _auc(y > 0, score)
    print(f"\nnext to an answered below-grade standard, AUC: {auc}")
    assert m.sum() > 10_000
    assert 0.0005 <= auc["residuals"] - auc["readout"] <= 0.01
    assert auc["oracle"] - auc["readout"] >= 0.01


# ============================================================================ the simulator knob


def test_disruption_adds_standard_specific_gaps_and_is_off_by_default():
    """``KnowledgeParams.disruption`` (notes/mastery.md): off by default, so every calibrated
    district is unchanged; on, the same draws give a subset of the mastery (a standard missed
    whatever the ability), and the gaps reach the successors through the prerequisite gate."""
    from dataclasses import replace

    from sounding.simulate.calibration import DEFAULT_PARAMS

    assert DEFAULT_PARAMS.disruption == 0.0
    spec = DistrictSpec(n_students=300, seed=5)
    base = simulate_district(spec).truth_mastery.set_index("student_id")
    hit = simulate_district(replace(spec, knowledge=replace(DEFAULT_PARAMS, disruption=0.1))
                            ).truth_mastery.set_index("student_id").loc[base.index, base.columns]
    b, h = base.to_numpy(bool), hit.to_numpy(bool)
    assert b.mean() - h.mean() > 0.03
    # a successor whose prerequisite was disrupted is mastered far less often
    pre, succ = CODES.index("3.NF.A.1"), CODES.index("4.NF.B.3")
    lost = b[:, pre] & ~h[:, pre]
    assert lost.any()
    assert h[lost, succ].mean() < b[lost, succ].mean()
