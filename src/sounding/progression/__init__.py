"""The learning progression: CCSS-M standards and their prerequisite graph."""

from sounding.progression.case import from_case, read_case, to_case, write_case
from sounding.progression.coherence_map import load_coherence_map, load_default
from sounding.progression.graph import (
    ALGEBRA1_DOMAINS,
    GRADE_LABELS,
    HS,
    STRANDS,
    Standard,
    StandardsGraph,
    code_sort_key,
    grade_label,
    grade_number,
    strand_of,
)

__all__ = [
    "ALGEBRA1_DOMAINS",
    "GRADE_LABELS",
    "HS",
    "STRANDS",
    "Standard",
    "StandardsGraph",
    "code_sort_key",
    "from_case",
    "grade_label",
    "grade_number",
    "load_coherence_map",
    "load_default",
    "read_case",
    "strand_of",
    "to_case",
    "write_case",
]


def load_graph(framework: str | None = None) -> StandardsGraph:
    """The shipped progression, or a district's own CASE 1.1 framework file."""
    return read_case(framework) if framework else load_default()


__all__.append("load_graph")
