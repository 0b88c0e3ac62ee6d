"""One contract for every mastery model (sounding.mastery.models), checked over all of them.

Modelled on scikit-learn's ``check_estimator``: ``__init__`` stores the hyper-parameters and
nothing else, ``get_params``/``set_params`` round-trip, an unfitted model refuses to predict,
``fit`` returns the model with ``params_``, the next-answer prediction is aligned with the
rows, independent of their order and blind to the answer it predicts, the readout has the
shared columns, and folding answers one by one (``initial_state``/``update``) agrees with the
batch ``posterior``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sounding.errors import NotFitted
from sounding.mastery.models import MODEL_NAMES, MasteryModel, make_model
from sounding.progression import load_default
from sounding.testing import tiny_district

GRAPH = load_default().k8_algebra1()
FAST = {"graph": {"max_iter": 5}, "bkt": {"n_restarts": 1}, "bkt-forget": {"n_restarts": 1}}


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, dict]:
    d = tiny_district(n_students=160)
    r = d.responses.sort_values(["student_id", "timestamp"]).reset_index(drop=True)
    df = pd.DataFrame({"user_id": r.student_id, "skill_name": r.standard.map(GRAPH.rollup),
                       "correct": r.correct.astype(int), "order_id": np.arange(len(r))})
    ts = d.truth_students
    grades = {s: (9 if a else int(g)) for s, g, a in
              zip(ts["student_id"], ts["grade"], ts["algebra1"], strict=True)}
    return df, grades


def _model(name: str) -> MasteryModel:
    return make_model(name, graph=GRAPH, **FAST.get(name, {}))


@pytest.fixture(scope="module")
def fitted(data) -> dict[str, MasteryModel]:
    df, grades = data
    return {name: _model(name).fit(df, grades) for name in MODEL_NAMES}


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_init_stores_only_the_hyper_parameters(name):
    model = _model(name)
    assert isinstance(model, MasteryModel)
    params = model.get_params()
    assert set(vars(model)) == set(params), "__init__ must not compute or fit anything"
    clone = type(model)(**params)
    assert clone.get_params().keys() == params.keys()
    assert all(clone.get_params()[k] is params[k] for k in params)
    assert model.set_params(**params) is model
    assert not hasattr(model, "params_")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_an_unfitted_model_refuses_to_predict(name, data):
    df, grades = data
    model = _model(name)
    with pytest.raises(NotFitted):
        model.predict_proba(df.head(20), grades)
    with pytest.raises(NotFitted):
        model.posterior(df.head(20), grades)
    with pytest.raises(NotFitted):
        model.initial_state(5)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_fit_returns_the_model_and_leaves_the_input_alone(name, data, fitted):
    df, grades = data
    before = df.copy()
    model = _model(name)
    assert model.fit(df.head(3000), grades) is model
    assert hasattr(model, "params_")
    pd.testing.assert_frame_equal(df, before)
    assert hasattr(fitted[name], "params_")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_next_answer_prediction_is_aligned_order_free_and_blind_to_its_answer(name, data,
                                                                              fitted):
    df, grades = data
    model = fitted[name]
    users = df["user_id"].unique()[:30]
    sub = df[df["user_id"].isin(users)].reset_index(drop=True)
    p = model.predict_proba(sub, grades)
    assert p.shape == (len(sub),) and np.all((p >= 0) & (p <= 1))
    perm = np.random.default_rng(0).permutation(len(sub))
    np.testing.assert_allclose(model.predict_proba(sub.iloc[perm], grades), p[perm],
                               atol=1e-9)
    # flipping every student's last answer changes no prediction of that answer
    last = sub.groupby("user_id")["order_id"].idxmax().to_numpy()
    flipped = sub.copy()
    flipped.loc[last, "correct"] = 1 - flipped.loc[last, "correct"]
    np.testing.assert_allclose(model.predict_proba(flipped, grades)[last], p[last], atol=1e-9)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_posterior_columns_and_online_updates_agree(name, data, fitted):
    df, grades = data
    model = fitted[name]
    sid = df["user_id"].iloc[0]
    one = df[df["user_id"] == sid]
    post = model.posterior(one, {sid: grades[sid]})
    skill_col = "standard" if "standard" in post.columns else "skill_name"
    assert {"user_id", skill_col, "p_mastered", "sd", "n_evidence"} <= set(post.columns)
    assert post["p_mastered"].between(0, 1).all()
    assert (post["sd"].isna() | (post["sd"] >= 0)).all()
    state = model.initial_state(grades[sid])
    for skill, ok in zip(one["skill_name"], one["correct"], strict=True):
        state = model.update(state, skill, int(ok))
    answered = post[post["n_evidence"] > 0]
    online = _state_p(state, answered[skill_col])
    np.testing.assert_allclose(online, answered["p_mastered"].to_numpy(), atol=1e-5)


def _state_p(state, skills: pd.Series) -> np.ndarray:
    if isinstance(state, dict):  # BKT: P(mastered) per skill
        return np.array([state[s] for s in skills])
    return np.array([state.p(s) for s in skills])
