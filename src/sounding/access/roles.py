"""The roles a principal can hold, and what each covers (its scope ids)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who is asking. The scope ids a role takes are in :data:`SCOPE_KINDS`."""

    admin = "admin"                  # the district's data administrators: everything
    district = "district"            # district math leaders: their district(s)
    school_leader = "school_leader"  # principals, coaches: their school(s)
    teacher = "teacher"              # their own classes and those classes' students
    student = "student"              # themself
    guardian = "guardian"            # their own children
    state = "state"                  # state analysts: aggregates, small groups suppressed
    provider = "provider"            # program providers: the schools they serve, aggregates
    researcher = "researcher"        # de-identified, suppressed extracts


#: What the ``--scope`` ids of each role name; empty scope means "from the roster" for roles
#: tied to a roster user, and "everything" for admin, state and researcher.
SCOPE_KINDS: dict[Role, str] = {
    Role.admin: "nothing (sees everything)",
    Role.district: "district org ids",
    Role.school_leader: "school org ids",
    Role.teacher: "class ids (default: the classes the roster user teaches)",
    Role.student: "the student's own id (default: the roster user)",
    Role.guardian: "the children's student ids (default: the roster's agents)",
    Role.state: "state org ids (default: every state)",
    Role.provider: "provider ids (their schools from provider_assignments) or school ids",
    Role.researcher: "district or state org ids (default: everything)",
}

#: OneRoster roles (roles.csv ``role``) -> our role, for provisioning from the roster.
ONEROSTER_ROLES: dict[str, Role] = {
    "teacher": Role.teacher,
    "student": Role.student,
    "parent": Role.guardian,
    "guardian": Role.guardian,
    "relative": Role.guardian,
    "principal": Role.school_leader,
    "siteAdministrator": Role.school_leader,
    "districtAdministrator": Role.district,
    "administrator": Role.school_leader,  # an administrator of a district org -> district
    "systemAdministrator": Role.admin,
}


def parse_role(text: str) -> Role:
    """A role from its name (what ``--role`` takes), with a clear error."""
    from sounding.errors import InvalidInput

    try:
        return Role(text.strip().lower().replace("-", "_"))
    except ValueError:
        raise InvalidInput(f"unknown role {text!r}; roles: "
                           + ", ".join(r.value for r in Role)) from None
