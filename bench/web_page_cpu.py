"""CPU and wall time per class and student page, one request at a time, in process.

    PYTHONPATH=src python bench/web_page_cpu.py --db URL [--user bench-t0]

Signs in as a bench teacher (``bench/bench_web.py`` creates them, password ``bench``) and
opens their first class page 10 times and 20 of their students' pages, clearing the app's
per-principal result cache before each request, so each page reads its stored views,
redacts them and renders (the path every first visit takes). CPU time is the process's
(``time.process_time``), which a busy machine does not inflate; wall time is what one user
alone would wait.
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

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--user", default="bench-t0")
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
    print(json.dumps(out))


if __name__ == "__main__":
    main()
