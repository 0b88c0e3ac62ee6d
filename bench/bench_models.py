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
    args = ap.parse_args()
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
