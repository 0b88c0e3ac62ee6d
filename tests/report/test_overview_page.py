"""The district overview's data-quality part: classes to check come first, as a table."""

from __future__ import annotations

import pandas as pd

from sounding.progression import load_default
from sounding.report.pages.overview import _classes_to_check, overview_page


def _row(cid: str, n: int, with_ev: int, stale: bool, days: int | None) -> dict:
    return {"class_id": cid, "school_id": "sch-1", "n_students": n, "n_with_evidence": with_ev,
            "last_response": None if days is None else "2026-04-01T10:00:00",
            "days_since_last": days, "stale": stale}


def test_stale_classes_then_least_covered_then_the_rest_left_out():
    rows = [_row("c-ok", 25, 25, False, 2), _row("c-half", 20, 10, False, 3),
            _row("c-stale", 24, 24, True, 200), _row("c-never", 22, 0, True, None),
            _row("c-empty", 0, 0, False, None)]
    shown, more = _classes_to_check(rows, most=3)
    assert [r["class_id"] for r in shown] == ["c-never", "c-stale", "c-half"]
    assert more == 2
    assert shown[2]["share"] == 0.5


def test_overview_page_shows_class_evidence_as_a_table_not_a_dump():
    quality = {"as_of": "2026-04-30T10:20:00", "stale_days": 120,
               "students_without_evidence": ["stu-1"],
               "class_evidence": [_row("c-ok", 25, 25, False, 2),
                                  _row("c-never", 22, 0, True, None)]}
    students = pd.DataFrame({"student_id": ["stu-1", "stu-2"], "grade": [5, 5]})
    responses = pd.DataFrame({"student_id": ["stu-2"], "standard": ["5.NF.A.1"],
                              "correct": [1], "source": ["diagnostic"]})
    page = overview_page(title="T", counts={"users": 2}, quality=quality, students=students,
                         responses=responses, graph=load_default())
    body = page.body
    assert "Evidence by class" in body
    assert body.index("c-never") < body.index("c-ok")  # the stale class is listed first
    assert "never" in body and "0 (0%)" in body
    assert "class evidence" not in body  # no longer dumped as a raw list in the signals
