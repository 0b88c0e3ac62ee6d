"""`sounding growth ...` (SGPs, accountability report) and `sounding import providers`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from sounding.cli.importing import app as import_app  # `sounding import providers` lives here
from sounding.core.thresholds import MIN_N
from sounding.core.vocabulary import OutFormat
from sounding.errors import InvalidInput

# The growth library (pandas, scipy) is imported inside each command, so that
# `sounding --help` and the other commands start quickly.
if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(help="Growth: student growth percentiles (Colorado Growth Model).",
                  no_args_is_help=True)
console = Console(highlight=False)


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
    from sounding.growth import median_growth

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
    from sounding.growth import GrowthPercentiles, read_scores

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


_STATUS_LABELS = {"suppression": "n", "proficient_suppression": "prof",
                  "catch_up_suppression": "catch-up", "keep_up_suppression": "keep-up",
                  "grade_span_suppression": "span"}


def _pct(v: object) -> str:
    """A share: coded labels ("≤5%", "30-39%", "*") as published, numbers as percentages."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, str):
        return v
    return f"{100 * float(v):.0f}%"


def _num(v: object, fmt: str = "{:g}") -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return v if isinstance(v, str) else fmt.format(v)


def _text_rows(table: pd.DataFrame, level: str) -> tuple[list[str], list[list[str]]]:
    """A compact text view: one column per statistic, shares with their denominators."""
    multi_subject = table["subject"].nunique() > 1
    multi_district = level == "school" and table["district_id"].nunique() > 2
    group_col = {"school": "school_id", "district": "district_id",
                 "provider": "provider_id"}[level]
    span = "mean_secured_below" in table.columns
    spring = "mean_span_growth" in table.columns
    head = (["subject"] if multi_subject else []) + (["district"] if multi_district else [])
    head += [level, "subgroup", "n", "median SGP", "proficient", "catch-up", "keep-up"]
    head += ["span growth"] if spring else []
    head += ["secured below/on/above"] if span else []
    head += ["suppressed"]
    out = []
    for r in table.to_dict(orient="records"):
        row = ([r["subject"]] if multi_subject else []) + (
            [r["district_id"]] if multi_district else [])
        row += [str(r[group_col]), str(r["subgroup"]), _num(r["n"]), _num(r["median_sgp"]),
                _pct(r["proficient_share"])]
        for kind in ("catch_up", "keep_up"):
            share, n = r[f"{kind}_share"], r[f"{kind}_n"]
            row.append("*" if n == "*" else f"{_pct(share)} of {n}" if n else "")
        if spring:
            row.append(_num(r["mean_span_growth"], "{:.1f}"))
        if span:
            vals = [r[f"mean_secured_{w}"] for w in ("below", "on", "above")]
            row.append("*" if "*" in vals else "/".join(_num(v, "{:.1f}") for v in vals))
        row.append(", ".join(f"{lab} {r[c][0]}" for c, lab in _STATUS_LABELS.items()
                             if c in r and r[c]))
        out.append(row)
    return head, out


def report_data(store, *, level: str, providers: Path | None, min_n: int,  # noqa: ANN001
                public: bool, windows: Path | None = None, legacy: bool = False) -> dict:
    """The whole release as the operator sees it (every level's table, ``tables``, and the
    provider mapping, ``provider_map``): :func:`sounding.services.growth.release_tables`.

    Kept for ``scripts/audit_release.py`` (``legacy`` rebuilds the earlier, weaker release
    to show what the adversary recovers from it); ``growth report`` itself reads one level
    through :func:`sounding.services.growth.growth_release`, for whoever is acting.
    """
    from sounding.services import Context
    from sounding.services.growth import release_tables

    data = release_tables(Context.operator(store), min_n=min_n, public=public,
                          providers_file=providers, windows=windows, legacy=legacy,
                          level=level)
    return {"level": level, **data}


@app.command("report")
def report_command(
    level: str = typer.Option("school", "--level", help="school, district or provider."),
    db: str = typer.Option("sounding.db", "--db", help="The store: SQLite file or database URL."),
    providers: Path | None = typer.Option(
        None, "--providers", help="provider_id,school_id CSV; default: the mapping imported "
                                  "with `sounding import providers`."),
    min_n: int = typer.Option(MIN_N, "--min-n", min=1, help="Smallest group published."),
    public: bool = typer.Option(True, "--public/--internal",
                                help="Suppress small groups (public) or show every count."),
    out: Path | None = typer.Option(None, "--out", help="Also write the table (CSV/Parquet)."),
    windows: Path | None = typer.Option(
        None, "--spring-windows", help="Spring-window answers of two or more school years "
        "(responses.csv's columns) for grade-span growth spring to spring; default: "
        "district/spring_windows.csv beside a SQLite store (the demo's layout)."),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format", help="text or json."),
) -> None:
    """Accountability results per school, district or provider, by subject and subgroup.

    Median SGP, share proficient, catch-up / keep-up shares (lagged targets, as Colorado
    judges them) and grade-span growth: spring to spring from the spring windows, else
    between two stored mastery snapshots. Public output suppresses every statistic whose own
    denominator is under --min-n, jointly over the school, district and provider tables,
    codes shares in n-dependent bands ("≤5%", "30-39%") and blurs further whatever the
    tables together would still reveal.
    """
    from sounding.cli.acting import principal
    from sounding.services import Context
    from sounding.services.growth import growth_release
    from sounding.store import Store

    if level not in ("school", "district", "provider"):
        raise InvalidInput(f"--level must be school, district or provider, not {level!r}")
    if out is not None and out.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise InvalidInput(f"--out {out}: use a .csv or .parquet file name")
    with Store.open(db) as store:
        data = growth_release(Context(store, principal(store)), level, min_n=min_n,
                              public=public, providers_file=providers, windows=windows,
                              frame=True)
    table = data.pop("table")
    min_n, public = data["min_n"], data["public"]  # an aggregate role's are forced
    if out is not None:
        _write(table, out)
    span = data["grade_span"]
    if fmt == OutFormat.json:
        typer.echo(json.dumps(data, default=str))
        return
    t = Table(title=f"Growth and achievement by {level}, {data['year']}"
              + (f" (* = on fewer than {min_n} students, or would reveal such a group; "
                 "p primary, c complementary)" if public else " (internal: all counts)"))
    head, rows = _text_rows(table, level)
    for c in head:
        t.add_column(c, justify="left" if c in (level, "subgroup", "subject", "district",
                                                 "suppressed") else "right")
    for row in rows:
        t.add_row(*row)
    console.print(t)
    console.print(span["message"], markup=False)
    if span.get("by_grade"):
        g = Table(title="Grade-span growth beside the scale-score view (same students)")
        for c in ("grade", "span", "n", "span growth", "share of span mastered",
                  "newly secured", "median SGP", "scale-score change"):
            g.add_column(c, justify="right")
        for r in span["by_grade"]:
            g.add_row(str(r["grade"]), r["span"], str(r["n"]), f"{r['mean_span_growth']:+.1f}",
                      f"{100 * r['share_mastered_before']:.0f}% -> "
                      f"{100 * r['share_mastered_after']:.0f}%",
                      f"{r['mean_newly_secured']:.1f}", _num(r.get("median_sgp")),
                      _num(r.get("mean_scale_score_change"), "{:+.1f}"))
        console.print(g)
    if data["providers"]:
        console.print(f"Providers from {data['providers']}.", markup=False)
    if public:
        console.print("Suppressed jointly with the "
                      + ", ".join(x for x in data["released_together"] if x != level)
                      + " table(s): publishing them together reveals no hidden cell.",
                      markup=False)


# ------------------------------------------------------------------ sounding import providers

@import_app.command("providers")
def import_providers(
    path: Path = typer.Argument(..., help="CSV with provider_id, school_id: the complete "
                                          "mapping of providers to the schools they serve."),
    db: str = typer.Option("sounding.db", "--db",
                           help="Database: a SQLite file or a postgresql:// URL."),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format",
                                  help="text for people, json for scripts."),
) -> None:
    """Import which provider works with which school; the file replaces the stored mapping.

    Checked in full first (missing column, empty value, repeated pair, school not in the
    roster: each named by file, line and field); then written in one transaction, so a
    rejected file changes nothing and importing the same file again changes nothing.
    """
    from sounding.cli.importing import run_import

    summary = {"import": run_import(db, "providers", path)}
    if fmt is OutFormat.json:
        typer.echo(json.dumps(summary))
        return
    r = summary["import"]
    console.print(f"Imported {r['rows']} provider assignments ({r['providers']} providers, "
                  f"{r['schools']} schools) from {path}: {r['added']} added, "
                  f"{r['removed']} removed, {r['in_store']} in the store.", markup=False)
