"""Glue between the evidence store and planning: read the tables, name the columns our way.

Planning works on plain DataFrames (:mod:`sounding.planning.frames`); this module is the one
place that knows the store. It reads ``store.students()``, ``classes()``, ``enrollments()``,
``responses()``, ``scores()`` and ``mastery()`` and normalises a few column spellings
(OneRoster ``sourcedId`` style, ``user_id``) so the planning core never sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from sounding.errors import InvalidInput, NotFound, SoundingError
from sounding.planning.frames import evidence_summary

_ALIASES = {
    "students": {"sourcedId": "student_id", "user_id": "student_id", "userSourcedId":
                 "student_id", "schoolSourcedId": "school_id", "economically_disadvantaged":
                 "econ_disadvantaged"},
    "classes": {"sourcedId": "class_id", "schoolSourcedId": "school_id", "grades": "grade"},
    "enrollments": {"classSourcedId": "class_id", "userSourcedId": "student_id",
                    "user_id": "student_id"},
    "mastery": {"user_id": "student_id", "p": "p_mastered"},
    "responses": {"user_id": "student_id"},
    "scores": {"user_id": "student_id"},
}


@dataclass
class PlanningInputs:
    """The tables planning needs, read from a store and normalised."""

    mastery: pd.DataFrame
    students: pd.DataFrame
    classes: pd.DataFrame
    enrollments: pd.DataFrame
    responses: pd.DataFrame | None
    scores: pd.DataFrame | None

    def evidence(self) -> pd.DataFrame | None:
        """Per-student evidence summary (None without responses)."""
        if self.responses is None or not len(self.responses):
            return None
        return evidence_summary(self.responses)

    def latest_answer(self) -> date | None:
        """The date of the latest answer (the natural as-of date of a plan)."""
        if self.responses is None or not len(self.responses):
            return None
        ts = pd.to_datetime(self.responses["timestamp"], errors="coerce", utc=True,
                            format="mixed").max()
        return None if pd.isna(ts) else ts.date()

    def school_of_class(self, class_id: str) -> Any:
        hit = self.classes.loc[self.classes["class_id"] == class_id, "school_id"]
        if hit.empty:
            raise NotFound(f"no class {class_id!r} in the store")
        return hit.iloc[0]

    def only_school(self, school_id: Any) -> PlanningInputs:
        """The inputs restricted to one school (its students, classes and their evidence)."""
        st = self.students[self.students["school_id"] == school_id]
        if st.empty:
            raise NotFound(f"no school {school_id!r} in the store (or it has no students)")
        ids = set(st["student_id"])
        cl = self.classes[self.classes["school_id"] == school_id]
        return PlanningInputs(
            mastery=self.mastery[self.mastery["student_id"].isin(ids)],
            students=st.reset_index(drop=True), classes=cl.reset_index(drop=True),
            enrollments=self.enrollments[self.enrollments["class_id"].isin(set(cl["class_id"]))],
            responses=(None if self.responses is None
                       else self.responses[self.responses["student_id"].isin(ids)]),
            scores=(None if self.scores is None
                    else self.scores[self.scores["student_id"].isin(ids)]),
        )


def _norm(df: Any, kind: str) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame()
    if not isinstance(df, pd.DataFrame):
        df = pd.DataFrame(df)
    ren = {k: v for k, v in _ALIASES.get(kind, {}).items()
           if k in df.columns and v not in df.columns}
    return df.rename(columns=ren)


def inputs_from_frames(*, mastery: Any, students: Any, classes: Any, enrollments: Any,
                       responses: Any = None, scores: Any = None) -> PlanningInputs:
    """Normalise tables (from a store or anywhere) into :class:`PlanningInputs`."""
    st = _norm(students, "students")
    if "district_id" not in st.columns:
        st["district_id"] = "district"
    cl = _norm(classes, "classes")
    for col in ("title", "teacher_ids"):
        if col not in cl.columns:
            cl[col] = ""
    en = _norm(enrollments, "enrollments")
    if "role" in en.columns:
        en = en[en["role"].astype(str).str.lower() == "student"]
    ms = _norm(mastery, "mastery")
    if ms.empty:
        raise InvalidInput("the store has no mastery estimates yet; compute them first "
                           "(sounding mastery ...)")
    if "n_evidence" not in ms.columns:
        ms["n_evidence"] = 0
    rs = _norm(responses, "responses") if responses is not None else None
    sc = _norm(scores, "scores") if scores is not None else None
    return PlanningInputs(ms, st, cl, en, rs, sc)


def load_inputs(db: Any) -> PlanningInputs:
    """Read what planning needs from a store (an open Store, a path or a database URL).

    Raises
    ------
    SoundingError
        When the store cannot be opened or lacks mastery estimates.
    """
    try:
        from sounding.store import Store
    except ModuleNotFoundError as exc:  # the store package is built in parallel
        raise SoundingError(f"the evidence store is not available ({exc.name})") from None
    store = db if isinstance(db, Store) else Store.open(db)

    def read(name: str) -> Any:
        fn = getattr(store, name, None)
        return fn() if callable(fn) else None

    return inputs_from_frames(mastery=read("mastery"), students=read("students"),
                              classes=read("classes"), enrollments=read("enrollments"),
                              responses=read("responses"), scores=read("scores"))
