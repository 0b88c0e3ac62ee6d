"""Plotly figures for the pages, as divs using the app's offline plotly.js (no CDN).

Names are user data: they are HTML-escaped before they enter a label (Plotly renders a
subset of HTML in labels). Each chart sits beside a table with the same numbers, so nothing
is shown only as colour.
"""

from __future__ import annotations

import html
from typing import Any


def _html(fig: Any) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False,
                       config={"displaylogo": False, "responsive": True})


def class_heatmap(view: dict[str, Any]) -> str:
    """Students x strands: grades below the class grade where each student is secure."""
    import plotly.graph_objects as go

    strands = view["strands"]
    students = view["students"]
    if not students or not strands:
        return ""
    z = [[s["grades_below"].get(k) for k in strands] for s in students]
    fig = go.Figure(go.Heatmap(
        z=z, x=strands, y=[html.escape(s["name"]) for s in students], zmin=0, zmax=3,
        colorscale=[[0, "#2c7bb6"], [0.34, "#abd9e9"], [0.67, "#fdae61"], [1, "#d7191c"]],
        colorbar={"title": "grades below"},
        hovertemplate="%{y}<br>%{x}: %{z} grade(s) below<extra></extra>"))
    fig.update_layout(height=max(260, 18 * len(students) + 120),
                      margin={"l": 160, "r": 20, "t": 20, "b": 40},
                      yaxis={"autorange": "reversed"})
    return _html(fig)


def class_standards(view: dict[str, Any], most: int = 15) -> str:
    """The standards most of the class has not secured (share below P(mastered) secure)."""
    import plotly.graph_objects as go

    rows = sorted(view["standards"], key=lambda r: -r["share_not_secure"])[:most]
    if not rows:
        return ""
    fig = go.Figure(go.Bar(x=[r["share_not_secure"] for r in rows][::-1],
                           y=[r["standard"] for r in rows][::-1], orientation="h",
                           marker_color="#d7191c"))
    fig.update_layout(height=60 + 22 * len(rows), xaxis={"tickformat": ".0%", "range": [0, 1]},
                      margin={"l": 110, "r": 20, "t": 10, "b": 30})
    return _html(fig)


def iceberg(view: dict[str, Any]) -> str:
    """Per strand, how many grades below the student's grade they are secure through."""
    import plotly.graph_objects as go

    rows = view["strands"]
    if not rows:
        return ""
    fig = go.Figure(go.Bar(x=[r["strand_title"] for r in rows],
                           y=[-(r["grades_below"] or 0) for r in rows],
                           marker_color=["#2c7bb6" if not r["grades_below"] else "#d7191c"
                                         for r in rows],
                           hovertemplate="%{x}: %{y} grades<extra></extra>"))
    fig.update_layout(height=300, yaxis={"title": "grades below (0 = on grade)",
                                         "range": [-4, 0.5]},
                      margin={"l": 60, "r": 20, "t": 10, "b": 80})
    return _html(fig)


def tier_load(plan: dict[str, Any]) -> str:
    """Students per tier against the school's capacity for tiers 2 and 3."""
    import plotly.graph_objects as go

    tiers = plan.get("tiers") or []
    counts = {k: sum(1 for t in tiers if t["tier"] == k) for k in (1, 2, 3)}
    fig = go.Figure(go.Bar(x=["Tier 1", "Tier 2", "Tier 3"], y=list(counts.values()),
                           name="students", marker_color=["#2c7bb6", "#fdae61", "#d7191c"]))
    fig.update_layout(height=260, margin={"l": 50, "r": 20, "t": 10, "b": 30})
    return _html(fig)


def class_progress(progress: dict[str, Any]) -> str:
    """Month by month, the share of the class's answers correct, on grade and below."""
    import plotly.graph_objects as go

    months = progress.get("months") or []
    if not months:
        return ""
    fig = go.Figure()
    for band, label in (("on_grade", "on grade"), ("foundations", "foundations below")):
        fig.add_trace(go.Scatter(x=[m["month"] for m in months],
                                 y=[m[f"{band}_correct"] for m in months],
                                 mode="lines+markers", name=label))
    fig.update_layout(height=280, yaxis={"tickformat": ".0%", "range": [0, 1],
                                         "title": "answers correct"},
                      margin={"l": 60, "r": 20, "t": 10, "b": 40})
    return _html(fig)
