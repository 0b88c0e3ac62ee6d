"""The placement-level model: a discrete posterior over every strand's secure level, jointly.

Why: the graph model (:class:`~sounding.mastery.graph_model.GraphMastery`) explains answers by a
continuous strand ability with a strand's standards independent given it. The world (and the
simulator) is different: a standard is learned only when its prerequisites are, and a school
year's gap is shared by every strand, so a wrong answer at grade ``G - 1`` means "a gap
there" more than "a lower ability everywhere". The placement is a statement about *levels*
(secure through grade ``h``), so this model puts the latent variable there:

* per strand ``s`` the latent is its secure level ``h_s`` (``-1`` = below the strand's first
  grade, then each grade the strand has up to the student's grade ``G``); the placement bucket
  (on grade, 1, 2, 3+ below) is a function of it (:class:`~.placement.StrandGrade.bucket`);
* the strands are coupled by a latent class ``c`` (a mixture of ``C`` products of per-strand
  level distributions, per student grade): ``P(h) = sum_c pi_c prod_s P(h_s | c)``. It carries
  the cross-strand correlation (school-year gaps, general ability) that a product of
  independent strands would miss, with far fewer parameters than the full ``4^6`` table;
* the emission of an answer on standard ``j`` (strand ``s``) is ``P(mastered j | h_s, G)``
  (``q``) passed through the item noise (the graph model's guess and slip of ``j``); two
  answers on the same standard share its mastery (the likelihood mixes over it once per
  standard, not once per answer).

Both ``P(h | c)``, ``pi`` and ``q`` are counted from the simulator's *truth* on calibration
students (the calibration district, seed 101; never a benchmark seed): ``q`` with shrinkage
from (standard, student grade, level) to (standard, level) to (strand, grade distance), the
mixture by EM with a Dirichlet prior. The exact posterior after an answer is a product and a
normalisation (``C x strands x levels`` numbers), so the look-ahead over every candidate is
cheap.

The engine keeps the graph-aware posterior as the session's mastery of every standard (the
issue requires it: mastery, ready to learn, evidence written to the store); this model reports
the placement, stops the strands and chooses the items (``DiagnosticEngine(levels=...)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sounding.core.resources import packaged_or_given_json
from sounding.diagnostic.placement import NB, PlacementModel, StrandGrade

LEVELS_FILE = "levels.json"
#: Secure levels as grades: -1 (below the first grade) .. 9 (Algebra I); index = grade + 1.
NH = 11
N_GRADES = 10


def _lse(x: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.squeeze(m, axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def _log_mix(q: np.ndarray, l1: np.ndarray, l0: np.ndarray) -> np.ndarray:
    """``log(q e^l1 + (1 - q) e^l0)``, elementwise with broadcasting."""
    m = np.maximum(l1, l0)
    return m + np.log(q * np.exp(l1 - m) + (1.0 - q) * np.exp(l0 - m))


def level_grades(sg: StrandGrade) -> np.ndarray:
    """The secure levels of a strand seen from one grade, as grades (``-1`` = below K)."""
    first = int(sg.grades[0]) - 1 if len(sg.grades) else -1
    return np.concatenate([[first], sg.grades]).astype(np.int64)


def true_levels(pm: PlacementModel, grade: int, mastered: np.ndarray) -> dict[int, int]:
    """Index of the true secure level of every applicable strand (``mastered``: 0/1 per
    standard in graph order), the same walk the engine uses for placements."""
    out = {}
    for sg in pm.strand_grades(grade):
        if sg.applicable:
            lv = pm._levels(mastered[sg.cols][None, :].astype(float), sg)[0]
            out[sg.strand] = int(np.argmax(lv))
    return out


@dataclass
class LevelPosterior:
    """The level model's posterior for one session."""

    grade: int
    strands: list[int]            # applicable strands (row order of the arrays below)
    logL: np.ndarray              # (C, S, H) log-likelihood of each strand's answers
    w: np.ndarray                 # (C,) posterior of the latent class
    post: np.ndarray              # (C, S, H) P(level | class, the strand's answers)
    m: np.ndarray                 # (S, H) marginal posterior of each strand's level
    buckets: np.ndarray           # (S, 4) placement posterior per strand
    log_evidence: float = 0.0     # log P(the answers) under the model

    def bucket(self, strand: int) -> np.ndarray:
        return self.buckets[self.strands.index(strand)]

    def level(self, strand: int) -> np.ndarray:
        return self.m[self.strands.index(strand)]


@dataclass
class _Grade:
    """The model's tables for one student grade."""

    strands: list[int]
    rows: dict[int, StrandGrade]
    H: int
    logpi: np.ndarray     # (C,)
    logP: np.ndarray      # (C, S, H), -inf where a strand has fewer levels
    bmap: np.ndarray      # (S, H, 4) level -> bucket indicator
    hidx: np.ndarray      # (S, H) level grade + 1 (index into q's level axis), 0 on padding
    valid: np.ndarray     # (S, H) bool


class LevelModel:
    """Joint discrete posterior over the strands' secure levels (see the module docstring)."""

    def __init__(self, pm: PlacementModel, pi: np.ndarray, level_p: np.ndarray,
                 q: np.ndarray, provenance: dict[str, Any] | None = None) -> None:
        """``pi`` (10, C), ``level_p`` (10, C, strands, NH) over level grades, ``q`` (10, C,
        standards, NH): P(mastered | class, level grade) per student grade (a ``q`` without
        the class axis is shared by the classes)."""
        self.pm = pm
        self.strands = pm.strands
        self.pi = np.asarray(pi, dtype=float)
        self.level_p = np.asarray(level_p, dtype=float)
        q = np.asarray(q, dtype=float)
        self.q = q[:, None] if q.ndim == 3 else q
        self.provenance = provenance or {}
        self.guess = pm.guess
        self.slip = pm.slip
        self._grades: dict[int, _Grade] = {}

    # ------------------------------------------------------------------ tables per grade
    def tables(self, grade: int) -> _Grade:
        G = min(max(int(grade), 0), N_GRADES - 1)
        t = self._grades.get(G)
        if t is not None:
            return t
        rows = {sg.strand: sg for sg in self.pm.strand_grades(G) if sg.applicable}
        strands = sorted(rows)
        H = max((len(rows[s].grades) + 1 for s in strands), default=1)
        C = self.pi.shape[1]
        S = len(strands)
        logP = np.full((C, S, H), -np.inf)
        bmap = np.zeros((S, H, NB))
        hidx = np.zeros((S, H), dtype=np.int64)
        valid = np.zeros((S, H), dtype=bool)
        for i, s in enumerate(strands):
            lg = level_grades(rows[s])
            n = len(lg)
            p = self.level_p[G][:, s, lg + 1]
            p = p / p.sum(axis=1, keepdims=True)
            logP[:, i, :n] = np.log(np.clip(p, 1e-12, 1.0))
            bmap[i, np.arange(n), rows[s].bucket] = 1.0
            hidx[i, :n] = lg + 1
            valid[i, :n] = True
        t = _Grade(strands, rows, H, np.log(np.clip(self.pi[G], 1e-12, 1.0)), logP, bmap,
                   hidx, valid)
        self._grades[G] = t
        return t

    # ------------------------------------------------------------------ the posterior now
    def _answer_terms(self, n_correct: np.ndarray, n_wrong: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        nc, nw = np.asarray(n_correct, float), np.asarray(n_wrong, float)
        a1 = nc * np.log1p(-self.slip) + nw * np.log(self.slip)
        a0 = nc * np.log(self.guess) + nw * np.log1p(-self.guess)
        return a1, a0

    def posterior(self, grade: int, n_correct: np.ndarray, n_wrong: np.ndarray
                  ) -> LevelPosterior:
        """The posterior after answers counted per standard (graph order)."""
        t = self.tables(grade)
        G = min(max(int(grade), 0), N_GRADES - 1)
        a1, a0 = self._answer_terms(n_correct, n_wrong)
        answered = (np.asarray(n_correct) + np.asarray(n_wrong)) > 0
        S = len(t.strands)
        C = self.q.shape[1]
        logL = np.zeros((C, S, t.H))
        for i, s in enumerate(t.strands):
            cols = t.rows[s].cols
            js = cols[answered[cols]]
            if len(js):
                q = self.q[G][:, js][:, :, t.hidx[i]]                  # (C, n, H)
                logL[:, i] = _log_mix(q, a1[js][None, :, None], a0[js][None, :, None]
                                      ).sum(axis=1)
        logL[:, ~t.valid] = 0.0
        return self._combine(t, G, logL)

    def _combine(self, t: _Grade, G: int, logL: np.ndarray) -> LevelPosterior:
        joint = t.logP + logL                                          # (C, S, H)
        Z = _lse(joint, axis=2)                                        # (C, S)
        lw = t.logpi + Z.sum(axis=1)
        log_evidence = float(_lse(lw, axis=0))
        w = np.exp(lw - lw.max())
        w /= w.sum()
        post = np.exp(joint - Z[:, :, None])
        m = np.einsum("c,csh->sh", w, post)
        buckets = np.einsum("sh,shb->sb", m, t.bmap)
        return LevelPosterior(G, list(t.strands), logL, w, post, m, buckets, log_evidence)

    # ------------------------------------------------------------------ look-ahead
    def expected_loss(self, lp: LevelPosterior, n_correct: np.ndarray, n_wrong: np.ndarray,
                      candidates: np.ndarray, active: Sequence[int], loss) -> np.ndarray:  # noqa: ANN001
        """Expected total ``loss`` (a function of bucket distributions along the last axis)
        of the ``active`` strands' placements after one more answer on each candidate."""
        t = self.tables(lp.grade)
        G = lp.grade
        a1, a0 = self._answer_terms(n_correct, n_wrong)
        pos = {s: i for i, s in enumerate(t.strands)}
        cand = np.asarray(candidates)
        si = np.array([pos[int(s)] for s in self.pm.sidx[cand]])
        q = self.q[G][:, cand[:, None], t.hidx[si]].transpose(1, 0, 2)  # (N, C, H)
        A1, A0 = a1[cand][:, None, None], a0[cand][:, None, None]
        old = _log_mix(q, A1, A0)
        l1s = np.log1p(-self.slip[cand])[:, None, None]
        ls = np.log(self.slip[cand])[:, None, None]
        lg = np.log(self.guess[cand])[:, None, None]
        l1g = np.log1p(-self.guess[cand])[:, None, None]
        f = np.stack([_log_mix(q, A1 + l1s, A0 + lg) - old,
                      _log_mix(q, A1 + ls, A0 + l1g) - old], axis=1)   # (N, 2, C, H)
        F = np.exp(f) * t.valid[si][:, None, None, :]
        own_post = lp.post[:, si, :].transpose(1, 0, 2)                # (N, C, H)
        # J[n, o, c, h]: joint posterior of class and own level after outcome o
        J = lp.w[None, None, :, None] * own_post[:, None] * F
        po = J.sum(axis=(2, 3))                                         # (N, 2) P(outcome)
        J /= np.maximum(po, 1e-300)[:, :, None, None]
        w2 = J.sum(axis=3)                                              # (N, 2, C)
        act = [pos[s] for s in active if s in pos]
        m2 = np.einsum("noc,csh->nosh", w2, lp.post[:, act, :])         # (N, 2, A, H)
        for k, a in enumerate(act):
            own = np.flatnonzero(si == a)
            if len(own):
                m2[own, :, k, :] = J[own].sum(axis=2)
        B = np.einsum("nosh,shb->nosb", m2, t.bmap[act])
        return (po * loss(B).sum(axis=2)).sum(axis=1)

    def predict_correct(self, lp: LevelPosterior, n_correct: np.ndarray, n_wrong: np.ndarray,
                        standard: int) -> float:
        """P(the next answer on ``standard`` is right) under the posterior ``lp``."""
        t = self.tables(lp.grade)
        i = lp.strands.index(int(self.pm.sidx[standard]))
        q = self.q[lp.grade][:, standard, t.hidx[i]]                    # (C, H)
        a1, a0 = self._answer_terms(n_correct, n_wrong)
        A1, A0 = a1[standard], a0[standard]
        f = (_log_mix(q, A1 + np.log1p(-self.slip[standard]), A0 + np.log(self.guess[standard]))
             - _log_mix(q, A1, A0))
        return float(np.einsum("c,ch,ch->", lp.w, lp.post[:, i, :], np.exp(f) * t.valid[i]))

    # ------------------------------------------------------------------ persistence
    def to_json(self) -> dict[str, Any]:
        return {"strands": list(self.strands), "pi": np.round(self.pi, 6).tolist(),
                "level_p": np.round(self.level_p, 6).tolist(),
                "q": np.round(self.q, 5).tolist(), "provenance": self.provenance}

    @classmethod
    def from_json(cls, d: dict[str, Any], pm: PlacementModel) -> LevelModel:
        return cls(pm, np.asarray(d["pi"]), np.asarray(d["level_p"]), np.asarray(d["q"]),
                   d.get("provenance"))


def default_levels(pm: PlacementModel, path: str | Path | None = None) -> LevelModel | None:
    """The shipped (or given) level model; None when none is shipped or it was fitted on
    other strands or standards (the engine then places with the graph model)."""
    d = packaged_or_given_json("sounding.diagnostic", LEVELS_FILE, path)
    if d is None:
        return None
    if tuple(d["strands"]) != tuple(pm.strands) or np.shape(d["q"])[-2] != len(pm.sidx):
        return None
    return LevelModel.from_json(d, pm)


# ---------------------------------------------------------------------- fitting
def fit_levels(pm: PlacementModel, grades: np.ndarray, mastered: np.ndarray, *,
               classes: int = 8, seed: int = 0, iters: int = 300, alpha: float = 0.5,
               shrink_grade: float = 20.0, shrink_level: float = 10.0,
               shrink_class: float | None = None,
               provenance: dict[str, Any] | None = None) -> LevelModel:
    """Fit the tables from true mastery (``mastered``: students x standards, 0/1, graph
    order) and grades (0-9) of calibration students."""
    grades = np.asarray(grades, dtype=int)
    M = np.asarray(mastered, dtype=float)
    S, J = len(pm.strands), M.shape[1]
    std_grade = pm.std_grade
    # secure level grade of every (student, strand): -2 where not applicable
    hg = np.full((len(grades), S), -2, dtype=np.int64)
    for G in range(N_GRADES):
        rows = np.flatnonzero(grades == G)
        if not len(rows):
            continue
        for sg in pm.strand_grades(G):
            if not sg.applicable:
                continue
            lv = pm._levels(M[rows][:, sg.cols], sg)
            hg[rows, sg.strand] = level_grades(sg)[np.argmax(lv, axis=1)]
    # q: P(mastered j | level grade h, student grade G), shrunk twice
    n1 = np.zeros((N_GRADES, J, NH))
    n = np.zeros((N_GRADES, J, NH))
    sidx = pm.sidx
    for G in range(N_GRADES):
        rows = np.flatnonzero(grades == G)
        for s in range(S):
            cols = np.flatnonzero((sidx == s) & (std_grade <= G))
            h = hg[rows, s]
            ok = h >= -1
            for hv in np.unique(h[ok]):
                r = rows[ok][h[ok] == hv]
                n1[G, cols, hv + 1] += M[np.ix_(r, cols)].sum(axis=0)
                n[G, cols, hv + 1] += len(r)
    d = np.clip(std_grade[:, None] - (np.arange(NH) - 1)[None, :], -4, 4) + 4   # (J, NH)
    b1 = np.zeros((S, 9))
    bn = np.zeros((S, 9))
    N1, NN = n1.sum(axis=0), n.sum(axis=0)
    for s in range(S):
        js = sidx == s
        np.add.at(b1[s], d[js].ravel(), N1[js].ravel())
        np.add.at(bn[s], d[js].ravel(), NN[js].ravel())
    base = (b1 + 1.0) / (bn + 2.0)                                     # (S, 9)
    q_pool = (N1 + shrink_level * base[sidx[:, None], d]) / (NN + shrink_level)
    q = (n1 + shrink_grade * q_pool[None]) / (n + shrink_grade)
    q = np.clip(q, 0.003, 0.997)
    # mixture of per-strand level distributions, per grade (EM with a Dirichlet prior)
    rng = np.random.default_rng(seed)
    pi = np.full((N_GRADES, classes), 1.0 / classes)
    level_p = np.full((N_GRADES, classes, S, NH), 1.0 / NH)
    resp: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for G in range(N_GRADES):
        rows = np.flatnonzero(grades == G)
        app = [s for s in range(S) if (hg[rows, s] >= -1).any()] if len(rows) else []
        if not app:
            continue
        X = hg[np.ix_(rows, app)] + 1                                  # (n, A) level index
        onehot = np.zeros((len(rows), len(app), NH))
        np.put_along_axis(onehot, X[:, :, None], 1.0, axis=2)
        # initialise the classes on the students' mean level (ranked), with noise
        rank = np.argsort(np.argsort(X.mean(axis=1) + rng.normal(0, 0.3, len(rows))))
        R = np.full((len(rows), classes), 0.1 / classes)
        R[np.arange(len(rows)), rank * classes // len(rows)] += 0.9
        for _ in range(iters):
            nk = R.sum(axis=0)
            p_c = (nk + alpha) / (nk.sum() + alpha * classes)
            cnt = np.einsum("nc,nah->cah", R, onehot) + alpha / NH
            P = cnt / cnt.sum(axis=2, keepdims=True)
            ll = np.log(p_c)[None, :] + np.einsum("nah,cah->nc", onehot, np.log(P))
            R_new = np.exp(ll - ll.max(axis=1, keepdims=True))
            R_new /= R_new.sum(axis=1, keepdims=True)
            if np.abs(R_new - R).max() < 1e-6:
                R = R_new
                break
            R = R_new
        pi[G] = p_c
        level_p[G][:, app, :] = P
        resp[G] = (rows, R)
    if shrink_class is None:
        return LevelModel(pm, pi, level_p, q, provenance)
    # P(mastered | class, level): the class carries the general ability within a level
    qc = np.repeat(q[:, None], classes, axis=1)
    for G, (rows, R) in resp.items():
        for s in range(S):
            cols = np.flatnonzero((sidx == s) & (std_grade <= G))
            h = hg[rows, s]
            ok = h >= -1
            for hv in np.unique(h[ok]):
                sel = ok & (h == hv)
                Rs = R[sel]                                            # (n, C)
                c1 = Rs.T @ M[np.ix_(rows[sel], cols)]                 # (C, cols)
                cn = Rs.sum(axis=0)[:, None]
                qc[G, :, cols, hv + 1] = ((c1 + shrink_class * q[G, cols, hv + 1][None])
                                          / (cn + shrink_class)).T
    return LevelModel(pm, pi, level_p, np.clip(qc, 0.003, 0.997), provenance)
