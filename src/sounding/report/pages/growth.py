"""Growth pages: student growth percentiles, the public accountability table, the quadrants."""

from __future__ import annotations

import pandas as pd

from sounding.growth.students import accountability_students
from sounding.report.site import Page, figure_html, render_fragment


def growth_pages(*, sgp: pd.DataFrame, scores: pd.DataFrame, students: pd.DataFrame,
                 school_names: dict[str, str], providers: pd.DataFrame | None = None,
                 targets: pd.DataFrame | None = None, grade_span: pd.DataFrame | None = None,
                 min_n: int = 10) -> list[Page]:
    from sounding.growth.aggregates import accountability_table
    from sounding.growth.quadrant import growth_achievement_quadrants, quadrant_figure

    s = sgp.dropna(subset=["sgp"])
    by_grade = (s.groupby(["year", "grade"]).agg(n=("sgp", "size"), median_sgp=("sgp", "median"))
                .reset_index().to_dict(orient="records"))
    acc_students = accountability_students(sgp, scores, students, targets)
    span_rows = None
    if grade_span is not None and len(grade_span):
        from sounding.growth.grade_span import grade_span_summary

        gs = grade_span.assign(student_id=grade_span["student_id"].astype(str))
        acc_students["grade_span_growth"] = acc_students["student_id"].astype(str).map(
            gs.set_index("student_id")["secured_total"])
        prof = acc_students.set_index(acc_students["student_id"].astype(str))["proficient"]
        span = grade_span_summary(gs, acc_students.assign(
            student_id=acc_students["student_id"].astype(str)), by=("school_id",),
            proficient=prof)
        span = span[span["n"] >= min_n]
        span["school"] = span["school_id"].astype(str).map(lambda x: school_names.get(x, x))
        span_rows = span.to_dict(orient="records")
    table = accountability_table(acc_students, by="school", min_n=min_n)
    from sounding.growth.aggregates import TOTAL

    table["school"] = [
        ("All districts" if str(d) == TOTAL else "District total") if str(sc) == TOTAL
        else school_names.get(str(sc), str(sc))
        for d, sc in zip(table["district_id"], table["school_id"], strict=True)
    ]
    quad = growth_achievement_quadrants(acc_students, min_n=min_n)
    fig = quadrant_figure(quad.assign(label=quad["school_id"].astype(str).map(
        lambda x: school_names.get(x, x))) if "school_id" in quad else quad)
    prov = None
    if providers is not None and len(providers):
        prov = accountability_table(acc_students, by="provider", providers=providers,
                                    min_n=min_n, subgroups=[])
    body = render_fragment(
        "growth.html", by_grade=by_grade,
        table=table[table["subgroup_type"] == "all"].to_dict(orient="records"),
        sub=table[table["subgroup_type"] != "all"].to_dict(orient="records"),
        quadrant=figure_html(fig),
        provider=None if prov is None else prov.to_dict(orient="records"),
        min_n=min_n, year=int(scores["year"].max()), span=span_rows,
    )
    return [Page("growth.html", "Growth and accountability", body, section="Growth", charts=True,
                 summary=("Student growth percentiles (the Colorado Growth Model) and the public "
                          f"accountability table: groups under {min_n} students are suppressed, "
                          "with complementary suppression so totals cannot reveal them."))]
