"""Student growth percentiles (SGP) as the Colorado Growth Model / SGP package computes them.

For each subject, year and grade, and each order ``k`` (students having their ``k`` most recent
prior scores at the preceding grades in the preceding years, e.g. 6 -> 7 -> 8), the current
score is regressed on cubic B-splines of each prior (knots at the prior grade's 20/40/60/80th
percentiles, boundaries at its range widened by 10%) for the 100 quantiles
``tau = 0.005, 0.015, ..., 0.995``. A student's SGP is the number of the 100 predicted
quantiles (rounded to 5 digits) strictly below their score, with 0 -> 1 and 100 -> 99; the
highest order available to the student is reported. The quantile regressions are solved
exactly (:mod:`sounding.growth._quantreg`), so the SGPs agree with R ``rq(method = "br")``.

Baseline SGPs (one reference model applied to later years) need the knots and boundaries
fixed from the reference data: compute them with :func:`reference_knots_boundaries` and pass
them in, and fit with ``baseline=True`` to pool the reference years.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

import numba as nb
import numpy as np
import pandas as pd

from sounding.errors import InvalidInput, NotFitted
from sounding.growth._quantreg import rq_process
from sounding.growth.bspline import bs, knots_boundaries
from sounding.growth.scores import SCORE_COLUMNS, validate_scores

__all__ = [
    "TAUS",
    "ModelKey",
    "GrowthModel",
    "GrowthPercentiles",
    "growth_percentiles",
    "growth_percentiles_wide",
    "reference_knots_boundaries",
    "median_growth",
]

#: The SGP package's 100 quantiles, (1:100 - 0.5) / 100.
TAUS: np.ndarray = (np.arange(1, 101) - 0.5) / 100

GradeMap = Mapping[int, Sequence[float]] | Mapping[tuple[str, int], Sequence[float]]


class ModelKey(NamedTuple):
    """Which students a coefficient matrix describes.

    ``grades`` is the grade progression, oldest prior first and the current grade last, so
    ``len(grades) - 1`` is the order. ``year`` is None for a baseline (pooled) model.
    """

    subject: str
    year: int | None
    grades: tuple[int, ...]

    @property
    def order(self) -> int:
        return len(self.grades) - 1

    @property
    def grade(self) -> int:
        return self.grades[-1]


@dataclass(frozen=True)
class GrowthModel:
    """One fitted grade-progression model (the SGP package's coefficient matrix).

    Attributes
    ----------
    key : ModelKey
        Subject, year and grade progression.
    coef : numpy.ndarray
        ``(n_taus, p)``: row ``t`` holds the coefficients of quantile ``taus[t]`` for the
        design ``[1, bs(prior_1), ..., bs(prior_k)]`` (prior_1 the most recent).
    knots, boundaries : tuple of numpy.ndarray
        Per prior, most recent first.
    loss_hoss : tuple of float
        Lowest and highest obtainable score of the current grade (clamps projections).
    n : int
        Students the model was fitted on.
    taus : numpy.ndarray
        The quantiles.
    """

    key: ModelKey
    coef: np.ndarray
    knots: tuple[np.ndarray, ...]
    boundaries: tuple[np.ndarray, ...]
    loss_hoss: tuple[float, float]
    n: int
    taus: np.ndarray = field(default_factory=lambda: TAUS.copy())

    def design(self, priors: np.ndarray) -> np.ndarray:
        """Design matrix ``cbind(1, bs(prior_1, ...), ..., bs(prior_k, ...))``.

        Parameters
        ----------
        priors : numpy.ndarray
            ``(n, k)`` prior scores, most recent first.
        """
        priors = np.asarray(priors, dtype=float).reshape(len(priors), -1)
        if priors.shape[1] != self.key.order:
            raise ValueError(f"model of order {self.key.order} needs {self.key.order} priors")
        cols = [np.ones((len(priors), 1))]
        for j in range(self.key.order):
            cols.append(bs(priors[:, j], self.knots[j], self.boundaries[j]))
        return np.hstack(cols)

    def percentile_predictions(self, priors: np.ndarray, *, bound: bool = False) -> np.ndarray:
        """Predicted score at every tau, sorted per student and rounded to 5 digits.

        ``bound=True`` also clamps to ``loss_hoss`` first (the SGP package does this for
        projections, not for SGPs).
        """
        pred = self.design(priors) @ self.coef.T
        if bound:
            np.clip(pred, self.loss_hoss[0], self.loss_hoss[1], out=pred)
        pred.sort(axis=1)
        return _round_r(pred, 5)

    def sgp(self, priors: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """SGPs (1..99) of students with these priors and current scores."""
        X = self.design(priors)
        return _sgp_from_design(X, self.coef, np.asarray(scores, dtype=float))


# --------------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------------


@nb.njit(cache=True, nogil=True)
def _rround(x, p10):
    """R >= 4 round(x, digits) for one value, p10 = 10**digits."""
    s = x * p10
    lo = np.floor(s)
    hi = np.ceil(s)
    xl = lo / p10
    xh = hi / p10
    dl = x - xl
    dh = xh - x
    if dl < dh:
        return xl
    if dh < dl:
        return xh
    return xl if lo % 2 == 0 else xh


@nb.njit(cache=True, nogil=True)
def _round_kernel(a, p10):
    flat = a.ravel()
    for i in range(flat.size):
        flat[i] = _rround(flat[i], p10)


def _round_r(a: np.ndarray, digits: int) -> np.ndarray:
    out = np.ascontiguousarray(a, dtype=float).copy()
    _round_kernel(out, 10.0**digits)
    return out


@nb.njit(cache=True, nogil=True)
def _count_below(P, y, out):
    """SGP from predictions: #(round(P[i], 5) < y[i]), 0 -> 1 and T -> T - 1."""
    n, T = P.shape
    for i in range(n):
        c = 0
        for t in range(T):
            if _rround(P[i, t], 1e5) < y[i]:
                c += 1
        if c == 0:
            c = 1
        elif c == T:
            c = T - 1
        out[i] = c


def _sgp_from_design(X: np.ndarray, coef: np.ndarray, y: np.ndarray,
                     chunk: int = 50_000, n_jobs: int = 2) -> np.ndarray:
    out = np.empty(len(y), dtype=np.int64)
    Bt = np.ascontiguousarray(coef.T)
    starts = list(range(0, len(y), chunk))

    def run(s: int) -> None:
        P = X[s:s + chunk] @ Bt
        _count_below(P, y[s:s + chunk], out[s:s + chunk])

    if n_jobs > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=n_jobs) as ex:
            list(ex.map(run, starts))
    else:
        for s in starts:
            run(s)
    return out


def _unique_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of a float matrix with inverse and counts (fast mixed-radix path)."""
    codes = []
    sizes = []
    for j in range(a.shape[1]):
        u, inv = np.unique(a[:, j], return_inverse=True)
        codes.append(inv.astype(np.int64))
        sizes.append(len(u))
    if float(np.prod(np.array(sizes, dtype=float))) < 2.0**62:
        key = np.zeros(len(a), dtype=np.int64)
        for c, s in zip(codes, sizes, strict=True):
            key = key * s + c
        _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True,
                                              return_counts=True)
        return a[first], inverse.ravel(), counts
    uniq, inverse, counts = np.unique(a, axis=0, return_inverse=True, return_counts=True)
    return uniq, inverse.ravel(), counts


def _fit_model(key: ModelKey, raw: np.ndarray, knots: tuple[np.ndarray, ...],
               boundaries: tuple[np.ndarray, ...], loss_hoss: tuple[float, float],
               taus: np.ndarray, n_jobs: int, *, with_sgps: bool = False
               ) -> GrowthModel | tuple[GrowthModel, np.ndarray]:
    """Fit one grade-progression model on ``raw`` = ``[prior_1 .. prior_k, score]`` rows.

    Identical rows are collapsed into weights first (exact: the weighted check loss is the
    same function); the long and the wide paths both come through here, so they agree.
    ``with_sgps``: also return the SGPs of the same rows, reusing the distinct rows and their
    design (a third of the non-regression time at a million students).
    """
    uniq, inverse, counts = _unique_rows(raw)
    model = GrowthModel(key=key, coef=np.empty((len(taus), 1)), knots=knots,
                        boundaries=boundaries, loss_hoss=loss_hoss, n=len(raw), taus=taus)
    X = model.design(uniq[:, :-1])
    B = rq_process(X, uniq[:, -1], taus, weights=counts.astype(float), n_jobs=n_jobs,
                   collapse=False)
    fitted = GrowthModel(key, np.ascontiguousarray(B.T), knots, boundaries, loss_hoss,
                         len(raw), taus)
    if not with_sgps:
        return fitted
    return fitted, _sgp_from_design(X, fitted.coef, uniq[:, -1], n_jobs=n_jobs)[inverse]


def _sgp_rows(model: GrowthModel, raw: np.ndarray, n_jobs: int) -> np.ndarray:
    """SGPs of ``raw`` = ``[prior_1 .. prior_k, score]`` rows (computed once per distinct row)."""
    uniq, inverse, _ = _unique_rows(raw)
    X = model.design(uniq[:, :-1])
    return _sgp_from_design(X, model.coef, uniq[:, -1], n_jobs=n_jobs)[inverse]


def _lookup(mapping: GradeMap | None, subject: str, grade: int):
    if mapping is None:
        return None
    if (subject, grade) in mapping:
        return mapping[(subject, grade)]  # type: ignore[index]
    if grade in mapping:
        return mapping[grade]  # type: ignore[index]
    return None


# --------------------------------------------------------------------------------------------
# panel
# --------------------------------------------------------------------------------------------


def _attach_priors(scores: pd.DataFrame, max_order: int) -> pd.DataFrame:
    """Add ``prior_1..prior_k``: the scores at (year - j, grade - j), NaN when absent.

    Rows are sorted by student, subject and year, so the j-th earlier row is the j-th prior when
    the years and grades step by exactly one (no duplicates by validation).
    """
    df = scores.sort_values(["student_id", "subject", "year"], kind="stable").reset_index(
        drop=True)
    sid = pd.factorize(df["student_id"])[0]
    subj = pd.factorize(df["subject"])[0]
    year = df["year"].to_numpy()
    grade = df["grade"].to_numpy()
    score = df["scale_score"].to_numpy(dtype=float)
    n = len(df)
    for j in range(1, max_order + 1):
        prior = np.full(n, np.nan)
        if n > j:
            ok = ((sid[j:] == sid[:-j]) & (subj[j:] == subj[:-j])
                  & (year[j:] - year[:-j] == j) & (grade[j:] - grade[:-j] == j))
            prior[j:] = np.where(ok, score[:-j], np.nan)
        df[f"prior_{j}"] = prior
    return df


def reference_knots_boundaries(
    scores: pd.DataFrame, *, years: Iterable[int] | None = None
) -> tuple[dict[tuple[str, int], np.ndarray], dict[tuple[str, int], np.ndarray]]:
    """Knots and boundaries per (subject, grade) from reference years (baseline SGPs).

    Parameters
    ----------
    scores : pandas.DataFrame
        Long scores (validated here).
    years : iterable of int, optional
        Reference (spring) years; all years when omitted.

    Returns
    -------
    (dict, dict)
        ``knots[(subject, grade)]`` (4 values) and ``boundaries[(subject, grade)]`` (2 values),
        ready to pass to :class:`GrowthPercentiles`.
    """
    df = validate_scores(scores) if list(scores.columns[:5]) != list(SCORE_COLUMNS) else scores
    if years is not None:
        df = df[df["year"].isin(list(years))]
    knots: dict[tuple[str, int], np.ndarray] = {}
    bounds: dict[tuple[str, int], np.ndarray] = {}
    for (subject, grade), grp in df.groupby(["subject", "grade"], sort=True):
        v = grp["scale_score"].to_numpy(dtype=float)
        if np.ptp(v) > 0:
            knots[(str(subject), int(grade))], bounds[(str(subject), int(grade))] = (
                knots_boundaries(v))
    return knots, bounds


# --------------------------------------------------------------------------------------------
# estimator
# --------------------------------------------------------------------------------------------


class GrowthPercentiles:
    """Fit SGP models on long scores and compute growth percentiles.

    Parameters
    ----------
    max_order : int
        Most priors used (the SGP package default uses all available; 2 is common).
    knots, boundaries : mapping, optional
        Fixed knots / boundaries per grade (``{7: [...]}``) or per ``(subject, grade)``; grades
        not given are computed from the data (all years) the way the SGP package does.
    loss_hoss : mapping, optional
        Lowest / highest obtainable score per grade or (subject, grade), for projections;
        default the observed range.
    taus : array_like, optional
        Quantiles (default :data:`TAUS`).
    min_students : int
        Skip a model with fewer students (each has ``1 + 7 k`` coefficients per quantile);
        skipped models are listed in ``skipped_``.
    baseline : bool
        Pool all years into one model per subject and grade progression (baseline SGPs);
        those models then apply to any year.
    grades, years : iterable of int, optional
        Only fit (and report) these current grades / years; every row still serves as a prior
        and feeds the knots.
    n_jobs : int
        Threads for the quantile regressions.

    Attributes
    ----------
    models_ : dict[ModelKey, GrowthModel]
    coef_ : dict[ModelKey, numpy.ndarray]
        ``(100, p)`` coefficient matrix per model (rows = taus).
    knots_, boundaries_ : dict[(subject, grade), numpy.ndarray]
    loss_hoss_ : dict[(subject, grade), tuple[float, float]]
    skipped_ : list[tuple[ModelKey, str]]
    """

    def __init__(self, *, max_order: int = 2, knots: GradeMap | None = None,
                 boundaries: GradeMap | None = None, loss_hoss: GradeMap | None = None,
                 taus: Sequence[float] | None = None, min_students: int = 100,
                 baseline: bool = False, grades: Iterable[int] | None = None,
                 years: Iterable[int] | None = None, n_jobs: int = 2):
        if max_order < 1:
            raise InvalidInput("max_order must be at least 1")
        self.max_order = int(max_order)
        self.knots = knots
        self.boundaries = boundaries
        self.loss_hoss = loss_hoss
        self.taus = TAUS.copy() if taus is None else np.asarray(taus, dtype=float)
        self.min_students = int(min_students)
        self.baseline = bool(baseline)
        self.grades = None if grades is None else frozenset(int(g) for g in grades)
        self.years = None if years is None else frozenset(int(y) for y in years)
        self.n_jobs = int(n_jobs)

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _canonical(scores: pd.DataFrame) -> pd.DataFrame:
        if list(scores.columns) == list(SCORE_COLUMNS) and scores["year"].dtype.kind == "i":
            return scores
        return validate_scores(scores)

    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise NotFitted("GrowthPercentiles is not fitted")

    def _grade_params(self, scores: pd.DataFrame) -> None:
        self.knots_: dict[tuple[str, int], np.ndarray] = {}
        self.boundaries_: dict[tuple[str, int], np.ndarray] = {}
        self.loss_hoss_: dict[tuple[str, int], tuple[float, float]] = {}
        for (subject, grade), grp in scores.groupby(["subject", "grade"], sort=True):
            s, g = str(subject), int(grade)
            v = grp["scale_score"].to_numpy(dtype=float)
            k_fix = _lookup(self.knots, s, g)
            b_fix = _lookup(self.boundaries, s, g)
            if np.ptp(v) > 0 and (k_fix is None or b_fix is None):
                k_dat, b_dat = knots_boundaries(v)
            else:
                k_dat = b_dat = None
            kk = np.asarray(k_fix, dtype=float) if k_fix is not None else k_dat
            bb = np.asarray(b_fix, dtype=float) if b_fix is not None else b_dat
            if kk is not None and bb is not None:
                self.knots_[(s, g)] = kk
                self.boundaries_[(s, g)] = bb
            lh = _lookup(self.loss_hoss, s, g)
            self.loss_hoss_[(s, g)] = ((float(lh[0]), float(lh[1])) if lh is not None
                                       else (float(v.min()), float(v.max())))

    def _groups(self, panel: pd.DataFrame):
        keys = ["subject", "grade"] if self.baseline else ["subject", "year", "grade"]
        if self.grades is not None:
            panel = panel[panel["grade"].isin(self.grades)]
        if self.years is not None:
            panel = panel[panel["year"].isin(self.years)]
        for vals, grp in panel.groupby(keys, sort=True):
            if self.baseline:
                subject, grade = vals
                year = None
            else:
                subject, year, grade = vals
                year = int(year)
            yield str(subject), year, int(grade), grp

    # -- API ----------------------------------------------------------------------------------

    def fit(self, scores: pd.DataFrame) -> GrowthPercentiles:
        """Fit every grade-progression model the data supports.

        Parameters
        ----------
        scores : pandas.DataFrame
            Long scores (ours or the SGP package's columns); validated here.

        Returns
        -------
        GrowthPercentiles
            ``self``.
        """
        df = self._canonical(scores)
        self._grade_params(df)
        panel = _attach_priors(df, self.max_order)
        self.models_: dict[ModelKey, GrowthModel] = {}
        self.skipped_: list[tuple[ModelKey, str]] = []
        for subject, year, grade, grp in self._groups(panel):
            for k in range(1, self.max_order + 1):
                key = ModelKey(subject, year, tuple(range(grade - k, grade + 1)))
                cols = [f"prior_{j}" for j in range(1, k + 1)]
                sub = grp.dropna(subset=cols)
                if len(sub) == 0:
                    break
                if len(sub) < self.min_students:
                    self.skipped_.append((key, f"{len(sub)} students < min_students"))
                    continue
                prior_grades = [grade - j for j in range(1, k + 1)]
                if any((subject, g) not in self.knots_ for g in prior_grades):
                    self.skipped_.append((key, "no knots for a prior grade (constant scores)"))
                    continue
                self.models_[key] = self._fit_one(key, sub, cols, prior_grades)
        self.coef_ = {k: m.coef for k, m in self.models_.items()}
        return self

    def _fit_one(self, key: ModelKey, sub: pd.DataFrame, cols: list[str],
                 prior_grades: list[int]) -> GrowthModel:
        raw = sub[cols + ["scale_score"]].to_numpy(dtype=float)
        return _fit_model(key, raw,
                          tuple(self.knots_[(key.subject, g)] for g in prior_grades),
                          tuple(self.boundaries_[(key.subject, g)] for g in prior_grades),
                          self.loss_hoss_[(key.subject, key.grade)], self.taus, self.n_jobs)

    def model_for(self, subject: str, year: int | None, grades: tuple[int, ...]
                  ) -> GrowthModel | None:
        """The fitted model for a grade progression (baseline models match any year)."""
        self._check_fitted()
        key = ModelKey(subject, None if self.baseline else year, tuple(grades))
        return self.models_.get(key)

    def transform(self, scores: pd.DataFrame) -> pd.DataFrame:
        """SGPs of every student/year/grade a fitted model covers.

        Parameters
        ----------
        scores : pandas.DataFrame
            Long scores (usually the fitted ones; with ``baseline=True`` any years).

        Returns
        -------
        pandas.DataFrame
            student_id, subject, year, grade, scale_score, sgp, sgp_order,
            sgp_order_1 .. sgp_order_<max_order> (nullable ints); one row per student, subject
            and year that has at least one SGP.
        """
        self._check_fitted()
        df = self._canonical(scores)
        panel = _attach_priors(df, self.max_order)
        order_cols = [f"sgp_order_{k}" for k in range(1, self.max_order + 1)]
        for c in order_cols:
            panel[c] = pd.array(np.full(len(panel), pd.NA), dtype="Int64")
        for subject, year, grade, grp in self._groups(panel):
            for k in range(1, self.max_order + 1):
                model = self.models_.get(ModelKey(subject, year,
                                                  tuple(range(grade - k, grade + 1))))
                if model is None:
                    continue
                cols = [f"prior_{j}" for j in range(1, k + 1)]
                sub = grp.dropna(subset=cols)
                if len(sub) == 0:
                    continue
                raw = sub[cols + ["scale_score"]].to_numpy(dtype=float)
                panel.loc[sub.index, f"sgp_order_{k}"] = _sgp_rows(model, raw, self.n_jobs)
        has = panel[order_cols].notna()
        out = panel[has.any(axis=1)].copy()
        best = has.loc[out.index].to_numpy()
        order = best.shape[1] - np.argmax(best[:, ::-1], axis=1)
        vals = out[order_cols].to_numpy(dtype=float, na_value=np.nan)
        out["sgp"] = pd.array(vals[np.arange(len(out)), order - 1].astype(np.int64),
                              dtype="Int64")
        out["sgp_order"] = pd.array(order, dtype="Int64")
        cols = ["student_id", "subject", "year", "grade", "scale_score", "sgp", "sgp_order",
                *order_cols]
        return out[cols].sort_values(["subject", "year", "grade", "student_id"]).reset_index(
            drop=True)

    def fit_transform(self, scores: pd.DataFrame) -> pd.DataFrame:
        """:meth:`fit` then :meth:`transform` on the same scores (validated once)."""
        df = self._canonical(scores)
        return self.fit(df).transform(df)


def growth_percentiles(scores: pd.DataFrame, *, max_order: int = 2,
                       knots: GradeMap | None = None, boundaries: GradeMap | None = None,
                       taus: Sequence[float] | None = None, min_students: int = 100,
                       grades: Iterable[int] | None = None, years: Iterable[int] | None = None,
                       n_jobs: int = 2) -> pd.DataFrame:
    """SGPs for long scores in one call (see :class:`GrowthPercentiles`).

    Parameters
    ----------
    scores : pandas.DataFrame
        ``student_id, year, grade, subject, scale_score`` or the SGP package's
        ``ID, YEAR, GRADE, CONTENT_AREA, SCALE_SCORE``.
    max_order : int
        Most priors per model.
    knots, boundaries : mapping, optional
        Fixed knots/boundaries per grade or (subject, grade) (baseline SGPs).
    taus : sequence of float, optional
        Quantiles (default the SGP package's 100).
    min_students : int
        Smallest group fitted.
    grades, years : iterable of int, optional
        Only compute SGPs for these current grades / years (priors still come from all rows).
    n_jobs : int
        Threads.

    Returns
    -------
    pandas.DataFrame
        As :meth:`GrowthPercentiles.transform`.
    """
    est = GrowthPercentiles(max_order=max_order, knots=knots, boundaries=boundaries,
                            taus=taus, min_students=min_students, grades=grades, years=years,
                            n_jobs=n_jobs)
    return est.fit_transform(scores)


def growth_percentiles_wide(df: pd.DataFrame, *, max_order: int = 2, id_col: str = "ID",
                            prefix: str = "SS_G", n_jobs: int = 2,
                            min_students: int = 100) -> pd.DataFrame:
    """SGPs for the golden file's wide layout (``ID, SS_G6, SS_G7, SS_G8``): one cohort.

    The last grade column is the current score and the earlier ones its priors (most recent
    first); knots and boundaries come from each prior column and the obtainable range from the
    current one, as in ``sgp_reference.R``. This is the same computation as
    :func:`growth_percentiles` on the cohort in long form (one model per order, fitted by the
    same code), but straight from the columns, without building and sorting a long panel: at a
    million students that bookkeeping costs more than the regressions.

    Returns
    -------
    pandas.DataFrame
        The input columns plus ``SGP_ORDER_1 .. SGP_ORDER_<k>`` and ``SGP`` (nullable ints),
        in the input's row order.

    Raises
    ------
    InvalidScores
        Missing id or score columns, repeated or blank ids, non-numeric scores (file line and
        field named, header = line 1).
    """
    from sounding.errors import InvalidScores, Problem

    src = "<wide scores>"
    cols = [c for c in df.columns if str(c).startswith(prefix)]
    if id_col not in df.columns or not cols:
        raise InvalidScores([Problem(src, 1, id_col if id_col not in df.columns
                                     else prefix + "*", "missing id or score columns")])
    try:
        grade_of = {c: int(str(c)[len(prefix):]) for c in cols}
    except ValueError:
        raise InvalidScores([Problem(src, 1, str(c), f"not {prefix}<grade>") for c in cols
                             if not str(c)[len(prefix):].isdigit()]) from None
    cols = sorted(cols, key=grade_of.get)
    id_values = df[id_col]
    problems = []
    if pd.api.types.is_numeric_dtype(id_values):
        blank = np.flatnonzero(id_values.isna().to_numpy())
        dup = id_values.duplicated().to_numpy() & ~id_values.isna().to_numpy()
    else:
        text = id_values.astype(str).str.strip()
        blank = np.flatnonzero((text == "").to_numpy() | id_values.isna().to_numpy())
        dup = text.duplicated().to_numpy()
    problems += [Problem(src, int(i) + 2, id_col, "empty") for i in blank[:20]]
    problems += [Problem(src, int(i) + 2, id_col, f"repeats {id_values.iloc[i]!r}")
                 for i in np.flatnonzero(dup)[:20]]
    values = []
    for c in cols:
        raw = df[c]
        num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        if not pd.api.types.is_numeric_dtype(raw):
            blank_cell = raw.astype(str).str.strip().isin(["", "NA", "NaN"]).to_numpy()
            bad = np.isnan(num) & raw.notna().to_numpy() & ~blank_cell
            problems += [Problem(src, int(i) + 2, str(c), f"not a number: {raw.iloc[i]!r}")
                         for i in np.flatnonzero(bad)[:20]]
        values.append(num)
    if problems:
        raise InvalidScores(problems)

    y = values[-1]
    priors = values[-2::-1]  # most recent first
    prior_grades = [grade_of[c] for c in cols[-2::-1]]
    top = grade_of[cols[-1]]
    kb = {}
    for g, v in zip(prior_grades, priors, strict=True):
        v = v[~np.isnan(v)]
        if len(v) and np.ptp(v) > 0:
            kb[g] = knots_boundaries(v)
    yv = y[~np.isnan(y)]
    loss_hoss = (float(yv.min()), float(yv.max())) if len(yv) else (np.nan, np.nan)
    out = df.copy()
    best = np.full(len(df), -1, dtype=np.int64)
    for k in range(1, min(max_order, len(priors)) + 1):
        col = np.full(len(df), -1, dtype=np.int64)
        mask = ~np.isnan(y)
        for j in range(k):
            mask &= ~np.isnan(priors[j])
        rows = np.flatnonzero(mask)
        grades_k = tuple(sorted(prior_grades[:k])) + (top,)
        if len(rows) >= min_students and all(g in kb for g in prior_grades[:k]):
            raw = np.column_stack([p[rows] for p in priors[:k]] + [y[rows]])
            _, sg = _fit_model(ModelKey("math", None, grades_k), raw,
                               tuple(kb[g][0] for g in prior_grades[:k]),
                               tuple(kb[g][1] for g in prior_grades[:k]), loss_hoss,
                               TAUS.copy(), n_jobs, with_sgps=True)
            col[rows] = sg
            best[rows] = sg
        out[f"SGP_ORDER_{k}"] = _int_array(col, col >= 0)
    for k in range(min(max_order, len(priors)) + 1, max_order + 1):
        out[f"SGP_ORDER_{k}"] = _int_array(np.zeros(len(df), dtype=np.int64),
                                           np.zeros(len(df), dtype=bool))
    out["SGP"] = _int_array(best, best >= 0)
    return out


def _int_array(values: np.ndarray, present: np.ndarray) -> pd.arrays.IntegerArray:
    """A nullable Int64 column straight from values and a presence mask (no per-cell work)."""
    return pd.arrays.IntegerArray(np.where(present, values, 0).astype(np.int64), ~present)


def median_growth(df: pd.DataFrame, by: Sequence[str] | str = ("subject", "year", "grade"),
                  *, sgp_col: str = "sgp") -> pd.DataFrame:
    """Median SGP and student count per group (the Colorado Growth Model's summary).

    Parameters
    ----------
    df : pandas.DataFrame
        SGP rows (e.g. from :func:`growth_percentiles`, joined to schools or subgroups).
    by : str or sequence of str
        Grouping columns.
    sgp_col : str
        Column holding SGPs.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``median_sgp`` (float; the average of the two middle SGPs for even
        counts, like R's ``median``) and ``n``.
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in [*by, sgp_col] if c not in df.columns]
    if missing:
        raise InvalidInput(f"median_growth: missing columns {missing}")
    d = df[df[sgp_col].notna()]
    g = d.groupby(by, sort=True, observed=True, dropna=False)[sgp_col]
    out = g.agg(median_sgp=lambda s: float(np.median(s.to_numpy(dtype=float))), n="size")
    return out.reset_index()
