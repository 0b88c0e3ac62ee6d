"""Cross-validated next-answer prediction, the standard way knowledge-tracing models are scored.

Students (not answers) are split into folds, so no student's answers sit on both sides: the
model is fitted on the training students and then predicts every answer of each test student
from that student's *earlier* answers only (``predict_proba``). Scores are AUC, RMSE and
accuracy per fold and pooled over all folds (the pyKT protocol reports pooled-style AUC on
student folds; ASSISTments 2009 BKT lands around 0.73-0.76).

The model is pluggable: ``model_factory()`` returns any object with ``fit(responses)`` and
``predict_proba(responses) -> array aligned with the rows``, so BKT, the graph-aware model and
external baselines are scored by exactly the same code.

AUC is computed here (rank-based Mann-Whitney U with average ranks for ties) so the package
does not need scikit-learn.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from sounding.errors import InvalidEvidence, InvalidInput, Problem
from sounding.mastery.responses import validate_responses


class NextAnswerModel(Protocol):
    """What :func:`cross_validate` needs from a model."""

    def fit(self, responses: pd.DataFrame) -> Any: ...

    def predict_proba(self, responses: pd.DataFrame) -> np.ndarray: ...


ModelFactory = Callable[[], NextAnswerModel]


def auc_score(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Area under the ROC curve: P(score of a random positive > a random negative).

    Computed as the Mann-Whitney U statistic from average ranks, so tied scores count one
    half (what scikit-learn's ``roc_auc_score`` returns). NaN when only one class is present.
    """
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(y_score, dtype=np.float64)
    if y.shape != s.shape:
        raise InvalidInput("y_true and y_score must have the same length")
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)  # average ranks for ties
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def rmse(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Root mean squared error of probabilities against 0/1 outcomes."""
    d = np.asarray(y_score, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
    return float(np.sqrt(np.mean(d * d))) if d.size else float("nan")


def accuracy(y_true: np.ndarray, y_score: np.ndarray, threshold: float = 0.5) -> float:
    """Share of answers whose thresholded prediction matches the outcome."""
    y = np.asarray(y_true).astype(bool)
    if y.size == 0:
        return float("nan")
    return float(np.mean((np.asarray(y_score) >= threshold) == y))


@dataclass(frozen=True)
class FoldScores:
    """Scores of one fold (or of all folds pooled, ``fold = "overall"``).

    For ``overall``, ``n_train_students`` is every student in the data and ``seconds`` the
    sum over folds.
    """

    fold: int | str
    n_train_students: int
    n_test_students: int
    n_predictions: int
    n_unseen_skill: int
    auc: float
    rmse: float
    accuracy: float
    seconds: float


@dataclass(frozen=True)
class CVResult:
    """Per-fold and pooled scores of one model; ``to_dict()`` is the JSON shape."""

    model: str
    folds: list[FoldScores]
    overall: FoldScores
    predictions: pd.DataFrame = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        def clean(d: dict[str, Any]) -> dict[str, Any]:
            return {k: (None if isinstance(v, float) and np.isnan(v) else v)
                    for k, v in d.items()}

        return {
            "model": self.model,
            "folds": [clean(asdict(f)) for f in self.folds],
            "overall": clean(asdict(self.overall)),
        }


def student_folds(users: np.ndarray | pd.Series, folds: int, seed: int | None = 0) -> pd.Series:
    """Assign every distinct student to one of ``folds`` folds (1..folds) at random.

    Sizes differ by at most one student. Returns a Series indexed by user id.
    """
    uniq = pd.unique(np.asarray(users))
    if folds < 2:
        raise InvalidInput("folds must be at least 2")
    if len(uniq) < folds:
        raise InvalidInput(f"{len(uniq)} students cannot be split into {folds} folds")
    uniq = np.sort(uniq) if _sortable(uniq) else uniq
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(uniq))
    fold = np.empty(len(uniq), dtype=np.int64)
    fold[perm] = np.arange(len(uniq)) % folds + 1
    return pd.Series(fold, index=pd.Index(uniq, name="user_id"), name="fold")


def _sortable(a: np.ndarray) -> bool:
    try:
        np.sort(a)
    except TypeError:
        return False
    return True


def _fold_assignment(df: pd.DataFrame, folds: int | pd.Series | Mapping[Any, int] | str,
                     seed: int | None, source: str) -> np.ndarray:
    """Fold number per row; 0 = always in training (a student in no test fold)."""
    if isinstance(folds, str):
        if folds not in df.columns:
            raise InvalidInput(f"no column {folds!r} to take folds from")
        col = pd.to_numeric(df[folds], errors="coerce")
        if col.isna().any():
            bad = np.flatnonzero(col.isna().to_numpy())
            raise InvalidEvidence([Problem(source, int(r) + 2, folds,
                                           "fold must be an integer") for r in bad[:1000]])
        fold_of = col.to_numpy(dtype=np.int64)
        per_user = pd.DataFrame({"u": df["user_id"].to_numpy(), "f": fold_of})
        if per_user.groupby("u")["f"].nunique().max() > 1:
            raise InvalidInput("a student's answers are assigned to more than one fold")
        return fold_of
    if isinstance(folds, (int, np.integer)):
        mapping = student_folds(df["user_id"].to_numpy(), int(folds), seed)
    else:
        mapping = pd.Series(folds)
    fold_of = mapping.reindex(df["user_id"].to_numpy()).to_numpy()
    return np.where(pd.isna(fold_of), 0, fold_of).astype(np.int64)


def cross_validate(
    responses: pd.DataFrame,
    *,
    folds: int | pd.Series | Mapping[Any, int] | str = 5,
    model_factory: ModelFactory | None = None,
    seed: int | None = 0,
    model_name: str = "bkt",
    progress: Callable[[FoldScores], None] | None = None,
    source: str = "<responses>",
) -> CVResult:
    """Score a model by next-answer prediction on held-out students.

    Parameters
    ----------
    responses : DataFrame
        ``user_id, skill_name, correct, order_id`` (validated here).
    folds : int, Series, mapping or str
        Number of random student folds; or the given folds, as a user -> fold number mapping
        or the name of a column holding each row's fold (students in fold 0 or absent from
        the mapping are always in training, never tested). The ASSISTments AKT files define
        five such test folds.
    model_factory : callable, optional
        Returns a fresh unfitted model per fold. Default: ``BKT(random_state=seed)``.
    seed : int, optional
        Seed of the random student split (and of the default model).
    model_name : str
        Label stored in the result.
    progress : callable, optional
        Called with each fold's scores as soon as it is done.
    source : str
        File name for error messages.

    Returns
    -------
    CVResult
        Scores per fold and pooled over every prediction; ``predictions`` has one row per
        tested answer (``row`` = input row position, ``fold``, ``correct``, ``p_correct``).

    Notes
    -----
    Test answers on a skill that no training student practised cannot be scored by a
    per-skill model; they are left out and counted in ``n_unseen_skill``.
    """
    if model_factory is None:
        from sounding.mastery.bkt import BKT

        def model_factory() -> NextAnswerModel:
            return BKT(random_state=seed)

    df = validate_responses(responses, source=source)
    fold_of = _fold_assignment(df, folds, seed, source)
    fold_ids = sorted(int(f) for f in np.unique(fold_of) if f != 0)
    if len(fold_ids) < 1:
        raise InvalidInput("no test fold: every student is in training")
    users = df["user_id"].to_numpy()
    skills = df["skill_name"].to_numpy()
    results: list[FoldScores] = []
    pred_frames: list[pd.DataFrame] = []
    for f in fold_ids:
        t0 = time.perf_counter()
        test = fold_of == f
        train = ~test
        model = model_factory()
        model.fit(df.loc[train].reset_index(drop=True))
        seen = pd.Index(pd.unique(skills[train]))
        scored = test & (seen.get_indexer(skills) >= 0)
        rows = np.flatnonzero(scored)
        p = np.asarray(model.predict_proba(df.iloc[rows].reset_index(drop=True)),
                       dtype=np.float64)
        if p.shape != rows.shape:
            raise InvalidInput(f"model returned {p.shape[0]} predictions for {rows.size} rows")
        y = df["correct"].to_numpy()[rows]
        scores = FoldScores(
            fold=f,
            n_train_students=int(pd.unique(users[train]).size),
            n_test_students=int(pd.unique(users[test]).size),
            n_predictions=int(rows.size),
            n_unseen_skill=int(test.sum() - rows.size),
            auc=auc_score(y, p),
            rmse=rmse(y, p),
            accuracy=accuracy(y, p),
            seconds=round(time.perf_counter() - t0, 3),
        )
        results.append(scores)
        if progress is not None:
            progress(scores)
        pred_frames.append(pd.DataFrame({"row": rows, "fold": f, "correct": y, "p_correct": p}))
    preds = pd.concat(pred_frames, ignore_index=True)
    y_all = preds["correct"].to_numpy()
    p_all = preds["p_correct"].to_numpy()
    overall = FoldScores(
        fold="overall",
        n_train_students=int(pd.unique(users).size),
        n_test_students=int(sum(r.n_test_students for r in results)),
        n_predictions=int(len(preds)),
        n_unseen_skill=int(sum(r.n_unseen_skill for r in results)),
        auc=auc_score(y_all, p_all),
        rmse=rmse(y_all, p_all),
        accuracy=accuracy(y_all, p_all),
        seconds=round(sum(r.seconds for r in results), 3),
    )
    return CVResult(model=model_name, folds=results, overall=overall, predictions=preds)
