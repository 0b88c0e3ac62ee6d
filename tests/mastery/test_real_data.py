"""BKT on real student answers: ASSISTments 2009 (AKT folds) and Tatsuoka fraction subtraction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sounding.evidence.kt_sequences import read_akt_folder
from sounding.mastery import BKT, cross_validate


@pytest.fixture(scope="module")
def assist(shared_data: Path) -> pd.DataFrame:
    folder = shared_data / "kt_akt" / "assist2009_pid"
    if not folder.is_dir():
        pytest.skip("ASSISTments 2009 (AKT) not present")
    return read_akt_folder(folder)


def test_assist2009_shape(assist: pd.DataFrame) -> None:
    # the numbers SOURCES.md documents for the union of train1 and test1-5
    assert len(assist) == 325_637
    assert assist.user_id.nunique() == 4_151
    assert assist.skill_name.nunique() == 110
    assert assist.correct.mean() == pytest.approx(0.658, abs=0.001)
    assert sorted(assist.fold.unique()) == [0, 1, 2, 3, 4, 5]


def test_assist2009_auc_on_the_five_given_folds(assist: pd.DataFrame) -> None:
    res = cross_validate(assist, folds="fold", seed=0)
    assert [f.fold for f in res.folds] == [1, 2, 3, 4, 5]
    assert res.overall.n_test_students == 4_150
    assert res.overall.auc >= 0.70, res.overall
    assert all(f.auc >= 0.69 for f in res.folds), res.folds
    assert res.overall.rmse < 0.45


class ItemBaseline:
    """Each item's training p-correct as the prediction: item difficulty, no student memory."""

    def fit(self, responses: pd.DataFrame) -> ItemBaseline:
        self.p = responses.groupby("problem_id")["correct"].mean()
        self.overall = float(responses["correct"].mean())
        return self

    def predict_proba(self, responses: pd.DataFrame) -> np.ndarray:
        return responses["problem_id"].map(self.p).fillna(self.overall).to_numpy(float)


@pytest.fixture(scope="module")
def fractions(shared_data: Path) -> tuple[pd.DataFrame, np.ndarray]:
    d = shared_data / "fraction_subtraction_tatsuoka"
    if not d.is_dir():
        pytest.skip("Tatsuoka fraction subtraction data not present")
    answers = pd.read_csv(d / "needed.csv")
    q = np.loadtxt(d / "q.txt", dtype=int)
    return answers, q


def _with_skill(answers: pd.DataFrame, skill_of_item: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "user_id": answers.user_id,
        "skill_name": [skill_of_item[i] for i in answers.item_id],
        "problem_id": answers.item_id,
        "correct": answers.correct,
        "order_id": answers.item_id,  # students took the 20 items in order
    })


def test_fraction_subtraction_data(fractions: tuple[pd.DataFrame, np.ndarray]) -> None:
    answers, q = fractions
    assert len(answers) == 10_720 and answers.user_id.nunique() == 536
    assert q.shape == (20, 8) and (q.sum(axis=1) >= 1).all()


@pytest.mark.parametrize("mapping", ["main attribute", "attribute set"])
def test_fraction_subtraction_bkt_beats_chance_and_item_difficulty(
        fractions: tuple[pd.DataFrame, np.ndarray], mapping: str) -> None:
    answers, q = fractions
    if mapping == "main attribute":
        # an item's main attribute: the most specific (rarest) one it requires, e.g.
        # "borrow from whole number part" rather than "subtract numerators" (all items)
        freq = q.sum(axis=0)
        skill = [f"attr{int(np.argmin(np.where(row == 1, freq, 10**6))) + 1}" for row in q]
    else:
        skill = ["".join(map(str, row)) for row in q]
    df = _with_skill(answers, skill)
    bkt = cross_validate(df, folds=5, seed=0, model_factory=lambda: BKT(random_state=0))
    base = cross_validate(df, folds=5, seed=0, model_factory=ItemBaseline)
    assert bkt.overall.auc > 0.65, bkt.overall          # chance is 0.5
    assert bkt.overall.auc > base.overall.auc + 0.04, (bkt.overall, base.overall)
    assert bkt.overall.rmse < base.overall.rmse
    assert all(b.auc > a.auc for b, a in zip(bkt.folds, base.folds, strict=True))
