"""CASE 1.1 (and 1.0) JSON (1EdTech Competencies and Academic Standards Exchange): export,
import.

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sounding.errors import InvalidFramework, Problem
from sounding.progression.graph import HS, Standard, StandardsGraph, grade_number
from sounding.progression.text import clean_text, clean_title

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
        notes: tuple[str, ...] = (),
    ) -> dict:
        it = {
            "identifier": identifier,
            "uri": f"{base_uri}/CFItems/{identifier}",
            "humanCodingScheme": code,
            "fullStatement": statement or code,
            "CFItemType": kind,
            "educationLevel": levels,
            "language": "en",
            "lastChangeDateTime": now,
        }
        if notes:  # CCSS footnotes: CASE's notes field, one per line
            it["notes"] = "\n".join(notes)
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
            s.footnotes,
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
            "caseVersion": "1.1",
            "subject": ["Mathematics"],
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
    """Load a CASE 1.1 (or 1.0) CFPackage file as a progression; errors name the file and
    item."""
    path = Path(path)
    return from_case(read_case_json(path), source=path.name)


def read_case_json(path: str | Path) -> Any:
    """The parsed JSON of a CASE file, or InvalidFramework naming the file (and line)."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InvalidFramework([Problem(str(path), None, None, "file not found")]) from None
    except IsADirectoryError:
        raise InvalidFramework([Problem(str(path), None, None,
                                        "is a folder; give a CASE JSON file")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise InvalidFramework([Problem(path.name, line, None, f"not valid JSON: {exc}")]) from None


@dataclass
class CaseImport:
    """A framework read from CASE: the graph, and what was left out of it and why."""

    graph: StandardsGraph
    notes: list[str] = field(default_factory=list)
    skipped_items: int = 0
    skipped_associations: int = 0


def from_case(data: Any, *, source: str = "<case>") -> StandardsGraph:
    """Build a graph from a CFPackage dict (what :func:`case_import` keeps)."""
    return case_import(data, source=source).graph


def _ident(node: Any) -> str | None:
    """The identifier a CASE link (originNodeURI, ...) points at; CASE 1.0 exports sometimes
    give only the URI, whose last path segment is the identifier."""
    if isinstance(node, str):
        node = {"uri": node}
    if not isinstance(node, dict):
        return None
    ident = node.get("identifier")
    if not ident and node.get("uri"):
        ident = str(node["uri"]).rstrip("/").rsplit("/", 1)[-1]
    return str(ident) if ident else None


def _shown(items: list[str], n: int = 5) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def case_import(data: Any, *, source: str = "<case>") -> CaseImport:
    """Read a CASE 1.1 or 1.0 CFPackage dict, keeping every usable standard.

    Nodes are the items typed Standard or Component (or, when a framework does not type its
    items, the leaves of the ``isChildOf`` tree and their parents that carry a code). Grade
    comes from ``educationLevel`` (the item's, else its nearest ancestor's); domain and
    cluster from the ancestors typed Domain and Cluster.

    Real frameworks are imperfect, so what cannot be used is skipped with a note rather than
    refusing the whole framework: an uncoded placeholder item (no ``humanCodingScheme``), an
    item with no grade, a ``precedes`` association that points outside this package (at
    another framework) or at an item that is not a standard. Refused (InvalidFramework) is
    only what makes the framework unusable: not a CFPackage, no usable standard at all,
    duplicate codes, or prerequisites that form a cycle. A ``precedes`` from a later grade to
    an earlier one is skipped with a note (the graph's edges never go back a grade).
    """
    problems: list[Problem] = []
    notes: list[str] = []
    if not isinstance(data, dict):
        raise InvalidFramework([Problem(source, None, None, "expected a CFPackage JSON object")])
    if isinstance(data.get("CFPackage"), dict):  # some CASE 1.0 servers wrap the package
        data = data["CFPackage"]
    for key in ("CFDocument", "CFItems"):
        if key not in data:
            problems.append(Problem(source, None, key, "missing"))
    for key in ("CFItems", "CFAssociations"):
        if key in data and not isinstance(data[key], list):
            problems.append(Problem(source, None, key, "must be a list"))
    if problems:
        raise InvalidFramework(problems)
    doc = data["CFDocument"] if isinstance(data["CFDocument"], dict) else {}
    version = str(doc.get("caseVersion") or "")
    if version and version not in ("1.0", "1.1"):
        notes.append(f"CFDocument.caseVersion is {version!r}; read as CASE 1.1")
    items: dict[str, dict] = {}
    no_id = 0
    for it in data["CFItems"]:
        if not isinstance(it, dict) or not it.get("identifier"):
            no_id += 1
            continue
        items[str(it["identifier"])] = it
    if no_id:
        notes.append(f"skipped {no_id} CFItem(s) without an identifier")
    parent_of: dict[str, str] = {}
    children: dict[str, list[str]] = defaultdict(list)
    precedes: list[tuple[str, str, int]] = []
    bad_assoc = 0
    for i, a in enumerate(data.get("CFAssociations") or []):
        kind = a.get("associationType") if isinstance(a, dict) else None
        origin = _ident(a.get("originNodeURI")) if isinstance(a, dict) else None
        dest = _ident(a.get("destinationNodeURI")) if isinstance(a, dict) else None
        if not kind or not origin or not dest:
            bad_assoc += 1
            continue
        if kind == "isChildOf":
            parent_of.setdefault(origin, dest)
            children[dest].append(origin)
        elif kind == "precedes":
            precedes.append((origin, dest, i))
    if bad_assoc:
        notes.append(f"skipped {bad_assoc} CFAssociation(s) without associationType, "
                     "originNodeURI or destinationNodeURI")

    def typ(it: dict) -> str:
        return str(it.get("CFItemType") or "").strip().lower()

    typed = any(typ(it) in _STANDARD_TYPES for it in items.values())
    if typed:
        node_ids = [k for k, it in items.items() if typ(it) in _STANDARD_TYPES]
    else:
        leaves = [k for k in items if not children.get(k)]
        node_ids = sorted(set(leaves) | {parent_of[k] for k in leaves if parent_of.get(k) in items})

    def ancestors(k: str) -> Iterator[dict]:
        seen = set()
        while k in parent_of and k not in seen:
            seen.add(k)
            k = parent_of[k]
            if k in items:
                yield items[k]

    def ancestor(k: str, kind: str) -> dict | None:
        return next((a for a in ancestors(k) if typ(a) == kind), None)

    standards: list[Standard] = []
    code_of: dict[str, str] = {}
    uncoded: list[str] = []
    no_grade: list[str] = []
    for k in node_ids:
        it = items[k]
        code = str(it.get("humanCodingScheme") or "").strip()
        if not code:
            text, _ = clean_text(str(it.get("fullStatement") or ""))
            uncoded.append(f"{k} ({text[:40]!r})" if text else k)
            continue
        ext = it.get("extensions") if isinstance(it.get("extensions"), dict) else {}
        ext = ext.get(_EXT, {}) if isinstance(ext.get(_EXT), dict) else {}
        grade = ext.get("grade")
        if grade is None:
            grade = _grade_of(it, ancestors(k))
            if grade is None:
                no_grade.append(code)
                continue
        dom = ancestor(k, "domain")
        clu = ancestor(k, "cluster")
        dcode = ext.get("domain_code") or (
            str(dom.get("humanCodingScheme", "")).split(".")[-1] if dom else code.split(".")[0]
        )
        ccode = ext.get("cluster_code") or (
            str(clu.get("humanCodingScheme", "")).split(".")[-1] if clu else ""
        )
        text, footnotes = clean_text(str(it.get("fullStatement", "")))
        item_notes = tuple(n for n in (clean_text(line)[0] for line in
                                       str(it.get("notes") or "").splitlines()) if n)
        parent_id = parent_of.get(k)
        code_of[k] = code
        standards.append(
            Standard(
                code=code,
                grade=str(grade),
                domain_code=dcode,
                domain_name=clean_title(str(dom.get("fullStatement", ""))) if dom else "",
                cluster_code=ccode,
                cluster_name=clean_title(str(clu.get("fullStatement", ""))) if clu else "",
                emphasis=ext.get("emphasis")
                or (((clu or {}).get("extensions") or {}).get(_EXT, {}).get("emphasis")),
                text=text,
                footnotes=tuple(dict.fromkeys((*footnotes, *item_notes))),
                parent=parent_id,  # an item id, resolved to a code below
                ccss_id=ext.get("ccss_id"),
                is_algebra1=bool(ext.get("is_algebra1", False)),
            )
        )
    if uncoded:
        notes.append(f"skipped {len(uncoded)} item(s) without a humanCodingScheme (uncoded "
                     f"placeholders): {_shown(uncoded)}")
    if no_grade:
        notes.append(f"skipped {len(no_grade)} standard(s) with no educationLevel on them or "
                     f"their parents: {_shown(no_grade)}")
    if not standards:
        raise InvalidFramework([Problem(source, None, "CFItems",
                                        "no usable standard: no item typed Standard or "
                                        "Component (or a leaf) with a humanCodingScheme and a "
                                        "grade")])
    fixed = [replace(s, parent=code_of.get(s.parent) if s.parent else None) for s in standards]
    edges = []
    outside: list[str] = []
    not_standards: list[str] = []
    backwards: list[str] = []
    grade_of = {s.code: s.grade_num for s in fixed}
    for origin, dest, _i in precedes:
        if origin in code_of and dest in code_of:
            a, b = code_of[origin], code_of[dest]
            if grade_of[a] > grade_of[b]:
                backwards.append(f"{a} -> {b}")
            else:
                edges.append((a, b))
            continue
        label = " -> ".join(code_of.get(x) or items.get(x, {}).get("humanCodingScheme") or x
                            for x in (origin, dest))
        if origin not in items or dest not in items:
            outside.append(label)
        else:
            not_standards.append(label)
    if outside:
        notes.append(f"skipped {len(outside)} precedes association(s) pointing at items "
                     f"outside this framework (another framework's): {_shown(outside)}")
    if not_standards:
        notes.append(f"skipped {len(not_standards)} precedes association(s) between items "
                     f"that are not usable standards: {_shown(not_standards)}")
    if backwards:
        notes.append(f"skipped {len(backwards)} precedes association(s) from a later grade to "
                     f"an earlier one (a prerequisite comes first): {_shown(backwards)}")
    title = str(doc.get("title") or source)
    graph = StandardsGraph(fixed, edges, name=title, source=source)
    return CaseImport(graph, notes, skipped_items=len(uncoded) + len(no_grade) + no_id,
                      skipped_associations=len(outside) + len(not_standards) + bad_assoc
                      + len(backwards))


def _grade_of(item: dict, ancestors: Iterable[dict]) -> str | None:
    """The grade label of an item from its own educationLevel, else its nearest ancestor's.

    Levels are read liberally: a list or a comma-separated string, ``KG``/``K``/``01``/``1``;
    levels that are not grades K-12 (``PK``, ``UG``) are ignored.
    """
    for it in (item, *ancestors):
        levels = it.get("educationLevel") or []
        if isinstance(levels, str):
            levels = levels.split(",")
        nums = []
        for x in levels:
            try:
                nums.append(grade_number(str(x)))
            except ValueError:
                continue
        if nums:
            n = min(nums)
            return "K" if n == 0 else ("HS" if n >= HS else str(n))
    return None
