"""The diagnostic under load, with the server killed (``kill -9``) once mid-run.

    python bench/load_diagnostic.py --students 1000            # the issue's setting (make bench)
    python bench/load_diagnostic.py --students 20 --json out.json   # the small one (make test)

What it does, on loopback only and bounded in count (``--students``) and time (``--timeout``):

1. simulates ``--students`` students with the simulator (their true mastery known) and writes
   a store (SQLite) with them on the roster, one student account and API token each;
2. starts ``sounding serve`` on a free port, and has every student take the diagnostic through
   the API at once (async httpx): ``POST /api/v1/diagnostic/sessions``, then
   ``POST .../answers`` with what the simulated student would type (the key when they know
   the standard, bar a slip; a guess or a common wrong answer when not);
3. once ``--kill-at`` of the expected answers were acknowledged, kills the server with
   SIGKILL and starts it again at once. Clients retry what failed (the same answer: the server
   recognises a repeat), exactly as a browser's student would press the button again;
4. at the end checks, in the database itself, that every answer the server acknowledged
   (a 200 reply) is stored at its position with its item, that every session finished, and
   that every finished session was written as evidence (responses with source
   ``diagnostic``). Prints throughput, latency and the counts as JSON; exits 1 when an
   acknowledged answer is lost or a session did not finish.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


# -- the district --------------------------------------------------------------------------


def simulated_students(n: int, seed: int) -> list[Any]:
    from sounding.diagnostic.students import students_from_district
    from sounding.simulate import DistrictSpec, simulate_district

    district = simulate_district(DistrictSpec(n_students=max(n, 60), seed=seed))
    students = students_from_district(district, rng_seed=seed)
    rng = random.Random(seed)
    rng.shuffle(students)
    return students[:n]


def build_store(db: str, students: list[Any]) -> dict[str, str]:
    """A store with the students on a one-school roster; returns student_id -> API token."""
    from sounding.access import add_account, issue_token
    from sounding.store import Store
    from sounding.store import tables as T

    with Store.open(db) as store:
        with store.begin() as conn:
            conn.execute(T.orgs.insert(), [
                {"org_id": "dst-load", "name": "Load District", "type": "district"},
                {"org_id": "sch-load", "name": "Load School", "type": "school",
                 "parent_id": "dst-load"}])
            conn.execute(T.users.insert(), [
                {"user_id": s.student_id, "username": f"load-{s.student_id}",
                 "given_name": "Student", "family_name": s.student_id, "grade": s.grade,
                 "primary_org_id": "sch-load"} for s in students])
            conn.execute(T.roles.insert(), [
                {"role_id": f"rol-{s.student_id}", "user_id": s.student_id,
                 "role_type": "primary", "role": "student", "org_id": "sch-load"}
                for s in students])
        tokens = {}
        for s in students:
            name = f"load-{s.student_id}".lower()
            add_account(store, name, "student", user_id=s.student_id)
            tokens[s.student_id] = issue_token(store, name)
    return tokens


# -- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``sounding serve`` in a subprocess, killable with SIGKILL and restartable."""

    def __init__(self, db: str, port: int, log: Path) -> None:
        self.db, self.port, self.log = db, port, log
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
        out = open(self.log, "a")  # noqa: SIM115 - kept open for the process's life
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sounding", "serve", "--db", self.db, "--port",
             str(self.port)], stdout=out, stderr=subprocess.STDOUT, env=env,
            start_new_session=True)
        self.starts += 1

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    async def wait_ready(self, client: Any, timeout: float) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}); see {self.log}")
            try:
                r = await client.get(f"http://127.0.0.1:{self.port}/api/v1/me", timeout=10)
                if r.status_code == 401:
                    return time.monotonic() - t0
            except Exception:  # noqa: BLE001 - not up yet
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError(f"the server did not start in {timeout:.0f} s; see {self.log}")


# -- the students --------------------------------------------------------------------------


@dataclass
class Stats:
    acked: dict[tuple[str, int], str] = field(default_factory=dict)  # (session, pos) -> item
    latencies: list[float] = field(default_factory=list)
    transport_errors: int = 0
    server_errors: int = 0
    repeats: int = 0
    items: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # student -> session
    finished: set[str] = field(default_factory=set)
    ack_event: asyncio.Event = field(default_factory=asyncio.Event)
    kill_at: int = 0


class Failed(Exception):
    pass


async def call(client: Any, method: str, url: str, token: str, stats: Stats, deadline: float,
               body: dict | None = None) -> dict:
    """One request, retried over connection errors and 5xx until ``deadline``."""
    while True:
        if time.monotonic() > deadline:
            raise Failed(f"out of time on {method} {url}")
        try:
            r = await client.request(method, url, json=body, timeout=120,
                                     headers={"Authorization": f"Bearer {token}"})
        except Exception:  # noqa: BLE001 - connection refused/reset while the server is down
            stats.transport_errors += 1
            await asyncio.sleep(0.2 + random.random() * 0.5)
            continue
        if r.status_code >= 500:
            stats.server_errors += 1
            await asyncio.sleep(0.2 + random.random() * 0.5)
            continue
        if r.status_code != 200:
            raise Failed(f"{method} {url} -> {r.status_code} {r.text[:200]}")
        return r.json()


async def take(client: Any, base: str, student: Any, token: str, bank: Any, stats: Stats,
               deadline: float) -> None:
    view = await call(client, "POST", f"{base}/api/v1/diagnostic/sessions", token, stats,
                      deadline)
    sid = view["session_id"]
    stats.sessions[student.student_id] = sid
    while not view["done"]:
        item = bank.item(view["item"]["item_id"])
        response = student.respond(item)  # decided once: a retry sends the same answer
        position = view["items_answered"]
        t0 = time.monotonic()
        view = await call(client, "POST", f"{base}/api/v1/diagnostic/sessions/{sid}/answers",
                          token, stats, deadline, {"item_id": item.item_id,
                                                   "response": response})
        stats.latencies.append(time.monotonic() - t0)
        stats.repeats += bool(view.get("repeated"))
        if view["items_answered"] <= position:
            raise Failed(f"session {sid}: the answer at {position} was not taken")
        stats.acked[(sid, position)] = item.item_id
        if len(stats.acked) >= stats.kill_at:
            stats.ack_event.set()
    stats.items[student.student_id] = view["items_answered"]
    stats.finished.add(student.student_id)


async def drive(args: argparse.Namespace, db: str, students: list[Any], tokens: dict[str, str],
                log: Path) -> dict[str, Any]:
    import httpx

    from sounding.diagnostic.durable import default_engine

    bank = default_engine().bank
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = Server(db, port, log)
    stats = Stats(kill_at=max(1, int(args.kill_at * args.expected_items * len(students))))
    limits = httpx.Limits(max_connections=args.concurrency,
                          max_keepalive_connections=args.concurrency)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(limits=limits) as client:
        server.start()
        out["first_start_s"] = round(await server.wait_ready(client, 120), 2)
        deadline = time.monotonic() + args.timeout
        sem = asyncio.Semaphore(args.concurrency)

        async def one(s: Any) -> str | None:
            async with sem:
                try:
                    await take(client, base, s, tokens[s.student_id], bank, stats, deadline)
                except Failed as exc:
                    return str(exc)
            return None

        async def killer() -> None:
            await stats.ack_event.wait()
            out["killed_after_acked"] = len(stats.acked)
            server.kill9()
            t0 = time.monotonic()
            out["killed_at_s"] = round(t0 - t_run, 1)
            server.start()
            try:  # (answering /me while every client retries at once may take a while)
                await server.wait_ready(client, 600)
                out["restart_s"] = round(time.monotonic() - t0, 2)
            except RuntimeError as exc:
                out["restart_error"] = str(exc)

        t0 = t_run = time.monotonic()
        kill_task = asyncio.create_task(killer())
        errors = [e for e in await asyncio.gather(*(one(s) for s in students)) if e]
        wall = time.monotonic() - t0
        if not kill_task.done():  # the run ended before the kill point: say so, kill now
            stats.ack_event.set()
            await kill_task
        # every finished session becomes evidence (the writer runs in the server)
        t1 = time.monotonic()
        out["evidence_pending"] = await wait_for_evidence(db, min(120, args.timeout))
        out["evidence_wait_s"] = round(time.monotonic() - t1, 2)
    server.stop()
    lat = np.array(stats.latencies) * 1000 if stats.latencies else np.zeros(1)
    out.update({
        "students": len(students), "concurrency": args.concurrency,
        "server_starts": server.starts, "wall_s": round(wall, 1),
        "answers_acknowledged": len(stats.acked),
        "answers_per_s": round(len(stats.acked) / wall, 1),
        "latency_ms": {"p50": round(float(np.percentile(lat, 50)), 1),
                       "p95": round(float(np.percentile(lat, 95)), 1),
                       "p99": round(float(np.percentile(lat, 99)), 1),
                       "max": round(float(lat.max()), 1)},
        "transport_errors_retried": stats.transport_errors,
        "server_errors_retried": stats.server_errors,
        "repeated_answers": stats.repeats,
        "client_failures": errors[:5], "n_client_failures": len(errors),
        "items_mean": round(float(np.mean(list(stats.items.values()) or [0])), 2),
        "items_p95": float(np.percentile(list(stats.items.values()) or [0], 95)),
    })
    out.update(check_store(db, stats, students))
    return out


async def wait_for_evidence(db: str, timeout: float) -> int:
    import sqlalchemy as sa

    from sounding.store import Store
    from sounding.store import tables as T

    s = T.diagnostic_sessions.c
    t0 = time.monotonic()
    with Store.open(db) as store:
        while True:
            with store.engine.connect() as conn:
                pending = conn.execute(sa.select(sa.func.count()).where(s.done.is_(True))
                                       .where(s.evidence_at.is_(None))).scalar()
            if not pending or time.monotonic() - t0 > timeout:
                return int(pending or 0)
            await asyncio.sleep(0.5)


def check_store(db: str, stats: Stats, students: list[Any]) -> dict[str, Any]:
    """What the database holds, against what the server acknowledged."""
    import sqlalchemy as sa

    from sounding.store import Store
    from sounding.store import tables as T

    a, s = T.diagnostic_answers.c, T.diagnostic_sessions.c
    with Store.open(db) as store, store.engine.connect() as conn:
        rows = {(r.session_id, r.position): r.item_id
                for r in conn.execute(sa.select(a.session_id, a.position, a.item_id))}
        sessions = conn.execute(sa.select(s.student_id, s.done, s.n_answered)).all()
        evidence = conn.execute(sa.select(sa.func.count()).select_from(T.responses)
                                .where(T.responses.c.source == "diagnostic")).scalar()
    lost = [k for k, item in stats.acked.items() if rows.get(k) != item]
    done = sum(1 for r in sessions if r.done)
    per_student: dict[str, int] = {}
    for r in sessions:
        per_student[r.student_id] = per_student.get(r.student_id, 0) + 1
    return {
        "acknowledged_answers_lost": len(lost), "lost_examples": [list(k) for k in lost[:5]],
        "answers_stored": len(rows),
        "sessions": len(sessions), "sessions_done": done,
        "students_with_more_than_one_session": sum(1 for v in per_student.values() if v > 1),
        "every_session_completed": done == len(students) == len(sessions),
        "evidence_responses": int(evidence),
        "evidence_matches_answers": int(evidence) == len(rows),
    }


def run(students: int = 20, seed: int = 0, concurrency: int | None = None,
        timeout: float = 600, kill_at: float = 0.4, expected_items: float = 12.0,
        workdir: str | None = None) -> dict[str, Any]:
    """Build, serve, load, kill, restart, check; the figures as a dict."""
    args = argparse.Namespace(students=students, seed=seed, timeout=timeout, kill_at=kill_at,
                              expected_items=expected_items,
                              concurrency=concurrency or students)
    work = Path(workdir or tempfile.mkdtemp(prefix="sounding-load-"))
    work.mkdir(parents=True, exist_ok=True)
    db = str(work / "load.db")
    if Path(db).exists():
        raise SystemExit(f"{db} exists: give an empty --workdir")
    t0 = time.monotonic()
    studs = simulated_students(students, seed)
    tokens = build_store(db, studs)
    setup = time.monotonic() - t0
    out = asyncio.run(drive(args, db, studs, tokens, work / "server.log"))
    out["setup_s"] = round(setup, 1)
    out["workdir"] = str(work)
    out["ok"] = bool(out["acknowledged_answers_lost"] == 0 and out["every_session_completed"]
                     and not out["n_client_failures"] and out["server_starts"] == 2
                     and out["evidence_pending"] == 0 and out["evidence_matches_answers"])
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=None,
                   help="students taking the test at once (default: all of them)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=3600,
                   help="seconds the students have, in all (bounds the run)")
    p.add_argument("--kill-at", type=float, default=0.4,
                   help="kill -9 once this share of the expected answers is acknowledged")
    p.add_argument("--workdir", default=None, help="an empty folder (default: a temp one)")
    p.add_argument("--json", default=None, help="also write the figures here")
    a = p.parse_args(argv)
    if not 1 <= a.students <= 5000:
        p.error("--students: 1 to 5000 (the run is bounded)")
    out = run(a.students, a.seed, a.concurrency, a.timeout, a.kill_at, workdir=a.workdir)
    text = json.dumps(out, indent=2)
    print(text)
    if a.json:
        Path(a.json).write_text(text)
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
