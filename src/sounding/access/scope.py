"""Scope: which students, classes, schools, districts, states and providers a principal reaches.

The scope is worked out once per principal from the stored roster (SQL over ``enrollments``,
``roles``, ``classes``, ``orgs``, ``provider_assignments``) into a :class:`Reach`; services
then ask ``reach.has(kind, id)`` before reading an object and filter every list they return
through it, and store reads take ``reach.student_filter(column)`` as a SQL condition. The org
tree (state > district > school) is small and is walked in Python; rows of people are not.

A role reaches:

- admin (and the local operator): everything;
- district / researcher / state: the schools under their orgs, those schools' classes and
  students (state and researcher reach them only to aggregate: the policy gives them no
  student rows);
- school_leader: their schools, those schools' classes and students;
- provider: the schools it serves (``provider_assignments``), their classes and students
  (again, only to aggregate);
- teacher: their classes, those classes' students and (as context) their schools;
- student: themself, their classes and school; guardian: their children, the same way.

Roster rows marked ``tobedeleted`` do not count: a student who moved classes leaves the old
teacher's reach when the roster says the old enrollment is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from sounding.access.policy import DISCLOSURE, Disclosure
from sounding.access.principal import Principal
from sounding.access.roles import Role
from sounding.store import tables as T

KINDS = ("student", "class", "school", "district", "state", "provider")

_ADMIN_ROSTER_ROLES = ("administrator", "principal", "siteAdministrator",
                       "districtAdministrator")


@dataclass(frozen=True)
class Reach:
    """The ids a principal reaches, by kind (``everything``: no limit)."""

    principal: Principal
    everything: bool = False
    students: frozenset[str] = field(default_factory=frozenset)
    classes: frozenset[str] = field(default_factory=frozenset)
    schools: frozenset[str] = field(default_factory=frozenset)
    districts: frozenset[str] = field(default_factory=frozenset)
    states: frozenset[str] = field(default_factory=frozenset)
    providers: frozenset[str] = field(default_factory=frozenset)

    @property
    def disclosure(self) -> Disclosure:
        return DISCLOSURE[self.principal.role]

    def ids(self, kind: str) -> frozenset[str]:
        """The ids of one kind (meaningless when ``everything``)."""
        return {"student": self.students, "class": self.classes, "school": self.schools,
                "district": self.districts, "state": self.states,
                "provider": self.providers}[kind]

    def has(self, kind: str, obj_id: Any) -> bool:
        """Whether the object ``obj_id`` of ``kind`` is inside the scope."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        return self.everything or (obj_id is not None and str(obj_id) in self.ids(kind))

    def keep(self, kind: str, ids: Iterable[Any]) -> list[Any]:
        """``ids`` inside the scope, in their order."""
        return [i for i in ids if self.has(kind, i)]

    def student_filter(self, column: sa.ColumnElement) -> sa.ColumnElement:
        """A SQL condition keeping only rows of reached students (``true`` for everything)."""
        if self.everything:
            return sa.true()
        return column.in_(sorted(self.students))


def _active(col: sa.ColumnElement) -> sa.ColumnElement:
    return sa.or_(col.is_(None), col != "tobedeleted")


class _Roster:
    """The few SQL questions scope resolution asks, on one connection."""

    def __init__(self, conn: sa.engine.Connection) -> None:
        self.conn = conn
        o = T.orgs.c
        rows = conn.execute(sa.select(o.org_id, o.type, o.parent_id).where(_active(o.status)))
        self.org_type: dict[str, str] = {}
        self.children: dict[str, list[str]] = {}
        for org, kind, parent in rows:
            self.org_type[org] = kind
            if parent is not None:
                self.children.setdefault(parent, []).append(org)

    def ids(self, stmt: sa.Select) -> frozenset[str]:
        return frozenset(str(r[0]) for r in self.conn.execute(stmt) if r[0] is not None)

    def of_type(self, kind: str) -> frozenset[str]:
        return frozenset(o for o, t in self.org_type.items() if t == kind)

    def below(self, orgs: Iterable[str], kind: str) -> frozenset[str]:
        """Orgs of ``kind`` at or under ``orgs`` in the org tree."""
        out: set[str] = set()
        todo, seen = list(orgs), set()
        while todo:
            org = todo.pop()
            if org in seen:
                continue
            seen.add(org)
            if self.org_type.get(org) == kind:
                out.add(org)
            todo.extend(self.children.get(org, []))
        return frozenset(out)

    def classes_of_schools(self, schools: frozenset[str]) -> frozenset[str]:
        c = T.classes.c
        return self.ids(sa.select(c.class_id).where(_active(c.status))
                        .where(c.school_id.in_(sorted(schools))))

    def students_of_classes(self, classes: frozenset[str]) -> frozenset[str]:
        e = T.enrollments.c
        return self.ids(sa.select(e.user_id).where(e.role == "student").where(_active(e.status))
                        .where(e.class_id.in_(sorted(classes))))

    def students_of_schools(self, schools: frozenset[str]) -> frozenset[str]:
        """Students whose school (primary org, else student-role org) is one of ``schools``,
        and students enrolled in those schools' classes."""
        r, u = T.roles.c, T.users.c
        students = sa.select(r.user_id).where(r.role == "student").where(_active(r.status))
        primary = self.ids(sa.select(u.user_id).where(_active(u.status))
                           .where(u.user_id.in_(students))
                           .where(u.primary_org_id.in_(sorted(schools))))
        by_role = self.ids(students.where(r.org_id.in_(sorted(schools))))
        # a role at this school counts only when the primary org is not some other school
        elsewhere = self.ids(sa.select(u.user_id).where(u.user_id.in_(sorted(by_role)))
                             .where(u.primary_org_id.in_(sorted(self.of_type("school")
                                                                - schools))))
        enrolled = self.students_of_classes(self.classes_of_schools(schools))
        return primary | (by_role - elsewhere) | enrolled

    def classes_of_students(self, students: frozenset[str]) -> frozenset[str]:
        e = T.enrollments.c
        return self.ids(sa.select(e.class_id).where(e.role == "student").where(_active(e.status))
                        .where(e.user_id.in_(sorted(students))))

    def schools_of_classes(self, classes: frozenset[str]) -> frozenset[str]:
        c = T.classes.c
        return self.ids(sa.select(c.school_id).where(c.class_id.in_(sorted(classes))))

    def schools_of_students(self, students: frozenset[str]) -> frozenset[str]:
        u, r = T.users.c, T.roles.c
        schools = self.of_type("school")
        primary = {str(a): str(b) for a, b in self.conn.execute(
            sa.select(u.user_id, u.primary_org_id).where(u.user_id.in_(sorted(students))))
            if b is not None and str(b) in schools}
        out = set(primary.values())
        for uid, org in self.conn.execute(sa.select(r.user_id, r.org_id)
                                          .where(r.role == "student").where(_active(r.status))
                                          .where(r.user_id.in_(sorted(students)))):
            if str(uid) not in primary and str(org) in schools:
                out.add(str(org))
        return frozenset(out) | self.schools_of_classes(self.classes_of_students(students))

    def taught_by(self, user_id: str) -> frozenset[str]:
        e = T.enrollments.c
        return self.ids(sa.select(e.class_id).where(e.user_id == user_id)
                        .where(e.role == "teacher").where(_active(e.status)))

    def role_orgs(self, user_id: str, roles: Iterable[str]) -> frozenset[str]:
        r = T.roles.c
        return self.ids(sa.select(r.org_id).where(r.user_id == user_id)
                        .where(r.role.in_(list(roles))).where(_active(r.status)))

    def children_of(self, user_id: str) -> frozenset[str]:
        """A guardian's children: students listed in the guardian's ``agentSourcedIds``, and
        students who list the guardian in theirs (OneRoster links agents both ways)."""
        u, r = T.users.c, T.roles.c
        students = self.ids(sa.select(r.user_id).where(r.role == "student")
                            .where(_active(r.status)))
        mine = self.conn.execute(sa.select(u.agent_ids).where(u.user_id == user_id)).scalar()
        out = {a.strip() for a in (mine or "").split(",") if a.strip()} & students
        for sid, agents in self.conn.execute(sa.select(u.user_id, u.agent_ids)
                                             .where(u.agent_ids.like(f"%{user_id}%"))):
            if user_id in {a.strip() for a in (agents or "").split(",")} and sid in students:
                out.add(str(sid))
        return frozenset(out)


def resolve(store: Any, principal: Principal) -> Reach:
    """The :class:`Reach` of ``principal`` on ``store``'s roster (one read, a few queries)."""
    role = principal.role
    if role is Role.admin:
        return Reach(principal, everything=True)
    scope = frozenset(str(s) for s in principal.scope)
    uid = principal.user_id
    with store.engine.connect() as conn:
        q = _Roster(conn)
        if role in (Role.state, Role.researcher, Role.district):
            if role is Role.district and not scope and uid:
                scope = q.role_orgs(uid, _ADMIN_ROSTER_ROLES)
            if not scope and role is not Role.district:
                scope = q.of_type("state") | q.of_type("district")
            states = q.below(scope, "state")
            districts = q.below(scope, "district")
            schools = q.below(scope, "school")
            return _from_schools(q, principal, schools, districts=districts,
                                 states=states if role is not Role.district else frozenset())
        if role is Role.school_leader:
            if not scope and uid:
                scope = q.role_orgs(uid, _ADMIN_ROSTER_ROLES)
            return _from_schools(q, principal, q.below(scope, "school"))
        if role is Role.provider:
            a = T.provider_assignments.c
            served = q.ids(sa.select(a.school_id).where(a.provider_id.in_(sorted(scope))))
            providers = q.ids(sa.select(a.provider_id).where(a.provider_id.in_(sorted(scope))))
            schools = served | (scope & q.of_type("school"))
            return _from_schools(q, principal, schools, providers=providers | (scope - schools))
        if role is Role.teacher:
            classes = scope if scope else (q.taught_by(uid) if uid else frozenset())
            return Reach(principal, students=q.students_of_classes(classes), classes=classes,
                         schools=q.schools_of_classes(classes))
        if role in (Role.student, Role.guardian):
            if role is Role.student:
                students = scope if scope else frozenset({uid} if uid else ())
            else:
                students = scope if scope else (q.children_of(uid) if uid else frozenset())
            classes = q.classes_of_students(students)
            return Reach(principal, students=students, classes=classes,
                         schools=q.schools_of_students(students))
    return Reach(principal)  # deny by default: a role nobody wrote a rule for reaches nothing


def _from_schools(q: _Roster, principal: Principal, schools: frozenset[str], *,
                  districts: frozenset[str] = frozenset(), states: frozenset[str] = frozenset(),
                  providers: frozenset[str] = frozenset()) -> Reach:
    classes = q.classes_of_schools(schools)
    return Reach(principal, students=q.students_of_schools(schools), classes=classes,
                 schools=schools, districts=districts, states=states, providers=providers)
