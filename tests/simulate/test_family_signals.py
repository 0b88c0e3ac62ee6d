"""Simulated family-connection signals: believable, and able to trigger the planning rule."""

from __future__ import annotations

import pandas as pd
import pytest

from sounding.simulate import DistrictSpec, simulate_district


@pytest.fixture(scope="module")
def district():
    return simulate_district(DistrictSpec(n_students=3000, seed=7))


def _recent_contact(d) -> pd.DataFrame:
    f = d.family_signals.assign(date=lambda x: pd.to_datetime(x["date"]))
    recent = f[(f["value"] == 1) & (f["date"] > pd.Timestamp("2026-04-30") - pd.Timedelta(90, "D"))]
    return d.truth_students.assign(contacted=d.truth_students["student_id"].isin(
        recent["student_id"]))


def test_signals_are_well_formed(district):
    f = district.family_signals
    assert list(f.columns) == ["student_id", "signal", "date", "value", "source"]
    assert set(f["signal"]) == {"phone_call", "message", "conference"}
    assert set(f["value"]) == {0, 1}
    assert f["student_id"].isin(district.truth_students["student_id"]).all()
    assert not f.duplicated(["student_id", "signal", "date", "source"]).any()
    days = pd.to_datetime(f["date"])
    assert days.min() >= pd.Timestamp("2025-08-25") and days.max() <= pd.Timestamp("2026-04-30")
    assert (days.dt.day_of_week < 5).all()  # school days


def test_gaps_by_subgroup_and_school(district):
    """Most schools reach at least 75% of families in the last 90 days, some do not, and
    disadvantaged families are reached less often (the guidance's equity concern)."""
    t = _recent_contact(district)
    by_school = t.groupby("school_id")["contacted"].mean()
    assert (by_school >= 0.75).sum() >= len(by_school) / 2
    assert (by_school < 0.75).any()
    by_econ = t.groupby("economically_disadvantaged")["contacted"].mean()
    assert by_econ[True] < by_econ[False] - 0.03
