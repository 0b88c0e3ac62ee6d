"""Growth-versus-achievement quadrants per school (the Colorado "growth and status" chart).

Status alone rewards schools that enrol students who arrived ahead; growth alone hides
schools whose students grow fast but are still far behind. Plotting each school's median SGP
against its share proficient splits schools into four quadrants that call for different
responses (a low-achievement, high-growth school is doing what a Math Innovation Zone asks and
needs time; a high-achievement, low-growth school is coasting).

The growth split is 50 by default (the median SGP of a typical school, by construction of
SGPs); the achievement split is the state's share proficient, which by default is the share
proficient of all students in the data. A school exactly on a split counts as "higher". Schools
with fewer than ``min_n`` students with an SGP are not placed on the chart.

The chart is published beside the accountability tables, so it must not say more than they
do: a point's share is the school's *coded* share (:mod:`sounding.growth.coding`), plotted at
the middle of its band and placed in a quadrant by that middle, and its size says how many
students only roughly (a size class), since the tables may have hidden a school's count to
protect another cell. Pass the released school table (``released``) and the chart takes each
school's label and count from it exactly as published (a share the tables hid is not plotted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sounding.errors import InvalidInput
from sounding.growth.coding import DEFAULT_CODING, ShareCoding, share_count_bounds
from sounding.growth.suppression import MIN_N, SUPPRESSED

HIGH_HIGH = "Higher growth, higher achievement"
HIGH_LOW = "Higher growth, lower achievement"
LOW_HIGH = "Lower growth, higher achievement"
LOW_LOW = "Lower growth, lower achievement"
SUPPRESSED_LABEL = "Not shown (too few students)"
QUADRANTS = (HIGH_HIGH, HIGH_LOW, LOW_HIGH, LOW_LOW)

_COLORS = {HIGH_HIGH: "#1b7837", HIGH_LOW: "#5aae61", LOW_HIGH: "#f1a340", LOW_LOW: "#b2182b"}


def growth_achievement_quadrants(
    students: pd.DataFrame,
    *,
    group_col: str = "school_id",
    growth_split: float = 50.0,
    achievement_split: float | None = None,
    min_n: int = MIN_N,
    coding: ShareCoding | None = DEFAULT_CODING,
    released: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Median SGP, share proficient, n and quadrant per school.

    Parameters
    ----------
    students
        One row per student with ``group_col``, ``sgp`` (1..99, missing allowed) and
        ``proficient`` (bool).
    group_col
        What a point is (``school_id``, ``district_id``, ``provider_id``).
    growth_split
        Median SGP at which growth counts as higher.
    achievement_split
        Share proficient (0..1) at which achievement counts as higher; ``None``: the share
        proficient of every student with an SGP in ``students`` (the state's share when the
        data is the state's).
    min_n
        Groups with fewer students with an SGP are not placed (values missing,
        ``shown=False``).
    coding
        How shares are published (``None``: exact shares and counts, for internal use).
    released
        The released table of the same groups (``accountability_tables(...)["school"]``):
        its "All students" rows give each point's share label and count as published.

    Returns
    -------
    pandas.DataFrame
        ``group_col, n, median_sgp, proficient_share, quadrant, shown`` and, when coded,
        ``proficient_label`` and ``size_class`` (``n`` is then missing: the size class is
        what is shown); the splits are in ``attrs["growth_split"]`` and
        ``attrs["achievement_split"]`` for the figure.
    """
    missing = [c for c in (group_col, "sgp", "proficient") if c not in students.columns]
    if missing:
        raise InvalidInput(f"students table is missing column(s): {', '.join(missing)}")
    if not 0 < growth_split < 100:
        raise InvalidInput(f"growth_split must be between 1 and 99, not {growth_split}")
    df = students[[group_col, "sgp", "proficient"]].copy()
    df["sgp"] = pd.to_numeric(df["sgp"], errors="coerce")
    df = df[df["sgp"].notna()]
    prof = df["proficient"]
    if not pd.api.types.is_bool_dtype(prof):
        prof = prof.astype(object).map(
            lambda v: pd.NA if pd.isna(v) else str(v).strip().lower() in ("true", "1", "1.0",
                                                                         "yes", "t"))
    df["proficient"] = prof.astype("boolean").astype("Float64").astype(float)
    if achievement_split is None:
        achievement_split = float(df["proficient"].mean()) if len(df) else 0.5
    if not 0 <= achievement_split <= 1:
        raise InvalidInput(f"achievement_split is a share in 0..1, not {achievement_split}")

    out = (df.groupby(group_col, sort=True)
           .agg(n=("sgp", "count"), median_sgp=("sgp", "median"),
                proficient_share=("proficient", "mean"))
           .reset_index())
    out["n"] = out["n"].astype(int)
    shown = out["n"] >= min_n
    high_g = out["median_sgp"] >= growth_split
    high_a = out["proficient_share"] >= achievement_split
    out["quadrant"] = np.select(
        [high_g & high_a, high_g & ~high_a, ~high_g & high_a],
        [HIGH_HIGH, HIGH_LOW, LOW_HIGH], LOW_LOW).astype(object)
    if coding is not None:
        out = _coded(out, group_col, coding, released)
        shown &= out["proficient_share"].notna()
        high_a = out["proficient_share"] >= achievement_split
        out["quadrant"] = np.select(
            [high_g & high_a, high_g & ~high_a, ~high_g & high_a],
            [HIGH_HIGH, HIGH_LOW, LOW_HIGH], LOW_LOW).astype(object)
    out.loc[~shown, ["median_sgp", "proficient_share"]] = np.nan
    out.loc[~shown, "quadrant"] = SUPPRESSED_LABEL
    out["shown"] = shown
    out.attrs["growth_split"] = float(growth_split)
    out.attrs["achievement_split"] = float(achievement_split)
    out.attrs["group_col"] = group_col
    return out


#: Size classes a point's marker shows instead of its exact count.
SIZE_CLASSES = ((10, "10-49"), (50, "50-99"), (100, "100-249"), (250, "250-499"),
                (500, "500 or more"))


def _size_class(n: float) -> str:
    label = f"under {SIZE_CLASSES[0][0]}"
    for lo, lab in SIZE_CLASSES:
        if n >= lo:
            label = lab
    return label


def _coded(out: pd.DataFrame, group_col: str, coding: ShareCoding,
           released: pd.DataFrame | None) -> pd.DataFrame:
    """Replace exact shares and counts by what the tables publish (see module docs)."""
    out = out.copy()
    labels: list[object] = []
    if released is not None:
        rel = released[(released.get("subgroup_type", "all") == "all")
                       & ~released[group_col].astype(str).eq("ALL")]
        by = rel.drop_duplicates(group_col).set_index(rel[group_col].astype(str)
                                                      .drop_duplicates())
    for g, n, share in zip(out[group_col].astype(str), out["n"], out["proficient_share"],
                           strict=True):
        if released is not None:
            row = by.loc[g] if g in by.index else None
            lab = None if row is None else row.get("proficient_share")
            labels.append(None if lab is None or (isinstance(lab, float) and np.isnan(lab))
                          or lab == SUPPRESSED else lab)
        else:
            labels.append(None if pd.isna(share) else coding.code(float(share), int(n)))
    mids = []
    for lab, n in zip(labels, out["n"], strict=True):
        if lab is None or not isinstance(lab, str):
            mids.append(np.nan if lab is None else float(lab))
            continue
        lo, hi = share_count_bounds(lab, int(n), coding)
        mids.append((lo + hi) / 2 / n)
    out["proficient_label"] = labels
    out["proficient_share"] = mids
    out["size_class"] = [_size_class(n) for n in out["n"]]
    return out


def quadrant_figure(df: pd.DataFrame, *, title: str = "Growth and achievement by school",
                    growth_split: float | None = None,
                    achievement_split: float | None = None) -> go.Figure:
    """A plotly scatter of the quadrant data: median SGP across, share proficient up.

    Marker area grows with n; lines mark the splits; each quadrant is labelled in its corner.
    Hidden (small) groups are left out. The splits default to those stored by
    :func:`growth_achievement_quadrants` in ``df.attrs``.
    """
    g_split = float(growth_split if growth_split is not None
                    else df.attrs.get("growth_split", 50.0))
    a_split = float(achievement_split if achievement_split is not None
                    else df.attrs.get("achievement_split", 0.5))
    group_col = df.attrs.get("group_col") or next(
        (c for c in ("school_id", "district_id", "provider_id") if c in df.columns), df.columns[0])
    shown = df[df["shown"]] if "shown" in df.columns else df.dropna(subset=["median_sgp"])
    fig = go.Figure()
    n_max = float(shown["n"].max()) if len(shown) else 1.0
    for quadrant in QUADRANTS:
        part = shown[shown["quadrant"] == quadrant]
        if part.empty:
            continue
        if "size_class" in part.columns:  # coded: sizes and labels as published
            rank = {lab: i for i, (_, lab) in enumerate(SIZE_CLASSES)}
            size = 8 + 22 * np.sqrt([(rank.get(c, 0) + 1) / len(SIZE_CLASSES)
                                     for c in part["size_class"]])
            custom = np.column_stack([part[group_col].astype(str), part["size_class"],
                                      part["proficient_label"].astype(str)])
            hover = ("%{customdata[0]}<br>median SGP %{x}<br>proficient %{customdata[2]}"
                     "<br>students: %{customdata[1]}<extra></extra>")
        else:
            size = 8 + 22 * np.sqrt(part["n"] / n_max)
            custom = np.column_stack([part[group_col].astype(str), part["n"]])
            hover = ("%{customdata[0]}<br>median SGP %{x}<br>"
                     "proficient %{y:.0f}%<br>n = %{customdata[1]}<extra></extra>")
        fig.add_trace(go.Scatter(
            x=part["median_sgp"], y=100 * part["proficient_share"], mode="markers",
            name=quadrant,
            marker={"size": size, "color": _COLORS[quadrant],
                    "opacity": 0.75, "line": {"width": 1, "color": "white"}},
            customdata=custom, hovertemplate=hover,
        ))
    fig.add_vline(x=g_split, line={"dash": "dash", "color": "grey"})
    fig.add_hline(y=100 * a_split, line={"dash": "dash", "color": "grey"})
    corners = [(HIGH_HIGH, 99, 100, "right", "top"), (HIGH_LOW, 99, 0, "right", "bottom"),
               (LOW_HIGH, 1, 100, "left", "top"), (LOW_LOW, 1, 0, "left", "bottom")]
    for text, x, y, xa, ya in corners:
        fig.add_annotation(x=x, y=y, text=text, showarrow=False, xanchor=xa, yanchor=ya,
                           font={"size": 11, "color": _COLORS[text]})
    hidden = int((~df["shown"]).sum()) if "shown" in df.columns else 0
    subtitle = f" ({hidden} with too few students not shown)" if hidden else ""
    fig.update_layout(
        title=title + subtitle, template="plotly_white", legend_title_text="Quadrant",
        xaxis={"title": "Median student growth percentile", "range": [0, 100]},
        yaxis={"title": "Share proficient (%)", "range": [0, 100]},
    )
    return fig
