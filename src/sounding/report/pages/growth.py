"""Growth pages: student growth percentiles, the public accountability table, the quadrants."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sounding.report.site import Page, figure_html, render_fragment


def cuts_from_levels(scores: pd.DataFrame) -> dict[int, tuple[float, float]]:
    """Per grade (proficient cut, advanced cut) read off the scores' achievement levels.

    States publish their cut scores; when only levels come with the scores, the lowest score
    seen at level 3 and at level 4 are the cuts (exact for the data at hand).
    """
    s = scores.copy()
    s["lvl"] = pd.to_numeric(s["achievement_level"], errors="coerce")
    out: dict[int, tuple[float, float]] = {}
    for g, part in s.groupby("grade"):
        p = part.loc[part["lvl"] >= 3, "scale_score"]
        a = part.loc[part["lvl"] >= 4, "scale_score"]
        if len(p) and len(a):
            out[int(g)] = (float(p.min()), float(a.min()))
    return out


def accountability_students(sgp: pd.DataFrame, scores: pd.DataFrame, students: pd.DataFrame,
                            targets: pd.DataFrame | None) -> pd.DataFrame:
    """One row per student with the latest year's SGP, proficiency, targets and subgroups."""
    year = int(scores["year"].max())
    cur = sgp[sgp["year"] == year][["student_id", "sgp"]]
    sc = scores[scores["year"] == year][["student_id", "achievement_level"]]
    df = students.merge(cur, on="student_id", how="left").merge(sc, on="student_id", how="left")
    df["proficient"] = pd.to_numeric(df["achievement_level"], errors="coerce") >= 3
    if targets is not None and len(targets):
        t = targets[targets["target_type"].isin(["catch_up", "keep_up"])]
        t = t.merge(cur, on="student_id", how="left")
        t["met"] = t["sgp"] >= t["target_sgp"]
        for kind in ("catch_up", "keep_up"):
            part = t[t["target_type"] == kind].set_index("student_id")["met"]
            df[kind] = df["student_id"].map(part)
    else:
        df["catch_up"] = np.nan
        df["keep_up"] = np.nan
    return df


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
