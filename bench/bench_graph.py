"""Benchmark: graph-aware mastery on the full K-8 + Algebra I progression, up to a state's size.

    .venv/bin/python bench/bench_graph.py                      # 100k and 1M students
    .venv/bin/python bench/bench_graph.py --students 250000

1. EM fit speed: parameters fitted on a simulated district of ``--fit-students`` students
   (``sounding.simulate``, ~47 answers per student); answer-iterations per second, and what a
   fit on the default 50,000-student sample (``--fit-sample`` of ``sounding mastery fit``)
   costs at that rate.
2. Kernels on one simulated pool of ``--pool`` students: posterior of every student x
   standard (288 standards), next-answer prediction, iceberg profiles, against the cheapest
   graph-blind peer (a per-standard two-class posterior in plain numpy).
3. The streaming path of ``sounding mastery fit`` (:func:`fit_store_mastery`, ``keep=False``)
   for each ``--students`` size, **each in a fresh subprocess** so its peak resident memory
   (``ru_maxrss``) is its own: read the fit sample's answers, then chunk by chunk of 20,000
   students read the chunk's answers, compute the posterior and icebergs, hand the rows to
   ``write_mastery``. The store is a stand-in with the store's API over N students tiled from
   the pool (ids and schools made unique), whose ``write_mastery`` consumes and counts the
   rows: the database's own cost is left out so that what is measured is this package's
   memory and throughput. The model's parameters come from step 1 (no EM in the child), so
   the timings are the posterior pass. Peak RSS roughly flat in N is what "bounded memory"
   means; the roster itself (one row per student) is the part that grows.
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


# ============================================================================ the stand-in store


class TiledStore:
    """The store API :func:`fit_store_mastery` uses, over ``n`` students tiled from a pool.

    Student ``k`` is pool student ``k % P`` under the id ``t{k:08d}`` (its school gets the
    copy's number, so strata stay distinct); ``responses(student_ids)`` gathers the pool rows
    of just those students, as the real store reads one chunk. ``write_mastery`` consumes
    the frames and counts rows (no database).
    """

    def __init__(self, pool_students: pd.DataFrame, pool_responses: pd.DataFrame, n: int,
                 graph) -> None:
        self.graph = graph
        self.n = int(n)
        self.pool = pool_students.reset_index(drop=True)
        P = len(self.pool)
        pos = {s: i for i, s in enumerate(self.pool["student_id"])}
        resp = pool_responses.assign(_p=pool_responses["student_id"].map(pos).to_numpy())
        resp = resp.sort_values(["_p", "timestamp"], kind="stable").reset_index(drop=True)
        self.resp = resp.drop(columns=["student_id"])
        counts = np.bincount(resp["_p"].to_numpy(), minlength=P)
        self.ptr = np.r_[0, np.cumsum(counts)]
        self.written = 0

    def progression(self):
        return load_default()

    def counts(self) -> dict[str, int]:
        return {"responses": int(self.ptr[-1]) * max(1, self.n // len(self.pool))}

    def students(self) -> pd.DataFrame:
        k = np.arange(self.n)
        src = self.pool.iloc[k % len(self.pool)]
        copy = (k // len(self.pool)).astype(str)
        return pd.DataFrame({
            "student_id": np.char.add("t", np.char.zfill(k.astype(str), 8)).astype(object),
            "grade": src["grade"].to_numpy(),
            "school_id": (src["school_id"].astype(str).to_numpy().astype(object) + "-"
                          + copy.astype(object)),
        })

    def classes(self) -> pd.DataFrame:
        return pd.DataFrame()

    def enrollments(self) -> pd.DataFrame:
        return pd.DataFrame()

    def orgs(self) -> pd.DataFrame:
        return pd.DataFrame({"org_id": [], "name": [], "type": []})

    def responses(self, student_ids=None) -> pd.DataFrame:
        ids = np.asarray(sorted(student_ids) if student_ids is not None else
                         self.students()["student_id"], dtype=object)
        k = np.array([int(s[1:]) for s in ids], dtype=np.int64)
        p = k % len(self.pool)
        lo, hi = self.ptr[p], self.ptr[p + 1]
        n = hi - lo
        rows = np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(n.sum())
        out = self.resp.iloc[rows].drop(columns="_p").reset_index(drop=True)
        out.insert(0, "student_id", np.repeat(ids, n))
        return out

    def write_mastery(self, frames, model: str) -> int:
        for f in frames:
            self.written += len(f)
        return self.written


def _child(args: argparse.Namespace) -> None:
    """One streaming run in this (fresh) process; prints one JSON line."""
    from sounding.mastery.pipeline import fit_store_mastery

    work = Path(args.work)
    graph = load_default().k8_algebra1()
    params = pickle.loads((work / "params.pkl").read_bytes())
    store = TiledStore(pd.read_parquet(work / "students.parquet"),
                       pd.read_parquet(work / "responses.parquet"), args.child, graph)
    model = GraphMastery(graph, init_params=params, max_iter=0, batch_size=args.chunk)
    base_mb = _peak_mb()
    stamps: dict[str, float] = {}

    def progress(stage: str, done: int, total: int, detail=None) -> None:
        stamps.setdefault(f"{stage}_start", time.perf_counter())
        if done == total:
            stamps[f"{stage}_end"] = time.perf_counter()

    t0 = time.perf_counter()
    res = fit_store_mastery(store, model=model, graph=graph, progress=progress,
                            block_size=args.chunk, fit_students=args.fit_sample, keep=False)
    total = time.perf_counter() - t0
    post = stamps.get("posterior_end", time.perf_counter()) - stamps.get("posterior_start", t0)
    print(json.dumps({
        "students": args.child, "rows": store.written, "seconds": round(total, 1),
        "posterior_seconds": round(post, 1), "students_per_s": round(args.child / post),
        "peak_mb": round(_peak_mb()), "baseline_mb": round(base_mb),
        "chunks": res.fit["chunks"], "fit_students": res.fit["fit_students"],
        "n_answers": res.summary()["n_answers"],
    }))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, nargs="*", default=[100_000, 1_000_000],
                    help="district sizes for the streaming path (one subprocess each)")
    ap.add_argument("--fit-students", type=int, default=5_000)
    ap.add_argument("--pool", type=int, default=20_000)
    ap.add_argument("--chunk", type=int, default=20_000)
    ap.add_argument("--fit-sample", type=int, default=50_000)
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--work", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        _child(args)
        return

    graph = load_default().k8_algebra1()
    codes = list(graph.standard_codes)
    print(f"progression: {len(codes)} standards, {len(graph.edges('standard'))} edges")

    # ------------------------------------------------------------ 1. EM
    t = time.perf_counter()
    fit_d = simulate_district(DistrictSpec(n_students=args.fit_students, seed=101))
    model = GraphMastery(graph)
    warm = fit_d.responses[fit_d.responses["student_id"].isin(
        fit_d.truth_students["student_id"].iloc[:50])]
    model.fit(warm, _grades(fit_d))  # compile the kernels (cached on disk after the 1st run)
    model.posterior_matrix(warm, _grades(fit_d))
    model.predict_proba(warm, _grades(fit_d))
    t_warm = time.perf_counter() - t
    model = GraphMastery(graph)
    t = time.perf_counter()
    model.fit(fit_d.responses, _grades(fit_d))
    t_fit = time.perf_counter() - t
    rate = len(fit_d.responses) * model.n_iter_ / t_fit
    per_student = len(fit_d.responses) / args.fit_students
    print(f"warm-up (simulate + compile) {t_warm:.1f} s; EM fit on {args.fit_students} students "
          f"({len(fit_d.responses)} answers): {t_fit:.2f} s, {model.n_iter_} iterations, "
          f"{rate / 1e6:.2f} M answer-iterations/s")
    est = args.fit_sample * per_student * model.max_iter / rate
    print(f"  a fit on the default {args.fit_sample:,}-student sample ({per_student:.0f} answers "
          f"each, up to {model.max_iter} iterations): about {est / 60:.1f} min at this rate; "
          f"on 1,000,000 students it would be {est * 1e6 / args.fit_sample / 3600:.1f} h")

    # ------------------------------------------------------------ 2. kernels on the pool
    t = time.perf_counter()
    pool = simulate_district(DistrictSpec(n_students=args.pool, seed=202))
    grades = _grades(pool)
    resp = pool.responses
    print(f"\npool: {args.pool} students, {len(resp)} answers ({len(resp) / args.pool:.1f} per "
          f"student; simulated in {time.perf_counter() - t:.1f} s)")
    t = time.perf_counter()
    pm = model.posterior_matrix(resp, grades)
    t_post = time.perf_counter() - t
    print(f"  posterior (every student x {len(codes)} standards, p + sd): {t_post:.2f} s = "
          f"{args.pool / t_post:,.0f} students/s")
    t = time.perf_counter()
    model.predict_proba(resp, grades)
    t_pred = time.perf_counter() - t
    print(f"  predict_proba (incremental, each answer from earlier ones): {t_pred:.2f} s = "
          f"{len(resp) / t_pred:,.0f} answers/s")
    t = time.perf_counter()
    students = pd.DataFrame({"student_id": pm.user_ids, "grade": pm.grade})
    tables = compute_icebergs(pm, students, graph)
    t_ice = time.perf_counter() - t
    print(f"  iceberg profiles (posterior distribution of each secure level): {t_ice:.2f} s = "
          f"{args.pool / t_ice:,.0f} students/s ({len(tables.unfinished)} unfinished rows)")
    t = time.perf_counter()
    _per_standard_numpy(resp, graph, codes)
    t_peer = time.perf_counter() - t
    print(f"  peer (graph-blind per-standard posterior, numpy): {t_peer:.2f} s -> "
          f"graph model / peer time ratio {t_post / t_peer:.2f}")

    # ------------------------------------------------------------ 3. streaming, per size
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "params.pkl").write_bytes(pickle.dumps(model.params_))
        ts = pool.truth_students
        pd.DataFrame({"student_id": ts["student_id"], "grade": [grades[s] for s in
                                                              ts["student_id"]],
                      "school_id": ts["school_id"]}).to_parquet(work / "students.parquet")
        resp.to_parquet(work / "responses.parquet")
        del pool, resp, pm, tables
        print(f"\nstreaming fit_store_mastery (keep=False), chunks of {args.chunk:,}, fit sample "
              f"{args.fit_sample:,}, one fresh process per size:")
        print(f"  {'students':>10} {'rows written':>14} {'posterior s':>12} {'students/s':>11} "
              f"{'peak RSS MB':>12} {'(start MB)':>11}")
        for n in args.students:
            cmd = [sys.executable, __file__, "--child", str(n), "--work", str(work),
                   "--chunk", str(args.chunk), "--fit-sample", str(args.fit_sample)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if out.returncode:
                print(f"  {n:>10,} failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"  {r['students']:>10,} {r['rows']:>14,} {r['posterior_seconds']:>12.1f} "
                  f"{r['students_per_s']:>11,} {r['peak_mb']:>12,} {r['baseline_mb']:>11,}",
                  flush=True)


if __name__ == "__main__":
    main()
