"""One contract for every learner model, and the models by name.

Every mastery model is a scikit-learn style estimator: ``__init__`` only stores its
hyper-parameters (``get_params`` / ``set_params`` round-trip them), and

* ``fit(responses, grades=None, *, source=...) -> self`` learns the fitted attributes,
  ``params_`` among them (one row or entry per skill / standard);
* ``predict_proba(responses, grades=None, *, source=...)`` gives P(correct) of every answer
  from the same student's *earlier* answers only (what ``sounding mastery evaluate`` scores);
* ``posterior(responses, grades=None, *, source=...)`` gives P(mastered) and its sd per
  student and skill: columns ``user_id``, the skill (``skill_name``, or ``standard`` for the
  progression model), ``p_mastered``, ``sd``, ``n_evidence``;
* ``initial_state(grade=None)`` and ``update(state, skill, correct)`` fold answers in one at
  a time (the diagnostic, the web), agreeing with ``posterior`` on the same answers.

``responses`` has the pyBKT columns ``user_id, skill_name, correct, order_id`` (Sounding's
``student_id, standard, timestamp`` are accepted), ``grades`` maps a student to a grade (the
models that do not use grades ignore it). ``tests/mastery/test_conformance.py`` checks every
model in :data:`MODEL_NAMES` against this contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sounding.errors import InvalidInput

if TYPE_CHECKING:  # the CLI imports this module: keep its start-up free of numpy/pandas
    import numpy as np
    import pandas as pd

#: Every model ``--model NAME`` accepts: the logistic family, BKT, the progression model.
MODEL_NAMES: tuple[str, ...] = ("best-lr", "pfa", "irt", "bkt", "bkt-forget", "graph")
#: Models that run on any skill set (the graph model needs progression codes).
ANY_SKILLS: tuple[str, ...] = ("best-lr", "pfa", "irt", "bkt", "bkt-forget")
#: Models that use prerequisite edges (from the progression or a ``from_skill,to_skill`` file).
USES_PREREQUISITES: tuple[str, ...] = ("best-lr", "graph")


@runtime_checkable
class MasteryModel(Protocol):
    """The contract every learner model meets (see the module docstring)."""

    def get_params(self, deep: bool = True) -> dict[str, Any]: ...

    def set_params(self, **params: Any) -> Any: ...

    def fit(self, responses: pd.DataFrame, grades: Any = None, *, source: str = ...
            ) -> Any: ...

    def predict_proba(self, responses: pd.DataFrame, grades: Any = None, *,
                      source: str = ...) -> np.ndarray: ...

    def posterior(self, responses: pd.DataFrame, grades: Any = None, *,
                  source: str = ...) -> pd.DataFrame: ...

    def initial_state(self, grade: Any = None) -> Any: ...

    def update(self, state: Any, skill: Any, correct: bool | int) -> Any: ...


def make_model(name: str, *, seed: int = 0, graph: Any = None,
               prerequisites: Iterable[tuple[Any, Any]] | None = None,
               **options: Any) -> MasteryModel:
    """A fresh, unfitted model by name.

    ``graph`` is the progression (the graph model needs it; the logistic models take its
    grades, strands and edges when the skills are its codes); ``prerequisites`` are edges for
    any other skill set. ``options`` go to the constructor (e.g. ``max_iter``).
    """
    if name not in MODEL_NAMES:
        raise InvalidInput(f"unknown model {name!r}; choose one of: {', '.join(MODEL_NAMES)}")
    if name in ("bkt", "bkt-forget"):
        from sounding.mastery.bkt import BKT

        options.setdefault("random_state", seed)
        return BKT(forget=name == "bkt-forget", **options)
    if name == "graph":
        if graph is None:
            raise InvalidInput("the graph model needs a progression (skills that are its "
                               "standard codes); for any other skill set use best-lr, pfa, "
                               "irt or bkt")
        if prerequisites is not None:
            raise InvalidInput("the graph model takes its prerequisites from the progression; "
                               "--prerequisites is for best-lr")
        from sounding.mastery.graph_model import GraphMastery

        return GraphMastery(graph, **options)
    from sounding.mastery.logistic import LogisticMastery

    return LogisticMastery(name, graph=graph, prerequisites=prerequisites, **options)
