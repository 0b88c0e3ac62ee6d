"""`sounding demo`: the whole chain on a simulated district, ending in an offline report."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console

console = Console(highlight=False)


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        out: Path = typer.Option(
            Path("demo"), "--out", help="Folder for the district, database and report."
        ),
        students: int = typer.Option(
            3000, "--students", min=50, help="Size of the simulated district."
        ),
        seed: int = typer.Option(
            7, "--seed", help="Random seed (the same seed gives the same district)."
        ),
        fmt: str = typer.Option("text", "--format", help="text or json (a summary of what ran)."),
    ) -> None:
        """Simulate a district, import it, estimate mastery, plan, compute growth, report."""
        from sounding.pipeline import run_pipeline

        t0 = time.perf_counter()
        status = console.status("Starting", spinner="dots") if fmt == "text" else None
        if status:
            status.start()
        try:

            def on_stage(label: str) -> None:
                if status:
                    status.update(label + " …")
                    console.log(label)

            result = run_pipeline(out, n_students=students, seed=seed, on_stage=on_stage)
        finally:
            if status:
                status.stop()
        total = time.perf_counter() - t0
        if fmt == "json":
            typer.echo(
                json.dumps(
                    {
                        "report": str(result.report_index),
                        "database": result.db_url,
                        "timings": result.timings,
                        "seconds": round(total, 1),
                        **result.facts,
                    },
                    indent=2,
                    default=str,
                )
            )
            return
        for label, secs in result.timings.items():
            console.print(f"  {secs:7.1f} s  {label}")
        plan = result.facts.get("plan")
        if plan:
            console.print(f"Plan: {plan['by_level']} recommendations; tiers {plan['tiers']}.")
        console.print(f"Done in {total:.0f} s. Database: {result.db_url}")
        console.print(
            f"[bold]Report: {result.report_index}[/] (open it in a browser; it works offline)"
        )

    @app.command("run")
    def run_cmd(
        db: str = typer.Option("sounding.db", "--db", help="SQLite file or PostgreSQL URL."),
        out: Path = typer.Option(Path("report"), "--out", help="Folder for the report."),
        providers: Path | None = typer.Option(
            None, "--providers", help="provider_id,school_id CSV for provider results."
        ),
    ) -> None:
        """Run the analysis on an imported district: mastery, plans, growth, the report."""
        from sounding.pipeline import run_store

        result = run_store(db, out, providers=providers, on_stage=lambda s: console.log(s))
        for label, secs in result.timings.items():
            console.print(f"  {secs:7.1f} s  {label}")
        console.print(f"[bold]Report: {result.report_index}[/]")
