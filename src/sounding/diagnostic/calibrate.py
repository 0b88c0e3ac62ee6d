"""Make the shipped calibration: ``python -m sounding.diagnostic.calibrate`` (or the CLI's
``sounding diagnostic calibrate``) fits the diagnostic's graph model and the bank's IRT
calibration on simulated students and writes ``params.json`` and ``calibration.json``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sounding.diagnostic.model import PARAMS_FILE, calibrate, params_to_json
from sounding.items.bank import CALIBRATION_FILE, ItemBank
from sounding.items.calibration import fit_irt


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
    return {**meta, "seconds": round(time.perf_counter() - t0, 1),
            "em_iterations": model.n_iter_, "templates_calibrated": len(irt)}


if __name__ == "__main__":
    print(write_calibration(sys.argv[1] if len(sys.argv) > 1 else None))
