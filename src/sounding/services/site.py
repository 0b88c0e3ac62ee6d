"""What the static report draws, for one principal: every input already cut to scope.

The report face (:mod:`sounding.report.build`) renders pages from these objects and reads
nothing else. Nothing here writes to the store except the access log (one row per student
whose record the report shows, for signed-in principals; the local operator writes nothing):
mastery is read as stored, plans and growth are computed in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from sounding.access.log import record
from sounding.access.policy import Resource
from sounding.services._data import graph, mastery_source, planning_inputs, roster, triage_plan
from sounding.services.context import Context
from sounding.services.family import display_name

#: Family pages written into a site at most (the rest on demand: ``report family``).
FAMILY_PAGES = 12


@dataclass
class SiteInputs:
    """Everything the report's page builders take, restricted to the principal's scope."""

    title: str
    subtitle: str
    graph: Any
    school_names: dict[str, str]
    overview: dict[str, Any] | None = None     # counts, quality, students, responses
    mastery: Any = None                        # a MasteryResult of the reached students
    classes: pd.DataFrame | None = None
    enrollments: pd.DataFrame | None = None
    students: pd.DataFrame | None = None
    plan: Any = None                           # a TriagePlan cut to scope
    groups: dict[str, Any] = field(default_factory=dict)
    readiness: Any = None
    progress: Any = None
    names: dict[str, str] = field(default_factory=dict)
    family: dict[str, str] = field(default_factory=dict)  # student_id -> family page HTML
    growth: dict[str, Any] | None = None       # growth_pages keyword arguments


def _title(ctx: Context) -> str:
    orgs = ctx.store.orgs()
    districts = orgs[orgs["type"] == "district"]
    if not ctx.reach.everything:
        districts = districts[districts["org_id"].astype(str).isin(ctx.reach.districts)]
        if districts.empty:
            schools = orgs[orgs["org_id"].astype(str).isin(ctx.reach.schools)]
            return ", ".join(schools["name"].astype(str)) or "Sounding"
    return str(districts["name"].iloc[0]) if len(districts) else "District"


def _cut_plan(plan: Any, reach: Any) -> Any:
    """The TriagePlan with every finding cut to the reach (the object form of redaction)."""
    if reach.everything:
        return plan
    recs = []
    for r in plan.recommendations:
        if r.class_id is not None and not reach.has("class", r.class_id):
            continue
        if r.school_id is not None and not reach.has("school", r.school_id):
            continue
        classes = [c for c in r.classes if reach.has("class", c)]
        if r.classes and not classes:
            continue
        recs.append(replace(r, students=reach.keep("student", r.students),
                            classes=classes))
    tiers = plan.tiers[plan.tiers["student_id"].astype(str).isin(reach.students)]
    cap = plan.capacity[plan.capacity["group"].astype(str).isin(reach.schools)] \
        if "group" in plan.capacity else plan.capacity
    members = {c: reach.keep("student", m)
               for c, m in plan.class_members.items() if reach.has("class", c)}
    schools = {c: s for c, s in plan.class_schools.items() if reach.has("class", c)}
    return replace(plan, recommendations=recs, tiers=tiers.reset_index(drop=True),
                   capacity=cap.reset_index(drop=True), class_members=members,
                   class_schools=schools)


def site_inputs(ctx: Context, *, subtitle: str = "", family_pages: int = FAMILY_PAGES,
                model: str = "graph", providers: Any = None) -> SiteInputs:
    """The report for ``ctx.principal``: staff roles get mastery, plans and family pages of
    their students; roles with aggregates only get the growth tables (suppressed)."""
    from sounding.mastery.pipeline import MasteryResult, cap_strand_ends, student_grades
    from sounding.mastery.profile import compute_icebergs

    reach = ctx.reach
    g = graph(ctx)
    orgs = ctx.store.orgs()
    schools = orgs[orgs["type"] == "school"]
    names_of_schools = {str(k): str(v) for k, v in zip(schools["org_id"], schools["name"],
                                                       strict=True) if reach.has("school", k)}
    who = "" if ctx.principal.operator else f"for {ctx.principal}"
    out = SiteInputs(title=_title(ctx), subtitle=" · ".join(x for x in (subtitle, who) if x),
                     graph=g, school_names=names_of_schools)
    if reach.everything:
        from sounding.store.quality import data_quality

        out.overview = {"counts": {k: v for k, v in ctx.store.counts().items() if v},
                        "quality": data_quality(ctx.store), "students": ctx.store.students(),
                        "responses": ctx.store.responses()}
    if ctx.can(Resource.student) and ctx.disclosure.student_rows:
        students, classes, enrollments = roster(ctx)
        keep_s = students if reach.everything else students[
            students["student_id"].astype(str).isin(reach.students)]
        keep_c = classes if classes is None or reach.everything else classes[
            classes["class_id"].astype(str).isin(reach.classes)]
        keep_e = enrollments if enrollments is None or reach.everything else enrollments[
            enrollments["student_id"].astype(str).isin(reach.students)
            & enrollments["class_id"].astype(str).isin(reach.classes)]
        class_pages = ctx.can(Resource.class_)
        if not class_pages:  # students and guardians: their own records, no class pages
            keep_c = None if keep_c is None else keep_c.iloc[:0]
            keep_e = None if keep_e is None else keep_e.iloc[:0]
        src = mastery_source(ctx, model)
        post = src.posterior.df
        post = post[post["student_id"].astype(str).isin(set(keep_s["student_id"].astype(str)))]
        grades = student_grades(keep_s, keep_c, keep_e)
        ids = [s for s in keep_s["student_id"] if s in grades]
        st = pd.DataFrame({"student_id": ids, "grade": [grades[s] for s in ids]})
        if len(post):
            icebergs = cap_strand_ends(compute_icebergs(post, st, g), g)
            out.mastery = MasteryResult(model=None, model_name=model, graph=g, posterior=post,
                                        icebergs=icebergs, students=keep_s.assign(
                                            model_grade=keep_s["student_id"].map(grades)),
                                        classes=keep_c, enrollments=keep_e,
                                        school_names=names_of_schools)
        out.students, out.classes, out.enrollments = keep_s, keep_c, keep_e
        out.names = {str(s): display_name(ctx, s) or str(s) for s in keep_s["student_id"]}
        inp = planning_inputs(ctx)
        plan = triage_plan(ctx)
        if class_pages:
            out.plan = _cut_plan(plan, reach)
            out.groups = _groups(ctx, inp, plan)
        if ctx.can(Resource.school):
            from sounding.planning import algebra_readiness

            part = inp if reach.everything else _only_schools(inp, reach.schools)
            out.readiness = algebra_readiness(part.mastery, part.students, part.classes,
                                              part.enrollments, scores=part.scores, graph=g)
            if reach.everything and inp.interventions is not None:
                out.progress = inp.progress_report(as_of=plan.as_of, model=model)
        out.family = _family(ctx, inp, plan, keep_e if class_pages else None,
                             family_pages, students=None if class_pages else
                             list(keep_s["student_id"]))
        record(ctx.store, ctx.principal, "report_site", Resource.student.value, None,
               keep_s["student_id"].astype(str))
    if ctx.can(Resource.district_summary) or ctx.can(Resource.school_summary):
        out.growth = _growth_inputs(ctx, names_of_schools)
        if out.growth is not None and providers is not None:
            from sounding.growth.aggregates import read_provider_assignments
            from sounding.growth.imports import known_schools

            out.growth["providers"] = read_provider_assignments(
                providers, known_schools=known_schools(ctx.store))
    return out


def _only_schools(inp: Any, schools: frozenset[str]) -> Any:
    parts = [inp.only_school(s) for s in sorted(schools)]
    if len(parts) == 1:
        return parts[0]
    return replace(inp, **{k: pd.concat([getattr(p, k) for p in parts], ignore_index=True)
                           for k in ("mastery", "students", "classes", "enrollments")})


def _groups(ctx: Context, inp: Any, plan: Any) -> dict[str, Any]:
    from sounding.planning import small_groups

    reach = ctx.reach
    class_ids = [c for c in inp.classes["class_id"] if reach.has("class", c)]
    if not class_ids:
        return {}
    found = small_groups(inp.mastery, inp.students, inp.classes, inp.enrollments, graph=inp.graph,
                         scope=inp.scope(), as_of=plan.as_of, evidence=inp.evidence(),
                         class_ids=class_ids)
    return {c: g for c, g in found.items() if reach.has("class", c)}


def _family(ctx: Context, inp: Any, plan: Any, enrollments: Any, n: int, *,
            students: list[Any] | None = None) -> dict[str, str]:
    """Family pages for ``students``, else for the students of the first classes (each
    class page links to some)."""
    from sounding.planning import family_report_for

    if students is not None:
        ids = students[:n]
    elif enrollments is None or n <= 0:
        return {}
    else:
        first = list(pd.unique(enrollments["class_id"]))[:3]
        ids = list(enrollments[enrollments["class_id"].isin(first)]["student_id"])[:n]
    return {str(s): family_report_for(inp, s, as_of=plan.as_of,
                                      student_name=display_name(ctx, s)) for s in ids}


def _growth_inputs(ctx: Context, school_names: dict[str, str]) -> dict[str, Any] | None:
    """The growth page's inputs: the same SGPs, targets and grade-span growth as
    ``sounding growth report`` (:mod:`sounding.services.growth`), students limited to scope
    (the page prints suppressed aggregates only)."""
    from sounding.services.growth import growth_frames

    frames = growth_frames(ctx)
    if frames is None:
        return None
    reach = ctx.reach
    students, providers = frames["students"], frames["providers"]
    if not reach.everything:
        students = students[students["student_id"].astype(str).isin(reach.students)]
        if providers is not None:  # a provider sees its own results, not its competitors'
            providers = providers[providers["provider_id"].astype(str).isin(reach.providers)
                                  & providers["school_id"].astype(str).isin(reach.schools)]
            providers = providers if len(providers) else None
    return {"sgp": frames["sgp"], "scores": frames["scores"], "students": students,
            "school_names": school_names, "providers": providers,
            "targets": frames["targets"], "grade_span": frames["grade_span"]}
