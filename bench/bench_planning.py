"""How long planning takes for a 5,000- and a 50,000-student district (no peer: prints scaling).

Run: .venv/bin/python bench/bench_planning.py [--sizes 5000 50000]

The district is synthetic but shaped like a real one: grades 3-8, ~25 students per class,
~6 classes per grade per school, mastery for every student x standard (288 standards of the
K-8 + Algebra I graph) drawn from an ability model with grade-distance decay, 2 direct answers
on grade-level standards. Each stage is timed end to end from the long DataFrames (validation
and the students x standards pivot included), as a caller would use it.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

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
    return mastery, students, cl, evidence


def run(n: int) -> dict[str, float]:
    mastery, students, classes, evidence = district(n)
    scope = default_scope_sequence()
    day = date(2026, 1, 12)
    out = {}
    t = time.perf_counter()
    plan = triage(mastery, students, classes, evidence=evidence, scope=scope, as_of=day)
    out["triage + tiers"] = time.perf_counter() - t
    t = time.perf_counter()
    pathways(mastery, students, scope=scope, as_of=day)
    out["pathways"] = time.perf_counter() - t
    t = time.perf_counter()
    small_groups(mastery, students, classes, scope=scope, as_of=day)
    out["groups"] = time.perf_counter() - t
    t = time.perf_counter()
    algebra_readiness(mastery, students, classes)
    out["algebra readiness"] = time.perf_counter() - t
    out["total"] = sum(out.values())
    out["recommendations"] = len(plan)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    args = ap.parse_args()
    results = {n: run(n) for n in args.sizes}
    stages = [k for k in next(iter(results.values())) if k != "recommendations"]
    print(f"{'stage':20s}" + "".join(f"{n:>12,d}" for n in args.sizes))
    for k in stages:
        print(f"{k:20s}" + "".join(f"{results[n][k]:11.2f}s" for n in args.sizes))
    print(f"{'recommendations':20s}" + "".join(f"{results[n]['recommendations']:>12,d}"
                                              for n in args.sizes))
    if len(args.sizes) >= 2:
        a, b = args.sizes[0], args.sizes[-1]
        ratio = results[b]["total"] / results[a]["total"]
        print(f"scaling: {b / a:.0f}x the students took {ratio:.1f}x the time "
              f"({'linear' if ratio < 1.5 * b / a else 'super-linear'})")


if __name__ == "__main__":
    main()
