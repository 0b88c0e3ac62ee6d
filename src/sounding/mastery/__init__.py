"""Mastery: P(mastered) per student and standard, with the evidence behind it.

The learner models share one contract (:class:`MasteryModel`, built by name with
:func:`make_model`): the feature-based logistic family (:class:`LogisticMastery`: Best-LR,
PFA, IRT), Bayesian Knowledge Tracing (:class:`BKT`) and the progression model
(``graph_model.GraphMastery``); their cross-validated evaluation (:func:`cross_validate`), and
the response-table checks they rely on.
"""

from sounding.mastery.bkt import BKT, PARAM_NAMES, simulate_bkt
from sounding.mastery.evaluate import CVResult, FoldScores, auc_score, cross_validate
from sounding.mastery.logistic import LogisticMastery
from sounding.mastery.models import MODEL_NAMES, MasteryModel, make_model
from sounding.mastery.responses import (
    REQUIRED_COLUMNS,
    EncodedResponses,
    encode_responses,
    validate_responses,
)

__all__ = [
    "BKT",
    "MODEL_NAMES",
    "LogisticMastery",
    "MasteryModel",
    "make_model",
    "PARAM_NAMES",
    "REQUIRED_COLUMNS",
    "CVResult",
    "EncodedResponses",
    "FoldScores",
    "auc_score",
    "cross_validate",
    "encode_responses",
    "simulate_bkt",
    "validate_responses",
]
