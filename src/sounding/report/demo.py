"""The demo's report: the operator's report of the simulated district, labelled as such."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: The subtitle of a report built on simulated data (and only there).
DEMO_SUBTITLE = "synthetic district (demo data)"


def write_demo_report(store: Any, out_dir: str | Path) -> Path:
    """The whole-district report of the demo's store, marked as synthetic."""
    from sounding.access.principal import Principal
    from sounding.report.build import render_report

    return render_report(store, Principal.local_operator(), out_dir, subtitle=DEMO_SUBTITLE)
