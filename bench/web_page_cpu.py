"""CPU and wall time per class and student page, one request at a time, in process.

    PYTHONPATH=src python bench/web_page_cpu.py --db URL [--user bench-t0]

Signs in as a bench teacher (``bench/bench_web.py`` creates them, password ``bench``) and
opens their first class page 10 times and 20 of their students' pages, clearing the app's
per-principal result cache before each request, so each page reads its stored views,
redacts them and renders (the path every first visit takes). CPU time is the process's
(``time.process_time``), which a busy machine does not inflate; wall time is what one user
alone would wait.

``cold_*``: the first class page and the first student page of each of ``--cold`` other
teachers (bench-t1, bench-t2, ...), each in a new app warmed as ``sounding serve`` warms a
worker before it accepts requests: what a teacher's first visit to a worker costs (their
scope, their principal's caches), beyond what the start-up made.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time


def main() -> None:
    from fastapi.testclient import TestClient

    from sounding.access.accounts import principal_for
    from sounding.access.scope import resolve
    from sounding.web import create_app
    from sounding.web.app import _warm

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--user", default="bench-t0")
    ap.add_argument("--cold", type=int, default=5,
                    help="teachers whose first pages are measured in a fresh app each")
    a = ap.parse_args()
    app = create_app(a.db, secret="bench")
    c = TestClient(app, base_url="http://127.0.0.1")
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/sign-in").text).group(1)
    c.post("/sign-in", data={"username": a.user, "password": "bench", "csrf": token})
    store = app.state.store
    reach = resolve(store, principal_for(store, a.user))
    classes = sorted(reach.classes)
    students = sorted(random.Random(0).sample(sorted(reach.students),
                                              min(20, len(reach.students))))
    c.get(f"/classes/{classes[0]}")  # warm: roster, progression, versions
    c.get(f"/students/{students[0]}")
    out = {}
    for kind, urls in (("class", [f"/classes/{classes[i % len(classes)]}" for i in range(10)]),
                       ("student", [f"/students/{s}" for s in students])):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for u in urls:
            data = app.state.cache._data
            for k in [k for k in data if k.startswith("result|")]:
                data.pop(k, None)
            r = c.get(u)
            assert r.status_code == 200, (u, r.status_code)
        out[kind] = {"n": len(urls),
                     "cpu_ms_per_page": round((time.process_time() - cpu0) / len(urls) * 1e3, 1),
                     "wall_ms_per_page": round((time.perf_counter() - wall0) / len(urls) * 1e3,
                                               1),
                     "bytes": len(r.content)}
    cold: dict[str, list[tuple[float, float]]] = {"class": [], "student": []}
    for i in range(1, a.cold + 1):
        user = f"bench-t{i}"
        fresh = create_app(a.db, secret="bench")
        _warm(fresh)  # what the lifespan start-up does in each worker
        fc = TestClient(fresh, base_url="http://127.0.0.1")
        token = re.search(r'name="csrf" value="([^"]+)"', fc.get("/sign-in").text).group(1)
        fc.post("/sign-in", data={"username": user, "password": "bench", "csrf": token})
        reach = resolve(fresh.state.store, principal_for(fresh.state.store, user))
        # a student the bench opens (bench_web.py samples 20 per teacher with seed i; their
        # views are stored by --store-views visited)
        mine = sorted(reach.students)
        student = sorted(random.Random(i).sample(mine, min(20, len(mine))))[0]
        for kind, url in (("class", f"/classes/{sorted(reach.classes)[0]}"),
                          ("student", f"/students/{student}")):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            r = fc.get(url)
            assert r.status_code == 200, (url, r.status_code)
            cold[kind].append((time.process_time() - cpu0, time.perf_counter() - wall0))
        fresh.state.access_log.close()
        fresh.state.store.close()
    for kind, xs in cold.items():
        if xs:
            out[f"cold_{kind}"] = {
                "n": len(xs), "cpu_ms_per_page": round(sum(c for c, _ in xs) / len(xs) * 1e3, 1),
                "wall_ms_per_page": round(sum(w for _, w in xs) / len(xs) * 1e3, 1),
                "max_wall_ms": round(max(w for _, w in xs) * 1e3, 1)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
