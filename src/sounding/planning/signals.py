"""Does a class fall short on a topic more than comparable classes? A mixed-effects comparison.

The CDE rule (more than 10-20% of a class not secure) is the *entry condition* of a classroom
finding. In a district where most students are behind, it fires in nearly every class on
nearly every grade-level topic, and then the useful question is whether *this* class's
shortfall stands out from the grade's other classes (its own instruction on the topic), or is
shared by most of them (core materials and pacing: a system matter). Per-student mastery
estimates rest on one or two answers per standard and lean on each student's overall level,
so they blur a topic-specific dip; the class's own answers on a *cluster* (a few related
standards, the unit of reteaching) carry the signal, and this module tests them.

The model, per planning grade (all the district's classes taught at that grade)
--------------------------------------------------------------------------------
Every answer of a student of the grade on a standard of the grade or up to ``grades_back``
grades below is modelled as a Rasch (logistic) model with a random ability per student and a
difficulty per standard::

    logit P(correct) = theta_student - b_standard        theta ~ N(0, 1 / prior)

fitted by alternating Newton steps (penalised likelihood; vectorised with ``bincount``, so
it is linear in the number of answers). For each cell (class x cluster), the expected number
of correct answers is computed with each student's ability estimated **without that cell's
answers** (a one-step leave-one-out update), so a class's weak topic does not lower its own
expectation. The deficit ``T = correct - expected`` is compared with its null variance::

    Var(T) = psi * V + tau2 * V**2        V = sum of p (1 - p) over the cell's answers

* ``psi`` (>= 1) inflates the binomial variance for answers of one student on one cell being
  correlated (a student either has the standard or not, and often answers it twice): the
  ratio of the squared per-student residual sums to the squared answer residuals, pooled over
  the grade;
* ``tau2`` is the variance of a random class x cluster effect on the logit scale (a class
  honestly varies a little from topic to topic), estimated by the method of moments on the
  grade's cells, leaving out the 5% most negative ones so that genuinely weak cells do not
  inflate it.

``z = T / sqrt(Var(T))``, the one-sided p-value ``Phi(z)`` (a shortfall, not an excess), and
the Benjamini-Hochberg procedure over **every cell of the district** controls the false
discovery rate at ``fdr`` (10% by default): among the cells called "stands out", about one in
ten or fewer is expected to be chance. A cell is tested only with at least ``min_answers``
answers and when its grade has at least ``min_peers`` classes to compare with.

Without answers (a mastery table only), :func:`count_signals` does the same comparison on the
counts of students not secure per class and standard: a beta-binomial fitted to the grade's
other classes (method of moments, leaving the class out), one-sided tail, Benjamini-Hochberg.

On the simulated districts (seeds 11-14, 3,000 students) the "stands out" calls alone
separate the classrooms the simulator made weak from the rest with precision 0.83-0.95 and
recall 0.59-0.82 at class level; the triage's figures per seed are in
``tests/planning/test_simulated_precision.py`` and ``notes/planning.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from sounding.errors import InvalidInput
from sounding.progression import StandardsGraph

#: False discovery rate of the "stands out" calls (Benjamini-Hochberg).
FDR = 0.10
#: Fewest classes of a grade needed for a peer comparison.
MIN_PEERS = 3
#: Fewest answers in a class x cluster cell for it to be tested.
MIN_ANSWERS = 8
#: Prior precision of the student abilities (a weak N(0, 1) prior keeps them finite).
ABILITY_PRIOR = 1.0

SIGNAL_COLUMNS = ["class_id", "cluster", "n_answers", "n_students", "p_correct", "p_expected",
                  "peer_p", "deficit", "z", "p_value", "q_value", "stands_out"]


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN stays NaN (not tested)."""
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if not m:
        return q
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[ok] = out
    return q


def _answers(responses: pd.DataFrame, enrollments: pd.DataFrame, classes: pd.DataFrame,
             graph: StandardsGraph, cluster_of: Callable[[str], str], grades_back: int,
             as_of: date | None) -> pd.DataFrame:
    """The answers each class's students gave on the standards the class is compared on."""
    need = {"student_id", "standard", "correct"}
    if not need <= set(responses.columns):
        raise InvalidInput(f"responses need columns {sorted(need)}")
    grade_col = "plan_grade" if "plan_grade" in classes.columns else "grade"
    cls = pd.DataFrame({"class_id": classes["class_id"].astype(str).to_numpy(),
                        "class_grade": pd.to_numeric(classes[grade_col], errors="coerce")})
    cls = cls.dropna(subset=["class_grade"])
    en = pd.DataFrame({"class_id": enrollments["class_id"].astype(str).to_numpy(),
                       "student_id": enrollments["student_id"].astype(str).to_numpy()})
    en = en.drop_duplicates()
    r = responses
    if as_of is not None and "timestamp" in r.columns:
        from sounding.planning.frames import _timestamps

        ts = _timestamps(r["timestamp"])
        cutoff = pd.Timestamp(as_of + timedelta(days=1))
        r = r[(ts < cutoff).to_numpy() | ts.isna().to_numpy()]
    std_codes, std_uniq = pd.factorize(r["standard"].astype(str), use_na_sentinel=False)
    known = np.array([c in graph for c in std_uniq], dtype=bool)
    rolled = [graph.rollup(c) if k else "" for c, k in zip(std_uniq, known, strict=True)]
    s_grade = np.array([graph[c].grade_num if k else -99 for c, k in
                        zip(rolled, known, strict=True)], dtype=np.int64)
    s_cluster = np.array([cluster_of(c) if k else "" for c, k in zip(rolled, known, strict=True)],
                         dtype=object)
    keep = known[std_codes]
    out = pd.DataFrame({
        "student_id": r["student_id"].astype(str).to_numpy()[keep],
        "standard": np.asarray(rolled, dtype=object)[std_codes[keep]],
        "std_grade": s_grade[std_codes[keep]],
        "cluster": s_cluster[std_codes[keep]],
        "correct": pd.to_numeric(r["correct"], errors="coerce").to_numpy(dtype=np.float64)[keep],
    })
    out = out[~np.isnan(out["correct"].to_numpy())]
    out = out.merge(en, on="student_id").merge(cls, on="class_id")
    lo = out["class_grade"].to_numpy() - grades_back
    sg = out["std_grade"].to_numpy()
    return out[(sg <= out["class_grade"].to_numpy()) & (sg >= lo)].reset_index(drop=True)


def _rasch_cells(part: pd.DataFrame, *, prior: float = ABILITY_PRIOR, iters: int = 60
                 ) -> pd.DataFrame:
    """Fit the Rasch model on one grade's answers; per cell the leave-one-out deficit."""
    si, s_labels = pd.factorize(part["student_id"], use_na_sentinel=False)
    ji, j_labels = pd.factorize(part["standard"], use_na_sentinel=False)
    cls_i, cls_labels = pd.factorize(part["class_id"], use_na_sentinel=False)
    clu_i, clu_labels = pd.factorize(part["cluster"], use_na_sentinel=False)
    n_cells = len(cls_labels) * len(clu_labels)
    ci = cls_i.astype(np.int64) * len(clu_labels) + clu_i
    y = part["correct"].to_numpy(dtype=np.float64)
    n_s, n_j = len(s_labels), len(j_labels)
    b = np.zeros(n_j)
    th = np.zeros(n_s)
    for _ in range(iters):
        p = expit(th[si] - b[ji])
        w = p * (1 - p)
        step_b = (np.bincount(ji, p - y, n_j) - 0.01 * b) / (np.bincount(ji, w, n_j) + 0.01)
        b += np.clip(step_b, -2, 2)
        p = expit(th[si] - b[ji])
        w = p * (1 - p)
        step_t = (np.bincount(si, y - p, n_s) - prior * th) / (np.bincount(si, w, n_s) + prior)
        th += np.clip(step_t, -2, 2)
        if max(np.abs(step_b).max(initial=0), np.abs(step_t).max(initial=0)) < 1e-5:
            break
    p = expit(th[si] - b[ji])
    w = p * (1 - p)
    # one-step leave-one-out ability per (student, cell): remove the cell's answers
    key = si.astype(np.int64) * n_cells + ci
    k_uniq, k_inv = np.unique(key, return_inverse=True)
    r_k = np.bincount(k_inv, y - p)
    w_k = np.bincount(k_inv, w)
    info = np.bincount(si, w, n_s) + prior
    s_of_k = k_uniq // n_cells
    cell_of_k = k_uniq % n_cells
    th_loo = th[s_of_k] - r_k / np.maximum(info[s_of_k] - w_k, 1e-6)
    p_loo = expit(th_loo[k_inv] - b[ji])
    resid = y - p_loo
    T = np.bincount(ci, resid, n_cells)
    V = np.bincount(ci, p_loo * (1 - p_loo), n_cells)
    n = np.bincount(ci, minlength=n_cells)
    k = np.bincount(ci, y, n_cells)
    n_stu = np.bincount(cell_of_k, minlength=n_cells)
    # within-student correlation: squared per-student sums vs squared answers (full fit)
    rs = np.bincount(k_inv, y - p)
    psi = float(np.sum(rs ** 2) / max(np.sum((y - p) ** 2), 1e-12))
    cells = pd.DataFrame({
        "class_id": np.repeat(np.asarray(cls_labels, dtype=object), len(clu_labels)),
        "cluster": np.tile(np.asarray(clu_labels, dtype=object), len(cls_labels)),
        "n_answers": n, "n_students": n_stu, "k": k, "T": T, "V": V,
    })
    cells = cells[cells["n_answers"] > 0].reset_index(drop=True)
    cells.attrs["psi"] = max(psi, 1.0)
    return cells


def class_topic_signals(
    responses: pd.DataFrame,
    enrollments: pd.DataFrame,
    classes: pd.DataFrame,
    graph: StandardsGraph,
    *,
    cluster_of: Callable[[str], str],
    grades_back: int = 2,
    as_of: date | None = None,
    fdr: float = FDR,
    min_peers: int = MIN_PEERS,
    min_answers: int = MIN_ANSWERS,
) -> pd.DataFrame:
    """Per class and cluster: how far the class's answers fall short of what its students'
    abilities predict, and whether that stands out (see the module docstring).

    Parameters
    ----------
    responses : DataFrame
        ``student_id, standard, correct`` (``timestamp`` optional: answers after ``as_of`` are
        left out).
    enrollments : DataFrame
        ``class_id, student_id``.
    classes : DataFrame
        ``class_id`` and ``plan_grade`` (or ``grade``): the level the class is taught at.
    graph : StandardsGraph
    cluster_of : callable
        ``code -> cluster key`` (the triage's own key, so findings and signals line up).
    grades_back : int
        Clusters up to this many grades below the class's are compared too.
    as_of : date, optional
    fdr : float
        False discovery rate of the "stands out" calls.
    min_peers, min_answers : int

    Returns
    -------
    DataFrame
        :data:`SIGNAL_COLUMNS`: ``n_answers, n_students`` in the cell, ``p_correct`` (share
        correct), ``p_expected`` (model expectation for these students without the cell's
        answers), ``peer_p`` (median share correct of the grade's classes on the cluster),
        ``deficit`` (``p_expected - p_correct``), ``z``, ``p_value``, ``q_value`` (NaN when
        not tested) and ``stands_out`` (``q_value <= fdr`` and a shortfall).
    """
    if not 0 < fdr < 1:
        raise InvalidInput("fdr must be between 0 and 1")
    ans = _answers(responses, enrollments, classes, graph, cluster_of, grades_back, as_of)
    parts = []
    for _, part in ans.groupby("class_grade", sort=True):
        cells = _rasch_cells(part)
        n_classes = part["class_id"].nunique()
        T, V = cells["T"].to_numpy(), cells["V"].to_numpy()
        psi = cells.attrs["psi"]
        testable = (cells["n_answers"].to_numpy() >= min_answers) & (V > 0)
        if n_classes < min_peers:
            testable[:] = False
        z0 = np.where(testable, T / np.sqrt(np.maximum(psi * V, 1e-12)), np.nan)
        tau2 = 0.0
        if testable.sum() >= 5:
            cut = np.nanquantile(z0, 0.05)
            keep = testable & (z0 > cut)
            if keep.any():
                tau2 = max(0.0, float(np.sum(T[keep] ** 2 - psi * V[keep])
                                      / np.sum(V[keep] ** 2)))
        var = psi * V + tau2 * V ** 2
        z = np.where(testable, T / np.sqrt(np.maximum(var, 1e-12)), np.nan)
        n = cells["n_answers"].to_numpy(dtype=np.float64)
        p_obs = cells["k"].to_numpy() / n
        cells["p_correct"] = p_obs
        cells["p_expected"] = p_obs - T / n
        cells["peer_p"] = cells.groupby("cluster")["p_correct"].transform("median")
        cells["z"] = z
        cells["p_value"] = np.where(testable, stats.norm.cdf(z), np.nan)
        cells.attrs.update(psi=psi)
        cells["tau2"] = tau2
        cells["psi"] = psi
        parts.append(cells)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SIGNAL_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["deficit"] = out["p_expected"] - out["p_correct"]
    out["q_value"] = benjamini_hochberg(out["p_value"].to_numpy())
    out["stands_out"] = (out["q_value"] <= fdr) & (out["z"] < 0)
    return out.loc[:, [*SIGNAL_COLUMNS, "psi", "tau2"]]


def count_signals(counts: np.ndarray, size: np.ndarray, plan_grade: np.ndarray,
                  judged: np.ndarray, allowed: np.ndarray, *, fdr: float = FDR,
                  min_peers: int = MIN_PEERS) -> tuple[np.ndarray, np.ndarray]:
    """Without answers: does a class's count of students not secure on a standard stand out?

    Parameters
    ----------
    counts : ndarray (C, J)
        Students not secure (confidently) per class and standard.
    size : ndarray (C,)
        Class sizes.
    plan_grade : ndarray (C,)
    judged : ndarray (C,) bool
        Classes that take part in the comparison (big enough, not stale).
    allowed : ndarray (C, J) bool
        Standards each class is judged on.
    fdr, min_peers : float, int

    Returns
    -------
    (p_value, q_value) : ndarray (C, J)
        One-sided beta-binomial tail ``P(K >= k)`` of the class's count against the grade's
        *other* classes (method-of-moments fit of their shares, leaving the class out so an
        outlier does not hide itself), NaN where not tested, and the Benjamini-Hochberg
        q-values over all tested cells.
    """
    pv = np.full(counts.shape, np.nan)
    for g in np.unique(plan_grade):
        rows = np.flatnonzero((plan_grade == g) & judged)
        if rows.size < min_peers:
            continue
        n = size[rows].astype(np.float64)
        k = counts[rows].astype(np.float64)
        share = k / n[:, None]
        # leave-one-out: each class against the grade's *other* classes
        m = rows.size - 1
        k_tot, n_tot = k.sum(axis=0), n.sum()
        mu = np.clip((k_tot[None, :] - k) / (n_tot - n)[:, None], 1e-3, 1 - 1e-3)
        s1 = share.sum(axis=0)[None, :] - share
        s2 = (share ** 2).sum(axis=0)[None, :] - share ** 2
        var = np.maximum(s2 - s1 ** 2 / m, 0.0) / max(m - 1, 1)
        nbar = ((n_tot - n) / m)[:, None]
        base = mu * (1 - mu)
        rho = np.clip((var - base / nbar) / np.maximum(base * (1 - 1 / nbar), 1e-12),
                      1e-3, 0.5)
        shape = 1 / rho - 1
        tail = stats.betabinom.sf(k - 1, n[:, None], mu * shape, (1 - mu) * shape)
        pv[rows] = np.where(allowed[rows] & (k > 0), tail, np.nan)
    return pv, benjamini_hochberg(pv.ravel()).reshape(pv.shape)


def signal_lookup(sig: pd.DataFrame) -> dict[tuple[str, str], Any]:
    """``(class_id, cluster) -> row`` (a namedtuple) for quick access from the triage."""
    return {(str(r.class_id), str(r.cluster)): r for r in sig.itertuples(index=False)}
