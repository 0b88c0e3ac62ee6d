"""What several services read, built once per Context (``ctx.memo``) and limited to scope.

Mastery is read only for the students the principal reaches (``store.mastery(student_ids=
...)``: the scope as a SQL filter); the roster tables are small and read whole, because the
views need names and classes around the students they show (results are redacted after).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sounding.errors import InvalidInput
from sounding.mastery.pipeline import normalize_posterior as _normalize_posterior
from sounding.mastery.view_source import ViewSource as _Source
from sounding.roster.normalize import none_if_empty as _none_if_empty
from sounding.roster.normalize import (
    normalize_classes,
    normalize_enrollments,
    normalize_students,
)
from sounding.services.context import Context


def graph(ctx: Context) -> Any:
    """The district's progression (standard level, K-8 and Algebra I)."""
    return ctx.memo("graph", lambda: ctx.store.progression().k8_algebra1())


def roster(ctx: Context) -> tuple[Any, Any, Any]:
    """Normalised (students, classes, enrollments) of the whole roster."""
    def make() -> tuple[Any, Any, Any]:
        st = ctx.store
        return (normalize_students(st.students()),
                normalize_classes(_none_if_empty(st.classes())),
                normalize_enrollments(_none_if_empty(st.enrollments())))
    return ctx.memo("roster", make)


def mastery_source(ctx: Context, model: str = "graph") -> _Source:
    """The views' source: the stored posterior of the reached students, indexed once."""
    def make() -> _Source:
        reach = ctx.reach
        ids = None if reach.everything else sorted(reach.students)
        raw = ctx.store.mastery(model=model, student_ids=ids)
        if ids is None and (raw is None or not len(raw)):
            raise InvalidInput("the store has no mastery estimates yet; "
                               "run `sounding mastery fit`")
        students, classes, enrollments = roster(ctx)
        return _Source(_normalize_posterior(raw), students, classes, enrollments, graph(ctx),
                       None)
    return ctx.memo(f"mastery:{model}", make)


def mastery_source_with_icebergs(ctx: Context, model: str = "graph") -> _Source:
    """:func:`mastery_source` with every reached student's iceberg tables computed at once,
    so that building every student's and class's view (``stored.persist_views``) costs a
    lookup per view instead of an iceberg computation per view."""
    from sounding.mastery.pipeline import cap_strand_ends, compute_icebergs, student_grades

    src = mastery_source(ctx, model)
    students, classes, enrollments = roster(ctx)
    grades = student_grades(students, classes, enrollments)
    post = src.posterior.df
    have = set(post["student_id"])
    st = pd.DataFrame([(s, g) for s, g in grades.items() if s in have],
                      columns=["student_id", "grade"])
    ice = cap_strand_ends(compute_icebergs(post, st, src.graph), src.graph)
    return _Source(post, students, classes, enrollments, src.graph, ice)


def planning_inputs(ctx: Context) -> Any:
    """The planning tables of the whole district (triage compares each class with all the
    classes of its grade, so it runs on everyone; results are cut to scope afterwards)."""
    from sounding.planning.from_store import load_inputs

    return ctx.memo("planning_inputs", lambda: load_inputs(ctx.store))


def triage_plan(ctx: Context, *, threshold: float = 0.2, stale_days: int = 120,
                as_of: Any = None, scope_sequence: Any = None) -> Any:
    """The district's triage (cached per settings)."""
    from sounding.planning.triage import TriageConfig, triage

    key = f"triage:{threshold}:{stale_days}:{as_of}:{id(scope_sequence)}"

    def make() -> Any:
        inp = planning_inputs(ctx)
        return triage(inp.mastery, inp.students, inp.classes, inp.enrollments,
                      evidence=inp.evidence(), graph=inp.graph,
                      scope=inp.scope(scope_sequence), as_of=inp.as_of(as_of),
                      config=TriageConfig(threshold=threshold, stale_days=stale_days),
                      responses=inp.responses, family_signals=inp.family_signals)
    return ctx.memo(key, make)


def is_student(ctx: Context, student_id: str) -> bool:
    """Whether the roster holds ``student_id`` as a student (an active user with an active
    student role: the rows :meth:`Store.students` returns), by one indexed SQL lookup.
    Pages that only need to know that a student exists ask this instead of reading the
    whole district's planning inputs (seconds on 20,000 students, per worker)."""
    import sqlalchemy as sa

    from sounding.store import tables as T

    u, r = T.users.c, T.roles.c

    def active(col: Any) -> Any:
        return sa.or_(col.is_(None), col != "tobedeleted")

    stmt = (sa.select(u.user_id).where(u.user_id == str(student_id)).where(active(u.status))
            .where(u.user_id.in_(sa.select(r.user_id).where(r.user_id == str(student_id))
                                 .where(r.role == "student").where(active(r.status))))
            .limit(1))
    with ctx.store.engine.connect() as conn:
        return conn.execute(stmt).first() is not None


def intervention_rows(ctx: Context, student_id: str, *, frame: bool = True) -> Any:
    """One student's intervention records, read by the indexed ``student_id`` (not the
    whole table), in the columns of ``store.table("interventions")``: a DataFrame, or with
    ``frame=False`` a list of rows with the same attributes (what a page lists; a
    DataFrame costs more to build than the query)."""
    import sqlalchemy as sa

    from sounding.store import tables as T

    iv = T.interventions
    stmt = sa.select(iv).where(iv.c.student_id == str(student_id))
    with ctx.store.engine.connect() as conn:
        return pd.read_sql(stmt, conn) if frame else conn.execute(stmt).all()


def class_members(ctx: Context, class_id: str) -> tuple[Any, list[str]]:
    """A class's roster row and its students' ids (enrollment order), from the shared roster
    (what :meth:`ViewSource.klass` and ``members`` answer, without a mastery source).

    Raises NotFound for a class the roster lacks."""
    from sounding.errors import NotFound

    _, classes, enrollments = roster(ctx)
    if classes is None or enrollments is None:
        raise NotFound("class views need the roster's classes and enrollments")
    hit = classes[classes["class_id"].astype(str) == str(class_id)]
    if hit.empty:
        raise NotFound(f"no class {class_id!r}")
    row = hit.iloc[0]
    members = enrollments.loc[enrollments["class_id"] == row["class_id"], "student_id"]
    return row, [str(m) for m in dict.fromkeys(members)]
