"""`sounding progression ...`: look at the learning progression and move it between systems."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from sounding.core.vocabulary import OutFormat
from sounding.errors import InvalidInput
from sounding.progression import StandardsGraph, grade_number, load_graph, to_case, write_case

app = typer.Typer(
    help="The learning progression: standards, prerequisites, CASE export.", no_args_is_help=True
)
console = Console(highlight=False)


class ExportFormat(StrEnum):
    case = "case"
    json = "json"


FrameworkOpt = typer.Option(
    None,
    "--framework",
    help="A CASE 1.1 (or 1.0) JSON framework to use instead of the shipped Coherence Map.",
)
DbOpt = typer.Option(
    None, "--db", help="Use the framework imported into this database (sounding import "
    "framework); without it, the shipped Coherence Map.")
FormatOpt = typer.Option(OutFormat.text, "--format", help="text for people, json for scripts.")


def _graph(framework: Path | None, db: str | None = None) -> StandardsGraph:
    if framework and db:
        raise InvalidInput("give either --framework or --db, not both")
    if db:
        from sounding.store import Store

        with Store.open(db) as store:
            return store.progression()
    return load_graph(str(framework) if framework else None)


def graph_json(graph: StandardsGraph) -> dict:
    """The progression as plain JSON: every standard's fields and the prerequisite edges at
    both levels (for scripts that do not speak CASE)."""
    return {
        "name": graph.stats()["name"],
        "standards": [s.to_dict() for s in graph],
        "edges": [{"from": a, "to": b} for a, b in graph.edges(level="substandard")],
        "edges_standard_level": [{"from": a, "to": b} for a, b in graph.edges(level="standard")],
    }


def show_standard(graph: StandardsGraph, code: str, *, depth: int = 3) -> dict:
    """Everything `progression show` prints, as one dict (the json form)."""
    s = graph[code]
    level = "substandard" if s.is_substandard else "standard"
    std = graph.rollup(code)
    all_pre = graph.prerequisites(std, transitive=True)
    return {
        **s.to_dict(),
        "substandards": graph.children(std),
        "prerequisites": graph.prerequisites(code, level=level),
        "prerequisites_standard_level": graph.prerequisites(std),
        "all_prerequisites": all_pre,
        "below_grade_foundations": graph.below_grade_foundations(std),
        "prerequisite_grades": sorted({graph[c].grade for c in all_pre}, key=grade_number),
        "unlocks": graph.successors(std),
        "all_unlocks": graph.successors(std, transitive=True),
        "tree_depth": depth,
    }


def _tree(graph: StandardsGraph, code: str, depth: int) -> Tree:
    s = graph[code]
    root = Tree(f"[bold]{code}[/] (grade {s.grade}) {_short(s.text)}")

    def add(node: Tree, c: str, d: int, seen: set[str]) -> None:
        if d == 0:
            return
        for p in graph.prerequisites(c):
            ps = graph[p]
            if p in seen:
                node.add(f"{p} (grade {ps.grade}) [dim]... shown above[/]")
                continue
            seen.add(p)
            add(node.add(f"{p} (grade {ps.grade}) {_short(ps.text)}"), p, d - 1, seen)

    add(root, graph.rollup(code), depth, set())
    return root


def _short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


@app.command()
def show(
    code: str = typer.Argument(..., help="A standard code, e.g. 5.NF.A.1 or 4.NF.B.3a."),
    depth: int = typer.Option(3, help="How many levels of prerequisites to draw."),
    framework: Path | None = FrameworkOpt,
    db: str | None = DbOpt,
    fmt: OutFormat = FormatOpt,
) -> None:
    """Show a standard: its text, the prerequisites beneath it, and what it unlocks."""
    graph = _graph(framework, db)
    info = show_standard(graph, code, depth=depth)
    if fmt is OutFormat.json:
        typer.echo(json.dumps(info, indent=2))
        return
    console.print(
        f"[bold]{info['code']}[/]  grade {info['grade']} · {info['domain_name']} · "
        f"{info['emphasis'] or 'unspecified'} cluster · strand {info['strand']}"
    )
    if info["cluster_name"]:
        console.print(f"Cluster: {info['cluster_name']}", markup=False)
    console.print(info["text"], markup=False)
    for note in info["footnotes"]:  # CCSS footnotes, apart from the sentence
        console.print(f"  Note: {note}", markup=False, style="dim")
    if info["substandards"]:
        console.print(f"Sub-standards: {', '.join(info['substandards'])}")
    console.print()
    console.print("[bold]Rests on[/] (prerequisites, down through earlier grades):")
    console.print(_tree(graph, code, depth))
    console.print(
        f"{len(info['all_prerequisites'])} standards in all, "
        f"{len(info['below_grade_foundations'])} of them below grade {info['grade']}."
    )
    console.print()
    unlocks = info["unlocks"]
    console.print(
        f"[bold]Unlocks[/]: {', '.join(unlocks) if unlocks else 'nothing further'}"
        f" ({len(info['all_unlocks'])} standards rest on it in all)"
    )


@app.command()
def stats(framework: Path | None = FrameworkOpt, db: str | None = DbOpt,
          fmt: OutFormat = FormatOpt) -> None:
    """Counts that describe the progression: standards, edges, grades, strands."""
    st = _graph(framework, db).stats()
    if fmt is OutFormat.json:
        typer.echo(json.dumps(st, indent=2))
        return
    table = Table(title=st["name"], show_header=False)
    for k, v in st.items():
        if k == "name":
            continue
        if isinstance(v, dict):
            v = ", ".join(f"{a}: {b}" for a, b in v.items())
        table.add_row(k.replace("_", " "), str(v))
    console.print(table)


@app.command("export")
def export(
    out: Path = typer.Option(..., "-o", "--out", help="File to write, or - for standard output."),
    export_format: ExportFormat = typer.Option(
        ExportFormat.case, "--format",
        help="case: a CASE 1.1 JSON CFPackage; json: plain JSON (standards and edges).",
    ),
    framework: Path | None = FrameworkOpt,
    db: str | None = DbOpt,
) -> None:
    """Export the progression so other systems (and scripts) can load it."""
    graph = _graph(framework, db)
    if str(out) == "-":
        data = to_case(graph) if export_format is ExportFormat.case else graph_json(graph)
        typer.echo(json.dumps(data, indent=2))
        return
    if out.is_dir():
        raise InvalidInput(f"{out} is a folder; give a file name such as progression.case.json")
    if not out.parent.exists():
        raise InvalidInput(f"folder {out.parent} does not exist (for {out})")
    if export_format is ExportFormat.case:
        write_case(graph, out)
    else:
        out.write_text(json.dumps(graph_json(graph), indent=2), encoding="utf-8")
    Console(stderr=True, highlight=False).print(
        f"Wrote {out} ({export_format.value}: {len(graph)} standards, "
        f"{len(graph.edges())} prerequisite edges).")


@app.command("check")
def check(
    path: Path = typer.Argument(..., help="A CASE 1.1 (or 1.0) JSON framework file."),
    fmt: OutFormat = FormatOpt,
) -> None:
    """Load a district's or state's own CASE framework and report whether it is a usable DAG,
    and what of it could not be used (uncoded placeholders, associations to other
    frameworks)."""
    from sounding.progression.case import case_import, read_case_json

    result = case_import(read_case_json(path), source=path.name)
    st = result.graph.stats()
    if fmt is OutFormat.json:
        typer.echo(json.dumps({**st, "skipped_items": result.skipped_items,
                               "skipped_associations": result.skipped_associations,
                               "notes": result.notes}, indent=2))
    else:
        console.print(
            f"{path}: {st['nodes']} standards, {st['edges_substandard_level']} "
            "prerequisite edges; a DAG whose edges never go back a grade. OK."
        )
        for note in result.notes:
            console.print(f"  - {note}", markup=False)
