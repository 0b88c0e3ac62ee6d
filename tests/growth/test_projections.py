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


# ------------------------------------------------------------- lagged targets, by hand


def hand_model(grades=(5, 6, 7, 8), year=2025) -> GrowthPercentiles:
    """Order-1 models in which growing at percentile p adds exactly p - 40.5 points a year.

    Quantile tau of next year's score is ``prior + 10 + 100 (tau - 0.5)``; the spline basis
    represents a straight line exactly, so the coefficients are a least-squares fit on a grid.
    Percentile p uses tau = (p - 0.5) / 100, i.e. growth p - 40.5.
    """
    from sounding.growth import TAUS
    from sounding.growth.sgp import GrowthModel

    knots = np.array([420.0, 460.0, 500.0, 540.0])
    bounds = np.array([300.0, 800.0])
    est = GrowthPercentiles(max_order=1)
    est.models_, est.knots_, est.boundaries_, est.loss_hoss_, est.skipped_ = {}, {}, {}, {}, []
    grid = np.linspace(320, 780, 200)[:, None]
    for g in grades:
        est.knots_[("math", g - 1)], est.boundaries_[("math", g - 1)] = knots, bounds
        key = ModelKey("math", year, (g - 1, g))
        m = GrowthModel(key, np.empty((100, 8)), (knots,), (bounds,), (0.0, 1000.0), 1000)
        X = m.design(grid)
        target = grid[:, 0][:, None] + 10 + 100 * (TAUS[None, :] - 0.5)
        m.coef[:] = np.linalg.lstsq(X, target, rcond=None)[0].T
        est.models_[key] = m
    est.coef_ = {k: m.coef for k, m in est.models_.items()}
    return est


def hand_scores() -> pd.DataFrame:
    rows = [  # student, grade last year, score last year, score this year
        ("catches", 4, 470, 482),   # needs 51 (470 + 3 * 10.5 >= 500), SGP 52
        ("misses", 4, 470, 480),    # needs 51, SGP 50 (forward from 480 would need only 48)
        ("keeps", 4, 505, 504),     # keep-up needs 39 (505 + 3 * -1.5 >= 500), SGP 39
        ("slips", 4, 505, 500),     # keep-up needs 39, SGP 35
        ("late", 6, 480, 490),      # grade 7 now: only grades 7 and 8 are tested ahead, so
    ]                               # catch-up within 2 years: 51 (3 years would need 48)
    out = []
    for sid, g, last, now in rows:
        out.append((sid, 2024, g, "math", float(last)))
        out.append((sid, 2025, g + 1, "math", float(now)))
    return pd.DataFrame(out, columns=["student_id", "year", "grade", "subject", "scale_score"])


def test_lagged_targets_by_hand():
    from sounding.growth import lagged_growth_targets

    est = hand_model()
    scores = hand_scores()
    sgp = est.transform(scores)
    assert dict(zip(sgp["student_id"], sgp["sgp"], strict=True)) == {
        "catches": 52, "misses": 50, "keeps": 39, "slips": 35, "late": 50}
    cuts = {g: (500.0, 600.0) for g in range(4, 10)}
    t = lagged_growth_targets(est, scores, cuts, sgp=sgp)
    got = {(r.student_id, r.target_type): (int(r.target_sgp), bool(r.met))
           for r in t.itertuples(index=False)}
    assert got == {
        ("catches", "catch_up"): (51, True),
        ("misses", "catch_up"): (51, False),
        ("keeps", "keep_up"): (39, True),
        ("keeps", "move_up"): (73, False),  # 505 + 3 (p - 40.5) >= 600 -> p >= 72.2
        ("slips", "keep_up"): (39, False),
        ("slips", "move_up"): (73, False),
        ("late", "catch_up"): (51, False),
    }
    # the judged year and grade are this year's; status and score are last year's
    row = t[t["student_id"] == "late"].iloc[0]
    assert (row["year"], row["grade"], row["prior_scale_score"], row["prior_status"]) == (
        2025, 7, 480.0, "below")
    assert pd.isna(row["target_sgp_year_3"])  # no grade-9 test ahead
    # the forward-looking targets (from this year's score) are a different question: from
    # 480 "misses" would need only 48, which this year's SGP of 50 meets
    fwd = growth_targets(est, scores, cuts)
    m = fwd[(fwd["student_id"] == "misses") & (fwd["target_type"] == "catch_up")]
    assert int(m["target_sgp"].iloc[0]) == 48 and m["year"].iloc[0] == 2025


def test_accountability_students_judge_with_lagged_targets():
    from sounding.growth import lagged_growth_targets
    from sounding.growth.students import accountability_students

    est = hand_model()
    scores = hand_scores()
    sgp = est.transform(scores)
    cuts = {g: (500.0, 600.0) for g in range(4, 10)}
    t = lagged_growth_targets(est, scores, cuts)
    roster = pd.DataFrame({"student_id": scores["student_id"].unique(), "school_id": "S1",
                           "district_id": "D1"})
    rows = accountability_students(sgp, scores, roster, t, cuts=cuts).set_index("student_id")
    assert rows.loc["catches", "catch_up"] == True  # noqa: E712 - pandas boolean
    assert rows.loc["misses", "catch_up"] == False  # noqa: E712
    assert pd.isna(rows.loc["misses", "keep_up"])
    assert rows.loc["keeps", "keep_up"] == True  # noqa: E712
    assert rows.loc["slips", "keep_up"] == False  # noqa: E712
    # forward-looking targets are refused: they judge the wrong year
    fwd = growth_targets(est, scores, cuts)
    with pytest.raises(InvalidInput, match="lagged"):
        accountability_students(sgp, scores, roster, fwd)


def _independent_design(x: np.ndarray, knots: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """R's bs(x, knots, Boundary.knots) (no intercept column) via scipy, not our bspline."""
    from scipy.interpolate import BSpline

    t = np.concatenate([[bounds[0]] * 4, knots, [bounds[1]] * 4])
    return BSpline.design_matrix(np.asarray(x, float), t, 3).toarray()[:, 1:]


def test_lagged_target_matches_an_independent_chain(fitted, scores, grade5, cuts):
    """Catch-up / keep-up targets recomputed from the coefficient matrices alone."""
    from sounding.growth import lagged_growth_targets

    g4 = scores.loc[scores["grade"] == 4, "scale_score"]
    cuts = {**cuts, 4: (float(g4.quantile(0.5)), float(g4.quantile(0.9)))}  # last year's
    t = lagged_growth_targets(fitted, grade5, cuts)
    assert {"catch_up", "keep_up", "move_up"} <= set(t["target_type"])
    hist = grade5.pivot_table(index="student_id", columns="year", values="scale_score")
    checked = 0
    for ttype in ("catch_up", "keep_up"):
        rows = t[(t["target_type"] == ttype) & t["reachable"]]
        rows = rows[rows["student_id"].map(lambda s: not np.isnan(hist.loc[s, 2023]))]
        for r in rows.head(4).itertuples(index=False):
            state = [hist.loc[r.student_id, 2024], hist.loc[r.student_id, 2023]]  # recent first
            paths = np.empty((3, 99))
            chains = [list(state) for _ in range(99)]
            for step, grade in enumerate((5, 6, 7)):
                m = fitted.models_[ModelKey("MATHEMATICS", 2025, (grade - 2, grade - 1, grade))]
                for p in range(1, 100):
                    pri = chains[p - 1][:2]
                    X = np.hstack([[1.0]] + [_independent_design([v], m.knots[j],
                                                                 m.boundaries[j])[0]
                                             for j, v in enumerate(pri)])
                    q = np.sort(np.clip(m.coef @ X, *m.loss_hoss))
                    v = round(float(q[p - 1]), 5)
                    paths[step, p - 1] = v
                    chains[p - 1] = [v, *chains[p - 1]]
            paths.sort(axis=1)  # reported rearranged over percentiles
            cut = [cuts[g][0] for g in (5, 6, 7)]
            first = [next((p for p in range(1, 100) if paths[s, p - 1] >= cut[s]), None)
                     for s in range(3)]
            if ttype == "catch_up":
                expect = min(f for f in first if f is not None)
            else:
                expect = max(first)
            assert int(r.target_sgp) == expect, (r.student_id, ttype, first)
            checked += 1
    assert checked == 8
