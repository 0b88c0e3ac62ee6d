"""Mastery: P(mastered) per student and standard, with the evidence behind it.

Bayesian Knowledge Tracing (:class:`BKT`) per standard, its cross-validated evaluation
(:func:`cross_validate`), and the response-table checks both rely on.
"""

from sounding.mastery.bkt import BKT, PARAM_NAMES, simulate_bkt
from sounding.mastery.evaluate import CVResult, FoldScores, auc_score, cross_validate
from sounding.mastery.responses import (
    REQUIRED_COLUMNS,
    EncodedResponses,
    encode_responses,
    validate_responses,
)

__all__ = [
    "BKT",
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
