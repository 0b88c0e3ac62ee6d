"""`sounding users ...`: accounts that may sign in, their roles and scopes, API tokens."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.table import Table

from sounding.core.vocabulary import OutFormat

app = typer.Typer(help="Accounts: add, list, provision from the roster, API tokens.",
                  no_args_is_help=True)
console = Console(highlight=False)

DbOpt = typer.Option("sounding.db", "--db", help="SQLite file or PostgreSQL URL of the store.")
FormatOpt = typer.Option(OutFormat.text, "--format", help="text for people, json for scripts.")


def _require_admin(store) -> None:
    """Managing accounts is an admin's job (the local operator is one)."""
    from sounding.access.policy import Action, Resource, can
    from sounding.cli.acting import principal
    from sounding.errors import NotFound

    who = principal(store)
    if not can(who.role, Action.write, Resource.accounts):
        raise NotFound("no such command for this user")


@app.command("add")
def add(
    username: str = typer.Argument(..., help="The name to sign in with."),
    role: str = typer.Option(..., "--role", help="admin, district, school_leader, teacher, "
                             "student, guardian, state, provider or researcher."),
    scope: list[str] = typer.Option([], "--scope", help="An org, school, class or student id "
                                    "the role covers (repeat for several)."),
    user_id: str | None = typer.Option(None, "--user-id", help="The roster user (sourcedId) "
                                       "this account is (fills an empty scope from the roster)."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite an existing account."),
    db: str = DbOpt,
    fmt: OutFormat = FormatOpt,
) -> None:
    """Add an account (the password, if any, is stored only as an argon2id hash)."""
    from sounding.access.accounts import add_account
    from sounding.access.roles import parse_role
    from sounding.errors import InvalidInput
    from sounding.store import Store

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidInput("--password-stdin: no password on standard input")
    parsed = parse_role(role)
    with Store.open(db) as store:
        _require_admin(store)
        acc = add_account(store, username, parsed, scopes=scope, password=password,
                          user_id=user_id, replace=replace)
    if fmt == OutFormat.json:
        typer.echo(json.dumps(acc.to_dict()))
    else:
        console.print(f"Added {acc.username} ({acc.role.value}"
                      + (f", scope {', '.join(acc.scopes)}" if acc.scopes else "") + ")")


@app.command("list")
def list_(db: str = DbOpt, fmt: OutFormat = FormatOpt) -> None:
    """Every account: user name, role, scope, roster user."""
    from sounding.access.accounts import list_accounts
    from sounding.store import Store

    with Store.open(db) as store:
        _require_admin(store)
        accounts = list_accounts(store)
    if fmt == OutFormat.json:
        typer.echo(json.dumps([a.to_dict() for a in accounts], indent=2))
        return
    table = Table("user", "role", "scope", "roster user", "name")
    for a in accounts:
        table.add_row(a.username, a.role.value, ", ".join(a.scopes) or "(roster)",
                      a.user_id or "", a.display_name or "")
    console.print(table)
    console.print(f"{len(accounts)} account(s)")


@app.command("provision")
def provision(db: str = DbOpt, fmt: OutFormat = FormatOpt) -> None:
    """Create accounts from the stored OneRoster roster: teachers, administrators (school
    leaders, district), students and guardians (parents, agents). Existing accounts stay."""
    from sounding.access.accounts import provision as run
    from sounding.store import Store

    with Store.open(db) as store:
        _require_admin(store)
        result = run(store)
    if fmt == OutFormat.json:
        typer.echo(json.dumps(result.to_dict()))
        return
    made = ", ".join(f"{n} {role}" for role, n in result.created.items()) or "none"
    console.print(f"Created accounts: {made}; {result.skipped} already had one.")


@app.command("token")
def token(username: str = typer.Argument(..., help="The account."), db: str = DbOpt) -> None:
    """Print a new bearer token for the account's API use (only its hash is stored)."""
    from sounding.access.accounts import issue_token
    from sounding.store import Store

    with Store.open(db) as store:
        _require_admin(store)
        typer.echo(issue_token(store, username))


@app.command("log")
def log(
    username: str | None = typer.Option(None, "--user", help="Only this account's reads."),
    student: str | None = typer.Option(None, "--student", help="Only reads of this student."),
    limit: int = typer.Option(100, "--limit", help="Rows at most (newest first)."),
    db: str = DbOpt,
    fmt: OutFormat = FormatOpt,
) -> None:
    """The access log: who read which student's record, when (admins only)."""
    from sounding.services import Context, access_log
    from sounding.store import Store

    with Store.open(db) as store:
        from sounding.cli.acting import principal

        rows = access_log(Context(store, principal(store)), username=username,
                          student_id=student, limit=limit)
    if fmt == OutFormat.json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    table = Table("when", "user", "role", "read", "of", "student")
    for r in rows:
        table.add_row(str(r["at"]), r["username"], r["role"], r["action"],
                      f"{r['resource']} {r['resource_id'] or ''}", r["student_id"] or "")
    console.print(table)
