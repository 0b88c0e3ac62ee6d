"""Who the command line acts as: the local operator by default, any account with ``--as``.

``sounding --as USERNAME <command>`` (the global option) makes every command that reads
through the services (:mod:`sounding.services`) see only what that account may see, exactly
as the web application will show it to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # sounding.access loads SQLAlchemy; `sounding --help` must not
    from sounding.access.principal import Principal

_as_user: str | None = None


def set_acting_user(username: str | None) -> None:
    """Set by the root callback on every invocation (None: the local operator)."""
    global _as_user
    _as_user = username


def acting_user() -> str | None:
    return _as_user


def principal(store: Any, username: str | None = None) -> Principal:
    """The principal for this invocation: ``username`` (a command's own ``--as``), else the
    global ``--as``, else the local operator."""
    from sounding.access.accounts import principal_for
    from sounding.access.principal import Principal

    name = username if username is not None else _as_user
    return Principal.local_operator() if name is None else principal_for(store, name)
