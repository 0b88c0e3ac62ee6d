"""Planning reads: the plan of a class, a school or the district; small groups; Algebra I
readiness. The triage runs over the whole district (each class is compared with every class
of its grade), then each finding is cut to the object asked for and to the principal's scope.

Why the second cut: ``TriagePlan.restricted(class_id=...)`` keeps district- and school-wide
findings whole, and their ``students`` lists name other teachers' students. Here a class plan
keeps, in every finding, only the class's own students and classes; a school plan only the
school's; and everything is then redacted to what the principal reaches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sounding.access.disclosure import redact
from sounding.access.policy import Resource
from sounding.access.scope import Reach
from sounding.errors import NotFound
from sounding.planning.triage import LEAD
from sounding.services import stored
from sounding.services._data import planning_inputs, triage_plan
from sounding.services.context import Context
from sounding.services.registry import service


def _class_reach(ctx: Context, class_id: str) -> Reach:
    """What a plan for one class may mention: its students, itself, its school."""
    plan = triage_plan(ctx)
    members = frozenset(str(s) for s in plan.class_members.get(class_id, ()))
    school = plan.class_schools.get(class_id)
    return Reach(ctx.principal, students=members, classes=frozenset({str(class_id)}),
                 schools=frozenset({str(school)}) if school is not None else frozenset())


def _school_reach(ctx: Context, school_id: str) -> Reach:
    plan = triage_plan(ctx)
    classes = frozenset(str(c) for c, s in plan.class_schools.items() if s == school_id)
    inp = planning_inputs(ctx)
    st = inp.students
    students = frozenset(st.loc[st["school_id"].astype(str) == str(school_id),
                                "student_id"].astype(str))
    for c in classes:
        students |= frozenset(str(s) for s in plan.class_members.get(c, ()))
    return Reach(ctx.principal, students=students, classes=classes,
                 schools=frozenset({str(school_id)}))


def _class_plan(op: Context, class_id: str, *, threshold: float = 0.2, stale_days: int = 120,
                as_of: Any = None, scope_sequence: Any = None, lead: int = LEAD) -> dict[str, Any]:
    """The class plan cut to the class (the operator's, before redaction to a principal)."""
    planning_inputs(op).school_of_class(class_id)  # NotFound for a class the roster lacks
    plan = triage_plan(op, threshold=threshold, stale_days=stale_days, as_of=as_of,
                       scope_sequence=scope_sequence)
    data = plan.restricted(class_id=class_id).to_dict()
    teacher = plan.teacher_plan(class_id, lead=lead)
    data["teacher_plan"] = {
        "class_id": class_id, "next_unit": teacher["next_unit"],
        "n_just_in_time": teacher["n_just_in_time"],
        **{part: [r.to_dict() for r in teacher[part]] for part in ("lead", "more", "school")}}
    return redact(data, _class_reach(op, class_id))


@service(Resource.class_, target="class_id")
def class_plan(ctx: Context, class_id: str, *, threshold: float = 0.2, stale_days: int = 120,
               as_of: Any = None, scope_sequence: Any = None,
               lead: int = LEAD) -> dict[str, Any]:
    """The plan for one class: its findings, the school's and district's findings that
    concern it (cut to its students), its students' tiers, and ``teacher_plan``: the same
    findings in the order a teacher works them (``lead`` first, the rest ``more``)."""
    ctx.require(Resource.class_, class_id)
    kw = dict(threshold=threshold, stale_days=stale_days, as_of=as_of, lead=lead)
    data = _stored_or_fresh(ctx, "class_plan", class_id, _class_plan, kw, scope_sequence)
    return ctx.finish(data, action="class_plan", resource=Resource.class_, obj_id=class_id)


def _variant(kw: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(kw.items()))


def _stored_or_fresh(ctx: Context, kind: str, obj_id: str,
                     compute: Callable[..., dict[str, Any]], kw: dict[str, Any],
                     scope_sequence: Any) -> dict[str, Any]:
    """The operator's view ``kind`` of ``obj_id``: the stored one (computed and stored when
    missing) for the default scope and sequence; computed afresh for any other sequence."""
    if scope_sequence is None:
        return stored.persisted(ctx, kind, obj_id, _variant(kw),
                                lambda op: compute(op, obj_id, **kw))
    return compute(ctx.operator_context(), obj_id, scope_sequence=scope_sequence, **kw)


def _school_plan(op: Context, school_id: str, *, threshold: float = 0.2,
                 stale_days: int = 120, as_of: Any = None,
                 scope_sequence: Any = None) -> dict[str, Any]:
    planning_inputs(op).only_school(school_id)  # NotFound for an unknown school
    plan = triage_plan(op, threshold=threshold, stale_days=stale_days, as_of=as_of,
                       scope_sequence=scope_sequence)
    return redact(plan.restricted(school_id=school_id).to_dict(), _school_reach(op, school_id))


@service(Resource.school, target="school_id")
def school_plan(ctx: Context, school_id: str, *, threshold: float = 0.2,
                stale_days: int = 120, as_of: Any = None,
                scope_sequence: Any = None) -> dict[str, Any]:
    """The plan for one school: its findings and the district-wide ones that cover it, cut
    to its students and classes."""
    ctx.require(Resource.school, school_id)
    kw = dict(threshold=threshold, stale_days=stale_days, as_of=as_of)
    data = _stored_or_fresh(ctx, "school_plan", school_id, _school_plan, kw, scope_sequence)
    return ctx.finish(data, action="school_plan", resource=Resource.school, obj_id=school_id)


@service(Resource.district, target="district_id")
def district_plan(ctx: Context, district_id: str | None = None, *, threshold: float = 0.2,
                  stale_days: int = 120, as_of: Any = None,
                  scope_sequence: Any = None) -> dict[str, Any]:
    """The district's whole plan (``district_id`` None: every district in the store, for
    the local operator and admins)."""
    if district_id is None:
        ctx.require(Resource.district, None)
        if not ctx.reach.everything:
            raise NotFound("no district None")
    else:
        ctx.require(Resource.district, district_id)
        orgs = ctx.store.orgs()
        if not ((orgs["org_id"].astype(str) == str(district_id))
                & (orgs["type"] == "district")).any():
            raise NotFound(f"no district {district_id!r}")
    plan = triage_plan(ctx, threshold=threshold, stale_days=stale_days, as_of=as_of,
                       scope_sequence=scope_sequence)
    data = plan.to_dict()
    if district_id is not None:
        from sounding.access.principal import Principal
        from sounding.access.roles import Role
        from sounding.access.scope import resolve

        # the district's own reach: its schools, classes, students (several districts may
        # share a store)
        own = resolve(ctx.store, Principal(ctx.principal.user, Role.district,
                                           frozenset({str(district_id)})))
        data = redact(data, own)
        data["recommendations"] = [r for r in data["recommendations"]
                                   if r.get("district_id") in (None, district_id)]
    return ctx.finish(data, action="district_plan", resource=Resource.district,
                      obj_id=district_id)


def _groups(op: Context, class_id: str, *, min_size: int = 3, max_size: int = 6,
            stale_days: int = 120, as_of: Any = None,
            scope_sequence: Any = None) -> dict[str, Any]:
    from sounding.planning.groups import small_groups

    inputs = planning_inputs(op)
    part = inputs.only_school(inputs.school_of_class(class_id))
    res = small_groups(part.mastery, part.students, part.classes, part.enrollments,
                       graph=inputs.graph, scope=inputs.scope(scope_sequence),
                       as_of=inputs.as_of(as_of), class_ids=[class_id], min_size=min_size,
                       max_size=max_size, evidence=part.evidence(),
                       stale_days=stale_days)[class_id]
    return res.to_dict()


@service(Resource.class_, target="class_id")
def groups(ctx: Context, class_id: str, *, min_size: int = 3, max_size: int = 6,
           stale_days: int = 120, as_of: Any = None,
           scope_sequence: Any = None) -> dict[str, Any]:
    """Small groups for a class's next unit: students who share the same next needs."""
    ctx.require(Resource.class_, class_id)
    kw = dict(min_size=min_size, max_size=max_size, stale_days=stale_days, as_of=as_of)
    data = _stored_or_fresh(ctx, "groups", class_id, _groups, kw, scope_sequence)
    return ctx.finish(data, action="groups", resource=Resource.class_, obj_id=class_id)


@service(Resource.school, target="school_id")
def readiness(ctx: Context, school_id: str | None = None, *,
              foundations: str = "immediate") -> dict[str, Any]:
    """Algebra I readiness of grade-8 students (one school, or with ``school_id`` None the
    district, which needs the district resource)."""
    from sounding.errors import InvalidInput

    if foundations not in ("immediate", "all"):
        raise InvalidInput("--foundations must be immediate or all")
    if school_id is None:
        ctx.require(Resource.district, None)
        if not ctx.reach.everything and not ctx.reach.districts:
            raise NotFound("no district")
        data = _readiness(ctx, None, foundations)
    else:
        ctx.require(Resource.school, school_id)
        # stored with the school's other views: computing it reads the whole district's
        # planning inputs (seconds on a big district), which held a server worker
        data = stored.persisted(ctx, "readiness", school_id, foundations,
                                lambda op: _readiness(op, school_id, foundations))
    return ctx.finish(data, action="readiness", resource=Resource.school, obj_id=school_id)


def _readiness(ctx: Context, school_id: str | None, foundations: str) -> dict[str, Any]:
    from sounding.planning.algebra import algebra_readiness

    inputs = planning_inputs(ctx)
    part = inputs.only_school(school_id) if school_id is not None else inputs
    res = algebra_readiness(part.mastery, part.students, part.classes, part.enrollments,
                            scores=part.scores, foundations=foundations,  # type: ignore[arg-type]
                            graph=inputs.graph)
    return res.to_dict()


_CLASS_PLAN = dict(threshold=0.2, stale_days=120, as_of=None, lead=LEAD)
_GROUPS = dict(min_size=3, max_size=6, stale_days=120, as_of=None)
_SCHOOL_PLAN = dict(threshold=0.2, stale_days=120, as_of=None)
stored.CLASS_VIEWS["class_plan"] = (_variant(_CLASS_PLAN),
                                    lambda op, c: _class_plan(op, c, **_CLASS_PLAN))
stored.CLASS_VIEWS["groups"] = (_variant(_GROUPS), lambda op, c: _groups(op, c, **_GROUPS))
stored.SCHOOL_VIEWS["school_plan"] = (_variant(_SCHOOL_PLAN),
                                      lambda op, s: _school_plan(op, s, **_SCHOOL_PLAN))

stored.SCHOOL_VIEWS["readiness"] = ("immediate", lambda op, s: _readiness(op, s, "immediate"))
