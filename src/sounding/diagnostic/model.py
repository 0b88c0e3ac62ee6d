"""The diagnostic's learner model: the graph-aware mastery model, calibrated for the bank.

The engine places students with :class:`sounding.mastery.graph_model.GraphMastery`. Its
parameters for the diagnostic are fitted by EM on answers to *this* bank's items across the
grades (a district's grade-level test data rarely has the below-grade evidence that the
below-grade offsets need), with each standard's guess and slip set from its items: one in the
number of options for a choice item, 0.05 for an open response, and a slip of 0.1.

The shipped parameters (``params.json`` beside this module) were made by :func:`calibrate`
on simulated students (``sounding diagnostic calibrate``), so they are reproducible; a
district can recalibrate on its own diagnostic answers the same way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sounding.core.resources import packaged_or_given_json
from sounding.diagnostic.students import SimulatedStudent, students_from_district
from sounding.errors import InvalidInput
from sounding.items.bank import ItemBank
from sounding.mastery.graph_model import GraphMastery, GraphParams, MasteryState
from sounding.progression import StandardsGraph, load_default

PARAMS_FILE = "params.json"
SLIP = 0.1


@dataclass(frozen=True)
class ModelTables:
    """What the exact placement computation needs from a fitted :class:`GraphMastery`.

    The mastery package keeps these tables private (they change with its internals); the
    diagnostic reads them here and only here, so a change there is fixed in one place.
    """

    params: GraphParams
    P1: np.ndarray         # (grades, standards, K): P(mastered | strand ability z_k)
    W: np.ndarray          # (strands, Q, K): kernel of z_s given the general ability g_q
    logw: np.ndarray       # (Q,): log prior weights of the general ability grid
    std_grade: np.ndarray  # (standards,): each standard's grade number


def model_tables(model: GraphMastery) -> ModelTables:
    """The fitted model's tables (raises ``NotFitted`` on an unfitted model)."""
    params = model._check_fitted()
    P1, W = model._tables()
    return ModelTables(params, P1, W, np.asarray(model._logw),
                       np.asarray(model._std_grade))


def state_grid(model: GraphMastery, state: MasteryState
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(logS, logA, touched)`` of an online state: per strand, the answers' log-likelihood
    on the strand grid, its integral on the general-ability grid, and whether the strand has
    answers (rebuilt from the answer counts when the state carries no grid)."""
    if state._grid is None:
        state = model._state(state.grade, state.n_correct, state.n_wrong)
    g = state._grid
    return g.logS, g.logA, g.touched


def grade_number(grade: int | str) -> int:
    """A grade as the model numbers it (``"K"`` -> 0, ``"5"`` -> 5, Algebra I -> 9)."""
    from sounding.mastery.graph_model import _grade_num

    return _grade_num(grade)


def bank_noise(bank: ItemBank) -> tuple[np.ndarray, np.ndarray]:
    """Per standard (graph order): the guess and slip of its items, as the model assumes."""
    codes = tuple(bank.graph.standard_codes)
    guess = np.full(len(codes), 0.05)
    for j, c in enumerate(codes):
        temps = bank.templates.get(c, [])
        if temps:
            guess[j] = float(np.mean([t.generate(0).guess for t in temps]))
    return np.clip(guess, 0.01, 0.45), np.full(len(codes), SLIP)


def params_to_json(p: GraphParams) -> dict[str, Any]:
    return {
        "standards": list(p.standards), "strands": list(p.strands),
        "intercept": p.intercept.tolist(), "offset": p.offset.tolist(),
        "strand_index": p.strand_index.tolist(), "scale": p.scale.tolist(),
        "loading": p.loading.tolist(), "guess": p.guess.tolist(), "slip": p.slip.tolist(),
        "slope": None if p.slope is None else p.slope.tolist(),
    }


def params_from_json(d: dict[str, Any], graph: StandardsGraph) -> GraphParams:
    if tuple(d["standards"]) != tuple(graph.standard_codes):
        raise InvalidInput("diagnostic parameters were fitted on a different progression")
    arr = {k: np.asarray(d[k], dtype=float) for k in ("intercept", "offset", "scale",
                                                      "loading", "guess", "slip")}
    return GraphParams(
        standards=tuple(d["standards"]), intercept=arr["intercept"], offset=arr["offset"],
        strands=tuple(d["strands"]), strand_index=np.asarray(d["strand_index"], dtype=np.int64),
        scale=arr["scale"], loading=arr["loading"], guess=arr["guess"], slip=arr["slip"],
        slope=None if d.get("slope") is None else np.asarray(d["slope"], dtype=float))


def default_model(graph: StandardsGraph | None = None, path: str | Path | None = None
                  ) -> GraphMastery:
    """The diagnostic's model with the shipped (or given) parameters.

    Without a parameter file, the model's documented no-data defaults with the bank's
    guess/slip (placements are then much less accurate: calibrate first).
    """
    graph = graph or load_default().k8_algebra1()
    d = packaged_or_given_json("sounding.diagnostic", PARAMS_FILE, path)
    if d is None:
        p = GraphParams.default(graph)
        p.guess, p.slip = bank_noise(ItemBank.default(graph))
    else:
        p = params_from_json(d, graph)
    return GraphMastery.from_params(graph, p)


def calibration_answers(students: list[SimulatedStudent], bank: ItemBank, *,
                        answers_per_student: int = 40, seed: int = 0) -> pd.DataFrame:
    """Simulated answers to random items across each student's grades (for calibration).

    Standards at the student's grade and the four below are drawn five times as often as
    earlier ones: that is where placements are decided.
    """
    codes = np.array(bank.standards)
    sg = np.array([bank.graph[c].grade_num for c in codes])
    rng = random.Random(seed)
    rows = []
    for s in students:
        ok = sg <= s.grade
        w = np.where(sg[ok] >= s.grade - 4, 5.0, 1.0)
        pool = codes[ok]
        picks = rng.choices(range(len(pool)), weights=w.tolist(), k=answers_per_student)
        for k, i in enumerate(picks):
            item = bank.generate(str(pool[i]), rng.randrange(10**9))
            resp = s.respond(item)
            rows.append((s.student_id, item.item_id, item.template_id, item.standard,
                         int(item.check(resp)), k))
    return pd.DataFrame(rows, columns=["student_id", "item_id", "template_id", "standard",
                                       "correct", "order_id"])


def calibrate(*, n_students: int = 3000, seed: int = 101, answers_per_student: int = 40,
              graph: StandardsGraph | None = None, bank: ItemBank | None = None,
              max_iter: int = 60) -> tuple[GraphMastery, pd.DataFrame]:
    """Fit the diagnostic's model (and the bank's IRT calibration) on simulated students.

    Returns the fitted model and the answers it was fitted on.
    """
    from sounding.simulate import DistrictSpec, simulate_district

    graph = graph or load_default().k8_algebra1()
    bank = bank or ItemBank.default(graph, calibrated=False)
    district = simulate_district(DistrictSpec(n_students=n_students, seed=seed))
    students = students_from_district(district, rng_seed=seed)
    answers = calibration_answers(students, bank, answers_per_student=answers_per_student,
                                  seed=seed)
    p = GraphParams.default(graph)
    p.guess, p.slip = bank_noise(bank)
    model = GraphMastery(graph, init_params=p, max_iter=max_iter)
    grades = {s.student_id: s.grade for s in students}
    model.fit(answers.rename(columns={"student_id": "user_id", "standard": "skill_name"})
              [["user_id", "skill_name", "correct", "order_id"]], grades)
    return model, answers
