"""`sounding mastery ...`: knowledge-tracing models of P(mastered), and how well they predict.

Models are built by name (:func:`sounding.mastery.models.make_model`), so a new model is one
entry there and every command can use it by ``--model NAME``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from sounding.core.vocabulary import OutFormat
from sounding.errors import InvalidEvidence, InvalidInput, NotFound, Problem

# numpy, pandas and the models are imported where they are used, so that `sounding --help`
# and the other commands start quickly.
if TYPE_CHECKING:
    import pandas as pd

    from sounding.mastery.evaluate import CVResult, FoldScores, NextAnswerModel

app = typer.Typer(help="Mastery of every standard: fit, show a student or class, evaluate models.",
                  no_args_is_help=True)
console = Console(highlight=False)

MODELS: tuple[str, ...] = ("best-lr", "pfa", "irt", "bkt", "bkt-forget", "graph")
"""Names ``--model`` accepts: :data:`sounding.mastery.models.MODEL_NAMES`, spelled out here so
that ``sounding --help`` does not import the numeric stack (a test keeps the two equal)."""
DEFAULT_EVALUATE_MODEL = "best-lr"


FormatOpt = typer.Option(OutFormat.text, "--format", help="text for people, json for scripts.")


def load_responses(path: Path) -> pd.DataFrame:
    """Read a response table: CSV / Parquet in pyBKT columns, or the AKT 4-line format.

    An AKT folder (``*_test1.csv`` ...) also yields a ``fold`` column with its published
    student folds. AKT rows carry ``_file`` and ``_line`` (the file and the line of the
    record's skills list), so a problem found later names the real line of the 4-line file,
    not a row position.
    """
    import pandas as pd

    from sounding.evidence.kt_sequences import is_kt_sequences

    if not path.exists():
        raise NotFound(f"no such file or folder: {path}")
    if is_kt_sequences(path):
        return _read_akt(path)
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder but not an AKT data folder (*_test1.csv ...)")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    return pd.read_csv(path)


def _akt_lines(part: pd.DataFrame, file: Path) -> pd.DataFrame:
    """Annotate one AKT file's rows: record ``r`` (from 0) has its skills on line 4r + 3."""
    import numpy as np

    record = np.cumsum(part["order_id"].to_numpy() == 0) - 1
    return part.assign(_file=str(file), _line=4 * record + 3)


def _inverse_json(path: Path) -> dict[int, str] | None:
    """``skill.json`` / ``problems.json`` (name -> index) as index -> name."""
    if not path.is_file():
        return None
    return {int(v): str(k) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def _read_akt(path: Path) -> pd.DataFrame:
    """:func:`read_kt_path` with every row's file and line (see :func:`load_responses`)."""
    import numpy as np
    import pandas as pd

    from sounding.evidence.kt_sequences import read_kt_sequences

    if path.is_file():
        d = path.parent
        part = read_kt_sequences(path, skill_names=_inverse_json(d / "skill.json"),
                                 problem_ids=_inverse_json(d / "problems.json"))
        return _akt_lines(part, path)
    names = {"skill_names": _inverse_json(path / "skill.json"),
             "problem_ids": _inverse_json(path / "problems.json")}
    tests = sorted((int(m.group(1)), f) for f in path.iterdir()
                   if (m := re.search(r"_test(\d+)\.csv$", f.name)))
    frames = [_akt_lines(read_kt_sequences(f, **names), f).assign(fold=np.int64(k))
              for k, f in tests]
    seen = set(pd.concat([f["user_id"] for f in frames]).unique())
    for f in sorted(f for f in path.iterdir() if re.search(r"_train(\d+)\.csv$", f.name)):
        part = _akt_lines(read_kt_sequences(f, **names), f)
        extra = part[~part["user_id"].isin(seen)]
        if len(extra):
            frames.append(extra.assign(fold=np.int64(0)))
            seen.update(extra["user_id"].unique())
    return pd.concat(frames, ignore_index=True)


def _unknown_standards(df: pd.DataFrame, source: str) -> list[Problem]:
    """The first row of each skill that is not a standard of the progression (at most 20)."""
    import numpy as np
    import pandas as pd

    from sounding.mastery.responses import Where, normalize_columns
    from sounding.progression import load_default

    graph = load_default().k8_algebra1()
    df = normalize_columns(df, source)
    codes = df["skill_name"].astype(str).str.strip()
    where = Where(df, source)
    problems = []
    for code in pd.unique(codes):
        if code in graph and (graph.rollup(code) in graph.standard_codes):
            continue
        r = int(np.flatnonzero((codes == code).to_numpy())[0])
        field = "skill_name" if "skill_name" in df.columns else "standard"
        problems.append(Problem(*where(r), field,
                                f"unknown standard {code!r}: not a standard of {graph.name}; "
                                "the graph model needs progression codes (best-lr, pfa, irt "
                                "and bkt run on any skills)"))
        if len(problems) >= 20:
            break
    return problems


def _check_standards(df: pd.DataFrame, source: str) -> None:
    """The graph model needs progression codes: report the first row of each unknown one."""
    problems = _unknown_standards(df, source)
    if problems:
        raise InvalidEvidence(problems)


def _model_factory(name: str, seed: int, df: pd.DataFrame, source: str,
                   prerequisites: Path | None) -> Callable[[], NextAnswerModel]:
    """Fresh models for the folds; the progression is used when the skills are its codes."""
    from sounding.mastery.logistic import read_prerequisites
    from sounding.mastery.models import USES_PREREQUISITES, make_model
    from sounding.progression import load_default

    if name not in MODELS:
        raise InvalidInput(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    if name == "graph":
        if prerequisites is not None:
            raise InvalidInput("the graph model takes its prerequisites from the progression; "
                               "--prerequisites is for " + ", ".join(
                                   m for m in USES_PREREQUISITES if m != "graph"))
        _check_standards(df, source)
    edges = read_prerequisites(str(prerequisites)) if prerequisites is not None else None
    if edges is not None and name not in USES_PREREQUISITES:
        Console(stderr=True, highlight=False).print(
            f"[yellow]Note:[/] {name} does not use prerequisites; "
            f"--prerequisites {prerequisites} is ignored.")
        edges = None
    graph = None
    if name == "graph" or (edges is None and not name.startswith("bkt")
                           and not _unknown_standards(df, source)):
        graph = load_default().k8_algebra1()
    return lambda: make_model(name, seed=seed, graph=graph, prerequisites=edges)


def _fold_row(table: Table, f: FoldScores, *, bold: bool = False) -> None:
    def num(x: float) -> str:
        return "-" if x != x else f"{x:.4f}"

    cells = [str(f.fold), f"{f.n_train_students:,}", f"{f.n_test_students:,}",
             f"{f.n_predictions:,}", num(f.auc), num(f.rmse), num(f.accuracy), f"{f.seconds:.1f}"]
    table.add_row(*(f"[bold]{c}[/]" for c in cells) if bold else cells)


def _cv_table(res: CVResult, path: Path) -> Table:
    table = Table(title=f"{res.model} on {path.name}: next-answer prediction, held-out students",
                  caption="train/test = students; answers = test answers scored")
    for col in ("fold", "train", "test", "answers", "AUC", "RMSE", "accuracy", "s"):
        table.add_column(col, justify="left" if col == "fold" else "right")
    for f in res.folds:
        _fold_row(table, f)
    table.add_section()
    _fold_row(table, res.overall, bold=True)
    return table


@app.command()
def evaluate(
    responses: Path = typer.Option(..., "--responses",
                                   help="CSV/Parquet (user_id, skill_name, correct, order_id) or "
                                        "an AKT 4-line file or folder."),
    folds: int = typer.Option(5, "--folds", min=2, help="Number of student folds."),
    model: str = typer.Option(DEFAULT_EVALUATE_MODEL, "--model",
                              help="Model name: " + ", ".join(MODELS) + "."),
    prerequisites: Path | None = typer.Option(
        None, "--prerequisites", help="CSV of prerequisite edges from_skill,to_skill "
        "(best-lr; for skills that are not progression codes)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the student split and the model."),
    given_folds: bool = typer.Option(
        True, "--given-folds/--random-folds",
        help="Use the folds the data defines (AKT test1..K files) when it has them."),
    fmt: OutFormat = FormatOpt,
) -> None:
    """Cross-validate next-answer prediction: AUC, RMSE, accuracy per fold and pooled."""
    import pandas as pd

    from sounding.mastery.evaluate import cross_validate

    df = load_responses(responses)
    factory = _model_factory(model, seed, df, str(responses), prerequisites)
    fold_spec: Any = folds
    if given_folds and "fold" in df.columns:
        n_given = int((pd.unique(df["fold"]) > 0).sum())
        if n_given != folds:
            raise InvalidInput(f"{responses} defines {n_given} test folds, not {folds}; pass "
                               f"--folds {n_given} or --random-folds")
        fold_spec = "fold"
    res = cross_validate(df, folds=fold_spec, model_factory=factory, seed=seed,
                         model_name=model, source=str(responses))
    if fmt == OutFormat.json:
        typer.echo(json.dumps(res.to_dict(), indent=2))
        return
    console.print(_cv_table(res, responses))


DbOpt = typer.Option("sounding.db", "--db", help="The store: a SQLite file or a database URL.")


@app.command("fit")
def fit_cmd(
    db: str = DbOpt,
    responses: Path | None = typer.Option(
        None, "--responses", help="Responses CSV/Parquet; with --roster, fit from files."),
    roster: Path | None = typer.Option(None, "--roster", help="OneRoster 1.2 folder or zip."),
    model: str = typer.Option("graph", "--model",
                              help="Model name: " + ", ".join(MODELS) + " (graph by default)."),
    prerequisites: Path | None = typer.Option(
        None, "--prerequisites", help="CSV of prerequisite edges from_skill,to_skill for "
        "best-lr (in place of the progression's)."),
    fit_sample: int = typer.Option(
        50_000, "--fit-sample", min=0,
        help="Fit the parameters on at most this many students (a stratified sample by grade "
             "and school); 0 = everyone. Every student's estimates are computed either way."),
    chunk: int = typer.Option(20_000, "--chunk", min=1,
                              help="Students per posterior chunk (bounds memory)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the fit sample."),
    max_iter: int | None = typer.Option(
        None, "--max-iter", min=1,
        help="Iterations at most (graph EM: 60; BKT EM: 100; logistic Newton: 100)."),
    fmt: OutFormat = FormatOpt,
) -> None:
    """Estimate P(mastered) of every student on every standard, and the iceberg profiles."""
    from sounding.cli.acting import principal
    from sounding.cli.render_mastery import rich_progress, text_summary
    from sounding.mastery.pipeline import fit_files
    from sounding.services import Context
    from sounding.services.imports import fit_mastery
    from sounding.store import Store

    if (responses is None) != (roster is None):
        raise InvalidInput("--responses and --roster go together (without them: the store)")
    options: dict[str, Any] = {"fit_students": fit_sample or None, "block_size": chunk,
                               "seed": seed}
    model_options: dict[str, Any] = {}
    if max_iter is not None:
        model_options["max_iter"] = max_iter
    if prerequisites is not None:
        from sounding.mastery.logistic import read_prerequisites
        from sounding.mastery.models import USES_PREREQUISITES

        if model not in USES_PREREQUISITES or model == "graph":
            raise InvalidInput(f"--prerequisites is for best-lr; {model} "
                               + ("takes them from the progression" if model == "graph"
                                  else "does not use prerequisites"))
        model_options["prerequisites"] = read_prerequisites(str(prerequisites))
    if model_options:
        options["model_options"] = model_options
    with rich_progress() as progress:
        if responses is not None:
            result = fit_files(responses, roster, model=model, progress=progress, **options)
        else:
            with Store.open(db) as store:
                result = fit_mastery(Context(store, principal(store)), model=model,
                                     progress=progress, keep=False, **options)
    summary = result.summary()
    if fmt == OutFormat.json:
        typer.echo(json.dumps(summary, indent=2, default=str))
    else:
        console.print(text_summary(summary))


@app.command("show")
def show_cmd(
    student: str | None = typer.Option(None, "--student", help="A student's id."),
    class_id: str | None = typer.Option(None, "--class", help="A class's id."),
    db: str = DbOpt,
    model: str = typer.Option("graph", "--model", help="Which stored estimates."),
    fmt: OutFormat = FormatOpt,
) -> None:
    """One student's iceberg, or a class's: secure levels per strand and unfinished standards."""
    from sounding.cli.acting import principal
    from sounding.cli.render_mastery import text_class, text_student
    from sounding.services import Context, class_view, student_view
    from sounding.store import Store

    if (student is None) == (class_id is None):
        raise InvalidInput("give exactly one of --student ID or --class ID")
    with Store.open(db) as store:
        ctx = Context(store, principal(store))
        view = (student_view(ctx, student, model=model) if student is not None
                else class_view(ctx, class_id, model=model))
    if fmt == OutFormat.json:
        typer.echo(json.dumps(view, indent=2, default=str))
    else:
        console.print(text_student(view) if student is not None else text_class(view))
