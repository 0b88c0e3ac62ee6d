"""Data quality: what is missing or stale in the roster and the evidence.

These are system-level signals, not student findings: a class whose evidence stopped in
October, students with no evidence at all, a class with no teacher or no students, students
enrolled in no class. Planning uses them later to say "we cannot see this" instead of "this
class is fine", and every import prints them so a district sees gaps the day it loads data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from sounding.store import tables as T


@dataclass
class DataQuality:
    """Gaps in the roster and the evidence, as of a date."""

    as_of: datetime | None
    stale_days: int
    n_students: int = 0
    n_classes: int = 0
    n_responses: int = 0
    students_without_evidence: list[str] = field(default_factory=list)
    classes_without_teacher: list[str] = field(default_factory=list)
    classes_without_students: list[str] = field(default_factory=list)
    students_not_enrolled: list[str] = field(default_factory=list)
    stale_classes: list[str] = field(default_factory=list)
    #: per class: class_id, school_id, n_students, n_with_evidence, last_response,
    #: days_since_last (NaN when never), stale
    class_evidence: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> list[tuple[str, int]]:
        """(signal, count) rows, the way the CLI prints them."""
        return [
            ("students", self.n_students),
            ("classes", self.n_classes),
            ("responses", self.n_responses),
            ("students with no evidence", len(self.students_without_evidence)),
            ("students not enrolled in any class", len(self.students_not_enrolled)),
            ("classes with no teacher", len(self.classes_without_teacher)),
            ("classes with no students", len(self.classes_without_students)),
            (f"classes with no evidence in {self.stale_days} days", len(self.stale_classes)),
        ]

    def to_dict(self, limit: int | None = None) -> dict:
        """JSON-ready; ``limit`` caps each id list (counts stay exact)."""
        def cut(ids: list[str]) -> list[str]:
            return ids if limit is None else ids[:limit]

        ce = self.class_evidence.copy()
        if not ce.empty:
            ce["last_response"] = ce["last_response"].map(
                lambda t: None if pd.isna(t) else t.isoformat())
            ce["days_since_last"] = ce["days_since_last"].map(
                lambda d: None if pd.isna(d) else int(d))
        return {
            "as_of": self.as_of.isoformat() if self.as_of is not None else None,
            "stale_days": self.stale_days,
            "counts": {name: n for name, n in self.summary()},
            "students_without_evidence": cut(self.students_without_evidence),
            "students_not_enrolled": cut(self.students_not_enrolled),
            "classes_without_teacher": cut(self.classes_without_teacher),
            "classes_without_students": cut(self.classes_without_students),
            "stale_classes": cut(self.stale_classes),
            "class_evidence": ce.to_dict(orient="records") if limit is None
            else ce.head(limit).to_dict(orient="records"),
        }


def data_quality(store, *, as_of: datetime | str | None = None,
                 stale_days: int = 120) -> DataQuality:
    """Find gaps in a store's roster and evidence.

    :param as_of: the date staleness is measured from; default the latest response in the
        store (so an archived district is judged against its own last day, not today).
    :param stale_days: a class with no response from any of its students within this many
        days of ``as_of`` is stale (a class that never had evidence is stale too).
    """
    r = T.responses.c
    with store.engine.connect() as conn:
        last = pd.read_sql(
            sa.select(r.student_id,
                      sa.type_coerce(sa.func.max(r.timestamp), sa.String).label("last"),
                      sa.func.count().label("n")).group_by(r.student_id), conn)
    last["last"] = pd.to_datetime(last["last"], format="ISO8601")
    n_responses = int(last["n"].sum()) if len(last) else 0
    if as_of is None:
        as_of_ts = last["last"].max() if len(last) else None
    else:
        as_of_ts = pd.Timestamp(as_of)
    as_of_ts = None if as_of_ts is None or pd.isna(as_of_ts) else pd.Timestamp(as_of_ts)

    students = store.students()
    classes = store.classes()
    enr = store.enrollments()
    student_ids = set(students["student_id"])
    with_evidence = set(last["student_id"])
    stu_enr = enr[(enr["role"] == "student") & enr["user_id"].isin(student_ids)]

    dq = DataQuality(as_of=as_of_ts.to_pydatetime() if as_of_ts is not None else None,
                     stale_days=stale_days, n_students=len(students), n_classes=len(classes),
                     n_responses=n_responses)
    dq.students_without_evidence = sorted(student_ids - with_evidence)
    dq.students_not_enrolled = sorted(student_ids - set(stu_enr["user_id"]))
    dq.classes_without_teacher = sorted(
        classes.loc[classes["teacher_ids"].map(len) == 0, "class_id"])
    dq.classes_without_students = sorted(set(classes["class_id"]) - set(stu_enr["class_id"]))

    per = stu_enr[["class_id", "user_id"]].merge(
        last.rename(columns={"student_id": "user_id"}), on="user_id", how="left")
    agg = per.groupby("class_id").agg(n_students=("user_id", "nunique"),
                                      n_with_evidence=("n", "count"),
                                      last_response=("last", "max"))
    ce = classes[["class_id", "school_id"]].merge(agg, left_on="class_id", right_index=True,
                                                  how="left")
    ce["n_students"] = ce["n_students"].fillna(0).astype("int64")
    ce["n_with_evidence"] = ce["n_with_evidence"].fillna(0).astype("int64")
    ce["last_response"] = pd.to_datetime(ce["last_response"])
    if as_of_ts is not None:
        ce["days_since_last"] = (as_of_ts - ce["last_response"]).dt.days.astype("Float64")
    else:
        ce["days_since_last"] = pd.Series(pd.NA, index=ce.index, dtype="Float64")
    ce["stale"] = (ce["days_since_last"].isna() | (ce["days_since_last"] > stale_days)) \
        .astype(bool)
    # a class with no students is reported as such, not also as stale
    ce.loc[ce["n_students"] == 0, "stale"] = False
    dq.class_evidence = ce.reset_index(drop=True)
    dq.stale_classes = sorted(ce.loc[ce["stale"], "class_id"])
    return dq
