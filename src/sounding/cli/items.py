"""`sounding items ...`: look at the item bank, export it to QTI 3.0, import a QTI package."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from sounding.errors import InvalidInput

app = typer.Typer(help="The item bank: sample items per standard, QTI 3.0 export and import.",
                  no_args_is_help=True)
console = Console(highlight=False)


class OutFormat(StrEnum):
    text = "text"
    json = "json"


class ExportFormat(StrEnum):
    qti = "qti"


FormatOpt = typer.Option(OutFormat.text, "--format", help="text for people, json for scripts.")


@app.command("show")
def show(
    standard: str = typer.Argument(..., help="A standard code, e.g. 5.NF.A.1."),
    n: int = typer.Option(3, "--n", min=1, max=50, help="How many sample items."),
    seed: int = typer.Option(0, "--seed", help="Seed of the first sample."),
    html: bool = typer.Option(False, "--html", help="Also print each item's HTML + MathML."),
    fmt: OutFormat = FormatOpt,
) -> None:
    """Sample items of a standard, with their key, kind and calibration."""
    from sounding.items.bank import ItemBank

    bank = ItemBank.default()
    items = bank.sample(standard, n=n, seed=seed)
    if fmt is OutFormat.json:
        typer.echo(json.dumps([{**it.to_dict(), "html": it.html} for it in items], indent=2))
        return
    code = items[0].standard
    s = bank.graph[code]
    console.print(f"[bold]{code}[/] (grade {s.grade}, {s.emphasis}, {s.strand}): {s.text}")
    console.print(f"{len(bank.templates[code])} template(s): "
                  + ", ".join(f"{t.template_id} {t.kind}" for t in bank.templates[code]))
    for it in items:
        console.print()
        console.print(f"[bold]{it.item_id}[/]  {it.kind}, {it.answer_type}"
                      + (f", form: {it.form}" if it.form else "")
                      + f"  (difficulty {it.difficulty:+.2f}, discrimination "
                        f"{it.discrimination:.2f})")
        console.print(it.text, markup=False)
        console.print(f"[green]key:[/] {it.key}", highlight=False)
        if it.distractors:
            console.print(f"[red]common wrong answers:[/] {', '.join(it.distractors)}")
        if html:
            console.print(it.html, markup=False)


@app.command("export")
def export(
    out: Path = typer.Option(..., "--out", "-o", help="The package to write (.zip)."),
    fmt: ExportFormat = typer.Option(ExportFormat.qti, "--format", help="qti (QTI 3.0)."),
    per_template: int = typer.Option(1, "--per-template", min=1, max=100,
                                     help="Items generated per template."),
    standard: list[str] = typer.Option(None, "--standard",
                                       help="Only these standards (repeatable)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the first item of each template."),
) -> None:
    """Write items as QTI 3.0 assessment items in an IMS content package."""
    from sounding.items.bank import ItemBank
    from sounding.items.qti import export_package

    bank = ItemBank.default()
    codes = [bank._code(s) for s in standard] if standard else list(bank.standards)
    items = [t.generate(seed + k) for c in codes for t in bank.templates[c]
             for k in range(per_template)]
    if out.suffix.lower() != ".zip":
        raise InvalidInput(f"--out {out}: a QTI package is a .zip file")
    n = export_package(items, out)
    console.print(f"Wrote {n} QTI 3.0 items ({len(codes)} standards) to {out}")


@app.command("import")
def import_(
    package: Path = typer.Argument(..., help="A QTI 3.0 content package (.zip)."),
    fmt: OutFormat = FormatOpt,
) -> None:
    """Read a QTI 3.0 package: every item's key must pass its own checker."""
    from sounding.errors import InvalidData, Problem
    from sounding.items.qti import import_package

    if not package.is_file():
        raise InvalidInput(f"{package}: no such file")
    items = import_package(package)
    bad = [Problem(str(package), None, it.item_id, f"the key {it.key!r} does not pass the "
                   "item's own checker") for it in items if not it.check(it.key)]
    if bad:
        raise InvalidData(bad)
    by_std: dict[str, int] = {}
    for it in items:
        by_std[it.standard] = by_std.get(it.standard, 0) + 1
    info = {"package": str(package), "items": len(items), "standards": len(by_std),
            "answer_types": _count(it.answer_type for it in items),
            "kinds": _count(it.kind for it in items)}
    if fmt is OutFormat.json:
        typer.echo(json.dumps(info, indent=2))
        return
    t = Table("what", "count", title=f"{package}: {len(items)} items, {len(by_std)} standards")
    for k, v in {**info["answer_types"], **info["kinds"]}.items():
        t.add_row(k, str(v))
    console.print(t)


def _count(values) -> dict[str, int]:  # noqa: ANN001
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))
