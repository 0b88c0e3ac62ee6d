"""`sounding --help` must not load the numeric stack: every command would pay for it."""

from __future__ import annotations

import re
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
    panel = out[out.index("Commands"):]
    # a command's row in the panel starts with its name right after the border
    listed = set(re.findall(r"^\W+ ([a-z][a-z-]*) {2,}\S", panel, flags=re.MULTILINE))
    assert listed == {"progression", "simulate", "import", "export", "mastery", "plan", "groups",
                      "readiness", "interventions", "growth", "evaluate", "report", "run",
                      "demo", "users", "db", "diagnostic", "items", "serve"}
