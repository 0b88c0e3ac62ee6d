"""Assemble the demo report from the pipeline's outputs: one page builder per layer."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sounding.report.pages.overview import overview_page
from sounding.report.pages.progression import progression_pages
from sounding.report.site import Page, Site

#: Family reports written for the demo (one printable page each); the rest on demand with
#: ``sounding report family --student ID``.
DEMO_FAMILY_REPORTS = 12


def build_demo_site(ctx: Any) -> Site:
    """``ctx`` is the pipeline's context (store, graph, mastery, plan, growth outputs)."""
    store, graph = ctx.store, ctx.graph
    orgs = store.orgs()
    district = orgs[orgs["type"] == "district"]
    title = str(district["name"].iloc[0]) if len(district) else "District"
    site = Site(title=f"Sounding · {title}", subtitle="synthetic district (demo data)")
    inp = ctx.inputs
    students = inp.students if inp is not None else store.students()
    responses = inp.responses if inp is not None else store.responses()
    school_names = {
        str(r["sourcedId"] if "sourcedId" in orgs else r["org_id"]): str(r["name"])
        for _, r in orgs[orgs["type"] == "school"].iterrows()
    } if "type" in orgs else {}
    counts = {k: v for k, v in store.counts().items() if v}
    site.add(overview_page(title=title, counts=counts, quality=ctx.imported.get("quality"),
                           students=students, responses=responses, graph=graph))
    site.add(progression_pages(graph))
    # A district too big to keep its posterior in memory (fit_store_mastery's ``keep``) has
    # it in the store only; its mastery pages would need every estimate at once, so they are
    # left out (``sounding mastery show`` reads any student or class from the store).
    if ctx.mastery is not None and ctx.mastery.kept:
        from sounding.report.pages.mastery import mastery_pages

        site.add(mastery_pages(ctx.mastery, students, inp.classes, inp.enrollments, graph))
    names = _names(store)
    family_links: dict[str, str] = {}
    if ctx.plan_result is not None:
        from sounding.planning import family_report_html

        fam_ids = _family_sample(ctx)
        for sid in fam_ids:
            html = family_report_html(sid, inp.mastery, inp.students, classes=inp.classes,
                                      enrollments=inp.enrollments, graph=graph,
                                      scope=inp.scope(), as_of=ctx.plan_result.as_of,
                                      student_name=names.get(str(sid)))
            slug = f"family/{_safe(sid)}.html"
            family_links[str(sid)] = slug
            site.add(_RawPage(slug, f"Family report: {names.get(str(sid), sid)}", html))
        from sounding.report.pages.planning import planning_pages

        site.add(planning_pages(ctx.plan_result, classes=inp.classes, schools=school_names,
                                groups=ctx.groups, readiness=ctx.readiness, names=names,
                                family_links=family_links,
                                progress=getattr(inp, "progress", None)))
    if ctx.sgp is not None and len(ctx.sgp):
        from sounding.report.pages.growth import growth_pages

        # the provider mapping imported into the store (`sounding import providers`), else
        # the district's providers.csv beside its files
        stored = store.table("provider_assignments")
        providers = stored[["provider_id", "school_id"]].astype(str) if len(stored) else None
        pfile = ctx.district_dir / "providers.csv"
        if providers is None and pfile.exists():
            from sounding.growth.aggregates import read_provider_assignments

            providers = read_provider_assignments(pfile)
        from sounding.mastery.pipeline import normalize_students

        site.add(growth_pages(sgp=ctx.sgp, scores=store.scores(),
                              students=normalize_students(store.students()),
                              school_names=school_names, providers=providers,
                              targets=ctx.targets, grade_span=ctx.grade_span))
    return site


class _RawPage(Page):
    """A page that is a whole HTML document already (the printable family report)."""

    def __init__(self, slug: str, title: str, html: str) -> None:
        super().__init__(slug, title, html, section="Students", nav=False)
        self.raw = True


def _safe(s: Any) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(s))


def _names(store: Any) -> dict[str, str]:
    users = store.students()
    given = next((c for c in ("given_name", "givenName") if c in users), None)
    family = next((c for c in ("family_name", "familyName") if c in users), None)
    if given is None:
        return {}
    fam = users[family] if family else ""
    return dict(zip(users["student_id"].astype(str), (users[given] + " " + fam).str.strip(),
                    strict=False))


def _family_sample(ctx: Any) -> list[Any]:
    """A few students of the first classes, so each demo class page links to some reports."""
    en = ctx.inputs.enrollments
    first = list(pd.unique(en["class_id"]))[:3]
    ids = list(en[en["class_id"].isin(first)]["student_id"])
    return ids[:DEMO_FAMILY_REPORTS]
