"""Per-strand placement, exactly, from a student's ability grid -- and what an answer would do.

A student's placement in a strand is ``grades_below``: how many of the grades already taught
are not secure (0 = on grade, 1, 2, 3+), with "secure" as in :mod:`sounding.mastery.profile`
(every grade up to ``h`` has at most ``round(10 %)`` of the strand's standards so far
unmastered) and the strand-end rule of :func:`sounding.mastery.pipeline.cap_strand_ends`.

The graph model makes a strand's standards independent *given the strand ability*, and the
online state keeps the ability posterior on its grid, so the placement's posterior is exact:
for every grid point the secure level's distribution is a Poisson-binomial walk
(:mod:`sounding.diagnostic._kernels`), mixed over the grid. The iceberg profile read from the
store has only each standard's ``p`` and ``sd`` and approximates that coupling with nine
quantile nodes; the diagnostic has the grid, so it uses it. Exact for the model is not exact
for the world: the reported posterior ``Current.D`` is the model's (``Current.raw``) passed
through the readout correction (:mod:`sounding.diagnostic.readout`), and so is every
distribution the look-ahead scores.

:class:`PlacementModel` also evaluates, for a batch of candidate standards at once, the
placement distributions after a correct and after a wrong answer -- the look-ahead that the
expected-entropy item selection needs -- without copying states: one strand's likelihood
changes, the general ability's posterior moves with it, and every strand's marginal follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sounding.diagnostic import _kernels
from sounding.diagnostic.model import model_tables, state_grid
from sounding.diagnostic.readout import Readout
from sounding.mastery.graph_model import GraphMastery, MasteryState
from sounding.mastery.pipeline import strand_tops
from sounding.mastery.profile import TOLERANCE

#: Placement buckets: grades below (the last is "3 or more").
BUCKETS: tuple[str, ...] = ("on grade", "1 grade below", "2 grades below", "3+ grades below")
NB = len(BUCKETS)


@dataclass(frozen=True)
class StrandGrade:
    """One strand seen from one grade: its standards up to that grade and their levels."""

    strand: int
    cols: np.ndarray        # standard indices (grade order) at grades <= G
    group_end: np.ndarray   # one past each grade group's last column
    grades: np.ndarray      # the groups' grades
    bucket: np.ndarray      # (H + 1,) bucket of each level; index 0 = "below the first grade"
    applicable: bool        # the strand has grades already taught (placement means something)


def _log_mix(p: np.ndarray, l1: np.ndarray, l0: np.ndarray) -> np.ndarray:
    m = np.maximum(l1, l0)
    return m + np.log(p * np.exp(l1 - m) + (1.0 - p) * np.exp(l0 - m))


def _post(p1: np.ndarray, l1: np.ndarray, l0: np.ndarray) -> np.ndarray:
    d = np.clip(l0 - l1, -700.0, 700.0)
    return p1 / (p1 + (1.0 - p1) * np.exp(d))


def entropy(d: np.ndarray) -> np.ndarray:
    """Shannon entropy (bits) along the last axis."""
    d = np.clip(d, 1e-300, 1.0)
    return -(d * np.log2(d)).sum(axis=-1)


def error_rate(d: np.ndarray) -> np.ndarray:
    """Probability that the most probable placement is wrong, along the last axis."""
    return 1.0 - d.max(axis=-1)


def gini(d: np.ndarray) -> np.ndarray:
    """Gini impurity ``1 - sum p^2`` along the last axis (between entropy and error)."""
    return 1.0 - (d * d).sum(axis=-1)


#: Losses the look-ahead can minimise (``PlacementModel.expected_entropy``'s ``loss``).
LOSSES = {"entropy": entropy, "error": error_rate, "gini": gini}


class PlacementModel:
    """Placement posteriors and their one-answer look-ahead for a fitted :class:`GraphMastery`."""

    def __init__(self, model: GraphMastery, tolerance: float = TOLERANCE,
                 readout: Readout | None = None) -> None:
        tables = model_tables(model)
        p = tables.params
        self.model = model
        self.tolerance = tolerance
        self.strands = tuple(p.strands)
        #: correction of the model's placement posterior (:mod:`sounding.diagnostic.readout`)
        self.readout = readout if readout is not None else Readout.identity(self.strands)
        self.sidx = np.asarray(p.strand_index)
        self.P1, self.W = tables.P1, tables.W
        self.logw = tables.logw
        self.guess = np.asarray(p.guess, dtype=float)
        self.slip = np.asarray(p.slip, dtype=float)
        self.std_grade = tables.std_grade
        tops = strand_tops(model.graph)
        self._by_grade: dict[int, list[StrandGrade]] = {}
        for G in range(10):
            rows = []
            for s, name in enumerate(self.strands):
                cols = np.flatnonzero((self.sidx == s) & (self.std_grade <= G))
                cols = cols[np.argsort(self.std_grade[cols], kind="stable")]
                grades, counts = np.unique(self.std_grade[cols], return_counts=True)
                taught = [g for g in grades if g <= G - 1]
                taught_top = max(taught) if taught else -9
                top = tops[name][G]
                levels = np.concatenate([[grades[0] - 1 if len(grades) else -1], grades])
                gb = np.where(levels >= top, 0, np.maximum(0, taught_top - levels))
                bucket = np.minimum(gb, NB - 1).astype(np.int64)
                rows.append(StrandGrade(s, cols, np.cumsum(counts).astype(np.int64),
                                        grades, bucket, bool(taught) and len(cols) > 0))
            self._by_grade[G] = rows

    def strand_grades(self, grade: int) -> list[StrandGrade]:
        return self._by_grade[min(max(int(grade), 0), 9)]

    # ------------------------------------------------------------------ pieces of a state
    def grid(self, state: MasteryState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(logS, logA, touched)`` of a state (rebuilt when the state has no grid)."""
        return state_grid(self.model, state)

    def _lpg(self, logA: np.ndarray, touched: np.ndarray) -> np.ndarray:
        lp = self.logw + (logA * touched[:, None]).sum(axis=0)
        return lp - np.logaddexp.reduce(lp)

    def strand_marginals(self, logS: np.ndarray, logA: np.ndarray, touched: np.ndarray
                         ) -> np.ndarray:
        """``m[s, k]``: posterior of each strand ability on its grid."""
        lpg = self._lpg(logA, touched)
        M = logS.max(axis=1, keepdims=True)
        coef = np.exp(lpg[None, :] - logA * touched[:, None] + M * touched[:, None])
        e = np.where(touched[:, None], np.exp(logS - M), 1.0)
        m = e * np.einsum("sq,sqk->sk", coef, self.W)
        return m / m.sum(axis=1, keepdims=True)

    def answer_loglik(self, state: MasteryState) -> tuple[np.ndarray, np.ndarray]:
        """Per standard: log-likelihood of its answers if mastered / if not."""
        nc, nw = state.n_correct, state.n_wrong
        a1 = nc * np.log1p(-self.slip) + nw * np.log(self.slip)
        a0 = nc * np.log(self.guess) + nw * np.log1p(-self.guess)
        return a1, a0

    def conditional_mastery(self, state: MasteryState) -> np.ndarray:
        """``pi[j, k]``: P(standard j mastered | strand ability z_k, its own answers)."""
        a1, a0 = self.answer_loglik(state)
        P1 = self.P1[min(state.grade, 9)]
        return _post(P1, a1[:, None], a0[:, None])

    def level_buckets(self, pi_rows: np.ndarray, sg: StrandGrade) -> np.ndarray:
        """Bucket distribution for rows of conditional mastery of ``sg``'s standards.

        ``pi_rows`` has shape ``(..., n_cols)``; returns ``(..., 4)``.
        """
        lead = pi_rows.shape[:-1]
        levels = self._levels(pi_rows.reshape(-1, pi_rows.shape[-1]), sg)
        out = np.zeros((levels.shape[0], NB))
        for i, b in enumerate(sg.bucket):
            out[:, b] += levels[:, i]
        return np.clip(out, 0.0, 1.0).reshape(*lead, NB)

    def level_distribution(self, pi: np.ndarray, m_s: np.ndarray, sg: StrandGrade
                           ) -> np.ndarray:
        """P(secure level) over ``[below first grade] + sg.grades`` (mixed over the grid)."""
        return np.clip(m_s @ self._levels(pi[sg.cols].T, sg), 0.0, 1.0)  # pi: (K, n)

    def _levels(self, rows: np.ndarray, sg: StrandGrade) -> np.ndarray:
        """P(secure level) per row of conditional mastery ``(rows, n_cols)``: the
        Poisson-binomial survival per grade group, differenced into levels."""
        flat = np.ascontiguousarray(rows, dtype=np.float64)
        surv = np.empty((flat.shape[0], len(sg.group_end)))
        _kernels.survival(flat, sg.group_end, float(self.tolerance), surv)
        levels = np.empty((flat.shape[0], len(sg.group_end) + 1))
        levels[:, 0] = 1.0 - surv[:, 0]
        levels[:, 1:-1] = surv[:, :-1] - surv[:, 1:]
        levels[:, -1] = surv[:, -1]
        return levels

    # ------------------------------------------------------------------ the posterior now
    def current(self, state: MasteryState) -> Current:
        logS, logA, touched = self.grid(state)
        m = self.strand_marginals(logS, logA, touched)
        pi = self.conditional_mastery(state)
        rows = self.strand_grades(state.grade)
        LB = {}
        D = {}
        raw = {}
        for sg in rows:
            if not len(sg.cols):
                continue
            LB[sg.strand] = self.level_buckets(pi[sg.cols].T, sg)  # (K, 4)
            raw[sg.strand] = m[sg.strand] @ LB[sg.strand]
            D[sg.strand] = self.readout.apply(raw[sg.strand], state.grade, sg.strand)
        return Current(state, logS, logA, touched, m, pi, rows, LB, D, raw)

    # ------------------------------------------------------------------ look-ahead
    def expected_entropy(self, cur: Current, candidates: np.ndarray, active: list[int],
                         loss: str = "entropy") -> np.ndarray:
        """Expected total placement entropy of the ``active`` strands after one answer on
        each candidate standard (lower is better).

        ``loss="error"`` scores the expected probability of a wrong placement instead."""
        lossf = LOSSES[loss]
        G = min(cur.state.grade, 9)
        P1 = self.P1[G]
        a1, a0 = self.answer_loglik(cur.state)
        lpg0 = self.logw + (cur.logA * cur.touched[:, None]).sum(axis=0)
        out = np.zeros(len(candidates))
        sg_of = {sg.strand: sg for sg in cur.rows}
        M_all = cur.logS.max(axis=1)
        for s in np.unique(self.sidx[candidates]):
            sel = np.flatnonzero(self.sidx[candidates] == s)
            js = candidates[sel]
            C = len(js)
            p1 = P1[js]                                   # (C, K)
            l1ms, ls = np.log1p(-self.slip[js]), np.log(self.slip[js])
            lg, l1mg = np.log(self.guess[js]), np.log1p(-self.guess[js])
            A1, A0 = a1[js][:, None], a0[js][:, None]
            b1 = np.stack([A1 + l1ms[:, None], A1 + ls[:, None]], axis=1)  # (C, 2, 1)
            b0 = np.stack([A0 + lg[:, None], A0 + l1mg[:, None]], axis=1)
            base = _log_mix(p1, A1, A0)[:, None, :]
            newS = cur.logS[s][None, None, :] + _log_mix(p1[:, None, :], b1, b0) - base
            Ms = newS.max(axis=2, keepdims=True)
            es = np.exp(newS - Ms)                                           # (C, 2, K)
            newA = np.log(np.einsum("cok,qk->coq", es, self.W[s])) + Ms       # (C, 2, Q)
            lpg = lpg0[None, None, :] - (cur.logA[s] if cur.touched[s] else 0.0) + newA
            lpg = lpg - np.logaddexp.reduce(lpg, axis=2, keepdims=True)
            # P(correct) from the current posterior
            pij = cur.pi[js]                                                   # (C, K)
            pc = (cur.m[s][None, :] * (pij * (1 - self.slip[js])[:, None]
                                       + (1 - pij) * self.guess[js][:, None])).sum(axis=1)
            probs = np.stack([pc, 1 - pc], axis=1)                             # (C, 2)
            H = np.zeros((C, 2))
            for t in active:
                sg = sg_of[t]
                if t == s:
                    coef = np.exp(lpg - newA + Ms)
                    mt = es * np.einsum("coq,qk->cok", coef, self.W[s])
                    mt /= mt.sum(axis=2, keepdims=True)
                    # the answered standard's own conditional mastery changes
                    pos = np.searchsorted(sg.cols, js)
                    rows = np.broadcast_to(cur.pi[sg.cols].T, (C, 2) + cur.pi[sg.cols].T.shape
                                           ).copy()                            # (C, 2, K, n)
                    newpi = _post(p1[:, None, :], b1, b0)                      # (C, 2, K)
                    rows[np.arange(C), :, :, pos] = newpi
                    LBt = self.level_buckets(rows, sg)                          # (C, 2, K, 4)
                    D = np.einsum("cok,cokb->cob", mt, LBt)
                else:
                    if cur.touched[t]:
                        coef = np.exp(lpg - cur.logA[t][None, None, :] + M_all[t])
                        et = np.exp(cur.logS[t] - M_all[t])
                    else:
                        coef = np.exp(lpg)
                        et = np.ones_like(cur.logS[t])
                    mt = et[None, None, :] * np.einsum("coq,qk->cok", coef, self.W[t])
                    mt /= mt.sum(axis=2, keepdims=True)
                    D = mt @ cur.LB[t]
                H += lossf(self.readout.apply(D, G, t))
            out[sel] = (probs * H).sum(axis=1)
        return out


@dataclass
class Current:
    """The posterior pieces of one state that selection and results read."""

    state: MasteryState
    logS: np.ndarray
    logA: np.ndarray
    touched: np.ndarray
    m: np.ndarray
    pi: np.ndarray
    rows: list[StrandGrade]
    LB: dict[int, np.ndarray]
    D: dict[int, np.ndarray]      # placement posterior per strand, as reported (corrected)
    raw: dict[int, np.ndarray] = field(default_factory=dict)  # the model's, uncorrected
    #: the placement-level model's posterior when the engine places with it
    #: (:class:`sounding.diagnostic.levels.LevelPosterior`); ``D`` is then its buckets
    levels: Any = None
