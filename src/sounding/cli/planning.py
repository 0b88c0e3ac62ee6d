"""`sounding plan`, `sounding groups`, `sounding readiness algebra`: planning from the store.

Thin shells over :mod:`sounding.planning`: each command reads the store (``--db``), runs one
planning function and prints its result as text for people or JSON for scripts.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from sounding.errors import InvalidInput
from sounding.planning.algebra import algebra_readiness
from sounding.planning.frames import to_date
from sounding.planning.from_store import PlanningInputs, load_inputs
from sounding.planning.groups import small_groups
from sounding.planning.scope import ScopeSequence, default_scope_sequence, read_scope_sequence
from sounding.planning.triage import TriageConfig, triage

console = Console(highlight=False, soft_wrap=True)


class OutFormat(StrEnum):
    text = "text"
    json = "json"


DbOpt = typer.Option("sounding.db", "--db", help="The store: a SQLite file or a database URL.")
FormatOpt = typer.Option(OutFormat.text, "--format", help="text for people, json for scripts.")
AsOfOpt = typer.Option(None, "--as-of",
                       help="Plan as of this date (YYYY-MM-DD; default: the latest answer).")
ScopeOpt = typer.Option(None, "--scope",
                        help="A scope-and-sequence CSV (default: the shipped one).")


def _scope(path: Path | None) -> ScopeSequence:
    return read_scope_sequence(path) if path else default_scope_sequence()


def _as_of(value: str | None, inputs: PlanningInputs) -> date:
    return to_date(value) or inputs.latest_answer() or date.today()


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
    as_of: str = AsOfOpt,
    scope: Path = ScopeOpt,
    db: str = DbOpt,
    fmt: OutFormat = FormatOpt,
) -> None:
    """Triage at system, classroom and student level, with MTSS tiers."""
    if sum([class_id is not None, school_id is not None, district]) != 1:
        raise InvalidInput("give exactly one of --class ID, --school ID or --district")
    config = TriageConfig(threshold=threshold, stale_days=stale_days)
    inputs = load_inputs(db)
    if class_id is not None:
        inputs.school_of_class(class_id)  # an unknown class is an error before any work
    elif school_id is not None:
        inputs.only_school(school_id)
    day = _as_of(as_of, inputs)
    # The whole district is triaged so each class is compared with all its grade's classes,
    # then the plan is cut down to what was asked for.
    result = triage(inputs.mastery, inputs.students, inputs.classes, inputs.enrollments,
                    evidence=inputs.evidence(), scope=_scope(scope), as_of=day, config=config,
                    responses=inputs.responses)
    if class_id is not None:
        result = result.restricted(class_id=class_id)
    elif school_id is not None:
        result = result.restricted(school_id=school_id)
    if fmt == OutFormat.json:
        _print_json(result.to_dict())
        return
    s = result.summary()
    where = (f"class {class_id}" if class_id else f"school {school_id}" if school_id
             else "the district")
    console.print(f"[bold]Plan for {where}[/] as of {s['as_of']} (threshold {threshold:.0%}): "
                  f"{s['by_level']['system']} system, {s['by_level']['classroom']} classroom, "
                  f"{s['by_level']['student']} student-level recommendations; tiers "
                  f"1/2/3: {s['tiers']['1']}/{s['tiers']['2']}/{s['tiers']['3']}, "
                  f"no tier: {s['no_tier']}")
    for r in result:
        who = r.class_id or r.school_id or "district"
        conf = f"confidence {r.confidence:.2f}"
        console.print(f"[bold]{r.level:9s}[/] {r.kind:18s} {who}: {r.reason} ({conf})",
                      markup=True)
        console.print(f"          -> {r.action}", markup=False)


def groups(
    class_id: str = typer.Option(..., "--class", help="The class to group."),
    min_size: int = typer.Option(3, "--min-size", help="Smallest group size (where possible)."),
    max_size: int = typer.Option(6, "--max-size", help="Largest group size."),
    as_of: str = AsOfOpt,
    scope: Path = ScopeOpt,
    db: str = DbOpt,
    fmt: OutFormat = FormatOpt,
) -> None:
    """Small groups for a class's next unit: students who share the same next needs."""
    inputs = load_inputs(db)
    part = inputs.only_school(inputs.school_of_class(class_id))
    res = small_groups(part.mastery, part.students, part.classes, part.enrollments,
                       scope=_scope(scope), as_of=_as_of(as_of, inputs), class_ids=[class_id],
                       min_size=min_size, max_size=max_size)[class_id]
    if fmt == OutFormat.json:
        _print_json(res.to_dict())
        return
    unit = res.unit
    console.print(f"[bold]Class {class_id}[/]: next unit "
                  + (f"{unit.unit_id} {unit.title} ({unit.start_date})" if unit else "none"))
    for g in res.groups:
        console.print(f"  [bold]{g.group_id}[/] ({len(g.students)}): "
                      f"{', '.join(map(str, g.students))}")
        console.print(f"     focus {', '.join(g.focus) or '-'}: {g.rationale}", markup=False)
    console.print(f"  ready for the unit ({len(res.ready)}): "
                  f"{', '.join(map(str, res.ready)) or '-'}")
    if res.unassessed:
        console.print(f"  unassessed ({len(res.unassessed)}): "
                      f"{', '.join(map(str, res.unassessed))}")


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
    if foundations not in ("immediate", "all"):
        raise InvalidInput("--foundations must be immediate or all")
    inputs = load_inputs(db)
    part = inputs.only_school(school_id) if school_id is not None else inputs
    res = algebra_readiness(part.mastery, part.students, part.classes, part.enrollments,
                            scores=part.scores, foundations=foundations)  # type: ignore[arg-type]
    if fmt == OutFormat.json:
        _print_json(res.to_dict())
        return
    counts = res.students["label"].value_counts()
    console.print("[bold]Algebra I readiness, grade 8[/]: "
                  + ", ".join(f"{k} {int(v)}" for k, v in counts.items()))
    acc = res.access
    for row in acc[acc["dimension"] != "all"].itertuples(index=False):
        if row.n_ready == 0:
            continue
        gap = "" if row.gap != row.gap else f", gap {row.gap:+.0%}"
        console.print(f"  {row.school_id} {row.dimension}={row.group}: {row.n_ready} ready, "
                      f"{row.n_ready_not_placed} not placed{gap}", markup=False)


def interventions(
    log: Path = typer.Option(..., "--log", help="Intervention log CSV: student_id, "
                             "intervention, standards, start_date, end_date, minutes, provider."),
    db: str = DbOpt,
    as_of: str | None = AsOfOpt,
    fmt: OutFormat = FormatOpt,
) -> None:
    """Progress monitoring: mastery change on each intervention's standards since it began."""
    from rich.table import Table

    from sounding.planning.interventions import progress_monitoring, read_intervention_log

    records = read_intervention_log(log)
    inputs = load_inputs(db)
    report = progress_monitoring(records, inputs.responses, as_of=as_of)
    if fmt == OutFormat.json:
        typer.echo(json.dumps(report.to_dict(), indent=2, default=str))
        return
    table = Table(title=f"Progress since each intervention started ({log.name})")
    for col in ("student", "intervention", "standards", "since", "answers", "before", "after",
                "change", "status"):
        table.add_column(col, justify="right" if col in ("answers", "before", "after",
                                                          "change") else "left")

    def num(v: Any) -> str:
        return "-" if v is None or v != v else f"{v:.2f}"

    for r in report.records.itertuples(index=False):
        table.add_row(str(r.student_id), str(r.intervention), ", ".join(r.standards),
                      str(r.start_date), str(r.n_answers_since_start), num(r.mean_p_before),
                      num(r.mean_p_after), num(r.mean_change), str(r.status))
    console.print(table)
    summary = report.by_intervention()
    for r in summary.itertuples(index=False):
        console.print(f"{r.intervention}: {r.n_records} records, {r.n_students} students, "
                      f"{r.minutes} minutes, mean change {num(r.mean_change)}")


def register(app: typer.Typer) -> None:
    """Add the top-level ``plan``, ``groups``, ``interventions`` and ``readiness`` commands."""
    app.command("plan")(plan)
    app.command("groups")(groups)
    app.command("interventions")(interventions)
    app.add_typer(readiness_app, name="readiness")
