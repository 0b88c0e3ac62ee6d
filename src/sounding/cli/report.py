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

    from sounding.errors import InvalidInput
    from sounding.planning import family_report_for
    from sounding.planning.from_store import load_inputs
    from sounding.store import Store

    if as_of is not None:
        try:
            pd.Timestamp(as_of)
        except ValueError:
            raise InvalidInput(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    with Store.open(db) as store:
        inp = load_inputs(store)
        users = store.students()
    row = users[users["student_id"].astype(str) == student]
    name = None
    if len(row) and "given_name" in row:
        name = f"{row['given_name'].iloc[0]} {row.get('family_name', row['given_name']).iloc[0]}"
    html = family_report_for(inp, student, as_of=as_of, student_name=name)
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
        None, "--providers", help="provider_id,school_id CSV for provider results."
    ),
) -> None:
    """Estimate mastery, plan and compute growth from the store, then write the static report."""
    from sounding.pipeline import run_store

    result = run_store(db, out, providers=providers, on_stage=lambda s: console.log(s))
    console.print(f"[bold]Report: {result.report_index}[/]")
