"""How long planning takes, and how much memory, for a 5,000- and a 20,000-student district.

Run: .venv/bin/python bench/bench_planning.py [--sizes 5000 20000] [--no-store]

No peer (no other tool plans this way); the figures are the scaling. Three paths:

1. **tables**: a synthetic district shaped like a real one (grades 3-8, ~25 students per class,
   ~6 classes per grade per school, mastery for every student x standard of the 288-standard
   K-8 + Algebra I graph from an ability model with grade-distance decay, 2 direct answers on
   grade-level standards), timed end to end from the long DataFrames: triage with tiers
   (per-student counts only), pathways, small groups, Algebra I readiness;
2. **answers**: the same district with ~45 simulated answers per student on grade-level
   standards, triage with ``responses=`` (the Rasch comparison of each class's pooled answers
   per cluster with the grade's classes, :mod:`sounding.planning.signals`);
3. **store**: the simulator's district of that size imported into a fresh SQLite store through
   the real importers and its mastery fitted (setup, not timed), then ``load_inputs(store)``
   and the triage on what it read (what ``sounding plan`` does).

Memory is the growth of the process's peak resident set during the stage (``ru_maxrss``), so a
stage that stays under an earlier peak shows 0.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from sounding.planning import (
    algebra_readiness,
    default_scope_sequence,
    pathways,
    small_groups,
    triage,
)
from sounding.progression import load_default


def _rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


class Stages:
    """Times and peak-memory growth of named stages."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.mb: dict[str, float] = {}

    def run(self, name: str, fn, *args, **kw):
        m0, t0 = _rss_mb(), time.perf_counter()
        out = fn(*args, **kw)
        self.seconds[name] = time.perf_counter() - t0
        self.mb[name] = max(0.0, _rss_mb() - m0)
        return out


def district(n: int, seed: int = 0):
    graph = load_default().k8_algebra1()
    codes = list(graph.standard_codes)
    sgrade = np.array([graph[c].grade_num for c in codes])
    rng = np.random.default_rng(seed)
    grade = np.repeat(np.arange(3, 9), -(-n // 6))[:n]
    rng.shuffle(grade)
    per_school = 900
    school = np.arange(n) // per_school
    order = np.lexsort((grade, school))
    cls = np.empty(n, dtype=object)
    cls[order] = [f"c{school[i]}-{grade[i]}-{k // 25}" for k, i in enumerate(order)]
    ability = rng.normal(0, 1, n)
    logit = 1.5 * ability[:, None] + 1.2 * (grade[:, None] - sgrade[None, :]) + 0.5
    p = (1 / (1 + np.exp(-logit)) + rng.normal(0, 0.05, logit.shape)).clip(0, 1)
    n_ev = np.where(sgrade[None, :] == grade[:, None], 2, 0)
    ids = np.arange(n)
    mastery = pd.DataFrame({
        "student_id": np.repeat(ids, len(codes)),
        "standard": pd.Categorical.from_codes(np.tile(np.arange(len(codes)), n), codes),
        "p_mastered": p.ravel(), "n_evidence": n_ev.ravel(),
        "sd": np.full(p.size, 0.1),
    })
    students = pd.DataFrame({"student_id": ids, "grade": grade, "school_id": school,
                             "district_id": "d", "class_id": cls,
                             "english_learner": rng.random(n) < 0.1})
    cl = pd.DataFrame({"class_id": pd.unique(cls)})
    cl["school_id"] = cl["class_id"].str.split("-").str[0].str[1:].astype(int)
    cl["grade"] = cl["class_id"].str.split("-").str[1].astype(int)
    cl["title"] = "Math"
    cl["teacher_ids"] = "t"
    evidence = pd.DataFrame({"student_id": ids, "n_responses": 20,
                             "last_response": pd.Timestamp("2026-01-10")})
    # ~45 answers per student on their grade's standards, from the same mastery
    k = 45
    at = [np.flatnonzero(sgrade == g) for g in range(10)]
    rows = np.repeat(ids, k)
    cols = np.concatenate([at[g][rng.integers(0, len(at[g]), k)] for g in grade])
    pm = p[rows, cols]
    correct = (rng.random(rows.size) < 0.2 + 0.7 * pm).astype(np.int8)
    ts = pd.Timestamp("2025-09-01") + pd.to_timedelta(rng.integers(0, 120, rows.size), "D")
    responses = pd.DataFrame({"student_id": rows, "standard": np.asarray(codes)[cols],
                              "correct": correct, "timestamp": ts})
    return mastery, students, cl, evidence, responses


def run_tables(n: int) -> Stages:
    mastery, students, classes, evidence, responses = district(n)
    scope = default_scope_sequence()
    day = date(2026, 1, 12)
    s = Stages()
    s.run("triage + tiers (counts)", triage, mastery, students, classes, evidence=evidence,
          scope=scope, as_of=day)
    s.run("triage + tiers (answers)", triage, mastery, students, classes, evidence=evidence,
          scope=scope, as_of=day, responses=responses)
    s.run("pathways", pathways, mastery, students, scope=scope, as_of=day)
    s.run("groups", small_groups, mastery, students, classes, scope=scope, as_of=day,
          evidence=evidence)
    s.run("algebra readiness", algebra_readiness, mastery, students, classes)
    return s


def build_store(n: int, folder: Path) -> str:
    """Simulate, import and fit mastery (setup for the store path; not timed as planning)."""
    from sounding.evidence import import_responses, import_scores
    from sounding.mastery.pipeline import fit_store_mastery
    from sounding.roster import import_roster
    from sounding.simulate import DistrictSpec, simulate_to_dir
    from sounding.store import Store

    simulate_to_dir(DistrictSpec(n_students=n, seed=5), folder / "district")
    db = str(folder / "bench.db")
    with Store.open(db) as store:
        import_roster(store, folder / "district" / "oneroster")
        resp = folder / "district" / "responses.parquet"
        import_responses(store, resp if resp.exists() else folder / "district" / "responses.csv")
        import_scores(store, folder / "district" / "scores.csv")
        fit_store_mastery(store, graph=store.progression().k8_algebra1())
    return db


def run_store(n: int) -> Stages:
    from sounding.planning.from_store import load_inputs

    s = Stages()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        db = build_store(n, Path(tmp))
        setup = time.perf_counter() - t0
        inputs = s.run("store: load_inputs", load_inputs, db)
        ev = s.run("store: evidence summary", inputs.evidence)
        s.run("store: triage (answers)", triage, inputs.mastery, inputs.students,
              inputs.classes, inputs.enrollments, evidence=ev, graph=inputs.graph,
              scope=inputs.scope(), responses=inputs.responses,
              family_signals=inputs.family_signals)
    s.seconds["(setup: simulate, import, fit)"] = setup
    s.mb["(setup: simulate, import, fit)"] = float("nan")
    return s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    ap.add_argument("--no-store", action="store_true", help="skip the store path")
    args = ap.parse_args()
    results: dict[int, Stages] = {}
    for n in args.sizes:
        s = run_tables(n)
        if not args.no_store:
            st = run_store(n)
            s.seconds.update(st.seconds)
            s.mb.update(st.mb)
        results[n] = s
    stages = list(next(iter(results.values())).seconds)
    print(f"{'stage':32s}" + "".join(f"{n:>12,d} s   MB" for n in args.sizes))
    for k in stages:
        cells = []
        for n in args.sizes:
            sec, mb = results[n].seconds.get(k, float("nan")), results[n].mb.get(k, float("nan"))
            cells.append(f"{sec:13.2f} {mb:5.0f}")
        print(f"{k:32s}" + "".join(cells))
    if len(args.sizes) >= 2:
        a, b = args.sizes[0], args.sizes[-1]
        for k in ("triage + tiers (counts)", "triage + tiers (answers)"):
            ratio = results[b].seconds[k] / results[a].seconds[k]
            print(f"{k}: {b / a:.0f}x the students took {ratio:.1f}x the time "
                  f"({'linear or better' if ratio < 1.5 * b / a else 'super-linear'})")


if __name__ == "__main__":
    main()
