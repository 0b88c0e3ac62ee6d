"""`sounding --help` must not load the numeric stack: every command would pay for it."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("numpy", "pandas", "scipy", "numba", "sqlalchemy")


def test_cli_import_leaves_the_numeric_stack_unloaded():
    code = ("import sys, sounding.cli; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"importing sounding.cli loaded {out}; import them inside the commands"


def test_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "sounding", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for name in ("progression", "simulate", "import", "mastery", "plan", "groups", "readiness",
                 "interventions", "growth", "evaluate", "report", "run", "demo"):
        assert name in out, name
