"""Growth pages: student growth percentiles, the public accountability tables, the quadrants.

The school, district and provider tables on this page are suppressed *together*
(:func:`sounding.growth.aggregates.accountability_tables`): everything published here, read
side by side, reveals no group under the minimum size, and every share is hidden when its
own denominator (the students who needed to catch up, to keep up, with grade-span growth)
is too small. Grade-span growth on the progression sits beside grade-level proficiency, so a
school closing below-grade gaps is visible even when its test results look flat.
"""

from __future__ import annotations

import pandas as pd

from sounding.core.thresholds import MIN_N
from sounding.growth.students import accountability_students, cuts_from_levels, math_subjects
from sounding.report.site import Page, environment, figure_html

_STATUS = {"suppression": "n", "proficient_suppression": "proficient",
           "catch_up_suppression": "catching up", "keep_up_suppression": "keeping up",
           "grade_span_suppression": "grade span"}


def _dec(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return v if isinstance(v, str) else f"{float(v):.1f}"


def _hidden(rec: dict) -> str:
    """Which statistics of a row are suppressed and why (``primary`` / ``complementary``)."""
    return "; ".join(f"{lab}: {rec[c]}" for c, lab in _STATUS.items() if rec.get(c))


def growth_pages(*, sgp: pd.DataFrame, scores: pd.DataFrame, students: pd.DataFrame,
                 school_names: dict[str, str], providers: pd.DataFrame | None = None,
                 targets: pd.DataFrame | None = None, grade_span: pd.DataFrame | None = None,
                 min_n: int = MIN_N) -> list[Page]:
    """The growth page from the pipeline's outputs.

    ``targets`` are lagged (:func:`sounding.growth.lagged_growth_targets`); ``grade_span`` is
    per-student growth on the progression (``attrs["source"]`` says between which points).
    """
    from sounding.growth.aggregates import TOTAL, accountability_tables
    from sounding.growth.quadrant import growth_achievement_quadrants, quadrant_figure

    s = sgp.dropna(subset=["sgp"])
    by_grade = (s.groupby(["subject", "year", "grade"])
                .agg(n=("sgp", "size"), median_sgp=("sgp", "median"))
                .reset_index().to_dict(orient="records"))
    cuts = cuts_from_levels(scores) if "achievement_level" in scores.columns else None
    rows = accountability_students(sgp, scores, students, targets, grade_span=grade_span,
                                   cuts=cuts)
    tables = accountability_tables(rows, providers=providers, min_n=min_n)
    table = tables["school"]
    table["school"] = [
        ("All districts" if str(d) == TOTAL else "District total") if str(sc) == TOTAL
        else school_names.get(str(sc), str(sc))
        for d, sc in zip(table["district_id"], table["school_id"], strict=True)
    ]
    records = table.to_dict(orient="records")
    for rec in records:
        rec["hidden"] = _hidden(rec)
    subjects = sorted(rows["subject"].unique()) if len(rows) else []
    maths = math_subjects(subjects)
    quad_subject = maths[0] if maths else (subjects[0] if subjects else None)
    q_rows = rows[rows["subject"] == quad_subject] if quad_subject else rows
    released = (table[table["subject"] == quad_subject]
                if quad_subject and "subject" in table else table)
    # the chart shows each school's share exactly as the released table codes it (or not at
    # all where the table hid it), so the chart reveals nothing the tables do not
    quad = growth_achievement_quadrants(q_rows.assign(proficient=q_rows["proficient"]
                                                      .astype("boolean")), min_n=min_n,
                                        released=released)
    fig = quadrant_figure(quad.assign(label=quad["school_id"].astype(str).map(
        lambda x: school_names.get(x, x))) if "school_id" in quad else quad)
    span_rows = None
    if "mean_secured_below" in table.columns:
        span_rows = [r for r in records if r["subgroup_type"] == "all"
                     and r["subject"] in maths]
    prov = None
    if "provider" in tables:
        prov = tables["provider"]
        prov = prov[prov["subgroup_type"] == "all"].to_dict(orient="records")
        for rec in prov:
            rec["hidden"] = _hidden(rec)
    body = environment().get_template("growth.html").render(
        by_grade=by_grade, multi=len(subjects) > 1,
        table=[r for r in records if r["subgroup_type"] == "all"],
        sub=[r for r in records if r["subgroup_type"] != "all"],
        quadrant=figure_html(fig), quad_subject=quad_subject if len(subjects) > 1 else None,
        provider=prov, min_n=min_n, year=int(scores["year"].max()), span=span_rows,
        span_source=(grade_span.attrs.get("source", "") if grade_span is not None else ""),
        dec=_dec)
    return [Page("growth.html", "Growth and accountability", body, section="Growth", charts=True,
                 summary=("Student growth percentiles (the Colorado Growth Model), catch-up and "
                          "keep-up against last year's targets, growth on the progression "
                          f"beside proficiency, and the public tables: statistics on fewer than "
                          f"{min_n} students are suppressed, jointly across the school, "
                          "district and provider tables so none can be recovered."))]
