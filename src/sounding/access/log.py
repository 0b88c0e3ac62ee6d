"""FERPA's record of access: every read of a student-level record, who, what, when.

Services call :func:`record` after a read returns student rows; the local operator (who holds
the database itself) is not recorded, so reading from the command line without ``--as`` and
writing the static report as the operator leave the store unchanged.

Where the rows go: by default :func:`record` inserts them before it returns (the CLI, the
static report, tests). A server installs an :class:`AccessLogWriter` on its store
(:func:`use_writer`): :func:`record` then queues the rows and a background thread inserts
them in batches (every :data:`FLUSH_SECONDS`, or sooner when :data:`FLUSH_ROWS` are
waiting), so a page read does not wait for an INSERT and fifty concurrent readers do not
contend for the table. :func:`read_log` flushes the queue first, and the writer flushes on
close (the web app's shutdown, or interpreter exit): nothing recorded is lost on a clean
shutdown. A crash of the process (SIGKILL, power loss) loses the rows queued since the
last flush: at most :data:`FLUSH_SECONDS` of reads of that process.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
from collections.abc import Iterable
from typing import Any

import pandas as pd
import sqlalchemy as sa

from sounding.access.principal import Principal
from sounding.store import tables as T


def record(store: Any, principal: Principal, action: str, resource: str,
           resource_id: Any, student_ids: Iterable[Any]) -> int:
    """Write one access-log row per student read; returns the rows written."""
    if principal.operator:
        return 0
    ids = sorted({str(s) for s in student_ids if s is not None})
    if not ids:
        return 0
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [{"at": now, "username": principal.user, "role": principal.role.value,
             "action": action, "resource": resource,
             "resource_id": None if resource_id is None else str(resource_id),
             "student_id": sid} for sid in ids]
    writer = getattr(store, _WRITER, None)
    if writer is not None:
        writer.put(rows)
    else:
        _insert(store, rows)
    return len(rows)


def _insert(store: Any, rows: list[dict[str, Any]]) -> None:
    with store.begin() as conn:
        conn.execute(T.access_log.insert(), rows)


#: Seconds between a background writer's batches, and the queue size that flushes sooner.
FLUSH_SECONDS = 0.25
FLUSH_ROWS = 2000
_WRITER = "_access_log_writer"
_log = logging.getLogger(__name__)


class AccessLogWriter:
    """Queues access-log rows and inserts them in batches from one background thread.

    ``flush()`` writes what is queued now (and waits for a batch being written), ``close()``
    stops the thread and flushes; both are safe to call from any thread and more than once.
    A batch that fails to insert (the database away for a moment) stays queued and is
    retried at the next flush."""

    def __init__(self, store: Any, *, interval: float = FLUSH_SECONDS,
                 max_rows: int = FLUSH_ROWS) -> None:
        self.store, self.interval, self.max_rows = store, interval, max_rows
        self._rows: list[dict[str, Any]] = []
        self._cv = threading.Condition()
        self._flushing = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="access-log-writer",
                                        daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def put(self, rows: list[dict[str, Any]]) -> None:
        with self._cv:
            if not self._closed:
                self._rows.extend(rows)
                if len(self._rows) >= self.max_rows:
                    self._cv.notify()
                return
        _insert(self.store, rows)  # after close: written at once, as without a writer

    @property
    def pending(self) -> int:
        with self._cv:
            return len(self._rows)

    def flush(self) -> int:
        """Insert every queued row now; returns how many were written."""
        with self._flushing:
            with self._cv:
                rows, self._rows = self._rows, []
            if not rows:
                return 0
            try:
                _insert(self.store, rows)
            except Exception:
                with self._cv:
                    self._rows[:0] = rows  # keep them, in order, for the next flush
                raise
            return len(rows)

    def close(self) -> None:
        """Stop the background thread and write what is queued."""
        with self._cv:
            self._closed = True
            self._cv.notify()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        self.flush()

    def _run(self) -> None:
        while True:
            with self._cv:
                if not self._closed and len(self._rows) < self.max_rows:
                    self._cv.wait(self.interval)
                closed = self._closed
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - retried at the next flush; say so
                _log.exception("access log: a batch could not be written; retrying")
            if closed:
                return


def use_writer(store: Any, writer: AccessLogWriter | None) -> None:
    """Send ``store``'s access-log rows through ``writer`` (None: insert at once again)."""
    setattr(store, _WRITER, writer)


def flush(store: Any) -> None:
    """Write every access-log row queued for ``store`` (no-op without a writer)."""
    writer = getattr(store, _WRITER, None)
    if writer is not None:
        writer.flush()


def read_log(store: Any, *, username: str | None = None, student_id: str | None = None,
             limit: int | None = None) -> pd.DataFrame:
    """The access log, newest first: at, username, role, action, resource, resource_id,
    student_id. Rows queued by this process's writer are written first."""
    flush(store)
    a = T.access_log.c
    stmt = sa.select(a.at, a.username, a.role, a.action, a.resource, a.resource_id,
                     a.student_id).order_by(a.id.desc())
    if username is not None:
        stmt = stmt.where(a.username == username)
    if student_id is not None:
        stmt = stmt.where(a.student_id == student_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    with store.engine.connect() as conn:
        return pd.read_sql(stmt, conn)
