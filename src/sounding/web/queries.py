"""Reads that combine several services (each call checks access on its own)."""

from __future__ import annotations

from typing import Any

from sounding.errors import NotFound

LEVELS = ("school", "district", "provider")


def accountability(ctx: Any, level: str) -> dict[str, Any]:
    """The accountability rows of every ``level`` object the principal may open (school,
    district or provider), suppressed as each growth service suppresses them."""
    from sounding import services as S

    if level not in LEVELS:
        raise NotFound(f"no level {level!r}")
    listing = {"school": (S.schools, "school_id", S.school_growth),
               "district": (S.districts, "district_id", S.district_growth),
               "provider": (S.providers, "provider_id", S.provider_growth)}[level]
    lister, key, fn = listing
    rows: list[dict[str, Any]] = []
    meta: dict[str, Any] = {}
    for obj in lister(ctx):
        try:
            out = fn(ctx, obj[key])
        except NotFound:
            continue
        meta = {k: v for k, v in out.items() if k not in ("rows", "id")}
        rows.extend(out["rows"])
    return {"level": level, **meta, "rows": rows}
