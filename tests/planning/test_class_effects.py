"""The empirical-Bayes class effect: what a class's own answers say about the class."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sounding.planning.class_effects import (
    GUESS,
    SLIP,
    _tau2,
    answer_counts,
    class_effects,
    shifted_p,
)


def _district(shifts: np.ndarray, n_per: int = 25, n_answers: int = 4, seed: int = 0):
    """Classes whose students all sit at P0 = 0.7 by the model, but whose true log-odds are
    moved by ``shifts`` (one per class); answers drawn from the truth."""
    rng = np.random.default_rng(seed)
    n_cls = len(shifts)
    n = n_cls * n_per
    cls_of = np.repeat(np.arange(n_cls), n_per)
    p0 = np.full((n, 1), 0.7)
    p_true = shifted_p(p0, shifts[cls_of][:, None])
    answered = rng.random(n) < 0.5  # half the students answered, half are inferred
    total = np.where(answered, n_answers, 0)[:, None].astype(float)
    mastered = rng.random((n, 1)) < p_true
    pc = np.where(mastered, 1 - SLIP, GUESS)
    right = rng.binomial(total.astype(int), pc).astype(float)
    # the model's posterior: P0 updated by each student's own answers
    lr = right * np.log((1 - SLIP) / GUESS) + (total - right) * np.log(SLIP / (1 - GUESS))
    logit = np.log(0.7 / 0.3) + lr
    p = 1 / (1 + np.exp(-logit))
    emat = sp.csr_matrix((np.ones(n), (cls_of, np.arange(n))), shape=(n_cls, n))
    allowed = np.ones((n_cls, 1), dtype=bool)
    dist = np.zeros((n_cls, 1), dtype=np.int64)
    return emat, p, right, total, allowed, dist


def test_no_class_effect_shrinks_to_nothing():
    emat, p, right, total, allowed, dist = _district(np.zeros(40))
    ce = class_effects(emat, p, right, total, np.array([0]), allowed, dist)
    assert ce.tau2[0] < 0.2
    assert np.abs(ce.shift).max() < 0.5


def test_weak_classes_are_found_and_shrunk():
    shifts = np.array([-3.0] * 8 + [0.0] * 32)
    emat, p, right, total, allowed, dist = _district(shifts)
    ce = class_effects(emat, p, right, total, np.array([0]), allowed, dist)
    s = ce.shift[:, 0]
    assert ce.tau2[0] > 0.3
    assert s[:8].mean() < -1.0 < s[8:].mean()
    # shrunk: never further from 0 than the raw estimate, same sign
    raw = ce.raw[:, 0]
    assert np.all(np.abs(s) <= np.abs(raw) + 1e-9)
    assert np.all(s * raw >= -1e-12)
    # the class's estimate of P(mastered) moves toward the truth for weak classes
    weak_p = shifted_p(p[:25], s[0])
    assert weak_p.mean() < p[:25].mean()


def test_tau2_is_zero_when_spread_is_only_sampling_noise():
    rng = np.random.default_rng(1)
    var = np.full(500, 0.2)
    assert _tau2(rng.normal(0, np.sqrt(var)), var) < 0.03
    assert abs(_tau2(rng.normal(0, np.sqrt(var + 1.0)), var) - 1.0) < 0.25


def test_answer_counts_roll_up_and_ignore_unknown():
    resp = pd.DataFrame({"student_id": ["a", "a", "b", "b", "z"],
                         "standard": ["X", "X.1", "Y", "Q", "X"],
                         "correct": [1, 0, 1, 1, 1]})
    right, total = answer_counts(resp, np.array(["a", "b"]), ("X", "Y"),
                                 lambda c: {"X.1": "X"}.get(c, c) if c != "Q" else
                                 (_ for _ in ()).throw(KeyError(c)))
    assert total.tolist() == [[2, 0], [0, 1]]
    assert right.tolist() == [[1, 0], [0, 1]]
