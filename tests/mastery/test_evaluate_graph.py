"""`sounding mastery evaluate --model graph`: the graph-aware model on standards-coded data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sounding.cli.mastery import MODELS
from sounding.mastery.evaluate import cross_validate
from sounding.testing import tiny_district


def test_graph_model_predicts_next_answers_better_than_bkt():
    r = tiny_district().responses.sort_values(["student_id", "timestamp"])
    df = pd.DataFrame({"user_id": r.student_id, "skill_name": r.standard,
                       "correct": r.correct, "order_id": np.arange(len(r))})
    scores = {
        name: cross_validate(df, folds=3, model_factory=lambda n=name: MODELS[n](0), seed=0,
                             model_name=name).overall.auc
        for name in ("bkt", "graph")
    }
    print(scores)
    assert scores["graph"] > scores["bkt"] + 0.03
    assert scores["graph"] > 0.7
