"""Growth and accountability reads: the school, district, provider and state tables.

Aggregates only (no student rows), suppressed jointly with :data:`~sounding.core.MIN_N` for
every role whose disclosure asks for it (state, provider, researcher) and by default for
everyone (``public``), as ``sounding growth report`` publishes them.

The computation calls the growth package (SGPs, lagged targets, grade-span growth through
:func:`sounding.growth.grade_span.grade_span_for_release` -- spring to spring where the
spring windows are there -- and the jointly suppressed tables) in the order ``growth report``
does, so both give the same figures on the same store.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sounding.access.policy import Action, Resource
from sounding.core.thresholds import MIN_N
from sounding.errors import InvalidInput, NotFound
from sounding.services import stored
from sounding.services.context import Context
from sounding.services.registry import service


def growth_frames(ctx: Context, *, windows: Any = None,
                  min_n: int = MIN_N) -> dict[str, Any] | None:
    """Per-student growth inputs, computed once per Context (and per ``windows``, ``min_n``):
    scores, roster students, SGPs (order 2), lagged targets, grade-span growth (the one
    function every report uses), the stored provider mapping. None when the store has no
    scale scores."""
    def make() -> dict[str, Any] | None:
        from sounding.growth.release import growth_inputs

        f = growth_inputs(ctx.store, windows=windows, min_n=min_n)
        if f is None:
            return None
        stored = ctx.store.table("provider_assignments")
        f["providers"] = (stored[["provider_id", "school_id"]].astype(str) if len(stored)
                          else None)
        return f
    key = "growth_frames" if windows is None and min_n == MIN_N else \
        f"growth_frames:{windows}:{min_n}"
    return ctx.memo(key, make)


def release_tables(ctx: Context, *, min_n: int = MIN_N, public: bool = True,
                   providers_file: Any = None, windows: Any = None,
                   legacy: bool = False, level: str | None = None) -> dict[str, Any]:
    """The whole release of every level (school, district, provider tables, suppressed
    *together*), computed once per Context and settings: what ``growth report`` and the
    release audit (``scripts/audit_release.py``) start from.

    ``providers_file``: a provider mapping CSV (provider_id, school_id), else the stored one;
    ``windows``: spring-window answers for grade-span growth spring to spring (else the
    default beside a SQLite store); ``legacy`` rebuilds the earlier, weaker release
    (exact shares, a count audit blind to the published reasons) for the audit's comparison;
    ``level="provider"`` checks that a provider mapping exists.
    Only the operator and admins may take the whole release (``Resource.district_summary``
    write: nobody else); every other principal reads it through :func:`growth_release`.
    """
    ctx.require(Resource.district_summary, action=Action.write)
    _need_providers(ctx, level, providers_file)
    return _release(ctx, min_n=min_n, public=public, providers_file=providers_file,
                    windows=windows, legacy=legacy)


def _providers_from(ctx: Context, path: Any) -> Any:
    """The provider mapping of a file (checked against the roster's schools), or None."""
    if path is None:
        return None
    from sounding.growth.aggregates import read_provider_assignments
    from sounding.growth.imports import known_schools

    return read_provider_assignments(path, known_schools=known_schools(ctx.store))


def _release(ctx: Context, *, min_n: int = MIN_N, public: bool = True,
             providers_file: Any = None, windows: Any = None,
             legacy: bool = False) -> dict[str, Any]:
    key = (f"growth:{min_n}:{public}" if providers_file is None and windows is None
           and not legacy else f"growth:{min_n}:{public}:{providers_file}:{windows}:{legacy}")

    def make() -> dict[str, Any]:
        from sounding.growth.aggregates import accountability_tables
        from sounding.growth.students import accountability_students

        from_file = _providers_from(ctx, providers_file)
        f = growth_frames(ctx, windows=windows, min_n=min_n)
        if f is None:
            raise InvalidInput("no scale scores in the store: run `sounding import scores` "
                               "first")
        prov = from_file if providers_file is not None else f["providers"]
        source = str(providers_file) if providers_file is not None else (
            "the store" if prov is not None else None)
        rows = accountability_students(f["sgp"], f["scores"], f["students"], f["targets"],
                                       grade_span=f["grade_span"], cuts=f["cuts"])
        extra = {"coding": None, "strict_audit": False} if legacy else {}
        tables = accountability_tables(rows, providers=prov, min_n=min_n, public=public,
                                       **extra)
        return {"year": int(f["scores"]["year"].max()), "min_n": min_n, "public": public,
                "providers": source, "grade_span": f["grade_span_info"], "tables": tables,
                "released_together": list(tables), "provider_map": prov}
    return ctx.memo(key, make)


#: ``growth report --level`` -> the resource its rows are, the id kind and id column.
LEVELS: dict[str, tuple[Resource, str, str]] = {
    "school": (Resource.school_summary, "school", "school_id"),
    "district": (Resource.district_summary, "district", "district_id"),
    "provider": (Resource.provider_summary, "provider", "provider_id"),
}


@service(Resource.school_summary, student_rows=False)
def growth_release(ctx: Context, level: str = "school", *, min_n: int = MIN_N,
                   public: bool = True, providers_file: Any = None, windows: Any = None,
                   frame: bool = False) -> dict[str, Any]:
    """The growth and achievement table of one level (``sounding growth report``): every
    school, district or provider row the principal reaches, from the jointly suppressed
    release; roles that publish outside the school (state, provider, researcher) always get
    it suppressed with at least :data:`~sounding.core.MIN_N`.

    ``frame=True`` adds ``table`` (the rows as a DataFrame, for the CLI's ``--out`` file).
    """
    if level not in LEVELS:
        raise InvalidInput(f"--level must be school, district or provider, not {level!r}")
    resource, kind, column = LEVELS[level]
    ctx.require(resource)  # the role may read this level's tables at all
    forced = ctx.disclosure.min_n
    if forced is not None:
        public, min_n = True, max(min_n, forced)
    _need_providers(ctx, level, providers_file)
    data = _release(ctx, min_n=min_n, public=public, providers_file=providers_file,
                    windows=windows)
    table = data["tables"][level]
    if not ctx.reach.everything:
        ids = table[column].astype(str)
        table = table[ids.isin(ctx.reach.keep(kind, ids.unique()))]
    out = {k: v for k, v in data.items() if k not in ("tables", "provider_map")}
    out = {"level": level, **out, "rows": _records(table)}
    out = ctx.finish(out, action=f"{level}_growth_table", resource=resource, obj_id=None,
                     students=[])
    if frame:
        out["table"] = table
    return out


def _need_providers(ctx: Context, level: str | None, providers_file: Any) -> None:
    """InvalidInput for the provider level with neither a mapping file nor a stored one."""
    if (level == "provider" and providers_file is None
            and not len(ctx.store.table("provider_assignments"))):
        raise InvalidInput("--level provider needs --providers FILE (provider_id,school_id) "
                           "or a mapping imported with `sounding import providers FILE`")


#: Keys of the release that the per-object reads do not publish.
_RELEASE_ONLY = ("tables", "provider_map", "providers")


def _exists(ctx: Context, level: str, obj_id: Any) -> bool:
    """Whether the roster (or the provider mapping) knows the object at all."""
    if level == "provider":
        stored = ctx.store.table("provider_assignments")
        return bool((stored["provider_id"].astype(str) == str(obj_id)).any())
    orgs = ctx.store.orgs()
    return bool(((orgs["org_id"].astype(str) == str(obj_id)) & (orgs["type"] == level)).any())


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    import json

    return json.loads(df.to_json(orient="records"))


def _level(ctx: Context, level: str, column: str, obj_id: Any, resource: Resource, *,
           min_n: int, public: bool) -> dict[str, Any]:
    ctx.require(resource, obj_id)
    forced = ctx.disclosure.min_n
    if forced is not None:  # roles that publish outside the school: always suppressed
        public, min_n = True, max(min_n, forced)
    # the district's release costs tens of seconds on a big district (SGPs, targets, the
    # joint suppression and its audit); one object's rows are stored with the other views
    # (``services.stored``) and recomputed only when the inputs change
    out = stored.persisted(ctx, f"{level}_growth", obj_id, f"{min_n}:{public}",
                           lambda op: _level_rows(op, level, column, obj_id,
                                                  min_n=min_n, public=public))
    return ctx.finish(out, action=f"{level}_growth", resource=resource, obj_id=obj_id,
                      students=[])


def _level_rows(op: Context, level: str, column: str, obj_id: Any, *, min_n: int,
                public: bool) -> dict[str, Any]:
    """One object's rows of the released tables (as the operator reads them)."""
    data = _release(op, min_n=min_n, public=public)
    table = data["tables"].get(level)
    if table is None:
        raise NotFound(f"no {level} table (no {level} data in the store)")
    if not _exists(op, level, obj_id):
        raise NotFound(f"no {level} {obj_id!r}")
    rows = table[table[column].astype(str) == str(obj_id)] if column in table else table
    out = {k: v for k, v in data.items() if k not in _RELEASE_ONLY}
    out.update(level=level, id=obj_id, rows=_records(rows))
    return out


stored.SCHOOL_VIEWS["school_growth"] = (
    f"{MIN_N}:True",
    lambda op, s: _level_rows(op, "school", "school_id", s, min_n=MIN_N, public=True))


@service(Resource.school_summary, target="school_id", student_rows=False)
def school_growth(ctx: Context, school_id: str, *, min_n: int = MIN_N,
                  public: bool = True) -> dict[str, Any]:
    """One school's growth and achievement rows (by subject and subgroup)."""
    return _level(ctx, "school", "school_id", school_id, Resource.school_summary,
                  min_n=min_n, public=public)


@service(Resource.district_summary, target="district_id", student_rows=False)
def district_growth(ctx: Context, district_id: str, *, min_n: int = MIN_N,
                    public: bool = True) -> dict[str, Any]:
    """One district's growth and achievement rows."""
    return _level(ctx, "district", "district_id", district_id, Resource.district_summary,
                  min_n=min_n, public=public)


@service(Resource.provider_summary, target="provider_id", student_rows=False)
def provider_growth(ctx: Context, provider_id: str, *, min_n: int = MIN_N,
                    public: bool = True) -> dict[str, Any]:
    """A provider's results over the schools it serves."""
    return _level(ctx, "provider", "provider_id", provider_id, Resource.provider_summary,
                  min_n=min_n, public=public)


@service(Resource.state_summary, target="state_id", student_rows=False)
def state_growth(ctx: Context, state_id: str, *, min_n: int = MIN_N,
                 public: bool = True) -> dict[str, Any]:
    """A state's district rows (every district under it), suppressed."""
    ctx.require(Resource.state_summary, state_id)
    from sounding.access.principal import Principal
    from sounding.access.roles import Role
    from sounding.access.scope import resolve

    own = resolve(ctx.store, Principal(ctx.principal.user, Role.state, frozenset({state_id})))
    if not own.states:
        raise NotFound(f"no state {state_id!r}")
    forced = ctx.disclosure.min_n
    if forced is not None:
        public, min_n = True, max(min_n, forced)
    data = _release(ctx, min_n=min_n, public=public)
    table = data["tables"]["district"]
    rows = table[table["district_id"].astype(str).isin(own.districts)]
    out = {k: v for k, v in data.items() if k not in _RELEASE_ONLY}
    out.update(level="state", id=state_id, rows=_records(rows))
    return ctx.finish(out, action="state_growth", resource=Resource.state_summary,
                      obj_id=state_id, students=[])
