"""A static report site: pages from every layer, one layout, opens offline.

Each layer contributes :class:`Page` objects (body HTML plus a title and a section); the site
writes them with a shared Jinja2 layout, a navigation bar grouped by section, and Plotly's
JavaScript copied once into ``assets/`` so charts work without a network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

SECTIONS = ("District", "Progression", "Mastery", "Planning", "Growth", "Students")


@dataclass
class Page:
    """One HTML page of the report; ``body`` is trusted HTML built by our own templates."""

    slug: str  # file path relative to the site root, e.g. "classes/c-12.html"
    title: str
    body: str
    section: str = "District"
    nav: bool = True  # listed in the navigation bar (per-class pages are not)
    summary: str = ""
    charts: bool = False  # needs Plotly

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_./-]+\.html", self.slug) or ".." in self.slug:
            raise ValueError(f"bad page slug {self.slug!r}")


@dataclass
class Site:
    title: str
    pages: list[Page] = field(default_factory=list)
    subtitle: str = ""

    def add(self, pages: Page | Iterable[Page]) -> None:
        if isinstance(pages, Page):
            pages = [pages]
        self.pages.extend(pages)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """One Jinja environment for the process (templates compile once, not per page)."""
    env = Environment(
        loader=PackageLoader("sounding.report", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.filters["num"] = _num
    return env


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _pct(v, digits: int = 0) -> str:
    """A share as a percentage; suppressed markers and missing values pass through."""
    if _missing(v):
        return "–"
    if isinstance(v, str):
        return v
    return f"{100 * float(v):.{digits}f}%"


def _num(v) -> str:
    if _missing(v):
        return "–"
    if isinstance(v, str):
        return v
    return f"{v:,}"


def render_fragment(template: str, **context) -> str:
    """Render a page-body template (used by every layer's page builders)."""
    return environment().get_template(template).render(**context)


def figure_html(fig) -> str:
    """A Plotly figure as a div that uses the site's shared offline plotly.js."""
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def write_site(site: Site, out_dir: str | Path) -> Path:
    """Write every page and the assets; returns the path of index.html."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    assets = out / "assets"
    assets.mkdir(exist_ok=True)
    if any(p.charts for p in site.pages) and not (assets / "plotly.min.js").exists():
        from plotly.offline import get_plotlyjs

        (assets / "plotly.min.js").write_text(get_plotlyjs(), encoding="utf-8")
    env = environment()
    layout = env.get_template("layout.html")
    nav = [
        (section, [p for p in site.pages if p.nav and p.section == section])
        for section in SECTIONS
    ]
    nav = [(s, ps) for s, ps in nav if ps]
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for page in site.pages:
        depth = page.slug.count("/")
        root = "../" * depth
        if getattr(page, "raw", False):  # a complete document of its own (printable)
            html = page.body
        else:
            html = layout.render(site=site, page=page, nav=nav, root=root, generated=generated)
        target = out / page.slug
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    if not any(p.slug == "index.html" for p in site.pages):
        index = Page("index.html", site.title, env.get_template("index.html").render(nav=nav))
        (out / "index.html").write_text(
            layout.render(site=site, page=index, nav=nav, root="", generated=generated),
            encoding="utf-8",
        )
    return out / "index.html"
