"""Listings: the students, classes and schools a principal may open (Kolibri's
``filter_readable``: the same policy that answers "may I read it?" answers "which ones?")."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sounding.access.policy import Resource
from sounding.services._data import roster
from sounding.services.context import Context
from sounding.services.registry import service


def _plain(v: Any) -> Any:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return v.item() if hasattr(v, "item") else v


@service(Resource.student)
def students(ctx: Context) -> list[dict[str, Any]]:
    """The students whose records the principal may open: id, name, grade, school."""
    if not ctx.can(Resource.student):
        return []
    st = roster(ctx)[0]
    keep = st if ctx.reach.everything else st[st["student_id"].astype(str).isin(
        ctx.reach.students)]
    rows = [{"student_id": _plain(r.student_id), "name": str(r.name),
             "grade": _plain(r.grade), "school_id": _plain(r.school_id)}
            for r in keep.itertuples(index=False)]
    return ctx.finish(rows, action="students", resource=Resource.student, obj_id=None,
                      students=[])


@service(Resource.class_summary, student_rows=False)
def classes(ctx: Context) -> list[dict[str, Any]]:
    """The classes the principal may open (with or without student rows)."""
    if not (ctx.can(Resource.class_) or ctx.can(Resource.class_summary)):
        return []
    cl = roster(ctx)[1]
    if cl is None:
        return []
    keep = cl if ctx.reach.everything else cl[cl["class_id"].astype(str).isin(
        ctx.reach.classes)]
    rows = [{"class_id": _plain(r.class_id), "title": str(r.title), "grade": _plain(r.grade),
             "school_id": _plain(r.school_id), "algebra1": bool(r.algebra1)}
            for r in keep.itertuples(index=False)]
    return ctx.finish(rows, action="classes", resource=Resource.class_summary, obj_id=None,
                      students=[])


@service(Resource.school_summary, student_rows=False)
def schools(ctx: Context) -> list[dict[str, Any]]:
    """The schools the principal may open (plans or aggregates)."""
    if not (ctx.can(Resource.school) or ctx.can(Resource.school_summary)):
        return []
    orgs = ctx.store.orgs()
    orgs = orgs[orgs["type"] == "school"]
    if not ctx.reach.everything:
        orgs = orgs[orgs["org_id"].astype(str).isin(ctx.reach.schools)]
    rows = [{"school_id": str(r.org_id), "name": str(r.name),
             "district_id": _plain(r.parent_id)} for r in orgs.itertuples(index=False)]
    return ctx.finish(rows, action="schools", resource=Resource.school_summary, obj_id=None,
                      students=[])


def _orgs_of(ctx: Context, kind: str) -> list[dict[str, Any]]:
    orgs = ctx.store.orgs()
    orgs = orgs[orgs["type"] == kind]
    if not ctx.reach.everything:
        orgs = orgs[orgs["org_id"].astype(str).isin(ctx.reach.ids(kind))]
    return [{f"{kind}_id": str(r.org_id), "name": str(r.name)}
            for r in orgs.itertuples(index=False)]


@service(Resource.district_summary, student_rows=False)
def districts(ctx: Context) -> list[dict[str, Any]]:
    """The districts the principal may open (plans, aggregates or extracts): what a web
    home page lists for district leaders, state analysts and researchers."""
    if not any(ctx.can(r) for r in (Resource.district, Resource.district_summary,
                                     Resource.extract)):
        return []
    return ctx.finish(_orgs_of(ctx, "district"), action="districts",
                      resource=Resource.district_summary, obj_id=None, students=[])


@service(Resource.state_summary, student_rows=False)
def states(ctx: Context) -> list[dict[str, Any]]:
    """The states whose aggregates the principal may open."""
    if not ctx.can(Resource.state_summary):
        return []
    return ctx.finish(_orgs_of(ctx, "state"), action="states",
                      resource=Resource.state_summary, obj_id=None, students=[])


@service(Resource.provider_summary, student_rows=False)
def providers(ctx: Context) -> list[dict[str, Any]]:
    """The program providers whose results the principal may open."""
    if not ctx.can(Resource.provider_summary):
        return []
    stored = ctx.store.table("provider_assignments")
    ids = sorted({str(p) for p in stored["provider_id"]}) if len(stored) else []
    if not ctx.reach.everything:
        ids = [p for p in ids if p in ctx.reach.providers]
    return ctx.finish([{"provider_id": p} for p in ids], action="providers",
                      resource=Resource.provider_summary, obj_id=None, students=[])
