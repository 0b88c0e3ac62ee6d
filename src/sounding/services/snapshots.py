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

from typing import Any

import numpy as np
import pandas as pd

from sounding.access.policy import Resource
from sounding.core.thresholds import SECURE, UNFINISHED
from sounding.services import stored
from sounding.services._data import class_members, graph
from sounding.services.context import Context
from sounding.services.registry import service
from sounding.services.snapshot_rows import read_snapshots, snapshot_mastery

__all__ = ["class_mastery_progress", "snapshot_mastery"]


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
    snaps = read_snapshots(ctx.store, members, model)
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
