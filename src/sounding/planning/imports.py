"""Planning data a district hands over, into the store: scope and sequence, intervention
logs, family-connection signals.

Library functions (the ``sounding import scope|interventions|family`` commands and the demo
pipeline call them). Each checks the whole file first, naming every problem by file, line and
field, then writes in one transaction, so a rejected file changes nothing and importing the
same file twice adds nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from sounding.errors import InvalidData, InvalidInput, NotFound, Problem
from sounding.planning.scope import read_scope_sequence
from sounding.planning.triage import check_family_signals


def district_of(store: Any, district: str | None = None) -> str:
    """``district``, else the store's only district (a store may hold several)."""
    if district:
        return district
    orgs = store.orgs()
    ids = sorted(orgs.loc[orgs["type"] == "district", "org_id"].astype(str)) if len(orgs) else []
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise InvalidInput("the store has no district yet: import the roster first, or give "
                           "--district ID")
    raise InvalidInput(f"the store holds {len(ids)} districts ({', '.join(ids[:5])}); "
                       "give --district ID")


def import_scope(store: Any, path: str | Path, district: str | None = None) -> dict[str, Any]:
    """A district's scope and sequence CSV replaces that district's previous one."""
    graph = store.progression().k8_algebra1()
    scope = read_scope_sequence(path, graph=graph)
    did = district_of(store, district)
    t = scope.table
    rows = pd.DataFrame({"district_id": did, "grade": t["grade"].astype(int),
                         "unit_id": t["unit_id"], "unit_title": t["unit_title"],
                         "standard": t["standard"], "start_date": t["start_date"],
                         "end_date": t["end_date"]})
    written = store.replace_rows("scope_sequence", rows, ["district_id"])
    store.log_import("scope", path, written)
    return {"district_id": did, "rows": written, "units": int(t["unit_id"].nunique()),
            "grades": sorted(int(g) for g in t["grade"].unique()),
            "in_store": store.counts().get("scope_sequence", written)}


def _record_id(rec: Any) -> str:
    key = "|".join([str(rec.student_id), str(rec.intervention), ",".join(rec.standards),
                    str(rec.start_date), str(rec.provider)])
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def import_interventions(store: Any, path: str | Path) -> dict[str, Any]:
    """An intervention log; a record already stored (same student, intervention, standards,
    start date and provider) is updated, not repeated. Students must be on the roster."""
    from sounding.planning.interventions import read_intervention_log

    log = read_intervention_log(path, graph=store.progression().k8_algebra1())
    known = store.student_ids()
    problems = [Problem(str(path), int(r.record_id), "student_id",
                        f"unknown student {r.student_id!r} (not on the roster)")
                for r in log.itertuples(index=False) if r.student_id not in known]
    if problems:
        raise InvalidData(problems[:50])
    rows = pd.DataFrame({
        "id": [_record_id(r) for r in log.itertuples(index=False)],
        "student_id": log["student_id"], "intervention": log["intervention"],
        "standards": log["standards"].map(",".join),
        "start_date": log["start_date"], "end_date": log["end_date"],
        "minutes": log["minutes"].astype(object).where(log["minutes"].notna(), None),
        "provider": log["provider"],
    })
    n_read = len(rows)
    rows = rows.drop_duplicates("id", keep="last")
    written = store.replace_rows("interventions", rows, ["id"])
    store.log_import("interventions", path, n_read)
    return {"records": n_read, "written": written, "repeated_in_file": n_read - len(rows),
            "students": int(rows["student_id"].nunique()),
            "in_store": store.counts().get("interventions", written)}


def import_family_signals(store: Any, path: str | Path) -> dict[str, Any]:
    """Family-connection signals (contacts, conferences...; value >= 0.5 = the family was
    reached); a row with the same student, signal, date and source is replaced."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"family signals file not found: {path}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidData([Problem(str(path), None, None, f"not a readable CSV: {exc}")]) from None
    clean = check_family_signals(raw, source=str(path), known_students=store.student_ids())
    keys = ["student_id", "signal", "date", "source"]
    n_read = len(clean)
    clean = clean.drop_duplicates(keys, keep="last")
    written = store.replace_rows("family_signals", clean, keys)
    store.log_import("family", path, n_read)
    return {"rows": n_read, "written": written, "students": int(clean["student_id"].nunique()),
            "first_date": str(min(clean["date"])) if len(clean) else None,
            "last_date": str(max(clean["date"])) if len(clean) else None,
            "in_store": store.counts().get("family_signals", written)}
