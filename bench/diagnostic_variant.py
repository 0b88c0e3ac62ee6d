"""One engine variant on a strided sample of a simulated district (for notes/diagnostic.md).

    PYTHONPATH=src /work/main/.venv/bin/python bench/diagnostic_variant.py --seed 1 \
        [--levels none|FILE] [--identity] [--stop 0.95] [--loss error|gini]
        [--min-per-strand 0] [--max-per-standard 2]

Every ``--stride``-th student of ``simulate_district(n_students=--n, seed=--seed)`` (all
grades, unlike a prefix of the district) takes the adaptive test; prints one JSON line.
``--levels none`` runs the previous engine (the graph model's placement through the readout
correction); ``--identity`` runs that one without the correction.
"""

from __future__ import annotations

import argparse
import json

from sounding.diagnostic.engine import DiagnosticEngine
from sounding.diagnostic.levels import default_levels
from sounding.diagnostic.model import default_model
from sounding.diagnostic.readout import Readout
from sounding.diagnostic.simulate import run_students
from sounding.diagnostic.students import students_from_district
from sounding.items.bank import ItemBank
from sounding.simulate import DistrictSpec, simulate_district


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=2000, help="students in the district")
    ap.add_argument("--stride", type=int, default=7)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--stop", type=float, default=0.9)
    ap.add_argument("--loss", default="entropy", choices=("entropy", "error", "gini"))
    ap.add_argument("--min-per-strand", type=int, default=1,
                    help="answers a strand needs before it may settle (0: the prior may settle it)")
    ap.add_argument("--max-per-standard", type=int, default=None,
                    help="answers per standard at most (default: the engine's)")
    ap.add_argument("--identity", action="store_true", help="no readout correction")
    ap.add_argument("--levels", default="default",
                    help="level model file (levels.json); 'none': place with the graph model")
    ap.add_argument("--tag", default="")
    a = ap.parse_args()
    model = default_model()
    readout = Readout.identity(tuple(model.params_.strands)) if a.identity else None
    engine = DiagnosticEngine(model, ItemBank.default(), stop_certainty=a.stop,
                              readout=readout, loss=a.loss, min_per_strand=a.min_per_strand,
                              levels=None if a.levels == "none" else "default",
                              **({"max_per_standard": a.max_per_standard}
                                 if a.max_per_standard else {}))
    if a.levels not in ("none", "default"):
        engine.levels = default_levels(engine.placement, a.levels)
    district = simulate_district(DistrictSpec(n_students=a.n, seed=a.seed))
    students = students_from_district(district, rng_seed=a.seed)[a.offset::a.stride]
    s = run_students(engine, students, name=a.tag, curve_points=(0, 5, 10, 15, 20, 25)).summary()
    print(json.dumps({"tag": a.tag, "seed": a.seed, "n": len(students),
                      "items": s["items_mean"], "p95": s["items_p95"],
                      "placements": s["placements"],
                      "exact": s["exact_placement"], "within": s["within_one_grade"],
                      "model_map": s.get("exact_placement_model_map"),
                      "threshold": s.get("exact_placement_threshold"),
                      "curve": s["curve"], "ms_item": s["ms_per_item"]}))


if __name__ == "__main__":
    main()
