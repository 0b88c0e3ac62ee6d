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
        serve: bool = typer.Option(False, "--serve", help="Then serve the web application "
                                   "(one sign-in per role is printed)."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address for --serve."),
        port: int = typer.Option(8000, "--port", help="Port for --serve."),
    ) -> None:
        """Simulate a district, import it, estimate mastery, plan, compute growth, report;
        create one demo account per role; with --serve, serve the web application."""
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
        from sounding.store import Store

        with Store.open(result.db_url) as store:
            accounts = demo_accounts(store)
        if fmt == "json":
            typer.echo(
                json.dumps(
                    {
                        "report": str(result.report_index),
                        "database": result.db_url,
                        "timings": result.timings,
                        "seconds": round(total, 1),
                        "accounts": accounts,
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
        console.print("Sign-ins for the web application (user name / password):")
        for a in accounts:
            console.print(f"  {a['role']:<14} {a['username']:<22} {a['password']}")
        if serve:
            import uvicorn

            from sounding.web import create_app

            console.print(f"[bold]Serving on http://{host}:{port}/[/] (Ctrl-C stops)")
            uvicorn.run(create_app(result.db_url), host=host, port=port, log_level="warning")

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


#: The demo's sign-ins: one per role, password = "demo-" + role (demo data only).
DEMO_PASSWORD = "demo-{role}"


def demo_accounts(store) -> list[dict[str, str]]:
    """One account per role on the demo district (replaced if present), scoped to real
    objects of the simulated roster: the first class's teacher and school, its first student
    and that student's guardian, the district, the first provider."""
    from sounding.access.accounts import add_account
    from sounding.access.roles import Role

    en = store.enrollments()
    classes = store.classes().sort_values("class_id")
    cls = classes.iloc[0]
    teacher = en[(en["class_id"] == cls["class_id"]) & (en["role"] == "teacher")]["user_id"]
    pupils = en[(en["class_id"] == cls["class_id"]) & (en["role"] == "student")]["user_id"]
    student = str(sorted(pupils)[0])
    orgs = store.orgs()
    district = str(orgs[orgs["type"] == "district"]["org_id"].iloc[0])
    prov = store.table("provider_assignments")
    plan = [
        ("teacher", Role.teacher, [], str(teacher.iloc[0]) if len(teacher) else None),
        ("coach", Role.school_leader, [str(cls["school_id"])], None),
        ("district.lead", Role.district, [district], None),
        ("state.analyst", Role.state, [], None),
        ("provider", Role.provider, [str(prov["provider_id"].iloc[0])] if len(prov) else [],
         None),
        ("researcher", Role.researcher, [], None),
        ("guardian", Role.guardian, [student], None),
        ("student", Role.student, [student], student),
        ("admin", Role.admin, [], None),
    ]
    out = []
    for username, role, scopes, uid in plan:
        password = DEMO_PASSWORD.format(role=role.value.replace("_", "-"))
        add_account(store, username, role, scopes=scopes, user_id=uid, password=password,
                    replace=True, display_name=f"Demo {role.value.replace('_', ' ')}")
        out.append({"role": role.value, "username": username, "password": password})
    return out
