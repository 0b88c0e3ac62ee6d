"""Web sessions and sign-in throttling, kept in the store so that every process of
``sounding serve --workers N`` shares them (the web package reads the store only through
the services and the access layer).

- A session row holds the SHA-256 of the random session id (the cookie carries the signed
  id), the user name and the session's CSRF token; ``last_seen`` is rewritten at most every
  :data:`TOUCH` seconds, so a page read costs one SELECT, not a write. Signing out, an
  admin's password reset and :data:`IDLE` seconds without a request end it.
- Failed sign-ins are rows per key (user name, client address) and time; more than
  :data:`MAX_FAILURES` within :data:`WINDOW` seconds blocks the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sounding.store import tables as T

#: Idle time after which a session ends (seconds).
IDLE = 8 * 3600
#: Failed sign-ins allowed per user name and per client within WINDOW seconds.
MAX_FAILURES = 5
WINDOW = 60.0
#: A session's last_seen is rewritten when older than this (seconds).
TOUCH = 60.0


@dataclass
class Session:
    username: str
    csrf: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class Sessions:
    """Server-side sessions in the store's ``web_sessions`` table, so that every worker
    process sees the same ones (the cookie holds only a signed random id; the table only
    its SHA-256). ``last_seen`` is written at most once a :data:`TOUCH` seconds per session
    so that reading a page costs one SELECT, not a write."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def create(self, username: str) -> str:
        sid = secrets.token_urlsafe(32)
        now = _now()
        with self.store.engine.begin() as conn:
            conn.execute(T.web_sessions.delete().where(
                T.web_sessions.c.last_seen < now - dt.timedelta(seconds=IDLE)))
            conn.execute(T.web_sessions.insert().values(
                sid_hash=_hash(sid), username=username, csrf=secrets.token_urlsafe(32),
                created_at=now, last_seen=now))
        return sid

    def get(self, sid: str) -> Session | None:
        w = T.web_sessions.c
        key = _hash(sid)
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(w.username, w.csrf, w.last_seen)
                               .where(w.sid_hash == key)).first()
        if row is None:
            return None
        now = _now()
        idle = (now - row.last_seen).total_seconds()
        if idle > IDLE:
            self.end(sid)
            return None
        if idle > TOUCH:
            with self.store.engine.begin() as conn:
                conn.execute(T.web_sessions.update().where(w.sid_hash == key)
                             .values(last_seen=now))
        return Session(row.username, row.csrf)

    def end(self, sid: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(T.web_sessions.delete().where(T.web_sessions.c.sid_hash == _hash(sid)))

    def end_user(self, username: str) -> int:
        with self.store.engine.begin() as conn:
            return conn.execute(T.web_sessions.delete().where(
                T.web_sessions.c.username == username)).rowcount


class Throttle:
    """Failed attempts per key in a sliding window, in the store's ``login_failures`` table
    (shared by every worker process)."""

    def __init__(self, store: Any, limit: int = MAX_FAILURES, window: float = WINDOW) -> None:
        self.store, self.limit, self.window = store, limit, window

    def blocked(self, *keys: str) -> bool:
        f = T.login_failures.c
        since = _now() - dt.timedelta(seconds=self.window)
        with self.store.engine.connect() as conn:
            counts = conn.execute(sa.select(f.key, sa.func.count()).where(
                f.key.in_(keys), f.at > since).group_by(f.key)).all()
        return any(n >= self.limit for _, n in counts)

    def fail(self, *keys: str) -> None:
        now = _now()
        with self.store.engine.begin() as conn:
            conn.execute(T.login_failures.delete().where(
                T.login_failures.c.at < now - dt.timedelta(seconds=self.window)))
            conn.execute(T.login_failures.insert(), [{"key": k, "at": now} for k in keys])

    def clear(self, key: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(T.login_failures.delete().where(T.login_failures.c.key == key))

    def reset(self) -> None:
        """Forget every failure (tests; an operator unblocking everyone)."""
        with self.store.engine.begin() as conn:
            conn.execute(T.login_failures.delete())
