"""What a class's own answers say about the class: an empirical-Bayes shift per topic.

The mastery posterior comes from a model that does not know which class a student is in, but
a class shares its teaching: a topic taught badly (or well) moves every student of the class
the same way, and the model only sees that for the students who answered the topic directly.
Everyone else's estimate on it is inferred from related standards, blind to the class. Their
classmates' answers are evidence about them too.

For every (class, cluster) -- a cluster is one reteaching topic -- this module asks how far
the class's direct answers on the cluster's standards fall from what the rest of the model
predicted for them, and turns that into a shift of the students' log-odds of mastery:

1. *What the model predicted without the answer*: the posterior odds of student ``i`` on
   standard ``j`` divided by the likelihood ratio of their own answers on ``j`` (correct:
   ``(1 - slip) / guess``; wrong: ``slip / (1 - guess)``; the graph model's answer model)
   give the odds before those answers, ``p0``. (The model's latent abilities also saw the
   answers, so ``p0`` still leans a little towards them: the residual is, if anything, too
   small, and the shift conservative.)
2. *The class's residual*: with a shift ``delta`` of every student's log-odds, a student's
   answers on a standard have likelihood ``sigmoid(logit p0 + delta) L1 + (1 - ...) L0``
   (one mastery state behind all of them); its score at ``delta = 0`` is ``p - p0`` and its
   Fisher information ``E[(p - p0)^2]``; summed over the class's students and the cluster's
   standards they give a raw estimate ``U / I`` with sampling variance ``1 / I``.
3. *Empirical Bayes*: the spread ``tau^2`` of true class effects is estimated across all
   classes (method of moments, per distance below the class's grade: 0, 1, 2 grades, since
   a topic taught this year and one taught two years ago in other classrooms differ in how
   much the class shares), and each raw estimate is shrunk towards 0 by ``tau^2 / (tau^2 +
   1 / I)``: a class with few answers on a topic keeps the model's estimate, one with many
   answers that clearly fall short (or exceed it) moves.

The shift is the same on the log-odds of a student who answered (their answers still count
through the posterior) and one who did not. It changes only the class-level estimate of how
many are not secure (:func:`sounding.planning.shares.class_shares`); each student's own
posterior, their confirmed status and their tier are left as the model gave them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

#: The graph model's answer model (``sounding.mastery.graph_model``: guess and slip fixed at
#: 0.2 and 0.1 unless fitted): correct with ``1 - SLIP`` if mastered, ``GUESS`` if not.
GUESS = 0.2
SLIP = 0.1
#: Log-odds are clipped to +-LOGIT_MAX (P within ~1e-5 of 0 or 1) before undoing answers.
LOGIT_MAX = 12.0
#: Largest shift applied, in log-odds (a guard against a degenerate class, not a tuning knob:
#: the shrunk estimates on simulated districts stay well inside it).
MAX_SHIFT = 4.0


@dataclass
class ClassEffects:
    """Per (class, standard) log-odds shift and the numbers behind it.

    Attributes
    ----------
    shift : ndarray (C, J)
        Shrunk shift of every student's log-odds of mastery (negative: the class knows less
        than the model inferred); 0 where the class has no answers on the topic.
    raw : ndarray (C, J)
        Unshrunk estimate ``U / I`` (NaN without answers).
    info : ndarray (C, J)
        Fisher information ``I`` of the class's answers on the topic.
    tau2 : dict[int, float]
        Spread of true class effects, per grades below the class's grade (0, 1, 2).
    """

    shift: np.ndarray
    raw: np.ndarray
    info: np.ndarray
    tau2: dict[int, float]


def answer_counts(responses: pd.DataFrame, student_ids: np.ndarray, codes: tuple[str, ...],
                  rollup) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """(n, J) correct and total answers per student and standard-level column.

    ``rollup`` maps an answer's standard code to its standard-level code (parts of a split
    standard count for the standard).
    """
    n_s, n_j = len(student_ids), len(codes)
    right = np.zeros((n_s, n_j), dtype=np.float64)
    total = np.zeros((n_s, n_j), dtype=np.float64)
    if responses is None or not len(responses):
        return right, total
    std = responses["standard"].astype(str)
    uniq = pd.unique(std)
    col_of = pd.Index(codes).get_indexer([_safe(rollup, c) for c in uniq])
    cols = col_of[pd.Index(uniq).get_indexer(std)]
    rows = pd.Index(student_ids).get_indexer(responses["student_id"])
    ok = (rows >= 0) & (cols >= 0)
    y = pd.to_numeric(responses["correct"], errors="coerce").to_numpy(dtype=np.float64)
    ok &= ~np.isnan(y)
    flat = rows[ok] * n_j + cols[ok]
    right = np.bincount(flat, weights=y[ok], minlength=n_s * n_j).reshape(n_s, n_j)
    total = np.bincount(flat, minlength=n_s * n_j).astype(np.float64).reshape(n_s, n_j)
    return right, total


def _safe(rollup, code: str) -> str:  # noqa: ANN001
    """``rollup(code)``, or the code itself when the graph does not know it (never matched)."""
    try:
        return rollup(code)
    except KeyError:
        return code


def class_effects(emat: sp.csr_matrix, p: np.ndarray, right: np.ndarray, total: np.ndarray,
                  group: np.ndarray, allowed: np.ndarray, distance: np.ndarray,
                  guess: float = GUESS, slip: float = SLIP) -> ClassEffects:
    """Empirical-Bayes log-odds shift per (class, standard), pooled per (class, ``group``).

    Parameters
    ----------
    emat : csr_matrix (C, n)
        Enrollment indicator, class x student.
    p : ndarray (n, J)
        Posterior P(mastered) (NaN: no estimate; such cells are left out).
    right, total : ndarray (n, J)
        Correct and total direct answers (:func:`answer_counts`).
    group : ndarray (J,) int
        Topic of each standard (its cluster); the shift is shared by a topic's standards.
    allowed : ndarray (C, J) bool
        Standards each class is judged on; others get no shift.
    distance : ndarray (C, J) int
        Grades from the class's grade down to the standard's (0, 1, 2...): ``tau^2`` is
        estimated per distance.
    """
    n_cls, n_j = allowed.shape
    pp = np.where(np.isnan(p), 0.5, p).astype(np.float64)
    logit = np.clip(np.log(pp) - np.log1p(-pp), -LOGIT_MAX, LOGIT_MAX)
    lr_right, lr_wrong = np.log((1 - slip) / guess), np.log(slip / (1 - guess))
    logit0 = logit - right * lr_right - (total - right) * lr_wrong
    p0 = 1.0 / (1.0 + np.exp(-np.clip(logit0, -LOGIT_MAX, LOGIT_MAX)))
    # A student's answers on a standard share one mastery state, so the unit is the student:
    # d/d delta log P(answers) at delta = 0 is exactly ``p - p0`` (posterior minus the
    # prediction without the answers), and its variance under "no class effect" (the Fisher
    # information) is E[(p - p0)^2] over the answers the student could have given.
    score = np.where(np.isnan(p) | (total == 0), 0.0, pp - p0)
    info = _expected_info(p0, total, lr_right, lr_wrong, 1 - slip, guess)
    info[np.isnan(p)] = 0.0
    # per class x standard, then pooled over the topic's allowed standards
    u_cj = np.asarray(emat @ score)
    i_cj = np.asarray(emat @ info)
    g_codes, g_idx = np.unique(group, return_inverse=True)
    n_g = len(g_codes)
    onehot = np.zeros((n_j, n_g))
    onehot[np.arange(n_j), g_idx] = 1.0
    u_cg = np.where(allowed, u_cj, 0.0) @ onehot
    i_cg = np.where(allowed, i_cj, 0.0) @ onehot
    # a topic's distance below the class's grade: the smallest over its allowed standards
    big = np.iinfo(np.int64).max
    dist_cg = np.full((n_cls, n_g), big, dtype=np.int64)
    for k in range(n_g):
        cols = g_idx == k
        d = np.where(allowed[:, cols], distance[:, cols], big)
        dist_cg[:, k] = d.min(axis=1) if cols.any() else big
    has = (i_cg > 1e-9) & (dist_cg < big)
    raw = np.full((n_cls, n_g), np.nan)
    raw[has] = u_cg[has] / i_cg[has]
    shrunk = np.zeros((n_cls, n_g))
    tau2: dict[int, float] = {}
    for dv in np.unique(dist_cg[has]):
        sel = has & (dist_cg == dv)
        tau2[int(dv)] = t2 = _tau2(raw[sel], 1.0 / i_cg[sel])
        shrunk[sel] = raw[sel] * t2 / (t2 + 1.0 / i_cg[sel])
    shrunk = np.clip(shrunk, -MAX_SHIFT, MAX_SHIFT)
    shift = np.where(allowed, shrunk[:, g_idx], 0.0)
    raw_j = np.where(allowed, raw[:, g_idx], np.nan)
    info_j = np.where(allowed, i_cg[:, g_idx], 0.0)
    return ClassEffects(shift, raw_j, info_j, tau2)


def _expected_info(p0: np.ndarray, total: np.ndarray, lr_right: float, lr_wrong: float,
                   p_right_m: float, p_right_n: float) -> np.ndarray:
    """E[(p - p0)^2] per cell for ``total`` answers (binomial given mastered / not)."""
    from scipy.stats import binom

    out = np.zeros_like(p0)
    t_all = total.astype(np.int64)
    for t in np.unique(t_all[t_all > 0]):
        sel = t_all == t
        q0 = p0[sel]
        acc = np.zeros_like(q0)
        for c in range(t + 1):
            prob = q0 * binom.pmf(c, t, p_right_m) + (1 - q0) * binom.pmf(c, t, p_right_n)
            odds = np.exp(np.clip(np.log(q0) - np.log1p(-q0) + c * lr_right
                                  + (t - c) * lr_wrong, -50, 50))
            acc += prob * (odds / (1 + odds) - q0) ** 2
        out[sel] = acc
    return out


def _tau2(est: np.ndarray, var: np.ndarray) -> float:
    """Between-class variance of true effects from raw estimates and their sampling variances.

    Effects are centred on 0 (the model is calibrated on average; a class effect is a
    departure from it), so the Paule-Mandel fixed point is ``sum w_i x_i^2 = k`` with ``w_i =
    1 / (var_i + tau^2)``; 0 when the estimates spread no more than their sampling variance
    explains.
    """
    k = est.size
    if k < 3:
        return 0.0
    t2 = 0.0
    for _ in range(100):
        w = 1.0 / (var + t2)
        q = float(np.sum(w * est ** 2))
        if q <= k:
            return t2
        # Newton step on f(t2) = q(t2) - k, with f' = -sum w^2 x^2
        deriv = float(np.sum(w ** 2 * est ** 2))
        step = (q - k) / max(deriv, 1e-12)
        t2_new = t2 + step
        if abs(t2_new - t2) < 1e-8 * max(1.0, t2):
            return t2_new
        t2 = t2_new
    return t2


def shifted_p(p: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """P(mastered) with ``shift`` added to its log-odds (NaN stays NaN)."""
    pp = np.clip(np.where(np.isnan(p), 0.5, p).astype(np.float64), 1e-12, 1 - 1e-12)
    out = 1.0 / (1.0 + np.exp(-(np.log(pp) - np.log1p(-pp) + shift)))
    return np.where(np.isnan(p), np.nan, out)
