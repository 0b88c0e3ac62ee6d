"""CASE 1.1 JSON (1EdTech Competencies and Academic Standards Exchange): export and import.

A CFPackage holds a CFDocument, CFItems and CFAssociations. We write the hierarchy as
``isChildOf`` associations (component -> standard -> cluster -> domain -> document) and each
prerequisite edge as ``precedes`` (origin = the earlier standard). Fields CASE has no slot for
(cluster emphasis, Algebra I membership) travel in each item's ``extensions`` object so an
export followed by an import gives back the same graph; frameworks from other publishers load
without them.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sounding.errors import InvalidFramework, Problem
from sounding.progression.graph import HS, Standard, StandardsGraph, grade_number

_NS = uuid.UUID("6f1b3a52-2c1e-4f43-9d0e-5e0a3c1d7b11")
_STANDARD_TYPES = {"standard", "component", "substandard", "sub-standard", "benchmark"}
_EXT = "sounding"


def _id(kind: str, key: str) -> str:
    return str(uuid.uuid5(_NS, f"{kind}:{key}"))


def _levels(grade: str) -> list[str]:
    n = grade_number(grade)
    if n == 0:
        return ["KG"]
    if n == HS:
        return ["09", "10", "11", "12"]
    return [f"{n:02d}"]


def to_case(graph: StandardsGraph, *, base_uri: str = "urn:sounding:case") -> dict[str, Any]:
    """The graph as a CASE 1.1 CFPackage (a JSON-ready dict)."""
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    doc_id = _id("doc", graph.name)
    doc_ref = {"title": graph.name, "identifier": doc_id, "uri": f"{base_uri}/CFDocuments/{doc_id}"}

    def ref(identifier: str, title: str) -> dict[str, str]:
        return {"title": title, "identifier": identifier, "uri": f"{base_uri}/CFItems/{identifier}"}

    items: list[dict[str, Any]] = []
    assocs: list[dict[str, Any]] = []

    def assoc(kind: str, origin: dict, dest: dict, seq: int | None = None) -> None:
        a = {
            "identifier": _id("assoc", f"{kind}:{origin['identifier']}:{dest['identifier']}"),
            "associationType": kind,
            "CFDocumentURI": doc_ref,
            "originNodeURI": origin,
            "destinationNodeURI": dest,
            "lastChangeDateTime": now,
        }
        a["uri"] = f"{base_uri}/CFAssociations/{a['identifier']}"
        if seq is not None:
            a["sequenceNumber"] = seq
        assocs.append(a)

    def item(
        identifier: str,
        code: str,
        statement: str,
        kind: str,
        levels: list[str],
        ext: dict | None = None,
    ) -> dict:
        it = {
            "identifier": identifier,
            "uri": f"{base_uri}/CFItems/{identifier}",
            "CFDocumentURI": doc_ref,
            "humanCodingScheme": code,
            "fullStatement": statement or code,
            "CFItemType": kind,
            "educationLevel": levels,
            "language": "en",
            "lastChangeDateTime": now,
        }
        if ext:
            it["extensions"] = {_EXT: ext}
        items.append(it)
        return ref(identifier, code)

    domains: dict[tuple[str, str], dict] = {}
    clusters: dict[tuple[str, str, str], dict] = {}
    node_refs: dict[str, dict] = {}
    seq = 0
    for s in graph:  # topological order keeps parents before sub-standards
        dkey = (s.grade, s.domain_code)
        if dkey not in domains:
            dcode = f"{s.grade}.{s.domain_code}" if s.grade_num < HS else s.domain_code
            domains[dkey] = item(
                _id("domain", "|".join(dkey)),
                dcode,
                s.domain_name,
                "Domain",
                _levels(s.grade),
                {"grade": s.grade},
            )
            assoc("isChildOf", domains[dkey], doc_ref)
        ckey = (s.grade, s.domain_code, s.cluster_code)
        if ckey not in clusters and s.cluster_code:
            dcode = domains[dkey]["title"]
            clusters[ckey] = item(
                _id("cluster", "|".join(ckey)),
                f"{dcode}.{s.cluster_code}",
                s.cluster_name,
                "Cluster",
                _levels(s.grade),
                {"emphasis": s.emphasis} if s.emphasis else None,
            )
            assoc("isChildOf", clusters[ckey], domains[dkey])
        ext = {
            "grade": s.grade,
            "domain_code": s.domain_code,
            "cluster_code": s.cluster_code,
            "emphasis": s.emphasis,
            "is_algebra1": s.is_algebra1,
        }
        if s.ccss_id:
            ext["ccss_id"] = s.ccss_id
        node_refs[s.code] = item(
            _id("std", s.code),
            s.code,
            s.text,
            "Component" if s.parent else "Standard",
            _levels(s.grade),
            ext,
        )
    for s in graph:  # second pass: a parent standard may come after its components
        ckey = (s.grade, s.domain_code, s.cluster_code)
        parent_ref = (
            node_refs[s.parent]
            if s.parent
            else clusters.get(ckey, domains[(s.grade, s.domain_code)])
        )
        seq += 1
        assoc("isChildOf", node_refs[s.code], parent_ref, seq)
    for a, b in graph.edges("substandard"):
        assoc("precedes", node_refs[a], node_refs[b])
    return {
        "CFDocument": {
            "identifier": doc_id,
            "uri": doc_ref["uri"],
            "creator": "Sounding",
            "title": graph.name,
            "lastChangeDateTime": now,
            "language": "en",
            "adoptionStatus": "Adopted",
            "notes": f"Exported by Sounding from {graph.source}.",
        },
        "CFItems": items,
        "CFAssociations": assocs,
    }


def write_case(graph: StandardsGraph, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(to_case(graph), indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def read_case(path: str | Path) -> StandardsGraph:
    """Load a CASE 1.1 CFPackage file as a progression; errors name the file and item."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidFramework([Problem(str(path), None, None, "file not found")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise InvalidFramework([Problem(path.name, line, None, f"not valid JSON: {exc}")]) from None
    return from_case(data, source=path.name)


def from_case(data: Any, *, source: str = "<case>") -> StandardsGraph:
    """Build a graph from a CFPackage dict.

    Nodes are the items typed Standard or Component (or, when a framework does not type its
    items, the leaves of the ``isChildOf`` tree and their parents that carry a code). Grade comes
    from ``educationLevel``; domain and cluster from the ancestors typed Domain and Cluster.
    """
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InvalidFramework([Problem(source, None, None, "expected a CFPackage JSON object")])
    for key in ("CFDocument", "CFItems", "CFAssociations"):
        if key not in data:
            problems.append(Problem(source, None, key, "missing"))
    if problems:
        raise InvalidFramework(problems)
    items: dict[str, dict] = {}
    for i, it in enumerate(data["CFItems"]):
        if not isinstance(it, dict) or not it.get("identifier"):
            problems.append(Problem(source, None, f"CFItems[{i}]", "item without identifier"))
            continue
        items[it["identifier"]] = it
    parent_of: dict[str, str] = {}
    children: dict[str, list[str]] = defaultdict(list)
    precedes: list[tuple[str, str, int]] = []
    for i, a in enumerate(data["CFAssociations"]):
        try:
            kind = a["associationType"]
            origin = a["originNodeURI"]["identifier"]
            dest = a["destinationNodeURI"]["identifier"]
        except (KeyError, TypeError):
            problems.append(
                Problem(
                    source,
                    None,
                    f"CFAssociations[{i}]",
                    "association without associationType/originNodeURI/destinationNodeURI",
                )
            )
            continue
        if kind == "isChildOf":
            parent_of[origin] = dest
            children[dest].append(origin)
        elif kind == "precedes":
            precedes.append((origin, dest, i))
    if problems:
        raise InvalidFramework(problems)

    def typ(it: dict) -> str:
        return str(it.get("CFItemType") or "").strip().lower()

    typed = any(typ(it) in _STANDARD_TYPES for it in items.values())
    if typed:
        node_ids = [k for k, it in items.items() if typ(it) in _STANDARD_TYPES]
    else:
        leaves = [k for k in items if not children.get(k)]
        node_ids = sorted(set(leaves) | {parent_of[k] for k in leaves if parent_of.get(k) in items})
    node_set = set(node_ids)

    def ancestor(k: str, kind: str) -> dict | None:
        seen = set()
        while k in parent_of and k not in seen:
            seen.add(k)
            k = parent_of[k]
            if k in items and typ(items[k]) == kind:
                return items[k]
        return None

    standards: list[Standard] = []
    code_of: dict[str, str] = {}
    for k in node_ids:
        it = items[k]
        code = str(it.get("humanCodingScheme") or "").strip()
        if not code:
            problems.append(Problem(source, None, f"CFItems[{k}]", "item has no humanCodingScheme"))
            continue
        ext = (
            (it.get("extensions") or {}).get(_EXT, {})
            if isinstance(it.get("extensions"), dict)
            else {}
        )
        levels = it.get("educationLevel") or []
        grade = ext.get("grade")
        if grade is None:
            try:
                nums = sorted(grade_number(x) for x in levels)
            except ValueError as exc:
                problems.append(Problem(source, None, code, f"educationLevel: {exc}"))
                continue
            if not nums:
                problems.append(Problem(source, None, code, "no educationLevel"))
                continue
            grade = "K" if nums[0] == 0 else ("HS" if nums[0] >= HS else str(nums[0]))
        dom = ancestor(k, "domain")
        clu = ancestor(k, "cluster")
        dcode = ext.get("domain_code") or (
            str(dom.get("humanCodingScheme", "")).split(".")[-1] if dom else code.split(".")[0]
        )
        ccode = ext.get("cluster_code") or (
            str(clu.get("humanCodingScheme", "")).split(".")[-1] if clu else ""
        )
        parent_id = parent_of.get(k)
        code_of[k] = code
        standards.append(
            Standard(
                code=code,
                grade=str(grade),
                domain_code=dcode,
                domain_name=str(dom.get("fullStatement", "")) if dom else "",
                cluster_code=ccode,
                cluster_name=str(clu.get("fullStatement", "")) if clu else "",
                emphasis=ext.get("emphasis")
                or (((clu or {}).get("extensions") or {}).get(_EXT, {}).get("emphasis")),
                text=str(it.get("fullStatement", "")),
                parent=parent_id if parent_id in node_set else None,  # resolved below
                ccss_id=ext.get("ccss_id"),
                is_algebra1=bool(ext.get("is_algebra1", False)),
            )
        )
    if problems:
        raise InvalidFramework(problems)
    fixed = []
    for s in standards:
        if s.parent is not None:
            s = replace(s, parent=code_of.get(s.parent))
        fixed.append(s)
    edges = []
    for origin, dest, i in precedes:
        if origin in code_of and dest in code_of:
            edges.append((code_of[origin], code_of[dest]))
        else:
            problems.append(
                Problem(
                    source,
                    None,
                    f"CFAssociations[{i}]",
                    "precedes association between items that are not standards",
                )
            )
    if problems:
        raise InvalidFramework(problems)
    title = str(data["CFDocument"].get("title") or source)
    return StandardsGraph(fixed, edges, name=title, source=source)
