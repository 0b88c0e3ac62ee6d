"""Glue between the evidence store and planning: read the tables, name the columns our way.

Planning works on plain DataFrames (:mod:`sounding.planning.frames`); this module is the one
place that knows the store. It reads ``store.students()``, ``classes()``, ``enrollments()``,
``responses()``, ``scores()`` and ``mastery()``, the planning tables a district may have
imported (``scope_sequence``, ``interventions``, ``family_signals``) and the district's
progression (``store.progression().k8_algebra1()``), and normalises a few column spellings
(OneRoster ``sourcedId`` style, ``user_id``, race booleans) so the planning core never sees
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from sounding.errors import InvalidInput, NotFound, SoundingError
from sounding.planning.frames import evidence_summary, to_date
from sounding.planning.scope import (
    ScopeSequence,
    default_scope_sequence,
    scope_from_frame,
    scope_grade_label,
)
from sounding.progression import StandardsGraph

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
    """The tables planning needs, read from a store and normalised.

    ``scope_rows``, ``interventions`` and ``family_signals`` are the stored planning tables
    (None when the district imported none); ``graph`` the district's progression (None: the
    shipped one). ``progress`` holds a progress-monitoring report once a caller computed it.
    """

    mastery: pd.DataFrame
    students: pd.DataFrame
    classes: pd.DataFrame
    enrollments: pd.DataFrame
    responses: pd.DataFrame | None
    scores: pd.DataFrame | None
    scope_rows: pd.DataFrame | None = None
    interventions: pd.DataFrame | None = None
    family_signals: pd.DataFrame | None = None
    graph: StandardsGraph | None = None
    progress: Any = None
    _scope_cache: dict[Any, ScopeSequence | None] = field(default_factory=dict, repr=False)

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

    def as_of(self, value: Any = None) -> date:
        """``value`` as a date, else the latest answer, else today."""
        return to_date(value) or self.latest_answer() or date.today()

    def stored_scope(self, district_id: Any = None) -> ScopeSequence | None:
        """The scope and sequence imported for ``district_id`` (default: the students' one
        district), else rows imported for every district (no district id), else None."""
        rows = self.scope_rows
        if rows is None or not len(rows):
            return None
        if district_id is None:
            ids = pd.unique(self.students["district_id"].dropna()) if len(self.students) else []
            district_id = ids[0] if len(ids) == 1 else None
        key = str(district_id)
        if key in self._scope_cache:
            return self._scope_cache[key]
        d = rows["district_id"]
        part = rows[d.astype(str) == key] if district_id is not None else rows.iloc[0:0]
        if part.empty:
            part = rows[d.isna()]
        if part.empty and district_id is None and d.nunique() == 1:
            part = rows
        out = None
        if len(part):
            raw = part.assign(grade=part["grade"].map(lambda g: scope_grade_label(int(g))),
                              start_date=part["start_date"].astype(str).str[:10],
                              end_date=part["end_date"].astype(str).str[:10])
            out = scope_from_frame(raw, graph=self.graph,
                                   source=f"the stored scope and sequence ({key})")
        self._scope_cache[key] = out
        return out

    def scope(self, override: ScopeSequence | None = None) -> ScopeSequence:
        """What plans use: ``override`` (a file given on the command line), else the stored
        scope of the district, else the shipped default."""
        return override or self.stored_scope() or default_scope_sequence()

    def intervention_log(self) -> pd.DataFrame | None:
        """The stored intervention log in :func:`~sounding.planning.interventions.
        read_intervention_log`'s form (``record_id`` = the stored id), or None."""
        rows = self.interventions
        if rows is None or not len(rows):
            return None
        from sounding.planning.interventions import intervention_log_from_frame

        raw = pd.DataFrame({
            "student_id": rows["student_id"].astype(str),
            "intervention": rows["intervention"].astype(str),
            "standards": rows["standards"].fillna("").astype(str),
            "start_date": rows["start_date"].astype(str).str[:10],
            "end_date": rows["end_date"].map(lambda v: "" if pd.isna(v) else str(v)[:10]),
            "minutes": rows["minutes"].map(lambda v: "" if pd.isna(v) else str(int(v))),
            "provider": rows["provider"].fillna("").astype(str),
        })
        log = intervention_log_from_frame(raw, self.graph, source="the stored interventions")
        log["record_id"] = rows["id"].astype(str).to_numpy()
        return log

    def progress_report(self, log: pd.DataFrame | None = None, *, as_of: Any = None,
                        model: Any = None) -> Any:
        """Progress monitoring (:func:`~sounding.planning.interventions.progress_monitoring`)
        of ``log`` (default: the stored log; None when there is none) on the store's answers,
        with the graph-aware mastery model: ``model`` (the mastery stage's fitted one) or one
        fitted here on all the district's answers, each student measured against their grade
        (Algebra I placements as Algebra I)."""
        log = self.intervention_log() if log is None else log
        if log is None:
            return None
        if self.responses is None or not len(self.responses):
            raise InvalidInput("the store holds no responses; import evidence first")
        from sounding.mastery.pipeline import student_grades
        from sounding.planning.interventions import progress_monitoring

        grades = student_grades(self.students, self.classes, self.enrollments)
        return progress_monitoring(log, self.responses, model=model, grades=grades,
                                   graph=self.graph, as_of=to_date(as_of))

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

        def rows(df: pd.DataFrame | None) -> pd.DataFrame | None:
            return None if df is None else df[df["student_id"].isin(ids)]

        return PlanningInputs(
            mastery=self.mastery[self.mastery["student_id"].isin(ids)],
            students=st.reset_index(drop=True), classes=cl.reset_index(drop=True),
            enrollments=self.enrollments[self.enrollments["class_id"].isin(set(cl["class_id"]))],
            responses=rows(self.responses), scores=rows(self.scores),
            scope_rows=self.scope_rows, interventions=rows(self.interventions),
            family_signals=rows(self.family_signals), graph=self.graph,
            _scope_cache=self._scope_cache,
        )


def _norm(df: Any, kind: str) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame()
    if not isinstance(df, pd.DataFrame):
        df = pd.DataFrame(df)
    ren = {k: v for k, v in _ALIASES.get(kind, {}).items()
           if k in df.columns and v not in df.columns}
    return df.rename(columns=ren)


def _with_race(st: pd.DataFrame) -> pd.DataFrame:
    """``race_ethnicity`` from the OneRoster race booleans, as the mastery layer derives it."""
    if "race_ethnicity" in st.columns or st.empty:
        return st
    from sounding.roster.normalize import race_from_booleans as _race_from_booleans

    race = _race_from_booleans(st)
    if race is not None:
        st = st.assign(race_ethnicity=race.to_numpy())
    return st


def _optional(df: Any) -> pd.DataFrame | None:
    if df is None:
        return None
    df = df if isinstance(df, pd.DataFrame) else pd.DataFrame(df)
    return df if len(df) else None


def inputs_from_frames(*, mastery: Any, students: Any, classes: Any, enrollments: Any,
                       responses: Any = None, scores: Any = None, scope_rows: Any = None,
                       interventions: Any = None, family_signals: Any = None,
                       graph: StandardsGraph | None = None) -> PlanningInputs:
    """Normalise tables (from a store or anywhere) into :class:`PlanningInputs`."""
    st = _with_race(_norm(students, "students"))
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
    return PlanningInputs(ms, st, cl, en, rs, sc, scope_rows=_optional(scope_rows),
                          interventions=_optional(interventions),
                          family_signals=_optional(family_signals), graph=graph)


def open_store(db: Any) -> Any:
    """An open Store from a Store, a path or a database URL."""
    try:
        from sounding.store import Store
    except ModuleNotFoundError as exc:  # the store package is built in parallel
        raise SoundingError(f"the evidence store is not available ({exc.name})") from None
    return db if isinstance(db, Store) else Store.open(db)


def load_inputs(db: Any) -> PlanningInputs:
    """Read what planning needs from a store (an open Store, a path or a database URL).

    Raises
    ------
    SoundingError
        When the store cannot be opened or lacks mastery estimates.
    """
    store = open_store(db)

    def read(name: str) -> Any:
        fn = getattr(store, name, None)
        return fn() if callable(fn) else None

    def table(name: str) -> pd.DataFrame | None:
        fn = getattr(store, "table", None)
        if not callable(fn):
            return None
        try:
            return fn(name)
        except NotFound:  # a store without that planning table: nothing stored
            return None

    graph = store.progression().k8_algebra1() if hasattr(store, "progression") else None
    return inputs_from_frames(mastery=read("mastery"), students=read("students"),
                              classes=read("classes"), enrollments=read("enrollments"),
                              responses=read("responses"), scores=read("scores"),
                              scope_rows=table("scope_sequence"),
                              interventions=table("interventions"),
                              family_signals=table("family_signals"), graph=graph)
