"""Diagnostic sessions kept in the database, one committed row per answer.

Why this shape: a student's answer must never be lost once the server has said "got it", even
if the server is killed (``kill -9``) the next instant, and a student who closes the browser
must carry on with the same question. So:

- an answer is marked, the next item chosen, and then the answer row *and* the session's new
  pending item are committed in one transaction; only after the commit is the next item sent
  back. A crash before the commit loses an answer nobody was told was kept; a crash after it
  loses nothing;
- a session is rebuilt from its rows (:func:`load`): the answers are replayed through the
  engine's online update (milliseconds), and the stored pending item is served again;
- answering the item that was just answered again (a client retrying after a lost reply)
  is recognised and answers with the current state instead of an error, so retries are safe;
- one open session per student, enforced by a unique index, so two racing starts share one;
- a finished session's results go to the evidence tables (``responses`` with source
  ``diagnostic`` and mastery model ``diagnostic``, through :func:`~sounding.diagnostic.
  evidence.write_sessions`) by :func:`write_pending_evidence`, which picks up every finished
  session not yet written -- after a crash too -- in batches, one writer at a time.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from sounding.diagnostic.engine import DiagnosticEngine
from sounding.diagnostic.session import Answer, DiagnosticSession
from sounding.errors import InvalidInput, NotFound
from sounding.items.model import Item
from sounding.store import tables as T

#: The engine caches posteriors and its last placement; one answer at a time goes through it.
ENGINE_LOCK = threading.RLock()
#: write_sessions replaces the whole ``diagnostic`` mastery model: one writer at a time.
EVIDENCE_LOCK = threading.Lock()
#: Highest grade the diagnostic places (9 = Algebra I); later grades take the Algebra I test.
TOP_GRADE = 9


_BUILD_LOCK = threading.Lock()


def default_engine() -> DiagnosticEngine:
    """The process's engine (the shipped model and item bank; built once, ~5 s)."""
    with _BUILD_LOCK:
        return _build_engine()


@lru_cache(maxsize=1)
def _build_engine() -> DiagnosticEngine:
    from sounding.diagnostic.model import default_model
    from sounding.items.bank import ItemBank

    return DiagnosticEngine(default_model(), ItemBank.default())


@dataclass
class Step:
    """What a student is shown after a start or an answer: the item to answer now, or the
    end (``item`` None, ``session.done``). ``repeated``: the answer was already stored."""

    session: DiagnosticSession
    item: Item | None
    repeated: bool = False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def load(store: Any, session_id: str) -> DiagnosticSession:
    """The session as stored (answers in order, pending item, done), else NotFound."""
    s, a = T.diagnostic_sessions.c, T.diagnostic_answers.c
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(T.diagnostic_sessions)
                           .where(s.session_id == str(session_id))).mappings().first()
        if row is None:
            raise NotFound(f"no diagnostic session {session_id!r}")
        answers = conn.execute(sa.select(a.item_id, a.standard, a.response, a.correct,
                                         a.answered_at).where(a.session_id == row["session_id"])
                               .order_by(a.position)).all()
    return DiagnosticSession(
        student_id=row["student_id"], grade=int(row["grade"]), session_id=row["session_id"],
        started_at=row["started_at"],
        answers=[Answer(r.item_id, r.standard, r.response, bool(r.correct), r.answered_at)
                 for r in answers],
        pending=row["pending_item"], done=bool(row["done"]), finished_at=row["finished_at"])


def student_of(store: Any, session_id: str) -> str:
    """The student a session belongs to, else NotFound."""
    s = T.diagnostic_sessions.c
    with store.engine.connect() as conn:
        sid = conn.execute(sa.select(s.student_id).where(s.session_id == str(session_id))
                           ).scalar()
    if sid is None:
        raise NotFound(f"no diagnostic session {session_id!r}")
    return str(sid)


def student_of_or_none(store: Any, session_id: str) -> str | None:
    try:
        return student_of(store, session_id)
    except NotFound:
        return None


def latest(store: Any, student_id: str) -> str | None:
    """The student's open session, else their latest finished one, else None."""
    s = T.diagnostic_sessions.c
    with store.engine.connect() as conn:
        return conn.execute(sa.select(s.session_id).where(s.student_id == str(student_id))
                            .order_by(s.done, s.started_at.desc(), s.session_id).limit(1)
                            ).scalar()


def sessions_of(store: Any, student_ids: list[str]) -> list[dict[str, Any]]:
    """Every session of these students (newest first): ids, counts, done, times."""
    s = T.diagnostic_sessions.c
    ids = sorted({str(i) for i in student_ids})
    out: list[dict[str, Any]] = []
    with store.engine.connect() as conn:
        for i in range(0, len(ids), 500):
            out += [dict(r) for r in conn.execute(
                sa.select(s.session_id, s.student_id, s.grade, s.started_at, s.n_answered,
                          s.done, s.finished_at, s.evidence_at)
                .where(s.student_id.in_(ids[i:i + 500]))).mappings()]
    out.sort(key=lambda r: (r["student_id"], r["started_at"]), reverse=True)
    return out


def grade_for_diagnostic(grade: Any) -> int:
    """The roster grade as the diagnostic's grade: K = 0 ... 8, Algebra I and later = 9."""
    if grade is None or (isinstance(grade, float) and grade != grade):
        raise InvalidInput("the roster has no grade for this student; the diagnostic needs one")
    g = int(grade)
    if g < 0:
        raise InvalidInput(f"grade {g} is below kindergarten; the diagnostic starts at K")
    return min(g, TOP_GRADE)


def start(store: Any, student_id: str, grade: int, engine: DiagnosticEngine | None = None
          ) -> Step:
    """Resume the student's session (open, else the finished one), or begin a new one.

    The new session and its first item are committed before the item is returned.
    """
    engine = engine or default_engine()
    existing = latest(store, student_id)
    if existing is not None:
        return current(store, existing, engine)
    with ENGINE_LOCK:
        session = engine.start(str(student_id), grade_for_diagnostic(grade))
        item = engine.next_item(session)
    try:
        with store.begin() as conn:
            conn.execute(T.diagnostic_sessions.insert().values(
                session_id=session.session_id, student_id=session.student_id,
                grade=session.grade, started_at=session.started_at,
                pending_item=session.pending, n_answered=0, done=session.done,
                finished_at=session.finished_at, open_slot=None if session.done else 1))
    except sa.exc.IntegrityError:  # a start raced this one: both get the same session
        existing = latest(store, student_id)
        if existing is None:
            raise
        return current(store, existing, engine)
    return Step(session, item)


def current(store: Any, session_id: str, engine: DiagnosticEngine | None = None) -> Step:
    """The session now and the item it is waiting for (the same one until answered)."""
    engine = engine or default_engine()
    session = load(store, session_id)
    if session.done or not session.pending:
        if not session.done:  # a session stored without a pending item: choose it, keep it
            with ENGINE_LOCK:
                item = engine.next_item(session)
            _save_state(store, session)
            return Step(session, item)
        return Step(session, None)
    with ENGINE_LOCK:
        return Step(session, engine.bank.item(session.pending))


def _save_state(store: Any, session: DiagnosticSession) -> None:
    s = T.diagnostic_sessions.c
    with store.begin() as conn:
        conn.execute(T.diagnostic_sessions.update().where(s.session_id == session.session_id)
                     .values(pending_item=session.pending, done=session.done,
                             finished_at=session.finished_at,
                             open_slot=None if session.done else 1))


def answer(store: Any, session_id: str, item_id: str, response: Any,
           engine: DiagnosticEngine | None = None) -> Step:
    """Mark ``response`` to the pending item, commit it with the next item, return the step.

    Raises InvalidInput for a finished session, an item that is not the one being asked, or
    a response that is not text; NotFound for an unknown session.
    """
    engine = engine or default_engine()
    if not isinstance(item_id, str) or not item_id:
        raise InvalidInput("item_id: give the id of the item being asked")
    if not isinstance(response, str):
        raise InvalidInput("response must be text")
    session = load(store, session_id)
    if session.answers and session.answers[-1].item_id == item_id and (
            session.pending != item_id):
        return Step(session, _item_or_none(engine, session), repeated=True)
    if session.done:
        raise InvalidInput("this diagnostic is finished")
    with ENGINE_LOCK:
        engine.answer(session, item_id, response)  # marks, appends, chooses the next item
    a = session.answers[-1]
    position = session.n_answered - 1
    s = T.diagnostic_sessions.c
    try:
        with store.begin() as conn:
            conn.execute(T.diagnostic_answers.insert().values(
                session_id=session.session_id, position=position, item_id=a.item_id,
                standard=a.standard, response=a.response, correct=bool(a.correct),
                answered_at=a.answered_at))
            done = conn.execute(
                T.diagnostic_sessions.update()
                .where(s.session_id == session.session_id).where(s.n_answered == position)
                .values(pending_item=session.pending, n_answered=position + 1,
                        done=session.done, finished_at=session.finished_at,
                        open_slot=None if session.done else 1))
            if done.rowcount != 1:
                raise sa.exc.IntegrityError("session moved on", None, Exception())
    except sa.exc.IntegrityError:
        # the same item answered twice at once: the first commit wins, this one is a repeat
        with ENGINE_LOCK:
            engine.forget(session)
        fresh = load(store, session_id)
        return Step(fresh, _item_or_none(engine, fresh), repeated=True)
    except BaseException:
        with ENGINE_LOCK:  # the engine cached a posterior with an answer that was not kept
            engine.forget(session)
        raise
    return Step(session, None if session.done else engine.bank.item(session.pending))


def _item_or_none(engine: DiagnosticEngine, session: DiagnosticSession) -> Item | None:
    if session.done or not session.pending:
        return None
    with ENGINE_LOCK:
        return engine.bank.item(session.pending)


_RESULTS: dict[tuple[int, str, int], dict[str, Any]] = {}


def result(session: DiagnosticSession, engine: DiagnosticEngine | None = None) -> dict[str, Any]:
    """The engine's result for a session (placements, ready to learn, unfinished, mastery).

    A finished session never changes, and its result costs ~0.2 s (the iceberg profile), so
    finished sessions' results are kept (a class page reads a class's worth at once).
    """
    engine = engine or default_engine()
    key = (id(engine), session.session_id, session.n_answered)
    if session.done and key in _RESULTS:
        return _RESULTS[key]
    with ENGINE_LOCK:
        out = engine.result(session).to_dict()
    if session.done:
        if len(_RESULTS) > 5000:
            _RESULTS.clear()
        _RESULTS[key] = out
    return out


def write_pending_evidence(store: Any, engine: DiagnosticEngine | None = None,
                           limit: int = 2000) -> int:
    """Write every finished session whose results are not yet evidence; returns how many.

    Safe to call at any time and from any thread (one writer at a time); a crash between a
    session's end and this write only delays it to the next call.
    """
    engine = engine or default_engine()
    from sounding.diagnostic.evidence import write_sessions

    s = T.diagnostic_sessions.c
    with EVIDENCE_LOCK:
        with store.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(
                sa.select(s.session_id).where(s.done.is_(True)).where(s.evidence_at.is_(None))
                .order_by(s.finished_at).limit(limit))]
        if not ids:
            return 0
        sessions = [load(store, i) for i in ids]
        with ENGINE_LOCK:
            write_sessions(store, engine, sessions)
        with store.begin() as conn:
            conn.execute(T.diagnostic_sessions.update().where(s.session_id.in_(ids))
                         .values(evidence_at=_now()))
        return len(ids)


class EvidenceWriter:
    """A daemon thread that writes finished sessions as evidence soon after they end.

    ``poke()`` after a session finishes wakes it; it also looks every ``interval`` seconds,
    which picks up sessions that finished before a crash. Batching keeps the cost per
    finished session low when many finish at once (write_sessions rewrites the model).
    """

    def __init__(self, store: Any, interval: float = 5.0) -> None:
        self.store = store
        self.interval = interval
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.written = 0
        self.last_error: str | None = None

    def poke(self) -> None:
        """Write soon (a session just finished)."""
        self.ensure_running()
        self._wake.set()

    def ensure_running(self) -> None:
        """Start the thread if it is not running (first request after a (re)start)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="diagnostic-evidence",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.written += write_pending_evidence(self.store)
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - keep the writer alive; retried next time
                self.last_error = f"{type(exc).__name__}: {exc}"
