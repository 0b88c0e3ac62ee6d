"""Percentile growth projections and catch-up / keep-up / move-up targets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sounding.errors import InvalidInput
from sounding.growth import (
    GrowthPercentiles,
    ModelKey,
    growth_projections,
    growth_targets,
    validate_scores,
)


@pytest.fixture(scope="module")
def scores(shared_data):
    pyreadr = pytest.importorskip("pyreadr")
    d = pyreadr.read_r(str(shared_data / "sgp" / "sgpData_LONG.rda"))["sgpData_LONG"]
    v = validate_scores(d[d["CONTENT_AREA"] == "MATHEMATICS"])
    return v[v["year"] >= 2023].reset_index(drop=True)


@pytest.fixture(scope="module")
def fitted(scores):
    # this year's models for grades 5..8 describe the next three years of a grade-5 student
    return GrowthPercentiles(max_order=2, years=[2025], grades=[5, 6, 7, 8]).fit(scores)


@pytest.fixture(scope="module")
def grade5(scores):
    ids = scores.loc[(scores["year"] == 2025) & (scores["grade"] == 5), "student_id"]
    ids = ids.sort_values().head(400)
    return scores[scores["student_id"].isin(ids)].reset_index(drop=True)


@pytest.fixture(scope="module")
def projections(fitted, grade5):
    return growth_projections(fitted, grade5, years_ahead=3)


@pytest.fixture(scope="module")
def cuts(scores):
    out = {}
    for g in range(5, 9):
        s = scores.loc[scores["grade"] == g, "scale_score"]
        out[g] = (float(s.quantile(0.5)), float(s.quantile(0.9)))
    return out


def test_projection_shape(projections, grade5):
    n = int(((grade5["year"] == 2025) & (grade5["grade"] == 5)).sum())
    assert len(projections) == n * 3 * 99
    assert set(projections["years_ahead"]) == {1, 2, 3}
    assert (projections["projected_grade"] == projections["grade"]
            + projections["years_ahead"]).all()
    assert projections["projected_score"].notna().all()


def test_projections_monotone_in_percentile(projections):
    d = projections.sort_values(["student_id", "years_ahead", "percentile"])
    steps = d.groupby(["student_id", "years_ahead"])["projected_score"].diff().dropna()
    assert (steps >= 0).all()
    # and they really spread out: the 99th path is well above the 1st
    spread = d.groupby(["student_id", "years_ahead"])["projected_score"].agg(np.ptp)
    assert (spread > 50).all()


def test_first_year_is_the_next_grade_model(fitted, grade5, projections):
    sid = projections["student_id"].iloc[0]
    hist = grade5[grade5["student_id"] == sid].set_index("year")
    cur, prior = hist.loc[2025, "scale_score"], hist.loc[2024, "scale_score"]
    model = fitted.models_[ModelKey("MATHEMATICS", 2025, (4, 5, 6))]
    q = model.percentile_predictions(np.array([[cur, prior]]), bound=True)[0]
    mine = projections[(projections["student_id"] == sid) & (projections["years_ahead"] == 1)]
    np.testing.assert_allclose(mine["projected_score"].to_numpy(), q[:99])
    # year 2 chains: the year-1 score at percentile p becomes the most recent prior
    # (reported rearranged, i.e. sorted over the percentiles)
    m2 = fitted.models_[ModelKey("MATHEMATICS", 2025, (5, 6, 7))]
    y2 = projections[(projections["student_id"] == sid) & (projections["years_ahead"] == 2)]
    chain = [m2.percentile_predictions(np.array([[q[p - 1], cur]]), bound=True)[0][p - 1]
             for p in range(1, 100)]
    np.testing.assert_allclose(y2["projected_score"].to_numpy(), np.sort(chain))
    lo, hi = m2.loss_hoss
    assert y2["projected_score"].between(lo, hi).all()


def test_projection_stops_without_a_model(scores, grade5):
    only = GrowthPercentiles(max_order=2, years=[2025], grades=[6]).fit(scores)
    proj = growth_projections(only, grade5, years_ahead=3)
    assert set(proj["years_ahead"]) == {1}
    with pytest.raises(InvalidInput):
        growth_projections(only, grade5, percentiles=[0, 50])


def test_targets_are_minimal_and_sensible(fitted, grade5, projections, cuts):
    t = growth_targets(fitted, grade5, cuts, projections=projections)
    assert set(t["target_type"]) <= {"catch_up", "keep_up", "move_up", "stay_up"}
    assert {"catch_up", "keep_up"} <= set(t["target_type"])
    proj = projections.set_index(["student_id", "years_ahead", "percentile"])["projected_score"]
    for row in t[t["reachable"]].head(150).itertuples(index=False):
        assert 1 <= row.target_sgp <= 99
        level = 1 if row.target_type in ("catch_up", "keep_up") else 0
        yearly = [proj.loc[(row.student_id, h)] for h in (1, 2, 3)]
        cut = [cuts[row.grade + h][1 - level] for h in (1, 2, 3)]
        at = [yearly[h].loc[row.target_sgp] >= cut[h] for h in range(3)]
        if row.target_type in ("catch_up", "move_up"):  # reached in some year...
            assert any(at)
            if row.target_sgp > 1:  # ...and one percentile less is not enough
                assert not any(yearly[h].loc[row.target_sgp - 1] >= cut[h] for h in range(3))
        else:  # keep/stay: at the level every year
            assert all(at)
            if row.target_sgp > 1:
                assert not all(yearly[h].loc[row.target_sgp - 1] >= cut[h] for h in range(3))
    # status follows the current grade's cuts
    below = t["status"] == "below"
    assert (t.loc[below, "scale_score"] < cuts[5][0]).all()
    assert (t.loc[below, "target_type"] == "catch_up").all()
    # students further below need more growth to catch up
    cu = t[t["target_type"] == "catch_up"].dropna(subset=["target_sgp"])
    assert len(cu) > 50
    rho = cu["scale_score"].rank().corr(cu["target_sgp"].astype(float).rank())
    assert rho < -0.7
    ku = t[t["target_type"] == "keep_up"].dropna(subset=["target_sgp"])
    assert cu["target_sgp"].median() > ku["target_sgp"].median()


def test_targets_without_cuts_for_the_grade_are_empty(fitted, grade5, projections):
    t = growth_targets(fitted, grade5, {9: (1.0, 2.0)}, projections=projections)
    assert t.empty or t["status"].isna().all()
    assert isinstance(t, pd.DataFrame)
