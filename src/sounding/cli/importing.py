"""`sounding import roster|responses|scores|framework`: load a district's files into the store.

Each command is a thin shell over one library function (``import_roster``,
``import_responses``, ``import_scores``) with the same names and defaults, then prints what
was imported and the data-quality summary, so gaps (students with no evidence, stale
classes) show up the day the data arrives. Problems in a file raise InvalidData, which
``sounding.cli.main`` prints as ``Error: file, line N, field F: message``; nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from sounding.core.vocabulary import OutFormat
from sounding.roster.records import ImportReport

app = typer.Typer(help="Import a district's roster, item responses and scale scores.",
                  no_args_is_help=True, add_completion=False)
console = Console(highlight=False)

DB_HELP = "Database: a SQLite file (created if missing) or a postgresql:// URL."


def run_import(db: str, kind: str, path: Path | None, **options: Any) -> Any:
    """Run one import through the query layer (:func:`sounding.services.imports.
    import_file`), for the local operator or the ``--as`` account, in
    :func:`store_for_import`'s store handling."""
    from sounding.cli.acting import principal
    from sounding.services import Context
    from sounding.services.imports import import_file

    with store_for_import(db) as store:
        return import_file(Context(store, principal(store)), kind, path, **options)


def _show(report: ImportReport, db: str, fmt: OutFormat) -> None:
    """Print an import report and the data-quality summary of the store after it."""
    from sounding.cli.acting import principal
    from sounding.services import Context
    from sounding.services.imports import import_quality
    from sounding.store import Store

    with Store.open(db) as store:
        dq = import_quality(Context(store, principal(store)))
    if fmt is OutFormat.json:
        typer.echo(json.dumps({"import": report.to_dict(), "quality": dq.to_dict(limit=50)},
                              indent=2, default=str))
        return
    table = Table(title=f"Imported {report.kind} from {report.source} "
                        f"in {report.seconds:.1f} s")
    table.add_column("table")
    table.add_column("rows read", justify="right")
    table.add_column("new", justify="right")
    table.add_column("in store", justify="right")
    names = list(dict.fromkeys([*report.counts, *report.rows]))
    read_by_table = {k.removesuffix(".csv"): v for k, v in report.rows.items()}
    read_by_table = {_TABLE_OF.get(k, k): v for k, v in read_by_table.items()}
    for name in names:
        if name.endswith(".csv"):
            continue
        table.add_row(name, _n(read_by_table.get(name)), _n(report.written.get(name, 0)),
                      _n(report.counts.get(name)))
    console.print(table)
    for note in report.notes:
        console.print(f"  - {note}", markup=False)
    q = Table(title=f"Data quality (as of {dq.as_of:%Y-%m-%d})" if dq.as_of else
              "Data quality")
    q.add_column("signal")
    q.add_column("count", justify="right")
    for name, n in dq.summary():
        q.add_row(name, _n(n))
    console.print(q)
    if dq.stale_classes:
        console.print("  stale classes: " + ", ".join(dq.stale_classes[:10])
                      + (" ..." if len(dq.stale_classes) > 10 else ""), markup=False)


_TABLE_OF = {"academicSessions": "academic_sessions"}


@contextmanager
def store_for_import(db: str) -> Iterator[Any]:
    """Open the store for an import; if the import is refused and the database file did not
    exist before, remove it again, so a rejected first import leaves nothing behind."""
    from sounding.errors import SoundingError
    from sounding.store import Store, normalize_url

    url = normalize_url(db)
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    existed = path is None or path.exists()
    store = Store.open(db)
    try:
        yield store
    except SoundingError:
        store.close()
        if not existed and path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        raise
    finally:
        store.close()


def _n(v: int | None) -> str:
    return "" if v is None else f"{v:,}"


@app.command("roster")
def roster(
    path: Path = typer.Argument(..., help="OneRoster 1.2 (or 1.1) CSV folder or .zip, a bulk "
                                          "export or a delta (manifest file.X,delta)."),
    db: str = typer.Option("sounding.db", "--db", help=DB_HELP),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format",
                                  help="text for people, json for scripts."),
) -> None:
    """Import a OneRoster CSV export: checked in full first, then written in one go. A delta
    export adds, updates and deletes (tobedeleted) rows of the stored roster."""
    _show(run_import(db, "roster", path), db, fmt)


@app.command("responses")
def responses(
    path: Path = typer.Argument(..., help="Item responses, CSV or Parquet: student_id, "
                                          "item_id, standard, correct, timestamp, source."),
    db: str = typer.Option("sounding.db", "--db", help=DB_HELP),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format",
                                  help="text for people, json for scripts."),
) -> None:
    """Import item responses (students must be in the roster, standards in the
    progression); rows already stored are skipped."""
    _show(run_import(db, "responses", path), db, fmt)


@app.command("scores")
def scores(
    path: Path = typer.Argument(..., help="Annual scale scores, CSV or Parquet: student_id, "
                                          "year, grade, subject, scale_score, "
                                          "achievement_level."),
    db: str = typer.Option("sounding.db", "--db", help=DB_HELP),
    min_score: float = typer.Option(0.0, "--min-score", help="Lowest plausible scale score."),
    max_score: float = typer.Option(1000.0, "--max-score",
                                    help="Highest plausible scale score."),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format",
                                  help="text for people, json for scripts."),
) -> None:
    """Import annual scale scores; a score for the same student, year and subject is
    replaced."""
    from sounding.errors import InvalidInput
    from sounding.evidence.checks import Limits

    if min_score > max_score:
        raise InvalidInput("--min-score must not exceed --max-score")
    report = run_import(db, "scores", path, limits=Limits(score=(min_score, max_score)))
    _show(report, db, fmt)


@app.command("framework")
def framework(
    path: Path | None = typer.Argument(None, help="A CASE 1.1 (or 1.0) JSON CFPackage (the "
                                                   "district's or state's own standards and "
                                                   "prerequisites)."),
    db: str = typer.Option("sounding.db", "--db", help=DB_HELP),
    reset: bool = typer.Option(False, "--reset",
                               help="Go back to the shipped Coherence Map instead."),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format",
                                  help="text for people, json for scripts."),
) -> None:
    """Use a district's own learning progression (CASE 1.1) for everything in this database:
    which standards evidence may name, what mastery is estimated on, what plans point at."""
    from sounding.errors import InvalidInput

    if reset == (path is not None):
        raise InvalidInput("give a CASE framework file, or --reset (not both)")
    if reset:
        done = run_import(db, "framework", None, reset=True)
        if fmt is OutFormat.json:
            typer.echo(json.dumps(done))
        else:
            console.print(f"Back to the shipped progression: {done['framework']}.")
        return
    _show(run_import(db, "framework", path), db, fmt)
