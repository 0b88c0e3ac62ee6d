"""`sounding mastery evaluate --model graph`: the graph-aware model on standards-coded data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sounding.cli.mastery import MODELS
from sounding.mastery.evaluate import cross_validate
from sounding.mastery.models import MODEL_NAMES, make_model
from sounding.progression import load_default
from sounding.testing import tiny_district

GRAPH = load_default().k8_algebra1()


def test_the_cli_lists_every_model():
    assert MODELS == MODEL_NAMES


def test_graph_model_predicts_next_answers_better_than_bkt():
    r = tiny_district().responses.sort_values(["student_id", "timestamp"])
    df = pd.DataFrame({"user_id": r.student_id, "skill_name": r.standard,
                       "correct": r.correct, "order_id": np.arange(len(r))})
    scores = {
        name: cross_validate(df, folds=3, seed=0, model_name=name,
                             model_factory=lambda n=name: make_model(n, graph=GRAPH)).overall.auc
        for name in ("bkt", "graph")
    }
    print(scores)
    assert scores["graph"] > scores["bkt"] + 0.03
    assert scores["graph"] > 0.7
