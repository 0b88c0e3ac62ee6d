"""Simulated test-takers whose true knowledge is known (the simulator's truth).

A simulated student answers an item by the item bank's own noise model: if they have truly
mastered the item's standard they give a correct response except for a slip; if not, they are
right only by a guess (one in the number of options for a choice item, rarely for an open
response). The response is *text* -- the key, an equivalent spelling of it, or a common
wrong answer -- and is marked by the same checker a real student's answer goes through, so
the simulation exercises the whole path from typing to placement.

True slips and guesses differ by template (seeded from the template id) and are not what the
engine assumes: the engine's model only knows per-standard averages, as in real life.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sounding.items.model import Item


def _u(text: str) -> float:
    """A stable uniform number in [0, 1) from a text."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 2**32


def true_slip(template_id: str) -> float:
    return 0.04 + 0.10 * _u("slip:" + template_id)


def true_guess(item: Item) -> float:
    if item.answer_type == "choice" and item.options:
        return 1.0 / len(item.options)
    return 0.01 + 0.05 * _u("guess:" + item.template_id)


@dataclass
class SimulatedStudent:
    """One student of a simulated district: id, grade (9 = Algebra I) and true mastery."""

    student_id: str
    grade: int
    mastered: dict[str, bool]
    rng: random.Random

    def knows(self, standard: str) -> bool:
        return bool(self.mastered.get(standard, False))

    def respond(self, item: Item) -> str:
        """A typed response: right with 1 - slip when mastered, else right by a guess."""
        p = 1.0 - true_slip(item.template_id) if self.knows(item.standard) else true_guess(item)
        if self.rng.random() < p:
            return item.key
        if item.distractors:
            return self.rng.choice(item.distractors)
        return "I don't know"


def students_from_district(district, rng_seed: int = 0) -> list[SimulatedStudent]:  # noqa: ANN001
    """Simulated students from a :class:`sounding.simulate.District` and its truth."""
    ts = district.truth_students
    tm = district.truth_mastery.set_index("student_id")
    codes = [c for c in tm.columns]
    vals = tm.to_numpy(dtype=bool)
    out = []
    for i, (sid, g, alg) in enumerate(zip(ts["student_id"], ts["grade"], ts["algebra1"],
                                          strict=True)):
        row = vals[tm.index.get_loc(sid)]
        out.append(SimulatedStudent(str(sid), 9 if alg else int(g),
                                    dict(zip(codes, row.tolist(), strict=True)),
                                    random.Random(f"{rng_seed}:{i}")))
    return out


def truth_frame(students: list[SimulatedStudent]) -> pd.DataFrame:
    """Long truth: student_id, standard, p_mastered (0/1) -- for the iceberg code."""
    rows = [(s.student_id, c, float(v)) for s in students for c, v in s.mastered.items()]
    return pd.DataFrame(rows, columns=["student_id", "standard", "p_mastered"])


def truth_matrix(students: list[SimulatedStudent], codes: tuple[str, ...]) -> np.ndarray:
    return np.array([[s.mastered.get(c, False) for c in codes] for s in students], dtype=float)
