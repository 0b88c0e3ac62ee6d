"""The ``sounding`` command line: thin shells over library functions.

Each domain owns a Typer sub-app in ``sounding/cli/<domain>.py``; this module mounts them and
turns every :class:`~sounding.errors.SoundingError` into ``Error: ...`` plus a hint and exit
code 1, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from sounding.errors import InvalidData, SoundingError

app = typer.Typer(
    name="sounding",
    help=(
        "Sounding finds every student's unfinished math learning on the K-8 to Algebra I "
        "progression and turns it into a plan for teachers, leaders, districts and states."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

# (module under sounding.cli, command name, help). Modules register a Typer ``app`` (a group)
# or, when ``name`` is None, add their commands to the top level via ``register(app)``.
_SUBAPPS: list[tuple[str, str | None]] = [
    ("progression", "progression"),
    ("simulate", None),
    ("importing", "import"),
    ("export", "export"),
    ("mastery", "mastery"),
    ("planning", None),
    ("growth", "growth"),
    ("evaluate", "evaluate"),
    ("report", "report"),
    ("demo", None),
    ("users", "users"),
    ("db", "db"),
    ("diagnostic", "diagnostic"),
    ("items", "items"),
    ("serve", None),
]

for _module, _name in _SUBAPPS:
    _mod = importlib.import_module(f"sounding.cli.{_module}")
    if _name is None:
        _mod.register(app)
    else:
        app.add_typer(_mod.app, name=_name)


@app.callback()
def _root(
    as_user: str | None = typer.Option(
        None, "--as", metavar="USERNAME",
        help="Act as this account: see only what its role and scope allow (default: the "
             "local operator, who sees everything)."),
) -> None:
    """Sounding: the soundings of unfinished math learning."""
    from sounding.cli.acting import set_acting_user

    set_acting_user(as_user)


err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def report_error(exc: SoundingError) -> None:
    """Print a user error as one line (plus hint), the way every command does."""
    err_console.print(f"[bold red]Error:[/] {exc}", markup=True)
    if isinstance(exc, InvalidData) and len(exc.problems) > 1:
        for p in exc.problems[1:20]:
            err_console.print(f"  {p}", markup=False)
        if len(exc.problems) > 20:
            err_console.print(f"  ... {len(exc.problems) - 20} more", markup=False)
    if exc.hint:
        err_console.print(exc.hint, markup=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point for the ``sounding`` script."""
    try:
        app(args=argv, standalone_mode=False)
    except SoundingError as exc:
        report_error(exc)
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err_console.print("Aborted.")
        return 1
    except Exception as exc:  # usage errors (Typer's click) carry their own exit code and message
        if hasattr(exc, "show") and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            return exc.exit_code
        raise
    return 0


def run() -> None:  # pragma: no cover - console script shim
    sys.exit(main())
