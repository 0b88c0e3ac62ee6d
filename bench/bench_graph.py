"""Benchmark: graph-aware mastery posteriors on the full K-8 + Algebra I progression.

    .venv/bin/python bench/bench_graph.py                 # 10k and 100k students
    .venv/bin/python bench/bench_graph.py --students 250000

For each size: simulated district (``sounding.simulate``, ~50 answers per student), the
posterior of every student x standard (288 standards), next-answer prediction over every
answer, and the iceberg profiles; students/second, answers/second and the peak resident
memory of the process (``resource.getrusage``). Parameters are fitted once by EM on a 5k-student
district (the fit time is printed too). There is no external peer for this model; for scale the
ratio against a per-standard posterior in plain numpy (graph-blind, two-class per standard,
the cheapest thing that produces the same table) is printed.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from sounding.mastery.graph_model import GraphMastery
from sounding.mastery.profile import compute_icebergs
from sounding.progression import load_default
from sounding.simulate import DistrictSpec, simulate_district


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _grades(d) -> dict:
    ts = d.truth_students
    return {s: (9 if a else int(g))
            for s, g, a in zip(ts["student_id"], ts["grade"], ts["algebra1"], strict=True)}


def _per_standard_numpy(responses: pd.DataFrame, graph, codes: list[str]) -> np.ndarray:
    """Graph-blind peer: P(mastered) per student x standard from a fixed two-class model."""
    idx = {c: j for j, c in enumerate(codes)}
    u, r = np.unique(responses["student_id"].to_numpy(), return_inverse=True)
    c = responses["standard"].map(lambda s: idx[graph.rollup(s)]).to_numpy()
    nc = np.zeros((len(u), len(codes)))
    nt = np.zeros((len(u), len(codes)))
    np.add.at(nc, (r, c), responses["correct"].to_numpy(dtype=float))
    np.add.at(nt, (r, c), 1.0)
    lr = nc * np.log(0.9 / 0.2) + (nt - nc) * np.log(0.1 / 0.8)
    return 1.0 / (1.0 + np.exp(-lr))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--fit-students", type=int, default=5_000)
    args = ap.parse_args(argv)

    graph = load_default().k8_algebra1()
    codes = list(graph.standard_codes)
    print(f"progression: {len(codes)} standards, {len(graph.edges('standard'))} edges")

    t = time.perf_counter()
    fit_d = simulate_district(DistrictSpec(n_students=args.fit_students, seed=101))
    model = GraphMastery(graph)
    warm = fit_d.responses[fit_d.responses["student_id"].isin(
        fit_d.truth_students["student_id"].iloc[:50])]
    model.fit(warm, _grades(fit_d))  # compile the kernels (cached on disk after the 1st run)
    model.posterior_matrix(warm, _grades(fit_d))
    model.predict_proba(warm, _grades(fit_d))
    t_warm = time.perf_counter() - t
    t = time.perf_counter()
    model.fit(fit_d.responses, _grades(fit_d))
    t_fit = time.perf_counter() - t
    print(f"warm-up (simulate + compile) {t_warm:.1f} s; EM fit on {args.fit_students} students "
          f"({len(fit_d.responses)} answers): {t_fit:.2f} s, {model.n_iter_} iterations, "
          f"{len(fit_d.responses) * model.n_iter_ / t_fit / 1e6:.2f} M answer-iterations/s")

    for n in args.students:
        t = time.perf_counter()
        d = simulate_district(DistrictSpec(n_students=n, seed=202))
        grades = _grades(d)
        resp = d.responses
        t_sim = time.perf_counter() - t
        n_ans = len(resp)
        print(f"\n{n} students, {n_ans} answers ({n_ans / n:.1f} per student; "
              f"simulated in {t_sim:.1f} s)")

        t = time.perf_counter()
        pm = model.posterior_matrix(resp, grades)
        t_post = time.perf_counter() - t
        print(f"  posterior (every student x {len(codes)} standards, p + sd): {t_post:.2f} s = "
              f"{n / t_post:,.0f} students/s; matrix {pm.p.nbytes * 2 / 1e6:.0f} MB")

        t = time.perf_counter()
        model.predict_proba(resp, grades)
        t_pred = time.perf_counter() - t
        print(f"  predict_proba (incremental, each answer from earlier ones): {t_pred:.2f} s = "
              f"{n_ans / t_pred:,.0f} answers/s")

        t = time.perf_counter()
        tables = compute_icebergs(pm, d.truth_students[["student_id", "grade"]], graph)
        t_ice = time.perf_counter() - t
        print(f"  iceberg profiles: {t_ice:.2f} s = {n / t_ice:,.0f} students/s "
              f"({len(tables.unfinished)} unfinished rows)")

        if n <= 20_000:
            t = time.perf_counter()
            long = pm.to_frame()
            print(f"  long DataFrame ({len(long)} rows): {time.perf_counter() - t:.2f} s")
            del long

        t = time.perf_counter()
        _per_standard_numpy(resp, graph, codes)
        t_peer = time.perf_counter() - t
        print(f"  peer (graph-blind per-standard posterior, numpy): {t_peer:.2f} s -> "
              f"graph model / peer time ratio {t_post / t_peer:.2f}")
        print(f"  peak RSS so far: {_peak_mb():,.0f} MB")
        del pm, tables, d, resp


if __name__ == "__main__":
    main()
