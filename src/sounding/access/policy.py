"""The access policy, declared as data: which role may do what to which kind of resource.

Kolibri's habit (``../shared/STYLE.md`` section 5): rules are data, and one declaration
answers both "may I read this object?" (:func:`can`) and "which objects may I list?" (the
scope filters of :mod:`sounding.access.scope`). Unlike Kolibri's coach reports, aggregates
are resources here too -- a class summary, a school plan, a state table -- so no view checks
"admin or coach" by hand.

Deny by default: a role reads a resource kind only if :data:`POLICY` grants it, and only
objects inside its scope (:class:`~sounding.access.scope.Reach`). Everything else answers
:class:`~sounding.errors.NotFound` (404 semantics), so an id outside scope cannot be told
apart from an id that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sounding.access.roles import Role
from sounding.core.thresholds import MIN_N


class Resource(StrEnum):
    """What can be asked for. ``*_summary`` resources are aggregates with no student rows."""

    student = "student"                    # one student's record: mastery, tier, family page
    class_ = "class"                       # a class with its students' rows (heat map, groups)
    class_summary = "class_summary"        # a class's aggregates only
    school = "school"                      # a school's plan, roster and readiness (rows)
    school_summary = "school_summary"      # a school's aggregates
    district = "district"                  # the district plan with student rows
    district_summary = "district_summary"  # district aggregates (growth, iceberg)
    state_summary = "state_summary"        # state aggregates
    provider_summary = "provider_summary"  # a provider's results over the schools it serves
    extract = "extract"                    # de-identified student-level extract (research)
    accounts = "accounts"                  # who may sign in
    access_log = "access_log"              # FERPA's record of access


class Action(StrEnum):
    read = "read"
    write = "write"


#: The id kind that places an object of each resource in (or out of) a scope.
SCOPED_BY: dict[Resource, str | None] = {
    Resource.student: "student",
    Resource.class_: "class",
    Resource.class_summary: "class",
    Resource.school: "school",
    Resource.school_summary: "school",
    Resource.district: "district",
    Resource.district_summary: "district",
    Resource.state_summary: "state",
    Resource.provider_summary: "provider",
    Resource.extract: "district",
    Resource.accounts: None,
    Resource.access_log: None,
}


@dataclass(frozen=True)
class Disclosure:
    """What a role's results may reveal.

    ``student_rows``: results may name students; ``min_n``: groups smaller than this are
    suppressed (None: shown, staff within their scope); ``deidentify``: student ids are
    replaced by stable pseudonyms and names, birth dates and free text are dropped.
    """

    student_rows: bool
    min_n: int | None = None
    deidentify: bool = False


R, W = frozenset({Action.read}), frozenset({Action.read, Action.write})

_STAFF_ROWS = Disclosure(student_rows=True)
_PUBLIC = Disclosure(student_rows=False, min_n=MIN_N)

#: Role -> resource -> actions. Anything not listed is denied.
POLICY: dict[Role, dict[Resource, frozenset[Action]]] = {
    Role.admin: {r: W for r in Resource},
    Role.district: {  # district write: loading the district's files (sounding import)
        Resource.student: R, Resource.class_: R, Resource.class_summary: R,
        Resource.school: R, Resource.school_summary: R,
        Resource.district: W, Resource.district_summary: R,
    },
    Role.school_leader: {
        Resource.student: R, Resource.class_: R, Resource.class_summary: R,
        Resource.school: R, Resource.school_summary: R,
    },
    Role.teacher: {Resource.student: R, Resource.class_: R, Resource.class_summary: R},
    Role.student: {Resource.student: R},
    Role.guardian: {Resource.student: R},
    Role.state: {
        Resource.school_summary: R, Resource.district_summary: R, Resource.state_summary: R,
    },
    Role.provider: {Resource.school_summary: R, Resource.provider_summary: R},
    Role.researcher: {
        Resource.extract: R, Resource.school_summary: R, Resource.district_summary: R,
        Resource.state_summary: R,
    },
}

#: Role -> what its results may reveal.
DISCLOSURE: dict[Role, Disclosure] = {
    Role.admin: _STAFF_ROWS,
    Role.district: _STAFF_ROWS,
    Role.school_leader: _STAFF_ROWS,
    Role.teacher: _STAFF_ROWS,
    Role.student: _STAFF_ROWS,
    Role.guardian: _STAFF_ROWS,
    Role.state: _PUBLIC,
    Role.provider: _PUBLIC,
    Role.researcher: Disclosure(student_rows=False, min_n=MIN_N, deidentify=True),
}


def can(role: Role, action: Action | str, resource: Resource | str) -> bool:
    """Whether ``role`` may ``action`` resources of this kind at all (scope aside)."""
    return Action(action) in POLICY.get(role, {}).get(Resource(resource), frozenset())


def readable(role: Role) -> frozenset[Resource]:
    """Every resource kind ``role`` may read."""
    return frozenset(r for r, acts in POLICY.get(role, {}).items() if Action.read in acts)
