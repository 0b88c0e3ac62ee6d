"""Mastery reads: a student's iceberg, a class's heat map and standards, a class summary."""

from __future__ import annotations

from typing import Any

from sounding.access.disclosure import suppressed
from sounding.access.policy import Resource
from sounding.services import stored, views
from sounding.services._data import mastery_source
from sounding.services.context import Context
from sounding.services.registry import service


def _student(op: Context, student_id: str, model: str = "graph") -> dict[str, Any]:
    return views.student_view(mastery_source(op, model), student_id, model=model,
                              n_ready=stored.STUDENT_READY)


def _class(op: Context, class_id: str, model: str = "graph") -> dict[str, Any]:
    return views.class_view(mastery_source(op, model), class_id, model=model)


stored.STUDENT_VIEWS["student_view"] = ("graph", _student)
stored.CLASS_VIEWS["class_view"] = ("graph", _class)


def stored_class_view(ctx: Context, class_id: str, model: str = "graph") -> dict[str, Any]:
    """The operator's class view (stored, or computed and stored); redact before use."""
    return stored.persisted(ctx, "class_view", class_id, model,
                            lambda op: _class(op, class_id, model), model=model)


@service(Resource.student, target="student_id")
def student_view(ctx: Context, student_id: str, *, model: str = "graph", n_ready: int = 5,
                 n_unfinished: int | None = None) -> dict[str, Any]:
    """One student's iceberg: secure level per strand, unfinished standards, ready to learn
    (the shape of ``sounding mastery show --student``). Read from the stored view (a
    prefix of its ``ready_to_learn`` and ``unfinished`` lists, which are in rank order)."""
    ctx.require(Resource.student, student_id)
    if n_ready <= stored.STUDENT_READY:
        full = stored.persisted(ctx, "student_view", student_id, model,
                                lambda op: _student(op, student_id, model), model=model)
        cut = {"ready_to_learn": full["ready_to_learn"][:max(n_ready, 0)]}
        if n_unfinished is not None:
            cut["unfinished"] = full["unfinished"][:max(n_unfinished, 0)]
        view = stored.trimmed(ctx, full, **cut)  # the stored view itself is shared
    else:
        view = views.student_view(mastery_source(ctx, model), student_id, model=model,
                                  n_ready=n_ready, n_unfinished=n_unfinished)
    return ctx.finish(view, action="student_view", resource=Resource.student, obj_id=student_id,
                      students=[view["student_id"]])


@service(Resource.class_, target="class_id")
def class_view(ctx: Context, class_id: str, *, model: str = "graph") -> dict[str, Any]:
    """A class: each student's grades below per strand, the standards much of the class has
    not secured, the iceberg distribution (``sounding mastery show --class``)."""
    ctx.require(Resource.class_, class_id)
    view = stored_class_view(ctx, class_id, model)
    return ctx.finish(view, action="class_view", resource=Resource.class_, obj_id=class_id)


@service(Resource.class_summary, target="class_id", student_rows=False)
def class_summary(ctx: Context, class_id: str, *, model: str = "graph") -> dict[str, Any]:
    """A class's aggregates without student rows: standards not secured, the distribution.
    Counts of groups under the role's ``min_n`` are suppressed."""
    ctx.require(Resource.class_summary, class_id)
    view = stored_class_view(ctx, class_id, model)
    min_n = ctx.disclosure.min_n
    out = {k: v for k, v in view.items() if k != "students"}
    if suppressed(view["n_students"], min_n):
        out.update(standards=[], distribution={}, suppressed=True)
    else:
        out["suppressed"] = False
    return ctx.finish(out, action="class_summary", resource=Resource.class_summary,
                      obj_id=class_id, students=[])
