"""Evidence as the learner models take it: the pyBKT-style frame, checked once.

The models (:class:`~sounding.mastery.graph_model.GraphMastery`, BKT, logistic) speak
pyBKT's language (``user_id, skill_name, correct, order_id``); :func:`responses_for_model`
turns the evidence format into it with the evidence importer's own checks, and
:func:`rollup_responses` puts sub-standards on their standard. Moved here from
``sounding.mastery.pipeline`` (which re-exports the names), which keeps only the fitting.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sounding.errors import InvalidEvidence, InvalidInput, Problem
from sounding.progression import StandardsGraph

_PYBKT = ("user_id", "skill_name", "correct", "order_id")


def responses_for_model(responses_df: pd.DataFrame, graph: StandardsGraph | None = None, *,
                        source: str = "responses", trusted: bool = False) -> pd.DataFrame:
    """The evidence format as the pyBKT-style frame the learner models take.

    ``student_id, item_id, standard, correct, timestamp`` (plus ``source``, kept) become
    ``user_id, skill_name, correct (int8), order_id (datetime)``. Validated once here, with
    the evidence importer's own checks (:func:`sounding.evidence.checks.check_responses`), so
    every model sees clean input and every problem names ``source``, the file line (header =
    1) and the column as the file spells it. A frame in pyBKT columns is checked the pyBKT
    way (:func:`sounding.mastery.responses.validate_responses`: ``order_id`` required).

    Parameters
    ----------
    graph : StandardsGraph, optional
        When given, a code that is not one of its standards (or sub-standards) is a problem.
    trusted : bool
        Skip the checks (rows read back from the store, which checked them on import).

    Raises
    ------
    InvalidEvidence
        A required column is missing (``timestamp`` included: without it the order of the
        answers is unknown), or a row has no student, no standard, a ``correct`` that is not
        0/1 (``true``/``false`` text is not accepted, as on import), a blank or unreadable
        timestamp, or an unknown standard.
    """
    if not isinstance(responses_df, pd.DataFrame):
        raise InvalidInput("responses must be a pandas DataFrame")
    df = responses_df
    if all(c in df.columns for c in _PYBKT[:3]) and "student_id" not in df.columns:
        return _pybkt_frame(df, graph, source)
    if not trusted:
        from sounding.evidence.checks import check_responses

        if "correct" in df.columns and df["correct"].dtype == object:
            # numbers in a mixed column as the text a file would hold (the checker reads an
            # object column as text)
            df = df.assign(correct=df["correct"].map(_correct_text))
        df = check_responses(df, graph=graph, file=source)
    out = pd.DataFrame({
        "user_id": df["student_id"].to_numpy(dtype=object),
        "skill_name": df["standard"].astype(str).str.strip().to_numpy(dtype=object),
        "correct": df["correct"].to_numpy().astype(np.int8),
        "order_id": pd.to_datetime(df["timestamp"]).to_numpy(),
    })
    for extra in ("item_id", "source"):
        if extra in df.columns:
            out[extra] = df[extra].to_numpy()
    return out


def _correct_text(v: Any) -> Any:
    """A correctness cell as file text: 1/0 numbers and booleans as "1"/"0", else as is."""
    if isinstance(v, bool | np.bool_):
        return "1" if v else "0"
    if isinstance(v, int | np.integer) or (isinstance(v, float | np.floating)
                                           and float(v).is_integer()):
        return str(int(v))
    return v


def _pybkt_frame(df: pd.DataFrame, graph: StandardsGraph | None, source: str) -> pd.DataFrame:
    """A pyBKT-column frame, checked (order required) and with the model's dtypes."""
    from sounding.mastery.responses import validate_responses

    checked = validate_responses(df, source=source)
    blank = checked["user_id"].astype(str).str.strip().eq("").to_numpy() | \
        checked["skill_name"].astype(str).str.strip().eq("").to_numpy()
    if blank.any():
        raise InvalidEvidence([
            Problem(source, int(r) + 2, "user_id" if not str(checked["user_id"].iloc[r]).strip()
                    else "skill_name", "missing value") for r in np.flatnonzero(blank)[:20]])
    out = pd.DataFrame({
        "user_id": checked["user_id"].to_numpy(dtype=object),
        "skill_name": checked["skill_name"].astype(str).str.strip().to_numpy(dtype=object),
        "correct": checked["correct"].to_numpy().astype(np.int8),
        "order_id": checked["order_id"].to_numpy(),
    })
    if graph is not None:
        rollup_responses(out, graph, source=source, field="skill_name")
    return out


def rollup_responses(responses: pd.DataFrame, graph: StandardsGraph, *,
                     source: str = "responses", field: str = "standard") -> pd.DataFrame:
    """Model-frame responses with ``skill_name`` at the graph's standard level.

    Sub-standards (4.NF.B.3a) roll up to their standard so every model estimates the same
    units the iceberg and the store speak of.

    Raises
    ------
    InvalidEvidence
        A code that is not in the progression (``field`` of ``source``).
    """
    codes = set(graph.standard_codes)
    uniq = pd.unique(responses["skill_name"])
    mapping: dict[Any, str] = {}
    problems = []
    for u in uniq:
        c = str(u)
        if c in codes:
            mapping[u] = c
        elif c in graph and graph.rollup(c) in codes:
            mapping[u] = graph.rollup(c)
        else:
            first = int(np.flatnonzero((responses["skill_name"] == u).to_numpy())[0])
            problems.append(Problem(source, first + 2, field,
                                    f"unknown standard {c!r}: not a standard of {graph.name}"))
    if problems:
        raise InvalidEvidence(problems)
    return responses.assign(skill_name=responses["skill_name"].map(mapping))
