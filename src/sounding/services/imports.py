"""Writes into the store (imports, mastery fits) and the whole-roster export, checked by the
access policy.

Every ``sounding import ...`` command calls :func:`import_file`, as the local operator or as
an account (``--as``). Loading a district's data changes what everyone sees, so it is a
write of the district resource: the policy grants it to admins and district staff only
(``Resource.district`` write); anyone else gets NotFound, as for any object they may not
touch. The one exception is the intervention log: staff who read class rows (a teacher, a
school leader) record interventions for *their own* students -- a log naming any other
student is refused whole, each such row reported like a student not on the roster (an id
outside scope cannot be told from one that does not exist).

The importers themselves (``sounding.roster``, ``sounding.evidence``, ``sounding.growth``,
``sounding.planning``, ``sounding.store``) check the whole file first and write in one
transaction; this module only decides who may call them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sounding.access.policy import Action, Resource
from sounding.errors import InvalidData, InvalidInput, NotFound, Problem
from sounding.services.context import Context


def _roster(store: Any, path: Path, **kw: Any) -> Any:
    from sounding.roster import import_roster

    return import_roster(store, path, **kw)


def _responses(store: Any, path: Path, **kw: Any) -> Any:
    from sounding.evidence.read import import_responses

    return import_responses(store, path, **kw)


def _scores(store: Any, path: Path, **kw: Any) -> Any:
    from sounding.evidence.read import import_scores

    return import_scores(store, path, **kw)


def _framework(store: Any, path: Path | None, *, reset: bool = False) -> Any:
    from sounding.store.frameworks import import_framework

    if reset:
        store.reset_framework()
        return {"framework": store.progression().stats()["name"], "reset": True}
    return import_framework(store, path)


def _providers(store: Any, path: Path, **kw: Any) -> Any:
    from sounding.growth.imports import import_providers

    return import_providers(store, path, **kw)


def _scope(store: Any, path: Path, district: str | None = None) -> Any:
    from sounding.planning.imports import import_scope

    return import_scope(store, path, district)


def _interventions(store: Any, path: Path) -> Any:
    from sounding.planning.imports import import_interventions

    return import_interventions(store, path)


def _family(store: Any, path: Path) -> Any:
    from sounding.planning.imports import import_family_signals

    return import_family_signals(store, path)


#: ``sounding import KIND`` -> the importer it runs.
IMPORTERS: dict[str, Callable[..., Any]] = {
    "roster": _roster, "responses": _responses, "scores": _scores, "framework": _framework,
    "providers": _providers, "scope": _scope, "interventions": _interventions,
    "family": _family,
}


def may_import(ctx: Context, kind: str) -> bool:
    """Whether the principal may run this import at all (scope aside)."""
    if ctx.can(Resource.district, Action.write):
        return True
    return kind == "interventions" and ctx.can(Resource.class_)


def import_file(ctx: Context, kind: str, path: Path | None, **options: Any) -> Any:
    """Run the ``kind`` import of ``path`` into ``ctx.store`` for ``ctx.principal``.

    Returns what the importer returns (an ImportReport or a dict of counts). NotFound when
    the principal may not import this kind; InvalidData (nothing written) when a teacher's
    intervention log names a student outside their scope.
    """
    if kind not in IMPORTERS:
        raise InvalidInput(f"unknown import {kind!r}; imports: {', '.join(IMPORTERS)}")
    if not may_import(ctx, kind):
        raise NotFound(f"no import of {kind} for {ctx.principal}")
    if kind == "interventions" and not ctx.reach.everything:
        _own_students_only(ctx, Path(path))  # type: ignore[arg-type]
    return IMPORTERS[kind](ctx.store, path, **options)


def _own_students_only(ctx: Context, path: Path) -> None:
    """Refuse a log naming a student outside the principal's scope (every such row named
    by file, line and field, worded as for a student not on the roster)."""
    from sounding.planning.interventions import read_intervention_log

    log = read_intervention_log(path, graph=ctx.store.progression().k8_algebra1())
    reach = ctx.reach
    reach.prefetch("student", log["student_id"].astype(str))
    problems = [Problem(str(path), int(r.record_id), "student_id",
                        f"unknown student {r.student_id!r} (not on the roster)")
                for r in log.itertuples(index=False) if not reach.has("student", r.student_id)]
    if problems:
        raise InvalidData(problems[:50])


def import_quality(ctx: Context) -> Any:
    """The store's data-quality summary every import prints after it (whole-store counts:
    for those who may import only)."""
    if not may_import(ctx, "roster") and not may_import(ctx, "interventions"):
        raise NotFound(f"no data-quality summary for {ctx.principal}")
    from sounding.store import data_quality

    return data_quality(ctx.store)


def fit_mastery(ctx: Context, **options: Any) -> Any:
    """Estimate mastery of every stored student and write it to the store
    (:func:`sounding.mastery.pipeline.fit_store_mastery` with ``options``): a write of the
    district's data, so for those who may import (admins, district staff)."""
    if not may_import(ctx, "responses"):
        raise NotFound(f"no mastery fit for {ctx.principal}")
    from sounding.mastery.pipeline import fit_store_mastery

    return fit_store_mastery(ctx.store, **options)


def export_roster(ctx: Context, out: Path) -> Any:
    """Write the stored roster as a OneRoster 1.2 bulk export (every student row of the
    store): for those who may load the roster (admins, district staff)."""
    if not may_import(ctx, "roster"):
        raise NotFound(f"no roster export for {ctx.principal}")
    from sounding.roster.export import export_roster as run

    return run(ctx.store, out)
