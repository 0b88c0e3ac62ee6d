"""Benchmark: student growth percentiles for a large cohort, ours vs R quantreg and statsmodels.

Simulates ``--students`` students with three grades of correlated integer scale scores (the
data-generating process of ``/work/shared/data/sgp/sgp_reference.R``, 8% missing the oldest
prior), then times, on the *same* data:

* ours: ``growth_percentiles_wide`` (order 2 with order-1 fallback, exact quantile regression);
* R quantreg ``pfn`` (Portnoy-Koenker interior point + preprocessing, the fast R option) on all
  students, through ``sgp_reference.R`` (its own compute time, and the wall time with startup
  and CSV reading);
* R quantreg ``br`` (Barrodale-Roberts, exact: the reference SGPs) on a ``--br-students`` subset,
  for the agreement check, and ours on that subset;
* statsmodels ``QuantReg`` (IRLS, not exact) on a ``--sm-students`` subset: it is slow, so it is
  timed on the subset only.

Run with the bench venv (``python3 -m venv .venv-bench && .venv-bench/bin/pip install -e .
statsmodels``) or any venv with sounding and statsmodels:

    .venv-bench/bin/python bench/bench_sgp.py                      # 1,000,000 students
    .venv-bench/bin/python bench/bench_sgp.py --students 20000     # quick

R comes from ``scripts/setup_r.sh``; without Rscript the R rows are skipped. ``--skip-r`` and
``--skip-statsmodels`` leave those peers out (for a quick look at our own time). The summary at
the end lists every time, the ratios and the agreement with ``br`` (share identical, max diff).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sounding.growth import growth_percentiles_wide
from sounding.growth.bspline import bs, knots_boundaries

REFERENCE_R = Path(os.environ.get("SOUNDING_SHARED_DATA", Path(__file__).resolve().parents[2]
                                  / "shared" / "data")) / "sgp" / "sgp_reference.R"
TAUS = (np.arange(1, 101) - 0.5) / 100
COLS = ("SGP_ORDER_1", "SGP_ORDER_2", "SGP")


def simulate(n: int, seed: int = 314159) -> pd.DataFrame:
    """Cohort with grade 6, 7, 8 scores, as ``simulate_cohort`` in sgp_reference.R."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    growth = rng.normal(0, 0.35, n)

    def score(g: int) -> np.ndarray:
        mu = 480 + 30 * (g - 3) + 45 * (theta + growth * (g - 6) / 3)
        e = rng.normal(size=n) * (18 + 6 * np.abs(theta))  # heteroscedastic noise
        return np.clip(np.round(mu + e), 150 + 20 * g, 700 + 30 * g)

    df = pd.DataFrame({"ID": np.arange(1, n + 1), "SS_G6": score(6), "SS_G7": score(7),
                       "SS_G8": score(8)})
    df.loc[rng.choice(n, round(0.08 * n), replace=False), "SS_G6"] = np.nan
    return df


def agreement(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, tuple[float, int, int]]:
    """Per column: % identical, max |diff|, rows compared (matched on ID)."""
    m = a[["ID", *COLS]].merge(b[["ID", *COLS]], on="ID", suffixes=("_a", "_b"))
    out = {}
    for c in COLS:
        x, y = m[c + "_a"].astype("Float64"), m[c + "_b"].astype("Float64")
        both = x.notna() & y.notna()
        d = (x[both] - y[both]).abs().astype(float)
        out[c] = (100.0 * float((d == 0).mean()), int(d.max()) if len(d) else 0, int(both.sum()))
    return out


def show_agreement(label: str, agr: dict[str, tuple[float, int, int]]) -> None:
    parts = [f"{c}: {p:.3f}% identical, max |diff| {m} (n={n})" for c, (p, m, n) in agr.items()]
    print(f"  {label}: " + "; ".join(parts))


def run_ours(df: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    res, wall, _ = run_ours_cpu(df)
    return res, wall


def run_ours_cpu(df: pd.DataFrame) -> tuple[pd.DataFrame, float, float]:
    """Our SGPs with wall seconds and CPU seconds (all threads: two on this machine)."""
    c0, t0 = time.process_time(), time.perf_counter()
    res = growth_percentiles_wide(df[["ID", "SS_G6", "SS_G7", "SS_G8"]])
    return res, time.perf_counter() - t0, time.process_time() - c0


def run_r(df: pd.DataFrame, method: str, workdir: Path) -> tuple[pd.DataFrame, float, float]:
    """Run sgp_reference.R; returns (SGPs, R's compute seconds, wall seconds)."""
    inp = workdir / f"in_{method}_{len(df)}.csv"
    out = workdir / f"out_{method}_{len(df)}.csv"
    df[["ID", "SS_G6", "SS_G7", "SS_G8"]].to_csv(inp, index=False, na_rep="NA")
    t0 = time.perf_counter()
    proc = subprocess.run(["Rscript", str(REFERENCE_R), str(len(df)), method, "2", str(out),
                           str(inp)], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"Rscript {method} failed:\n{proc.stderr[-2000:]}")
    m = re.search(r"total_s=([0-9.]+)", proc.stdout)
    return pd.read_csv(out), float(m.group(1)) if m else wall, wall


def run_statsmodels(df: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """The same SGP algorithm with statsmodels QuantReg (IRLS) as the solver."""
    from statsmodels.regression.quantile_regression import QuantReg

    kb = {c: knots_boundaries(df[c].to_numpy(float)) for c in ("SS_G6", "SS_G7")}
    priors = ("SS_G7", "SS_G6")
    t0 = time.perf_counter()
    res = df[["ID"]].copy()
    for k in (1, 2):
        sub = df.dropna(subset=list(priors[:k]))
        X = np.column_stack([np.ones(len(sub))] + [bs(sub[c].to_numpy(float), *kb[c])
                                                   for c in priors[:k]])
        y = sub["SS_G8"].to_numpy(float)
        model = QuantReg(y, X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            B = np.column_stack([model.fit(q=t, max_iter=5000).params for t in TAUS])
        pred = np.round(X @ B, 5)
        sgp = np.clip((pred < y[:, None]).sum(axis=1), 1, 99)
        res.loc[sub.index, f"SGP_ORDER_{k}"] = sgp
    res["SGP"] = res["SGP_ORDER_2"].fillna(res["SGP_ORDER_1"])
    return res, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=1_000_000)
    ap.add_argument("--br-students", type=int, default=100_000,
                    help="subset for R br (exact reference; slow: ~O(n^1.5))")
    ap.add_argument("--sm-students", type=int, default=100_000,
                    help="subset for statsmodels QuantReg (slow)")
    ap.add_argument("--skip-r", action="store_true")
    ap.add_argument("--skip-statsmodels", action="store_true")
    ap.add_argument("--seed", type=int, default=314159)
    args = ap.parse_args(argv)

    print(f"SGP benchmark: {args.students:,} students, grades 6-8, order 2 with order-1 "
          f"fallback, 100 taus; {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    df = simulate(args.students, args.seed)
    # compile / load the numba kernels outside the timings
    run_ours(simulate(3000, 1))

    ours, t_ours, cpu_ours = run_ours_cpu(df)
    print(f"ours (exact, globbing + warm starts): {t_ours:8.2f} s  (CPU {cpu_ours:.2f} s over "
          f"all threads)  median SGP {ours['SGP'].median():g}")
    summary: list[tuple[str, str]] = [(f"ours, {args.students:,} students",
                                       f"{t_ours:.2f} s wall, {cpu_ours:.2f} s CPU")]

    have_r = shutil.which("Rscript") is not None and REFERENCE_R.exists() and not args.skip_r
    workdir = Path(tempfile.mkdtemp(prefix="bench_sgp_"))
    try:
        if have_r:
            pfn, r_pfn, w_pfn = run_r(df, "pfn", workdir)
            print(f"R quantreg pfn:                       {r_pfn:8.2f} s  "
                  f"(wall {w_pfn:.2f} s incl. startup and CSV)  ratio R/ours {r_pfn / t_ours:.1f}x "
                  f"(wall {w_pfn / t_ours:.1f}x)")
            show_agreement("ours vs pfn (pfn is not exact)", agreement(ours, pfn))
            summary += [(f"R quantreg pfn, {args.students:,} students",
                         f"{r_pfn:.2f} s (wall {w_pfn:.2f} s)"),
                        ("ratio R pfn / ours", f"{r_pfn / t_ours:.1f}x (target >= 10x)")]
        elif args.skip_r:
            print("R quantreg: skipped (--skip-r)")
        else:
            print("R quantreg: skipped (no Rscript; run scripts/setup_r.sh)")

        nb = min(args.br_students, args.students)
        sub = df.iloc[:nb].reset_index(drop=True)
        ours_sub, t_sub, _ = run_ours_cpu(sub)
        print(f"ours on {nb:,}:                     {t_sub:8.2f} s")
        summary.append((f"ours, {nb:,} students", f"{t_sub:.2f} s"))
        if have_r:
            br, r_br, w_br = run_r(sub, "br", workdir)
            print(f"R quantreg br on {nb:,}:            {r_br:8.2f} s  (wall {w_br:.2f} s)  "
                  f"ratio R/ours {r_br / t_sub:.1f}x")
            agr = agreement(ours_sub, br)
            show_agreement("ours vs br (exact reference)", agr)
            same, worst, n_cmp = agr["SGP"]
            summary += [(f"R quantreg br, {nb:,} students", f"{r_br:.2f} s (wall {w_br:.2f} s)"),
                        ("ratio R br / ours", f"{r_br / t_sub:.1f}x"),
                        ("exactness vs br (SGP)", f"{same:.3f}% identical, max |diff| {worst} "
                                                  f"(n={n_cmp})")]

        if not args.skip_statsmodels:
            ns = min(args.sm_students, args.students)
            sm_sub = df.iloc[:ns].reset_index(drop=True)
            ours_sm, t_ours_sm = (ours_sub, t_sub) if ns == nb else run_ours(sm_sub)
            try:
                sm, t_sm = run_statsmodels(sm_sub)
            except ImportError:
                print("statsmodels: skipped (not installed in this venv)")
            else:
                print(f"statsmodels QuantReg on {ns:,}:     {t_sm:8.2f} s  "
                      f"ratio statsmodels/ours {t_sm / t_ours_sm:.1f}x (IRLS, not exact)")
                agr_sm = agreement(ours_sm, sm)
                show_agreement("ours vs statsmodels", agr_sm)
                summary += [(f"statsmodels QuantReg, {ns:,} students", f"{t_sm:.2f} s"),
                            ("ratio statsmodels / ours", f"{t_sm / t_ours_sm:.1f}x"),
                            ("ours vs statsmodels (SGP)",
                             f"{agr_sm['SGP'][0]:.3f}% identical, max |diff| {agr_sm['SGP'][1]}")]
        else:
            print("statsmodels: skipped (--skip-statsmodels)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\nSummary")
    width = max(len(k) for k, _ in summary)
    for k, v in summary:
        print(f"  {k:<{width}}  {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
