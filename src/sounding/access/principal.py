"""Who is asking: a user, their role and the ids their role covers."""

from __future__ import annotations

from dataclasses import dataclass, field

from sounding.access.roles import Role

#: The name the local operator (the CLI without ``--as``) goes by.
OPERATOR = "operator"


@dataclass(frozen=True)
class Principal:
    """A user acting in a role over a scope.

    ``scope`` holds ids whose kind depends on the role (:data:`~sounding.access.roles.
    SCOPE_KINDS`); ``user_id`` is the roster user (OneRoster sourcedId) the account is, which
    fills an empty scope from the roster (a teacher's classes, a guardian's children).
    ``operator`` marks the local operator: all-seeing, and not written to the access log
    (they hold the database itself).
    """

    user: str
    role: Role
    scope: frozenset[str] = field(default_factory=frozenset)
    user_id: str | None = None
    operator: bool = False

    @classmethod
    def local_operator(cls) -> Principal:
        """The CLI's default principal: the person at the machine, who sees everything."""
        return cls(OPERATOR, Role.admin, frozenset(), None, operator=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.role.value})"
