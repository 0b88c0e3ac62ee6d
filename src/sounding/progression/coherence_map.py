"""Load the shipped Achieve the Core Coherence Map as a :class:`StandardsGraph`.

The CSVs in ``sounding/data/progression`` are the Coherence Map (CC0) with the ASN identifiers
of the official CCSS-M text; see PROVENANCE.md beside them.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from sounding.progression.graph import ALGEBRA1_DOMAINS, Standard, StandardsGraph

_SUB_RE = re.compile(r"^(.*\.\d+)([a-z])$")


def data_dir() -> Path:
    return Path(str(resources.files("sounding") / "data" / "progression"))


def _read(name: str) -> list[dict[str, str]]:
    with open(data_dir() / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def asn_index() -> dict[str, dict[str, str]]:
    """ASN rows keyed by statement notation (``CCSS.Math.Content.4.NF.B.3``)."""
    return {
        r["statement_notation"]: r
        for r in _read("ccss_math_asn_flat.csv")
        if r["statement_notation"]
    }


def load_coherence_map(algebra1_domains: tuple[str, ...] = ALGEBRA1_DOMAINS) -> StandardsGraph:
    """Build the graph from the shipped CSVs (480 nodes, 757 prerequisite edges)."""
    rows = _read("coherence_map_standards.csv")
    codes = {r["code"] for r in rows}
    asn = asn_index()
    standards = []
    for r in rows:
        m = _SUB_RE.match(r["code"])
        parent = m.group(1) if m and m.group(1) in codes else None
        grade = r["grade"]
        a = asn.get(r["ccss_id"], {})
        standards.append(
            Standard(
                code=r["code"],
                grade=grade,
                domain_code=r["domain_code"],
                domain_name=r["domain_name"],
                cluster_code=r["cluster_code"],
                cluster_name=r["cluster_name"].rstrip("."),
                emphasis=r["cluster_emphasis"] or None,
                text=r["text"],
                parent=parent,
                ccss_id=r["ccss_id"],
                is_algebra1=grade == "HS" and r["domain_code"] in algebra1_domains,
                extra={
                    "asn_id": a.get("asn_id", ""),
                    "corestandards_uri": a.get("corestandards_uri", ""),
                    "short_code": a.get("alt_statement_notation", ""),
                },
            )
        )
    edges = [(e["from_code"], e["to_code"]) for e in _read("coherence_map_prereq_edges.csv")]
    return StandardsGraph(
        standards,
        edges,
        name="Achieve the Core Coherence Map (CCSS-M)",
        source="coherence_map_prereq_edges.csv",
    )


@lru_cache(maxsize=1)
def load_default() -> StandardsGraph:
    """The shipped progression (cached: it is immutable and every layer asks for it)."""
    return load_coherence_map()
