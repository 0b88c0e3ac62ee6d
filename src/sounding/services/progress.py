"""A class's progress over time: month by month, how its students' answers went on the
class grade's standards and on the foundations below it (from the stored responses)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sounding.access.policy import Resource
from sounding.services import stored
from sounding.services._data import mastery_source
from sounding.services.context import Context
from sounding.services.registry import service


@service(Resource.class_, target="class_id")
def class_progress(ctx: Context, class_id: str, *, model: str = "graph") -> dict[str, Any]:
    """Per month: answers, students answering, share correct on grade and below grade.

    Raw answers, not mastery estimates: the store keeps one posterior per model, so the
    month-by-month line is what the evidence itself says (harder items later in the year
    pull it down; read it beside the heat map)."""
    ctx.require(Resource.class_, class_id)
    out = stored.persisted(ctx, "class_progress", class_id, model,
                           lambda op: _class_progress(op, class_id, model), model=model)
    members = out["_members"]
    return ctx.finish(stored.trimmed(ctx, out, drop=["_members"]), action="class_progress",
                      resource=Resource.class_, obj_id=class_id, students=members)


def _class_progress(ctx: Context, class_id: str, model: str = "graph") -> dict[str, Any]:
    src = mastery_source(ctx, model)
    c = src.klass(class_id)
    members = [str(m) for m in src.members(c["class_id"])]
    grade = c.get("grade")
    if "responses:all" in ctx.cache:  # building every class's view: read once
        every = ctx.cache["responses:all"]
        resp = every[every["student_id"].astype(str).isin(members)]
    else:
        resp = ctx.store.responses(student_ids=members) if members else pd.DataFrame()
    months: list[dict[str, Any]] = []
    if len(resp):
        g = src.graph
        grades = {code: g[code].grade_num for code in set(resp["standard"]) if code in g}
        r = resp[resp["standard"].isin(grades)].copy()
        if grade is None or pd.isna(grade):
            grade = max(grades.values(), default=0)
        r["band"] = ["on_grade" if grades[s] >= int(grade) else "foundations"
                     for s in r["standard"]]
        r["month"] = pd.to_datetime(r["timestamp"]).dt.to_period("M").astype(str)
        for month, part in r.groupby("month", sort=True):
            row: dict[str, Any] = {"month": month, "n_answers": int(len(part)),
                                   "n_students": int(part["student_id"].nunique())}
            for band in ("on_grade", "foundations"):
                b = part[part["band"] == band]
                row[f"{band}_answers"] = int(len(b))
                row[f"{band}_correct"] = round(float(b["correct"].mean()), 3) if len(b) else None
            months.append(row)
    return {"class_id": class_id, "grade": None if grade is None else int(grade),
            "months": months, "_members": members}


stored.CLASS_VIEWS["class_progress"] = ("graph", _class_progress)
