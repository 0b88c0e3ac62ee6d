"""What the views of students and classes read: a mastery result or a store, indexed once.

:class:`ViewSource` (:func:`view_source`) turns a
:class:`~sounding.mastery.pipeline.MasteryResult`
or a store's mastery table into lookups by student and class, so the query layer's hundreds of
student and class views (``sounding.services.views``) cost a dictionary lookup each rather
than a scan of the whole posterior. ``ready_to_learn`` is the mastery-level rule behind every
"ready to learn" list. Kept apart from :mod:`sounding.mastery.pipeline`, which fits.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sounding.errors import InvalidInput, NotFound
from sounding.mastery.pipeline import (
    MasteryResult,
    _open_store,
    cap_strand_ends,
    normalize_posterior,
)
from sounding.mastery.profile import IcebergTables, compute_icebergs
from sounding.progression import StandardsGraph, grade_label, load_default
from sounding.roster.normalize import (
    is_blank,
    none_if_empty,
    normalize_classes,
    normalize_enrollments,
    normalize_students,
    student_grades,
)

__all__ = ["READY_SURE", "Rows", "ViewSource", "py_value", "ready_to_learn", "round_value",
           "successor_grades", "view_source"]

class Rows:
    """Rows of a frame by key, found through a prebuilt position index (no scans per lookup)."""

    def __init__(self, df: pd.DataFrame, key: str = "student_id") -> None:
        self.df = df
        self.pos: dict[Any, np.ndarray] = (df.groupby(key, sort=False, observed=True).indices
                                           if len(df) else {})

    def __call__(self, ids: list[Any]) -> pd.DataFrame:
        parts = [self.pos[i] for i in ids if i in self.pos]
        if not parts:
            return self.df.iloc[:0]
        return self.df.iloc[np.concatenate(parts)]


class ViewSource:
    """What the views need, from a result or from a store, indexed once.

    A :class:`MasteryResult` keeps its source, so the report's hundreds of student and class
    views cost a dictionary lookup each rather than a scan of the whole posterior.
    """

    def __init__(self, posterior: pd.DataFrame, students: pd.DataFrame,
                 classes: pd.DataFrame | None, enrollments: pd.DataFrame | None,
                 graph: StandardsGraph, icebergs: IcebergTables | None) -> None:
        self.graph = graph
        self.students = students
        self.classes = classes
        self.enrollments = enrollments
        self.icebergs = icebergs
        self.posterior = Rows(posterior)
        self._student_pos = {s: i for i, s in enumerate(students["student_id"])}
        self._student_str = {str(s): s for s in students["student_id"]}
        self._classes_of: dict[Any, list[Any]] = {}
        self._members: dict[Any, list[Any]] = {}
        if enrollments is not None:
            for c, sid in zip(enrollments["class_id"], enrollments["student_id"], strict=True):
                self._classes_of.setdefault(sid, []).append(c)
                self._members.setdefault(c, []).append(sid)
        self._class_pos = ({c: i for i, c in enumerate(classes["class_id"])}
                           if classes is not None else {})
        if icebergs is not None:
            self._strands = Rows(icebergs.strands)
            self._unfinished = Rows(icebergs.unfinished)
            self._ice_students = Rows(icebergs.students)
        self._grades: dict[Any, int] | None = None

    def student(self, student_id: Any) -> pd.Series:
        sid = student_id if student_id in self._student_pos else self._student_str.get(
            str(student_id))
        if sid is None:
            raise NotFound(f"no student {student_id!r}")
        return self.students.iloc[self._student_pos[sid]]

    def klass(self, class_id: Any) -> pd.Series:
        if self.classes is None or self.enrollments is None:
            raise NotFound("class views need the roster's classes and enrollments")
        cid = class_id if class_id in self._class_pos else next(
            (c for c in self._class_pos if str(c) == str(class_id)), None)
        if cid is None:
            raise NotFound(f"no class {class_id!r}")
        return self.classes.iloc[self._class_pos[cid]]

    def members(self, class_id: Any) -> list[Any]:
        return list(dict.fromkeys(self._members.get(class_id, [])))

    def classes_of(self, student_id: Any) -> list[dict[str, Any]]:
        out = []
        for c in dict.fromkeys(self._classes_of.get(student_id, [])):
            if c in self._class_pos:
                r = self.classes.iloc[self._class_pos[c]]  # type: ignore[union-attr]
                out.append({"class_id": py_value(c), "title": str(r["title"]),
                            "algebra1": bool(r["algebra1"])})
        return out

    def tables(self, ids: list[Any]) -> tuple[pd.DataFrame, IcebergTables]:
        post = self.posterior(ids)
        if self.icebergs is not None:
            return post, IcebergTables(strands=self._strands(ids),
                                       unfinished=self._unfinished(ids),
                                       students=self._ice_students(ids))
        if self._grades is None:
            self._grades = student_grades(self.students, self.classes, self.enrollments)
        have = set(post["student_id"])
        st = pd.DataFrame([(s, self._grades[s]) for s in ids if s in self._grades and s in have],
                          columns=["student_id", "grade"])
        return post, cap_strand_ends(compute_icebergs(post, st, self.graph), self.graph)


def view_source(src: Any, graph: StandardsGraph | None, model: str) -> ViewSource:
    if isinstance(src, MasteryResult):
        if graph is not None and graph is not src.graph and graph != src.graph:
            raise InvalidInput("the graph differs from the one the result was fitted on")
        if not src.kept:
            raise InvalidInput("this result streamed its posterior to the store without "
                               "keeping it; show students and classes from the store")
        if src._views is None:
            src._views = ViewSource(src.posterior, src.students, src.classes, src.enrollments,
                                 src.graph, src.icebergs)
        return src._views
    st = _open_store(src)
    if not hasattr(st, "mastery"):
        raise InvalidInput("expected a MasteryResult or a store")
    g = graph if graph is not None else (st.progression().k8_algebra1()
                                         if hasattr(st, "progression")
                                         else load_default().k8_algebra1())
    fn = st.mastery
    try:
        takes_model = "model" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover
        takes_model = False
    raw = fn(model=model) if takes_model else fn()
    if raw is None or not len(raw):
        raise InvalidInput("the store has no mastery estimates yet; run `sounding mastery fit`")
    if "model" in raw.columns:
        raw = raw[raw["model"].astype(str) == model]
        if raw.empty:
            raise InvalidInput(f"the store has no mastery estimates from model {model!r}")
    return ViewSource(normalize_posterior(raw), normalize_students(st.students()),
                   normalize_classes(none_if_empty(st.classes())),
                   normalize_enrollments(none_if_empty(st.enrollments())), g, None)


def py_value(v: Any) -> Any:
    """JSON-ready scalars (numpy -> python, NaN/NA -> None)."""
    if is_blank(v) and not isinstance(v, str):
        return None
    if isinstance(v, np.bool_ | bool):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating | float):
        f = float(v)
        return None if math.isnan(f) else f
    return v


def round_value(v: Any, d: int = 3) -> float | None:
    v = py_value(v)
    return None if v is None else round(float(v), d)


_SUCC_GRADES: dict[int, tuple[StandardsGraph, dict[str, np.ndarray]]] = {}


def successor_grades(graph: StandardsGraph, code: str) -> np.ndarray:
    """Grades of everything resting on ``code`` (transitively); cached per graph object."""
    hit = _SUCC_GRADES.get(id(graph))
    if hit is None or hit[0] is not graph:
        hit = (graph, {})
        _SUCC_GRADES[id(graph)] = hit
    cache = hit[1]
    if code not in cache:
        cache[code] = np.array([graph[c].grade_num
                                for c in graph.successors(code, transitive=True)],
                               dtype=np.int64)
    return cache[code]


#: "Ready to learn" needs P(not mastered) x P(every prerequisite mastered) at least this high
#: (the same rule as planning's pathways, ``sounding.planning.pathways.MIN_SURE``).
READY_SURE = 0.75


def ready_to_learn(p: Mapping[str, float], grade: int, graph: StandardsGraph,
                    n: int, min_sure: float = READY_SURE) -> list[dict[str, Any]]:
    """What the student most probably has not mastered and is most probably ready for.

    Both probabilities come from the posterior, which is calibrated: ``p_ready`` is the
    product of the direct prerequisites' P(mastered) (independent given the posterior; a
    missing one counts 0.5), ``sure = (1 - P(mastered)) * p_ready``, and a standard is listed
    only when ``sure >= min_sure`` (0.75). A cut at the "secure" threshold (not secure, every
    prerequisite secure) listed mostly standards the student already knew: a standard at
    P = 0.69 is mastered 69% of the time (on simulated districts 31% of those were truly not
    mastered). Standards at or below the student's grade come first (the grade above only
    when nothing at grade is ready), ordered by how much work at the student's grade or above
    rests on them, major work first, then the surest first.
    """
    def candidates(max_grade: int) -> list[dict[str, Any]]:
        out = []
        for code, pm in p.items():
            s = graph[code]
            if pm is None or s.grade_num > max_grade:
                continue
            pre = graph.prerequisites(code)
            p_ready = float(np.prod([0.5 if p.get(q) is None else float(p[q]) for q in pre]))
            sure = (1.0 - float(pm)) * p_ready
            if sure < min_sure:
                continue
            dep = int((successor_grades(graph, code) >= grade).sum())
            out.append({"standard": code, "grade": s.grade_num,
                        "grade_label": grade_label(s.grade_num), "strand": s.strand,
                        "p_mastered": round(float(pm), 3), "p_ready": round(p_ready, 3),
                        "sure": round(sure, 3), "n_dependents": dep,
                        "is_major": s.is_major, "text": s.text,
                        "n_prerequisites": len(pre)})
        out.sort(key=lambda r: (-r["n_dependents"], not r["is_major"], -r["sure"],
                                r["standard"]))
        return out

    ready = candidates(grade)
    if not ready and grade < 9:
        ready = candidates(grade + 1)
    return ready[:n]
