"""`sounding import framework`: make a district's own CASE framework the progression.

Lives with the store, not in ``sounding.progression``: the progression package reads and
writes CASE and knows nothing of databases; writing a framework into a district's store
(and checking it against the evidence already stored) is the store's business.

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
from sounding.progression.case import case_import, read_case_json
from sounding.roster.records import ImportReport


def _stored_standards(store: Any) -> set[str]:
    """Standards the store's evidence and plans already refer to."""
    from sounding.store import tables as T

    with store.engine.connect() as conn:
        codes = {r[0] for r in conn.execute(sa.select(T.responses.c.standard).distinct())}
        codes |= {r[0] for r in conn.execute(sa.select(T.scope_sequence.c.standard).distinct())}
    return codes


def import_framework(store: Any, path: str | Path) -> ImportReport:
    """Check a CASE 1.1 (or 1.0) CFPackage file and make it the store's progression.

    Items and associations that cannot be used (an uncoded placeholder, a ``precedes``
    pointing at another framework) are skipped and listed in the report's notes. Refused,
    with nothing changed, when the file is not a usable framework (no coded standard, a
    cycle, an edge back a grade) or when evidence already stored names standards the new
    framework lacks: accepting it would orphan answers a district handed over.
    """
    t0 = time.perf_counter()
    path = Path(path)
    data = read_case_json(path)
    result = case_import(data, source=path.name)
    graph = result.graph
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
        rows={"standards": st["nodes"], "edges": st["edges_substandard_level"],
              "skipped_items": result.skipped_items,
              "skipped_associations": result.skipped_associations},
        written={"frameworks": new}, counts={"frameworks": store.counts()["frameworks"]})
    report.notes.extend(result.notes)
    report.notes.append(f"{st['name']}: {st['nodes']} standards and sub-standards, "
                        f"{st['edges_substandard_level']} prerequisite edges; "
                        "now the progression every command uses for this database")
    k8 = graph.k8_algebra1()
    report.notes.append(f"{len(k8.standard_codes)} standards in grades K-8 and Algebra I "
                        "(what mastery is estimated on)")
    report.seconds = time.perf_counter() - t0
    return report
