"""Plotly figures for the pages, as divs using the app's offline plotly.js (no CDN).

Names are user data: they are HTML-escaped before they enter a label (Plotly renders a
subset of HTML in labels). Each chart sits beside a table with the same numbers, so nothing
is shown only as colour.

The figures are written as plotly.js JSON directly (:func:`_plot`) rather than through
``plotly.graph_objects``: building and validating a Figure and ``to_html`` cost 50-130 ms of
CPU per chart, which made the charts most of a class page's time once its data was stored.
"""

from __future__ import annotations

import html
import json
import uuid
from typing import Any

_CONFIG = {"displaylogo": False, "responsive": True}


def _plot(data: list[dict[str, Any]], layout: dict[str, Any]) -> str:
    """A div and the inline ``Plotly.newPlot`` call that draws it (what ``to_html`` with
    ``include_plotlyjs=False`` writes, without the Figure machinery)."""
    div = f"p{uuid.uuid4().hex}"
    height = int(layout.get("height", 300))
    spec = json.dumps([data, layout, _CONFIG], separators=(",", ":"), allow_nan=True,
                      default=str).replace("</", "<\\/")
    return (f'<div style="height:{height}px; width:100%;"><div id="{div}" '
            f'class="plotly-graph-div" style="height:100%; width:100%;"></div>'
            f'<script>(function(){{var a={spec};'
            f'Plotly.newPlot("{div}",a[0],a[1],a[2]);}})();</script></div>')


def class_heatmap(view: dict[str, Any]) -> str:
    """Students x strands: grades below the class grade where each student is secure."""
    strands = view["strands"]
    students = view["students"]
    if not students or not strands:
        return ""
    z = [[s["grades_below"].get(k) for k in strands] for s in students]
    return _plot([{
        "type": "heatmap", "z": z, "x": strands, "y": [html.escape(s["name"]) for s in students],
        "zmin": 0, "zmax": 3,
        "colorscale": [[0, "#2c7bb6"], [0.34, "#abd9e9"], [0.67, "#fdae61"], [1, "#d7191c"]],
        "colorbar": {"title": {"text": "grades below"}},
        "hovertemplate": "%{y}<br>%{x}: %{z} grade(s) below<extra></extra>"}],
        {"height": max(260, 18 * len(students) + 120),
         "margin": {"l": 160, "r": 20, "t": 20, "b": 40}, "yaxis": {"autorange": "reversed"}})


def class_standards_heatmap(view: dict[str, Any]) -> str:
    """Students x the class grade's standards: each student's P(mastered) (the per-standard
    heat map; blank where a student has no estimate)."""
    cols = [h["standard"] for h in view.get("heat_standards") or []]
    students = view["students"]
    if not students or not cols:
        return ""
    z = [[(s.get("p_mastered") or {}).get(c) for c in cols] for s in students]
    return _plot([{
        "type": "heatmap", "z": z, "x": cols, "y": [html.escape(s["name"]) for s in students],
        "zmin": 0, "zmax": 1,
        "colorscale": [[0, "#d7191c"], [0.5, "#ffffbf"], [1, "#2c7bb6"]],
        "colorbar": {"title": {"text": "P(mastered)"}},
        "hovertemplate": "%{y}<br>%{x}: P(mastered) %{z:.2f}<extra></extra>"}],
        {"height": max(260, 18 * len(students) + 140),
         "margin": {"l": 160, "r": 20, "t": 20, "b": 90},
         "xaxis": {"tickangle": -60}, "yaxis": {"autorange": "reversed"}})


def class_standards(view: dict[str, Any], most: int = 15) -> str:
    """The standards most of the class has not secured (share below P(mastered) secure)."""
    rows = sorted(view["standards"], key=lambda r: -r["share_not_secure"])[:most]
    if not rows:
        return ""
    return _plot([{"type": "bar", "x": [r["share_not_secure"] for r in rows][::-1],
                   "y": [r["standard"] for r in rows][::-1], "orientation": "h",
                   "marker": {"color": "#d7191c"}}],
                 {"height": 60 + 22 * len(rows), "xaxis": {"tickformat": ".0%", "range": [0, 1]},
                  "margin": {"l": 110, "r": 20, "t": 10, "b": 30}})


def iceberg(view: dict[str, Any]) -> str:
    """Per strand, how many grades below the student's grade they are secure through."""
    rows = view["strands"]
    if not rows:
        return ""
    return _plot([{"type": "bar", "x": [r["strand_title"] for r in rows],
                   "y": [-(r["grades_below"] or 0) for r in rows],
                   "marker": {"color": ["#2c7bb6" if not r["grades_below"] else "#d7191c"
                                        for r in rows]},
                   "hovertemplate": "%{x}: %{y} grades<extra></extra>"}],
                 {"height": 300, "yaxis": {"title": {"text": "grades below (0 = on grade)"},
                                           "range": [-4, 0.5]},
                  "margin": {"l": 60, "r": 20, "t": 10, "b": 80}})


def tier_load(plan: dict[str, Any]) -> str:
    """Students per tier against the school's capacity for tiers 2 and 3."""
    tiers = plan.get("tiers") or []
    counts = {k: sum(1 for t in tiers if t["tier"] == k) for k in (1, 2, 3)}
    return _plot([{"type": "bar", "x": ["Tier 1", "Tier 2", "Tier 3"],
                   "y": list(counts.values()), "name": "students",
                   "marker": {"color": ["#2c7bb6", "#fdae61", "#d7191c"]}}],
                 {"height": 260, "margin": {"l": 50, "r": 20, "t": 10, "b": 30}})


def class_progress(progress: dict[str, Any]) -> str:
    """Month by month, the share of the class's answers correct, on grade and below."""
    return _two_bands(progress.get("months") or [], "month", "correct", "answers correct")


def class_mastery(progress: dict[str, Any]) -> str:
    """Per mastery snapshot, the share of the class's estimates mastered (P >= 0.5), on the
    class grade's standards and on the foundations below."""
    return _two_bands(progress.get("points") or [], "as_of", "mastered", "share mastered")


def _two_bands(rows: list[dict[str, Any]], x: str, measure: str, title: str) -> str:
    """One line for the class grade's standards and one for the foundations below: the
    share ``{band}_{measure}`` of each row, against the row's ``x`` ("" with no rows)."""
    if not rows:
        return ""
    data = [{"type": "scatter", "x": [r[x] for r in rows],
             "y": [r[f"{band}_{measure}"] for r in rows], "mode": "lines+markers",
             "name": label}
            for band, label in (("on_grade", "on grade"), ("foundations", "foundations below"))]
    return _plot(data, {"height": 280, "yaxis": {"tickformat": ".0%", "range": [0, 1],
                                                  "title": {"text": title}},
                        "margin": {"l": 60, "r": 20, "t": 10, "b": 40}})
