"""`sounding plan`, `groups`, `interventions`, `readiness algebra`, and the planning imports.

Thin shells over :mod:`sounding.planning`: each command reads the store (``--db``), runs one
planning function and prints its result as text for people or JSON for scripts. What a
district imported into the store is used when present: its progression
(``store.progression()``), its scope and sequence (else the shipped default; ``--scope FILE``
overrides), its intervention log (``--log FILE`` overrides) and its family-connection signals.

The planning imports hang under ``sounding import`` (the lead's Typer app):
``sounding import scope FILE``, ``sounding import interventions FILE`` and
``sounding import family FILE``. Each checks the whole file first (every problem named by file,
line and field), then writes in one transaction, so nothing is half-written.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from sounding.cli.importing import app as import_app
from sounding.core.vocabulary import OutFormat
from sounding.errors import InvalidInput

# The planning library (pandas, scipy) is imported inside each command, so that
# `sounding --help` and the other commands start quickly.
if TYPE_CHECKING:
    from sounding.planning.from_store import PlanningInputs
    from sounding.planning.scope import ScopeSequence

console = Console(highlight=False, soft_wrap=True)


DbOpt = typer.Option("sounding.db", "--db", help="The store: a SQLite file or a database URL.")
FormatOpt = typer.Option(OutFormat.text, "--format", help="text for people, json for scripts.")
AsOfOpt = typer.Option(None, "--as-of",
                       help="Plan as of this date (YYYY-MM-DD; default: the latest answer).")
ScopeOpt = typer.Option(None, "--scope",
                        help="A scope-and-sequence CSV (default: the one imported into the "
                             "store, else the shipped one).")


def _scope(path: Path | None, inputs: PlanningInputs) -> ScopeSequence:
    from sounding.planning.scope import read_scope_sequence

    override = read_scope_sequence(path, graph=inputs.graph) if path else None
    return inputs.scope(override)


def _as_of(value: str | None, inputs: PlanningInputs) -> date:
    return inputs.as_of(value)


def _one_district(ctx: Any) -> str:
    """The district a non-operator's --district means (their only one)."""
    if len(ctx.reach.districts) != 1:
        raise InvalidInput("--district: this account covers no single district")
    return next(iter(ctx.reach.districts))


def _as_plan(plan: Any, data: dict) -> Any:
    """The TriagePlan holding exactly the findings and tiers of a service's (redacted) plan,
    for the text printout."""
    from dataclasses import replace

    from sounding.planning.triage import Recommendation

    recs = [Recommendation(**{k: v for k, v in r.items()}) for r in data["recommendations"]]
    keep = {str(t["student_id"]) for t in data["tiers"]}
    tiers = plan.tiers[plan.tiers["student_id"].astype(str).isin(keep)]
    return replace(plan, recommendations=recs, tiers=tiers.reset_index(drop=True))


def _print_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, default=str))


def plan(
    class_id: str = typer.Option(None, "--class", help="Plan for one class."),
    school_id: str = typer.Option(None, "--school", help="Plan for one school."),
    district: bool = typer.Option(False, "--district", help="Plan for the whole district."),
    threshold: float = typer.Option(0.2, "--threshold",
                                    help="Share of a class above which a problem is "
                                         "classroom-level (0.10-0.20)."),
    stale_days: int = typer.Option(120, "--stale-days", help="Evidence older than this is stale."),
    lead: int = typer.Option(3, "--lead", min=1,
                             help="Findings the plan leads with, per class (--class) or per "
                                  "grade (the rest follow)."),
    as_of: str = AsOfOpt,
    scope: Path = ScopeOpt,
    store_views: bool = typer.Option(
        True, "--store-views/--no-store-views",
        help="With --district, as the local operator: also store every class's, student's "
             "and school's views for the web app (and a mastery snapshot)."),
    db: str = DbOpt,
    fmt: OutFormat = FormatOpt,
) -> None:
    """Triage at system, classroom and student level, with MTSS tiers per student."""
    from sounding.cli.acting import principal
    from sounding.services import Context, class_plan, district_plan, school_plan
    from sounding.services._data import planning_inputs, triage_plan
    from sounding.store import Store

    if sum([class_id is not None, school_id is not None, district]) != 1:
        raise InvalidInput("give exactly one of --class ID, --school ID or --district")
    # The whole district is triaged (each class is compared with all its grade's classes),
    # then the services cut the plan to what was asked for and to who is asking.
    with Store.lazy(db) as store:
        ctx = Context(store, principal(store))
        inputs = planning_inputs(ctx)
        settings = {"threshold": threshold, "stale_days": stale_days, "as_of": as_of,
                    "scope_sequence": _scope(scope, inputs) if scope else None}
        if class_id is not None:
            data = class_plan(ctx, class_id, lead=lead, **settings)
        elif school_id is not None:
            data = school_plan(ctx, school_id, **settings)
        else:
            data = district_plan(ctx, None if ctx.reach.everything else _one_district(ctx),
                                 **settings)
            if store_views and ctx.reach.everything and scope is None and as_of is None:
                from sounding.services.stored import persist_views

                err = Console(stderr=True, highlight=False)
                try:
                    stats = persist_views(store, seed={"planning_inputs": inputs})
                except InvalidInput as exc:  # e.g. no stored mastery: the plan still stands
                    err.print(f"The web app's views were not stored: {exc}")
                else:
                    err.print(f"Stored the web app's views: {stats['written']} "
                              f"in {stats['total_s']} s")
        if fmt == OutFormat.json:
            _print_json(data)
            return
        result = _as_plan(triage_plan(ctx, **settings), data)
    s = data["summary"]
    teacher = None
    if class_id is not None:
        from sounding.planning.triage import Recommendation

        tp = data["teacher_plan"]
        teacher = {**tp, **{part: [Recommendation(**r) for r in tp[part]]
                            for part in ("lead", "more", "school")}}
    where = (f"class {class_id}" if class_id else f"school {school_id}" if school_id
             else "the district")
    console.print(f"[bold]Plan for {where}[/] as of {s['as_of']} (threshold {threshold:.0%}): "
                  f"{s['by_level']['system']} system, {s['by_level']['classroom']} classroom, "
                  f"{s['by_level']['student']} student-level recommendations; tiers "
                  f"1/2/3: {s['tiers']['1']}/{s['tiers']['2']}/{s['tiers']['3']}, "
                  f"unknown (no recent evidence): {s['no_tier']}")
    def show(r: Any) -> None:
        who = r.class_id or r.school_id or "district"
        conf = f"confidence {r.confidence:.2f}"
        console.print(f"[bold]{r.level:9s}[/] {r.kind:18s} {who}: ", end="")
        console.print(f"{r.reason} ({conf})", markup=False)
        console.print(f"          -> {r.action}", markup=False)

    if teacher is not None:
        unit = f" (next unit {teacher['next_unit']})" if teacher["next_unit"] else ""
        console.print(f"[bold]Lead with{unit}[/]")
        for r in teacher["lead"]:
            show(r)
        if teacher["more"]:
            console.print(f"[bold]One step away[/]: {len(teacher['more'])} more finding(s)")
            for r in teacher["more"]:
                show(r)
        for r in teacher["school"]:
            show(r)
    else:
        # data and the schools' own findings first, then per grade the topics a coach leads
        # with (the rest one step away), then targeted help
        for r in result:
            if not r.standards:
                show(r)
        for g, gp in result.coach_plan(lead=lead).items():
            label = "Algebra I" if g == 9 else f"grade {g}"
            console.print(f"[bold]{label}: lead with[/] ({len(gp['classes'])} classes)")
            for r in gp["lead"]:
                show(r)
            if gp["more"]:
                console.print(f"[bold]{label}: one step away[/]: {len(gp['more'])} more")
                for r in gp["more"]:
                    show(r)
        student = [r for r in result if r.level == "student"]
        if student:
            console.print(f"[bold]Targeted help[/]: {len(student)} finding(s)")
            for r in student:
                show(r)
    checks = data.get("checks") or []
    if checks:
        console.print(f"[bold]Checks to give first[/] ({len(checks)}): the plan is unsure about "
                      "these classes on these standards; import the answers (source 'check') "
                      "and plan again")
        for c in checks:
            console.print(f"  {c['class_id']}: {', '.join(c['standards'])} -- {c['reason']}",
                          markup=False)
            std = " ".join(f"--standard {code}" for code in c["standards"])
            console.print(f"    items: sounding items export -o check-{c['class_id']}.zip {std}",
                          markup=False, soft_wrap=True)
    if class_id is not None and len(result.tiers):
        console.print("[bold]Tiers[/]")
        for t in result.tier_records():
            console.print(f"  {t['student_id']}: {t['reason']}", markup=False)


def groups(
    class_id: str = typer.Option(..., "--class", help="The class to group."),
    min_size: int = typer.Option(3, "--min-size", help="Smallest group size (where possible)."),
    max_size: int = typer.Option(6, "--max-size", help="Largest group size."),
    stale_days: int = typer.Option(120, "--stale-days",
                                   help="Students whose evidence is older are not grouped."),
    as_of: str = AsOfOpt,
    scope: Path = ScopeOpt,
    db: str = DbOpt,
    fmt: OutFormat = FormatOpt,
) -> None:
    """Small groups for a class's next unit: students who share the same next needs."""
    from sounding.cli.acting import principal
    from sounding.services import Context
    from sounding.services import groups as class_groups
    from sounding.services._data import planning_inputs
    from sounding.store import Store

    with Store.lazy(db) as store:
        ctx = Context(store, principal(store))
        override = _scope(scope, planning_inputs(ctx)) if scope else None
        res = class_groups(ctx, class_id, min_size=min_size, max_size=max_size,
                           stale_days=stale_days, as_of=as_of, scope_sequence=override)
    if fmt == OutFormat.json:
        _print_json(res)
        return
    unit = res["unit"]
    console.print(f"[bold]Class {class_id}[/]: next unit "
                  + (f"{unit['unit_id']} {unit['unit_title']} ({unit['start_date']})" if unit
                     else "none"))
    for g in res["groups"]:
        console.print(f"  [bold]{g['group_id']}[/] ({len(g['students'])}): "
                      f"{', '.join(map(str, g['students']))}")
        console.print(f"     focus {', '.join(g['focus']) or '-'}: {g['rationale']}",
                      markup=False)
    console.print(f"  ready for the unit ({len(res['ready'])}): "
                  f"{', '.join(map(str, res['ready'])) or '-'}")
    if res["unassessed"]:
        console.print(f"  unassessed, no recent evidence ({len(res['unassessed'])}): "
                      f"{', '.join(map(str, res['unassessed']))}")


readiness_app = typer.Typer(help="Readiness for later courses.", no_args_is_help=True)


@readiness_app.command("algebra")
def readiness_algebra(
    school_id: str = typer.Option(None, "--school", help="Only this school."),
    foundations: str = typer.Option("immediate", "--foundations",
                                    help="immediate (default) or all below-grade foundations."),
    db: str = DbOpt,
    fmt: OutFormat = FormatOpt,
) -> None:
    """Algebra I readiness of grade-8 students, and ready students not placed in Algebra I."""
    from sounding.cli.acting import principal
    from sounding.services import Context, readiness
    from sounding.store import Store

    with Store.lazy(db) as store:
        res = readiness(Context(store, principal(store)), school_id, foundations=foundations)
    if fmt == OutFormat.json:
        _print_json(res)
        return
    counts = {k: v for k, v in res["summary"].items() if v}
    console.print("[bold]Algebra I readiness, grade 8[/]: "
                  + ", ".join(f"{k} {int(v)}" for k, v in counts.items()))
    for row in res["access"]:
        if row["dimension"] == "all" or not row["n_ready"]:
            continue
        gap = "" if row["gap"] is None else f", gap {row['gap']:+.0%}"
        console.print(f"  {row['school_id']} {row['dimension']}={row['group']}: "
                      f"{row['n_ready']} ready, {row['n_ready_not_placed']} not placed{gap}",
                      markup=False)


def interventions(
    log: Path | None = typer.Option(None, "--log", help="Intervention log CSV (default: the "
                                    "log imported into the store): student_id, intervention, "
                                    "standards, start_date, end_date, minutes, provider."),
    db: str = DbOpt,
    as_of: str | None = AsOfOpt,
    fmt: OutFormat = FormatOpt,
) -> None:
    """Progress monitoring: mastery change on each intervention's standards since it began."""
    import pandas as pd
    from rich.table import Table

    from sounding.cli.acting import principal
    from sounding.services import Context, intervention_progress
    from sounding.store import Store

    with Store.lazy(db) as store:
        report = intervention_progress(Context(store, principal(store)), log_file=log,
                                       as_of=as_of, missing_ok=False)
    source = log.name if log is not None else "the store"
    if fmt == OutFormat.json:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    table = Table(title=f"Progress since each intervention started ({source}; graph-aware "
                        "mastery before the start vs up to the end)")
    for col in ("student", "intervention", "standards", "since", "answers", "before", "after",
                "change", "status"):
        table.add_column(col, justify="right" if col in ("answers", "before", "after",
                                                          "change") else "left")

    def num(v: Any) -> str:
        return "-" if v is None or v != v else f"{v:.2f}"

    for r in report["records"]:
        table.add_row(str(r["student_id"]), str(r["intervention"]), ", ".join(r["standards"]),
                      str(r["start_date"]), str(r["n_answers_since_start"]),
                      num(r["mean_p_before"]), num(r["mean_p_after"]), num(r["mean_change"]),
                      str(r["status"]))
    console.print(table)
    summary = pd.DataFrame(report["by_intervention"])
    for r in summary.itertuples(index=False):
        console.print(f"{r.intervention}: {r.n_records} records, {r.n_students} students, "
                      f"{r.minutes} minutes, mean change {num(r.mean_change)}", markup=False)


# ============================================================================ imports

ImportDb = typer.Option("sounding.db", "--db", help="Database: a SQLite file (created if "
                        "missing) or a postgresql:// URL.")


def _run_import(kind: str, name: str, path: Path, db: str, fmt: OutFormat,
                **options: Any) -> None:
    """The ``name`` import through the query layer, in the same store handling as every
    other import (a rejected first import leaves no database file behind), then report its
    counts."""
    from sounding.cli.importing import run_import

    _report(kind, path, run_import(db, name, path, **options), fmt)


def _report(kind: str, path: Path, counts: dict[str, Any], fmt: OutFormat) -> None:
    if fmt == OutFormat.json:
        _print_json({"import": kind, "file": str(path), **counts})
        return
    console.print(f"[bold]Imported {kind}[/] from {path}: "
                  + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()),
                  markup=True)


@import_app.command("scope")
def import_scope(
    path: Path = typer.Argument(..., help="Scope and sequence CSV: grade, unit_id, unit_title, "
                                          "standard, start_date, end_date."),
    district: str | None = typer.Option(None, "--district",
                                        help="District it is for (default: the store's one)."),
    db: str = ImportDb,
    fmt: OutFormat = FormatOpt,
) -> None:
    """Import a district's scope and sequence (replaces that district's previous one)."""
    _run_import("scope and sequence", "scope", path, db, fmt, district=district)


@import_app.command("interventions")
def import_interventions(
    path: Path = typer.Argument(..., help="Intervention log CSV: student_id, intervention, "
                                          "standards, start_date, end_date, minutes, provider."),
    db: str = ImportDb,
    fmt: OutFormat = FormatOpt,
) -> None:
    """Import an intervention log; a record already stored (same student, intervention,
    standards, start date and provider) is updated, not repeated."""
    _run_import("interventions", "interventions", path, db, fmt)


@import_app.command("family")
def import_family(
    path: Path = typer.Argument(..., help="Family-connection signals CSV: student_id, signal, "
                                          "date, value[, source]."),
    db: str = ImportDb,
    fmt: OutFormat = FormatOpt,
) -> None:
    """Import family-connection signals (contacts, conferences...; value >= 0.5 = a
    successful contact); a row with the same student, signal, date and source is replaced."""
    _run_import("family signals", "family", path, db, fmt)


def register(app: typer.Typer) -> None:
    """Add the top-level ``plan``, ``groups``, ``interventions`` and ``readiness`` commands."""
    app.command("plan")(plan)
    app.command("groups")(groups)
    app.command("interventions")(interventions)
    app.add_typer(readiness_app, name="readiness")
