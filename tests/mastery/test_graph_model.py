"""Graph-aware mastery: payoff against graph-blind baselines, monotonicity, calibration, API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import expit
from scipy.stats import rankdata

from sounding.errors import InvalidEvidence, NotFitted
from sounding.mastery.graph_model import GraphMastery, GraphParams
from sounding.progression import Standard, StandardsGraph, load_default


def roc_auc_score(y, score) -> float:
    """AUC as the Mann-Whitney statistic (ties count half)."""
    y = np.asarray(y, dtype=bool).ravel()
    r = rankdata(np.asarray(score, dtype=float).ravel())
    n1 = y.sum()
    n0 = y.size - n1
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


@pytest.fixture(scope="module")
def graph() -> StandardsGraph:
    return load_default().k8_algebra1()


# ---------------------------------------------------------------------------- simulated data
def _course_grades(d) -> dict:
    """Model grades: the student's grade, HS for grade-8 students placed in Algebra I."""
    ts = d.truth_students
    return {s: (9 if a else int(g))
            for s, g, a in zip(ts["student_id"], ts["grade"], ts["algebra1"], strict=True)}


@pytest.fixture(scope="module")
def sim(graph: StandardsGraph) -> dict:
    """Two simulated districts: fit on one (full evidence), judge on the other."""
    from sounding.simulate import DistrictSpec, simulate_district

    train = simulate_district(DistrictSpec(n_students=3000, seed=1))
    test = simulate_district(DistrictSpec(n_students=3000, seed=2))
    codes = list(graph.standard_codes)
    model = GraphMastery(graph).fit(train.responses, _course_grades(train))
    ids = test.truth_students["student_id"].to_numpy()
    return {
        "model": model, "train": train.responses, "test": test.responses,
        "ids": ids, "grade": test.truth_students["grade"].to_numpy(),
        "grades": _course_grades(test), "codes": codes,
        "std_grade": np.array([graph[c].grade_num for c in codes]),
        "truth": test.truth_mastery.set_index("student_id").loc[ids, codes].to_numpy(bool),
        "truth_train": train.truth_mastery[codes].to_numpy(bool),
    }


def _P(pm, ids) -> np.ndarray:
    pos = {u: i for i, u in enumerate(pm.user_ids)}
    return pm.p[np.array([pos[u] for u in ids])].astype(float)


def _bkt_frame(responses: pd.DataFrame, graph: StandardsGraph) -> pd.DataFrame:
    return pd.DataFrame({"user_id": responses["student_id"],
                         "skill_name": responses["standard"].map(graph.rollup),
                         "correct": responses["correct"]})


# ---------------------------------------------------------------------------- payoff
def test_payoff_below_grade_from_grade_level_evidence(graph, sim):
    """Grade-level answers only: the graph model finds below-grade gaps a graph-blind one can't.

    Baselines: a per-standard model fitted on the training district (BKT without learning:
    prior, guess, slip per standard by EM; for an untested standard it can only say its prior)
    and, stronger than any real per-standard model, the true mastery rate per standard in the
    training district.
    """
    test = sim["test"]
    std_grade = test["standard"].map(lambda c: graph[graph.rollup(c)].grade_num).to_numpy()
    on_grade = test[std_grade >= test["student_id"].map(sim["grades"]).to_numpy()]
    assert len(on_grade) < len(test)
    P = _P(sim["model"].posterior_matrix(on_grade, sim["grades"]), sim["ids"])
    Y = sim["truth"]
    below = sim["std_grade"][None, :] < sim["grade"][:, None]
    B = _per_standard_posterior(_bkt_frame(sim["train"], graph), _bkt_frame(on_grade, graph),
                                sim["ids"], sim["codes"])
    pooled = np.broadcast_to(sim["truth_train"].mean(axis=0), P.shape)

    def score(X: np.ndarray) -> tuple[float, float]:
        return (float(((X[below] > 0.5) == Y[below]).mean()),
                float(roc_auc_score(Y[below], X[below])))

    acc_g, auc_g = score(P)
    acc_b, auc_b = score(B)
    acc_p, auc_p = score(pooled)
    print(f"\nbelow-grade standards, grade-level evidence only ({below.sum()} pairs):"
          f"\n  graph-aware              acc {acc_g:.3f}  AUC {auc_g:.3f}"
          f"\n  per-standard (BKT-like)  acc {acc_b:.3f}  AUC {auc_b:.3f}"
          f"\n  true rate per standard   acc {acc_p:.3f}  AUC {auc_p:.3f}")
    assert acc_g >= acc_b + 0.05 and auc_g >= auc_b + 0.05
    assert acc_g >= acc_p + 0.05 and auc_g >= auc_p + 0.05


def test_full_evidence_beats_per_standard_model(graph, sim):
    """With every answer, the graph model still classifies all standards better than the
    per-standard model (BKT without learning)."""
    P = _P(sim["model"].posterior_matrix(sim["test"], sim["grades"]), sim["ids"])
    Y = sim["truth"]
    B = _per_standard_posterior(_bkt_frame(sim["train"], graph), _bkt_frame(sim["test"], graph),
                                sim["ids"], sim["codes"])
    below = sim["std_grade"][None, :] < sim["grade"][:, None]
    for name, mask in (("all", np.ones_like(Y)), ("below grade", below)):
        ag = ((P[mask] > 0.5) == Y[mask]).mean()
        ab = ((B[mask] > 0.5) == Y[mask]).mean()
        print(f"\nfull evidence, {name}: graph acc {ag:.3f} "
              f"AUC {roc_auc_score(Y[mask], P[mask]):.3f} | per-standard acc {ab:.3f} "
              f"AUC {roc_auc_score(Y[mask], B[mask]):.3f}")
    assert ((P > 0.5) == Y).mean() > ((B > 0.5) == Y).mean() + 0.05
    assert roc_auc_score(Y.ravel(), P.ravel()) > roc_auc_score(Y.ravel(), B.ravel()) + 0.05


def _per_standard_posterior(train: pd.DataFrame, test: pd.DataFrame, test_ids, codes):
    """Per-standard two-class model (prior, guess, slip by EM): the graph-blind baseline."""
    J = len(codes)
    idx = {c: j for j, c in enumerate(codes)}

    def counts(df, ids):
        pos = {u: i for i, u in enumerate(ids)}
        nc = np.zeros((len(ids), J))
        nt = np.zeros((len(ids), J))
        r = df["user_id"].map(pos).to_numpy()
        c = df["skill_name"].map(idx).to_numpy()
        np.add.at(nc, (r, c), df["correct"].to_numpy(dtype=float))
        np.add.at(nt, (r, c), 1)
        return nc, nt

    tr_ids = train["user_id"].unique()
    nc, nt = counts(train, tr_ids)
    prior, guess, slip = np.full(J, 0.5), np.full(J, 0.2), np.full(J, 0.1)

    def post(nc, nt):
        nw = nt - nc
        l1 = np.log(prior) + nc * np.log(1 - slip) + nw * np.log(slip)
        l0 = np.log(1 - prior) + nc * np.log(guess) + nw * np.log(1 - guess)
        return expit(l1 - l0)

    for _ in range(100):
        p = post(nc, nt)
        has = nt > 0
        prior = np.clip((p * has).sum(0) / np.maximum(has.sum(0), 1), 0.01, 0.99)
        guess = np.clip(((1 - p) * nc).sum(0) / np.maximum(((1 - p) * nt).sum(0), 1e-9),
                        0.01, 0.4)
        slip = np.clip((p * (nt - nc)).sum(0) / np.maximum((p * nt).sum(0), 1e-9), 0.01, 0.4)
    return post(*counts(test, list(test_ids)))


# ---------------------------------------------------------------------------- calibration
def test_calibration_reliability(graph, sim):
    """Reliability over every student x standard of the held-out district (10 bins)."""
    P = _P(sim["model"].posterior_matrix(sim["test"], sim["grades"]), sim["ids"]).ravel()
    Y = sim["truth"].ravel()
    bins = np.minimum((P * 10).astype(int), 9)
    print("\nreliability (bin: n, mean predicted, observed):")
    worst = 0.0
    for b in range(10):
        m = bins == b
        if m.sum() < 200:
            continue
        gap = abs(P[m].mean() - Y[m].mean())
        worst = max(worst, gap)
        print(f"  {b / 10:.1f}-{(b + 1) / 10:.1f}: {m.sum():7d} "
              f"{P[m].mean():.3f} {Y[m].mean():.3f}")
    print(f"  largest gap {worst:.3f}")
    assert worst <= 0.1


def test_sd_shrinks_with_evidence(graph, sim):
    model = sim["model"]
    few = sim["test"].groupby("student_id").head(3)
    sd_few = model.posterior_matrix(few, sim["grades"]).sd.mean()
    sd_many = model.posterior_matrix(sim["test"], sim["grades"]).sd.mean()
    assert sd_many < sd_few


# ---------------------------------------------------------------------------- API behaviour
def test_unknown_standard_is_invalid_evidence(graph, sim):
    bad = pd.DataFrame({"user_id": ["a", "a"], "skill_name": ["4.NF.B.3", "9.ZZ.Q.1"],
                        "correct": [1, 0], "order_id": [1, 2]})
    with pytest.raises(InvalidEvidence) as exc:
        sim["model"].posterior(bad)
    prob = exc.value.problems[0]
    assert prob.field == "skill_name" and prob.line == 3 and "9.ZZ.Q.1" in prob.message
    with pytest.raises(InvalidEvidence):
        GraphMastery(graph).fit(bad)


def test_bad_correct_value_is_invalid_evidence(sim):
    bad = pd.DataFrame({"user_id": ["a"], "skill_name": ["4.NF.B.3"], "correct": [2]})
    with pytest.raises(InvalidEvidence) as exc:
        sim["model"].posterior(bad)
    assert exc.value.problems[0].field == "correct"


def test_not_fitted(graph):
    with pytest.raises(NotFitted):
        GraphMastery(graph).posterior(pd.DataFrame({"user_id": ["a"], "skill_name": ["4.NF.B.3"],
                                                    "correct": [1]}))


def test_posterior_covers_untested_standards(graph, sim):
    model = sim["model"]
    strong = [("s", "5.NF.A.1", 1), ("s", "5.NF.B.3", 1), ("s", "5.NBT.B.7", 1),
              ("s", "5.NF.A.2", 1)]
    weak = [("w", c, 0) for _, c, _ in strong]
    df = pd.DataFrame(strong + weak, columns=["user_id", "skill_name", "correct"])
    post = model.posterior(df, {"s": 5, "w": 5})
    J = len(graph.standard_codes)
    assert len(post) == 2 * J
    assert set(post["standard"].astype(str)) == set(graph.standard_codes)
    assert list(post.columns) == ["user_id", "standard", "p_mastered", "sd", "n_evidence"]
    wide = post.pivot(index="standard", columns="user_id", values="p_mastered")
    # an untested prerequisite of 5.NF.A.1 is informed by the grade-level answers
    assert post.set_index(["user_id", "standard"]).loc[("s", "4.NF.B.3"), "n_evidence"] == 0
    assert wide.loc["4.NF.B.3", "s"] > wide.loc["4.NF.B.3", "w"] + 0.2
    assert post["p_mastered"].between(0, 1).all()


def test_substandard_codes_roll_up(graph, sim):
    model = sim["model"]
    sub = pd.DataFrame({"user_id": ["a"], "skill_name": ["4.NF.B.3a"], "correct": [1]})
    std = pd.DataFrame({"user_id": ["a"], "skill_name": ["4.NF.B.3"], "correct": [1]})
    a = model.posterior(sub, {"a": 4})
    b = model.posterior(std, {"a": 4})
    np.testing.assert_allclose(a["p_mastered"], b["p_mastered"])


def test_aliases_and_students_without_answers(graph, sim):
    model = sim["model"]
    df = pd.DataFrame({"student_id": ["a"], "standard": ["3.OA.A.1"], "correct": [1],
                       "timestamp": ["2025-09-01T10:00:00"]})
    post = model.posterior(df, {"a": 3, "b": 6})
    assert set(post["user_id"]) == {"a", "b"}
    assert post.loc[post["user_id"] == "b", "n_evidence"].sum() == 0


def test_predict_proba_uses_only_earlier_answers(graph, sim):
    """The incremental kernel agrees with recomputing the posterior from scratch."""
    model = sim["model"]
    resp = sim["test"]
    one = resp[resp["student_id"] == resp["student_id"].iloc[0]].sample(frac=1, random_state=3)
    pred = model.predict_proba(one, sim["grades"])
    assert pred.shape == (len(one),)
    order = np.argsort(one["timestamp"].to_numpy(), kind="stable")
    grade = sim["grades"][one["student_id"].iloc[0]]
    state = model.initial_state(grade)
    for k in order:
        row = one.iloc[k]
        assert pred[k] == pytest.approx(model.predict_correct(state, row["standard"]),
                                        abs=2e-6)
        state = model.update(state, row["standard"], int(row["correct"]))
    # and the final online state equals the batch posterior
    batch = model.posterior_matrix(one, sim["grades"]).p[0]
    np.testing.assert_allclose(state.p_mastered, batch, atol=1e-6)


def test_predict_proba_is_informative(sim):
    model = sim["model"]
    test = sim["test"]
    pred = model.predict_proba(test, sim["grades"])
    auc = roc_auc_score(test["correct"], pred)
    print(f"\nnext-answer AUC on held-out students: {auc:.3f}")
    assert auc > 0.7


def test_fit_improves_likelihood_and_respects_the_dag(graph, sim):
    model = sim["model"]
    assert model.loglik_[-1] > model.loglik_[0]
    p = model.params_
    idx = {c: j for j, c in enumerate(p.standards)}
    for a, b in graph.edges("standard"):
        assert p.intercept[idx[a]] >= p.intercept[idx[b]] - 1e-9
    assert np.all(np.diff(p.offset) >= -1e-9)
    assert np.all(p.guess < 0.5) and np.all(p.slip < 0.5)
    assert set(p.to_dict()["standards"]) == set(graph.standard_codes)


# ---------------------------------------------------------------------------- monotonicity
def _small_graph() -> StandardsGraph:
    """Six standards in two strands over grades 3-5 with a cross-strand edge."""
    def s(code: str, grade: str, domain: str) -> Standard:
        return Standard(code=code, grade=grade, domain_code=domain, emphasis="major")

    stds = [s("3.NF.A.1", "3", "NF"), s("3.OA.A.1", "3", "OA"), s("4.NF.B.3", "4", "NF"),
            s("4.OA.A.1", "4", "OA"), s("5.NF.A.1", "5", "NF"), s("5.OA.A.1", "5", "OA")]
    edges = [("3.NF.A.1", "4.NF.B.3"), ("3.OA.A.1", "4.OA.A.1"), ("3.OA.A.1", "4.NF.B.3"),
             ("4.NF.B.3", "5.NF.A.1"), ("4.OA.A.1", "5.OA.A.1"), ("4.OA.A.1", "5.NF.A.1")]
    return StandardsGraph(stds, edges, name="small")


SMALL = _small_graph()
CODES = list(SMALL.standard_codes)
_answers = st.lists(st.tuples(st.sampled_from(CODES), st.booleans()), max_size=8)


@st.composite
def _params(draw) -> GraphParams:
    p = GraphParams.default(SMALL)
    J, S = len(p.standards), len(p.strands)
    floats = st.floats
    p.intercept = np.array(draw(st.lists(floats(-4, 4), min_size=J, max_size=J)))
    p.offset = np.sort(np.array(draw(st.lists(floats(-5, 3), min_size=7, max_size=7))))
    p.offset -= p.offset[2]
    p.scale = np.array(draw(st.lists(floats(0.3, 6), min_size=S, max_size=S)))
    p.loading = np.array(draw(st.lists(floats(0.0, 0.95), min_size=S, max_size=S)))
    p.guess = np.array(draw(st.lists(floats(0.01, 0.4), min_size=J, max_size=J)))
    p.slip = np.array(draw(st.lists(floats(0.01, 0.4), min_size=J, max_size=J)))
    return p


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=_params(), history=_answers, new=st.sampled_from(CODES),
       grade=st.integers(3, 6))
def test_monotonicity(params, history, new, grade):
    """A correct answer never lowers a prerequisite's P(mastered) (nor any standard's);
    a wrong answer on a prerequisite never raises what rests on it (nor anything else)."""
    model = GraphMastery.from_params(SMALL, params, n_ability_points=15, n_strand_points=21)
    state = model.initial_state(grade)
    for code, ok in history:
        state = model.update(state, code, ok)
    right = model.update(state, new, True)
    wrong = model.update(state, new, False)
    idx = {c: j for j, c in enumerate(CODES)}
    tol = 1e-6
    for pre in SMALL.prerequisites(new, transitive=True):
        assert right.p_mastered[idx[pre]] >= state.p_mastered[idx[pre]] - tol
    for succ in SMALL.successors(new, transitive=True):
        assert wrong.p_mastered[idx[succ]] <= state.p_mastered[idx[succ]] + tol
    assert np.all(right.p_mastered >= state.p_mastered - tol)
    assert np.all(wrong.p_mastered <= state.p_mastered + tol)
    assert right.p(new) >= wrong.p(new)


def _bkt_matrix(graph, train: pd.DataFrame, test: pd.DataFrame, ids, codes) -> np.ndarray:
    """The real BKT: P(mastered) after each student's answers; its prior where none."""
    from sounding.mastery.bkt import BKT

    def frame(r: pd.DataFrame) -> pd.DataFrame:
        r = r.sort_values(["student_id", "timestamp"])
        return pd.DataFrame({"user_id": r["student_id"].to_numpy(),
                             "skill_name": r["standard"].map(graph.rollup).to_numpy(),
                             "correct": r["correct"].to_numpy(), "order_id": np.arange(len(r))})

    bkt = BKT(random_state=0).fit(frame(train))
    prior = bkt.params_["prior"].reindex(codes).fillna(0.5).to_numpy()
    B = np.broadcast_to(prior, (len(ids), len(codes))).copy()
    m = bkt.mastery(frame(test))
    rows = pd.Index(ids).get_indexer(m["user_id"])
    cols = pd.Index(codes).get_indexer(m["skill_name"])
    ok = (rows >= 0) & (cols >= 0)
    B[rows[ok], cols[ok]] = m["p_mastered"].to_numpy()[ok]
    return B


def test_graph_beats_real_bkt_on_below_grade_from_grade_level_evidence(graph, sim):
    """The acceptance check with the project's own BKT as the graph-blind model."""
    test = sim["test"]
    std_grade = test["standard"].map(lambda c: graph[graph.rollup(c)].grade_num).to_numpy()
    on_grade = test[std_grade >= test["student_id"].map(sim["grades"]).to_numpy()]
    P = _P(sim["model"].posterior_matrix(on_grade, sim["grades"]), sim["ids"])
    B = _bkt_matrix(graph, sim["train"], on_grade, sim["ids"], sim["codes"])
    Y = sim["truth"]
    below = sim["std_grade"][None, :] < sim["grade"][:, None]
    acc_g = ((P[below] > 0.5) == Y[below]).mean()
    acc_b = ((B[below] > 0.5) == Y[below]).mean()
    full = _bkt_matrix(graph, sim["train"], test, sim["ids"], sim["codes"])
    Pf = _P(sim["model"].posterior_matrix(test, sim["grades"]), sim["ids"])
    print(f"\nbelow grade, grade-level evidence only: graph acc {acc_g:.3f}, BKT acc {acc_b:.3f}"
          f"\nall standards, full evidence: graph acc {((Pf > 0.5) == Y).mean():.3f}, "
          f"BKT acc {((full > 0.5) == Y).mean():.3f}")
    assert acc_g >= acc_b + 0.05
    assert ((Pf > 0.5) == Y).mean() > ((full > 0.5) == Y).mean()


# ---------------------------------------------------------------------------- online update
def test_online_update_equals_the_batch_posterior_at_every_step(graph, sim):
    """The O(grid) update (strand grids kept in the state) against recomputing the whole
    posterior from the answers so far, after every answer, for p and sd."""
    model = sim["model"]
    resp = sim["test"]
    for sid in resp["student_id"].drop_duplicates().iloc[[0, 7, 40]]:
        one = resp[resp["student_id"] == sid].sort_values("timestamp").head(25)
        state = model.initial_state(sim["grades"][sid])
        for k in range(len(one)):
            row = one.iloc[k]
            state = model.update(state, row["standard"], int(row["correct"]))
            if k % 6 == 5 or k == len(one) - 1:
                batch = model.posterior_matrix(one.iloc[:k + 1], sim["grades"])
                np.testing.assert_allclose(state.p_mastered, batch.p[0], atol=2e-6)
                np.testing.assert_allclose(state.sd, batch.sd[0], atol=2e-6)
        assert state.n_answers == len(one)
    # a state without its grid (built by hand) is rebuilt from its counts, same answer
    from sounding.mastery.graph_model import MasteryState

    bare = MasteryState(state.grade, state.n_correct, state.n_wrong, state.p_mastered,
                        state.sd, state.standards)
    again = model.update(bare, "4.NF.B.3", 1)
    np.testing.assert_allclose(again.p_mastered,
                               model.update(state, "4.NF.B.3", 1).p_mastered, atol=1e-9)


def test_params_tables(graph, sim):
    """``params()`` returns the parameter table (pyBKT's name); ``params_`` is unchanged."""
    from sounding.mastery.bkt import BKT

    model = sim["model"]
    table = model.params()
    assert list(table.index) == list(graph.standard_codes)
    assert list(table.columns) == ["strand", "grade", "intercept", "slope", "guess", "slip"]
    np.testing.assert_array_equal(table["intercept"].to_numpy(), model.params_.intercept)
    bkt = BKT(n_restarts=1, max_iter=5, random_state=0).fit(
        sim["train"].head(3000).assign(standard=lambda d: d["standard"].map(graph.rollup)))
    t = bkt.params()
    pd.testing.assert_frame_equal(t, bkt.params_)
    t.iloc[0, 0] = -1.0  # a copy: changing it leaves the model alone
    assert bkt.params_.iloc[0, 0] != -1.0
    with pytest.raises(NotFitted):
        BKT().params()
    with pytest.raises(NotFitted):
        GraphMastery(graph).params()


def test_the_dag_projection_is_the_weighted_nearest_consistent_point():
    """``_graph_kernels.dag_isotonic`` against a general-purpose solver (SLSQP) on a random
    DAG: the intercepts nearest to the fitted ones in the information metric with every
    prerequisite no harder than its successor -- a violated edge moves the intercept the fit
    is less sure of."""
    from scipy.optimize import minimize

    from sounding.mastery import _graph_kernels as kern

    rng = np.random.default_rng(3)
    n = 25
    edges = [(i, j) for j in range(n) for i in range(j) if rng.random() < 0.12]
    pre = np.array([e[0] for e in edges], dtype=np.int64)
    succ = np.array([e[1] for e in edges], dtype=np.int64)
    c = rng.normal(size=n)
    w = rng.uniform(0.1, 5.0, n)
    x = kern.dag_isotonic(c, w, pre, succ, 1e-12, 100_000)
    assert np.all(x[pre] >= x[succ])
    cons = [{"type": "ineq", "fun": lambda v, i=i, j=j: v[i] - v[j]} for i, j in edges]
    ref = minimize(lambda v: float((w * (v - c) ** 2).sum()), c, constraints=cons,
                   method="SLSQP", options={"ftol": 1e-14, "maxiter": 1000}).x
    assert np.abs(x - ref).max() < 1e-5
    # one violated edge: the certain end barely moves
    x2 = kern.dag_isotonic(np.array([0.0, 1.0]), np.array([100.0, 1.0]),
                           np.array([0]), np.array([1]), 1e-12, 1000)
    assert x2[0] == pytest.approx(x2[1]) and x2[0] == pytest.approx(1.0 / 101.0)
