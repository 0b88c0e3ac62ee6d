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
``clip(p + sd * t_q, 0, 1)`` at ``Q`` common standard-normal quantile nodes ``t_q``
(a comonotone coupling: every standard of the strand rises with the same ability), the walk runs
at each node, and the results are averaged. With ``sd = 0`` (BKT, or a certain estimate) this is
the independent Poisson-binomial.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _allowed(n: int, tol: float) -> int:
    """Exceptions tolerated among ``n`` standards: ``tol * n`` rounded half up."""
    return int(np.floor(tol * n + 0.5))


@njit(cache=True, parallel=True)
def strand_levels(P, SD, G, cols, sg, gs, tol, nodes, out_level, out_p, out_n, out_known,
                  out_fail):
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
                        sd = SD[i, j]
                        v = p + (sd * nodes[q] if sd == sd else 0.0)
                        v = min(1.0, max(0.0, v))
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
