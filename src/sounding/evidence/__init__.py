"""Evidence: item responses and annual scale scores, read and checked at the boundary.

Import from the submodules (``sounding.evidence.read``, ``sounding.evidence.checks``); this
package module stays free of heavy imports so ``sounding.evidence.kt_sequences`` and others
load fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_responses", "check_scores", "import_responses", "import_scores",
           "read_responses", "read_scores"]


def __getattr__(name: str) -> Any:
    """Lazy re-exports: ``from sounding.evidence import import_responses`` works without
    loading pandas/pyarrow for users of other submodules."""
    if name in ("import_responses", "import_scores", "read_responses", "read_scores"):
        from sounding.evidence import read
        return getattr(read, name)
    if name in ("check_responses", "check_scores"):
        from sounding.evidence import checks
        return getattr(checks, name)
    raise AttributeError(f"module 'sounding.evidence' has no attribute {name!r}")
