"""`sounding evaluate ...`: program evaluation to What Works Clearinghouse standards."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sounding.core.vocabulary import OutFormat
from sounding.errors import InvalidData, InvalidInput, Problem

# pandas and the evaluation (scipy) are imported where they are used, so that
# `sounding --help` and the other commands start quickly.
if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(help="Evaluate programs against What Works Clearinghouse standards.",
                  no_args_is_help=True)


class DesignOpt(StrEnum):
    qed = "qed"
    rct = "rct"


class MatchingOpt(StrEnum):
    nearest = "nearest"
    propensity = "propensity"
    none = "none"


class BoundaryOpt(StrEnum):
    cautious = "cautious"
    optimistic = "optimistic"


def read_students(path: Path, required: list[str]) -> pd.DataFrame:
    """Read a CSV or Parquet students file, naming the file, line and field of any problem."""
    import pandas as pd

    name = str(path)
    if not path.exists():
        raise InvalidData([Problem(name, None, None, "file not found")])
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, dtype={c: str for c in ("student_id", "school_id")},
                             keep_default_na=True)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file for the user
        raise InvalidData([Problem(name, None, None, f"not a readable CSV/Parquet file: {exc}")]
                          ) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in dict.fromkeys(required) if c not in df.columns]
    if missing:
        raise InvalidData([Problem(name, 1, c, "required column is missing") for c in missing])
    return df


def _check_values(df: pd.DataFrame, name: str, treatment_col: str, numeric: list[str]) -> None:
    import pandas as pd

    problems: list[Problem] = []
    allowed = {"true", "false", "1", "0", "1.0", "0.0", "yes", "no", "t", "f", "y", "n"}
    for i, v in enumerate(df[treatment_col].tolist()):
        if pd.notna(v) and str(v).strip().lower() not in allowed:
            problems.append(Problem(name, i + 2, treatment_col, f"not true/false: {v!r}"))
    for col in numeric:
        if pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
            continue
        text = df[col].astype(object)
        num = pd.to_numeric(text, errors="coerce")
        flag = text.map(lambda v: pd.notna(v) and str(v).strip().lower() in allowed)
        bad = num.isna() & text.notna() & ~flag & (text.astype(str).str.strip() != "")
        for i in bad.to_numpy().nonzero()[0][:50]:
            problems.append(Problem(name, int(i) + 2, col, f"not a number: {text.iloc[i]!r}"))
    if problems:
        raise InvalidData(problems)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@app.command("program")
def program(
    students: Path | None = typer.Option(None, "--students",
                                         help="CSV or Parquet, one row per student."),
    db: str | None = typer.Option(None, "--db", help="A store (SQLite file or URL): with "
                                  "--provider, the program is that provider's schools."),
    provider: str | None = typer.Option(
        None, "--provider", help="Evaluate this provider (from `sounding import providers`): "
        "its schools' students against matched students of other schools; outcome this "
        "year's score, baseline last year's (standardised within grade)."),
    subject: str | None = typer.Option(None, "--subject",
                                       help="With --provider: subject (default math)."),
    year: int | None = typer.Option(None, "--year",
                                    help="With --provider: outcome year (default latest)."),
    treatment_col: str = typer.Option("treated", "--treatment-col",
                                      help="true/1 for program students."),
    outcome_col: str | None = typer.Option(None, "--outcome-col",
                                           help="The outcome measure (with --students)."),
    baseline_cols: str = typer.Option("", "--baseline-cols",
                                      help="Pre-program measures, comma-separated."),
    match_on: str = typer.Option("", "--match-on",
                                 help="Columns to match exactly (demographics), comma-separated."),
    cluster_col: str = typer.Option("school_id", "--cluster-col",
                                    help="Unit the program was given to ('' for none)."),
    design: DesignOpt = typer.Option(DesignOpt.qed, "--design",
                                     help="qed (matched comparison) or rct (random assignment)."),
    matching: MatchingOpt | None = typer.Option(
        None, "--matching", help="nearest | propensity | none (default: nearest for qed)."),
    attrition: BoundaryOpt = typer.Option(BoundaryOpt.cautious, "--attrition",
                                          help="WWC attrition boundary."),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format",
                                  help="text for people, json for scripts."),
) -> None:
    """Estimate a program's effect (Hedges' g) and rate it against WWC standards.

    Either from a students file (--students, --outcome-col, --baseline-cols ...) or from the
    store (--db DB --provider P: the provider's schools against the others).
    """
    from sounding.growth.evaluation import evaluate_program

    if provider is not None:
        if students is not None:
            raise InvalidInput("use either --students FILE or --db DB --provider P, not both")
        _from_store(db or "sounding.db", provider, subject=subject, year=year,
                    match_on=_split(match_on), design=design.value,
                    matching=None if matching is None else matching.value,
                    attrition=attrition.value, fmt=fmt)
        return
    if students is None:
        raise InvalidInput("give --students FILE, or --db DB --provider P")
    if outcome_col is None:
        raise InvalidInput("--outcome-col is required with --students")
    baselines = _split(baseline_cols)
    exact = _split(match_on)
    cluster = cluster_col.strip() or None
    required = [treatment_col, outcome_col, *baselines, *exact] + (
        [cluster] if cluster else [])
    df = read_students(students, required)
    _check_values(df, str(students), treatment_col, [outcome_col, *baselines])
    outcome_col_used = outcome_col
    source = str(students)
    try:
        result = evaluate_program(
            df, treatment_col=treatment_col, outcome_col=outcome_col_used,
            baseline_cols=baselines, match_on=exact, cluster_col=cluster,
            attrition=attrition.value, design=design.value,
            matching=None if matching is None else matching.value)
    except InvalidInput as exc:
        raise InvalidInput(f"{source}: {exc}") from None
    if fmt == OutFormat.json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        typer.echo(result.to_text())


def _from_store(db: str, provider: str, *, fmt: OutFormat, **options: object) -> None:
    """``evaluate program --db DB --provider P`` through the query layer, for the operator
    or the ``--as`` account (a provider evaluates itself; district staff any provider)."""
    from sounding.cli.acting import principal
    from sounding.services import Context
    from sounding.services.evaluation import provider_evaluation
    from sounding.store import Store

    with Store.open(db) as store:
        doc = provider_evaluation(Context(store, principal(store)), provider,
                                  with_text=fmt != OutFormat.json, store_label=db, **options)
    if fmt == OutFormat.json:
        typer.echo(json.dumps(doc, indent=2))
        return
    info = doc["program"]
    typer.echo(f"Program: provider {provider}, schools {', '.join(info['schools'])}; "
               f"comparison: matched students of the other schools (exactly on "
               f"{', '.join(info['matched_exactly_on'])}); baseline {info['baseline_year']} "
               "score.")
    typer.echo(doc["text"])
