"""Grade-span growth on the progression: standards newly secured between two points in time.

Math Innovation Zones judge growth across a grade span (6 -> 8), not one year's grade-level
proficiency. The iceberg lesson is that a school closing below-grade gaps may look flat on a
grade-level test: so growth here counts every standard that became secure, split by where it
sits relative to the student's grade (below, on, above), and reports proficiency beside it.

Two mastery snapshots come from the same model: a posterior from the evidence up to a cut date
and one from all the evidence (:func:`mastery_snapshots`), or two stored posteriors (e.g. two
school years).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

# SECURE: P(mastered) at or above which a standard counts as secure (defined once, in core).
from sounding.core.thresholds import SECURE as SECURE
from sounding.errors import InvalidInput
from sounding.progression import StandardsGraph

_POSTERIOR = ("student_id", "standard", "p_mastered")


def _check(df: pd.DataFrame, name: str) -> pd.DataFrame:
    if "user_id" in df.columns and "student_id" not in df.columns:
        df = df.rename(columns={"user_id": "student_id"})
    missing = [c for c in _POSTERIOR if c not in df.columns]
    if missing:
        raise InvalidInput(f"{name} posterior is missing column(s): {', '.join(missing)}")
    return df[list(_POSTERIOR)]


def grade_span_growth(
    before: pd.DataFrame,
    after: pd.DataFrame,
    grades: Mapping[Any, int],
    graph: StandardsGraph,
    *,
    secure: float = SECURE,
) -> pd.DataFrame:
    """Per student: standards newly secured between two posteriors, by position vs grade.

    Parameters
    ----------
    before, after : DataFrame
        ``student_id, standard, p_mastered`` at the start and the end of the span.
    grades : mapping
        Student -> grade at the END of the span (0 = K .. 8, 9 = Algebra I); a standard is
        below / on / above grade against it.
    graph : StandardsGraph
    secure : float
        Threshold for "secure".

    Returns
    -------
    DataFrame
        ``student_id, grade, secured_below, secured_on, secured_above, secured_total,
        lost_total, secure_before, secure_after`` (counts of standards). ``lost_total`` is
        reported rather than netted out: a drop is a signal to look at, not negative growth.
    """
    b, a = _check(before, "before"), _check(after, "after")
    # inner join: a student without a baseline snapshot has no measurable growth
    merged = a.merge(b, on=["student_id", "standard"], how="inner",
                     suffixes=("_after", "_before"))
    merged = merged[merged["standard"].map(lambda c: c in graph)]
    merged["std_grade"] = merged["standard"].map(lambda c: graph[graph.rollup(c)].grade_num)
    merged["grade"] = merged["student_id"].map(grades)
    merged = merged.dropna(subset=["grade"])
    merged["grade"] = merged["grade"].astype(int)
    was = merged["p_mastered_before"].to_numpy() >= secure
    now = merged["p_mastered_after"].to_numpy() >= secure
    rel = np.sign(merged["std_grade"].to_numpy() - merged["grade"].to_numpy())
    gained = now & ~was
    frame = pd.DataFrame({
        "student_id": merged["student_id"].to_numpy(),
        "grade": merged["grade"].to_numpy(),
        "secured_below": gained & (rel < 0),
        "secured_on": gained & (rel == 0),
        "secured_above": gained & (rel > 0),
        "lost_total": was & ~now,
        "secure_before": was,
        "secure_after": now,
    })
    out = frame.groupby(["student_id", "grade"], sort=True).sum().reset_index()
    out.insert(5, "secured_total",
               out["secured_below"] + out["secured_on"] + out["secured_above"])
    for c in out.columns[2:]:
        out[c] = out[c].astype(np.int64)
    return out


def grade_span_summary(
    growth: pd.DataFrame,
    students: pd.DataFrame,
    *,
    by: Sequence[str] = ("school_id",),
    proficient: pd.Series | None = None,
) -> pd.DataFrame:
    """Aggregate per group: mean standards newly secured below / on / above grade, with the
    share proficient on the grade-level test beside it (so both stories show at once).

    ``students`` carries ``student_id`` and the ``by`` columns; ``proficient`` is an optional
    boolean Series indexed by student id.
    """
    missing = [c for c in ("student_id", *by) if c not in students.columns]
    if missing:
        raise InvalidInput(f"students table is missing column(s): {', '.join(missing)}")
    df = growth.merge(students[["student_id", *by]].drop_duplicates("student_id"),
                      on="student_id", how="left")
    if proficient is not None:
        df["proficient"] = df["student_id"].map(proficient).astype(float)
    agg = {
        "n": ("student_id", "size"),
        "secured_below": ("secured_below", "mean"),
        "secured_on": ("secured_on", "mean"),
        "secured_above": ("secured_above", "mean"),
        "secured_total": ("secured_total", "mean"),
    }
    if "proficient" in df.columns:
        agg["proficient_share"] = ("proficient", "mean")
    return df.groupby(list(by), dropna=False).agg(**agg).reset_index()


def mastery_snapshots(
    responses: pd.DataFrame,
    grades: Mapping[Any, int],
    graph: StandardsGraph,
    cut: Any,
    *,
    model: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posteriors from the evidence before ``cut`` and from all of it, with one fitted model.

    ``responses`` in the store format (``student_id, standard, correct, timestamp``). Fitting
    once on all the evidence keeps the two snapshots on the same scale; a student with no
    evidence before the cut starts from the model's prior for their grade.
    """
    from sounding.mastery.graph_model import GraphMastery

    need = ("student_id", "standard", "correct", "timestamp")
    missing = [c for c in need if c not in responses.columns]
    if missing:
        raise InvalidInput(f"responses are missing column(s): {', '.join(missing)}")
    ts = pd.to_datetime(responses["timestamp"])
    frame = pd.DataFrame({
        "user_id": responses["student_id"].astype(str).to_numpy(),
        "skill_name": responses["standard"].to_numpy(),
        "correct": responses["correct"].astype(int).to_numpy(),
        "order_id": ts.rank(method="first").astype(np.int64).to_numpy(),
    })
    g = {str(k): int(v) for k, v in grades.items()}
    m = model if model is not None else GraphMastery(graph).fit(frame, grades=g)
    early = frame[(ts < pd.Timestamp(cut)).to_numpy()]
    after = m.posterior(frame, grades=g)
    before = m.posterior(early, grades=g) if len(early) else after.iloc[0:0]
    rename = {"user_id": "student_id"}
    return (before.rename(columns=rename)[list(_POSTERIOR)],
            after.rename(columns=rename)[list(_POSTERIOR)])


def mastery_snapshot_growth(
    mastery: pd.DataFrame,
    grades: Mapping[Any, int],
    graph: StandardsGraph,
    *,
    secure: float = SECURE,
) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """Grade-span growth between the earliest and the latest mastery snapshot of a store.

    The store's mastery table holds one posterior per model (``student_id, standard,
    p_mastered, model, as_of``: :meth:`sounding.store.Store.mastery`); a district keeps
    another point in time by fitting under another model name (last spring's, this
    spring's). A snapshot is one model's rows, dated by their latest ``as_of``. Growth needs
    two snapshots on different dates; with fewer the reason is returned, so a report can say
    so plainly instead of leaving the column out.

    Returns
    -------
    (DataFrame or None, dict)
        :func:`grade_span_growth` between the earliest and the latest snapshot (None when
        there are not two dates), and what was used: ``available``, ``snapshots`` (model,
        as_of, students), ``before``, ``after``, ``message`` (one plain sentence).
    """
    info: dict[str, Any] = {"available": False, "snapshots": [], "before": None,
                            "after": None}
    if mastery is None or not len(mastery):
        info["message"] = ("Grade-span growth is not shown: the store holds no mastery "
                           "estimates (run `sounding mastery fit`).")
        return None, info
    m = mastery.copy()
    if "model" not in m.columns:
        m["model"] = "mastery"
    m["as_of"] = pd.to_datetime(m["as_of"]) if "as_of" in m.columns else pd.NaT
    snaps = (m.groupby("model", sort=False)
             .agg(as_of=("as_of", "max"), students=("student_id", "nunique"))
             .reset_index().sort_values(["as_of", "model"], na_position="first"))
    info["snapshots"] = [
        {"model": str(r.model), "as_of": None if pd.isna(r.as_of) else r.as_of.isoformat(),
         "students": int(r.students)} for r in snaps.itertuples(index=False)]
    dated = snaps.dropna(subset=["as_of"])
    days = dated["as_of"].dt.normalize().unique() if len(dated) else []
    if len(days) < 2:
        only = info["snapshots"][-1]
        when = f", as of {only['as_of'][:10]}" if only["as_of"] else ""
        more = (f" ({len(snaps)} models, all from one date)" if len(snaps) > 1 else "")
        info["message"] = (
            f"Grade-span growth is not shown: the store holds only one mastery snapshot "
            f"(model {only['model']!r}{when}){more}; it needs two from different dates, for "
            "example last spring's and this spring's fitted under two model names.")
        return None, info
    first, last = dated.iloc[0], dated.iloc[-1]
    before = m[m["model"] == first["model"]]
    after = m[m["model"] == last["model"]]
    out = grade_span_growth(before, after, grades, graph, secure=secure)
    info.update(available=True,
                before={"model": str(first["model"]), "as_of": first["as_of"].isoformat()},
                after={"model": str(last["model"]), "as_of": last["as_of"].isoformat()},
                students=int(out["student_id"].nunique()) if len(out) else 0)
    info["message"] = (f"Grade-span growth: standards newly secured between "
                       f"{first['as_of']:%Y-%m-%d} ({first['model']}) and "
                       f"{last['as_of']:%Y-%m-%d} ({last['model']}), for "
                       f"{info['students']} students.")
    return out, info
