"""Exact quantile regression and the R-compatible spline basis behind SGPs."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.interpolate import BSpline
from scipy.optimize import linprog

from sounding.growth._quantreg import check_loss, collapse_rows, rq_fit, rq_process
from sounding.growth.bspline import bs, extendrange, knots_boundaries, quantile_type7, r_round


def lp_objective(X: np.ndarray, y: np.ndarray, tau: float, w: np.ndarray | None = None) -> float:
    """Optimum of min tau w'u + (1 - tau) w'v s.t. Xb + u - v = y (HiGHS)."""
    n, p = X.shape
    w = np.ones(n) if w is None else w
    c = np.concatenate([np.zeros(p), tau * w, (1 - tau) * w])
    eye = sp.identity(n, format="csr")
    A = sp.hstack([sp.csr_matrix(X), eye, -eye], format="csr")
    bounds = [(None, None)] * p + [(0, None)] * (2 * n)
    res = linprog(c, A_eq=A, b_eq=y, bounds=bounds, method="highs")
    assert res.status == 0
    return float(res.fun)


# -------------------------------------------------------------------------------- bs / knots


def test_bs_without_interior_knots_is_bernstein():
    x = np.linspace(0, 1, 11)
    B = bs(x, [], [0, 1], intercept=True)
    expect = np.column_stack([(1 - x) ** 3, 3 * x * (1 - x) ** 2, 3 * x**2 * (1 - x), x**3])
    np.testing.assert_allclose(B, expect, atol=1e-15)
    np.testing.assert_allclose(bs(x, [], [0, 1]), expect[:, 1:], atol=1e-15)


def test_bs_matches_r_values():
    # R: unclass(bs(c(0, .3, .5, 1, 1.2, -.1), knots = .4, Boundary.knots = c(0, 1)))
    got = bs(np.array([0, 0.3, 0.5, 1, 1.2, -0.1]), [0.4], [0, 1])
    r = np.array([
        [0, 0, 0, 0],
        [0.545625, 0.37125, 0.0675, 0],
        [0.208333333333333343, 0.486111111111111160, 0.3009259259259259300,
         0.0046296296296296268],
        [0, 0, 0, 1],
        [-0.013333333333333322, 0.248888888888888771, -1.6059259259259257568,
         2.3703703703703697947],
        [-1.036875000000000435, 0.086250000000000077, -0.0024999999999999953, 0],
    ])
    np.testing.assert_allclose(got, r, atol=1e-13)
    # R: bs(c(431, 455.5, 502, 600), knots = c(450, 470, 490, 520), Boundary.knots = c(400, 640))
    got = bs(np.array([431, 455.5, 502, 600]), [450, 470, 490, 520], [400, 640])
    assert got.shape == (4, 7)
    np.testing.assert_allclose(got[0, :3], [0.413243918367346919, 0.43730947845804991,
                                            0.094574603174603172], atol=1e-13)
    np.testing.assert_allclose(got[2, 2:6], [0.055542857142857144, 0.7709042016806721964,
                                             0.17099294117647057, 0.0025599999999999998],
                               atol=1e-13)
    np.testing.assert_allclose(got[3, 3:], [0.0209150326797385641, 0.19241830065359478,
                                            0.4903703703703704009, 0.29629629629629628],
                               atol=1e-13)


def test_bs_partition_of_unity_and_scipy_agreement():
    rng = np.random.default_rng(0)
    knots = np.sort(rng.uniform(300, 700, 4))
    x = np.concatenate([rng.uniform(250, 750, 500), [250.0, 750.0]])
    B = bs(x, knots, [250, 750], intercept=True)
    np.testing.assert_allclose(B.sum(axis=1), 1.0, atol=1e-12)
    assert (B >= -1e-15).all()
    t = np.concatenate([[250.0] * 4, knots, [750.0] * 4])
    ref = BSpline.design_matrix(x, t, 3).toarray()
    np.testing.assert_allclose(B, ref, atol=1e-12)


def test_bs_extrapolates_the_boundary_polynomial_and_keeps_nan():
    knots = [450, 470, 490, 520]
    t = np.concatenate([[400.0] * 4, knots, [640.0] * 4])
    x = np.array([380.0, 395.0, 650.0, 700.0, np.nan])
    B = bs(x, knots, [400, 640], intercept=True)
    for j in range(8):
        coef = np.zeros(8)
        coef[j] = 1
        spl = BSpline(t, coef, 3, extrapolate=True)
        np.testing.assert_allclose(B[:4, j], spl(x[:4]), atol=1e-9)
    assert np.isnan(B[4]).all()
    with pytest.raises(ValueError):
        bs(np.array([1.0]), [], [2, 2])


def test_r_quantile_round_and_extendrange():
    np.testing.assert_allclose(quantile_type7(np.array([1, 5, 7, 10, 11, 20.0]),
                                              [0.2, 0.4, 0.6, 0.8]), [5, 7, 10, 11])
    v = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, np.nan, 2.0, 6.0])
    np.testing.assert_allclose(quantile_type7(v, [0.2, 0.5, 0.9]),
                               np.quantile(v[~np.isnan(v)], [0.2, 0.5, 0.9]))
    assert r_round(0.15, 1) == 0.1  # R 4: 0.15 is stored below .15; numpy says 0.2
    assert r_round(2.5, 0) == 2.0 and r_round(3.5, 0) == 4.0
    np.testing.assert_allclose(r_round(np.array([1.23456, -1.23456]), 3), [1.235, -1.235])
    np.testing.assert_allclose(extendrange(np.array([10.0, 20.0])), [9.0, 21.0])
    k, b = knots_boundaries(np.arange(1, 11, dtype=float))
    np.testing.assert_allclose(k, [2.8, 4.6, 6.4, 8.2])
    np.testing.assert_allclose(b, [0.1, 10.9])


# -------------------------------------------------------------------------------- rq


@pytest.mark.parametrize("seed", range(12))
def test_rq_fit_reaches_the_lp_optimum(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(15, 250))
    p = int(rng.integers(1, 7))
    X = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])
    y = X @ rng.normal(size=p) + rng.standard_t(3, size=n)
    if seed % 2:
        y = np.round(y * 2)  # ties, degenerate vertices
    tau = float(rng.uniform(0.01, 0.99))
    w = rng.integers(1, 5, n).astype(float) if seed % 3 == 0 else None
    res = rq_fit(X, y, tau, weights=w)
    f = lp_objective(X, y, tau, w)
    assert res.objective == pytest.approx(f, rel=1e-9, abs=1e-9)
    assert len(res.basis) == p
    # an optimal vertex: the basis observations are fitted exactly
    np.testing.assert_allclose(y[res.basis], X[res.basis] @ res.coef, atol=1e-8)


def test_weights_are_repeated_rows():
    rng = np.random.default_rng(5)
    X = np.column_stack([np.ones(60), rng.normal(size=(60, 2))])
    y = np.round(X @ [1, 2, -1] + rng.normal(size=60))
    w = rng.integers(1, 4, 60)
    rep = np.repeat(np.arange(60), w)
    a = rq_fit(X, y, 0.3, weights=w.astype(float))
    b = rq_fit(X[rep], y[rep], 0.3)
    assert a.objective == pytest.approx(b.objective, rel=1e-10)
    Xc, yc, wc, inv = collapse_rows(X[rep], y[rep])
    assert wc.sum() == len(rep) and len(yc) <= 60
    np.testing.assert_allclose(Xc[inv], X[rep])


def test_globbing_path_is_exact_on_large_problems():
    # n above the direct-solve size: subsample, globbing and fix-ups all run
    rng = np.random.default_rng(11)
    n = 12_000
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), bs(x, [-0.8, 0, 0.8], [-5, 5])])
    y = np.round(20 * (1 + x + 0.3 * x**2 + (1 + 0.5 * np.abs(x)) * rng.standard_t(5, n)))
    for tau in (0.05, 0.5, 0.93):
        res = rq_fit(X, y, tau)
        assert res.objective == pytest.approx(lp_objective(X, y, tau), rel=1e-9)


def test_rq_process_chains_match_single_fits():
    rng = np.random.default_rng(3)
    n = 8_000
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    X = np.column_stack([np.ones(n), bs(x1, [-0.5, 0.5], [-5, 5]), bs(x2, [0.0], [-5, 5])])
    y = np.round(10 * (x1 + 0.5 * x2 + rng.normal(size=n)))
    taus = np.array([0.005, 0.155, 0.495, 0.505, 0.745, 0.995])
    B = rq_process(X, y, taus)
    assert B.shape == (X.shape[1], len(taus))
    for k, tau in enumerate(taus):
        best = rq_fit(X, y, tau).objective
        assert check_loss(y - X @ B[:, k], tau) == pytest.approx(best, rel=1e-9)


def test_rq_rejects_bad_input():
    with pytest.raises(ValueError):
        rq_fit(np.ones((5, 1)), np.arange(5.0), tau=1.0)
    with pytest.raises(ValueError):
        rq_process(np.ones((5, 1)), np.arange(5.0), np.array([0.0, 0.5]))
