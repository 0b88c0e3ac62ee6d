"""Evidence across school years: a spring check in each of the last two springs.

Math Innovation Zones judge growth across a grade span (6-8) over school years, from one
spring to a later spring. The simulator already knows every student's state at the end of
last year (``prev1``) and at the end of this year (``final``); this module turns them into
item-level evidence: in each spring window (late April to early May) every student of the
tested grades (3-8 by default) answers :data:`WINDOW_ITEMS` items drawn from the standards of
*the grade span they are in this year* (3-5 or 6-8), so both springs measure the same span
with the same kind of check (a grade-6 student's baseline is the 6-8 check taken at the end of
grade 5). Students moved up a
grade and learned between the two windows, as the knowledge model says.

Outputs (both written by :mod:`sounding.simulate.writers` as further files):

* ``spring_windows.csv``: the responses, in the columns of ``responses.csv`` (source
  ``"spring_window"``). They are kept out of ``responses.csv`` because that file is this
  year's evidence: a mastery model that treats answers as a snapshot would otherwise mix
  last spring's state into this year's estimate.
* ``truth/span_mastery.csv``: per student, the span, its number of standards, and how many
  of them the student truly had mastered at each spring (the truth grade-span growth is the
  difference).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sounding.simulate.knowledge import Curriculum

#: Items per student in each spring window (the default of
#: ``DistrictSpec.spring_window_items``). 16 measured spring-to-spring growth per school and
#: grade with r = 0.90 against the truth on the demo district (12: 0.79, 24: 0.97), at two
#: thirds of ``responses.csv``'s volume again.
WINDOW_ITEMS = 16
#: The grade spans (first grade, last grade) a student's check covers.
SPANS: tuple[tuple[int, int], ...] = ((0, 2), (3, 5), (6, 8))
SOURCE = "spring_window"

SPRING_WINDOW_COLUMNS = ["student_id", "item_id", "standard", "correct", "timestamp", "source"]
TRUTH_SPAN_COLUMNS = ["student_id", "grade", "span_first", "span_last", "n_span_standards",
                      "mastered_last_spring", "mastered_this_spring", "true_span_growth",
                      "last_spring_year", "this_spring_year"]


def span_of(grade: int) -> tuple[int, int]:
    """The grade span a grade belongs to (K-2, 3-5, 6-8)."""
    for lo, hi in SPANS:
        if lo <= grade <= hi:
            return lo, hi
    return SPANS[-1]


def window_dates(spring_year: int) -> tuple[date, date]:
    """First and last day of the spring window of ``spring_year``."""
    return date(spring_year, 4, 20), date(spring_year, 5, 8)


def spring_windows(cur: Curriculum, rng: np.random.Generator, student_ids: np.ndarray,
                   grades: np.ndarray, prev1: np.ndarray, final: np.ndarray,
                   spring_year: int, *, items: int = WINDOW_ITEMS,
                   window_grades: tuple[int, ...] = (3, 4, 5, 6, 7, 8),
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two spring windows of one school's students, and the truth about their spans.

    ``prev1`` and ``final`` are the students' knowledge states (rows: students, columns: the
    curriculum's standards) at the end of last year and of this year; ``grades`` this year's.
    Only students in ``window_grades`` this year take the checks (``items`` items each).
    Draws come from ``rng`` (the school's stream, after everything else it draws).
    """
    take = np.isin(grades, np.asarray(window_grades, dtype=np.int64)) & (items > 0)
    student_ids, grades = student_ids[take], grades[take]
    prev1, final = prev1[take], final[take]
    n = student_ids.size
    spans = np.array([span_of(int(g)) for g in grades], dtype=np.int64).reshape(n, 2)
    first = cur.grade_start[spans[:, 0]]
    last = cur.grade_start[spans[:, 1] + 1]
    width = last - first
    idx = np.arange(n)

    def mastered(state: np.ndarray) -> np.ndarray:
        cs = np.concatenate([np.zeros((n, 1), np.int64), np.cumsum(state, axis=1)], axis=1)
        return cs[idx, last] - cs[idx, first]

    mastered_prev, mastered_now = mastered(prev1), mastered(final)
    # student-major order (each student's last-spring sitting, then this spring's), so the
    # rows come out sorted by student and time without a sort
    m = items
    rows = np.repeat(np.arange(n), 2 * m)
    later = np.tile(np.repeat(np.array([False, True]), m), n)
    col = first[rows] + (rng.random(rows.size) * width[rows]).astype(np.int64)
    item = rng.integers(0, cur.items.item_id.shape[1], rows.size)
    knows = np.where(later, final[rows, col], prev1[rows, col])
    correct = rng.random(rows.size) < np.where(knows, 1.0 - cur.items.slip[col, item],
                                                 cur.items.guess[col, item])
    ts = np.empty(rows.size, dtype="datetime64[s]")
    for flag, year in ((False, spring_year - 1), (True, spring_year)):
        start, end = window_dates(year)
        day0 = np.datetime64(start.isoformat(), "D")
        day = np.busday_offset(day0, rng.integers(0, int(np.busday_count(start, end)), n),
                               roll="forward")
        sec = 9 * 3600 + rng.integers(0, 5 * 3600, n)  # one sitting, about a minute an item
        at = rows[later == flag]
        ts[later == flag] = (day[at].astype("datetime64[s]")
                             + (sec[at] + np.tile(np.arange(m) * 75, n)).astype("timedelta64[s]"))
    windows = pd.DataFrame({
        "student_id": student_ids[rows],
        "item_id": cur.items.item_id[col, item],
        "standard": cur.items.tag[col, item],
        "correct": correct.astype(np.int8),
        "timestamp": np.datetime_as_string(ts, unit="s").astype(object),
        "source": SOURCE,
    })
    truth = pd.DataFrame({
        "student_id": student_ids, "grade": grades, "span_first": spans[:, 0],
        "span_last": spans[:, 1], "n_span_standards": width,
        "mastered_last_spring": mastered_prev, "mastered_this_spring": mastered_now,
        "true_span_growth": mastered_now - mastered_prev,
        "last_spring_year": spring_year - 1, "this_spring_year": spring_year,
    })
    return windows[SPRING_WINDOW_COLUMNS], truth[TRUTH_SPAN_COLUMNS]
