"""`sounding export roster`: the stored roster as a strict OneRoster 1.2 CSV bulk export.

A district that imported nightly deltas (or a 1.1 export, or a file with grades written
``9``) gets back one clean, spec-ordered 1.2 bulk export of the roster as it stands; importing
that export into another database and exporting again gives the same bytes.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="Export what the database holds in standard formats.",
                  no_args_is_help=True, add_completion=False)
console = Console(highlight=False)


class OutFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("roster")
def roster(
    out: Path = typer.Option(..., "-o", "--out", help="Folder to write the OneRoster CSVs to."),
    db: str = typer.Option("sounding.db", "--db",
                           help="Database: a SQLite file or a postgresql:// URL."),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format",
                                  help="text for people, json for scripts."),
) -> None:
    """Write the stored roster as a OneRoster 1.2 CSV bulk export (manifest.csv, orgs.csv,
    ... demographics.csv): spec column order, status and dateLastModified blank,
    extension columns as metadata.* last."""
    from sounding.cli.acting import principal
    from sounding.errors import NotFound
    from sounding.services import Context
    from sounding.services.imports import export_roster
    from sounding.store import Store, normalize_url

    url = normalize_url(db)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise NotFound(f"database {db} not found (import a roster first)")
    with Store.open(db) as store:
        summary = export_roster(Context(store, principal(store)), out)
    if fmt is OutFormat.json:
        typer.echo(json.dumps(summary.to_dict(), indent=2))
        return
    console.print(f"Wrote a OneRoster 1.2 bulk export to {summary.out_dir}:", markup=False)
    for name, n in summary.rows.items():
        console.print(f"  {name:<22} {n:>9,} rows", markup=False)
    for note in summary.notes:
        console.print(f"  - {note}", markup=False)
