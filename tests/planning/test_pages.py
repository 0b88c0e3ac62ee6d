"""The plan pages of the report: a class page shows what covers the class and its tiers."""

from __future__ import annotations

import pandas as pd

from sounding.planning import evidence_summary, small_groups, triage
from sounding.report.pages.planning import planning_pages

TARGET = "5.NF.A.1"


def test_class_page_shows_system_findings_that_cover_it_and_tiers(build_class, combined):
    parts = [build_class(low={TARGET: 6}, class_id=f"a{k}", school_id="sA") for k in range(2)]
    parts += [build_class(low={TARGET: 7}, class_id="b0", school_id="sB"),
              build_class(low={}, class_id="b1", school_id="sB")]
    m, st, cl = combined(*parts)
    rows = [(s, TARGET, 1, "2025-09-01T10:00:00Z" if s.startswith("b1-s0") else
             "2026-01-10T10:00:00Z") for s in st["student_id"]]
    ev = evidence_summary(pd.DataFrame(rows, columns=["student_id", "standard", "correct",
                                                      "timestamp"]))
    plan = triage(m, st, cl, evidence=ev, as_of="2026-01-15")
    assert plan.select(kind="district_wide")
    groups = small_groups(m, st, cl, as_of="2026-01-15", evidence=ev)
    pages = {p.slug: p for p in planning_pages(plan, classes=cl, schools={"sA": "A", "sB": "B"},
                                               groups=groups)}
    b0 = pages["plans/class-b0.html"].body
    assert "district wide" in b0 and "MTSS tiers (20 students)" in b0
    assert "Tier 1" in b0
    b1 = pages["plans/class-b1.html"].body
    assert "district wide" not in b1  # b1 is not covered
    assert b1.count("unknown: no recent evidence") >= 10  # ten stale students, no tier
    assert "district wide" in pages["plans/school-sB.html"].body
