"""Administration reads: the accounts and the access log (admins only)."""

from __future__ import annotations

from typing import Any

from sounding.access.accounts import list_accounts
from sounding.access.log import read_log
from sounding.access.policy import Resource
from sounding.services.context import Context
from sounding.services.registry import service


@service(Resource.accounts, student_rows=False)
def accounts(ctx: Context) -> list[dict[str, Any]]:
    """Every account (no password hashes)."""
    ctx.require(Resource.accounts)
    return [a.to_dict() for a in list_accounts(ctx.store)]


@service(Resource.access_log)
def access_log(ctx: Context, *, username: str | None = None, student_id: str | None = None,
               limit: int | None = 1000) -> list[dict[str, Any]]:
    """Who read which student's record, when (newest first)."""
    ctx.require(Resource.access_log)
    df = read_log(ctx.store, username=username, student_id=student_id, limit=limit)
    return [{"at": str(r.at), "username": r.username, "role": r.role, "action": r.action,
             "resource": r.resource, "resource_id": r.resource_id, "student_id": r.student_id}
            for r in df.itertuples(index=False)]


def reset_password(ctx: Context, username: str, password: str) -> dict[str, Any]:
    """Set a new password for ``username`` (admins only: the accounts resource, write).

    Not a registered read service (the access sweep calls reads); the web application's
    admin page calls it, and signs the user's open sessions out."""
    from sounding.access.accounts import get_account, set_password
    from sounding.access.policy import Action

    ctx.require(Resource.accounts, action=Action.write)
    get_account(ctx.store, username)
    if len(password) < 8:
        from sounding.errors import InvalidInput

        raise InvalidInput("a new password needs at least 8 characters")
    set_password(ctx.store, username, password)
    return {"username": username, "reset": True}
