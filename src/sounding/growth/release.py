"""What every growth release starts from, computed one way for every face.

`sounding growth report`, the query layer (web, static report) and anything else that
publishes growth from a store need the same per-student inputs: SGPs (order 2), lagged
catch-up / keep-up targets, the achievement cuts, and grade-span growth
(:func:`sounding.growth.grade_span.grade_span_for_release`). Computing them in one function
is what makes the published figures agree on the same store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sounding.core.thresholds import MIN_N


def growth_inputs(store: Any, *, windows: str | Path | None = None,
                  min_n: int = MIN_N) -> dict[str, Any] | None:
    """Per-student growth inputs from a store, or None when it holds no scale scores.

    Keys: ``scores, students`` (the roster, normalised), ``sgp, targets, cuts, grade_span``
    (a frame or None) and ``grade_span_info`` (what the grade-span figures rest on).
    """
    from sounding.growth.grade_span import grade_span_for_release
    from sounding.growth.projections import lagged_growth_targets
    from sounding.growth.sgp import GrowthPercentiles
    from sounding.growth.students import cuts_from_levels
    from sounding.mastery.pipeline import normalize_students

    scores = store.scores()
    if scores.empty:
        return None
    students = normalize_students(store.students())
    model = GrowthPercentiles(max_order=2)
    sgp = model.fit_transform(scores)
    cuts = cuts_from_levels(scores)
    targets = (lagged_growth_targets(model, scores, cuts, sgp=sgp)
               if cuts and model.models_ else None)
    graph = store.progression().k8_algebra1()
    span, span_info = grade_span_for_release(store, graph, windows=windows, scores=scores,
                                             sgp=sgp, min_n=min_n)
    return {"scores": scores, "students": students, "sgp": sgp, "targets": targets,
            "cuts": cuts, "grade_span": span, "grade_span_info": span_info}
