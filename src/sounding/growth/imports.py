"""`sounding import providers`: which personalized-learning provider serves which school.

A library function (the CLI and the demo pipeline call it): the file is checked in full first
(missing column, empty value, repeated pair, school not in the roster: each named by file,
line and field), then replaces the stored mapping in one transaction, so a rejected file
changes nothing and importing the same file again changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sounding.errors import InvalidInput
from sounding.growth.aggregates import read_provider_assignments


def known_schools(store: Any) -> list[str]:
    """School ids of the store's roster."""
    orgs = store.orgs()
    if "type" in orgs.columns:
        orgs = orgs[orgs["type"] == "school"]
    return orgs["org_id"].astype(str).tolist()


def import_providers(store: Any, path: str | Path) -> dict[str, Any]:
    """Replace the stored provider -> school mapping with the file's; return what changed."""
    schools = known_schools(store)
    if not schools:
        raise InvalidInput("the database holds no schools: import the roster first "
                           "(sounding import roster DIR)")
    df = read_provider_assignments(path, known_schools=schools)
    before = store.table("provider_assignments")
    old = set(zip(before["provider_id"].astype(str), before["school_id"].astype(str),
                  strict=True))
    new = set(zip(df["provider_id"], df["school_id"], strict=True))
    store.replace_rows("provider_assignments", df)
    store.log_import("providers", path, len(df))
    return {"kind": "providers", "source": str(path), "rows": len(df),
            "providers": int(df["provider_id"].nunique()),
            "schools": int(df["school_id"].nunique()),
            "added": len(new - old), "removed": len(old - new),
            "in_store": len(store.table("provider_assignments"))}
