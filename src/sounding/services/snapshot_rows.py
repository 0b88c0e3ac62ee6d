"""Mastery snapshots in the store: copying the current posterior under its date, and
reading a group's copies back (:mod:`sounding.services.snapshots` draws them).

Apart from the service so that :mod:`sounding.services.stored` (which takes a snapshot
before it builds the views) and the service (whose view is a stored one) do not import
each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from sounding.store import tables as T

__all__ = ["read_snapshots", "snapshot_mastery"]


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


def read_snapshots(store: Any, student_ids: list[str], model: str) -> pd.DataFrame:
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
