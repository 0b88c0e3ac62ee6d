"""The family report: one printable page about one student, for their family."""

from __future__ import annotations

from typing import Any

from sounding.access.policy import Resource
from sounding.errors import NotFound
from sounding.services._data import planning_inputs, roster
from sounding.services.context import Context
from sounding.services.registry import service


def display_name(ctx: Context, student_id: Any) -> str | None:
    """The one rule for a student's display name: preferred given name (else given name),
    then preferred family name (else family name), as the roster has them."""
    students = roster(ctx)[0]
    row = students[students["student_id"].astype(str) == str(student_id)]
    if not len(row):
        return None
    name = str(row["name"].iloc[0]).strip()
    return name if name and name != str(student_id) else None


@service(Resource.student, target="student_id")
def family_report(ctx: Context, student_id: str, *, as_of: Any = None) -> dict[str, Any]:
    """``{"student_id", "name", "html"}``: the printable family page (strengths, what comes
    next and why, how to help at home), as of the district's latest evidence by default."""
    from sounding.planning import family_report_for

    ctx.require(Resource.student, student_id)
    inp = planning_inputs(ctx)
    if not (inp.students["student_id"].astype(str) == str(student_id)).any():
        raise NotFound(f"no student {student_id!r}")
    name = display_name(ctx, student_id)
    html = family_report_for(inp, student_id, as_of=as_of, student_name=name)
    out = {"student_id": student_id, "name": name, "html": html}
    return ctx.finish(out, action="family_report", resource=Resource.student,
                      obj_id=student_id, students=[student_id])
