"""`sounding import framework`: make a district's own CASE 1.1 framework the progression.

Why a store import and not a flag on every command: the framework decides which standards
evidence may name, what mastery is estimated on and what plans point at, so it has to be the
same for every command that reads the district's data. Once imported, ``store.progression()``
returns it everywhere; ``--reset`` goes back to the shipped Coherence Map.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sounding.errors import InvalidFramework, Problem
from sounding.progression.case import from_case
from sounding.roster.records import ImportReport


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidFramework([Problem(str(path), None, None, "file not found")]) from None
    except IsADirectoryError:
        raise InvalidFramework([Problem(str(path), None, None,
                                        "is a folder; give a CASE JSON file")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise InvalidFramework([Problem(path.name, line, None,
                                        f"not valid JSON: {exc}")]) from None


def _stored_standards(store: Any) -> set[str]:
    """Standards the store's evidence and plans already refer to."""
    from sounding.store import tables as T

    with store.engine.connect() as conn:
        codes = {r[0] for r in conn.execute(sa.select(T.responses.c.standard).distinct())}
        codes |= {r[0] for r in conn.execute(sa.select(T.scope_sequence.c.standard).distinct())}
    return codes


def import_framework(store: Any, path: str | Path) -> ImportReport:
    """Check a CASE 1.1 CFPackage file and make it the store's progression.

    Refused, with nothing changed, when the file is not a usable framework (a cycle, an edge
    back a grade, items without codes) or when evidence already stored names standards the new
    framework lacks: accepting it would orphan answers a district handed over.
    """
    t0 = time.perf_counter()
    path = Path(path)
    data = _read_json(path)
    graph = from_case(data, source=path.name)
    orphans = sorted(c for c in _stored_standards(store) if c not in graph)
    if orphans:
        shown = ", ".join(orphans[:10]) + (" ..." if len(orphans) > 10 else "")
        raise InvalidFramework([Problem(
            path.name, None, "CFItems",
            f"{len(orphans)} standard(s) already used by stored responses or the scope and "
            f"sequence are not in this framework: {shown}")])
    before = store.framework()
    store.write_framework(data, file_name=path.name)
    new = int(before is None or json.dumps(before, sort_keys=True)
              != json.dumps(data, sort_keys=True))
    st = graph.stats()
    report = ImportReport(
        kind="framework", source=str(path),
        rows={"standards": st["nodes"], "edges": st["edges_substandard_level"]},
        written={"frameworks": new}, counts={"frameworks": store.counts()["frameworks"]})
    report.notes.append(f"{st['name']}: {st['nodes']} standards and sub-standards, "
                        f"{st['edges_substandard_level']} prerequisite edges; "
                        "now the progression every command uses for this database")
    k8 = graph.k8_algebra1()
    report.notes.append(f"{len(k8.standard_codes)} standards in grades K-8 and Algebra I "
                        "(what mastery is estimated on)")
    report.seconds = time.perf_counter() - t0
    return report
