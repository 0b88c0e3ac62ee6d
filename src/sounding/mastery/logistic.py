"""Feature-based logistic learner models: IRT, PFA and Best-LR, with a mastery readout.

Why this family
---------------
Gervet et al. (2020, "When is deep learning the best approach to knowledge tracing?") found
that a logistic regression on well-chosen features of a student's history ("Best-LR": item
and skill difficulty, counts of earlier right and wrong answers per skill, on the item and
overall) predicts the next answer as well as deep knowledge tracing on ASSISTments 2009,
and much better than BKT. Every coefficient has a meaning (a skill's difficulty, what one
more right answer on it is worth), it fits in seconds on sparse features, and it takes extra
evidence as extra columns: here the student's earlier answers on the skill's *prerequisites*
and *successors* (from a progression or a ``from_skill,to_skill`` file) and on its strand.

``features`` chooses the model:

* ``"irt"``: Rasch (1PL). Item and skill easiness are fitted jointly with one ability per
  training student (L2 = a N(0, C) prior); a new student's ability is tracked answer by
  answer by the Laplace approximation (one Newton step per answer: mode and precision).
* ``"pfa"``: Performance Factors Analysis (Pavlik et al. 2009): per skill an easiness and
  the worth of each earlier right and wrong answer on it (raw counts).
* ``"best-lr"`` (default): Best-LR. Item and skill one-hot; per-skill slopes on
  ``log(1 + right)`` and ``log(1 + wrong)``; shared slopes on the same counts overall, on the
  item, on the prerequisites and successors, on the strand; the student's grade against the
  skill's grade when both are known.

All are fitted by Newton-CG on the penalised log-likelihood (``C``: sd-squared of the N(0, C)
prior on every coefficient but the intercept; scikit-learn's ``C`` for the summed loss), on
one row per *attempt*: a multi-skill item listed once per skill (AKT's ASSISTments) is one
answer with all its skills, and every row of it is predicted from the answers before it.

The mastery readout
-------------------
A performance model predicts answers, but Sounding plans on P(mastered) per standard with
its uncertainty. For student ``u`` and skill ``k`` the model gives the log-odds ``lambda`` of
a right answer on the skill's *typical* item (the frequency-weighted mean item easiness of
``k``) after all of the student's answers. Its uncertainty is the Laplace / Fisher
approximation of the student's parameter: precision ``1 / prior_sd**2`` plus the Fisher
information ``n p (1 - p)`` of the ``n`` answers the student gave on ``k`` (for IRT, the
precision of the tracked ability). The link to mastery is the usual two-state reading of a
right answer, ``P(correct) = guess + (1 - guess - slip) * mastered``, inverted and clipped:
``m(lambda) = clip((sigmoid(lambda) - guess) / (1 - guess - slip), 0, 1)`` with Sounding's
conventional ``guess = 0.2, slip = 0.1``. ``p_mastered`` is the posterior mean of
``m(lambda)`` over ``lambda ~ N(estimate, sd**2)`` (Gauss-Hermite), ``sd`` its posterior sd,
the same quantities the graph model reports.

What it does not do: it has no latent state that persists between answers beyond the counts
(no forgetting but through the counts' log scale), and a skill nobody trained on gets only
its shared features (unknown skills are rejected, as with BKT).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit

from sounding.errors import InvalidInput, NotFitted
from sounding.mastery import _logistic_kernels as _kern
from sounding.mastery.responses import validate_responses

FEATURE_SETS: tuple[str, ...] = ("irt", "pfa", "best-lr")
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(24)
_GH_W = _GH_W / _GH_W.sum()
N_BUCKETS = 7  # student grade - skill grade, clipped to -2..4 (as in the graph model)


def read_prerequisites(path: str, frame: pd.DataFrame | None = None) -> list[tuple[str, str]]:
    """Edges ``from_skill -> to_skill`` from a CSV (the prerequisite first).

    Raises :class:`~sounding.errors.InvalidEvidence` naming the line of a blank skill and
    :class:`~sounding.errors.InvalidInput` when the columns are missing.
    """
    from sounding.errors import InvalidEvidence, Problem

    df = frame if frame is not None else pd.read_csv(path, dtype=str)
    cols = [c for c in ("from_skill", "to_skill") if c not in df.columns]
    if cols:
        raise InvalidInput(f"{path}: missing column(s) {', '.join(cols)} "
                           "(expected from_skill,to_skill)")
    problems = []
    for r, (a, b) in enumerate(zip(df["from_skill"], df["to_skill"], strict=True)):
        for name, v in (("from_skill", a), ("to_skill", b)):
            if v is None or pd.isna(v) or not str(v).strip():
                problems.append(Problem(path, r + 2, name, "missing skill"))
    if problems:
        raise InvalidEvidence(problems[:1000])
    return [(str(a).strip(), str(b).strip())
            for a, b in zip(df["from_skill"], df["to_skill"], strict=True)]


@dataclass
class LogisticState:
    """One student's history as the counts the model reads (the online state).

    ``p_mastered`` and ``sd`` are the readout after the answers so far, per skill.
    """

    grade: int | None
    wins: np.ndarray
    fails: np.ndarray
    recent: np.ndarray
    total: np.ndarray  # [right, wrong, recency-weighted sum]
    theta: float
    precision: float
    skills: tuple[Any, ...]
    p_mastered: np.ndarray
    sd: np.ndarray
    items: dict[Any, list[float]] = field(default_factory=dict)

    def p(self, skill: Any) -> float:
        return float(self.p_mastered[self.skills.index(skill)])

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"skill_name": list(self.skills), "p_mastered": self.p_mastered,
                             "sd": self.sd, "n_evidence": (self.wins + self.fails)})


@dataclass
class _Prepared:
    """Answers sorted by (student, order) with codes, and their per-attempt counts."""

    perm: np.ndarray          # sorted position -> input row
    users: pd.Index
    user_ptr: np.ndarray
    user: np.ndarray          # sorted, code
    skill: np.ndarray
    item: np.ndarray
    correct: np.ndarray
    new_attempt: np.ndarray
    row_attempt: np.ndarray
    row_w: np.ndarray
    row_f: np.ndarray
    row_recent: np.ndarray
    counts: np.ndarray
    bucket: np.ndarray        # per attempt, -1 unknown
    att_user: np.ndarray


class LogisticMastery:
    """Feature-based logistic learner model (IRT, PFA or Best-LR), scikit-learn style.

    ``__init__`` only stores the hyper-parameters; :meth:`fit` learns ``coef_`` and
    ``params_``.

    Parameters
    ----------
    features : {"best-lr", "pfa", "irt"}
        The model (see the module docstring).
    graph : StandardsGraph, optional
        A progression: skills that are its codes get their grade, strand, prerequisites and
        successors from it (sub-standards roll up to their standard), and every standard of
        it gets a readout.
    prerequisites : iterable of (from_skill, to_skill), optional
        Prerequisite edges for data whose skills are not progression codes (or in place of
        the graph's).
    use_prerequisites : bool
        Use the prerequisite and successor counts when edges are known (off: the same model
        without them, to measure what the edges add).
    C : float
        Variance of the Gaussian prior on the coefficients (larger = weaker penalty).
    max_iter : int
        Newton iterations at most.
    guess, slip : float
        The link from P(correct) on a typical item to P(mastered).
    prior_sd : float
        Prior sd of a student's log-odds on a skill, before the student's own answers on it.
    """

    def __init__(self, features: str = "best-lr", *, graph: Any = None,
                 prerequisites: Iterable[tuple[Any, Any]] | None = None,
                 use_prerequisites: bool = True, C: float = 1.0, max_iter: int = 100,
                 guess: float = 0.2, slip: float = 0.1, prior_sd: float = 1.0,
                 decay: float = 0.7) -> None:
        self.features = features
        self.graph = graph
        self.prerequisites = prerequisites
        self.use_prerequisites = use_prerequisites
        self.C = C
        self.max_iter = max_iter
        self.guess = guess
        self.slip = slip
        self.prior_sd = prior_sd
        self.decay = decay

    _PARAMS = ("features", "graph", "prerequisites", "use_prerequisites", "C", "max_iter",
               "guess", "slip", "prior_sd", "decay")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._PARAMS}

    def set_params(self, **params: Any) -> LogisticMastery:
        for k, v in params.items():
            if k not in self._PARAMS:
                raise InvalidInput(f"LogisticMastery has no parameter {k!r}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        return f"LogisticMastery(features={self.features!r}, C={self.C!r})"

    # ------------------------------------------------------------------ set-up
    def _check_args(self) -> None:
        if self.features not in FEATURE_SETS:
            raise InvalidInput(f"unknown feature set {self.features!r}; choose one of "
                               + ", ".join(FEATURE_SETS))
        if not self.C > 0 or not self.prior_sd > 0:
            raise InvalidInput("C and prior_sd must be positive")
        if not (0 <= self.guess < 1 and 0 <= self.slip < 1 and self.guess + self.slip < 1):
            raise InvalidInput("guess and slip must be probabilities with guess + slip < 1")

    def _check_fitted(self) -> pd.DataFrame:
        if not hasattr(self, "coef_"):
            raise NotFitted(f"this {self.features} model is not fitted yet")
        return self.params_

    def _rollup(self, skills: pd.Series) -> pd.Series:
        g = self.graph
        if g is None:
            return skills
        std = set(g.standard_codes)

        def up(c: Any) -> Any:
            s = str(c)
            return g.rollup(s) if s in g and g.rollup(s) in std else c

        uniq = pd.unique(skills)
        return skills.map(dict(zip(uniq, [up(c) for c in uniq], strict=True)))

    def _structure(self, skills: pd.Index) -> None:
        """Skill grades, strands and the prerequisite CSR over ``skills``."""
        K = len(skills)
        idx = {s: i for i, s in enumerate(skills)}
        g = self.graph
        grade = np.full(K, -1, dtype=np.int64)
        strand = np.full(K, -1, dtype=np.int64)
        strands: list[str] = []
        edges: list[tuple[Any, Any]] = []
        if g is not None:
            for s, i in idx.items():
                if str(s) in g:
                    st = g[g.rollup(str(s))]
                    grade[i] = min(st.grade_num, 9)
                    if st.strand not in strands:
                        strands.append(st.strand)
                    strand[i] = strands.index(st.strand)
            edges = list(g.edges("standard"))
        if self.prerequisites is not None:
            edges = [(a, b) for a, b in self.prerequisites]
        pairs = [(idx[a], idx[b]) for a, b in edges if a in idx and b in idx and a != b]
        if not self.use_prerequisites:
            pairs = []
        self.n_edges_ = len(pairs)
        pre = sp.csr_matrix((np.ones(len(pairs)), ([b for _, b in pairs], [a for a, _ in pairs])),
                            shape=(K, K))
        pre.data[:] = 1.0
        self._pre = pre            # pre[k, p] = 1 if p is a prerequisite of k
        self._suc = pre.T.tocsr()  # suc[k, s] = 1 if s rests on k
        self._grade = grade
        self._strand = strand
        self.strands_ = tuple(strands)

    # ------------------------------------------------------------------ data
    def _prepare(self, responses: pd.DataFrame, grades: Any, source: str,
                 fitting: bool) -> _Prepared:
        df = validate_responses(responses, source=source, allow_empty=not fitting)
        skills_col = self._rollup(df["skill_name"])
        if fitting:
            uniq = pd.Index(pd.unique(skills_col))
            if self.graph is not None:
                uniq = uniq.append(pd.Index([c for c in self.graph.standard_codes
                                             if c not in set(uniq)]))
            try:
                uniq = uniq.sort_values()
            except TypeError:
                pass
            self.skills_ = uniq
            self._structure(uniq)
            if "problem_id" in df.columns and self.features != "pfa":
                self.items_ = pd.Index(pd.unique(df["problem_id"].dropna()))
            else:
                self.items_ = pd.Index([])
        skill = self.skills_.get_indexer(skills_col)
        if (skill < 0).any():
            from sounding.errors import InvalidEvidence
            from sounding.mastery.responses import MAX_PROBLEMS, Where, _problems, _show

            names = skills_col.to_numpy()
            raise InvalidEvidence(_problems(
                Where(df, source), np.flatnonzero(skill < 0)[:MAX_PROBLEMS], "skill_name",
                lambda r: f"unknown skill {_show(names[r])}: not in the fitted model"))
        if "problem_id" in df.columns and len(self.items_):
            item = self.items_.get_indexer(df["problem_id"])
            prob = df["problem_id"].to_numpy()
        else:
            item = np.full(len(df), -1, dtype=np.int64)
            prob = None
        ucode, users = pd.factorize(df["user_id"])
        order = df["order_id"].to_numpy()
        perm = np.lexsort((np.arange(len(df)), order, ucode))
        u = ucode[perm].astype(np.int64)
        s = skill[perm].astype(np.int64)
        it = item[perm].astype(np.int64)
        y = df["correct"].to_numpy()[perm].astype(np.int8)
        new = np.ones(len(df), dtype=np.bool_)
        if len(df) > 1:
            same = (u[1:] == u[:-1]) & (s[1:] != s[:-1])
            if prob is not None:
                pp = pd.Series(prob[perm])
                same &= (pp.iloc[1:].to_numpy() == pp.iloc[:-1].to_numpy()) & \
                    pp.iloc[1:].notna().to_numpy()
            else:
                same &= False
            new[1:] = ~same
        user_ptr = np.searchsorted(u, np.arange(len(users) + 1)).astype(np.int64)
        pre_ptr, pre_idx = self._pre.indptr.astype(np.int64), self._pre.indices.astype(np.int64)
        suc_ptr, suc_idx = self._suc.indptr.astype(np.int64), self._suc.indices.astype(np.int64)
        row_attempt, row_w, row_f, row_recent, counts = _kern.history_counts(
            user_ptr, s, it, y, new, len(self.skills_), len(self.items_), pre_ptr, pre_idx,
            suc_ptr, suc_idx, self._strand, len(self.strands_), float(self.decay))
        gmap = _grades(grades)
        first = np.flatnonzero(new)
        att_user = u[first]
        bucket = np.full(len(first), -1, dtype=np.int64)
        if gmap and (self._grade >= 0).any():
            ug = np.array([gmap.get(x, -1) for x in users], dtype=np.int64)
            sg = self._grade[s[first]]
            ok = (ug[att_user] >= 0) & (sg >= 0)
            bucket[ok] = np.clip(ug[att_user][ok] - sg[ok], -2, 4) + 2
        return _Prepared(perm, pd.Index(users), user_ptr, u, s, it, y, new, row_attempt,
                         row_w, row_f, row_recent, counts, bucket, att_user)

    # ------------------------------------------------------------------ design
    def _layout(self) -> dict[str, int]:
        """Column offsets of the design matrix."""
        K, n_items = len(self.skills_), len(self.items_)
        lay: dict[str, int] = {}
        col = 0
        lay["item"] = col
        col += n_items if self.features in ("irt", "best-lr") else 0
        lay["skill"] = col
        col += K
        lay["skill_w"] = col
        col += K if self.features in ("pfa", "best-lr") else 0
        lay["skill_f"] = col
        col += K if self.features in ("pfa", "best-lr") else 0
        lay["dense"] = col
        col += len(self._dense_names())
        lay["bucket"] = col
        col += N_BUCKETS if (self.features == "best-lr" and (self._grade >= 0).any()) else 0
        lay["n"] = col
        return lay

    def _dense_names(self) -> list[str]:
        if self.features != "best-lr":
            return []
        names = ["total_right", "total_wrong", "item_right", "item_wrong", "skill_right",
                 "skill_wrong", "skill_recent", "total_recent"]
        if self.n_edges_:
            names += ["prerequisites_right", "prerequisites_wrong", "successors_right",
                      "successors_wrong"]
        if self.strands_:
            names += ["strand_right", "strand_wrong"]
        return names

    def _design(self, d: _Prepared) -> sp.csr_matrix:
        lay = self._layout()
        n_att = d.counts.shape[0]
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []

        def put(r: np.ndarray, c: np.ndarray, v: np.ndarray) -> None:
            rows.append(r)
            cols.append(c)
            vals.append(np.broadcast_to(np.asarray(v, dtype=float), r.shape))

        ra = d.row_attempt
        if self.features in ("irt", "best-lr") and len(self.items_):
            first = np.flatnonzero(d.new_attempt)
            it = d.item[first]
            ok = it >= 0
            put(np.arange(n_att)[ok], lay["item"] + it[ok], 1.0)
        put(ra, lay["skill"] + d.skill, 1.0)
        size = np.bincount(ra, minlength=n_att).astype(float)
        if self.features == "pfa":
            put(ra, lay["skill_w"] + d.skill, d.row_w)
            put(ra, lay["skill_f"] + d.skill, d.row_f)
        elif self.features == "best-lr":
            lw, lf = np.log1p(d.row_w), np.log1p(d.row_f)
            put(ra, lay["skill_w"] + d.skill, lw)
            put(ra, lay["skill_f"] + d.skill, lf)
            c = np.log1p(np.maximum(d.counts, 0.0))
            dense = [c[:, _kern.TOTAL_W], c[:, _kern.TOTAL_F], c[:, _kern.ITEM_W],
                     c[:, _kern.ITEM_F],
                     np.bincount(ra, weights=lw, minlength=n_att) / size,
                     np.bincount(ra, weights=lf, minlength=n_att) / size,
                     np.bincount(ra, weights=d.row_recent, minlength=n_att) / size,
                     d.counts[:, _kern.TOTAL_RECENT]]
            if self.n_edges_:
                dense += [c[:, _kern.PRE_W], c[:, _kern.PRE_F], c[:, _kern.SUC_W],
                          c[:, _kern.SUC_F]]
            if self.strands_:
                dense += [c[:, _kern.STRAND_W], c[:, _kern.STRAND_F]]
            ar = np.arange(n_att)
            for j, v in enumerate(dense):
                nz = v != 0
                put(ar[nz], np.full(int(nz.sum()), lay["dense"] + j), v[nz])
            if lay["n"] > lay["bucket"]:
                ok = d.bucket >= 0
                put(ar[ok], lay["bucket"] + d.bucket[ok], 1.0)
        if not rows:
            return sp.csr_matrix((n_att, lay["n"]))
        return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                     np.concatenate(cols))),
                             shape=(n_att, lay["n"]))

    # ------------------------------------------------------------------ fitting
    def fit(self, responses: pd.DataFrame, grades: Any = None, *,
            source: str = "<responses>") -> LogisticMastery:
        """Learn the coefficients from answers (``user_id, skill_name, correct, order_id``;
        ``problem_id`` optional; ``grades`` optional: each student's grade)."""
        self._check_args()
        d = self._prepare(responses, grades, source, fitting=True)
        X = self._design(d)
        n_att = X.shape[0]
        y = np.bincount(d.row_attempt, weights=d.correct.astype(float), minlength=n_att) / \
            np.bincount(d.row_attempt, minlength=n_att)
        if self.features == "irt":  # one ability per training student
            U = sp.csr_matrix((np.ones(n_att), (np.arange(n_att), d.att_user)),
                              shape=(n_att, len(d.users)))
            X = sp.hstack([X, U], format="csr")
        lay = self._layout()
        mu = np.zeros(X.shape[1])
        if lay["n"] > lay["bucket"]:
            # the grade offsets' prior means are the graph model's no-data defaults: a
            # standard one or more grades ahead is taught to nobody in grade-level data, so
            # the data cannot say it is unknown; the prior does (it is overruled by evidence)
            from sounding.mastery.graph_model import DEFAULT_OFFSETS

            mu[lay["bucket"]:lay["n"]] = DEFAULT_OFFSETS
        beta, b0, info = _fit_logistic(X, y, self.C, int(self.max_iter), mu)
        self.intercept_ = b0
        self.coef_ = beta[:lay["n"]]
        self.n_iter_ = info["nit"]
        self.objective_ = info["loss"]  # penalised negative log-likelihood at the optimum
        eta = X @ beta + b0
        self.log_likelihood_ = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
        self.n_attempts_ = int(n_att)
        if self.features == "irt":
            theta = beta[lay["n"]:]
            self.ability_sd_ = float(max(np.std(theta), 0.3))
        # a skill's typical item: the mean easiness of the items answered on it
        K = len(self.skills_)
        typical = np.zeros(K)
        if len(self.items_) and self.features in ("irt", "best-lr"):
            it = d.item
            ok = it >= 0
            e = self.coef_[lay["item"] + it[ok]]
            n = np.bincount(d.skill[ok], minlength=K)
            typical = np.where(n > 0, np.bincount(d.skill[ok], weights=e, minlength=K)
                               / np.maximum(n, 1), 0.0)
        self._typical = typical
        self.params_ = self._params_frame(np.bincount(d.skill, minlength=K))
        return self

    def _params_frame(self, n_answers: np.ndarray) -> pd.DataFrame:
        lay = self._layout()
        K = len(self.skills_)
        c = self.coef_
        out = pd.DataFrame({
            "easiness": self.intercept_ + c[lay["skill"]:lay["skill"] + K] + self._typical,
            "right": (c[lay["skill_w"]:lay["skill_w"] + K]
                      if lay["skill_f"] > lay["skill_w"] else np.zeros(K)),
            "wrong": (c[lay["skill_f"]:lay["skill_f"] + K]
                      if lay["dense"] > lay["skill_f"] else np.zeros(K)),
            "n_answers": n_answers,
        }, index=pd.Index(self.skills_, name="skill_name"))
        if self.strands_:
            out["strand"] = [self.strands_[s] if s >= 0 else None for s in self._strand]
        return out

    def coefficients(self) -> pd.Series:
        """The shared coefficients by name (per-skill ones are in ``params_``)."""
        self._check_fitted()
        lay = self._layout()
        names = ["intercept"] + self._dense_names()
        vals = [self.intercept_] + list(self.coef_[lay["dense"]:lay["bucket"]])
        if lay["n"] > lay["bucket"]:
            from sounding.mastery.graph_model import OFFSET_LABELS

            names += [f"grade: {lab}" for lab in OFFSET_LABELS]
            vals += list(self.coef_[lay["bucket"]:lay["n"]])
        return pd.Series(vals, index=names, dtype=float)

    # ------------------------------------------------------------------ prediction
    def predict_proba(self, responses: pd.DataFrame, grades: Any = None, *,
                      source: str = "<responses>") -> np.ndarray:
        """P(correct) of every answer from the same student's earlier answers only."""
        self._check_fitted()
        d = self._prepare(responses, grades, source, fitting=False)
        if len(d.perm) == 0:
            return np.zeros(0)
        if self.features == "irt":
            X = self._design(d)
            e_att = self.intercept_ + X @ self.coef_
            eta_rows, _, _ = _kern.online_rasch(d.user_ptr, e_att[d.row_attempt], d.correct,
                                                d.new_attempt, self.ability_sd_ ** 2)
            p_sorted = expit(eta_rows)
        else:
            X = self._design(d)
            p_sorted = expit(self.intercept_ + X @ self.coef_)[d.row_attempt]
        out = np.empty(len(d.perm))
        out[d.perm] = p_sorted
        return out

    # ------------------------------------------------------------------ mastery readout
    def posterior(self, responses: pd.DataFrame, grades: Any = None, *,
                  source: str = "<responses>") -> pd.DataFrame:
        """P(mastered) and its sd for every student x every skill of the model.

        Students listed in ``grades`` without answers get the readout of no evidence.
        Returns ``user_id, skill_name, p_mastered, sd, n_evidence``.
        """
        self._check_fitted()
        d = self._prepare(responses, grades, source, fitting=False)
        gmap = _grades(grades)
        users = list(d.users) + [u for u in gmap if u not in set(d.users)]
        U, K = len(users), len(self.skills_)
        W = np.zeros((U, K))
        F = np.zeros((U, K))
        np.add.at(W, (d.user, d.skill), d.correct == 1)
        np.add.at(F, (d.user, d.skill), d.correct == 0)
        first = np.flatnonzero(d.new_attempt)
        tot = np.zeros((U, 3))
        np.add.at(tot, (d.user[first], np.where(d.correct[first] == 1, 0, 1)), 1.0)
        R = np.zeros((U, K))
        if self.features == "best-lr" and len(d.user):
            sign = 2.0 * d.correct - 1.0
            age = pd.DataFrame({"u": d.user, "k": d.skill}).groupby(
                ["u", "k"]).cumcount(ascending=False).to_numpy()
            np.add.at(R, (d.user, d.skill), sign * float(self.decay) ** age)
            age_t = pd.Series(d.user[first]).groupby(d.user[first]).cumcount(
                ascending=False).to_numpy()
            np.add.at(tot[:, 2], d.user[first], sign[first] * float(self.decay) ** age_t)
        grade = np.array([gmap.get(u, -1) for u in users], dtype=np.int64)
        theta = prec = None
        if self.features == "irt":
            X = self._design(d)
            e_att = self.intercept_ + X @ self.coef_
            _, th, pr = _kern.online_rasch(d.user_ptr, e_att[d.row_attempt], d.correct,
                                           d.new_attempt, self.ability_sd_ ** 2)
            theta = np.zeros(U)
            prec = np.full(U, 1.0 / self.ability_sd_ ** 2)
            theta[:len(th)] = th
            prec[:len(pr)] = pr
        P, SD = self._readout(W, F, R, tot, grade, theta, prec)
        return pd.DataFrame({
            "user_id": np.repeat(np.asarray(users, dtype=object), K),
            "skill_name": np.tile(np.asarray(self.skills_, dtype=object), U),
            "p_mastered": P.ravel(),
            "sd": SD.ravel(),
            "n_evidence": (W + F).ravel().astype(np.int64),
        })

    def _eta(self, W: np.ndarray, F: np.ndarray, R: np.ndarray, tot: np.ndarray,
             grade: np.ndarray, theta: np.ndarray | None) -> np.ndarray:
        """Log-odds of a right answer on each skill's typical, new item (users x skills)."""
        lay = self._layout()
        K = len(self.skills_)
        c = self.coef_
        eta = np.broadcast_to(self.intercept_ + c[lay["skill"]:lay["skill"] + K]
                              + self._typical, W.shape).copy()
        if self.features == "irt":
            return eta + theta[:, None]
        if self.features == "pfa":
            return eta + c[lay["skill_w"]:lay["skill_w"] + K] * W \
                + c[lay["skill_f"]:lay["skill_f"] + K] * F
        lw, lf = np.log1p(W), np.log1p(F)
        eta += c[lay["skill_w"]:lay["skill_w"] + K] * lw + c[lay["skill_f"]:lay["skill_f"] + K] * lf
        dense = dict(zip(self._dense_names(), c[lay["dense"]:lay["bucket"]], strict=True))
        lt = np.log1p(tot[:, :2])
        eta += dense["total_right"] * lt[:, :1] + dense["total_wrong"] * lt[:, 1:2]
        eta += dense["skill_right"] * lw + dense["skill_wrong"] * lf
        eta += dense["skill_recent"] * R + dense["total_recent"] * tot[:, 2:3]
        if self.n_edges_:
            eta += dense["prerequisites_right"] * np.log1p((self._pre @ W.T).T)
            eta += dense["prerequisites_wrong"] * np.log1p((self._pre @ F.T).T)
            eta += dense["successors_right"] * np.log1p((self._suc @ W.T).T)
            eta += dense["successors_wrong"] * np.log1p((self._suc @ F.T).T)
        if self.strands_:
            S = len(self.strands_)
            has = self._strand >= 0
            M = sp.csr_matrix((np.ones(int(has.sum())), (np.flatnonzero(has),
                                                         self._strand[has])), shape=(K, S))
            sw = np.asarray(W @ M)[:, np.maximum(self._strand, 0)] * has
            sf = np.asarray(F @ M)[:, np.maximum(self._strand, 0)] * has
            eta += dense["strand_right"] * np.log1p(sw) + dense["strand_wrong"] * np.log1p(sf)
        if lay["n"] > lay["bucket"]:
            b = np.clip(grade[:, None] - self._grade[None, :], -2, 4) + 2
            ok = (grade[:, None] >= 0) & (self._grade[None, :] >= 0)
            eta += np.where(ok, c[lay["bucket"] + b], 0.0)
        return eta

    def _readout(self, W: np.ndarray, F: np.ndarray, R: np.ndarray, tot: np.ndarray,
                 grade: np.ndarray, theta: np.ndarray | None, prec: np.ndarray | None
                 ) -> tuple[np.ndarray, np.ndarray]:
        eta = self._eta(W, F, R, tot, grade, theta)
        if self.features == "irt":
            sd = np.broadcast_to((1.0 / np.sqrt(prec))[:, None], eta.shape)
        else:
            p = expit(eta)
            sd = 1.0 / np.sqrt(1.0 / self.prior_sd ** 2 + (W + F) * p * (1.0 - p))
        g, s = float(self.guess), float(self.slip)
        m1 = np.zeros_like(eta)
        m2 = np.zeros_like(eta)
        for x, w in zip(_GH_X, _GH_W, strict=True):
            m = np.clip((expit(eta + sd * x) - g) / (1.0 - g - s), 0.0, 1.0)
            m1 += w * m
            m2 += w * m * m
        return m1, np.sqrt(np.maximum(m2 - m1 * m1, 0.0))

    # ------------------------------------------------------------------ online
    def initial_state(self, grade: int | str | None = None) -> LogisticState:
        """A student with no answers yet (``grade`` optional: K..8 / HS)."""
        self._check_fitted()
        K = len(self.skills_)
        gnum = None if grade is None else _grade_num(grade)
        prior = self.ability_sd_ ** -2 if self.features == "irt" else 0.0
        return self._state(gnum, np.zeros(K), np.zeros(K), np.zeros(K), np.zeros(3), 0.0,
                           prior, {})

    def _state(self, grade: int | None, W: np.ndarray, F: np.ndarray, R: np.ndarray,
               tot: np.ndarray, theta: float, prec: float, items: dict[Any, list[float]]
               ) -> LogisticState:
        g = np.array([-1 if grade is None else grade])
        P, SD = self._readout(W[None, :], F[None, :], R[None, :], tot[None, :], g,
                              np.array([theta]), np.array([prec]))
        return LogisticState(grade, W, F, R, tot, theta, prec, tuple(self.skills_), P[0],
                             SD[0], items)

    def predict_correct(self, state: LogisticState, skill: Any, item: Any = None) -> float:
        """P(the next answer on ``skill`` (and ``item``) is right) given the state."""
        return float(expit(self._next_eta(state, skill, item)))

    def _next_eta(self, state: LogisticState, skill: Any, item: Any) -> float:
        k = self._skill_index(skill)
        lay = self._layout()
        c = self.coef_
        g = np.array([-1 if state.grade is None else state.grade])
        W, F, R = state.wins[None, :], state.fails[None, :], state.recent[None, :]
        eta = self._eta(W, F, R, state.total[None, :], g, np.array([state.theta]))[0, k]
        eta -= self._typical[k]
        if item is not None and self.features != "pfa" and item in self.items_:
            eta += c[lay["item"] + self.items_.get_loc(item)]
            if self.features == "best-lr":
                iw, ifl = state.items.get(item, [0.0, 0.0])
                dense = dict(zip(self._dense_names(), c[lay["dense"]:lay["bucket"]],
                                 strict=True))
                eta += dense["item_right"] * np.log1p(iw) + dense["item_wrong"] * np.log1p(ifl)
        return float(eta)

    def update(self, state: LogisticState, skill: Any, correct: bool | int,
               item: Any = None) -> LogisticState:
        """The state after one more answer (O(skills) for the readout)."""
        k = self._skill_index(skill)
        ok = bool(correct)
        W, F, tot = state.wins.copy(), state.fails.copy(), state.total.copy()
        R = state.recent.copy()
        theta, prec = state.theta, state.precision
        if self.features == "irt":
            p = expit(self._next_eta(state, skill, item))
            prec += p * (1.0 - p)
            theta += (float(ok) - p) / prec
        (W if ok else F)[k] += 1.0
        tot[0 if ok else 1] += 1.0
        R[k] = float(self.decay) * R[k] + (1.0 if ok else -1.0)
        tot[2] = float(self.decay) * tot[2] + (1.0 if ok else -1.0)
        items = {k2: list(v) for k2, v in state.items.items()}
        if item is not None:
            items.setdefault(item, [0.0, 0.0])[0 if ok else 1] += 1.0
        return self._state(state.grade, W, F, R, tot, theta, prec, items)

    def _skill_index(self, skill: Any) -> int:
        self._check_fitted()
        s = skill
        if self.graph is not None and str(s) in self.graph:
            up = self.graph.rollup(str(s))
            s = up if up in self.skills_ else s
        if s not in self.skills_:
            raise InvalidInput(f"unknown skill {skill!r}: not in the fitted model")
        return int(self.skills_.get_loc(s))


def _fit_logistic(X: sp.csr_matrix, y: np.ndarray, C: float, max_iter: int,
                  mu: np.ndarray | None = None, *, tol: float = 1e-3, max_cg: int = 100
                  ) -> tuple[np.ndarray, float, dict[str, Any]]:
    """L2-penalised logistic regression by Newton-CG (intercept unpenalised).

    Minimises ``sum(softplus(eta) - y eta) + |beta - mu|^2 / (2 C)``: the MAP estimate under
    a N(mu, C) prior on every coefficient (``mu = 0``: scikit-learn's
    ``LogisticRegression(C=C)``). Truncated Newton (as scikit-learn's ``newton-cg`` and
    LIBLINEAR's TRON): each step solves ``H d = -g`` by conjugate gradients with
    Hessian-vector products (``X' D X v``, never the Hessian itself), preconditioned by the
    Hessian's diagonal, to a residual that tightens as the gradient shrinks; then a
    backtracking line search. It stops when the gradient norm has fallen by ``tol``. It
    converges in about 10-20 steps where L-BFGS needed hundreds: item one-hot columns nested
    in skill columns make the problem badly conditioned.
    """
    n, m = X.shape
    Xt = X.T.tocsr()
    mu = np.zeros(m) if mu is None else mu
    cache: dict[str, Any] = {}

    def probs(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if cache.get("w") is None or not np.array_equal(cache["w"], w):
            eta = X @ w[1:] + w[0]
            cache.update(w=w.copy(), eta=eta, p=expit(eta))
        return cache["eta"], cache["p"]

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        eta, p = probs(w)
        beta = w[1:]
        loss = float(np.sum(np.logaddexp(0.0, eta) - y * eta))
        r = p - y
        grad = np.empty_like(w)
        grad[0] = r.sum()
        grad[1:] = Xt @ r + (beta - mu) / C
        return loss + float((beta - mu) @ (beta - mu)) / (2.0 * C), grad

    def hessp(w: np.ndarray, v: np.ndarray) -> np.ndarray:
        _, p = probs(w)
        du = p * (1.0 - p) * (X @ v[1:] + v[0])
        out = np.empty_like(v)
        out[0] = du.sum()
        out[1:] = Xt @ du + v[1:] / C
        return out

    w = np.zeros(m + 1)
    w[1:] = mu
    ybar = float(np.clip(y.mean(), 1e-3, 1 - 1e-3)) if n else 0.5
    w[0] = np.log(ybar / (1 - ybar))
    # Jacobi preconditioner: the Hessian's diagonal at p(1 - p) <= 1/4
    sq = X.multiply(X) if n else X
    diag = np.concatenate([[0.25 * n + 1e-9],
                           0.25 * np.asarray(sq.sum(axis=0)).ravel() + 1.0 / C])
    loss, g = f(w)
    g0 = float(np.linalg.norm(g))
    nit = 0
    while nit < max_iter:
        gn = float(np.linalg.norm(g))
        if gn <= tol * max(g0, 1.0):
            break
        nit += 1
        # preconditioned conjugate gradients on H d = -g, to a relative residual
        d = np.zeros_like(w)
        r = -g
        z = r / diag
        q = z.copy()
        rz = float(r @ z)
        stop = min(0.5, np.sqrt(gn / max(g0, 1e-300))) * gn
        for _ in range(max_cg):
            hq = hessp(w, q)
            curv = float(q @ hq)
            if curv <= 0:
                break
            alpha = rz / curv
            d += alpha * q
            r -= alpha * hq
            if float(np.linalg.norm(r)) <= stop:
                break
            z = r / diag
            rz_new = float(r @ z)
            q = z + (rz_new / rz) * q
            rz = rz_new
        if not d.any():
            d = -g / diag
        # backtracking (Armijo) line search
        step, slope = 1.0, float(g @ d)
        while True:
            new_loss, new_g = f(w + step * d)
            if new_loss <= loss + 1e-4 * step * slope or step < 1e-8:
                break
            step *= 0.5
        w = w + step * d
        loss, g = new_loss, new_g
    return w[1:], float(w[0]), {"nit": int(nit), "loss": float(loss)}


def _grade_num(g: Any) -> int:
    from sounding.mastery.graph_model import _grade_num as gn

    return gn(g)


def _grades(grades: Any) -> dict[Any, int]:
    if grades is None:
        return {}
    if isinstance(grades, Mapping) and not grades:
        return {}
    from sounding.mastery.graph_model import _grades_mapping

    return _grades_mapping(grades)
