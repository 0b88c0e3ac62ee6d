"""Mastery over time: snapshots of every student's P(mastered), and a class's share mastered
drawn from them.

The store keeps one posterior per model (``mastery``, replaced at each fit), so progress in
mastery needs copies: :func:`snapshot_mastery` copies the current posterior into
``mastery_snapshots`` under its date (the newest evidence it was fitted on; a second fit on
the same date replaces that date's copy). It runs where the stored views are built
(``stored.persist_views``: the demo build, ``sounding plan --district``), a SQL copy of the
packed rows, so it costs well under a second for 20,000 students.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from sounding.access.policy import Resource
from sounding.core.thresholds import SECURE, UNFINISHED
from sounding.services import stored
from sounding.services._data import class_members, graph
from sounding.services.context import Context
from sounding.services.registry import service
from sounding.store import tables as T

__all__ = ["class_mastery_progress", "snapshot_mastery"]


def _as_date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return pd.Timestamp(value).date()


def snapshot_mastery(store: Any, model: str = "graph", as_of: Any = None) -> dict[str, Any]:
    """Copy the model's current posterior into ``mastery_snapshots`` at ``as_of`` (default:
    the date of the newest estimate, else today). Returns the date and the students."""
    m, s = T.mastery.c, T.mastery_snapshots.c
    with store.engine.begin() as conn:
        day = _as_date(as_of) or _as_date(conn.execute(
            sa.select(sa.func.max(m.as_of)).where(m.model == model)).scalar()) or dt.date.today()
        conn.execute(T.mastery_snapshots.delete().where(s.model == model, s.as_of == day))
        conn.execute(T.mastery_snapshots.insert().from_select(
            ["student_id", "model", "as_of", "standard_set", "n_standards", "p_mastered"],
            sa.select(m.student_id, m.model, sa.literal(day, sa.Date), m.standard_set,
                      m.n_standards, m.p_mastered).where(m.model == model)))
        n = conn.execute(sa.select(sa.func.count()).where(
            s.model == model, s.as_of == day)).scalar()
    return {"as_of": day.isoformat(), "students": int(n or 0)}


def _snapshots(store: Any, student_ids: list[str], model: str) -> pd.DataFrame:
    """Long table: as_of, student_id, standard, p_mastered of the given students."""
    s = T.mastery_snapshots.c
    frames = []
    with store.engine.connect() as conn:
        rows = []
        for i in range(0, len(student_ids), 900):
            rows += conn.execute(sa.select(s.as_of, s.student_id, s.standard_set, s.p_mastered)
                                 .where(s.model == model,
                                        s.student_id.in_(student_ids[i:i + 900]))).all()
        sets = {r[0]: np.array(r[1].split("\n"), dtype=object) for r in conn.execute(
            sa.select(T.mastery_standard_sets.c.id, T.mastery_standard_sets.c.codes).where(
                T.mastery_standard_sets.c.id.in_({r.standard_set for r in rows})))} if rows \
            else {}
    for r in rows:
        p = np.frombuffer(r.p_mastered, dtype="<f8")
        codes = sets[r.standard_set]
        frames.append(pd.DataFrame({"as_of": _as_date(r.as_of), "student_id": r.student_id,
                                    "standard": codes[: len(p)], "p_mastered": p}))
    if not frames:
        return pd.DataFrame(columns=["as_of", "student_id", "standard", "p_mastered"])
    return pd.concat(frames, ignore_index=True)


@service(Resource.class_, target="class_id")
def class_mastery_progress(ctx: Context, class_id: str, *,
                           model: str = "graph") -> dict[str, Any]:
    """Per snapshot date: the share of the class's (student, standard) estimates mastered
    (P >= 0.5) and secure, on the class grade's standards and on the foundations below.

    A stored view (computed as the operator when the views are built, like the class
    view): computing it per request read the principal's mastery source and every
    snapshot row of the class, 0.05-0.3 s of a class page."""
    ctx.require(Resource.class_, class_id)
    out = stored.persisted(ctx, "class_mastery", class_id, model,
                           lambda op: _class_mastery(op, class_id, model), model=model)
    members = out["_members"]
    return ctx.finish(stored.trimmed(ctx, out, drop=["_members"]),
                      action="class_mastery_progress", resource=Resource.class_,
                      obj_id=class_id, students=members)


def _class_mastery(ctx: Context, class_id: str, model: str = "graph") -> dict[str, Any]:
    """The class's points (the operator's; no student is named but ``_members``, whose
    reads are logged)."""
    c, members = class_members(ctx, class_id)
    snaps = _snapshots(ctx.store, members, model)
    g = graph(ctx)
    grade = c.get("grade")
    points: list[dict[str, Any]] = []
    if len(snaps):
        grades = {code: g[code].grade_num for code in set(snaps["standard"]) if code in g}
        snaps = snaps[snaps["standard"].isin(grades)]
        if grade is None or pd.isna(grade):
            grade = max(grades.values(), default=0)
        level = snaps["standard"].map(grades).to_numpy()
        snaps = snaps.assign(band=np.where(level == int(grade), "on_grade", "foundations"))
        snaps = snaps[level <= int(grade)]  # the grade's standards and those below it
        for day, part in snaps.groupby("as_of", sort=True):
            row: dict[str, Any] = {"as_of": day.isoformat(),
                                   "n_students": int(part["student_id"].nunique())}
            for b in ("on_grade", "foundations"):
                p = part.loc[part["band"] == b, "p_mastered"].to_numpy()
                row[f"{b}_mastered"] = round(float((p >= UNFINISHED).mean()), 3) if len(p) \
                    else None
                row[f"{b}_secure"] = round(float((p >= SECURE).mean()), 3) if len(p) else None
            points.append(row)
    return {"class_id": class_id, "grade": None if grade is None or pd.isna(grade)
            else int(grade), "points": points, "_members": members}


stored.CLASS_VIEWS["class_mastery"] = ("graph", _class_mastery)
