"""Pathways that accelerate rather than remediate.

"Accelerate, don't remediate": instead of reteaching every unfinished standard of earlier
grades in order (remediation, which keeps a student working below grade all year), prepare the
student for the grade-level work that is coming -- the *next core unit* -- by finishing just the
foundations it rests on, just in time, then move on with what the student is ready to learn.

The order (per student, vectorised over a students x standards matrix)
----------------------------------------------------------------------
1. **Just in time**: the unfinished transitive prerequisites of the next unit's standards
   (the unit's own standards excluded: the unit teaches them), deepest first, in the
   progression's topological order (grade, then the map's order), so a foundation always
   comes before what rests on it.
2. **Ready to learn** (the outer fringe of the student's knowledge): standards not secure whose
   prerequisites are all secure, at or below the student's grade, ordered by how much
   grade-level work they unlock -- major-emphasis standards first, then the number of
   standards of the student's grade that rest on them (transitively), then everything that
   rests on them (``g.depth_weight``), then topological order.

The rule that makes a pathway usable: **a standard is recommended only when the student most
probably has not mastered it and is most probably ready for it**, both read from the
posterior (:func:`learn_scores`): ``sure = P(not mastered) x P(every direct prerequisite
mastered)`` (prerequisites taken as independent given their posteriors), and a step needs
``sure >= min_sure`` (0.75). A cut at the "secure" threshold is not enough: a standard at
P = 0.69 is "not secure" yet mastered 69% of the time (the posterior is calibrated), so the
old fringe (not secure, prerequisites secure) recommended mostly what students already knew
(23% of its steps were truly unmastered with mastered prerequisites on simulated districts).
Each step says how sure it is. Unit prerequisites that are probably unfinished
(P(not mastered) >= 0.5) but not recommendable yet are listed separately as ``later``, never
as steps. A missing estimate counts as P = 0.5.

Students placed in Algebra I are planned on the Algebra I course. After the last unit of the
year the next unit is the first unit of the next grade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from sounding.errors import NotFound
from sounding.planning.frames import (
    SECURE,
    GraphArrays,
    MasteryMatrix,
    check_classes,
    check_enrollments,
    check_mastery,
    check_students,
    enrollments_from_students,
    plan_grades,
    to_date,
)
from sounding.planning.scope import ScopeSequence, Unit, default_scope_sequence, plain_text
from sounding.progression import HS, StandardsGraph, load_default

JUST_IN_TIME = "just_in_time"
READY = "ready"
_BIG = np.iinfo(np.int32).max
#: A step needs P(not mastered) x P(prerequisites mastered) at least this high.
MIN_SURE = 0.75


def learn_scores(p: np.ndarray, prereq: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                             np.ndarray]:
    """(P(not mastered), P(ready), sure) per (student, standard) from a posterior matrix.

    ``p`` (n, J) P(mastered), NaN = unknown (0.5); ``prereq`` (J, J) bool, ``prereq[k, j]``:
    ``k`` is a direct prerequisite of ``j``. P(ready) is the product of the prerequisites'
    P(mastered) (1 for a standard without prerequisites); ``sure`` the product of both: the
    probability, under the posterior, that the standard is the student's next step.
    """
    p0 = np.clip(np.nan_to_num(p.astype(np.float64), nan=0.5), 1e-9, 1.0)
    p_ready = np.exp(np.log(p0) @ prereq.astype(np.float64))
    p_not = 1.0 - p0
    return p_not, p_ready, p_not * p_ready


@dataclass(frozen=True)
class PathwayStep:
    """One recommended standard of a pathway."""

    rank: int
    standard: str
    kind: str  # just_in_time | ready
    p_mastered: float
    grade: int
    is_major: bool
    unlocks: int  # standards of the student's grade resting on it
    reason: str
    p_ready: float = float("nan")  # P(every direct prerequisite mastered)
    sure: float = float("nan")  # P(not mastered) x P(ready): how sure the step is

    def to_dict(self) -> dict[str, Any]:
        def r4(x: float) -> float | None:
            return None if np.isnan(x) else round(float(x), 4)

        return {"rank": self.rank, "standard": self.standard, "kind": self.kind,
                "p_mastered": r4(self.p_mastered), "p_ready": r4(self.p_ready),
                "sure": r4(self.sure), "grade": self.grade, "is_major": self.is_major,
                "unlocks": self.unlocks, "reason": self.reason}


@dataclass(frozen=True)
class Pathway:
    """One student's pathway: the next unit, the steps, and what comes after them."""

    student_id: Any
    plan_grade: int
    unit: Unit | None
    steps: tuple[PathwayStep, ...]
    later: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"student_id": self.student_id, "plan_grade": self.plan_grade,
                "unit": self.unit.to_dict() if self.unit else None,
                "steps": [s.to_dict() for s in self.steps], "later": list(self.later)}


@dataclass
class PathwayTable:
    """Pathways of many students as tables.

    Attributes
    ----------
    steps : DataFrame
        ``student_id, rank, standard, kind, p_mastered, grade, is_major, unlocks, p_ready,
        sure, reason``.
    students : DataFrame
        ``student_id, plan_grade, unit_id, n_steps, n_just_in_time, n_later``.
    units : dict
        Next unit per plan grade (None when there is none).
    """

    steps: pd.DataFrame
    students: pd.DataFrame
    units: dict[int, Unit | None]
    _later: dict[Any, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def pathway(self, student_id: Any) -> Pathway:
        """The dataclass view of one student's pathway."""
        st = self.students[self.students["student_id"] == student_id]
        if st.empty:
            raise NotFound(f"no pathway for student {student_id!r}")
        g = int(st["plan_grade"].iloc[0])
        rows = self.steps[self.steps["student_id"] == student_id]
        steps = tuple(
            PathwayStep(int(r.rank), r.standard, r.kind, float(r.p_mastered), int(r.grade),
                        bool(r.is_major), int(r.unlocks), r.reason, float(r.p_ready),
                        float(r.sure))
            for r in rows.itertuples(index=False))
        return Pathway(student_id, g, self.units.get(g), steps, self._later.get(student_id, ()))

    def to_dict(self) -> dict[str, Any]:
        return {"pathways": [self.pathway(s).to_dict() for s in self.students["student_id"]]}


def pathways(
    mastery: pd.DataFrame,
    students: pd.DataFrame,
    *,
    classes: pd.DataFrame | None = None,
    enrollments: pd.DataFrame | None = None,
    graph: StandardsGraph | None = None,
    scope: ScopeSequence | None = None,
    as_of: date | str | None = None,
    n_steps: int = 6,
    secure: float = SECURE,
    min_sure: float = MIN_SURE,
) -> PathwayTable:
    """Every student's pathway to their next core unit and beyond.

    Parameters
    ----------
    mastery, students : DataFrame
        See :mod:`sounding.planning.frames`.
    classes, enrollments : DataFrame, optional
        To plan Algebra I students on the course.
    graph : StandardsGraph, optional
        Default: the shipped K-8 + Algebra I graph.
    scope : ScopeSequence, optional
        Default: the shipped scope and sequence.
    as_of : date, optional
        Default: today.
    n_steps : int, default 6
        Steps per student.
    secure : float, default 0.8
        Unused by the step rule (kept for callers); see ``min_sure``.
    min_sure : float, default 0.75
        P(not mastered) x P(prerequisites mastered) a step needs.

    Returns
    -------
    PathwayTable
    """
    graph = graph or load_default().k8_algebra1()
    st = check_students(students)
    ms = check_mastery(mastery, graph)
    cl = check_classes(classes) if classes is not None else None
    en = (check_enrollments(enrollments) if enrollments is not None
          else enrollments_from_students(st))
    m = MasteryMatrix.build(ms, st, graph)
    pg = plan_grades(st, cl, en)
    return pathways_from_matrix(m, graph, pg, scope or default_scope_sequence(),
                                to_date(as_of) or date.today(), n_steps=n_steps, secure=secure,
                                min_sure=min_sure)


class _Plan:
    """Per-graph, per-unit arrays shared by all students of a grade."""

    def __init__(self, graph: StandardsGraph, ga: GraphArrays) -> None:
        self.graph, self.ga = graph, ga
        n_j = len(ga.codes)
        self.prereq_f = ga.prereq.astype(np.float32)
        grade_onehot = ga.grade[None, :] == np.arange(HS + 1)[:, None]  # (10, J)
        self.unlocks = (ga.closure.astype(np.int32) @ grade_onehot.T.astype(np.int32)).T
        self.depth = ga.closure.sum(axis=1)
        self.fringe_rank = np.empty((HS + 1, n_j), dtype=np.int64)
        topo = np.arange(n_j)
        for g in range(HS + 1):
            order = np.lexsort((topo, -self.depth, -self.unlocks[g], ~ga.major))
            self.fringe_rank[g, order] = np.arange(n_j)

    def unit_masks(self, unit: Unit | None) -> tuple[np.ndarray, np.ndarray]:
        """(needed prerequisites, the unit's own standards) as (J,) bool masks."""
        n_j = len(self.ga.codes)
        own = np.zeros(n_j, dtype=bool)
        if unit is None:
            return np.zeros(n_j, dtype=bool), own
        cols = [self.ga.index[c] for c in unit.standards if c in self.ga.index]
        own[cols] = True
        need = self.ga.closure[:, cols].any(axis=1) & ~own if cols else np.zeros(n_j, bool)
        return need, own


def pathways_from_matrix(m: MasteryMatrix, graph: StandardsGraph, plan_grade: np.ndarray,
                         scope: ScopeSequence, as_of: date, *, n_steps: int = 6,
                         secure: float = SECURE, min_sure: float = MIN_SURE) -> PathwayTable:
    """The pathway rule on arrays (the vectorised core of :func:`pathways`)."""
    ga = GraphArrays.of(graph)
    plan = _Plan(graph, ga)
    n_s, n_j = m.p.shape
    p_not, p_ready, sure = learn_scores(m.p, ga.prereq)
    ready = sure >= min_sure
    units = {int(g): scope.next_unit(int(g), as_of) for g in np.unique(plan_grade)}
    masks = {g: plan.unit_masks(u) for g, u in units.items()}
    need = np.zeros((n_s, n_j), dtype=bool)
    own = np.zeros((n_s, n_j), dtype=bool)
    for g, (nd, ow) in masks.items():
        rows = plan_grade == g
        need[rows] = nd
        own[rows] = ow
    at_or_below = ga.grade[None, :] <= plan_grade[:, None]
    jit = ready & need
    fringe = ready & ~need & ~own & at_or_below
    # just in time first, surest first; then the fringe, major work first, surest first
    score = np.where(jit, 1.0 - sure,
                     np.where(fringe, 2.0 + (~ga.major)[None, :] + (1.0 - sure), float(_BIG)))
    k = min(n_steps, n_j)
    top = np.argsort(score, axis=1, kind="stable")[:, :k]
    top_score = np.take_along_axis(score, top, axis=1)
    keep = top_score < _BIG
    r_idx = np.repeat(np.arange(n_s), k).reshape(n_s, k)[keep]
    j_idx = top[keep]
    rank = (np.cumsum(keep, axis=1) - 1)[keep] + 1
    kind = np.where(top_score[keep] < 2.0, JUST_IN_TIME, READY)
    later = need & (p_not >= 0.5) & ~ready
    reasons = _Reasons(plan, units)
    g_rows = plan_grade[r_idx]
    steps = pd.DataFrame({
        "student_id": m.student_ids[r_idx], "rank": rank.astype(np.int64),
        "standard": np.asarray(ga.codes, dtype=object)[j_idx], "kind": kind,
        "p_mastered": m.p[r_idx, j_idx].astype(np.float64), "grade": ga.grade[j_idx],
        "is_major": ga.major[j_idx], "unlocks": plan.unlocks[g_rows, j_idx],
        "p_ready": p_ready[r_idx, j_idx], "sure": sure[r_idx, j_idx],
        "reason": [f"{reasons(int(g), int(j), str(kd))} (how sure: {sr:.0%} that it is not "
                   f"yet mastered and its prerequisites are)"
                   for g, j, kd, sr in zip(g_rows, j_idx, kind, sure[r_idx, j_idx],
                                           strict=True)],
    })
    students = pd.DataFrame({
        "student_id": m.student_ids, "plan_grade": plan_grade,
        "unit_id": [units[int(g)].unit_id if units[int(g)] else None for g in plan_grade],
        "n_steps": keep.sum(axis=1), "n_just_in_time": jit.sum(axis=1),
        "n_later": later.sum(axis=1),
    })
    later_lists: dict[Any, tuple[str, ...]] = {}
    rows_l, cols_l = np.nonzero(later)
    if rows_l.size:
        codes = np.asarray(ga.codes, dtype=object)
        split = np.flatnonzero(np.diff(rows_l)) + 1
        for rr, cc in zip(np.split(rows_l, split), np.split(cols_l, split), strict=True):
            later_lists[m.student_ids[rr[0]]] = tuple(codes[cc])
    return PathwayTable(steps, students, units, later_lists)


class _Reasons:
    """One-line reasons, cached per (grade, standard, kind): they do not depend on the student."""

    def __init__(self, plan: _Plan, units: dict[int, Unit | None]) -> None:
        self.plan, self.units = plan, units
        self.cache: dict[tuple[int, int, str], str] = {}

    def __call__(self, g: int, j: int, kind: str) -> str:
        key = (g, j, kind)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        ga, graph = self.plan.ga, self.plan.graph
        code = ga.codes[j]
        if kind == JUST_IN_TIME:
            u = self.units[g]
            assert u is not None
            rest = [c for c in u.standards if c in ga.index and ga.closure[j, ga.index[c]]]
            names = ", ".join(rest[:3]) + (f" and {len(rest) - 3} more" if len(rest) > 3 else "")
            text = (f"needed for the next unit {u.unit_id} ({_cut(u.title)}), starting "
                    f"{u.start_date.isoformat()}: {names} rest on it")
        else:
            n = int(self.plan.unlocks[g, j])
            what = "major work" if ga.major[j] else "supporting work"
            text = (f"ready to learn (probably not mastered, its prerequisites probably are); "
                    f"{what}, unlocks {n} "
                    f"standard{'s' if n != 1 else ''} of this grade: "
                    f"{_cut(plain_text(graph[code].text))}")
        self.cache[key] = text
        return text


def _cut(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "..."
