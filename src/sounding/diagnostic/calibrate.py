"""Make the shipped calibration: ``python -m sounding.diagnostic.calibrate`` (or the CLI's
``sounding diagnostic calibrate``) fits the diagnostic's graph model and the bank's IRT
calibration on simulated students and writes ``params.json`` and ``calibration.json``, then
runs the graph-model engine on a third of the same students and fits the placement readout's
correction (``readout.json``, :mod:`sounding.diagnostic.readout`) on their final posteriors,
and fits the placement-level model (``levels.json``, :mod:`sounding.diagnostic.levels`) on the
calibration district's true mastery (20,000 students of seed 101).
``--readout-only`` and ``--levels-only`` refit one file for the shipped ``params.json``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from sounding.diagnostic.model import PARAMS_FILE, calibrate, params_to_json
from sounding.diagnostic.readout import READOUT_FILE, Readout, fit_readout
from sounding.items.bank import CALIBRATION_FILE, ItemBank
from sounding.items.calibration import fit_irt

#: Latent classes of the level model's mixture (chosen on seed 11, see notes/diagnostic.md).
LEVEL_CLASSES = 8


def write_calibration(out_dir: str | Path | None = None, *, n_students: int = 3000,
                      seed: int = 101, answers_per_student: int = 40) -> dict:
    """Fit and write both files (default: into the installed packages); returns a summary."""
    import sounding.items.bank as ibank

    t0 = time.perf_counter()
    bank = ItemBank.default(calibrated=False)
    model, answers = calibrate(n_students=n_students, seed=seed,
                               answers_per_student=answers_per_student, bank=bank)
    guess = {t.template_id: t.generate(0).guess for t in bank}
    irt = fit_irt(answers, guess)
    pdir = Path(out_dir) if out_dir else Path(__file__).parent
    idir = Path(out_dir) if out_dir else Path(ibank.__file__).parent
    meta = {"made_by": "sounding.diagnostic.calibrate.write_calibration",
            "simulated_students": n_students, "seed": seed,
            "answers_per_student": answers_per_student, "answers": len(answers)}
    (pdir / PARAMS_FILE).write_text(json.dumps({**params_to_json(model.params_),
                                                "provenance": meta}, indent=None))
    (idir / CALIBRATION_FILE).write_text(json.dumps({
        "provenance": {**meta, "model": "4PL, guess by item type, upper 0.91"},
        "templates": {t: {"difficulty": round(float(r.difficulty), 4),
                          "discrimination": round(float(r.discrimination), 4),
                          "n": int(r.n)} for t, r in irt.iterrows()}}, indent=None))
    n_ro = _write_readout_file(pdir, model, meta, n_students=n_students, seed=seed)
    levels = write_levels(pdir, seed=seed)
    return {**meta, "seconds": round(time.perf_counter() - t0, 1),
            "em_iterations": model.n_iter_, "templates_calibrated": len(irt),
            "readout_students": n_ro, "level_model_students": levels["simulated_students"]}


def readout_sample(model, bank: ItemBank, *, n_students: int = 3000, seed: int = 101,  # noqa: ANN001
                   stride: int = 3, offset: int = 0) -> dict[str, np.ndarray]:
    """Final *uncorrected* placement posteriors and true buckets of calibration students
    (every ``stride``-th student of the calibration district) after the adaptive test run
    with the identity readout."""
    from sounding.diagnostic.engine import DiagnosticEngine
    from sounding.diagnostic.simulate import true_buckets
    from sounding.diagnostic.students import students_from_district
    from sounding.simulate import DistrictSpec, simulate_district

    engine = DiagnosticEngine(model, bank,
                              readout=Readout.identity(tuple(model.params_.strands)))
    district = simulate_district(DistrictSpec(n_students=n_students, seed=seed))
    students = students_from_district(district, rng_seed=seed)[offset::stride]
    D, g, s, t = [], [], [], []
    for st in students:
        truth = true_buckets(engine, st)
        session = engine.start(st.student_id, st.grade, session_id=f"ro-{st.student_id}")
        engine.run(session, st.respond)
        cur = engine.current(session)
        for strand, bucket in truth.items():
            D.append(cur.raw[strand])
            g.append(st.grade)
            s.append(strand)
            t.append(bucket)
        engine.forget(session)
    return {"D": np.array(D), "grade": np.array(g), "strand": np.array(s),
            "truth": np.array(t), "students": np.array(len(students))}


def calibrate_readout(model, bank: ItemBank, *, n_students: int = 3000, seed: int = 101,  # noqa: ANN001
                      stride: int = 3) -> tuple[Readout, int]:
    """Fit the readout correction on the calibration district (see :func:`readout_sample`)."""
    d = readout_sample(model, bank, n_students=n_students, seed=seed, stride=stride)
    strands = tuple(model.params_.strands)
    return fit_readout(d["D"], d["grade"], d["strand"], d["truth"], strands), int(d["students"])


def write_readout(out_dir: str | Path | None = None, *, n_students: int = 3000,
                  seed: int = 101) -> dict:
    """Refit only ``readout.json`` for the shipped (or ``out_dir``'s) ``params.json``."""
    from sounding.diagnostic.model import default_model

    t0 = time.perf_counter()
    pdir = Path(out_dir) if out_dir else Path(__file__).parent
    model = default_model(path=pdir / PARAMS_FILE)
    meta = {"made_by": "sounding.diagnostic.calibrate.write_readout",
            "simulated_students": n_students, "seed": seed}
    n_ro = _write_readout_file(pdir, model, meta, n_students=n_students, seed=seed)
    return {**meta, "readout_students": n_ro, "seconds": round(time.perf_counter() - t0, 1)}


def _write_readout_file(pdir: Path, model, meta: dict, *, n_students: int,  # noqa: ANN001
                        seed: int) -> int:
    """Fit the readout correction for ``model`` and write ``readout.json`` into ``pdir``
    with ``meta`` as its provenance; returns how many students it was fitted on."""
    readout, n_ro = calibrate_readout(model, ItemBank.default(calibrated=False),
                                      n_students=n_students, seed=seed)
    (pdir / READOUT_FILE).write_text(json.dumps({
        **readout.to_json(), "provenance": {**meta, "readout_students": n_ro}}))
    return n_ro


def levels_sample(pm, *, n_students: int = 20000, seed: int = 101  # noqa: ANN001
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Grades and true mastery (graph order) of the calibration district's students."""
    from sounding.diagnostic.students import students_from_district, truth_matrix
    from sounding.simulate import DistrictSpec, simulate_district

    district = simulate_district(DistrictSpec(n_students=n_students, seed=seed))
    students = students_from_district(district, rng_seed=seed)
    codes = tuple(pm.model.standards)
    return np.array([s.grade for s in students]), truth_matrix(students, codes)


def fit_level_model(model, *, n_students: int = 20000, seed: int = 101,  # noqa: ANN001
                    classes: int = LEVEL_CLASSES, **kw):
    """The placement-level model (:mod:`sounding.diagnostic.levels`) fitted on the true
    mastery of the calibration district's students."""
    from sounding.diagnostic.levels import fit_levels
    from sounding.diagnostic.placement import PlacementModel

    pm = PlacementModel(model)
    grades, mastered = levels_sample(pm, n_students=n_students, seed=seed)
    meta = {"made_by": "sounding.diagnostic.calibrate.write_levels",
            "simulated_students": n_students, "seed": seed, "classes": classes}
    return fit_levels(pm, grades, mastered, classes=classes, provenance={**meta, **kw}, **kw)


def write_levels(out_dir: str | Path | None = None, *, n_students: int = 20000,
                 seed: int = 101, classes: int = LEVEL_CLASSES, **kw) -> dict:
    """Refit only ``levels.json`` for the shipped (or ``out_dir``'s) ``params.json``."""
    from sounding.diagnostic.levels import LEVELS_FILE
    from sounding.diagnostic.model import default_model

    t0 = time.perf_counter()
    pdir = Path(out_dir) if out_dir else Path(__file__).parent
    model = default_model(path=pdir / PARAMS_FILE)
    lm = fit_level_model(model, n_students=n_students, seed=seed, classes=classes, **kw)
    (pdir / LEVELS_FILE).write_text(json.dumps(lm.to_json()))
    return {**lm.provenance, "seconds": round(time.perf_counter() - t0, 1)}


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    write = (write_readout if "--readout-only" in sys.argv
             else write_levels if "--levels-only" in sys.argv else write_calibration)
    print(write(args[0] if args else None))
