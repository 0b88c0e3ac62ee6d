"""FERPA's record of access: every read of a student-level record, who, what, when.

Services call :func:`record` after a read returns student rows; the local operator (who holds
the database itself) is not recorded, so reading from the command line without ``--as`` and
writing the static report as the operator leave the store unchanged.
"""

from __future__ import annotations

import datetime as dt
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
    with store.begin() as conn:
        conn.execute(T.access_log.insert(), rows)
    return len(rows)


def read_log(store: Any, *, username: str | None = None, student_id: str | None = None,
             limit: int | None = None) -> pd.DataFrame:
    """The access log, newest first: at, username, role, action, resource, resource_id,
    student_id."""
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
