"""Every learner model against pyBKT in the same run: speed on 1 M answers, AUC on real data.

1. Speed: a simulated district (``sounding.simulate``, progression codes, ~47 answers per
   student) cut to ``--answers`` answers. Each model (``sounding.mastery.models``) is fitted
   on all of them and then predicts every answer from the student's earlier answers
   (``predict_proba``); pyBKT's C++ build (5 restarts, as our BKT) does the same.
2. Prediction: ASSISTments 2009 (AKT processing), next-answer AUC on its 5 published
   student folds, every model and pyBKT scored by the same ``cross_validate``. The graph
   model needs progression codes, which ASSISTments' skills are not: it is marked n/a.
3. ``--truth``: against the simulator's truth (two districts, fit on one, judge the other,
   as ``tests/mastery/test_truth.py``): placements, calibration, and what the prerequisite
   edges add, for the graph model and Best-LR with and without edges; ``--disruption P``
   simulates standard-specific gaps (``KnowledgeParams.disruption``).
4. ``--edge-study``: what the prerequisite edges add when there is evidence on the
   prerequisites themselves (below-grade diagnostic answers), :func:`bench_edge_study`.

Run ``bash bench/setup_pybkt.sh`` once, then
``.venv-bench/bin/python bench/bench_models.py [--answers 1000000] [--skip-assist]``, or
``.venv/bin/python bench/bench_models.py --truth [--disruption 0.1] --skip-speed
--skip-assist``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numba
import numpy as np
import pandas as pd

from sounding.evidence.kt_sequences import read_akt_folder
from sounding.mastery.evaluate import auc_score, cross_validate
from sounding.mastery.models import ANY_SKILLS, MODEL_NAMES, make_model
from sounding.progression import load_default
from sounding.simulate import DistrictSpec, simulate_district

ASSIST = Path(os.environ.get("SOUNDING_SHARED_DATA", Path(__file__).resolve().parents[2]
                             / "shared" / "data")) / "kt_akt" / "assist2009_pid"
GRAPH = load_default().k8_algebra1()


class PyBKT:
    """pyBKT behind ``fit`` / ``predict_proba`` (see bench_bkt.py)."""

    def __init__(self, seed: int = 0) -> None:
        from pyBKT.models import Model

        self.model = Model(seed=seed, num_fits=5, parallel=True)

    def fit(self, responses: pd.DataFrame, grades: object = None) -> PyBKT:
        self.model.fit(data=responses[["user_id", "skill_name", "correct", "order_id"]]
                       .reset_index(drop=True))
        return self

    def predict_proba(self, responses: pd.DataFrame, grades: object = None) -> np.ndarray:
        out = self.model.predict(data=responses[["user_id", "skill_name", "correct",
                                                 "order_id"]].reset_index(drop=True))
        return out.sort_index()["correct_predictions"].to_numpy(dtype=np.float64)


def district_answers(n_answers: int, seed: int) -> tuple[pd.DataFrame, dict]:
    n_students = int(n_answers / 45) + 500
    d = simulate_district(DistrictSpec(n_students=n_students, seed=seed))
    r = d.responses.sort_values(["student_id", "timestamp"], kind="stable")
    keep = r["student_id"].isin(pd.unique(r["student_id"]).tolist())
    r = r[keep].head(n_answers)
    df = pd.DataFrame({"user_id": r["student_id"].to_numpy(),
                       "skill_name": r["standard"].map(GRAPH.rollup).to_numpy(),
                       "problem_id": r["item_id"].to_numpy(),
                       "correct": r["correct"].to_numpy(dtype=np.int8),
                       "order_id": np.arange(len(r))})
    ts = d.truth_students
    grades = {s: (9 if a else int(g)) for s, g, a in
              zip(ts["student_id"], ts["grade"], ts["algebra1"], strict=True)}
    return df, grades


def bench_speed(n_answers: int, seed: int, with_pybkt: bool) -> None:
    df, grades = district_answers(n_answers, seed)
    print(f"== speed: {len(df):,} answers, {df.user_id.nunique():,} students, "
          f"{df.skill_name.nunique()} standards (simulated district); numba threads "
          f"{numba.get_num_threads()}, cpus {os.cpu_count()}")
    small = df.head(5000)
    rows = []
    runs = [(n, lambda n=n: make_model(n, seed=seed, graph=GRAPH)) for n in MODEL_NAMES]
    if with_pybkt:
        runs.append(("pyBKT (C++)", lambda: PyBKT(seed)))
    for name, factory in runs:
        if name != "pyBKT (C++)":
            factory().fit(small, grades).predict_proba(small, grades)  # compile the kernels
        t0 = time.perf_counter()
        model = factory().fit(df, grades)
        t_fit = time.perf_counter() - t0
        t0 = time.perf_counter()
        p = model.predict_proba(df, grades)
        t_pred = time.perf_counter() - t0
        rows.append({"model": name, "fit s": t_fit, "predict s": t_pred,
                     "answers/s (fit)": len(df) / t_fit,
                     "in-sample AUC": auc_score(df["correct"].to_numpy(), p)})
        print(f"  {name:12s} fit {t_fit:7.2f} s  predict {t_pred:7.2f} s", flush=True)
    print(pd.DataFrame(rows).set_index("model").round(3).to_string())


def bench_assist(seed: int, with_pybkt: bool) -> None:
    if not ASSIST.is_dir():
        print(f"== ASSISTments 2009 skipped: {ASSIST} not found")
        return
    df = read_akt_folder(ASSIST)
    print(f"== ASSISTments 2009 (AKT): {len(df):,} answers, {df.user_id.nunique():,} students, "
          f"{df.skill_name.nunique()} skills; the 5 given student folds, next-answer AUC")
    runs = {n: (lambda n=n: make_model(n, seed=seed)) for n in ANY_SKILLS}
    if with_pybkt:
        runs["pyBKT (C++)"] = lambda: PyBKT(seed)
    rows = {}
    for name, factory in runs.items():
        t0 = time.perf_counter()
        res = cross_validate(df, folds="fold", model_factory=factory, seed=seed, model_name=name)
        rows[name] = [f.auc for f in res.folds] + [res.overall.auc, res.overall.rmse,
                                                   time.perf_counter() - t0]
        print(f"  {name:12s} pooled AUC {res.overall.auc:.4f}", flush=True)
    cols = [f"fold {f}" for f in range(1, 6)] + ["pooled AUC", "RMSE", "seconds"]
    table = pd.DataFrame(rows, index=cols).T.round(4)
    print(table.to_string())
    print("graph: n/a (ASSISTments skills are not progression codes)")


def bench_truth(n_students: int, disruption: float, names: list[str]) -> None:
    import tempfile
    from dataclasses import replace

    from scipy.stats import rankdata

    from sounding.mastery.graph_model import GraphMastery
    from sounding.mastery.logistic import LogisticMastery
    from sounding.mastery.pipeline import cap_strand_ends
    from sounding.mastery.profile import compute_icebergs
    from sounding.progression import StandardsGraph
    from sounding.simulate import read_truth, write_district
    from sounding.simulate.calibration import DEFAULT_PARAMS

    codes = list(GRAPH.standard_codes)
    kp = replace(DEFAULT_PARAMS, disruption=disruption)

    def grades_of(d) -> dict:
        ts = d.truth_students
        return {s: (9 if a else int(g)) for s, g, a in
                zip(ts["student_id"], ts["grade"], ts["algebra1"], strict=True)}

    def auc(y: np.ndarray, s: np.ndarray) -> float:
        r = rankdata(s)
        n1 = y.sum()
        return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * (y.size - n1)))

    train = simulate_district(DistrictSpec(n_students=n_students, seed=1, knowledge=kp))
    test = simulate_district(DistrictSpec(n_students=n_students, seed=2, knowledge=kp))
    out = tempfile.mkdtemp()
    write_district(test, out)
    truth = read_truth(out)
    grades = grades_of(test)
    ids = test.truth_students["student_id"].to_numpy()
    Y = truth.pivot(index="student_id", columns="standard", values="mastered"
                    ).loc[ids, codes].to_numpy(bool)
    G = np.array([grades[s] for s in ids])
    SG = np.array([GRAPH[c].grade_num for c in codes])
    sg = test.responses["standard"].map(lambda c: GRAPH[GRAPH.rollup(c)].grade_num)
    on_grade = test.responses[sg.to_numpy() >= test.responses["student_id"].map(grades)
                              .to_numpy()]
    students = pd.DataFrame({"student_id": ids, "grade": G})
    tr = truth.rename(columns={"mastered": "p_mastered"})
    tr["p_mastered"] = tr["p_mastered"].astype(float)
    key = ["student_id", "strand"]
    true = cap_strand_ends(compute_icebergs(tr, students, GRAPH), GRAPH).strands.sort_values(key)
    t = true["grades_below"].to_numpy(float)

    def readout(model, resp) -> tuple[np.ndarray, pd.DataFrame]:
        if isinstance(model, GraphMastery):
            post = model.posterior(resp, grades)
        else:
            post = model.posterior(resp, grades).rename(columns={"skill_name": "standard"})
        post = post[post["user_id"].isin(set(ids))]
        w = post.pivot(index="user_id", columns="standard", values="p_mastered")
        return w.loc[ids, codes].to_numpy(float), post.rename(columns={"user_id": "student_id"})

    def worst_gap(p: np.ndarray, y: np.ndarray) -> float:
        b = np.minimum((p * 10).astype(int), 9)
        return max(abs(p[b == k].mean() - y[b == k].mean()) for k in range(10)
                   if (b == k).sum() >= 200)

    flat = StandardsGraph(list(GRAPH), [], name="no prerequisite edges")
    rows = []
    for name in names:
        t0 = time.perf_counter()
        if name.startswith("graph"):
            g = flat if name.endswith("no-edges") else GRAPH
            model = GraphMastery(g).fit(train.responses, grades_of(train))
        else:
            model = LogisticMastery(name.replace(" no-edges", ""), graph=GRAPH,
                                    use_prerequisites=not name.endswith("no-edges")
                                    ).fit(train.responses, grades_of(train))
        fit_s = time.perf_counter() - t0
        _, post = readout(model, test.responses)
        est = cap_strand_ends(compute_icebergs(post, students, GRAPH), GRAPH).strands
        e = est.sort_values(key)["grades_below"].to_numpy(float)
        P, _ = readout(model, on_grade)
        below = SG[None, :] < G[:, None]
        rows.append({
            "model": name, "fit s": fit_s, "est grades below": e.mean(),
            "true grades below": t.mean(), "exact": (e == t).mean(),
            "within one": (np.abs(e - t) <= 1).mean(),
            "on-grade placed below": (e[t == 0] >= 1).mean(),
            "worst calibration gap": worst_gap(P.ravel(), Y.ravel()),
            "below-grade accuracy": ((P[below] > 0.5) == Y[below]).mean(),
            "below-grade AUC": auc(Y[below], P[below]),
        })
        print(f"  {name} done", flush=True)
    print(f"== against the simulator's truth: {n_students:,} + {n_students:,} students, "
          f"disruption {disruption}; placements from all answers, calibration and "
          "below-grade figures from grade-level answers only")
    print(pd.DataFrame(rows).set_index("model").round(3).to_string())


def _fit_logistic(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Plain logistic regression (intercept first) by L-BFGS: the stacking layer of
    :func:`bench_edge_study`, a handful of columns."""
    from scipy.optimize import minimize
    from scipy.special import expit

    Xb = np.c_[np.ones(len(X)), X]

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = Xb @ w
        ll = np.logaddexp(0, z) - y * z
        return float(ll.sum() + 1e-3 * w @ w), Xb.T @ (expit(z) - y) + 2e-3 * w

    return minimize(f, np.zeros(Xb.shape[1]), jac=True, method="L-BFGS-B").x


def bench_edge_study(n_students: int, disruption: float) -> None:
    """When do the progression's edges carry information beyond the strand abilities?

    Train the graph model with and without its edges on one district (all answers); on
    another, give it (a) the grade-level answers only, (b) those plus the below-grade
    (diagnostic) answers on a random half of each student's below-grade standards, i.e.
    evidence on prerequisites themselves; judge P(mastered) against the truth on the
    below-grade standards outside the evidence, all of them and those that are a direct
    prerequisite or successor of an answered one. Then the information along the edges
    beyond the model: a logistic layer on ``logit(p_j)`` plus the residuals (answer minus
    its predicted P(correct)) of the student's answered direct prerequisites and successors
    of ``j``, fitted on half the students and scored on the other half (2 folds); and, as
    the ceiling, the same layer on the true share of ``j``'s direct prerequisites mastered.
    """
    from dataclasses import replace

    from scipy.special import logit
    from scipy.stats import rankdata

    from sounding.mastery.graph_model import GraphMastery
    from sounding.progression import StandardsGraph
    from sounding.simulate.calibration import DEFAULT_PARAMS

    codes = list(GRAPH.standard_codes)
    idx = {c: j for j, c in enumerate(codes)}
    sg_of = np.array([GRAPH[c].grade_num for c in codes])

    def auc(y: np.ndarray, s: np.ndarray) -> float:
        r = rankdata(s)
        n1 = y.sum()
        return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * (y.size - n1)))

    def grades_of(d) -> dict:
        ts = d.truth_students
        return {s: (9 if a else int(g)) for s, g, a in
                zip(ts["student_id"], ts["grade"], ts["algebra1"], strict=True)}

    kp = replace(DEFAULT_PARAMS, disruption=disruption)
    train = simulate_district(DistrictSpec(n_students=n_students, seed=1, knowledge=kp))
    test = simulate_district(DistrictSpec(n_students=n_students, seed=2, knowledge=kp))
    grades = grades_of(test)
    tm = test.truth_mastery.set_index("student_id")
    ids = tm.index.to_numpy()
    Y = tm.loc[ids, codes].to_numpy(bool)
    G = np.array([grades[s] for s in ids])
    row = {s: i for i, s in enumerate(ids)}
    r = test.responses
    j_of = r["standard"].map(GRAPH.rollup).map(idx).to_numpy()
    i_of = r["student_id"].map(row).to_numpy()
    below_answer = sg_of[j_of] < G[i_of]
    half = np.random.default_rng(0).random(Y.shape) < 0.5   # per student x standard
    keep_b = ~below_answer | half[i_of, j_of]
    evidence = {"grade-level": r[~below_answer],
                "grade-level + half the below-grade": r[keep_b]}
    EV = np.zeros(Y.shape, dtype=bool)
    EV[i_of[below_answer & keep_b], j_of[below_answer & keep_b]] = True
    A = np.zeros((len(codes), len(codes)))
    for c in codes:
        for p in GRAPH.prerequisites(c):
            if p in idx:
                A[idx[p], idx[c]] = 1.0
    near = (EV.astype(float) @ (A + A.T)) > 0
    below = sg_of[None, :] < G[:, None]
    judged = {"held-out below-grade": below & ~EV,
              "  of which next to an answered one": below & ~EV & near}
    flat = StandardsGraph(list(GRAPH), [], name="no prerequisite edges")
    rows, P_pre = [], {}
    for name, g in (("graph", GRAPH), ("graph no-edges", flat)):
        model = GraphMastery(g).fit(train.responses, grades_of(train))
        for ev_name, ev in evidence.items():
            pm = model.posterior_matrix(ev, grades)
            P = pm.p[pd.Index(pm.user_ids).get_indexer(ids)][
                :, pd.Index(model.standards).get_indexer(codes)].astype(float)
            if ev_name != "grade-level":
                P_pre[name] = P
            for j_name, m in judged.items():
                rows.append({"model": name, "evidence": ev_name, "judged": j_name,
                             "n": int(m.sum()), "accuracy": ((P[m] > 0.5) == Y[m]).mean(),
                             "AUC": auc(Y[m], P[m])})
    print(f"== edges with evidence on prerequisites: {n_students:,} + {n_students:,} students, "
          f"disruption {disruption}")
    print(pd.DataFrame(rows).set_index(["model", "evidence", "judged"]).round(4).to_string())
    # the information along the edges beyond the model (no-edges readout + edge residuals)
    P = P_pre["graph no-edges"]
    ev = r[keep_b & below_answer]
    ei = ev["student_id"].map(row).to_numpy()
    ej = ev["standard"].map(GRAPH.rollup).map(idx).to_numpy()
    R = np.zeros(Y.shape)
    n_ans = np.zeros(Y.shape)
    np.add.at(R, (ei, ej), ev["correct"].to_numpy(float) - (0.2 + 0.7 * P[ei, ej]))
    np.add.at(n_ans, (ei, ej), 1.0)
    R = np.divide(R, n_ans, out=np.zeros_like(R), where=n_ans > 0)
    m = judged["  of which next to an answered one"]
    n_pre = np.maximum(A.sum(axis=0), 1.0)
    true_pre = (Y.astype(float) @ A) / n_pre   # share of j's direct prerequisites mastered
    X = np.c_[logit(np.clip(P[m], 1e-4, 1 - 1e-4)), (R @ A)[m], (R @ A.T)[m], true_pre[m]]
    y = Y[m].astype(float)
    fold = (np.arange(len(ids)) % 2)[np.nonzero(m)[0]]
    out = {}
    for cols, label in (([0], "readout only"), ([0, 1, 2], "readout + edge residuals"),
                        ([0, 3], "readout + true state of the prerequisites (oracle)")):
        s = np.empty(len(y))
        for f in (0, 1):
            w = _fit_logistic(X[fold == f][:, cols], y[fold == f])
            s[fold != f] = np.c_[np.ones((fold != f).sum()), X[fold != f][:, cols]] @ w
            if cols == [0, 1, 2]:
                out[f"weights fold {f} (1, logit p, prerequisites, successors)"] = w.round(2)
        out[label] = f"accuracy {((s > 0) == (y > 0)).mean():.4f} AUC {auc(y > 0, s):.4f}"
    for k, v in out.items():
        print(f"  stacked, next to an answered one: {k}: {v}")


def order_edges(df: pd.DataFrame, min_students: int = 50, share: float = 0.8,
                per_skill: int = 3) -> list[tuple[str, str]]:
    """Curriculum-order edges of a data set without a progression: ``a -> b`` when at least
    ``share`` of the students who met both skills met ``a`` first (at most ``per_skill`` per
    ``b``, the most shared first). Built from the order of the answers, never from their
    correctness, so using them in cross-validation leaks no outcome."""
    first = df.groupby(["user_id", "skill_name"])["order_id"].min().reset_index()
    piv = first.pivot(index="user_id", columns="skill_name", values="order_id")
    skills = list(piv.columns)
    A = piv.to_numpy(dtype=float)
    seen = ~np.isnan(A)
    edges = []
    for j, b in enumerate(skills):
        cand = []
        for i, a in enumerate(skills):
            both = seen[:, i] & seen[:, j]
            n = int(both.sum())
            if i != j and n >= min_students and (A[both, i] < A[both, j]).mean() >= share:
                cand.append((n, a))
        edges += [(a, b) for _, a in sorted(cand, reverse=True)[:per_skill]]
    return edges


def bench_assist_edges(seed: int) -> None:
    """What prerequisite-like edges add on real data (best-lr with and without them)."""
    if not ASSIST.is_dir():
        return
    df = read_akt_folder(ASSIST)
    edges = order_edges(df)
    print(f"== ASSISTments 2009: best-lr with {len(edges)} curriculum-order edges vs without")
    for use in (True, False):
        res = cross_validate(df, folds="fold", seed=seed, model_factory=lambda u=use: make_model(
            "best-lr", prerequisites=edges, use_prerequisites=u))
        print(f"  {'with' if use else 'without'} edges: pooled AUC {res.overall.auc:.4f} "
              f"folds {' '.join(f'{f.auc:.4f}' for f in res.folds)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-assist", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--no-pybkt", action="store_true", help="Without pyBKT (not installed).")
    ap.add_argument("--truth", action="store_true", help="Also the simulator-truth study.")
    ap.add_argument("--assist-edges", action="store_true",
                    help="Also best-lr with / without curriculum-order edges on ASSISTments.")
    ap.add_argument("--truth-students", type=int, default=2000)
    ap.add_argument("--disruption", type=float, default=0.0)
    ap.add_argument("--truth-models", default="graph,graph no-edges,best-lr,best-lr no-edges")
    ap.add_argument("--edge-study", action="store_true",
                    help="Also: what the edges add with evidence on the prerequisites.")
    args = ap.parse_args()
    if args.edge_study:
        bench_edge_study(args.truth_students, args.disruption)
    if args.assist_edges:
        bench_assist_edges(args.seed)
    if args.truth:
        bench_truth(args.truth_students, args.disruption, args.truth_models.split(","))
    if not args.skip_speed:
        bench_speed(args.answers, args.seed, not args.no_pybkt)
    if not args.skip_assist:
        bench_assist(args.seed, not args.no_pybkt)


if __name__ == "__main__":
    main()
