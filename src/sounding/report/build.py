"""The static report for one principal: pages drawn from :mod:`sounding.services` only.

    from sounding.report.build import render_report
    render_report(store, principal, "report/")      # writes HTML; the store is only read

What a page shows is what the principal may see: :func:`sounding.services.site.site_inputs`
hands over the mastery, plans, groups and family pages of the students in scope, and the
growth tables (suppressed) for roles that read aggregates. The local operator's report is
the whole district's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sounding.report.pages.overview import overview_page
from sounding.report.pages.progression import progression_pages
from sounding.report.site import Page, Site, write_site


class _RawPage(Page):
    """A page that is a whole HTML document already (the printable family report)."""

    def __init__(self, slug: str, title: str, html: str) -> None:
        super().__init__(slug, title, html, section="Students", nav=False)
        self.raw = True


def _safe(s: Any) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(s))


def build_site(inputs: Any) -> Site:
    """The site's pages from :class:`~sounding.services.site.SiteInputs`."""
    site = Site(title=f"Sounding · {inputs.title}", subtitle=inputs.subtitle)
    if inputs.overview is not None:
        o = inputs.overview
        site.add(overview_page(title=inputs.title, counts=o["counts"], quality=o["quality"],
                               students=o["students"], responses=o["responses"],
                               graph=inputs.graph))
    site.add(progression_pages(inputs.graph))
    if inputs.mastery is not None:
        from sounding.report.pages.mastery import mastery_pages

        site.add(mastery_pages(inputs.mastery, inputs.students, inputs.classes,
                               inputs.enrollments, inputs.graph,
                               school_names=inputs.school_names))
    family_links: dict[str, str] = {}
    for sid, html in inputs.family.items():
        slug = f"family/{_safe(sid)}.html"
        family_links[sid] = slug
        site.add(_RawPage(slug, f"Family report: {inputs.names.get(sid, sid)}", html))
    if inputs.plan is not None:
        from sounding.report.pages.planning import planning_pages

        site.add(planning_pages(inputs.plan, classes=inputs.classes,
                                schools=inputs.school_names, groups=inputs.groups,
                                readiness=inputs.readiness, names=inputs.names,
                                family_links=family_links, progress=inputs.progress))
    if inputs.growth is not None and len(inputs.growth["sgp"]):
        from sounding.report.pages.growth import growth_pages

        site.add(growth_pages(**inputs.growth))
    return site


def render_report(store: Any, principal: Any, out_dir: str | Path, *,
                  subtitle: str = "", providers: str | Path | None = None) -> Path:
    """Write the report ``principal`` may see to ``out_dir``; returns index.html's path."""
    from sounding.services import Context
    from sounding.services.site import site_inputs

    inputs = site_inputs(Context(store, principal), subtitle=subtitle, providers=providers)
    return write_site(build_site(inputs), out_dir)
