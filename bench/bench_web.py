"""The web application under load: p50/p95 latency per page type, beside the static report.

    python bench/bench_web.py --students 20000 --pg URL        # the issue's setting
    python bench/bench_web.py --db demo/sounding.db --report demo/report   # an existing demo
    python bench/bench_web.py --db URL --report DIR --workers 2 --think 1  # several workers

The class, student and school pages read the views stored at plan time
(``sounding.services.stored``); with ``--db`` they are built first when the store lacks them
(``--store-views``, timed). ``--think`` seconds (uniform 0.5x-1.5x) pass between a user's
requests, as a teacher reads a page; 0 is a closed loop that measures saturation.

Builds (or reuses) a simulated district with the whole pipeline, creates one account per
teacher and school leader (password ``bench``), starts ``sounding serve`` on 127.0.0.1 and a
free port, and the static report's folder behind Python's http.server on another; then
``--users`` signed-in teachers and leaders (an async httpx harness) request class, student,
school and home pages for ``--seconds`` seconds or ``--requests`` requests at most, whichever
comes first, and the static report's class pages alongside. Loopback only, bounded in count
and time. Prints (and with ``--out`` writes) a JSON of p50/p95/max per page type. The first
request of each whole-district computation (triage, roster) is a warm-up and is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

#: Students whose pages each bench teacher opens (a sample of theirs, fixed per teacher).
STUDENTS_PER_TEACHER = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(students: int, pg: str | None, out: Path) -> tuple[str, Path]:
    from sounding.pipeline import run_pipeline

    res = run_pipeline(out, n_students=students, seed=11, db=pg,
                       on_stage=lambda s: print("  " + s, file=sys.stderr))
    return res.db_url, res.report_index.parent


def accounts(db: str, n: int) -> list[tuple[str, str, list[str], list[str]]]:
    """(username, kind, ids to visit) for up to ``n`` teachers and leaders (4:1)."""
    from sounding.access.accounts import add_account
    from sounding.access.roles import Role
    from sounding.access.scope import resolve
    from sounding.store import Store

    out = []
    with Store.open(db) as store:
        en = store.enrollments()
        teachers = en[en["role"] == "teacher"].groupby("user_id")["class_id"].first()
        schools = sorted(store.orgs().query("type == 'school'")["org_id"].astype(str))
        n_lead = max(1, n // 5)
        for i, (uid, _) in enumerate(list(teachers.items())[: n - n_lead]):
            name = f"bench-t{i}"
            acc = add_account(store, name, Role.teacher, user_id=str(uid), password="bench",
                              replace=True)
            reach = resolve(store, acc.principal())
            # at most STUDENTS_PER_TEACHER of their students (fixed seed): the pages opened
            students = sorted(reach.students)
            students = sorted(random.Random(i).sample(students, min(len(students),
                                                                   STUDENTS_PER_TEACHER)))
            out.append((name, "teacher", sorted(reach.classes), students))
        for j in range(n_lead):
            school = schools[j % len(schools)]
            name = f"bench-l{j}"
            add_account(store, name, Role.school_leader, scopes=[school], password="bench",
                        replace=True)
            out.append((name, "leader", [school], []))
    return out


def store_views(db: str, mode: str, who: list) -> dict | None:
    """Build the stored views (as ``sounding plan --district`` and the demo build do) when
    asked or when the store has none, or only those the bench's accounts open
    (``visited``); returns what it did (counts and seconds)."""
    import sqlalchemy as sa

    from sounding.services.stored import persist_views
    from sounding.store import Store
    from sounding.store import tables as T

    if mode == "never":
        return None
    with Store.open(db) as store:
        with store.engine.connect() as conn:
            have = conn.execute(sa.select(sa.func.count()).select_from(T.stored_views)).scalar()
        if mode == "auto" and have:
            return {"already_stored": int(have)}
        only = None
        if mode == "visited":
            only = {"class": {c for w in who if w[1] == "teacher" for c in w[2]},
                    "student": {s for w in who for s in w[3]},
                    "school": {w[2][0] for w in who if w[1] == "leader"}}
        t = time.perf_counter()
        stats = persist_views(store, only=only,
                              on_progress=lambda m: print("  " + m, file=sys.stderr))
        stats["wall_s"] = round(time.perf_counter() - t, 1)
        print(f"stored views in {stats['wall_s']} s", file=sys.stderr)
        return stats


async def sign_in(client, base: str, user: str) -> None:
    page = await client.get(base + "/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = await client.post(base + "/sign-in", data={"username": user, "password": "bench",
                                                  "csrf": token})
    if "/sign-in" in str(r.url):
        raise SystemExit(f"sign-in failed for {user}")


async def user_loop(base: str, static: str, who, deadline: float, budget: list[int],
                    times: dict[str, list[float]], report_slugs: dict[str, str],
                    think: float = 0.0, timeout: float = 60,
                    cookies: dict | None = None,
                    started: dict[str, list[float]] | None = None) -> None:
    """One signed-in user's requests until ``deadline`` or the shared ``budget`` runs out;
    latencies (ms) go to ``times`` per page type, and each request's start time
    (perf_counter) to ``started`` in the same order."""
    import httpx

    name, kind, ids, students = who
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
        if cookies is not None and name in cookies:
            client.cookies.update(cookies[name])
        else:
            await sign_in(client, base, name)
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            if kind == "teacher":
                choice = random.choice(["class", "student", "home", "static_class"])
                if choice == "class":
                    url = f"{base}/classes/{random.choice(ids)}"
                elif choice == "student" and students:
                    url = f"{base}/students/{random.choice(students)}"
                elif choice == "static_class" and ids[0] in report_slugs:
                    have = [i for i in ids if i in report_slugs] or ids[:1]
                    url = f"{static}/{report_slugs[random.choice(have)]}"
                else:
                    choice, url = "home", f"{base}/"
            else:
                choice, url = "school", f"{base}/schools/{ids[0]}"
            t = time.perf_counter()
            try:
                r = await client.get(url)
            except httpx.TimeoutException:
                times.setdefault(f"{choice}_timeout", []).append(timeout * 1000)
                continue
            dt = (time.perf_counter() - t) * 1000
            if r.status_code == 200:
                times.setdefault(choice, []).append(dt)
                if started is not None:
                    started.setdefault(choice, []).append(t)
            else:
                times.setdefault(f"{choice}_status_{r.status_code}", []).append(dt)
            if think > 0:
                await asyncio.sleep(think * random.uniform(0.5, 1.5))


def server_rss_mb(pid: int) -> dict[str, float]:
    """Resident memory (MB) of the server process and its worker processes (Linux /proc),
    read at the end of the run: the parsed views each worker keeps show up here."""
    out: dict[str, float] = {}
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                out[str(p)] = round(int(line.split()[1]) / 1024, 1)
        todo.extend(int(k) for k in kids)
    return out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=20000)
    ap.add_argument("--pg", default=os.environ.get("SOUNDING_BENCH_PG_URL"))
    ap.add_argument("--db", help="an existing store (skip building)")
    ap.add_argument("--report", help="the static report folder of --db")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--work", default="bench/out/web")
    ap.add_argument("--out")
    ap.add_argument("--workers", type=int, default=1, help="sounding serve --workers")
    ap.add_argument("--think", type=float, default=0.0,
                    help="mean seconds between a user's requests (0: closed loop)")
    ap.add_argument("--store-views", choices=["auto", "always", "never", "visited"],
                    default="auto",
                    help="build the stored views before serving (auto: all, when missing; "
                         "visited: only the classes, students and schools the bench opens)")
    a = ap.parse_args()
    work = Path(a.work)
    if a.db:
        db, report = a.db, Path(a.report) if a.report else None
    else:
        t = time.perf_counter()
        db, report = build(a.students, a.pg, work)
        print(f"built {a.students} students in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    who = accounts(db, a.users)
    views_s = store_views(db, a.store_views, who)
    slugs: dict[str, str] = {}
    if report is not None:
        from sounding.report.pages.mastery import class_slug

        for w in who:
            for c in w[2]:
                if (report / class_slug(c)).exists():
                    slugs[c] = class_slug(c)
    port, sport = free_port(), free_port()
    env = {**os.environ}
    server = subprocess.Popen([sys.executable, "-m", "sounding", "serve", "--db", db,
                               "--port", str(port), "--workers", str(a.workers)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    static = subprocess.Popen([sys.executable, "-m", "http.server", str(sport), "--bind",
                               "127.0.0.1", "--directory", str(report or work)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base, sbase = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sport}"
    try:
        import httpx

        for _ in range(300):
            try:
                httpx.get(base + "/sign-in", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        # warm-up, not counted: every user signs in and opens a few pages at once, so each
        # worker computes its whole-district caches (roster, progression, growth tables)
        # (sign-ins one after another first: 50 argon2 checks at once only measure argon2)
        jar: dict[str, dict] = {}

        async def sign_everyone_in() -> None:
            for w in who:
                async with httpx.AsyncClient(timeout=300, follow_redirects=True) as client:
                    await sign_in(client, base, w[0])
                    jar[w[0]] = dict(client.cookies)

        asyncio.run(sign_everyone_in())
        warm: dict[str, list[float]] = {}
        t0 = time.perf_counter()
        warm_budget = [3 * len(who)]

        async def warm_up() -> None:
            await asyncio.gather(*(user_loop(base, sbase, w, time.monotonic() + 900,
                                             warm_budget, warm, slugs, 0.0, 900, jar)
                                   for w in who))

        asyncio.run(warm_up())
        warm_s = time.perf_counter() - t0
        times: dict[str, list[float]] = {}
        started: dict[str, list[float]] = {}
        budget = [a.requests]
        deadline = time.monotonic() + a.seconds

        async def everyone() -> None:
            await asyncio.gather(*(user_loop(base, sbase, w, deadline, budget, times, slugs,
                                             a.think, 60, jar, started) for w in who))

        t = time.perf_counter()
        asyncio.run(everyone())
        wall = time.perf_counter() - t
        rss = server_rss_mb(server.pid)
    finally:
        for proc in (server, static):
            proc.terminate()
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
    result = {"db": db.split("@")[-1], "users": len(who), "workers": a.workers,
              "warm_up_pages": {k: {"n": len(v), "max_ms": round(max(v), 1)}
                                for k, v in sorted(warm.items())},
              "think_s": a.think, "store_views": views_s, "warm_up_s": round(warm_s, 1),
              "wall_s": round(wall, 1), "requests": sum(len(v) for v in times.values()),
              "server_rss_mb": rss,
              "pages": {k: {"n": len(v), "p50_ms": pct(v, 0.5), "p95_ms": pct(v, 0.95),
                            "max_ms": round(max(v), 1),
                            # without the first 5 s, when all users start at the same instant
                            "max_ms_after_5s": round(max(
                                [x for x, s0 in zip(v, started.get(k, []), strict=False)
                                 if s0 - t >= 5.0] or [0.0]), 1)}
                        for k, v in sorted(times.items())}}
    print(json.dumps(result, indent=2))
    if a.out:
        Path(a.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
