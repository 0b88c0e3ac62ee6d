"""Benchmark: the adaptive diagnostic against a fixed form and catsim's maximum-information CAT.

    /work/main/.venv/bin/python bench/bench_diagnostic.py --students 2000 --seed 0

Simulated students (a district from ``sounding.simulate`` with a seed other than the
calibration's) whose true knowledge is known take three tests built on the same item bank and
scored by the same models (the graph-aware mastery posterior, the level model's placement),
so only the choice of items differs:

* **adaptive** -- Sounding's engine: placements read from the level model
  (:mod:`sounding.diagnostic.levels`), next item by expected entropy reduction of the
  per-strand placements, a strand settled at 90 % certainty, at most 25 items;
* **fixed form** -- 25 items chosen in advance per grade: round robin over the strands, the
  most recently taught grade first, major work first;
* **catsim MFI** -- 25 items picked by catsim's ``MaxInfoSelector`` with its
  ``NumericalSearchEstimator`` over a unidimensional 4PL calibration of the same templates
  (``src/sounding/items/calibration.json``), restricted like ours to the student's grades.

All three read the placement through the same level model (fitted on the calibration
district, seed 101); "model MAP" is the graph model's own placement posterior after the same
answers.

Reported: items used (mean, p95), exact per-strand placement accuracy against the truth,
within one grade, the same final posterior read two other ways (the model's own MAP without
the correction; thresholding every standard's P(mastered) at 0.5), and the accuracy had each
test stopped after k items (the curve). With ``--alternatives N`` the engine's other rules
run on the first N students for the note: the previous engine that placed with the graph
model and the corrected readout ("graph"), the expected-error look-ahead ("error"), and the
other selection rules
(max-variance standard, closest to 50 % success, random). catsim is a bench peer only
(``pip install catsim``), not a runtime dependency.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from sounding.diagnostic.engine import DiagnosticEngine
from sounding.diagnostic.model import default_model
from sounding.diagnostic.readout import Readout
from sounding.diagnostic.simulate import SimulationReport, run_students
from sounding.diagnostic.students import students_from_district
from sounding.items.bank import ItemBank
from sounding.simulate import DistrictSpec, simulate_district

#: Test lengths at which the placement accuracy curve is read.
CURVE = (0, 3, 5, 8, 10, 12, 15, 20, 25)


def fixed_form(engine: DiagnosticEngine, grade: int, length: int) -> list[str]:
    """The same 25 standards for every student of a grade."""
    pm = engine.placement
    graph = engine.model.graph
    queues = []
    for sg in pm.strand_grades(grade):
        if not sg.applicable:
            continue
        cols = [int(c) for c in sg.cols if engine.codes[c] in engine.bank.templates]
        cols.sort(key=lambda c: (abs(int(pm.std_grade[c]) - (grade - 1)),
                                 graph[engine.codes[c]].emphasis != "major", c))
        queues.append([engine.codes[c] for c in cols])
    form: list[str] = []
    k = 0
    while len(form) < length and any(queues):
        q = queues[k % len(queues)]
        if q:
            form.append(q.pop(0))
        k += 1
    return form


def make_catsim(engine: DiagnosticEngine):  # noqa: ANN201
    from catsim.estimation import NumericalSearchEstimator
    from catsim.item_bank import ItemBank as CatBank
    from catsim.selection import MaxInfoSelector

    temps = list(engine.bank)
    guess = {t.template_id: t.generate(0).guess for t in temps}
    grade = np.array([engine.model.graph[t.standard].grade_num for t in temps])
    params = np.array([[t.discrimination, t.difficulty, guess[t.template_id], 0.91]
                       for t in temps])
    banks = {}
    for G in range(10):
        idx = np.flatnonzero(grade <= G)
        banks[G] = (idx, CatBank(params[idx]))
    selector, estimator = MaxInfoSelector(), NumericalSearchEstimator()

    def choose(session, student):  # noqa: ANN001, ANN202
        idx, cb = banks[min(student.grade, 9)]
        given: list[int] = []
        theta = 0.0
        for _ in range(engine.max_items):
            j = selector.select(item_bank=cb, administered_items=given, est_theta=theta)
            if j is None:
                return
            given.append(int(j))
            t = temps[int(idx[j])]
            yield t.template_id  # the item is generated from the template catsim chose
            resp = [a.correct for a in session.answers]
            theta = float(estimator.estimate(item_bank=cb, administered_items=given,
                                             response_vector=resp, est_theta=theta))
    return choose


@lru_cache(maxsize=1)
def _district(seed: int, n_students: int):  # noqa: ANN202
    """The simulated district, once per worker process (every method and chunk a worker runs
    takes the same one; read only). The students are built fresh per job: each carries the
    random stream its answers are drawn from."""
    return simulate_district(DistrictSpec(n_students=n_students, seed=seed))


def run_method(args: tuple) -> dict:
    tag, method, seed, n_students, lo, hi = args
    bank = ItemBank.default()
    model = default_model()
    students = students_from_district(_district(seed, n_students), rng_seed=seed)[lo:hi]
    strategy = method if method in ("variance", "half", "random") else "entropy"
    # "graph": the previous engine -- the graph model's placement posterior through the
    # corrected readout reports, stops and looks ahead (no level model); "uncorrected": the
    # same without the readout correction; "error": the level model's look-ahead minimises the
    # expected probability of a wrong placement instead of the expected entropy
    graph = method in ("graph", "uncorrected")
    readout = Readout.identity(tuple(model.params_.strands)) if method == "uncorrected" else None
    engine = DiagnosticEngine(model, bank, strategy=strategy, readout=readout,
                              loss="error" if method == "error" else "entropy",
                              levels=None if graph else "default",
                              **({"max_per_standard": 2} if graph else {}))
    if method == "fixed":
        forms = {G: fixed_form(engine, G, engine.max_items) for G in range(10)}

        def choose(session, student):  # noqa: ANN001, ANN202
            yield from forms[min(student.grade, 9)]
        rep = run_students(engine, students, name="fixed form", choose=choose,
                           curve_points=CURVE)
    elif method == "catsim":
        rep = run_students(engine, students, name="catsim MFI", choose=make_catsim(engine),
                           curve_points=CURVE)
    else:
        rep = run_students(engine, students, name=method, curve_points=CURVE)
    return {"tag": tag, "method": method, "items": rep.items.tolist(), "exact": rep.exact.tolist(),
            "within": rep.within_one.tolist(), "tb": rep.true_bucket.tolist(),
            "eb": rep.est_bucket.tolist(), "strand": rep.strand.tolist(),
            "em": rep.est_model_map.tolist(), "et": rep.est_threshold.tolist(),
            "curve_hits": {k: v for k, v in rep.curve.items()}, "n_pairs": len(rep.exact),
            "seconds": rep.seconds}


def merge(parts: list[dict], name: str) -> SimulationReport:
    n = sum(p["n_pairs"] for p in parts)
    curve = {int(k): sum(p["curve_hits"][k] * p["n_pairs"] for p in parts) / max(1, n)
             for k in parts[0]["curve_hits"]}
    cat = lambda key, dt=None: np.array(sum((p[key] for p in parts), []), dtype=dt)  # noqa: E731
    return SimulationReport(name, len(cat("items")), cat("items"), cat("exact", bool),
                            cat("within", bool), cat("tb"), cat("eb"), cat("strand", object),
                            curve, sum(p["seconds"] for p in parts), [], cat("em"), cat("et"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--alternatives", type=int, default=0,
                    help="also run the other selection rules on the first N students")
    ap.add_argument("--json", type=Path, help="write all figures here")
    a = ap.parse_args()
    t0 = time.perf_counter()
    w = max(1, a.workers)
    names = {"adaptive": "adaptive (Sounding)", "fixed": "fixed form", "catsim": "catsim MFI"}
    runs = [(names[m], m, a.students) for m in ("adaptive", "fixed", "catsim")]
    if a.alternatives:
        n = min(a.alternatives, a.students)
        runs += [(f"{m} ({n} students)", m, n)
                 for m in ("entropy", "graph", "error", "variance", "half", "random")]
    jobs = []
    for tag, m, n in runs:
        step = -(-n // w)
        jobs += [(tag, m, a.seed, a.students, lo, min(n, lo + step)) for lo in range(0, n, step)]
    with mp.get_context("fork").Pool(w) as pool:
        results = pool.map(run_method, jobs, chunksize=1)
    out = {"command": " ".join(["bench/bench_diagnostic.py"] + sys.argv[1:]),
           "students": a.students, "seed": a.seed, "methods": {}}
    for tag, _m, _n in runs:
        out["methods"][tag] = merge([r for r in results if r["tag"] == tag], tag).summary()
    out["seconds"] = round(time.perf_counter() - t0, 1)
    print(f"{a.students} simulated students, seed {a.seed} ({out['seconds']} s)")
    print(f"{'method':<34}{'items mean':>11}{'p95':>6}{'exact':>8}{'within 1':>10}"
          f"{'model MAP':>11}{'threshold':>11}")
    for m, s in out["methods"].items():
        print(f"{m:<34}{s['items_mean']:>11.2f}{s['items_p95']:>6.0f}"
              f"{s['exact_placement']:>8.1%}{s['within_one_grade']:>10.1%}"
              f"{s['exact_placement_model_map']:>11.1%}{s['exact_placement_threshold']:>11.1%}")
    print("accuracy if stopped after k items:")
    ks = CURVE
    print(f"{'method':<34}" + "".join(f"{k:>7}" for k in ks))
    for m, s in out["methods"].items():
        print(f"{m:<34}" + "".join(f"{s['curve'][str(k)]:>7.1%}" for k in ks))
    if a.json:
        a.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
