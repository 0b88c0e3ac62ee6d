"""Numba kernel: the distribution of a strand's secure level given its standards' mastery.

The same walk as :func:`sounding.mastery._profile_kernels.strand_levels` (a Poisson-binomial
over the number of unmastered standards, cut at each grade boundary where more than
``round(tol * n)`` of the ``n`` standards so far are unmastered), but for many rows of
*conditional* mastery probabilities at once -- one row per strand-ability grid point and
per hypothetical answer -- and returning the whole survival curve, not only its mode. Given
the strand ability the graph model's standards are independent, so mixing these rows over
the ability posterior gives the exact posterior of the placement.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _allowed(n: int, tol: float) -> int:
    return int(np.floor(tol * n + 0.5))


@njit(cache=True, parallel=False)
def survival(pi, group_end, tol, out):
    """``out[r, h] = P(secure through group h)`` for every row ``r``.

    Parameters
    ----------
    pi : float64[R, n]
        P(mastered) of the strand's standards (grade order) in each row.
    group_end : int64[H]
        One past the last column of each grade group.
    tol : float
        Tolerated share of unmastered standards.
    out : float64[R, H]
    """
    R, n = pi.shape
    H = group_end.shape[0]
    kmax = _allowed(n, tol) + 1
    for r in prange(R):
        dp = np.zeros(kmax + 1)
        dp[0] = 1.0
        c = 0
        for h in range(H):
            while c < group_end[h]:
                v = pi[r, c]
                f = 1.0 - v
                dp[kmax] += dp[kmax - 1] * f
                for k in range(kmax - 1, 0, -1):
                    dp[k] = dp[k] * v + dp[k - 1] * f
                dp[0] *= v
                c += 1
            a = _allowed(group_end[h], tol)
            s = 0.0
            for k in range(kmax + 1):
                if k > a:
                    dp[k] = 0.0
                else:
                    s += dp[k]
            out[r, h] = s
