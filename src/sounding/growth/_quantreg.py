"""Exact linear quantile regression, fast enough for a million students.

Student growth percentiles need, per grade progression, 100 quantile regressions on the same
design. The SGP package (and our reference outputs) use R quantreg's ``rq(method = "br")``, the
Barrodale-Roberts simplex, which lands on an *exact* optimal vertex: ``p`` observations fitted
with zero residual. Interior-point methods (``fn``/``pfn``) stop near the optimum instead, and
that is enough to move a student's SGP by one. So this module solves the LP exactly, and makes
it fast with three exactness-preserving tricks:

1. **Weights.** Scale scores are integers, so many students share the same priors and current
   score. Identical rows collapse into one weighted observation; the weighted check-loss
   objective is the same function of the coefficients, so the optimum is unchanged.
2. **Globbing** (Portnoy & Koenker 1997, the ``pfn`` preprocessing, made exact): observations
   confidently above / below the quantile plane are summed into two pseudo-observations. If the
   optimum of the reduced problem leaves every globbed observation on its predicted side, it
   is the optimum of the full problem (check loss >= the linear piece it was globbed with, with
   equality at that point). Otherwise the offenders are released and the reduced problem is
   re-solved from the current vertex.
3. **Warm starts along tau.** Adjacent taus (0.01 apart) have nearby solutions: the previous
   solution, extrapolated, predicts the residual signs for the next tau; the band width adapts to
   how wrong the last prediction was, and the simplex starts from the previous optimal basis.
   Taus below and above the median form two chains that run on two threads (numba, nogil).

The simplex itself is Barrodale-Roberts style: from a vertex, the most improving edge
(steepest edge in coefficient space) is followed with an exact line search over all the
breakpoints it crosses (a weighted selection, O(n)), so one pivot can pass many vertices.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba as nb
import numpy as np

__all__ = ["RQResult", "rq_fit", "rq_process", "check_loss", "collapse_rows"]

_TOL_G = 1e-11  # optimality tolerance on directional derivatives, relative to total weight
_TOL_R = 1e-9  # a residual within this (relative to 1 + |y|) counts as zero
_SMALL = 2500  # below this many rows, solve directly (no globbing)


@dataclass(frozen=True)
class RQResult:
    """One exact quantile regression fit.

    Attributes
    ----------
    coef : numpy.ndarray
        Coefficients (p,).
    basis : numpy.ndarray
        Indices of the ``p`` observations fitted exactly (the optimal vertex).
    objective : float
        Weighted check loss at ``coef``.
    iterations : int
        Simplex pivots used.
    """

    coef: np.ndarray
    basis: np.ndarray
    objective: float
    iterations: int


def check_loss(r: np.ndarray, tau: float, w: np.ndarray | None = None) -> float:
    """Weighted check (pinball) loss ``sum w * r * (tau - 1[r < 0])``."""
    r = np.asarray(r, dtype=float)
    loss = np.where(r >= 0, tau * r, (tau - 1.0) * r)
    return float(loss.sum() if w is None else (np.asarray(w, dtype=float) * loss).sum())


# --------------------------------------------------------------------------------------------
# numba kernels
# --------------------------------------------------------------------------------------------


@nb.njit(cache=True, nogil=True)
def _select_crossing(t, inc, idx, m, need):
    """Index of the breakpoint where the cumulative increment first reaches ``need``.

    Weighted quickselect over ``t[:m]`` (breakpoint positions) with weights ``inc``; -1 when
    the increments never reach ``need`` (unbounded direction).
    """
    lo = 0
    hi = m
    while True:
        if hi - lo <= 24:
            # insertion sort on [lo, hi) then scan
            for a in range(lo + 1, hi):
                tv = t[a]
                iv = inc[a]
                xv = idx[a]
                b = a - 1
                while b >= lo and t[b] > tv:
                    t[b + 1] = t[b]
                    inc[b + 1] = inc[b]
                    idx[b + 1] = idx[b]
                    b -= 1
                t[b + 1] = tv
                inc[b + 1] = iv
                idx[b + 1] = xv
            for a in range(lo, hi):
                need -= inc[a]
                if need <= 0.0:
                    return idx[a]
            return -1
        # median of three pivot
        mid = (lo + hi) // 2
        a0 = t[lo]
        a1 = t[mid]
        a2 = t[hi - 1]
        if a0 < a1:
            if a1 < a2:
                piv = a1
            elif a0 < a2:
                piv = a2
            else:
                piv = a0
        else:
            if a0 < a2:
                piv = a0
            elif a1 < a2:
                piv = a2
            else:
                piv = a1
        # three-way partition: [lo, lt) < piv, [lt, gt) == piv, [gt, hi) > piv
        lt = lo
        gt = hi
        k = lo
        while k < gt:
            if t[k] < piv:
                t[k], t[lt] = t[lt], t[k]
                inc[k], inc[lt] = inc[lt], inc[k]
                idx[k], idx[lt] = idx[lt], idx[k]
                lt += 1
                k += 1
            elif t[k] > piv:
                gt -= 1
                t[k], t[gt] = t[gt], t[k]
                inc[k], inc[gt] = inc[gt], inc[k]
                idx[k], idx[gt] = idx[gt], idx[k]
            else:
                k += 1
        s_lt = 0.0
        for k in range(lo, lt):
            s_lt += inc[k]
        if s_lt >= need:
            hi = lt
            continue
        need -= s_lt
        s_eq = 0.0
        for k in range(lt, gt):
            s_eq += inc[k]
        if s_eq >= need:
            # several breakpoints tie: enter the one with the largest increment (best pivot)
            best = lt
            for k in range(lt + 1, gt):
                if inc[k] > inc[best]:
                    best = k
            return idx[best]
        need -= s_eq
        lo = gt


@nb.njit(cache=True, nogil=True)
def _simplex(X, y, w, tau, basis, max_iter):
    """Barrodale-Roberts style simplex for min sum w_i rho_tau(y_i - x_i'b) from ``basis``.

    Returns (b, basis, iterations, status): status 0 optimal, 1 iteration limit,
    2 unbounded/singular (should not happen for tau in (0, 1) and a full-rank design).
    """
    n, p = X.shape
    basis = basis.copy()
    Xh = np.empty((p, p))
    for k in range(p):
        Xh[k, :] = X[basis[k], :]
    Binv = np.linalg.inv(Xh)
    b = np.zeros(p)
    for k in range(p):
        s = 0.0
        for q in range(p):
            s += Binv[k, q] * y[basis[q]]
        b[k] = s
    in_basis = np.zeros(n, dtype=np.bool_)
    for k in range(p):
        in_basis[basis[k]] = True
    r = np.empty(n)
    deg = np.zeros(n, dtype=np.bool_)
    deg_list = np.empty(n, dtype=np.int64)
    cand_t = np.empty(n)
    cand_inc = np.empty(n)
    cand_idx = np.empty(n, dtype=np.int64)
    wsum = 0.0
    for i in range(n):
        wsum += w[i]
    tol_g = _TOL_G * wsum
    z = np.empty(p)
    c = np.empty(p)
    gp = np.empty(p)
    gm = np.empty(p)
    u = np.empty(p)
    d = np.empty(p)
    status = 1
    it = 0
    since_refactor = 0
    while it < max_iter:
        # residuals, degenerate set, z = sum over non-basic, non-zero residuals of w psi(r) x
        for k in range(p):
            z[k] = 0.0
        ndeg = 0
        for i in range(n):
            ri = y[i]
            for k in range(p):
                ri -= X[i, k] * b[k]
            r[i] = ri
            deg[i] = False
            if in_basis[i]:
                continue
            if abs(ri) <= _TOL_R * (1.0 + abs(y[i])):
                deg[i] = True
                deg_list[ndeg] = i
                ndeg += 1
                continue
            cf = w[i] * (tau if ri > 0 else tau - 1.0)
            for k in range(p):
                z[k] += cf * X[i, k]
        for j in range(p):
            s = 0.0
            for k in range(p):
                s += Binv[k, j] * z[k]
            c[j] = s
            wj = w[basis[j]]
            gp[j] = -s + wj * (1.0 - tau)
            gm[j] = s + wj * tau
        for q in range(ndeg):
            i = deg_list[q]
            for j in range(p):
                s = 0.0
                for k in range(p):
                    s += X[i, k] * Binv[k, j]
                # rho_tau(v) = v * (tau - 1[v < 0])
                v = -s
                gp[j] += w[i] * (tau * v if v >= 0 else (tau - 1.0) * v)
                v = s
                gm[j] += w[i] * (tau * v if v >= 0 else (tau - 1.0) * v)
        best = 0.0
        jbest = -1
        sbest = 1.0
        gbest = 0.0
        for j in range(p):
            nrm = 0.0
            for k in range(p):
                nrm += Binv[k, j] * Binv[k, j]
            nrm = math.sqrt(nrm)
            if gp[j] < -tol_g and gp[j] / nrm < best:
                best = gp[j] / nrm
                jbest = j
                sbest = 1.0
                gbest = gp[j]
            if gm[j] < -tol_g and gm[j] / nrm < best:
                best = gm[j] / nrm
                jbest = j
                sbest = -1.0
                gbest = gm[j]
        if jbest < 0:
            status = 0
            break
        for k in range(p):
            d[k] = sbest * Binv[k, jbest]
        # exact line search along b + t d over all breakpoints t_i = r_i / (x_i'd) > 0
        m = 0
        for i in range(n):
            if in_basis[i] or deg[i]:
                continue
            ai = 0.0
            scale = 0.0
            for k in range(p):
                v = X[i, k] * d[k]
                ai += v
                scale += abs(v)
            if abs(ai) <= 1e-11 * scale:
                continue  # numerically parallel to the edge: entering would make B singular
            ti = r[i] / ai
            if ti > 0.0:
                cand_t[m] = ti
                cand_inc[m] = w[i] * abs(ai)
                cand_idx[m] = i
                m += 1
        kin = _select_crossing(cand_t, cand_inc, cand_idx, m, -gbest)
        if kin < 0:
            status = 2
            break
        # pivot: observation kin replaces basis[jbest]
        for q in range(p):
            s = 0.0
            for k in range(p):
                s += X[kin, k] * Binv[k, q]
            u[q] = s
        piv = u[jbest]
        for k in range(p):
            Binv[k, jbest] /= piv
        for q in range(p):
            if q != jbest:
                f = u[q]
                for k in range(p):
                    Binv[k, q] -= Binv[k, jbest] * f
        in_basis[basis[jbest]] = False
        basis[jbest] = kin
        in_basis[kin] = True
        since_refactor += 1
        if since_refactor >= 40:
            for k in range(p):
                Xh[k, :] = X[basis[k], :]
            Binv = np.linalg.inv(Xh)
            since_refactor = 0
        for k in range(p):
            s = 0.0
            for q in range(p):
                s += Binv[k, q] * y[basis[q]]
            b[k] = s
        it += 1
    return b, basis, it, status


@nb.njit(cache=True, nogil=True)
def _partition(X, y, w, b, band, kappa, keep):
    """Residuals from ``b`` and the glob split at ``|r| > kappa * band``.

    Returns (r, code, kept, xl, yl, xh, yh): code -1 globbed low, 0 kept, +1 globbed high;
    ``kept`` the kept indices; the weighted sums of the two globs. Rows flagged in ``keep``
    are always kept (the warm-start basis).
    """
    n, p = X.shape
    r = np.empty(n)
    code = np.zeros(n, dtype=np.int8)
    kept = np.empty(n, dtype=np.int64)
    xl = np.zeros(p)
    xh = np.zeros(p)
    yl = 0.0
    yh = 0.0
    nk = 0
    for i in range(n):
        ri = y[i]
        for k in range(p):
            ri -= X[i, k] * b[k]
        r[i] = ri
        lim = kappa * band[i]
        if keep[i] or abs(ri) <= lim:
            kept[nk] = i
            nk += 1
        elif ri < 0:
            code[i] = -1
            wi = w[i]
            yl += wi * y[i]
            for k in range(p):
                xl[k] += wi * X[i, k]
        else:
            code[i] = 1
            wi = w[i]
            yh += wi * y[i]
            for k in range(p):
                xh[k] += wi * X[i, k]
    return r, code, kept[:nk], xl, yl, xh, yh


@nb.njit(cache=True, nogil=True)
def _check(X, y, b, code, r_est, band):
    """Full-data residuals at ``b``; flags globbed rows on the wrong side.

    Returns (n_bad, bad_mask, kappa_needed) where kappa_needed is the band multiple that would
    have kept every row whose sign differs from the prediction (to size the next band).
    """
    n, p = X.shape
    bad = np.zeros(n, dtype=np.bool_)
    nbad = 0
    need = 0.0
    for i in range(n):
        ri = y[i]
        for k in range(p):
            ri -= X[i, k] * b[k]
        zero = abs(ri) <= _TOL_R * (1.0 + abs(y[i]))
        if code[i] == -1 and ri > 0 and not zero:
            bad[i] = True
            nbad += 1
        elif code[i] == 1 and ri < 0 and not zero:
            bad[i] = True
            nbad += 1
        if zero or (ri > 0) != (r_est[i] > 0):
            s = abs(r_est[i]) / band[i]
            if s > need:
                need = s
    return nbad, bad, need


@nb.njit(cache=True, nogil=True)
def _band(X, Linv):
    """sqrt(x_i' A^-1 x_i) for A = L L' (prediction standard-error shape, as in pfn)."""
    n, p = X.shape
    out = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(p):
            v = 0.0
            for k in range(j + 1):
                v += Linv[j, k] * X[i, k]
            s += v * v
        out[i] = max(math.sqrt(s), 1e-12)
    return out


@nb.njit(cache=True, nogil=True)
def _independent_rows(X, seed, order, p):
    """Greedy basis: the rows of ``seed`` then of ``order``, each kept when it is linearly
    independent of those kept so far (modified Gram-Schmidt twice, "twice is enough";
    relative residual norm above 1e-6). Returns the kept rows (at most ``p``)."""
    n = X.shape[0]
    Q = np.zeros((p, p))
    chosen = np.empty(p, dtype=np.int64)
    taken = np.zeros(n, dtype=np.bool_)
    v = np.empty(p)
    m = 0
    for src in range(2):
        cand = seed if src == 0 else order
        for q in range(cand.shape[0]):
            if m == p:
                return chosen
            i = cand[q]
            if i < 0 or taken[i]:
                continue
            nv0 = 0.0
            for k in range(p):
                nv0 += X[i, k] * X[i, k]
            nv0 = math.sqrt(nv0)
            if nv0 == 0.0:
                continue
            for k in range(p):
                v[k] = X[i, k] / nv0
            for _ in range(2):
                for r in range(m):
                    dot = 0.0
                    for k in range(p):
                        dot += Q[r, k] * v[k]
                    for k in range(p):
                        v[k] -= dot * Q[r, k]
            nv = 0.0
            for k in range(p):
                nv += v[k] * v[k]
            nv = math.sqrt(nv)
            if nv > 1e-6:
                for k in range(p):
                    Q[m, k] = v[k] / nv
                chosen[m] = i
                taken[i] = True
                m += 1
    return chosen[:m]


# --------------------------------------------------------------------------------------------
# drivers
# --------------------------------------------------------------------------------------------


def _initial_basis(X: np.ndarray, y: np.ndarray, w: np.ndarray, tau: float) -> np.ndarray:
    """A nonsingular starting vertex near the tau-quantile plane (cold start only).

    Weighted least squares, residuals centred at their weighted tau-quantile, then the rows
    nearest that plane taken greedily while they stay linearly independent.
    """
    n, p = X.shape
    sw = np.sqrt(w)
    b, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    r = y - X @ b
    order = np.argsort(r)
    cw = np.cumsum(w[order])
    q = r[order[min(np.searchsorted(cw, tau * cw[-1]), n - 1)]]
    cand = np.argsort(np.abs(r - q), kind="stable").astype(np.int64)
    chosen = _independent_rows(X, np.empty(0, dtype=np.int64), cand, p)
    if len(chosen) == p:
        return chosen
    raise np.linalg.LinAlgError("design matrix is rank deficient")


def _repair_basis(X: np.ndarray, y: np.ndarray, partial: np.ndarray,
                  b_hint: np.ndarray) -> np.ndarray | None:
    """A vertex near the warm start: the usable rows of the previous basis, completed with the
    rows nearest the hinted plane (a basis row can be lost to a glob or to the reduced
    problem; starting cold from the least-squares plane would cost many pivots)."""
    order = np.argsort(np.abs(y - X @ b_hint), kind="stable").astype(np.int64)
    chosen = _independent_rows(X, partial.astype(np.int64), order, X.shape[1])
    return chosen if len(chosen) == X.shape[1] else None


def _solve_direct(X, y, w, tau, basis=None, b_hint=None) -> RQResult:
    """Simplex from ``basis`` (rows; -1 entries are lost rows, completed near ``b_hint``)."""
    p = X.shape[1]
    if basis is not None:
        basis = np.asarray(basis, dtype=np.int64)
        if len(basis) != p or (basis < 0).any():
            basis = (_repair_basis(X, y, basis[basis >= 0], b_hint) if b_hint is not None
                     else None)
    if basis is not None and np.linalg.cond(X[basis]) > 1e12:
        basis = None  # warm start lost its footing (should not happen): start cold
    if basis is None:
        basis = _initial_basis(X, y, w, tau)
    max_iter = 50 * X.shape[0] + 1000
    b, basis, it, status = _simplex(X, y, w, float(tau), basis.astype(np.int64), max_iter)
    if status != 0:
        raise ArithmeticError(f"quantile regression simplex failed (status {status})")
    return RQResult(b, basis, check_loss(y - X @ b, tau, w), int(it))


class _Problem:
    """The full (possibly collapsed, weighted) data plus what every tau shares."""

    def __init__(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int = 0):
        self.X = np.ascontiguousarray(X, dtype=float)
        self.y = np.ascontiguousarray(y, dtype=float)
        self.w = np.ascontiguousarray(w, dtype=float)
        self.n, self.p = self.X.shape
        self.rng = np.random.default_rng(seed)
        self._band: np.ndarray | None = None

    @property
    def band(self) -> np.ndarray:
        if self._band is None:
            A = (self.X * self.w[:, None]).T @ self.X / self.w.sum()
            L = np.linalg.cholesky(A + 1e-12 * np.trace(A) / self.p * np.eye(self.p))
            self._band = _band(self.X, np.linalg.inv(L))
        return self._band

    def target_rows(self) -> int:
        """Reduced-problem size for a cold (subsample-based) start, after pfn's m."""
        return int(min(self.n, max(_SMALL, round(((self.p + 1) * self.n) ** (2 / 3)))))

    def solve(self, tau: float, b_est: np.ndarray | None, basis: np.ndarray | None,
              kappa: float | None) -> tuple[RQResult, float]:
        """Exact optimum at ``tau``; returns it and the band multiple it needed."""
        X, y, w = self.X, self.y, self.w
        if self.n <= _SMALL:
            return _solve_direct(X, y, w, tau, basis, b_est), 0.0
        if b_est is None:
            m = self.target_rows()
            sub = self.rng.choice(self.n, size=min(self.n, max(_SMALL, m // 4)), replace=False)
            sub_problem = _Problem(X[sub], y[sub], w[sub])
            sub_res = sub_problem.solve(tau, None, None, None)[0]
            b_est = sub_res.coef
            basis = sub[sub_res.basis] if (sub_res.basis >= 0).all() else None
        keep = np.zeros(self.n, dtype=np.bool_)
        if basis is not None:
            keep[basis[basis >= 0]] = True
        band = self.band
        if kappa is None:
            r0 = y - X @ b_est
            s = np.abs(r0) / band
            m = min(self.target_rows(), self.n - 1)
            kappa = float(np.partition(s, m)[m])
        while True:
            r_est, code, kept, xl, yl, xh, yh = _partition(X, y, w, b_est, band, kappa, keep)
            fixups = 0
            hint = b_est
            while True:
                res, basis_full = self._solve_reduced(tau, kept, code, xl, yl, xh, yh, basis,
                                                      hint)
                hint = res.coef
                nbad, bad, need = _check(X, y, res.coef, code, r_est, band)
                if nbad == 0:
                    return res, need
                fixups += 1
                if fixups > 8:
                    break  # prediction was poor: widen the band and start over
                # release the offenders and re-solve from the current vertex
                idx_bad = np.nonzero(bad)[0]
                lo_bad = idx_bad[code[idx_bad] == -1]
                hi_bad = idx_bad[code[idx_bad] == 1]
                xl = xl - (X[lo_bad] * w[lo_bad, None]).sum(axis=0)
                yl = yl - float((y[lo_bad] * w[lo_bad]).sum())
                xh = xh - (X[hi_bad] * w[hi_bad, None]).sum(axis=0)
                yh = yh - float((y[hi_bad] * w[hi_bad]).sum())
                code[idx_bad] = 0
                kept = np.concatenate([kept, idx_bad])
                basis = basis_full
            kappa = max(kappa * 2.0, need * 1.5)
            b_est = res.coef
            basis = basis_full

    def _solve_reduced(self, tau, kept, code, xl, yl, xh, yh, basis, b_hint=None):
        X, y, w = self.X, self.y, self.w
        nk = len(kept)
        n_lo = int((code == -1).any())
        n_hi = int((code == 1).any())
        Xr = np.empty((nk + n_lo + n_hi, self.p))
        Xr[:nk] = X[kept]
        yr = np.empty(nk + n_lo + n_hi)
        yr[:nk] = y[kept]
        wr = np.ones(nk + n_lo + n_hi)
        wr[:nk] = w[kept]
        pos = nk
        if n_lo:
            Xr[pos] = xl
            yr[pos] = yl
            pos += 1
        if n_hi:
            Xr[pos] = xh
            yr[pos] = yh
        basis_r = None
        if basis is not None:
            where = np.full(self.n, -1, dtype=np.int64)
            where[kept] = np.arange(nk)
            basis_r = np.where(basis >= 0, where[np.maximum(basis, 0)], -1)
        res = _solve_direct(Xr, yr, wr, tau, basis_r, b_hint)
        full = np.where(res.basis < nk, kept[np.minimum(res.basis, nk - 1)], -1)
        # a glob row in the optimal basis maps to -1: the next start repairs that position
        return RQResult(res.coef, full, res.objective, res.iterations), full


def collapse_rows(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None):
    """Merge identical (x, y) rows into weighted rows (same check-loss objective).

    Returns
    -------
    (X_unique, y_unique, weights, inverse)
        ``inverse`` maps each original row to its collapsed row.
    """
    Xy = np.column_stack([X, y])
    uniq, inverse, counts = np.unique(Xy, axis=0, return_inverse=True, return_counts=True)
    if w is None:
        weights = counts.astype(float)
    else:
        weights = np.bincount(inverse.ravel(), weights=w, minlength=len(uniq))
    return (np.ascontiguousarray(uniq[:, :-1]), np.ascontiguousarray(uniq[:, -1]), weights,
            inverse.ravel())


def rq_fit(X: np.ndarray, y: np.ndarray, tau: float = 0.5,
           weights: np.ndarray | None = None) -> RQResult:
    """Exact linear quantile regression at one tau (the optimum ``rq(method="br")`` finds).

    Parameters
    ----------
    X : numpy.ndarray
        (n, p) full-rank design (include the intercept column yourself).
    y : numpy.ndarray
        (n,) response.
    tau : float
        Quantile in (0, 1).
    weights : numpy.ndarray, optional
        Non-negative case weights (a weighted row is the same as repeated rows).

    Returns
    -------
    RQResult
        Coefficients at an optimal vertex, the vertex, the objective and the pivot count.
    """
    if not 0 < tau < 1:
        raise ValueError("tau must be in (0, 1)")
    X = np.ascontiguousarray(X, dtype=float)
    y = np.ascontiguousarray(y, dtype=float).ravel()
    w = np.ones(len(y)) if weights is None else np.ascontiguousarray(weights, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(y) or len(w) != len(y):
        raise ValueError("X must be (n, p) with n = len(y) = len(weights)")
    pos = w > 0
    prob = _Problem(X[pos], y[pos], w[pos])
    res, _ = prob.solve(float(tau), None, None, None)
    full_idx = np.nonzero(pos)[0]
    return RQResult(res.coef, full_idx[res.basis], check_loss(y - X @ res.coef, tau, w),
                    res.iterations)


def rq_process(X: np.ndarray, y: np.ndarray, taus: np.ndarray,
               weights: np.ndarray | None = None, *, n_jobs: int = 2,
               collapse: bool = True) -> np.ndarray:
    """Exact quantile regressions for many taus on one design (the SGP workload).

    The tau nearest the median is solved first (subsample, then globbing); the taus below and
    above it are then solved as two warm-started chains on ``n_jobs`` threads.

    Parameters
    ----------
    X, y : numpy.ndarray
        Design (n, p) and response (n,).
    taus : numpy.ndarray
        Quantiles in (0, 1), any order.
    weights : numpy.ndarray, optional
        Case weights.
    n_jobs : int
        Threads (the two chains run in parallel when >= 2).
    collapse : bool
        Merge identical rows first (exact; large win for integer scale scores).

    Returns
    -------
    numpy.ndarray
        (p, len(taus)) coefficient matrix, column k for ``taus[k]`` (R's ``coef(rq(...))``).
    """
    X = np.ascontiguousarray(X, dtype=float)
    y = np.ascontiguousarray(y, dtype=float).ravel()
    taus = np.asarray(taus, dtype=float)
    if ((taus <= 0) | (taus >= 1)).any():
        raise ValueError("taus must be in (0, 1)")
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    if collapse:
        Xc, yc, wc, _ = collapse_rows(X, y, w)
    else:
        Xc, yc, wc = X, y, w
    pos = wc > 0
    prob = _Problem(Xc[pos], yc[pos], wc[pos])
    order = np.argsort(taus)
    st = taus[order]
    k0 = int(np.argmin(np.abs(st - 0.5)))
    coef = np.empty((prob.p, len(taus)))
    first, _ = prob.solve(float(st[k0]), None, None, None)
    coef[:, order[k0]] = first.coef

    def chain(ks: list[int]) -> None:
        prev, prev2, basis = first.coef, None, first.basis
        kappa: float | None = None
        for k in ks:
            b_est = prev if prev2 is None else 2 * prev - prev2
            res, need = prob.solve(float(st[k]), b_est, basis, kappa)
            coef[:, order[k]] = res.coef
            kappa = max(need * 1.5, 1e-9)
            prev2, prev = prev, res.coef
            basis = res.basis  # -1 entries (glob rows) are completed at the next start

    chains = [list(range(k0 - 1, -1, -1)), list(range(k0 + 1, len(st)))]
    if n_jobs >= 2:
        with ThreadPoolExecutor(max_workers=2) as ex:
            for f in [ex.submit(chain, c) for c in chains]:
                f.result()
    else:
        for c in chains:
            chain(c)
    return coef
