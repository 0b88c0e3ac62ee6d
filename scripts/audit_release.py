"""Play the intruder: take every public accountability table of a store and try to undo it.

    .venv/bin/python scripts/audit_release.py --db demo/sounding.db            # today's release
    .venv/bin/python scripts/audit_release.py --db demo/sounding.db --legacy   # the earlier one

Builds the school, district and provider tables exactly as `sounding growth report` releases
them (all levels, all subgroups, totals), then runs the LP audit of
:mod:`sounding.growth.adversary` over all of them together: every hidden count, share and
mean bounded by linear programmes from the published cells and every sum between them, and
every group checked for "all met" / "none met" / "every member zero". Prints what it
recovered (nothing, for a safe release) and exits 1 when it recovered anything.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="demo/sounding.db", help="the store (SQLite file or URL)")
    ap.add_argument("--min-n", type=int, default=10, help="smallest group published")
    ap.add_argument("--providers", type=Path, default=None,
                    help="provider_id,school_id CSV (default: the stored mapping)")
    ap.add_argument("--legacy", action="store_true",
                    help="audit the earlier release (exact shares, weaker count audit)")
    ap.add_argument("--format", choices=("text", "json"), default="text")
    args = ap.parse_args(argv)

    from sounding.cli.growth import report_data
    from sounding.growth.adversary import audit_release
    from sounding.store import Store

    t0 = time.perf_counter()
    with Store.open(args.db) as store:
        data = report_data(store, level="school", providers=args.providers, min_n=args.min_n,
                           public=True, legacy=args.legacy)
    built = time.perf_counter() - t0
    result = audit_release(data["tables"], min_n=args.min_n, providers=data["provider_map"])
    doc = {"db": args.db, "release": "legacy" if args.legacy else "current",
           "tables": {k: len(v) for k, v in data["tables"].items()},
           "seconds_build": round(built, 1),
           "seconds_audit": round(time.perf_counter() - t0 - built, 1), **result.summary(),
           "recovered": len(result.recovered), "individual": len(result.individual)}
    if args.format == "json":
        print(json.dumps(doc))
    else:
        print(f"{doc['release']} release of {args.db}: tables "
              + ", ".join(f"{k} {n} rows" for k, n in doc["tables"].items())
              + f"; {doc['hidden_cells']} hidden cells; {doc['linear_programs']} linear "
              f"programmes in {doc['seconds_audit']} s")
        print(f"recovered hidden cells: {doc['recovered']}; groups whose every member's "
              f"result is known: {doc['individual']}")
        for f in result.findings[:20]:
            print(f"  {f}")
    return 1 if result.findings else 0


if __name__ == "__main__":
    sys.exit(main())
