"""The spring windows: the same students answer a grade-span check in two school years."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sounding.progression import load_default
from sounding.simulate import DistrictSpec, simulate_district, simulate_to_dir
from sounding.simulate.history import (
    SPRING_WINDOW_COLUMNS,
    TRUTH_SPAN_COLUMNS,
    WINDOW_ITEMS,
    span_of,
)


@pytest.fixture(scope="module")
def district():
    return simulate_district(DistrictSpec(n_students=900, seed=41))


def test_two_springs_for_every_student(district) -> None:
    w = district.spring_windows
    assert list(w.columns) == SPRING_WINDOW_COLUMNS
    assert (w["source"] == "spring_window").all()
    ts = pd.to_datetime(w["timestamp"])
    assert set(ts.dt.year) == {2025, 2026} and set(ts.dt.month) <= {4, 5}
    per = w.assign(year=ts.dt.year).groupby(["student_id", "year"]).size()
    assert (per == WINDOW_ITEMS).all()
    assert per.index.get_level_values(0).nunique() == len(district.truth_students)
    # the window is kept apart from this year's evidence file
    assert not district.responses["source"].eq("spring_window").any()
    assert pd.to_datetime(district.responses["timestamp"]).min() >= pd.Timestamp("2025-08-01")


def test_items_come_from_the_students_grade_span(district) -> None:
    graph = load_default()
    w = district.spring_windows.merge(district.truth_students[["student_id", "grade"]])
    std_grade = w["standard"].map(lambda c: graph[graph.rollup(c)].grade_num)
    lo = w["grade"].map(lambda g: span_of(int(g))[0])
    hi = w["grade"].map(lambda g: span_of(int(g))[1])
    assert ((std_grade >= lo) & (std_grade <= hi)).all()


def test_truth_span_matches_the_true_states(district) -> None:
    ts = district.truth_span
    assert list(ts.columns) == TRUTH_SPAN_COLUMNS
    graph = load_default()
    m = district.truth_mastery.set_index("student_id")
    grades = np.array([graph[graph.rollup(c)].grade_num for c in m.columns])
    for r in ts.sample(40, random_state=0).itertuples(index=False):
        cols = (grades >= r.span_first) & (grades <= r.span_last)
        assert r.n_span_standards == cols.sum()
        assert r.mastered_this_spring == int(m.loc[r.student_id].to_numpy()[cols].sum())
    assert (ts["true_span_growth"] == ts["mastered_this_spring"]
            - ts["mastered_last_spring"]).all()
    # students learn between the springs: the span's mastery grows for most, in every grade
    by_grade = ts.groupby("grade")["true_span_growth"].mean()
    assert (by_grade > 3).all()
    assert (ts["true_span_growth"] >= 0).mean() > 0.9


def test_answers_follow_each_springs_state(district) -> None:
    """This spring's answers follow this spring's state (right about 1 - slip of the time on
    mastered standards); last spring's answers on the same mastered standards are right less
    often, because some of them were learned in between."""
    w = district.spring_windows
    graph = load_default()
    truth = district.truth_mastery.set_index("student_id")
    code_col = {c: i for i, c in enumerate(truth.columns)}
    state = truth.to_numpy()
    rows = truth.index.get_indexer(w["student_id"])
    cols = w["standard"].map(lambda c: code_col[graph.rollup(c)]).to_numpy()
    mastered = state[rows, cols]
    this = (pd.to_datetime(w["timestamp"]).dt.year == 2026).to_numpy()
    correct = w["correct"].to_numpy()
    acc_this = correct[this & mastered].mean()
    acc_last = correct[~this & mastered].mean()
    assert acc_this > 0.8
    assert acc_last < acc_this - 0.05
    assert correct[this & ~mastered].mean() < 0.4


def test_written_files_and_streaming(tmp_path) -> None:
    spec = DistrictSpec(n_students=300, seed=5)
    a = simulate_to_dir(spec, tmp_path / "a", chunk_students=100)
    assert "spring_windows.csv" in a.files and "truth/span_mastery.csv" in a.files
    simulate_to_dir(spec, tmp_path / "b")
    for rel in ("spring_windows.csv", "truth/span_mastery.csv"):
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    w = pd.read_csv(tmp_path / "a" / "spring_windows.csv")
    assert list(w.columns) == SPRING_WINDOW_COLUMNS and len(w) == 300 * 2 * WINDOW_ITEMS
