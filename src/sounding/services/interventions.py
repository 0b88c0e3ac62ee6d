"""Interventions: what a student is getting, recorded by the staff who teach them, and how
their learning on the targeted standards has moved since (progress monitoring).

Reading is the student resource (whoever may open the student's record sees its
interventions). Recording one needs the student in scope *and* a staff role that reads class
rows (teacher, school leader, district, admin): students, guardians and the summary roles
cannot write, and an out-of-scope student is NotFound like a missing one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pandas as pd

from sounding.access.policy import Resource
from sounding.errors import InvalidInput, NotFound
from sounding.services._data import intervention_rows, is_student, planning_inputs
from sounding.services.context import Context
from sounding.services.registry import service


@service(Resource.student, target="student_id")
def student_interventions(ctx: Context, student_id: str, *,
                          progress: bool = True) -> dict[str, Any]:
    """The student's intervention records, newest first, with progress monitoring (mastery
    change on the targeted standards since each started) when the store holds answers."""
    ctx.require(Resource.student, student_id)
    if not is_student(ctx, student_id):  # one lookup: the records page needs no planning
        raise NotFound(f"no student {student_id!r}")
    rows = intervention_rows(ctx, student_id, frame=False)
    records = [{"record_id": str(r.id), "student_id": str(r.student_id),
                "intervention": str(r.intervention), "standards": str(r.standards or ""),
                "start_date": None if pd.isna(r.start_date) else str(r.start_date)[:10],
                "end_date": None if pd.isna(r.end_date) else str(r.end_date)[:10],
                "minutes": None if pd.isna(r.minutes) else int(r.minutes),
                "provider": None if pd.isna(r.provider) else str(r.provider)}
               for r in rows]
    records.sort(key=lambda x: x["start_date"] or "", reverse=True)
    monitoring, note = None, None
    if progress and records:
        try:
            from dataclasses import replace

            inp = planning_inputs(ctx)
            rep = replace(inp, interventions=intervention_rows(ctx, student_id)
                          ).progress_report()  # fresh rows, not cached
            monitoring = rep.to_dict() if rep is not None else None
        except (InvalidInput, NotFound) as exc:
            note = str(exc)
    out = {"student_id": student_id, "records": records, "progress": monitoring,
           "progress_note": note}
    return ctx.finish(out, action="student_interventions", resource=Resource.student,
                      obj_id=student_id, students=[student_id])


@service(Resource.class_)
def intervention_progress(ctx: Context, *, log_file: Any = None, as_of: Any = None,
                          missing_ok: bool = True) -> dict[str, Any]:
    """Progress monitoring of every intervention record the principal reaches (``sounding
    interventions``): mastery change on each record's standards since it began, from the
    stored log or ``log_file`` (an intervention-log CSV).

    Staff who read class rows only (the records are student rows); a teacher sees their own
    students' records (and summaries over those alone). The model is fitted on all the
    district's answers as for the operator, so each record's figures do not depend on who
    asks. With no log: empty lists, or InvalidInput when ``missing_ok`` is False.
    """
    ctx.require(Resource.class_)
    inp = planning_inputs(ctx)
    if log_file is not None:
        from sounding.planning.interventions import read_intervention_log

        log = read_intervention_log(log_file, graph=inp.graph)
    else:
        log = inp.intervention_log()
    if log is None:
        if not missing_ok:
            raise InvalidInput("no intervention log in the store: import one with "
                               "`sounding import interventions FILE`, or give --log FILE")
        return {"records": [], "detail": [], "by_intervention": []}
    if not ctx.reach.everything:
        ids = log["student_id"].astype(str)
        log = log[ids.isin(ctx.reach.keep("student", ids))].reset_index(drop=True)
    report = inp.progress_report(log, as_of=as_of)
    out = report.to_dict()
    return ctx.finish(out, action="intervention_progress", resource=Resource.class_,
                      obj_id=None)


def record_intervention(ctx: Context, student_id: str, *, intervention: str,
                        standards: str, start_date: str, end_date: str | None = None,
                        minutes: int | None = None, provider: str | None = None) -> dict[str, Any]:
    """Store one intervention record for a student in scope (staff roles only)."""
    from sounding.store import tables as T

    ctx.require(Resource.student, student_id)
    if not ctx.can(Resource.class_):  # staff who read class rows; others cannot write
        raise NotFound(f"no student {student_id!r}")
    inp = planning_inputs(ctx)
    if not (inp.students["student_id"].astype(str) == str(student_id)).any():
        raise NotFound(f"no student {student_id!r}")
    name = (intervention or "").strip()
    if not name:
        raise InvalidInput("intervention: say what the student is getting")
    codes = [c.strip() for c in (standards or "").replace(";", ",").split(",") if c.strip()]
    unknown = [c for c in codes if c not in inp.graph]
    if not codes or unknown:
        raise InvalidInput(f"standards: give progression codes, e.g. 5.NF.A.1 "
                           f"(unknown: {', '.join(unknown) or 'none given'})")
    try:
        start = dt.date.fromisoformat(start_date)
        end = dt.date.fromisoformat(end_date) if end_date else None
    except ValueError:
        raise InvalidInput("start_date/end_date: use YYYY-MM-DD") from None
    if end is not None and end < start:
        raise InvalidInput("end_date is before start_date")
    if minutes is not None and minutes < 0:
        raise InvalidInput("minutes cannot be negative")
    rid = f"web-{uuid.uuid4().hex[:12]}"
    with ctx.store.begin() as conn:
        conn.execute(T.interventions.insert().values(
            id=rid, student_id=str(student_id), intervention=name, standards=",".join(codes),
            start_date=start, end_date=end, minutes=minutes, provider=provider or None))
    return {"record_id": rid, "student_id": student_id}
