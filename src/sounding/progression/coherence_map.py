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
from sounding.progression.text import clean_text, clean_title

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


_EXAMPLE_OPENINGS = ("for example", "example", "e.g.", "include", "i.e.")


def _key(text: str) -> str:
    """Letters and digits only, lower case: to tell whether two renderings say the same."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _tail_after(body: str, key: str) -> str:
    """What ``body`` says after the part whose letters and digits are ``key`` ("" if it does
    not start with it)."""
    if not key or not _key(body).startswith(key):
        return ""
    n = 0
    for i, ch in enumerate(body):
        if ch.lower() in "0123456789abcdefghijklmnopqrstuvwxyz":
            n += 1
            if n == len(key):
                tail = body[i + 1:].lstrip(" .,;:)]").strip()
                return tail if _key(tail) else ""
    return ""


def standard_text(cm_text: str, asn: dict[str, str] | None) -> tuple[str, tuple[str, ...]]:
    """The text of a standard as people read it, and its footnotes.

    The Coherence Map's text has CCSS footnotes run into the sentence and lost exponents
    ("x 2 = 49"); the ASN record of the same standard has the official sentence (with
    ``<sup>``) and, in its comment, either a footnote or the examples the CCSS print as part
    of the standard. The footnotes are the ones the Coherence Map marks with ``*``; an ASN
    comment that is not one of them belongs to the standard's text.
    """
    body, notes = clean_text(cm_text)
    if not asn or not asn.get("description"):
        return body, notes
    text, _ = clean_text(asn["description"])
    tail = _tail_after(body, _key(text))
    if tail:  # the CCSS examples the ASN record leaves out ("Examples: If 8 + 3 = 11 ...")
        text = f"{text} {tail}"
    comment, _ = clean_text(asn.get("comment", ""))
    ckey = _key(comment)[:30]
    is_note = any(_key(n).startswith(ckey) or ckey.startswith(_key(n)[:30]) for n in notes)
    if comment and not is_note and ckey not in _key(text):
        if comment.lower().startswith(_EXAMPLE_OPENINGS):
            text = f"{text} {comment}"  # the examples the CCSS print with the standard
        else:
            notes = (*notes, comment)  # e.g. the note on modeling standards (★)
    return text, notes


def _asn_ancestor(row: dict[str, str], label: str,
                  by_id: dict[str, dict[str, str]]) -> dict[str, str]:
    seen: set[str] = set()
    cur = by_id.get(row.get("parent_asn_id", ""))
    while cur is not None and cur["asn_id"] not in seen:
        if cur["statement_label"] == label:
            return cur
        seen.add(cur["asn_id"])
        cur = by_id.get(cur.get("parent_asn_id", ""))
    return {}


def load_coherence_map(algebra1_domains: tuple[str, ...] = ALGEBRA1_DOMAINS) -> StandardsGraph:
    """Build the graph from the shipped CSVs (480 nodes, 757 prerequisite edges)."""
    rows = _read("coherence_map_standards.csv")
    codes = {r["code"] for r in rows}
    asn = asn_index()
    asn_by_id = {r["asn_id"]: r for r in _read("ccss_math_asn_flat.csv")}
    standards = []
    for r in rows:
        m = _SUB_RE.match(r["code"])
        parent = m.group(1) if m and m.group(1) in codes else None
        grade = r["grade"]
        a = asn.get(r["ccss_id"], {})
        text, footnotes = standard_text(r["text"], a)
        cluster = _asn_ancestor(a, "Cluster", asn_by_id)
        domain = _asn_ancestor(a, "Domain", asn_by_id)
        standards.append(
            Standard(
                code=r["code"],
                grade=grade,
                domain_code=r["domain_code"],
                domain_name=clean_title(domain.get("description") or r["domain_name"]),
                cluster_code=r["cluster_code"],
                cluster_name=clean_title(cluster.get("description") or r["cluster_name"]),
                emphasis=r["cluster_emphasis"] or None,
                text=text,
                footnotes=footnotes,
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
