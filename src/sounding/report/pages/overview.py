"""The district overview: what was imported, evidence coverage, and data quality."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sounding.progression import StandardsGraph
from sounding.report.site import Page, render_fragment


def _plain(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return obj


def _classes_to_check(rows: list[dict], most: int = 25) -> tuple[list[dict], int]:
    """The classes a data lead should look at first: stale ones, then those where the fewest
    students have any evidence. Returns at most ``most`` rows and how many were left out."""
    def share(r: dict) -> float:
        return r["n_with_evidence"] / r["n_students"] if r["n_students"] else 1.0

    ranked = sorted(rows, key=lambda r: (not r["stale"], share(r), str(r["class_id"])))
    shown = [dict(r, share=share(r)) for r in ranked[:most]]
    return shown, max(len(ranked) - most, 0)


def overview_page(
    *,
    title: str,
    counts: dict[str, int],
    quality: Any,
    students: pd.DataFrame,
    responses: pd.DataFrame,
    graph: StandardsGraph,
    imports: dict[str, Any] | None = None,
    timings: dict[str, float] | None = None,
) -> Page:
    """Roster, evidence coverage by grade and source, and the data-quality signals."""
    q = dict(_plain(quality) or {})
    classes, n_more = _classes_to_check(q.pop("class_evidence", None) or [])
    resp = responses.copy()
    resp["std"] = resp["standard"].map(lambda c: graph.rollup(c) if c in graph else c)
    resp["std_grade"] = resp["std"].map(lambda c: graph[c].grade_num if c in graph else None)
    g_of = dict(zip(students["student_id"].astype(str), students["grade"], strict=False))
    resp["student_grade"] = resp["student_id"].astype(str).map(g_of)
    resp["where"] = (resp["std_grade"] - resp["student_grade"]).map(
        lambda d: "below grade" if d < 0 else ("on grade" if d == 0 else "above grade")
    )
    by_grade = []
    for grade, part in students.groupby("grade"):
        ids = set(part["student_id"].astype(str))
        r = resp[resp["student_id"].astype(str).isin(ids)]
        with_ev = r["student_id"].nunique()
        by_grade.append({
            "grade": grade, "students": len(part), "with_evidence": int(with_ev),
            "responses": len(r),
            "per_student": round(len(r) / max(with_ev, 1), 1),
            "standards_touched": int(r["std"].nunique()),
            "below_share": float((r["where"] == "below grade").mean()) if len(r) else None,
            "p_correct": float(r["correct"].mean()) if len(r) else None,
        })
    by_source = (
        resp.groupby("source").agg(responses=("correct", "size"), p_correct=("correct", "mean"))
        .reset_index().to_dict(orient="records")
    )
    scalars = {k: v for k, v in q.items() if isinstance(v, int | float | str | bool) or v is None}
    lists = {k: v for k, v in q.items() if isinstance(v, list | tuple)}
    body = render_fragment(
        "overview.html", counts=counts, by_grade=by_grade, by_source=by_source,
        scalars=scalars, lists=lists, classes=classes, n_more_classes=n_more,
        imports=imports or {}, timings=timings or {},
    )
    return Page("district.html", "District overview", body, section="District",
                summary=f"{title}: what was imported, how much evidence there is, and what is "
                        "missing (the system-level data signals).")
