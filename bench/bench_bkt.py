"""BKT: Sounding's numba EM against pyBKT's C++ build, in the same run.

1. Speed and parameter recovery: simulate answers from known parameters (50 skills, 20 answers
   per student per skill, interleaved in time), fit with 5 restarts, whole fit including data
   preparation; report seconds, the ratio, and the mean absolute error of (prior, learn,
   guess, slip) against the truth for both.
2. Prediction: ASSISTments 2009 (AKT processing), next-answer AUC on its 5 published student
   folds, both models scored by the same ``cross_validate`` code.

Run ``bash bench/setup_pybkt.sh`` once, then
``.venv-bench/bin/python bench/bench_bkt.py [--responses 1000000] [--skip-assist]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numba
import numpy as np
import pandas as pd

from sounding.evidence.kt_sequences import read_akt_folder
from sounding.mastery import BKT, cross_validate, simulate_bkt

PARAMS = ["prior", "learn", "guess", "slip"]
N_SKILLS, N_ANSWERS = 50, 20
ASSIST = Path(os.environ.get("SOUNDING_SHARED_DATA", Path(__file__).resolve().parents[2]
                             / "shared" / "data")) / "kt_akt" / "assist2009_pid"


def truth_params(n_skills: int, seed: int) -> pd.DataFrame:
    """Plausible skill-builder parameters (guess and slip below 0.3, as in real fits)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "prior": rng.uniform(0.1, 0.8, n_skills),
        "learn": rng.uniform(0.05, 0.4, n_skills),
        "guess": rng.uniform(0.05, 0.3, n_skills),
        "slip": rng.uniform(0.05, 0.3, n_skills),
    }, index=pd.Index([f"skill_{k:02d}" for k in range(n_skills)], name="skill_name"))


def mae(est: pd.DataFrame, truth: pd.DataFrame) -> float:
    return float((est.loc[truth.index, PARAMS] - truth[PARAMS]).abs().to_numpy().mean())


class PyBKTModel:
    """pyBKT behind the fit / predict_proba interface ``cross_validate`` expects."""

    def __init__(self, seed: int = 0, parallel: bool = True) -> None:
        from pyBKT.models import Model

        self.model = Model(seed=seed, num_fits=5, parallel=parallel)

    def fit(self, responses: pd.DataFrame) -> PyBKTModel:
        self.model.fit(data=responses.reset_index(drop=True))
        return self

    def predict_proba(self, responses: pd.DataFrame) -> np.ndarray:
        out = self.model.predict(data=responses.reset_index(drop=True))
        return out.sort_index()["correct_predictions"].to_numpy(dtype=np.float64)

    def params(self) -> pd.DataFrame:
        p = self.model.params().reset_index()
        wide = p.pivot_table(index="skill", columns="param", values="value", aggfunc="first")
        return wide.rename(columns={"learns": "learn", "guesses": "guess", "slips": "slip"})


def bench_fit(n_responses: int, seed: int, repeats: int) -> None:
    n_students = max(1, n_responses // (N_SKILLS * N_ANSWERS))
    truth = truth_params(N_SKILLS, seed)
    df = simulate_bkt(truth, n_students, N_ANSWERS, seed=seed + 1)
    # a log as a district would hand it over: rows in time order per student
    df = df.sort_values(["user_id", "order_id"], ignore_index=True)
    print(f"== fit: {len(df):,} responses, {N_SKILLS} skills, {n_students:,} students, "
          f"5 restarts; numba threads {numba.get_num_threads()}, cpus {os.cpu_count()}")

    BKT(n_restarts=5, random_state=0).fit(df.head(2000))  # load the compiled kernels
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ours = BKT(n_restarts=5, random_state=0).fit(df)
        times.append(time.perf_counter() - t0)
    t_ours = statistics.median(times)
    mae_ours = mae(ours.params_, truth)
    print(f"sounding BKT      {t_ours:8.3f} s (median of {repeats}: "
          f"{', '.join(f'{t:.3f}' for t in times)})  MAE {mae_ours:.4f}  "
          f"mean E-steps per skill {ours.n_iter_.mean():.1f}")

    peers = {}
    for parallel in (False, True):
        label = f"pyBKT parallel={parallel}"
        t0 = time.perf_counter()
        pb = PyBKTModel(seed=0, parallel=parallel).fit(df)
        t = time.perf_counter() - t0
        m = mae(pb.params(), truth)
        peers[label] = t
        print(f"{label:17s} {t:8.3f} s  MAE {m:.4f}  (ours/pyBKT MAE ratio "
              f"{mae_ours / m:.2f})")
    best_label = min(peers, key=peers.get)
    print(f"speed-up vs the faster pyBKT ({best_label}): {peers[best_label] / t_ours:.1f}x; "
          f"vs pyBKT default (parallel=True): {peers['pyBKT parallel=True'] / t_ours:.1f}x")


def bench_assist(seed: int) -> None:
    if not ASSIST.is_dir():
        print(f"== ASSISTments 2009 skipped: {ASSIST} not found")
        return
    df = read_akt_folder(ASSIST)
    print(f"== ASSISTments 2009 (AKT): {len(df):,} responses, {df.user_id.nunique():,} students, "
          f"{df.skill_name.nunique()} skills; 5 given student folds, next-answer AUC")
    runs = {
        "sounding BKT": lambda: BKT(random_state=seed),
        "sounding BKT forget": lambda: BKT(forget=True, random_state=seed),
        "pyBKT": lambda: PyBKTModel(seed=seed, parallel=False),
    }
    rows = {}
    for name, factory in runs.items():
        t0 = time.perf_counter()
        res = cross_validate(df, folds="fold", model_factory=factory, seed=seed, model_name=name)
        rows[name] = [f.auc for f in res.folds] + [res.overall.auc, res.overall.rmse,
                                                   time.perf_counter() - t0]
    cols = [f"fold {f}" for f in range(1, 6)] + ["pooled AUC", "RMSE", "seconds"]
    print(pd.DataFrame(rows, index=cols).T.round(4).to_string())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--responses", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-assist", action="store_true")
    args = ap.parse_args()
    bench_fit(args.responses, args.seed, args.repeats)
    if not args.skip_assist:
        bench_assist(args.seed)


if __name__ == "__main__":
    main()
