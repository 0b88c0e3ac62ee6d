"""Bayesian Knowledge Tracing (Corbett & Anderson 1995), fitted per skill by EM.

Each skill has a two-state hidden Markov model: a student either has mastered it or not.
``prior`` is P(mastered) before the first answer, ``learn`` P(not mastered -> mastered) after
each answer, ``forget`` the reverse (0 unless ``forget=True``), ``guess`` P(correct | not
mastered) and ``slip`` P(wrong | mastered). This is the model pyBKT fits, and the columns are
pyBKT's (``user_id, skill_name, correct, order_id``), so its data work here unchanged.

Why it is built this way:

* EM (Baum-Welch) with random restarts, keeping the restart with the best log-likelihood: the
  BKT likelihood has local optima (notably "guess high, slip high" solutions that explain the
  data with a meaningless mastered state).
* ``guess`` and ``slip`` are kept below 0.5 (clipped in the M-step: each parameter's EM
  objective is concave and separable, so clipping gives the constrained optimum) and a weak
  Beta prior (``prior_strength`` pseudo-answers, MAP-EM) keeps tiny skills off the 0/1 edges.
  Without these, a fitted "mastered" state can mean *more* likely to be wrong.
* Speed: without forgetting, "mastered" is absorbing, so the E-step is an exact closed form
  over the answer at which each student became a master (one multiply per answer, no
  forward-backward); EM is accelerated with SQUAREM; skills run in parallel
  (:mod:`sounding.mastery._bkt_kernels`). Data preparation is a counting sort
  (:mod:`sounding.mastery.responses`). One million answers, five restarts, fit in a few
  tenths of a second on two cores, more than ten times faster than pyBKT's C++ build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numba
import numpy as np
import pandas as pd

from sounding.errors import InvalidInput, NotFitted
from sounding.mastery import _bkt_kernels as _kern
from sounding.mastery.responses import EncodedResponses, encode_responses, validate_responses

PARAM_NAMES: tuple[str, ...] = ("prior", "learn", "guess", "slip", "forget")
"""Columns of :attr:`BKT.params_`."""

# kernel column order -> public column order
_KERNEL_ORDER = {"prior": _kern.PRIOR, "learn": _kern.LEARN, "forget": _kern.FORGET,
                 "guess": _kern.GUESS, "slip": _kern.SLIP}

_EPS = 1e-6
# Centre of the weak Beta prior (MAP-EM). Typical skill-builder fits; they matter only when a
# skill has a handful of answers, where they keep the estimates interior and sensible.
_PRIOR_CENTRE = {"prior": 0.5, "learn": 0.1, "forget": 0.02, "guess": 0.2, "slip": 0.1}
# The deterministic first start; the other restarts are random.
_DEFAULT_START = {"prior": 0.5, "learn": 0.1, "forget": 0.02, "guess": 0.2, "slip": 0.1}


def _kernel_vector(values: Mapping[str, float]) -> np.ndarray:
    out = np.empty(_kern.N_PARAMS)
    for name, j in _KERNEL_ORDER.items():
        out[j] = values[name]
    return out


def _balanced_tasks(sizes: np.ndarray, n_tasks: int) -> tuple[np.ndarray, np.ndarray]:
    """Split skills into ``n_tasks`` lists of similar total size (largest first, greedy).

    ``prange`` hands each worker a contiguous block of iterations, so without balancing one
    worker could get all the big skills of a real data set while the other idles.
    """
    n_tasks = max(1, min(n_tasks, len(sizes)))
    load = np.zeros(n_tasks)
    members: list[list[int]] = [[] for _ in range(n_tasks)]
    for k in np.argsort(-sizes, kind="stable"):
        j = int(np.argmin(load))
        members[j].append(int(k))
        load[j] += sizes[k] + 1
    ptr = np.zeros(n_tasks + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(m) for m in members])
    flat = np.array([k for m in members for k in m], dtype=np.int64)
    return ptr, flat


class BKT:
    """Bayesian Knowledge Tracing, one parameter set per skill, scikit-learn style.

    Parameters
    ----------
    n_restarts : int, default 5
        EM starts per skill (the first from typical values, the rest random); the one with the
        highest log-likelihood is kept.
    max_iter : int, default 100
        E-steps per start at most.
    tol : float, default 1e-4
        Stop a start when an EM step moves no parameter by ``tol`` or more. A criterion on
        the parameters (rather than on the log-likelihood, whose scale grows with the data)
        means the same for a skill with 100 answers and one with 100,000.
    forget : bool, default False
        Also fit P(mastered -> not mastered). Classic BKT assumes no forgetting.
    random_state : int or None
        Seed for the random starts.
    max_guess, max_slip : float, default 0.5
        Upper bounds (exclusive) on guess and slip: above 0.5 the "mastered" state would no
        longer mean "more likely to answer correctly".
    prior_strength : float, default 2.0
        Weight, in pseudo-answers, of the weak Beta prior on every parameter (0 = plain
        maximum likelihood).
    known_skills : iterable, optional
        If given, :meth:`fit` rejects skills outside it (e.g. codes that are not standards).

    Attributes
    ----------
    params_ : DataFrame
        Indexed by skill; columns ``prior, learn, guess, slip, forget``.
    log_likelihood_ : Series
        Best log-likelihood per skill.
    n_iter_ : Series
        E-steps of the kept start, per skill.
    restarts_ : DataFrame
        Every start's log-likelihood and iterations (to see how often restarts disagree).
    """

    def __init__(
        self,
        *,
        n_restarts: int = 5,
        max_iter: int = 100,
        tol: float = 1e-4,
        forget: bool = False,
        random_state: int | None = None,
        max_guess: float = 0.5,
        max_slip: float = 0.5,
        prior_strength: float = 2.0,
        known_skills: Iterable[object] | None = None,
    ) -> None:
        self.n_restarts = n_restarts
        self.max_iter = max_iter
        self.tol = tol
        self.forget = forget
        self.random_state = random_state
        self.max_guess = max_guess
        self.max_slip = max_slip
        self.prior_strength = prior_strength
        self.known_skills = known_skills

    # ------------------------------------------------------------------ sklearn plumbing
    _PARAMS = ("n_restarts", "max_iter", "tol", "forget", "random_state", "max_guess",
               "max_slip", "prior_strength", "known_skills")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments (scikit-learn convention, so the model can be cloned)."""
        return {k: getattr(self, k) for k in self._PARAMS}

    def set_params(self, **params: Any) -> BKT:
        for k, v in params.items():
            if k not in self._PARAMS:
                raise InvalidInput(f"BKT has no parameter {k!r}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._PARAMS[:5])
        return f"BKT({args})"

    def _check_args(self) -> None:
        if int(self.n_restarts) < 1:
            raise InvalidInput("n_restarts must be at least 1")
        if int(self.max_iter) < 1:
            raise InvalidInput("max_iter must be at least 1")
        if not 0 < self.max_guess <= 1 or not 0 < self.max_slip <= 1:
            raise InvalidInput("max_guess and max_slip must be in (0, 1]")
        if self.tol < 0 or self.prior_strength < 0:
            raise InvalidInput("tol and prior_strength must be non-negative")

    def _check_fitted(self) -> pd.DataFrame:
        params = getattr(self, "params_", None)
        if params is None:
            raise NotFitted("this BKT model is not fitted yet")
        return params

    # ------------------------------------------------------------------ fitting
    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo = np.full(_kern.N_PARAMS, _EPS)
        hi = np.full(_kern.N_PARAMS, 1.0 - _EPS)
        hi[_kern.GUESS] = self.max_guess - _EPS
        hi[_kern.SLIP] = self.max_slip - _EPS
        if not self.forget:
            lo[_kern.FORGET] = hi[_kern.FORGET] = 0.0
        return lo, hi

    def _starts(self, n_skills: int) -> np.ndarray:
        """(skills, restarts, 5) initial parameters: typical values first, then random."""
        rng = np.random.default_rng(self.random_state)
        R = int(self.n_restarts)
        init = np.empty((n_skills, R, _kern.N_PARAMS))
        init[:, 0, :] = _kernel_vector(_DEFAULT_START)
        if R > 1:
            shape = (n_skills, R - 1)
            init[:, 1:, _kern.PRIOR] = rng.uniform(0.05, 0.95, shape)
            init[:, 1:, _kern.LEARN] = rng.uniform(0.01, 0.5, shape)
            init[:, 1:, _kern.FORGET] = rng.uniform(0.0, 0.1, shape)
            init[:, 1:, _kern.GUESS] = rng.uniform(0.01, min(0.45, self.max_guess), shape)
            init[:, 1:, _kern.SLIP] = rng.uniform(0.01, min(0.45, self.max_slip), shape)
        lo, hi = self._bounds()
        return np.clip(init, lo, hi)

    def fit(self, responses: pd.DataFrame, grades: Any = None, *,
            source: str = "<responses>") -> BKT:
        """Fit every skill's parameters by EM.

        Parameters
        ----------
        responses : DataFrame
            ``user_id, skill_name, correct, order_id`` (row order does not matter).
        grades : ignored
            Part of the shared model contract (:mod:`sounding.mastery.models`); BKT does not
            use grades.
        source : str
            File name for error messages.

        Returns
        -------
        BKT
            ``self``, with :attr:`params_` set.
        """
        self._check_args()
        df = validate_responses(responses, source=source, known_skills=self.known_skills)
        enc = encode_responses(df)
        return self._fit_encoded(enc)

    def _fit_encoded(self, enc: EncodedResponses) -> BKT:
        n_skills = len(enc.skills)
        init = self._starts(n_skills)
        lo, hi = self._bounds()
        task_ptr, task_skills = _balanced_tasks(enc.skill_sizes(), numba.get_num_threads())
        params, ll, iters = _kern.fit_skills(
            enc.correct, enc.seq_ptr, enc.skill_seq_ptr, task_ptr, task_skills, init,
            int(self.max_iter), float(self.tol), bool(self.forget), lo, hi,
            float(self.prior_strength), _kernel_vector(_PRIOR_CENTRE))
        best = np.argmax(ll, axis=1)
        rows = params[np.arange(n_skills), best]
        skills = enc.skills.copy()
        skills.name = "skill_name"
        self.params_ = pd.DataFrame({name: rows[:, _KERNEL_ORDER[name]] for name in PARAM_NAMES},
                                    index=skills)
        self.log_likelihood_ = pd.Series(ll[np.arange(n_skills), best], index=skills,
                                         name="log_likelihood")
        self.n_iter_ = pd.Series(iters[np.arange(n_skills), best], index=skills, name="n_iter")
        self.restarts_ = pd.DataFrame({
            "skill_name": np.repeat(skills.to_numpy(), init.shape[1]),
            "restart": np.tile(np.arange(init.shape[1]), n_skills),
            "log_likelihood": ll.ravel(),
            "n_iter": iters.ravel(),
        })
        self.n_responses_ = pd.Series(enc.skill_sizes(), index=skills, name="n_responses")
        return self

    def params(self) -> pd.DataFrame:
        """The fitted parameters, one row per skill (pyBKT's ``Model.params()``).

        A copy of :attr:`params_` (columns ``prior, learn, guess, slip, forget``, indexed by
        ``skill_name``), so callers can change it freely; ``params_`` stays the attribute.

        Raises
        ------
        NotFitted
            Before :meth:`fit`.
        """
        return self._check_fitted().copy()

    @classmethod
    def from_params(cls, params: pd.DataFrame, **kwargs: Any) -> BKT:
        """A fitted model from stored parameters (e.g. a saved ``params_``), without data.

        ``params`` is indexed by skill with columns ``prior, learn, guess, slip`` (``forget``
        optional, default 0). Values must be probabilities.
        """
        missing = [c for c in ("prior", "learn", "guess", "slip") if c not in params.columns]
        if missing:
            raise InvalidInput(f"params lack column(s): {', '.join(missing)}")
        p = params.copy()
        if "forget" not in p.columns:
            p["forget"] = 0.0
        p = p[list(PARAM_NAMES)].astype(np.float64)
        values = p.to_numpy()
        if np.isnan(values).any() or (values < 0).any() or (values > 1).any():
            raise InvalidInput("BKT parameters must be probabilities in [0, 1]")
        model = cls(forget=bool((p["forget"] > 0).any()), **kwargs)
        p.index = pd.Index(p.index, name="skill_name")
        model.params_ = p
        return model

    # ------------------------------------------------------------------ inference
    def _kernel_params(self, skills: pd.Index) -> np.ndarray:
        p = self._check_fitted().loc[skills]
        out = np.empty((len(skills), _kern.N_PARAMS))
        for name, j in _KERNEL_ORDER.items():
            out[:, j] = p[name].to_numpy(dtype=np.float64)
        return out

    def _encode_known(self, responses: pd.DataFrame, source: str) -> EncodedResponses:
        params = self._check_fitted()
        df = validate_responses(responses, source=source, known_skills=params.index,
                                allow_empty=True)
        return encode_responses(df, skills=params.index)

    def predict_proba(self, responses: pd.DataFrame, grades: Any = None, *,
                      source: str = "<responses>") -> np.ndarray:
        """P(correct) of each answer given only the same student's earlier answers on that skill.

        This is the standard next-answer prediction used to score knowledge-tracing models:
        the answer itself never informs its own prediction.

        Returns
        -------
        ndarray of float64
            Aligned with the rows of ``responses`` (whatever their order).

        Raises
        ------
        NotFitted
            Before :meth:`fit`.
        InvalidEvidence
            Bad rows, or skills the model was not fitted on.
        """
        enc = self._encode_known(responses, source)
        pred_sorted = _kern.predict_correct(enc.correct, enc.seq_ptr, enc.seq_skill,
                                            self._kernel_params(enc.skills))
        out = np.empty(enc.n_responses)
        out[enc.order] = pred_sorted
        return out

    def posterior(self, responses: pd.DataFrame, grades: Any = None, *,
                  source: str = "<responses>") -> pd.DataFrame:
        """The shared contract's readout: :meth:`mastery` as ``user_id, skill_name,
        p_mastered, sd, n_evidence``.

        BKT estimates only skills the student answered. ``sd`` is NaN: given the fitted
        parameters the probability is exact, and BKT carries no uncertainty about them.
        """
        m = self.mastery(responses, source=source)
        return pd.DataFrame({"user_id": m["user_id"], "skill_name": m["skill_name"],
                             "p_mastered": m["p_mastered"], "sd": np.nan,
                             "n_evidence": m["n_answers"]})

    def initial_state(self, grade: Any = None) -> dict[object, float]:
        """A student with no answers: every skill at its ``prior`` (grade is not used)."""
        params = self._check_fitted()
        return dict(zip(params.index, params["prior"].astype(float), strict=True))

    def update(self, state: dict[object, float], skill: object, correct: bool | int
               ) -> dict[object, float]:
        """The state (P(mastered) per skill) after one more answer; see :meth:`step`."""
        params = self._check_fitted()
        if skill not in params.index:
            raise InvalidInput(f"unknown skill {skill!r}: not in the fitted model")
        out = dict(state)
        out[skill] = float(self.step(state.get(skill, float(params.loc[skill, "prior"])),
                                     correct, skill))
        return out

    def mastery(self, responses: pd.DataFrame, *, source: str = "<responses>") -> pd.DataFrame:
        """P(mastered) per (user_id, skill_name) after all of the student's answers.

        The value is the posterior after the last answer followed by one learning transition,
        i.e. the probability of mastery going into the next opportunity; it equals folding
        :meth:`step` over the answers from ``prior``.

        Returns
        -------
        DataFrame
            ``user_id, skill_name, p_mastered, n_answers, n_correct``, sorted by skill, user.
        """
        enc = self._encode_known(responses, source)
        p = _kern.final_mastery(enc.correct, enc.seq_ptr, enc.seq_skill,
                                self._kernel_params(enc.skills))
        n = np.diff(enc.seq_ptr)
        n_cor = (np.add.reduceat(enc.correct.astype(np.int64), enc.seq_ptr[:-1])
                 if enc.n_responses else np.zeros(0, dtype=np.int64))
        return pd.DataFrame({
            "user_id": enc.users.to_numpy()[enc.seq_user],
            "skill_name": enc.skills.to_numpy()[enc.seq_skill],
            "p_mastered": p,
            "n_answers": n,
            "n_correct": n_cor,
        })

    def step(self, p_mastered: float | np.ndarray, correct: bool | int | np.ndarray,
             skill: object) -> float | np.ndarray:
        """O(1) online step: Bayes on one answer, then the learning transition.

        For the diagnostic and the web: keep one number per (student, skill) and fold each new
        answer in, without refitting or replaying history. Starting from
        ``params_.loc[skill, "prior"]`` and folding a student's answers gives
        :meth:`mastery`.

        Parameters
        ----------
        p_mastered : float or array
            Current P(mastered) before the answer.
        correct : bool, int or array
            The answer (1 / True = correct).
        skill : hashable
            A fitted skill.

        Returns
        -------
        float or ndarray
            P(mastered) going into the next opportunity (float for scalar inputs).
        """
        params = self._check_fitted()
        if skill not in params.index:
            raise InvalidInput(f"unknown skill {skill!r}: not in the fitted model")
        row = params.loc[skill]
        learn, forget = float(row["learn"]), float(row["forget"])
        guess, slip = float(row["guess"]), float(row["slip"])
        p = np.asarray(p_mastered, dtype=np.float64)
        c = np.asarray(correct)
        if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
            raise InvalidInput("p_mastered must be a probability in [0, 1]")
        if not np.all((c == 0) | (c == 1)):
            raise InvalidInput("correct must be 0 or 1")
        c = c.astype(bool)
        like1 = np.where(c, 1.0 - slip, slip)
        like0 = np.where(c, guess, 1.0 - guess)
        post = p * like1 / (p * like1 + (1.0 - p) * like0)
        nxt = post * (1.0 - forget) + (1.0 - post) * learn
        return float(nxt) if nxt.ndim == 0 else nxt


def simulate_bkt(
    params: pd.DataFrame | Mapping[object, Mapping[str, float]],
    n_students: int,
    n_answers: int,
    *,
    seed: int | None = None,
    interleave: bool = True,
) -> pd.DataFrame:
    """Draw answers from known BKT parameters (for tests and benchmarks).

    Parameters
    ----------
    params : DataFrame or mapping
        Indexed by skill, columns ``prior, learn, guess, slip`` and optionally ``forget``.
    n_students : int
        Students; each answers ``n_answers`` questions on every skill.
    n_answers : int
        Answers per student per skill.
    seed : int, optional
        Random seed.
    interleave : bool, default True
        Shuffle each student's answers across skills in time (``order_id``), as in real
        practice data, so that sequences are not stored contiguously.

    Returns
    -------
    DataFrame
        ``user_id, skill_name, correct, order_id`` (pyBKT columns), one row per answer.
    """
    p = pd.DataFrame(params).T if isinstance(params, Mapping) else params
    rng = np.random.default_rng(seed)
    skills = list(p.index)
    S, U, T = len(skills), int(n_students), int(n_answers)
    correct = np.empty((S, U, T), dtype=np.int8)
    for k, skill in enumerate(skills):
        row = p.loc[skill]
        forget = float(row["forget"]) if "forget" in row.index else 0.0
        mastered = rng.random(U) < float(row["prior"])
        p_right = np.array([float(row["guess"]), 1.0 - float(row["slip"])])
        for t in range(T):
            correct[k, :, t] = rng.random(U) < p_right[mastered.astype(np.int8)]
            move = rng.random(U)
            mastered = np.where(mastered, move >= forget, move < float(row["learn"]))
    # order_id: each student's S*T time points dealt out to the skills at random (a random
    # interleaving), sorted within each skill so every skill's answers stay in order
    slots = np.tile(np.arange(S * T, dtype=np.int64), (U, 1))
    if interleave:
        slots = rng.permuted(slots, axis=1)
    order = np.sort(slots.reshape(U, S, T), axis=2) + (np.arange(U, dtype=np.int64) * S * T
                                                       )[:, None, None]
    order = order.transpose(1, 0, 2)
    return pd.DataFrame({
        "user_id": np.tile(np.repeat(np.arange(U), T), S),
        "skill_name": np.repeat(np.array(skills, dtype=object), U * T),
        "correct": correct.ravel(),
        "order_id": order.ravel(),
    })
