"""Growth and accountability reads: the school, district, provider and state tables.

Aggregates only (no student rows), suppressed jointly with :data:`~sounding.core.MIN_N` for
every role whose disclosure asks for it (state, provider, researcher) and by default for
everyone (``public``), as ``sounding growth report`` publishes them.

The computation calls the growth package (SGPs, lagged targets, grade-span growth through
:func:`sounding.growth.grade_span.grade_span_for_release` -- spring to spring where the
spring windows are there -- and the jointly suppressed tables) in the order ``growth report``
does, so both give the same figures on the same store.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sounding.access.policy import Resource
from sounding.core.thresholds import MIN_N
from sounding.errors import InvalidInput, NotFound
from sounding.services.context import Context
from sounding.services.registry import service


def growth_frames(ctx: Context) -> dict[str, Any] | None:
    """Per-student growth inputs, computed once per Context: scores, roster students, SGPs
    (order 2), lagged targets, grade-span growth (the one function every report uses), the
    provider mapping. None when the store has no scale scores."""
    def make() -> dict[str, Any] | None:
        from sounding.growth.release import growth_inputs

        f = growth_inputs(ctx.store)
        if f is None:
            return None
        stored = ctx.store.table("provider_assignments")
        f["providers"] = (stored[["provider_id", "school_id"]].astype(str) if len(stored)
                          else None)
        return f
    return ctx.memo("growth_frames", make)


def _tables(ctx: Context, *, min_n: int, public: bool) -> dict[str, Any]:
    def make() -> dict[str, Any]:
        from sounding.growth.aggregates import accountability_tables
        from sounding.growth.students import accountability_students

        f = growth_frames(ctx)
        if f is None:
            raise InvalidInput("no scale scores in the store: run `sounding import scores`")
        rows = accountability_students(f["sgp"], f["scores"], f["students"], f["targets"],
                                       grade_span=f["grade_span"], cuts=f["cuts"])
        tables = accountability_tables(rows, providers=f["providers"], min_n=min_n,
                                       public=public)
        return {"year": int(f["scores"]["year"].max()), "min_n": min_n, "public": public,
                "grade_span": f["grade_span_info"], "tables": tables,
                "released_together": list(tables)}
    return ctx.memo(f"growth:{min_n}:{public}", make)


def _exists(ctx: Context, level: str, obj_id: Any) -> bool:
    """Whether the roster (or the provider mapping) knows the object at all."""
    if level == "provider":
        stored = ctx.store.table("provider_assignments")
        return bool((stored["provider_id"].astype(str) == str(obj_id)).any())
    orgs = ctx.store.orgs()
    return bool(((orgs["org_id"].astype(str) == str(obj_id)) & (orgs["type"] == level)).any())


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    import json

    return json.loads(df.to_json(orient="records"))


def _level(ctx: Context, level: str, column: str, obj_id: Any, resource: Resource, *,
           min_n: int, public: bool) -> dict[str, Any]:
    ctx.require(resource, obj_id)
    forced = ctx.disclosure.min_n
    if forced is not None:  # roles that publish outside the school: always suppressed
        public, min_n = True, max(min_n, forced)
    data = _tables(ctx, min_n=min_n, public=public)
    table = data["tables"].get(level)
    if table is None:
        raise NotFound(f"no {level} table (no {level} data in the store)")
    if not _exists(ctx, level, obj_id):
        raise NotFound(f"no {level} {obj_id!r}")
    rows = table[table[column].astype(str) == str(obj_id)] if column in table else table
    out = {k: v for k, v in data.items() if k != "tables"}
    out.update(level=level, id=obj_id, rows=_records(rows))
    return ctx.finish(out, action=f"{level}_growth", resource=resource, obj_id=obj_id,
                      students=[])


@service(Resource.school_summary, target="school_id", student_rows=False)
def school_growth(ctx: Context, school_id: str, *, min_n: int = MIN_N,
                  public: bool = True) -> dict[str, Any]:
    """One school's growth and achievement rows (by subject and subgroup)."""
    return _level(ctx, "school", "school_id", school_id, Resource.school_summary,
                  min_n=min_n, public=public)


@service(Resource.district_summary, target="district_id", student_rows=False)
def district_growth(ctx: Context, district_id: str, *, min_n: int = MIN_N,
                    public: bool = True) -> dict[str, Any]:
    """One district's growth and achievement rows."""
    return _level(ctx, "district", "district_id", district_id, Resource.district_summary,
                  min_n=min_n, public=public)


@service(Resource.provider_summary, target="provider_id", student_rows=False)
def provider_growth(ctx: Context, provider_id: str, *, min_n: int = MIN_N,
                    public: bool = True) -> dict[str, Any]:
    """A provider's results over the schools it serves."""
    return _level(ctx, "provider", "provider_id", provider_id, Resource.provider_summary,
                  min_n=min_n, public=public)


@service(Resource.state_summary, target="state_id", student_rows=False)
def state_growth(ctx: Context, state_id: str, *, min_n: int = MIN_N,
                 public: bool = True) -> dict[str, Any]:
    """A state's district rows (every district under it), suppressed."""
    ctx.require(Resource.state_summary, state_id)
    from sounding.access.principal import Principal
    from sounding.access.roles import Role
    from sounding.access.scope import resolve

    own = resolve(ctx.store, Principal(ctx.principal.user, Role.state, frozenset({state_id})))
    if not own.states:
        raise NotFound(f"no state {state_id!r}")
    forced = ctx.disclosure.min_n
    if forced is not None:
        public, min_n = True, max(min_n, forced)
    data = _tables(ctx, min_n=min_n, public=public)
    table = data["tables"]["district"]
    rows = table[table["district_id"].astype(str).isin(own.districts)]
    out = {k: v for k, v in data.items() if k != "tables"}
    out.update(level="state", id=state_id, rows=_records(rows))
    return ctx.finish(out, action="state_growth", resource=Resource.state_summary,
                      obj_id=state_id, students=[])
