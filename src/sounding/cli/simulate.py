"""`sounding simulate`: write a synthetic district (rosters, evidence, scores, ground truth)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sounding.core.vocabulary import OutFormat
from sounding.errors import InvalidInput
from sounding.progression import grade_number

# The simulator (numpy, pandas, scipy, numba) is imported inside the command, so that
# `sounding --help` and every other command start without paying for it.

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def parse_grades(text: str) -> tuple[int, ...]:
    """"3-8", "K-5", "4,8" or "6" -> grade numbers (K = 0), each within K-8."""
    out: set[int] = set()
    for part in (p.strip() for p in text.split(",") if p.strip()):
        m = re.fullmatch(r"([0-9]{1,2}|K|KG)\s*-\s*([0-9]{1,2}|K|KG)", part, re.IGNORECASE)
        try:
            if m:
                a, b = grade_number(m.group(1).upper()), grade_number(m.group(2).upper())
                if a > b:
                    raise InvalidInput(f"--grades: {part!r} runs backwards")
                out.update(range(a, b + 1))
            else:
                out.add(grade_number(part.upper()))
        except (KeyError, ValueError) as exc:
            raise InvalidInput(f"--grades: {part!r} is not a grade or range (e.g. 3-8)") from exc
    if not out or min(out) < 0 or max(out) > 8:
        raise InvalidInput(f"--grades {text!r}: grades must be within K-8 (e.g. 3-8)")
    return tuple(sorted(out))


def simulate(
    students: int = typer.Option(2000, "--students", "-n", min=1,
                                 help="Number of students (split evenly across grades)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: same seed, same files."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (created; replaced)."),
    grades: str = typer.Option("3-8", "--grades", help="Grades, e.g. 3-8, K-5 or 4,8."),
    chunk: int = typer.Option(50_000, "--chunk", min=1,
                              help="Students per chunk (bounds memory for millions)."),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format",
                                  help="text for people, json for scripts."),
) -> None:
    """Simulate a district and write what it would hand over, plus the ground truth."""
    from sounding.simulate import DistrictSpec, simulate_to_dir
    from sounding.simulate.knowledge import TARGET_PROFICIENCY

    spec = DistrictSpec(n_students=students, seed=seed, grades=parse_grades(grades))
    t0 = time.perf_counter()
    show_bar = fmt is OutFormat.text and students > 20_000
    if show_bar:
        with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err_console, transient=True) as bar:
            task = bar.add_task("simulate", total=students)
            summary = simulate_to_dir(
                spec, out, chunk_students=chunk,
                progress=lambda done, total: bar.update(task, completed=done, total=total))
    else:
        summary = simulate_to_dir(spec, out, chunk_students=chunk)
    seconds = time.perf_counter() - t0
    if fmt is OutFormat.json:
        payload = summary.to_dict()
        payload["seconds"] = round(seconds, 3)
        payload["seed"] = seed
        typer.echo(json.dumps(payload, indent=2))
        return
    console.print(f"Wrote [bold]{summary.out_dir}[/] in {seconds:.1f} s: "
                  f"{summary.n_students:,} students, {summary.n_schools} schools, "
                  f"{summary.n_classes:,} classes, {summary.n_teachers:,} teachers, "
                  f"{summary.n_responses:,} responses, {summary.n_scores:,} scale scores.")
    table = Table(title="Proficient on grade-level standards (ground truth)")
    table.add_column("grade", justify="right")
    table.add_column("students", justify="right")
    table.add_column("proficient", justify="right")
    table.add_column("NAEP-based target", justify="right")
    for g, p in summary.proficiency_by_grade.items():
        target = TARGET_PROFICIENCY.get(g)
        table.add_row("K" if g == 0 else str(g), f"{summary.students_by_grade[g]:,}",
                      f"{p:.1%}", "" if target is None else f"{target:.1%}")
    console.print(table)
    console.print("Files: " + ", ".join(summary.files))


def register(app: typer.Typer) -> None:
    """Add the top-level ``simulate`` command."""
    app.command("simulate")(simulate)
