"""`sounding growth ...`: student growth percentiles from a scale-score file."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from sounding.errors import InvalidInput
from sounding.growth import GrowthPercentiles, median_growth, read_scores

app = typer.Typer(help="Growth: student growth percentiles (Colorado Growth Model).",
                  no_args_is_help=True)
console = Console(highlight=False)


class OutFormat(StrEnum):
    text = "text"
    json = "json"


def _write(df: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        df.to_parquet(path, index=False)
    elif suffix == ".csv":
        df.to_csv(path, index=False)
    else:
        raise InvalidInput(f"--out {path}: use a .csv or .parquet file name")


def sgp_summary(result: pd.DataFrame, models: int, skipped: int) -> dict:
    """What `growth sgp` prints: counts and median SGP per subject, year and grade."""
    per = median_growth(result, by=["subject", "year", "grade"])
    by_order = result["sgp_order"].value_counts().sort_index()
    return {
        "students": int(result["student_id"].nunique()),
        "sgps": int(result["sgp"].notna().sum()),
        "median_sgp": float(result["sgp"].median()) if len(result) else None,
        "models": models,
        "models_skipped": skipped,
        "by_order": {str(int(k)): int(v) for k, v in by_order.items()},
        "groups": [
            {"subject": r.subject, "year": int(r.year), "grade": int(r.grade),
             "n": int(r.n), "median_sgp": float(r.median_sgp)}
            for r in per.itertuples(index=False)
        ],
    }


@app.command("sgp")
def sgp_command(
    scores: Path = typer.Option(..., "--scores", help="Long scale scores, CSV or Parquet "
                                "(student_id, year, grade, subject, scale_score or the SGP "
                                "package's ID, YEAR, GRADE, CONTENT_AREA, SCALE_SCORE)."),
    out: Path = typer.Option(..., "--out", help="Where to write SGPs (.csv or .parquet)."),
    max_order: int = typer.Option(2, "--max-order", min=1, help="Most prior years per model."),
    min_students: int = typer.Option(100, "--min-students", min=1,
                                     help="Skip grade progressions with fewer students."),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format", help="text or json."),
) -> None:
    """Compute student growth percentiles and write one row per student, year and grade."""
    if out.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise InvalidInput(f"--out {out}: use a .csv or .parquet file name")
    df = read_scores(scores)
    est = GrowthPercentiles(max_order=max_order, min_students=min_students)
    result = est.fit_transform(df)
    _write(result, out)
    summary = sgp_summary(result, len(est.models_), len(est.skipped_))
    summary["out"] = str(out)
    if fmt is OutFormat.json:
        typer.echo(json.dumps(summary))
        return
    console.print(f"{summary['sgps']} SGPs for {summary['students']} students from "
                  f"{summary['models']} models ({summary['models_skipped']} skipped); "
                  f"median SGP {summary['median_sgp']}; written to {out}")
    table = Table("subject", "year", "grade", "n", "median SGP")
    for g in summary["groups"]:
        table.add_row(g["subject"], str(g["year"]), str(g["grade"]), str(g["n"]),
                      f"{g['median_sgp']:g}")
    console.print(table)


@app.command("report")
def report_command(
    level: str = typer.Option("school", "--level", help="school, district or provider."),
    db: str = typer.Option("sounding.db", "--db", help="The store: SQLite file or database URL."),
    providers: Path | None = typer.Option(
        None, "--providers", help="provider_id,school_id CSV (needed for --level provider)."
    ),
    min_n: int = typer.Option(10, "--min-n", min=1, help="Smallest group published."),
    public: bool = typer.Option(True, "--public/--internal",
                                help="Suppress small groups (public) or show every count."),
    out: Path | None = typer.Option(None, "--out", help="Also write the table (CSV/Parquet)."),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format", help="text or json."),
) -> None:
    """Accountability results per school, district or provider, by subgroup, suppressed."""
    from rich.table import Table

    from sounding.errors import InvalidInput
    from sounding.growth.aggregates import accountability_table, read_provider_assignments
    from sounding.growth.projections import growth_targets
    from sounding.growth.sgp import GrowthPercentiles
    from sounding.growth.students import accountability_students, cuts_from_levels
    from sounding.mastery.pipeline import normalize_students
    from sounding.store import Store

    if level not in ("school", "district", "provider"):
        raise InvalidInput(f"--level must be school, district or provider, not {level!r}")
    if level == "provider" and providers is None:
        raise InvalidInput("--level provider needs --providers FILE (provider_id,school_id)")
    with Store.open(db) as store:
        scores = store.scores()
        students = normalize_students(store.students())
    if scores.empty:
        raise InvalidInput(f"no scale scores in {db}: run `sounding import scores` first")
    model = GrowthPercentiles(max_order=2)
    sgp = model.fit_transform(scores)
    cuts = cuts_from_levels(scores)
    targets = growth_targets(model, scores, cuts) if cuts and model.models_ else None
    rows = accountability_students(sgp, scores, students, targets)
    prov = read_provider_assignments(providers) if providers else None
    table = accountability_table(rows, by=level, providers=prov, min_n=min_n, public=public)
    if out is not None:
        _write(table, out)
    if fmt == OutFormat.json:
        typer.echo(table.to_json(orient="records", indent=2))
        return
    t = Table(title=f"Growth and achievement by {level}"
              + (f" (groups under {min_n} suppressed)" if public else " (internal: all counts)"))
    for c in table.columns:
        t.add_column(str(c))
    for rec in table.itertuples(index=False):
        t.add_row(*("" if v is None or (isinstance(v, float) and v != v)
                    else f"{v:.3f}" if isinstance(v, float) else str(v) for v in rec))
    console.print(t)
