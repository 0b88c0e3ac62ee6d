"""Mastery in the report: the district's iceberg, a heat map per class, an iceberg per student.

Three kinds of page, so that each reader starts where they decide:

* ``mastery.html`` (leaders): per strand, how many students sit on grade, 1, 2 or 3+ grades
  below, district-wide, by school and by subgroup (groups under ``min_group_size`` students are
  not charted), and the list of classes;
* ``classes/<class>.html`` (teachers): a students x standards heat map of P(mastered) for the
  class grade and the grades below (columns grouped by grade, then domain; deepest icebergs on
  top), each student's secure level per strand, and the standards much of the class has not
  secured;
* ``students/<student>.html`` (teachers, families in conference): the iceberg itself -- per
  strand, the current grade as a water line and the secure foundations below it -- with the
  unfinished standards in the order they would be picked up.

Numbers come from :mod:`sounding.mastery.pipeline` (the same views ``sounding mastery show``
prints), so a page and the CLI never disagree. Student and class names are user data: they go
through Jinja's autoescape in HTML and are HTML-escaped before they enter a Plotly label
(Plotly renders a subset of HTML in labels).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sounding.core.thresholds import MIN_N, SECURE
from sounding.errors import InvalidInput
from sounding.mastery.pipeline import (
    SUBGROUP_COLUMNS,
    MasteryResult,
    normalize_classes,
    normalize_enrollments,
    normalize_students,
    strand_description,
    strand_title,
    strand_tops,
)
from sounding.mastery.profile import BELOW_BUCKETS, group_distribution
from sounding.progression import StandardsGraph, code_sort_key, grade_label
from sounding.report.site import Page, environment, figure_html
from sounding.services.views import class_view, student_view

#: Per-student pages written at most (whole classes, in order, until the next would not fit).
MAX_STUDENT_PAGES = 400
#: Groups smaller than this are not charted by subgroup (a staff report, but small groups
#: identify students and their shares are noise).
MIN_GROUP_SIZE = MIN_N
#: Grades below the class grade shown in a class heat map (plus the class grade itself).
HEATMAP_GRADES_BELOW = 3
#: Unfinished standards listed on a student page (the rest are counted, and in the CLI's JSON).
MAX_UNFINISHED_ROWS = 40
#: Share of a class not secure on a standard above which the class page flags it (CDE: 10-20%).
RETEACH_SHARE = 0.2

BUCKET_LABELS = {"0": "on grade", "1": "1 grade below", "2": "2 grades below",
                 "3+": "3+ grades below"}
BUCKET_COLORS = {"0": "#2c7a4b", "1": "#e8c15a", "2": "#d9792b", "3+": "#a63d1c"}
_HEAT_SCALE = [[0.0, "#a63d1c"], [0.5, "#f6e7b4"], [0.8, "#8fc1d4"], [1.0, "#1f6f8b"]]
_SUBGROUP_LABELS = {
    "english_learner": ("English learners", "Not English learners"),
    "disability": ("Students with disabilities", "Without disabilities"),
    "economically_disadvantaged": ("Economically disadvantaged", "Not econ. disadvantaged"),
}


#: Plotly layout defaults. The stock template adds ~8 KB to every chart of every page.
_TEMPLATE: dict[str, Any] = {"layout": {
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12,
             "color": "#1d2733"},
    "paper_bgcolor": "white", "plot_bgcolor": "white",
    "xaxis": {"gridcolor": "#e6eaef", "linecolor": "#d9dee5", "zeroline": False},
    "yaxis": {"gridcolor": "#e6eaef", "linecolor": "#d9dee5", "zeroline": False},
    "hoverlabel": {"font": {"size": 12}},
}}
#: Validate figure properties while building (off: hundreds of per-student charts would spend
#: most of the report's time in Plotly's validators; the tests turn it on).
VALIDATE_FIGURES = False


def _figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> Any:
    """A Plotly figure from plain dicts, with the shared small template."""
    import plotly.graph_objects as go

    return go.Figure(data=data, layout={"template": _TEMPLATE, **layout},
                     _validate=VALIDATE_FIGURES)


class _Renderer:
    """Render page-body templates from one Jinja environment (compiled once per report, not
    once per page: hundreds of class and student pages)."""

    def __init__(self) -> None:
        self.env = environment()

    def __call__(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)


def _esc(s: Any) -> str:
    """User text for a Plotly label (Plotly reads a subset of HTML in labels)."""
    return html.escape(str(s), quote=True)


def page_id(value: Any) -> str:
    """A file-name-safe id for a student or class (stable; a hash keeps distinct ids apart)."""
    s = str(value)
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", s)
    if safe != s or not safe:
        safe = f"{safe[:40]}-{hashlib.sha1(s.encode('utf-8')).hexdigest()[:8]}"
    return safe


def class_slug(class_id: Any) -> str:
    return f"classes/{page_id(class_id)}.html"


def student_slug(student_id: Any) -> str:
    return f"students/{page_id(student_id)}.html"


# ============================================================================ data


@dataclass
class _Data:
    """Everything the pages read, indexed once (so hundreds of classes stay cheap)."""

    result: MasteryResult
    graph: StandardsGraph
    students: pd.DataFrame          # normalised roster, indexed by student_id
    classes: pd.DataFrame           # normalised, with n_students
    members: dict[Any, list[Any]]   # class_id -> student ids (with estimates)
    codes: tuple[str, ...]
    P: np.ndarray                   # students x codes
    row: dict[Any, int]             # student_id -> row of P
    strands: list[str]
    below: pd.DataFrame             # student x strand grades_below
    label: pd.DataFrame             # student x strand label
    stu: pd.DataFrame               # icebergs.students indexed by student_id
    school_names: dict[Any, str]
    tops: dict[str, np.ndarray]     # strand_tops(graph)
    render: _Renderer = field(default_factory=_Renderer)

    def name(self, sid: Any) -> str:
        if sid in self.students.index:
            return str(self.students.at[sid, "name"])
        return str(sid)


def _prepare(result: MasteryResult, students_df: pd.DataFrame | None,
             classes_df: pd.DataFrame | None, enrollments_df: pd.DataFrame | None,
             graph: StandardsGraph | None, school_names: Mapping[Any, str] | None) -> _Data:
    if not result.kept:
        raise InvalidInput("the mastery pages need the posterior in memory; fit with "
                           "keep=True (fit_store_mastery) for the report")
    g = graph if graph is not None else result.graph
    st = normalize_students(students_df) if students_df is not None else result.students
    cl = normalize_classes(classes_df) if classes_df is not None else result.classes
    en = (normalize_enrollments(enrollments_df) if enrollments_df is not None
          else result.enrollments)
    t = result.icebergs
    have = set(t.students["student_id"])
    if cl is None:
        cl = pd.DataFrame(columns=["class_id", "title", "grade", "school_id", "algebra1"])
    if en is None:
        en = pd.DataFrame(columns=["class_id", "student_id"])
    en = en[en["student_id"].isin(have)]
    members = {c: list(pd.unique(d["student_id"])) for c, d in en.groupby("class_id", sort=False)}
    cl = cl.copy()
    cl["n_students"] = [len(members.get(c, [])) for c in cl["class_id"]]
    cl = cl[cl["n_students"] > 0]
    names: dict[Any, str] = dict(getattr(result, "school_names", {}) or {})
    for frame in (st, cl):
        if "school_name" in frame.columns:
            names.update({k: str(v) for k, v in zip(frame["school_id"], frame["school_name"],
                                                    strict=True)
                          if not pd.isna(k) and not pd.isna(v)})
    names.update(dict(school_names or {}))
    sort_grade = cl["grade"].astype("Float64").fillna(99)
    cl = (cl.assign(_g=sort_grade, _s=cl["school_id"].map(lambda s: names.get(s, str(s))))
          .sort_values(["_s", "_g", "title", "class_id"]).drop(columns=["_g", "_s"])
          .reset_index(drop=True))
    post = result.posterior
    codes = tuple(g.standard_codes)
    ids = list(t.students["student_id"])
    row = {s: i for i, s in enumerate(ids)}
    P = np.full((len(ids), len(codes)), np.nan, dtype=np.float32)
    r = pd.Index(ids).get_indexer(pd.Index(post["student_id"].to_numpy()))
    c = pd.Index(codes).get_indexer(pd.Index(post["standard"].astype(str)))
    keep = (r >= 0) & (c >= 0)
    P[r[keep], c[keep]] = post["p_mastered"].to_numpy(dtype=np.float32)[keep]
    below = t.strands.pivot(index="student_id", columns="strand", values="grades_below")
    label = t.strands.pivot(index="student_id", columns="strand", values="label")
    return _Data(result, g, st.set_index("student_id", drop=False), cl, members, codes, P, row,
                 sorted(below.columns), below, label, t.students.set_index("student_id"), names,
                 strand_tops(g))


def _pick_students(data: _Data, max_pages: int) -> tuple[set[Any], list[Any]]:
    """Students who get a page: everyone when they fit, else whole classes in page order."""
    everyone = list(data.stu.index)
    if len(everyone) <= max_pages:
        return set(everyone), list(data.classes["class_id"])
    chosen: set[Any] = set()
    covered: list[Any] = []
    for cid in data.classes["class_id"]:
        new = [s for s in data.members.get(cid, []) if s not in chosen]
        if len(chosen) + len(new) > max_pages:
            break
        chosen.update(new)
        covered.append(cid)
    return chosen, covered


# ============================================================================ charts


def _bucket_counts(levels: pd.DataFrame) -> pd.DataFrame:
    """levels (group, strand, grades_below, n_students, share) with string bucket labels."""
    out = levels.copy()
    out["grades_below"] = out["grades_below"].astype(str)
    return out


def _stacked_by_group(levels: pd.DataFrame, groups: list[Any], labels: list[str],
                      strands: list[str], title: str) -> str:
    """One panel per strand, one horizontal bar per group: shares by bucket of grades below."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    cols = 3
    rows = (len(strands) + cols - 1) // cols
    per_row = 50 + 24 * len(groups)
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes=True, horizontal_spacing=0.03,
                        vertical_spacing=min(0.3, 60 / (per_row * rows + 60)),
                        subplot_titles=[strand_title(s) for s in strands])
    lv = _bucket_counts(levels)
    for k, s in enumerate(strands):
        r, c = divmod(k, cols)
        d = lv[lv["strand"] == s]
        for b in BELOW_BUCKETS:
            db = d[d["grades_below"] == b].set_index("group")
            x = [round(float(db.at[gr, "share"]), 3) if gr in db.index else 0.0
                 for gr in groups]
            n = [int(db.at[gr, "n_students"]) if gr in db.index else 0 for gr in groups]
            fig.add_trace(go.Bar(
                y=labels, x=x, orientation="h", name=BUCKET_LABELS[b],
                marker_color=BUCKET_COLORS[b], legendgroup=b, showlegend=k == 0, customdata=n,
                hovertemplate="%{y}<br>" + BUCKET_LABELS[b]
                + ": %{x:.0%} (%{customdata})<extra></extra>",
            ), row=r + 1, col=c + 1)
    fig.update_layout(template=_TEMPLATE, barmode="stack", title=title,
                      height=per_row * rows + 160, margin=dict(l=20, r=20, t=80, b=70),
                      legend=dict(orientation="h", yref="container", y=0.0, yanchor="bottom",
                                  traceorder="normal"))
    fig.update_xaxes(tickformat=".0%", range=[0, 1], tickfont=dict(size=10))
    fig.update_yaxes(autorange="reversed", automargin=True, tickfont=dict(size=11))
    return figure_html(fig)


def _district_chart(levels: pd.DataFrame, strands: list[str]) -> str:
    import plotly.graph_objects as go

    lv = _bucket_counts(levels)
    fig = go.Figure()
    for b in BELOW_BUCKETS:
        d = lv[lv["grades_below"] == b].set_index("strand")
        x = [round(float(d.at[s, "share"]), 3) if s in d.index else 0.0 for s in strands]
        n = [int(d.at[s, "n_students"]) if s in d.index else 0 for s in strands]
        fig.add_trace(go.Bar(
            y=[strand_title(s) for s in strands], x=x, orientation="h", name=BUCKET_LABELS[b],
            marker_color=BUCKET_COLORS[b], customdata=n,
            hovertemplate="%{y}: " + BUCKET_LABELS[b] + " %{x:.0%} (%{customdata} students)"
            "<extra></extra>",
        ))
    fig.update_layout(template=_TEMPLATE, barmode="stack", height=80 + 44 * len(strands),
                      margin=dict(l=90, r=20, t=20, b=40),
                      legend=dict(orientation="h", y=-0.15, traceorder="normal"))
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    fig.update_yaxes(autorange="reversed")
    return figure_html(fig)


def _heatmap(data: _Data, order: list[Any], grade: int, grades_below: int) -> tuple[str, int]:
    """The class heat map (students x standards); returns (html, number of columns)."""
    g = data.graph
    lo = max(0, grade - grades_below)
    cols = [j for j, c in enumerate(data.codes) if lo <= g[c].grade_num <= grade]
    cols.sort(key=lambda j: (g[data.codes[j]].grade_num, g[data.codes[j]].domain_code,
                             code_sort_key(data.codes[j])))
    xs = [data.codes[j] for j in cols]
    names = [data.name(s) for s in order]
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    ys = [_esc(n if seen[n] == 1 else f"{n} ({s})") for n, s in zip(names, order, strict=True)]
    rows = [data.row[s] for s in order]
    Z = data.P[np.ix_(rows, cols)] if rows and cols else np.zeros((len(rows), len(cols)))
    z = [[None if np.isnan(v) else round(float(v), 2) for v in r] for r in Z]
    shapes, notes = [], []
    grades = [g[c].grade_num for c in xs]
    start = 0
    for k in range(1, len(xs) + 1):
        if k == len(xs) or grades[k] != grades[start]:
            notes.append({"x": (start + k - 1) / 2, "y": 1.0, "xref": "x", "yref": "paper",
                          "yanchor": "bottom", "showarrow": False,
                          "text": f"<b>Grade {grade_label(grades[start])}</b>"})
            if k < len(xs):
                shapes.append({"type": "line", "x0": k - 0.5, "x1": k - 0.5, "y0": 0, "y1": 1,
                               "xref": "x", "yref": "paper",
                               "line": {"color": "#10324a", "width": 2}})
            start = k
    fig = _figure(
        [{"type": "heatmap", "z": z, "x": xs, "y": ys, "zmin": 0, "zmax": 1,
          "colorscale": _HEAT_SCALE, "xgap": 1, "ygap": 1,
          "colorbar": {"title": {"text": "P(mastered)"}, "thickness": 12, "len": 0.8},
          "hovertemplate": "%{y}<br>%{x}<br>P(mastered) %{z:.2f}<extra></extra>"}],
        {"shapes": shapes, "annotations": notes, "height": 150 + 20 * max(len(ys), 3),
         "margin": {"l": 160, "r": 20, "t": 40, "b": 90},
         "xaxis": {"tickangle": -90, "tickfont": {"size": 9}, "type": "category",
                   "showgrid": False},
         "yaxis": {"autorange": "reversed", "type": "category", "tickfont": {"size": 11},
                   "showgrid": False}},
    )
    return figure_html(fig), len(xs)


def _iceberg_chart(view: Mapping[str, Any], tops: Mapping[str, np.ndarray]) -> str:
    """Per strand: secure foundations, the unfinished grades above them, and the current grade
    as the water line (``tops``: :func:`strand_tops` of the graph).

    Grades where a strand has no standards (fractions before grade 3, number after grade 5)
    are drawn grey, so a vacuous "secure through grade 2" in fractions does not look like
    secure work.
    """
    G = int(view["grade"])
    xs, hover = [], []
    sec_b, sec_h, gap_b, gap_h, none_b, none_h, none2_b, none2_h = ([] for _ in range(8))
    notes = []
    for i, s in enumerate(view["strands"]):
        xs.append(s["strand_title"])
        top = tops.get(s["strand"], np.full(10, -1))
        first = int(np.argmax(top >= 0)) if (top >= 0).any() else 10
        st = s["secure_through"]
        gb = int(s["grades_below"])
        if st is None or first > G:
            for arr in (sec_b, sec_h, gap_b, gap_h, none_b, none_h, none2_b, none2_h):
                arr.append(0)
            notes.append({"x": i, "y": 0.1, "yanchor": "bottom", "showarrow": False,
                          "text": "not taught yet", "font": {"size": 11, "color": "#5b6877"}})
        else:
            h = st + 1
            none_b.append(0)
            none_h.append(first)
            sec_b.append(first)
            sec_h.append(max(0, h - first))
            gap_b.append(max(h, first))
            gap_h.append(gb)
            end = max(h, first) + gb
            none2_b.append(end)
            none2_h.append(max(0, G - end))
        sure = "" if s["p_secure"] is None else f" ({100 * s['p_secure']:.0f}% sure)"
        hover.append(_esc(f"{s['strand_title']}: secure through {s['label']}{sure}; "
                          f"{gb} grade(s) below; {s['n_unfinished']} unfinished"))
    grey = {"color": "#e3e7ec"}
    traces = [
        {"type": "bar", "x": xs, "y": sec_h, "base": sec_b, "name": "secure foundations",
         "marker": {"color": "#1f6f8b"}, "hovertext": hover, "hoverinfo": "text"},
        {"type": "bar", "x": xs, "y": gap_h, "base": gap_b, "name": "unfinished grades",
         "marker": {"color": "#d9792b"}, "hovertext": hover, "hoverinfo": "text"},
        {"type": "bar", "x": xs, "y": none_h, "base": none_b, "name": "no standards in the strand",
         "marker": grey, "hoverinfo": "skip", "legendgroup": "none"},
        {"type": "bar", "x": xs, "y": none2_h, "base": none2_b, "marker": grey,
         "hoverinfo": "skip", "legendgroup": "none", "showlegend": False},
    ]
    ticks = list(range(0, G + 1))
    notes.append({"x": len(xs) - 0.5, "y": G, "xanchor": "right", "yanchor": "bottom",
                  "showarrow": False, "text": f"current grade {grade_label(G)} starts here"})
    fig = _figure(traces, {
        "barmode": "overlay", "height": 380, "bargap": 0.35,
        "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
        "legend": {"orientation": "h", "y": -0.12},
        "shapes": [{"type": "line", "x0": -0.5, "x1": len(xs) - 0.5, "y0": G, "y1": G,
                    "xref": "x", "yref": "y",
                    "line": {"color": "#10324a", "width": 3, "dash": "dash"}}],
        "annotations": notes,
        "yaxis": {"range": [0, G + 1.3], "tickvals": [t + 0.5 for t in ticks],
                  "ticktext": [grade_label(t) for t in ticks], "title": {"text": "grade"},
                  "showgrid": False},
    })
    return figure_html(fig)


# ============================================================================ pages


def _subgroup_levels(data: _Data, min_n: int) -> tuple[pd.DataFrame, list[Any], list[str],
                                                       list[str]]:
    """Levels per subgroup (flag yes/no, each race/ethnicity) with small groups dropped."""
    st = data.students.reset_index(drop=True)
    st = st[st["student_id"].isin(set(data.stu.index))]
    parts: list[pd.DataFrame] = []
    groups: list[Any] = []
    labels: list[str] = []
    suppressed: list[str] = []
    for col in SUBGROUP_COLUMNS:
        if col not in st.columns:
            continue
        if col in _SUBGROUP_LABELS:
            vals = st[col].astype("boolean")
            key = vals.map({True: "yes", False: "no"}).astype(object)
            named = {"yes": _SUBGROUP_LABELS[col][0], "no": _SUBGROUP_LABELS[col][1]}
        else:
            key = st[col].astype(object)
            named = {v: "Race/ethnicity: " + str(v).replace("_", " ").capitalize()
                     for v in key.dropna().unique()}
        frame = pd.DataFrame({"student_id": st["student_id"], "group": key})
        dist = group_distribution(data.result.icebergs, frame, data.graph, by="group")
        for grp, n in zip(dist.sizes["group"], dist.sizes["n_students"], strict=True):
            lab = named.get(grp, str(grp))
            if n < min_n:
                suppressed.append(lab)
                continue
            tag = f"{col}={grp}"
            d = dist.levels[dist.levels["group"] == grp].assign(group=tag)
            parts.append(d)
            groups.append(tag)
            labels.append(f"{_esc(lab)} (n={n})")
    levels = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["group", "strand", "grades_below", "n_students", "share"])
    return levels, groups, labels, suppressed


def _overview(data: _Data, with_pages: set[Any], covered: list[Any], min_n: int) -> Page:
    t = data.result.icebergs
    n = len(t.students)
    everyone = pd.DataFrame({"student_id": list(data.stu.index)})
    district = group_distribution(t, everyone, data.graph)
    strands = data.strands
    gb = data.below
    any2 = float((gb.max(axis=1) >= 2).mean()) if n else 0.0
    on_all = float((gb.max(axis=1) == 0).mean()) if n else 0.0
    n_answers = int(data.result.posterior["n_evidence"].sum())
    no_ev = int((data.result.posterior.groupby("student_id", observed=True)["n_evidence"]
                 .sum() == 0).sum())
    # by school
    st = data.students.reset_index(drop=True)
    st = st[st["student_id"].isin(set(data.stu.index))]
    school_html, school_rows = "", []
    if "school_id" in st.columns and st["school_id"].notna().any():
        dist = group_distribution(t, st[["student_id", "school_id"]], data.graph,
                                  by="school_id")
        schools = list(dist.sizes["group"])
        sizes = dict(zip(dist.sizes["group"], dist.sizes["n_students"], strict=True))
        labels = [f"{_esc(data.school_names.get(s, s))} (n={sizes[s]})" for s in schools]
        school_html = _stacked_by_group(dist.levels, schools, labels, strands,
                                        "By school: students by grades below, per strand")
        lv = dist.levels
        for s in schools:
            mine = lv[lv["group"] == s]
            counted = mine.groupby("strand", observed=True)["n_students"].sum()
            d = mine[mine["grades_below"].astype(str) != "0"]
            share = d.groupby("strand", observed=True)["share"].sum()
            # None where the strand reaches none of the school's grades (shown as n/a)
            school_rows.append({"name": data.school_names.get(s, str(s)), "n": int(sizes[s]),
                                "shares": [float(share.get(x, 0.0)) if counted.get(x, 0)
                                           else None for x in strands]})
    sub_levels, sub_groups, sub_labels, suppressed = _subgroup_levels(data, min_n)
    subgroup_html = (_stacked_by_group(sub_levels, sub_groups, sub_labels, strands,
                                       "By subgroup: students by grades below, per strand")
                     if sub_groups else "")
    classes = []
    for c in data.classes.itertuples(index=False):
        ids = data.members.get(c.class_id, [])
        if not ids:
            continue
        depth = data.stu.loc[ids, "depth"]
        deep = data.below.loc[ids].max(axis=1)
        classes.append({
            "slug": class_slug(c.class_id), "title": str(c.title),
            "school": data.school_names.get(c.school_id, "" if pd.isna(c.school_id)
                                            else str(c.school_id)),
            "grade": "" if pd.isna(c.grade) else grade_label(int(c.grade)),
            "algebra1": bool(c.algebra1), "n": len(ids),
            "median_depth": float(np.median(depth)), "share_2plus": float((deep >= 2).mean()),
            "pages": c.class_id in set(covered),
        })
    body = data.render(
        "mastery_overview.html",
        n_students=n, n_answers=n_answers, no_evidence=no_ev, any2=any2, on_all=on_all,
        model=data.result.model_name,
        strands=[(strand_title(s), strand_description(s)) for s in strands],
        district_chart=_district_chart(district.levels, strands),
        school_chart=school_html, school_rows=school_rows, subgroup_chart=subgroup_html,
        suppressed=suppressed, min_n=min_n, classes=classes,
        n_student_pages=len(with_pages), all_students=len(with_pages) >= n,
        secure=SECURE,
    )
    return Page("mastery.html", "Unfinished learning: the iceberg", body, section="Mastery",
                summary=(f"{n:,} students on {len(data.codes)} standards: how deep unfinished "
                         "learning goes below the current grade, strand by strand."),
                charts=True)


def _class_page(data: _Data, cls: Any, with_pages: set[Any], grades_below: int) -> Page:
    # the class view ``sounding mastery show --class`` prints: one computation for both
    view = class_view(data.result, cls.class_id, data.graph)
    ids = data.members[cls.class_id]
    grade = int(view["grade"])
    order = [s["student_id"] for s in view["students"]]
    heat, n_cols = _heatmap(data, order, grade, grades_below)
    rows = []
    for s in view["students"]:
        sid = s["student_id"]
        rows.append({
            "name": data.name(sid), "id": str(sid),
            "link": ("../" + student_slug(sid)) if sid in with_pages else None,
            "grade": grade_label(s["grade"]), "depth": s["depth"],
            "n_unfinished": s["n_unfinished"],
            "cells": [(s["grades_below"][x], s["secure_through"][x]) for x in data.strands],
        })
    standards = view["standards"]
    hot = sorted((r for r in standards if r["share_not_secure"] >= RETEACH_SHARE),
                 key=lambda r: (-r["share_not_secure"], -r["grade"], r["standard"]))
    dist = {s: [int(view["distribution"].get(s, {}).get(b, 0)) for b in BELOW_BUCKETS]
            for s in data.strands}
    school = data.school_names.get(cls.school_id, "" if pd.isna(cls.school_id)
                                   else str(cls.school_id))
    body = data.render(
        "mastery_class.html",
        title=str(cls.title), school=school, grade=grade_label(grade), n=len(ids),
        heatmap=heat, n_cols=n_cols, grades_below=grades_below, rows=rows,
        strands=[strand_title(s) for s in data.strands], hot=hot[:25], n_hot=len(hot),
        reteach=RETEACH_SHARE, secure=SECURE, dist=dist, buckets=BELOW_BUCKETS,
        strand_keys=data.strands, n_with_pages=sum(1 for s in ids if s in with_pages),
    )
    return Page(class_slug(cls.class_id), str(cls.title), body, section="Mastery", nav=False,
                summary=f"{school} · grade {grade_label(grade)} · {len(ids)} students",
                charts=True)


def _student_page(data: _Data, sid: Any, class_pages: set[Any]) -> Page:
    view = student_view(data.result, sid, data.graph)
    view["name"] = data.name(sid)  # the roster the report was given names the student
    links = [{"slug": "../" + class_slug(c["class_id"]), "title": c["title"]}
             for c in view["classes"] if c["class_id"] in class_pages]
    body = data.render(
        "mastery_student.html", view=view, chart=_iceberg_chart(view, data.tops),
        max_rows=MAX_UNFINISHED_ROWS,
        classes=links, secure=SECURE,
    )
    grade = f"grade {view['grade_label']}"
    if view["algebra1"]:
        grade += " (Algebra I)"
    return Page(student_slug(sid), view["name"], body, section="Students", nav=False,
                summary=f"{grade} · {view['n_answers']} answers · {view['n_unfinished']} "
                        "unfinished standards below grade",
                charts=True)


def mastery_pages(
    result: MasteryResult,
    students_df: pd.DataFrame | None = None,
    classes_df: pd.DataFrame | None = None,
    enrollments_df: pd.DataFrame | None = None,
    graph: StandardsGraph | None = None,
    *,
    max_student_pages: int = MAX_STUDENT_PAGES,
    max_class_pages: int | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
    heatmap_grades_below: int = HEATMAP_GRADES_BELOW,
    school_names: Mapping[Any, str] | None = None,
) -> list[Page]:
    """The mastery pages of the report: overview, one per class, one per student (limited).

    Parameters
    ----------
    result : MasteryResult
        From :func:`sounding.mastery.pipeline.fit_mastery` (or ``fit_store_mastery``).
    students_df, classes_df, enrollments_df : DataFrame, optional
        Roster tables in any spelling the pipeline accepts; default: the ones on ``result``.
    graph : StandardsGraph, optional
        Default: ``result.graph``.
    max_student_pages : int
        Per-student pages at most: everyone when the district fits, else whole classes in
        page order until the next would not fit (the overview and class pages say which).
    max_class_pages : int, optional
        Class pages at most (default: every class with students).
    min_group_size : int
        Subgroups smaller than this are not charted.
    heatmap_grades_below : int
        Grades below the class grade shown in the heat map.
    school_names : mapping, optional
        school_id -> name (default: ``result.school_names`` and the roster's ``school_name``
        columns, else the ids).
    """
    data = _prepare(result, students_df, classes_df, enrollments_df, graph, school_names)
    if max_class_pages is not None:
        data.classes = data.classes.head(max_class_pages)
    with_pages, covered = _pick_students(data, max(0, max_student_pages))
    pages = [_overview(data, with_pages, covered, min_group_size)]
    for cls in data.classes.itertuples(index=False):
        pages.append(_class_page(data, cls, with_pages, heatmap_grades_below))
    class_pages = set(data.classes["class_id"])
    for sid in data.stu.index:
        if sid in with_pages:
            pages.append(_student_page(data, sid, class_pages))
    return pages
