"""How many students of a class are not secure on a standard: an estimate, not a head count.

Triage decides the level of a finding on the share of a class that has *not mastered* a
standard (CDE: more than 10-20% of a class is a classroom matter). Counting only the students
whose own answers confirm a gap hides the iceberg: a below-grade foundation that was never
tested directly counts as absent. The graph-aware posterior is calibrated (a standard at
P(mastered) = 0.3 is truly not mastered about 70% of the time, tested directly or not), so the
number of students of a class not secure on a standard is a sum of independent Bernoulli
draws with probabilities ``q_i = 1 - P_i(mastered)``: a Poisson-binomial distribution. Its
mean divided by the class size is the **estimated share**; its 5% and 95% quantiles give a
90% interval; its upper tail past the threshold count is the probability that the class is
truly over the threshold (the finding's confidence).

Everything is computed for every (class, standard) cell at once: one dynamic-programming pass
per class over its students, vectorised over the standards (``O(n_students x n_standards x
class_size)`` multiply-adds in total, linear in students).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from sounding.planning.class_effects import shifted_p

#: Lower and upper quantiles of the interval reported with an estimated share (90%).
INTERVAL = (0.05, 0.95)
#: Numerical slack when comparing a share with the threshold (a class at exactly the
#: threshold is not "more than" it, whatever the float rounding).
EPS = 1e-6


@dataclass
class ClassShares:
    """Per (class, standard): the estimated number of students not secure and its spread.

    Attributes
    ----------
    n : ndarray (C,)
        Students of each class with an estimate (the denominator of every share).
    expected : ndarray (C, J)
        Expected number not secure: sum of ``1 - P(mastered)`` over the class.
    lo, hi : ndarray (C, J) int
        5% and 95% quantiles of the number not secure (Poisson-binomial).
    p_over : ndarray (C, J)
        P(more than ``floor(threshold * n)`` students not secure).
    """

    n: np.ndarray
    expected: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    p_over: np.ndarray

    @cached_property
    def share(self) -> np.ndarray:
        """(C, J) estimated share not secure (0 for a class without estimates)."""
        return self.expected / np.maximum(self.n, 1)[:, None]

    def over(self, threshold: float) -> np.ndarray:
        """(C, J) bool: the estimated share is more than ``threshold`` (strictly)."""
        return (self.share > threshold + EPS) & (self.n > 0)[:, None]


def class_shares(emat: sp.csr_matrix, p: np.ndarray, threshold: float,
                 columns: np.ndarray | None = None,
                 shift: np.ndarray | None = None) -> ClassShares:
    """Estimated shares not secure for every class (rows of ``emat``) and standard.

    Parameters
    ----------
    emat : csr_matrix (C, n)
        Enrollment indicator, class x student (each student once per class).
    p : ndarray (n, J)
        P(mastered); NaN where there is no estimate. A student with no estimate on any
        standard is left out of the class's denominator; a single missing cell counts as
        P = 0.5 (nothing known).
    threshold : float
        Share for ``p_over`` (more than ``floor(threshold * n)`` students).
    columns : ndarray (J,) bool, optional
        Only these standards get quantiles and tails (others: 0); the expectation is always
        computed for all.
    shift : ndarray (C, J), optional
        Log-odds shift of every student's P(mastered) in a class on a standard (the class's
        own answers, :mod:`sounding.planning.class_effects`); applied on ``columns`` only.
    """
    has = ~np.all(np.isnan(p), axis=1)
    q = 1.0 - np.where(np.isnan(p), 0.5, p).astype(np.float64)
    q[~has] = 0.0
    n_cls = emat.shape[0]
    n_j = p.shape[1]
    n = np.asarray(emat @ has.astype(np.float64)).ravel()
    expected = np.asarray(emat @ q)
    lo = np.zeros((n_cls, n_j), dtype=np.int64)
    hi = np.zeros((n_cls, n_j), dtype=np.int64)
    p_over = np.zeros((n_cls, n_j))
    cols = np.arange(n_j) if columns is None else np.flatnonzero(columns)
    if not cols.size:
        return ClassShares(n, expected, lo, hi, p_over)
    indptr, indices = emat.indptr, emat.indices
    for ci in range(n_cls):
        rows = indices[indptr[ci]:indptr[ci + 1]]
        rows = rows[has[rows]]
        if not rows.size:
            continue
        qc = q[np.ix_(rows, cols)]
        if shift is not None and np.any(shift[ci, cols]):
            qc = 1.0 - shifted_p(1.0 - qc, shift[ci, cols][None, :])
            expected[ci, cols] = qc.sum(axis=0)
        dist = poisson_binomial(qc)
        cdf = np.cumsum(dist, axis=1)
        # the quantiles of a discrete count can both sit on one side of its mean (one
        # student at q = 0.99: 5% quantile 1, mean 0.99); a reported interval that leaves
        # out its own estimate reads as a mistake, so it is widened to the counts around it
        e = expected[ci, cols]
        lo[ci, cols] = np.minimum((cdf < INTERVAL[0] - 1e-12).sum(axis=1),
                                  np.floor(e + 1e-9).astype(np.int64))
        hi[ci, cols] = np.maximum((cdf < INTERVAL[1] - 1e-12).sum(axis=1),
                                  np.ceil(e - 1e-9).astype(np.int64))
        k = int(np.floor(threshold * rows.size + EPS))
        p_over[ci, cols] = np.clip(1.0 - cdf[:, min(k, rows.size)], 0.0, 1.0)
    return ClassShares(n, expected, lo, hi, p_over)


def poisson_binomial(q: np.ndarray) -> np.ndarray:
    """Distribution of the number of successes, per column of ``q`` (n, J) -> (J, n + 1).

    ``q[i, j]``: probability that student ``i`` is not secure on standard ``j``; students
    independent given their posteriors.
    """
    n, n_j = q.shape
    dist = np.zeros((n_j, n + 1))
    dist[:, 0] = 1.0
    for i in range(n):
        qi = q[i][:, None]
        dist[:, 1:i + 2] = dist[:, 1:i + 2] * (1 - qi) + dist[:, :i + 1] * qi
        dist[:, 0] *= 1 - q[i]
    return dist


def share_words(expected: float, lo: int, hi: int, n: int) -> str:
    """``"38% (90% interval 25-50%)"`` for an expected count, its quantiles and a class size."""
    n = max(n, 1)
    return f"{expected / n:.0%} (90% interval {100 * lo / n:.0f}-{hi / n:.0%})"
