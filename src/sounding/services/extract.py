"""Research extracts: one row per student, de-identified and suppressed.

Students appear under keyed pseudonyms (:class:`~sounding.access.disclosure.Pseudonyms`, a
fresh key per extract); names, ids and birth dates never leave. A school smaller than
:data:`~sounding.core.MIN_N` students in the extract is not named, and a subgroup flag is
left out when fewer than ``MIN_N`` students hold it (or fewer than ``MIN_N`` do not), since
either side would single students out.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sounding.access.disclosure import Pseudonyms, suppressed
from sounding.access.policy import Resource
from sounding.access.principal import Principal
from sounding.access.roles import Role
from sounding.access.scope import resolve
from sounding.core.thresholds import MIN_N
from sounding.errors import NotFound
from sounding.services._data import mastery_source
from sounding.services.context import Context
from sounding.services.registry import service

_FLAGS = ("english_learner", "disability", "economically_disadvantaged")


@service(Resource.extract, target="district_id", student_rows=False)
def research_extract(ctx: Context, district_id: str, *, model: str = "graph",
                     min_n: int = MIN_N) -> dict[str, Any]:
    """De-identified per-student mastery summary of one district: pseudonym, grade, school
    (when big enough), subgroup flags (when both sides are big enough), depth of unfinished
    learning and counts."""
    ctx.require(Resource.extract, district_id)
    own = resolve(ctx.store, Principal(ctx.principal.user, Role.district,
                                       frozenset({str(district_id)})))
    if not own.districts:
        raise NotFound(f"no district {district_id!r}")
    min_n = max(min_n, ctx.disclosure.min_n or 0)
    src = mastery_source(ctx, model)
    ids = ctx.reach.keep("student", [s for s in src.students["student_id"]
                                     if str(s) in own.students])
    post, tables = src.tables(ids)
    st = tables.students
    roster = src.students.set_index("student_id")
    school = st["student_id"].map(roster["school_id"]) if len(st) else pd.Series(dtype=object)
    sizes = school.value_counts()
    flags = [f for f in _FLAGS if f in roster.columns]
    shown_flags = []
    for f in flags:
        vals = st["student_id"].map(roster[f]).astype("boolean")
        if not suppressed(int(vals.fillna(False).sum()), min_n) and \
                not suppressed(int((~vals.fillna(True)).sum()), min_n):
            shown_flags.append(f)
    pseudonyms = Pseudonyms()
    rows = []
    for i, r in enumerate(st.itertuples(index=False)):
        sch = school.iloc[i]
        row = {"pseudonym": pseudonyms(r.student_id), "grade": int(r.grade),
               "school_id": None if suppressed(int(sizes.get(sch, 0)), min_n) else sch,
               "depth": int(r.depth), "n_unfinished": int(r.n_unfinished),
               "n_unfinished_major": int(r.n_unfinished_major)}
        for f in shown_flags:
            v = roster.at[r.student_id, f]
            row[f] = None if pd.isna(v) else bool(v)
        rows.append(row)
    rows.sort(key=lambda x: x["pseudonym"])  # row order must not follow the roster's ids
    out = {"district_id": district_id, "model": model, "min_n": min_n,
           "n_students": len(rows), "subgroup_flags": shown_flags,
           "suppressed_flags": [f for f in flags if f not in shown_flags], "rows": rows}
    return ctx.finish(out, action="research_extract", resource=Resource.extract,
                      obj_id=district_id, students=[])
