"""BKT: parameter recovery, invariances, hand-computed predictions, online updates, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sounding.errors import InvalidEvidence, InvalidInput, NotFitted
from sounding.mastery import BKT, PARAM_NAMES, simulate_bkt
from sounding.mastery import _bkt_kernels as kern
from sounding.mastery.responses import encode_responses, validate_responses

TRUTH = pd.DataFrame(
    {
        "prior": [0.2, 0.5, 0.35, 0.7],
        "learn": [0.15, 0.08, 0.3, 0.2],
        "guess": [0.2, 0.1, 0.25, 0.15],
        "slip": [0.1, 0.2, 0.08, 0.12],
    },
    index=pd.Index(["4.NF.A.1", "4.NF.B.3a", "5.NF.A.1", "6.RP.A.1"], name="skill_name"),
)
FOUR = ["prior", "learn", "guess", "slip"]


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return simulate_bkt(TRUTH, n_students=2000, n_answers=20, seed=7)


@pytest.fixture(scope="module")
def fitted(sim: pd.DataFrame) -> BKT:
    return BKT(random_state=0).fit(sim)


def test_simulate_bkt_shape_and_order(sim: pd.DataFrame) -> None:
    assert list(sim.columns) == ["user_id", "skill_name", "correct", "order_id"]
    assert len(sim) == 4 * 2000 * 20
    assert sim.groupby(["user_id", "skill_name"]).size().eq(20).all()
    # answers of one student are interleaved across skills but unique in time
    one = sim[sim.user_id == 3]
    assert one.order_id.is_unique
    assert one.sort_values("order_id").skill_name.nunique() == 4
    assert not one.sort_values("order_id").skill_name.is_monotonic_increasing


def test_parameter_recovery(fitted: BKT) -> None:
    est = fitted.params_
    assert list(est.columns) == list(PARAM_NAMES)
    assert list(est.index) == list(TRUTH.index)
    err = (est[FOUR] - TRUTH[FOUR]).abs()
    assert err.to_numpy().mean() <= 0.03, err
    assert err.to_numpy().max() <= 0.08, err
    assert (est["forget"] == 0).all()
    assert (fitted.log_likelihood_ < 0).all()
    # five starts per skill, the kept one has the best log-likelihood
    r = fitted.restarts_
    assert r.groupby("skill_name").size().eq(5).all()
    best = r.groupby("skill_name").log_likelihood.max()
    assert np.allclose(best.loc[TRUTH.index], fitted.log_likelihood_.loc[TRUTH.index])


def test_forget_is_recovered_when_fitted() -> None:
    truth = TRUTH.iloc[:2].assign(forget=[0.1, 0.05])
    df = simulate_bkt(truth, n_students=3000, n_answers=20, seed=3)
    m = BKT(forget=True, random_state=0).fit(df)
    err = (m.params_[["forget", *FOUR]] - truth[["forget", *FOUR]]).abs()
    assert err.to_numpy().mean() <= 0.04, err
    # ignoring forgetting that is there biases the fit: the forget model explains it better
    m0 = BKT(random_state=0).fit(df)
    assert (m.log_likelihood_ > m0.log_likelihood_).all()


def test_closed_form_e_step_equals_forward_backward(sim: pd.DataFrame) -> None:
    enc = encode_responses(validate_responses(sim))
    th = np.array([0.3, 0.12, 0.0, 0.22, 0.09])  # kernel order: prior, learn, forget, g, s
    for k in range(len(enc.skills)):
        s0, s1 = enc.skill_seq_ptr[k], enc.skill_seq_ptr[k + 1]
        a = kern.e_step(enc.correct, enc.seq_ptr, s0, s1, th, True)
        b = kern.e_step(enc.correct, enc.seq_ptr, s0, s1, th, False)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


def test_e_steps_agree_on_long_extreme_sequences() -> None:
    # 3000 answers in one sequence: products of likelihood ratios overflow without rescaling
    rng = np.random.default_rng(0)
    correct = np.concatenate([np.zeros(1500), rng.random(1500) < 0.9]).astype(np.int8)
    seq_ptr = np.array([0, 1, 3001 - 1500, 3000], dtype=np.int64)
    th = np.array([0.01, 0.001, 0.0, 0.05, 0.01])
    a = kern.e_step(correct, seq_ptr, 0, 3, th, True)
    b = kern.e_step(correct, seq_ptr, 0, 3, th, False)
    assert np.isfinite(a).all()
    np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-8)


def test_shuffled_rows_give_identical_params(sim: pd.DataFrame, fitted: BKT) -> None:
    shuffled = sim.sample(frac=1.0, random_state=11).reset_index(drop=True)
    shuffled = shuffled[["order_id", "correct", "skill_name", "user_id"]]
    again = BKT(random_state=0).fit(shuffled)
    pd.testing.assert_frame_equal(again.params_, fitted.params_, check_exact=True)
    pd.testing.assert_series_equal(again.log_likelihood_, fitted.log_likelihood_,
                                   check_exact=True)


def test_same_seed_same_fit_and_sklearn_params(sim: pd.DataFrame, fitted: BKT) -> None:
    other = BKT(random_state=0).fit(sim)
    pd.testing.assert_frame_equal(other.params_, fitted.params_, check_exact=True)
    assert BKT(n_restarts=3).get_params()["n_restarts"] == 3
    assert BKT().set_params(tol=1e-3).tol == 1e-3
    with pytest.raises(InvalidInput, match="no parameter 'bogus'"):
        BKT().set_params(bogus=1)


def test_guess_and_slip_stay_below_half() -> None:
    # answers that look like "mastered means more often wrong": unconstrained EM would push
    # guess and slip above 0.5 (a flipped, meaningless mastered state)
    rng = np.random.default_rng(5)
    n_users, n = 400, 15
    decline = np.linspace(0.9, 0.2, n)
    correct = (rng.random((n_users, n)) < decline).astype(int)
    df = pd.DataFrame({
        "user_id": np.repeat(np.arange(n_users), n),
        "skill_name": "x",
        "correct": correct.ravel(),
        "order_id": np.tile(np.arange(n), n_users),
    })
    p = BKT(random_state=1).fit(df).params_.loc["x"]
    assert p["guess"] < 0.5 and p["slip"] < 0.5
    p2 = BKT(random_state=1, max_guess=0.3, max_slip=0.2).fit(df).params_.loc["x"]
    assert p2["guess"] <= 0.3 and p2["slip"] <= 0.2


HAND = pd.DataFrame({"prior": [0.3], "learn": [0.2], "guess": [0.1], "slip": [0.2]},
                    index=["s"])


def test_predict_proba_hand_computed() -> None:
    # prior 0.3, learn 0.2, guess 0.1, slip 0.2; answers right, wrong, right
    # 1st: 0.3*0.8 + 0.7*0.1                                   = 0.31
    #      posterior 0.24/0.31 = 0.774194; + learning: 0.774194 + 0.225806*0.2 = 0.819355
    # 2nd: 0.819355*0.8 + 0.180645*0.1                         = 0.673548
    #      posterior 0.163871/0.326452 = 0.501976; + learning   = 0.601581
    # 3rd: 0.601581*0.8 + 0.398419*0.1                         = 0.521107
    model = BKT.from_params(HAND)
    df = pd.DataFrame({"user_id": ["u"] * 3, "skill_name": ["s"] * 3, "correct": [1, 0, 1],
                       "order_id": [10, 20, 30]})
    np.testing.assert_allclose(model.predict_proba(df), [0.31, 0.673548, 0.521107], atol=1e-6)
    # row order does not matter: predictions follow the rows
    rev = df.iloc[::-1].reset_index(drop=True)
    np.testing.assert_allclose(model.predict_proba(rev), [0.521107, 0.673548, 0.31], atol=1e-6)
    # another student's answers never leak in
    two = pd.concat([df, df.assign(user_id="v", correct=[0, 0, 0])], ignore_index=True)
    np.testing.assert_allclose(model.predict_proba(two)[:3], [0.31, 0.673548, 0.521107],
                               atol=1e-6)


def test_online_update_matches_batch_mastery(fitted: BKT, sim: pd.DataFrame) -> None:
    skill = "5.NF.A.1"
    seq = sim[(sim.user_id == 17) & (sim.skill_name == skill)].sort_values("order_id")
    p = fitted.params_.loc[skill, "prior"]
    for c in seq.correct:
        p = fitted.step(p, int(c), skill)
    batch = fitted.mastery(seq)
    assert len(batch) == 1
    row = batch.iloc[0]
    assert row.user_id == 17 and row.skill_name == skill
    assert row.n_answers == 20 and row.n_correct == seq.correct.sum()
    assert row.p_mastered == pytest.approx(p, abs=1e-12)


def test_update_hand_computed_and_vectorised() -> None:
    model = BKT.from_params(HAND)
    assert model.step(0.3, 1, "s") == pytest.approx(0.819355, abs=1e-6)
    assert model.step(0.3, True, "s") == pytest.approx(0.819355, abs=1e-6)
    out = model.step(np.array([0.3, 0.819355]), np.array([1, 0]), "s")
    np.testing.assert_allclose(out, [0.819355, 0.601581], atol=1e-6)
    with pytest.raises(InvalidInput, match="unknown skill 'zz'"):
        model.step(0.3, 1, "zz")
    with pytest.raises(InvalidInput, match="probability"):
        model.step(1.5, 1, "s")
    with pytest.raises(InvalidInput, match="0 or 1"):
        model.step(0.5, 2, "s")


def test_mastery_table(fitted: BKT, sim: pd.DataFrame) -> None:
    few = sim[sim.user_id < 50]
    m = fitted.mastery(few)
    assert list(m.columns) == ["user_id", "skill_name", "p_mastered", "n_answers", "n_correct"]
    assert len(m) == 50 * 4
    assert m.p_mastered.between(0, 1).all()
    # more correct answers -> more likely mastered, on average
    assert m.p_mastered.corr(m.n_correct) > 0.5


def test_not_fitted() -> None:
    m = BKT()
    df = pd.DataFrame({"user_id": [1], "skill_name": ["s"], "correct": [1], "order_id": [1]})
    for call in (lambda: m.predict_proba(df), lambda: m.mastery(df),
                 lambda: m.step(0.5, 1, "s")):
        with pytest.raises(NotFitted, match="not fitted"):
            call()


def _table(**cols: list) -> pd.DataFrame:
    base = {"user_id": [1, 1, 2], "skill_name": ["a", "a", "b"], "correct": [1, 0, 1],
            "order_id": [1, 2, 3]}
    base.update(cols)
    return pd.DataFrame(base)


def test_validation_messages() -> None:
    with pytest.raises(InvalidEvidence) as e:
        BKT().fit(_table().drop(columns=["order_id", "correct"]))
    assert str(e.value) == ("<responses>, line 1, field correct: required column is missing "
                            "(and 1 more)")
    assert [p.field for p in e.value.problems] == ["correct", "order_id"]

    with pytest.raises(InvalidEvidence) as e:
        BKT().fit(_table(correct=[1, 2, 0.5]), source="answers.csv")
    assert [str(p) for p in e.value.problems] == [
        "answers.csv, line 3, field correct: must be 0 or 1, got 2.0",
        "answers.csv, line 4, field correct: must be 0 or 1, got 0.5",
    ]

    with pytest.raises(InvalidEvidence) as e:
        BKT().fit(_table(correct=["1", "yes", "0"]))
    assert str(e.value) == "<responses>, line 3, field correct: must be 0 or 1, got 'yes'"

    with pytest.raises(InvalidEvidence) as e:
        BKT().fit(_table(order_id=[1, None, 3]))
    assert str(e.value) == "<responses>, line 3, field order_id: missing value"

    with pytest.raises(InvalidEvidence) as e:
        BKT().fit(_table(user_id=[1, None, 2]))
    assert str(e.value) == "<responses>, line 3, field user_id: missing value"

    with pytest.raises(InvalidEvidence) as e:
        BKT().fit(_table().iloc[:0])
    assert str(e.value) == "<responses>: no responses"

    with pytest.raises(InvalidEvidence) as e:
        BKT(known_skills=["a"]).fit(_table())
    assert str(e.value) == "<responses>, line 4, field skill_name: unknown skill 'b'"


def test_unknown_skill_at_predict_time() -> None:
    model = BKT.from_params(HAND)
    df = pd.DataFrame({"user_id": [1, 1], "skill_name": ["s", "t"], "correct": [1, 0],
                       "order_id": [1, 2]})
    with pytest.raises(InvalidEvidence) as e:
        model.predict_proba(df)
    assert str(e.value) == "<responses>, line 3, field skill_name: unknown skill 't'"


def test_aliases_and_timestamps() -> None:
    # Sounding's own evidence columns work, and ISO timestamps order the answers
    df = pd.DataFrame({
        "student_id": ["s1", "s1", "s1"],
        "standard": ["s", "s", "s"],
        "correct": [0, 1, 1],
        "timestamp": ["2024-03-01T10:00:00Z", "2024-03-01T09:00:00Z", "2024-03-02T08:00:00Z"],
    })
    model = BKT.from_params(HAND)
    p = model.predict_proba(df)
    # the 09:00 answer (row 1) is the first: it gets the prior prediction 0.31
    assert p[1] == pytest.approx(0.31)
    assert p[0] == pytest.approx(0.673548, abs=1e-6)  # after one right answer
    with pytest.raises(InvalidEvidence) as e:
        model.predict_proba(df.assign(timestamp=["2024-03-01", "soon", "2024-03-02"]))
    assert str(e.value) == ("<responses>, line 3, field order_id: must be a number or an "
                            "ISO 8601 timestamp, got 'soon'")


def test_from_params_validation() -> None:
    with pytest.raises(InvalidInput, match="slip"):
        BKT.from_params(HAND.drop(columns=["slip"]))
    with pytest.raises(InvalidInput, match="probabilities"):
        BKT.from_params(HAND.assign(guess=1.5))


def test_tiny_skills_stay_interior() -> None:
    # one student, one answer: the weak prior keeps the estimates off 0 and 1
    df = pd.DataFrame({"user_id": [1], "skill_name": ["s"], "correct": [1], "order_id": [1]})
    p = BKT(random_state=0).fit(df).params_.loc["s"]
    assert ((p[FOUR] > 0.01) & (p[FOUR] < 0.99)).all()
    assert np.isfinite(p.to_numpy()).all()
