"""Calibration of the knowledge model to NAEP 2022 grade-level proficiency.

Two numbers are solved for, the level ``a`` and the slope ``b`` of the per-grade difficulty
offsets, ``grade_offset[g] = a + b * (g - 4)`` for grades 3..8, against the two NAEP 2022
targets (grade 4: 36 %, grade 8: 26 % proficient). Grades K-2 take the grade-3 offset plus
``EARLY_EASE`` (early foundations such as counting and place value are secure for most students;
with them as hard as grade 3, the prerequisite gate made later proficiency structurally
impossible); Algebra I takes grade 8's offset. Per-grade offsets solved one grade at a time
were tried first and rejected: the prerequisite gate caps some grades (5 and 7), and the solver
ran to absurd offsets there. The grades in between fall where the progression puts them.

Each solve is a bisection on a large simulated one-grade district with fixed random draws
(common random numbers), so each target is a smooth, monotone function of the parameter: the
inner bisection finds ``a`` for grade 4 given ``b``, the outer one finds ``b`` for grade 8.

The routine was run once (``python -m sounding.simulate.calibration``); its output is pasted
into ``DEFAULT_PARAMS`` (kept in :mod:`sounding.simulate.knowledge` so the generator does not
import this module, which runs the generator; re-exported here). It is not re-run per seed:
every district uses the same parameters, and the tests check that the result holds on fresh
seeds.
"""

from __future__ import annotations

import sys
from dataclasses import replace

from sounding.simulate.district import DistrictSpec, simulate_knowledge
from sounding.simulate.knowledge import DEFAULT_PARAMS, TARGET_PROFICIENCY, KnowledgeParams

__all__ = ["CALIBRATION_SEED", "DEFAULT_PARAMS", "EARLY_EASE", "calibrate", "offsets_for"]

CALIBRATION_SEED = 987_654

#: K-2 standards are this much easier (logit) than grade 3's, by assumption.
EARLY_EASE = -3.0


def _proficiency(params: KnowledgeParams, grade: int, n: int, seed: int) -> float:
    spec = DistrictSpec(n_students=n, seed=seed, grades=(grade,), knowledge=params)
    return float(simulate_knowledge(spec)["proficient"].mean())


def offsets_for(a: float, b: float) -> tuple[float, ...]:
    """Grade offsets K..8 and Algebra I from the level ``a`` and slope ``b``."""
    g38 = [a + b * (g - 4) for g in range(3, 9)]
    return tuple(round(x, 4) for x in [g38[0] + EARLY_EASE] * 3 + g38 + [g38[-1]])


def _bisect(f, target: float, lo: float, hi: float, tol: float, iters: int = 30) -> float:
    """``x`` in [lo, hi] with f(x) ~ target, for f decreasing in x."""
    mid = (lo + hi) / 2
    for _ in range(iters):
        mid = (lo + hi) / 2
        val = f(mid)
        if abs(val - target) < tol:
            break
        if val > target:
            lo = mid
        else:
            hi = mid
    return mid


def calibrate(
    base: KnowledgeParams | None = None,
    *,
    n_per_grade: int = 40_000,
    seed: int = CALIBRATION_SEED,
    tol: float = 0.002,
    verbose: bool = False,
) -> KnowledgeParams:
    """Solve ``a`` and ``b`` so grade 4 and grade 8 proficiency match ``TARGET_PROFICIENCY``."""
    params = base or DEFAULT_PARAMS
    t4, t8 = TARGET_PROFICIENCY[4], TARGET_PROFICIENCY[8]

    def prof(a: float, b: float, grade: int) -> float:
        p = _proficiency(replace(params, grade_offset=offsets_for(a, b)), grade, n_per_grade,
                         seed)
        if verbose:
            print(f"a={a:+.4f} b={b:+.4f} grade {grade}: {p:.4f}", file=sys.stderr)
        return p

    def a_for(b: float) -> float:
        return _bisect(lambda a: prof(a, b, 4), t4, -10.0, 4.0, tol)

    b = _bisect(lambda b: prof(a_for(b), b, 8), t8, -1.5, 1.5, tol, iters=20)
    a = a_for(b)
    if verbose:
        print(f"solved a={a:.4f} b={b:.4f}", file=sys.stderr)
    return replace(params, grade_offset=offsets_for(a, b))


if __name__ == "__main__":  # pragma: no cover - the one-off calibration run
    result = calibrate(verbose=True)
    print(result.grade_offset)
