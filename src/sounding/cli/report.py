"""`sounding report ...`: printable and static reports from a district's store."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(
    help="Reports: the family page per student, the full static site.", no_args_is_help=True
)
console = Console(highlight=False)

DbOpt = typer.Option("sounding.db", "--db", help="SQLite file or PostgreSQL URL of the store.")


@app.command()
def family(
    student: str = typer.Option(..., "--student", help="The student's sourcedId."),
    out: Path | None = typer.Option(
        None, "-o", "--out", help="HTML file to write (default: stdout)."
    ),
    db: str = DbOpt,
    as_of: str | None = typer.Option(
        None, "--as-of", help="Date the page speaks for (YYYY-MM-DD); default: the date of "
        "the district's latest evidence, as the plan uses."),
) -> None:
    """One printable page for a family: strengths, what comes next and why, how to help at home."""
    import pandas as pd

    from sounding.cli.acting import principal
    from sounding.errors import InvalidInput
    from sounding.services import Context, family_report
    from sounding.store import Store

    if as_of is not None:
        try:
            pd.Timestamp(as_of)
        except ValueError:
            raise InvalidInput(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    with Store.open(db) as store:
        html = family_report(Context(store, principal(store)), student, as_of=as_of)["html"]
    if out is None:
        typer.echo(html)
    else:
        out.write_text(html, encoding="utf-8")
        console.print(f"Wrote {out}")


@app.command()
def site(
    out: Path = typer.Option(Path("report"), "--out", help="Folder for the report."),
    db: str = DbOpt,
    providers: Path | None = typer.Option(
        None, "--providers", help="provider_id,school_id CSV for provider results (default: "
        "the mapping imported with `sounding import providers`)."),
    as_user: str | None = typer.Option(
        None, "--as", metavar="USERNAME",
        help="Render what this account may see (default: the global --as, else the local "
             "operator's whole district)."),
) -> None:
    """Write the static report of the store as it is, for one principal (reads only: run
    `sounding mastery fit` or `sounding run` first to estimate mastery)."""
    from sounding.cli.acting import principal
    from sounding.pipeline import render_store_report
    from sounding.store import Store

    with Store.open(db) as store:
        who = principal(store, as_user)
    result = render_store_report(db, out, principal=who, providers=providers)
    console.print(f"[bold]Report: {result.report_index}[/]")
