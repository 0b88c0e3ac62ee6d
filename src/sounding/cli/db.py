"""`sounding db ...`: the store's schema (Alembic migrations)."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from sounding.core.vocabulary import OutFormat

app = typer.Typer(help="The database: schema migrations.", no_args_is_help=True)
console = Console(highlight=False)


@app.command()
def upgrade(
    db: str = typer.Option("sounding.db", "--db", help="SQLite file or PostgreSQL URL."),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format", help="text or json."),
) -> None:
    """Bring the database's schema to the newest revision in place (a new one is created)."""
    from sounding.store import upgrade_database as run

    before, after = run(db)
    if fmt == OutFormat.json:
        typer.echo(json.dumps({"before": before, "after": after}))
    elif before == after:
        console.print(f"Already at the newest schema ({after}).")
    else:
        console.print(f"Upgraded from {before or 'no revision'} to {after}.")


@app.command()
def revision(
    db: str = typer.Option("sounding.db", "--db", help="SQLite file or PostgreSQL URL."),
) -> None:
    """Print the revision the database is at (without changing it)."""
    from sounding.store import Store

    with Store.open(db, migrate=False) as store:
        typer.echo(store.revision() or "none")
