"""`sounding diagnostic ...`: run the adaptive diagnostic on simulated students, calibrate."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="The adaptive diagnostic: simulate it against known truth, calibrate.",
                  no_args_is_help=True)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class OutFormat(StrEnum):
    text = "text"
    json = "json"


class Strategy(StrEnum):
    entropy = "entropy"
    variance = "variance"
    half = "half"
    random = "random"


@app.command("simulate")
def simulate(
    students: int = typer.Option(200, "--students", "-n", min=1, max=100_000,
                                 help="Simulated students taking the test."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulated district."),
    strategy: Strategy = typer.Option(Strategy.entropy, "--strategy",
                                      help="Item selection rule."),
    max_items: int = typer.Option(25, "--max-items", min=1, max=200,
                                  help="Longest test."),
    stop: float = typer.Option(0.9, "--stop", min=0.5, max=1.0,
                               help="A strand is settled when its placement is this sure."),
    db: str = typer.Option(None, "--db", help="Also write the answers and results to this "
                           "store (SQLite path or database URL) as diagnostic evidence."),
    fmt: OutFormat = typer.Option(OutFormat.text, "--format",
                                  help="text for people, json for scripts."),
) -> None:
    """Simulated students (true knowledge known) take the diagnostic: items used, accuracy."""
    from sounding.diagnostic.engine import DiagnosticEngine
    from sounding.diagnostic.model import default_model
    from sounding.diagnostic.simulate import run_students
    from sounding.diagnostic.students import students_from_district
    from sounding.items.bank import ItemBank
    from sounding.simulate import DistrictSpec, simulate_district

    district = simulate_district(DistrictSpec(n_students=students, seed=seed))
    studs = students_from_district(district, rng_seed=seed)
    engine = DiagnosticEngine(default_model(), ItemBank.default(), max_items=max_items,
                              stop_certainty=stop, strategy=strategy.value)
    with Progress(TextColumn("diagnostic"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True,
                  disable=fmt is OutFormat.json) as bar:
        task = bar.add_task("run", total=len(studs))
        rep = run_students(engine, studs, progress=lambda i: bar.update(task, completed=i),
                           keep_sessions=db is not None)
    out = {**rep.summary(), "seed": seed, "max_items": max_items, "stop_certainty": stop}
    if db is not None:
        from sounding.diagnostic.evidence import write_sessions
        from sounding.store import Store

        with Store.open(db) as store:
            out["store"] = write_sessions(store, engine, rep.sessions)
    if fmt is OutFormat.json:
        typer.echo(json.dumps(out, indent=2))
        return
    console.print(f"[bold]{out['students']} simulated students[/] (seed {seed}), strategy "
                  f"{out['strategy']}, at most {max_items} items, stop at {stop:.0%} sure")
    console.print(f"Items used: mean {out['items_mean']}, 95th percentile "
                  f"{out['items_p95']:.0f}, max {out['items_max']}")
    console.print(f"Exact per-strand placement vs truth: {out['exact_placement']:.1%} of "
                  f"{out['placements']} placements (within one grade "
                  f"{out['within_one_grade']:.1%})")
    t = Table("strand", "exact", title="By strand")
    for s, v in out["exact_by_strand"].items():
        t.add_row(s, f"{v:.1%}")
    console.print(t)
    curve = out["curve"]
    console.print("Accuracy if the test stopped after k items: " + ", ".join(
        f"{k}: {curve[str(k)]:.1%}" for k in (0, 5, 10, 15, 20, 25) if str(k) in curve))
    console.print(f"{out['seconds']} s ({out['ms_per_item']} ms per item)")
    if "store" in out:
        console.print(f"Written to {db}: {out['store']['responses_added']} responses (source "
                      f"diagnostic), {out['store']['mastery_rows']} mastery rows (model "
                      "diagnostic)")


@app.command("calibrate")
def calibrate_cmd(
    students: int = typer.Option(3000, "--students", "-n", min=100),
    seed: int = typer.Option(101, "--seed"),
    answers: int = typer.Option(40, "--answers", min=5, help="Answers per student."),
    out: Path = typer.Option(None, "--out", "-o",
                             help="Folder for params.json and calibration.json (default: "
                                  "the installed package, i.e. the shipped calibration)."),
) -> None:
    """Fit the diagnostic's model and the bank's IRT calibration on simulated students."""
    from sounding.diagnostic.calibrate import write_calibration

    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    info = write_calibration(out, n_students=students, seed=seed, answers_per_student=answers)
    typer.echo(json.dumps(info, indent=2))


@app.command("take")
def take(
    grade: str = typer.Option(None, "--grade", help="The student's grade (K-8, HS) for a new "
                              "session."),
    student: str = typer.Option("student", "--student", help="Student id."),
    session_file: Path = typer.Option(..., "--session", "-s",
                                      help="Session file: created, saved after every answer, "
                                           "resumed when it exists."),
    max_items: int = typer.Option(25, "--max-items", min=1, max=200),
    db: str = typer.Option(None, "--db", help="Write the finished test to this store."),
) -> None:
    """Take the diagnostic in the terminal, one question at a time, untimed.

    The session is saved after every answer (and with the question being asked), so closing
    the terminal loses nothing: run the same command again to carry on.
    """
    import os

    from sounding.diagnostic.engine import DiagnosticEngine
    from sounding.diagnostic.model import default_model
    from sounding.diagnostic.session import DiagnosticSession
    from sounding.errors import InvalidInput
    from sounding.items.bank import ItemBank

    engine = DiagnosticEngine(default_model(), ItemBank.default(), max_items=max_items)
    if session_file.exists():
        session = DiagnosticSession.from_json(session_file.read_text())
        console.print(f"Welcome back. {session.n_answered} question(s) answered so far.")
    else:
        if grade is None:
            raise InvalidInput("--grade is needed to start a new session")
        session = engine.start(student, grade)

    def save() -> None:
        tmp = session_file.with_name(session_file.name + ".tmp")
        tmp.write_text(session.to_json())
        os.replace(tmp, session_file)  # atomic: the file is the old or the new session

    item = engine.next_item(session)
    save()
    while item is not None:
        console.print()
        console.print(f"[bold]Question {session.n_answered + 1}[/] (take your time)")
        console.print(item.text, markup=False)
        response = typer.prompt("Your answer", default="", show_default=False)
        item = engine.answer(session, item.item_id, response).next_item
        save()
    result = engine.result(session)
    console.print()
    console.print("[bold]Thank you! Here is what you are ready to learn next:[/]")
    for r in result.ready_to_learn[:5]:
        console.print(f"  {r['standard']}: {r['text'][:90]}", markup=False)
    console.print()
    for p in result.placements:
        if p.grades_below is not None:
            console.print(f"  {p.strand}: {p.label} ({p.certainty:.0%} sure)")
    if db is not None:
        from sounding.diagnostic.evidence import write_sessions
        from sounding.store import Store

        with Store.open(db) as store:
            write_sessions(store, engine, [session])
        console.print(f"Saved to {db}.")
