"""B-spline bases exactly like R's ``splines::bs`` and the knot rules of the SGP package.

The SGP package builds every growth model on ``bs(prior, knots, Boundary.knots)`` (cubic, no
intercept column) with knots at the 20/40/60/80th percentiles of the prior grade's scores
(R type-7 quantiles, rounded to 3 digits) and boundaries at the score range extended by 10%
(``extendrange(f = 0.1)``, rounded to 3 digits). Reproducing SGPs bit-for-bit needs those
three R behaviours reproduced too, so they live here rather than in scipy calls:

* ``bs`` evaluates the cubic pieces with the Cox-de Boor recursion; outside the boundary
  knots R continues the boundary piece's polynomial (a Taylor expansion of degree 3 at a
  point inside the boundary interval, which *is* that cubic), and so do we;
* :func:`quantile_type7` is R's default ``quantile()``;
* :func:`r_round` is R (>= 4.0) ``round(x, digits)``: the representable candidate closest to
  ``x``, ties to the even last digit, instead of numpy's ``rint(x * 10**d) / 10**d``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "bs",
    "extendrange",
    "knots_boundaries",
    "quantile_type7",
    "r_round",
    "KNOT_PERCENTILES",
]

#: The SGP package default ``knot.cut.percentiles``.
KNOT_PERCENTILES: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)


def r_round(x: np.ndarray | float, digits: int = 0) -> np.ndarray | float:
    """Round like R >= 4.0 ``round(x, digits)``.

    R picks, of the two decimal candidates bracketing ``x``, the one nearer to ``x`` in double
    precision (ties to even), so ``round(0.15, 1)`` is 0.1 in R (0.15 is stored as
    0.1499999...) but 0.2 with ``numpy.round``. Knots and boundaries are rounded this way, so we
    do the same to land on the same knots.

    Parameters
    ----------
    x : array_like or float
        Values to round (NaN passes through).
    digits : int
        Decimal digits to keep.

    Returns
    -------
    numpy.ndarray or float
        Rounded values, same shape as ``x``.
    """
    arr = np.asarray(x, dtype=float)
    p10 = 10.0**digits
    scaled = arr * p10
    lo = np.floor(scaled)
    hi = np.ceil(scaled)
    x_lo = lo / p10
    x_hi = hi / p10
    d_lo = np.abs(arr - x_lo)
    d_hi = np.abs(x_hi - arr)
    even_lo = np.fmod(lo, 2.0) == 0
    out = np.where(d_lo < d_hi, x_lo, np.where(d_hi < d_lo, x_hi, np.where(even_lo, x_lo, x_hi)))
    out = np.where(np.isfinite(arr), out, arr)
    return float(out) if np.ndim(x) == 0 else out


def quantile_type7(x: np.ndarray, probs: Sequence[float]) -> np.ndarray:
    """R's default (type 7) sample quantiles, ignoring NaN like ``na.rm = TRUE``.

    Parameters
    ----------
    x : numpy.ndarray
        Sample.
    probs : sequence of float
        Probabilities in [0, 1].

    Returns
    -------
    numpy.ndarray
        One quantile per probability.
    """
    v = np.sort(np.asarray(x, dtype=float)[~np.isnan(np.asarray(x, dtype=float))])
    if v.size == 0:
        raise ValueError("quantile of an empty sample")
    n = v.size
    out = np.empty(len(probs))
    for k, prob in enumerate(probs):
        # R type 7, verbatim: index <- 1 + (n - 1) * probs; lo <- floor(index);
        # hi <- ceiling(index); h <- index - lo; (1 - h) * x[lo] + h * x[hi]  (1-based)
        index = 1.0 + (n - 1) * float(prob)
        lo = int(np.floor(index))
        hi = int(np.ceil(index))
        h = index - lo
        q = v[lo - 1]
        if index > lo and v[hi - 1] != q:
            q = (1 - h) * q + h * v[hi - 1]
        out[k] = q
    return out


def extendrange(x: np.ndarray, f: float = 0.1) -> np.ndarray:
    """R ``extendrange(x, f)``: the range of ``x`` widened by ``f`` of its width on both sides."""
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        raise ValueError("extendrange of an empty sample")
    lo, hi = float(v.min()), float(v.max())
    width = hi - lo
    return np.array([lo - f * width, hi + f * width])


def knots_boundaries(
    x: np.ndarray,
    probs: Sequence[float] = KNOT_PERCENTILES,
    f: float = 0.1,
    digits: int = 3,
) -> tuple[np.ndarray, np.ndarray]:
    """Knots and boundary knots of one prior grade, as the SGP package makes them.

    ``round(quantile(x, probs), 3)`` and ``round(extendrange(x, f = 0.1), 3)``; pass the
    scores of a reference year to get baseline (fixed) knots.

    Parameters
    ----------
    x : numpy.ndarray
        Scale scores of the prior grade (NaN ignored).
    probs : sequence of float
        Knot percentiles (SGP default 0.2, 0.4, 0.6, 0.8).
    f : float
        Range extension for the boundary knots.
    digits : int
        Rounding digits.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``knots`` (len(probs)) and ``boundaries`` (2).
    """
    return (
        np.asarray(r_round(quantile_type7(x, probs), digits)),
        np.asarray(r_round(extendrange(x, f), digits)),
    )


def _basis_rows(x: np.ndarray, t: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Nonzero B-spline values at ``x``: (len(x), order) values and the first index.

    Cox-de Boor (Piegl & Tiller A2.2), vectorised over x. The interval is clamped to the
    first/last non-empty one so points outside the boundaries get the boundary polynomial.
    """
    degree = order - 1
    n_basis = t.size - order
    span = np.searchsorted(t, x, side="right") - 1
    span = np.clip(span, degree, n_basis - 1)
    m = x.size
    values = np.zeros((m, order))
    values[:, 0] = 1.0
    left = np.empty((m, order))
    right = np.empty((m, order))
    for j in range(1, order):
        left[:, j] = x - t[span + 1 - j]
        right[:, j] = t[span + j] - x
        saved = np.zeros(m)
        for r in range(j):
            denom = right[:, r + 1] + left[:, j - r]
            with np.errstate(divide="ignore", invalid="ignore"):
                temp = np.where(denom != 0, values[:, r] / denom, 0.0)
            values[:, r] = saved + right[:, r + 1] * temp
            saved = left[:, j - r] * temp
        values[:, j] = saved
    return values, span - degree


def bs(
    x: np.ndarray,
    knots: Sequence[float],
    boundary_knots: Sequence[float],
    degree: int = 3,
    intercept: bool = False,
) -> np.ndarray:
    """R ``splines::bs(x, knots, Boundary.knots, degree, intercept)``.

    Parameters
    ----------
    x : numpy.ndarray
        Points (NaN rows come back NaN, as in R).
    knots : sequence of float
        Interior knots.
    boundary_knots : sequence of float
        The two boundary knots (sorted here, like R).
    degree : int
        Polynomial degree (3 = cubic, the SGP default).
    intercept : bool
        Keep the first basis function (R drops it by default, and so does the SGP package,
        whose design matrix carries its own intercept column).

    Returns
    -------
    numpy.ndarray
        ``(len(x), len(knots) + degree + intercept)`` basis matrix.
    """
    order = degree + 1
    if order < 2:
        raise ValueError("degree must be >= 1")
    xb = np.sort(np.asarray(boundary_knots, dtype=float))
    if xb.size != 2 or not xb[0] < xb[1]:
        raise ValueError("boundary_knots must be two increasing numbers")
    inner = np.sort(np.asarray(knots, dtype=float))
    t = np.concatenate([np.repeat(xb[0], order), inner, np.repeat(xb[1], order)])
    n_basis = t.size - order
    xv = np.asarray(x, dtype=float).ravel()
    nan = np.isnan(xv)
    out = np.zeros((xv.size, n_basis))
    ok = ~nan
    if ok.any():
        values, first = _basis_rows(xv[ok], t, order)
        rows = np.nonzero(ok)[0]
        for k in range(order):
            out[rows, first + k] = values[:, k]
    out[nan] = np.nan
    if not intercept:
        out = out[:, 1:]
    return out
