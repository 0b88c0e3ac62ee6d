"""Numba kernel for :mod:`sounding.mastery.profile`: the posterior distribution of a secure level.

For one strand and every student, the secure level ``L`` is the highest grade ``h`` such that,
for every grade ``h' <= h`` of the strand, at most ``allowed(n')`` of the ``n'`` known
standards at grades ``<= h'`` are unmastered. Given a mastery probability per standard this is
a Poisson-binomial walk with an absorbing "failed" state: a dynamic programme over the number
of unmastered standards so far, cut at each grade boundary. ``P(L >= h)`` is the mass that
survives the cut at ``h``; ``P(L = h) = P(L >= h) - P(L >= next grade)``.

The standards of a strand are not independent a posteriori: they share the strand ability, so
a student who has one is likely to have the others. The kernel reconstructs that dependence
from what the store keeps per standard (``p``, the posterior mean, and ``sd``, the posterior sd
of the mastery probability over the ability posterior): each standard's mastery probability is
a monotone function of one standard-normal ``t`` common to the strand (a comonotone coupling:
every standard rises with the same ability), evaluated at ``Q`` quantile nodes; the walk runs
at each node and the results are averaged.

The function is the **probit-normal** ``Phi(a + b t)`` whose mean and sd over ``t`` are exactly
``p`` and ``sd`` (moment matching; :func:`probit_coupling`). That is the shape the model's own
posterior has -- the probability of mastery is a sigmoid of a roughly Gaussian ability -- so it
is skewed towards the nearer end: a standard at ``p = 0.9, sd = 0.15`` is near 1 at most
abilities and lower only in the tail. The first version used the straight line
``clip(p + sd * t, 0, 1)``, whose clipping at 1 lowered the mean (a likely-mastered standard
counted as less likely than the model says), and which placed students a quarter of a grade
too deep (``sounding.mastery.profile``). With ``sd = 0`` (BKT, or a certain estimate) this is
the independent Poisson-binomial.

Moment matching: with ``h = Phi^-1(p)`` and ``rho = b^2 / (1 + b^2)``, ``E Phi(a + b t) = p``
forces ``a = h / sqrt(1 - rho)``, and ``E Phi(a + b t)^2 = Phi_2(h, h; rho)`` (bivariate normal
cdf) ``= p - 2 T(h, sqrt((1 - rho) / (1 + rho)))`` with Owen's ``T``; so ``rho`` solves
``T(h, alpha) = (p (1 - p) - sd^2) / 2``. ``rho`` is tabulated once over ``h`` and the ratio
``r = sd / sqrt(p (1 - p))`` (:func:`rho_table`, scipy's ``owens_t``) and interpolated
bilinearly in the kernel.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from scipy.special import ndtr, owens_t

#: The table of :func:`rho_table`: ``h = Phi^-1(p)`` on ``[-H_MAX, H_MAX]`` and ``r`` on
#: ``[0, 1]``; the coupling of a standard with ``r`` above ``R_MAX`` uses ``R_MAX`` (the
#: probit slope would be infinite at ``r = 1``).
H_MAX = 8.0
H_STEPS = 320
R_STEPS = 100
R_MAX = 0.995


def rho_table() -> np.ndarray:
    """``rho[h_i, r_i]`` of the moment-matched probit coupling (module docstring).

    Solved by bisection on Owen's ``T`` (increasing in its second argument on ``[0, 1]``),
    vectorised over the whole grid; about 30 ms, done once per process.
    """
    h = np.linspace(-H_MAX, H_MAX, H_STEPS + 1)[:, None]
    r = np.linspace(0.0, 1.0, R_STEPS + 1)[None, :]
    p = ndtr(h)
    target = np.broadcast_to(p * (1.0 - p) * (1.0 - r * r) / 2.0, (h.size, r.size))
    hh = np.broadcast_to(h, target.shape)
    lo = np.zeros(target.shape)
    hi = np.ones(target.shape)
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        big = owens_t(hh, mid) > target
        hi = np.where(big, mid, hi)
        lo = np.where(big, lo, mid)
    alpha = 0.5 * (lo + hi)
    return np.ascontiguousarray((1.0 - alpha**2) / (1.0 + alpha**2))


RHO = rho_table()
_RSQRT2 = 1.0 / math.sqrt(2.0)


@njit(cache=True)
def _ndtri(p: float) -> float:
    """Standard-normal quantile (Acklam's rational approximation, refined by one Halley step:
    relative error below 1e-13 on (0, 1))."""
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
         1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
         6.680131188771972e01, -1.328068155288572e01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
         -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
         3.754408661907416e00)
    if p < 0.02425:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / \
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0)
    elif p > 1.0 - 0.02425:
        q = math.sqrt(-2.0 * math.log(1.0 - p))
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / \
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0)
    else:
        q = p - 0.5
        r = q * q
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / \
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
    e = 0.5 * math.erfc(-x / math.sqrt(2.0)) - p
    u = e * math.sqrt(2.0 * math.pi) * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


@njit(cache=True)
def probit_coupling(p: float, sd: float, rho_tab: np.ndarray) -> tuple[float, float]:
    """``(a, b)`` with ``Phi(a + b t)``, ``t ~ N(0, 1)``, of mean ``p`` and sd ``sd``.

    ``b = 0`` (no coupling) when ``sd`` is 0 or NaN or ``p`` is 0 or 1; then ``a`` is
    ``Phi^-1(p)`` clipped to the table (the caller uses ``p`` itself).
    """
    if not (sd > 0.0) or not (p > 0.0) or not (p < 1.0):
        return 0.0, 0.0
    h = _ndtri(p)
    r = sd / math.sqrt(p * (1.0 - p))
    if r > R_MAX:
        r = R_MAX
    hx = (min(max(h, -H_MAX), H_MAX) + H_MAX) / (2.0 * H_MAX) * H_STEPS
    rx = r * R_STEPS
    i0 = min(int(hx), H_STEPS - 1)
    k0 = min(int(rx), R_STEPS - 1)
    fh = hx - i0
    fr = rx - k0
    rho = ((1.0 - fh) * ((1.0 - fr) * rho_tab[i0, k0] + fr * rho_tab[i0, k0 + 1])
           + fh * ((1.0 - fr) * rho_tab[i0 + 1, k0] + fr * rho_tab[i0 + 1, k0 + 1]))
    if rho <= 0.0:
        return h, 0.0
    rho = min(rho, 0.99999)
    return h / math.sqrt(1.0 - rho), math.sqrt(rho / (1.0 - rho))


@njit(cache=True)
def coupled_values(p, sd, nodes, rho_tab):
    """``v[i, q]``: the mastery probability of standard ``i`` at node ``q`` (NaN stays NaN)."""
    n = p.shape[0]
    out = np.empty((n, nodes.shape[0]))
    for i in range(n):
        a, b = probit_coupling(p[i], sd[i], rho_tab)
        for q in range(nodes.shape[0]):
            out[i, q] = p[i] if b == 0.0 else 0.5 * math.erfc(-(a + b * nodes[q]) * _RSQRT2)
    return out


@njit(cache=True, inline="always")
def _allowed(n: int, tol: float) -> int:
    """Exceptions tolerated among ``n`` standards: ``tol * n`` rounded half up."""
    return int(np.floor(tol * n + 0.5))


@njit(cache=True, parallel=True)
def strand_levels(P, SD, G, cols, sg, gs, tol, nodes, rho_tab, out_level, out_p, out_n,
                  out_known, out_fail):
    """Most probable secure level of one strand for every student, and its probability.

    Parameters
    ----------
    P, SD : float64[N, J]
        Posterior mean and sd of mastery per student x standard; NaN in ``P`` = no estimate
        (the standard is left out: neither secure nor unsecured). NaN in ``SD`` counts as 0.
    G : int64[N]
        Each student's grade; only the strand's standards at grades ``<= G`` count.
    cols, sg : int64[n]
        The strand's standard columns sorted by grade, and their grades.
    gs : int64[H]
        The strand's distinct grades, ascending.
    tol : float
        Tolerated share of exceptions (rounded half up to a count).
    nodes : float64[Q]
        Standard-normal quantile nodes of the comonotone coupling (mean 0, variance 1).
    rho_tab : float64[H_STEPS + 1, R_STEPS + 1]
        :data:`RHO`, the coupling's table.
    out_level : float64[N]
        The most probable level (ties go to the higher level); ``gs[0] - 1`` when even the
        first grade is not secure; NaN when no grade applies or nothing is known.
    out_p : float64[N]
        Posterior probability of that level (the claim "secure through L and not beyond").
    out_n : int64[N]
        Known standards the claim rests on (grades ``<= max(L, gs[0])``).
    out_known : int64[N]
        Known standards of the strand at grades ``<= G``.
    out_fail : int64[N]
        Whether the claim is that nothing is secure (1) or not (0).
    """
    N = P.shape[0]
    n = cols.shape[0]
    H = gs.shape[0]
    Qn = nodes.shape[0]
    for i in prange(N):
        Gi = G[i]
        out_level[i] = np.nan
        out_p[i] = np.nan
        out_n[i] = 0
        out_known[i] = 0
        out_fail[i] = 0
        Hmax = 0
        for h in range(H):
            if gs[h] <= Gi:
                Hmax = h + 1
        if Hmax == 0:
            continue
        stop_all = 0
        nk = 0
        while stop_all < n and sg[stop_all] <= gs[Hmax - 1]:
            if P[i, cols[stop_all]] == P[i, cols[stop_all]]:
                nk += 1
            stop_all += 1
        out_known[i] = nk
        if nk == 0:
            continue
        kmax = _allowed(nk, tol) + 1
        dp = np.zeros(kmax + 1)
        surv = np.zeros(Hmax)
        # the probit coupling of each standard, once per student
        ca = np.zeros(stop_all)
        cb = np.zeros(stop_all)
        for c in range(stop_all):
            p = P[i, cols[c]]
            if p == p:
                ca[c], cb[c] = probit_coupling(p, SD[i, cols[c]], rho_tab)
        for q in range(Qn):
            for k in range(kmax + 1):
                dp[k] = 0.0
            dp[0] = 1.0
            c = 0
            seen = 0
            for h in range(Hmax):
                while c < stop_all and sg[c] == gs[h]:
                    j = cols[c]
                    p = P[i, j]
                    if p == p:
                        v = p if cb[c] == 0.0 else \
                            0.5 * math.erfc(-(ca[c] + cb[c] * nodes[q]) * _RSQRT2)
                        f = 1.0 - v
                        dp[kmax] += dp[kmax - 1] * f
                        for k in range(kmax - 1, 0, -1):
                            dp[k] = dp[k] * v + dp[k - 1] * f
                        dp[0] *= v
                        seen += 1
                    c += 1
                s = 0.0
                if seen > 0:
                    a = _allowed(seen, tol)
                    for k in range(a + 1, kmax + 1):
                        dp[k] = 0.0
                    for k in range(a + 1):
                        s += dp[k]
                else:
                    s = 1.0  # no known standard yet: nothing to fail
                surv[h] += s / Qn
        best = -1
        best_p = 1.0 - surv[0]
        for h in range(Hmax):
            ph = surv[h] - (surv[h + 1] if h + 1 < Hmax else 0.0)
            if ph >= best_p - 1e-12:
                best = h
                best_p = ph
        top = gs[0] if best < 0 else gs[best]
        cnt = 0
        for c in range(stop_all):
            if sg[c] <= top and P[i, cols[c]] == P[i, cols[c]]:
                cnt += 1
        out_level[i] = gs[0] - 1 if best < 0 else gs[best]
        out_p[i] = min(1.0, max(0.0, best_p))
        out_n[i] = cnt
        out_fail[i] = 1 if best < 0 else 0


@njit(cache=True)
def rank_within_rows(row_ptr, key_int, p, out_order):
    """Order of the unfinished entries within each student, ``row_ptr`` delimiting students.

    Entries of one student arrive in column order; they are sorted by ``key_int`` (most
    depended-on, major first, packed into one integer, smaller first), then by ``p`` (closest
    to done last, i.e. smaller P first), then by column (a stable sort keeps it). ``p`` is
    packed below the integer key at 2**-32 resolution, finer than the float32 posterior.
    """
    n_rows = row_ptr.shape[0] - 1
    for r in range(n_rows):
        a = row_ptr[r]
        b = row_ptr[r + 1]
        if b - a <= 1:
            for k in range(a, b):
                out_order[k] = k
            continue
        comp = np.empty(b - a)
        for k in range(a, b):
            comp[k - a] = key_int[k] + 0.5 * p[k]
        o = np.argsort(comp, kind="mergesort")
        for k in range(b - a):
            out_order[a + k] = a + o[k]
