"""Scope: which students, classes, schools, districts, states and providers a principal reaches.

The scope is worked out once per principal from the stored roster (SQL over ``enrollments``,
``roles``, ``classes``, ``orgs``, ``provider_assignments``) into a :class:`Reach`; services
then ask ``reach.has(kind, id)`` before reading an object and filter every list they return
through it, and store reads take ``reach.student_filter(column)`` as a SQL condition. The org
tree (state > district > school) is small and is walked in Python; rows of people are not:
a scope built from schools (district, school leader, state, researcher, provider) holds its
org ids only and answers "is this student / class inside?" by SQL, so a state's reach holds
no student id at all.

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
from typing import Any

import sqlalchemy as sa

from sounding.access.policy import DISCLOSURE, Disclosure
from sounding.access.principal import Principal
from sounding.access.roles import Role
from sounding.store import tables as T

KINDS = ("student", "class", "school", "district", "state", "provider")

_ADMIN_ROSTER_ROLES = ("administrator", "principal", "siteAdministrator",
                       "districtAdministrator")


class Reach:
    """The ids a principal reaches, by kind (``everything``: no limit).

    Small scopes (a teacher's classes, a guardian's children) hold their ids. Scopes built
    from schools (district, school leader, state, researcher, provider) hold only their org
    ids; whether a student or class is inside is answered by SQL on the roster
    (:class:`_SchoolMembers`), one id at a time or as a subquery (:meth:`student_filter`), so
    a state's or a large district's reach never holds millions of ids. :attr:`students` and
    :attr:`classes` still give the whole set to callers that ask for it (built from the same
    SQL, once, on first use).
    """

    def __init__(self, principal: Principal, everything: bool = False, *,
                 students: Iterable[str] = frozenset(), classes: Iterable[str] = frozenset(),
                 schools: Iterable[str] = frozenset(), districts: Iterable[str] = frozenset(),
                 states: Iterable[str] = frozenset(), providers: Iterable[str] = frozenset(),
                 members: _SchoolMembers | None = None) -> None:
        self.principal = principal
        self.everything = everything
        self._students = None if members is not None else frozenset(students)
        self._classes = None if members is not None else frozenset(classes)
        self.schools = frozenset(schools)
        self.districts = frozenset(districts)
        self.states = frozenset(states)
        self.providers = frozenset(providers)
        self._members = members

    def __repr__(self) -> str:
        if self.everything:
            return f"Reach({self.principal}, everything)"
        how = "by SQL" if self._members is not None else f"{len(self.students)} students"
        return (f"Reach({self.principal}, {len(self.schools)} schools, "
                f"{len(self.districts)} districts, {how})")

    @property
    def students(self) -> frozenset[str]:
        """Every reached student id (for a school-based scope: one SQL read, on first use)."""
        if self._students is None:
            self._students = self._members.student_ids()  # type: ignore[union-attr]
        return self._students

    @property
    def classes(self) -> frozenset[str]:
        if self._classes is None:
            self._classes = self._members.class_ids()  # type: ignore[union-attr]
        return self._classes

    @property
    def by_sql(self) -> bool:
        """Whether students and classes are answered by SQL rather than held."""
        return self._members is not None and self._students is None

    @property
    def disclosure(self) -> Disclosure:
        return DISCLOSURE[self.principal.role]

    def ids(self, kind: str) -> frozenset[str]:
        """The ids of one kind (meaningless when ``everything``)."""
        if kind == "student":
            return self.students
        if kind == "class":
            return self.classes
        return {"school": self.schools, "district": self.districts, "state": self.states,
                "provider": self.providers}[kind]

    def has(self, kind: str, obj_id: Any) -> bool:
        """Whether the object ``obj_id`` of ``kind`` is inside the scope."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if self.everything:
            return True
        if obj_id is None:
            return False
        if kind == "student" and self._students is None:
            return self._members.has_student(str(obj_id))  # type: ignore[union-attr]
        if kind == "class" and self._classes is None:
            return self._members.has_class(str(obj_id))  # type: ignore[union-attr]
        return str(obj_id) in self.ids(kind)

    def prefetch(self, kind: str, ids: Iterable[Any]) -> None:
        """Answer membership of many ids at once (one query per 5,000) before they are asked
        one by one (redacting a district-wide result); a no-op for held ids."""
        if kind == "student" and self._students is None and not self.everything:
            self._members.prefetch_students(  # type: ignore[union-attr]
                str(i) for i in ids if i is not None)
        elif kind == "class" and self._classes is None and not self.everything:
            self._members.prefetch_classes(  # type: ignore[union-attr]
                str(i) for i in ids if i is not None)

    def keep(self, kind: str, ids: Iterable[Any]) -> list[Any]:
        """``ids`` inside the scope, in their order."""
        ids = list(ids)
        self.prefetch(kind, ids)
        return [i for i in ids if self.has(kind, i)]

    def student_filter(self, column: sa.ColumnElement) -> sa.ColumnElement:
        """A SQL condition keeping only rows of reached students (``true`` for everything;
        a subquery on the roster for a school-based scope)."""
        if self.everything:
            return sa.true()
        if self._students is None:
            return column.in_(self._members.student_select())  # type: ignore[union-attr]
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

    def students_of_classes(self, classes: frozenset[str]) -> frozenset[str]:
        e = T.enrollments.c
        return self.ids(sa.select(e.user_id).where(e.role == "student").where(_active(e.status))
                        .where(e.class_id.in_(sorted(classes))))

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
    members = _SchoolMembers(q.conn.engine, schools, q.of_type("school") - schools)
    return Reach(principal, schools=schools, districts=districts, states=states,
                 providers=providers, members=members)


class _SchoolMembers:
    """The students and classes of a set of schools, answered by SQL on the roster.

    A school's students: those whose primary org is the school, those with a student role
    at the school unless their primary org is another school, and those enrolled in the
    school's classes (active rows only) -- written as one union query, so membership is a
    lookup and the scope a subquery. Answers are cached per id asked (never more ids than
    were asked about).
    """

    def __init__(self, engine: sa.engine.Engine, schools: frozenset[str],
                 other_schools: frozenset[str]) -> None:
        self.engine = engine
        self.schools = sorted(schools)
        self.other_schools = sorted(other_schools)
        self._student: dict[str, bool] = {}
        self._class: dict[str, bool] = {}

    def class_select(self) -> sa.Select:
        c = T.classes.c
        return (sa.select(c.class_id).where(_active(c.status))
                .where(c.school_id.in_(self.schools)))

    def student_select(self, only: list[str] | None = None) -> sa.CompoundSelect:
        """The reached students' ids; ``only``: just those of these ids (the filter sits in
        every branch, so each is an index lookup rather than a scan)."""
        r, u, e = T.roles.c, T.users.c, T.enrollments.c

        def limit(stmt: sa.Select, col: sa.ColumnElement) -> sa.Select:
            return stmt if only is None else stmt.where(col.in_(only))

        student_roles = (sa.select(r.user_id).where(r.role == "student")
                         .where(_active(r.status)))
        primary = limit(sa.select(u.user_id.label("student_id")).where(_active(u.status))
                        .where(u.user_id.in_(student_roles))
                        .where(u.primary_org_id.in_(self.schools)), u.user_id)
        elsewhere = sa.select(u.user_id).where(u.primary_org_id.in_(self.other_schools))
        by_role = limit(sa.select(r.user_id.label("student_id")).where(r.role == "student")
                        .where(_active(r.status)).where(r.org_id.in_(self.schools))
                        .where(r.user_id.not_in(elsewhere)), r.user_id)
        enrolled = limit(sa.select(e.user_id.label("student_id")).where(e.role == "student")
                         .where(_active(e.status)).where(e.class_id.in_(self.class_select())),
                         e.user_id)
        return sa.union(primary, by_role, enrolled)

    def _ids(self, stmt: sa.Select | sa.CompoundSelect) -> frozenset[str]:
        with self.engine.connect() as conn:
            return frozenset(str(r[0]) for r in conn.execute(stmt) if r[0] is not None)

    def student_ids(self) -> frozenset[str]:
        return self._ids(self.student_select())

    def class_ids(self) -> frozenset[str]:
        return self._ids(self.class_select())

    def prefetch_students(self, ids: Iterable[str]) -> None:
        """Answer membership for many ids in one query (in chunks)."""
        todo = sorted({i for i in ids if i not in self._student})
        for start in range(0, len(todo), 5000):
            chunk = todo[start:start + 5000]
            found = self._ids(self.student_select(chunk))
            for i in chunk:
                self._student[i] = i in found

    def prefetch_classes(self, ids: Iterable[str]) -> None:
        """Answer class membership for many ids in one query (in chunks)."""
        c = T.classes.c
        todo = sorted({i for i in ids if i not in self._class})
        for start in range(0, len(todo), 5000):
            chunk = todo[start:start + 5000]
            found = self._ids(self.class_select().where(c.class_id.in_(chunk)))
            for i in chunk:
                self._class[i] = i in found

    def has_student(self, student_id: str) -> bool:
        if student_id not in self._student:
            self.prefetch_students([student_id])
        return self._student[student_id]

    def has_class(self, class_id: str) -> bool:
        if class_id not in self._class:
            self.prefetch_classes([class_id])
        return self._class[class_id]
