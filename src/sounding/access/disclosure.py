"""Disclosure rules: redaction to a scope, small-group suppression, de-identification.

Services select what was asked for, then pass the JSON-ready result through
:func:`redact`, so a finding computed over the whole district (a district-wide reteach, a
school's stale-evidence list) reaches a teacher holding only what concerns their classes.
Redaction works on the shape every view shares: a mapping with ``student_id`` (or
``class_id`` / ``school_id``) outside scope is dropped from the list it sits in, and lists
under ``students`` / ``classes`` keep only the ids in scope.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from sounding.access.scope import Reach
from sounding.core.thresholds import MIN_N

#: Keys whose value is the id of an object of a kind (a mapping holding one out of scope is
#: dropped from its list).
ID_KEYS: dict[str, str] = {"student_id": "student", "class_id": "class", "school_id": "school"}
#: Keys whose value is a list of ids of a kind (kept only inside scope).
LIST_KEYS: dict[str, str] = {"students": "student", "classes": "class", "schools": "school",
                             "ready": "student", "unassessed": "student"}
#: Keys dropped from de-identified extracts (direct identifiers and free text).
IDENTIFYING_KEYS = frozenset({"name", "given_name", "family_name", "middle_name", "email",
                              "username", "identifier", "birth_date", "phone", "sms",
                              "preferred_given_name", "preferred_family_name"})

#: Values of an id key that label a total rather than name an object (readiness's access
#: table has ``school_id: "all"`` rows).
TOTAL_LABELS = frozenset({"all"})

_DROP = object()


def redact(data: Any, reach: Reach) -> Any:
    """``data`` with everything outside ``reach`` removed (a copy; ``data`` is untouched)."""
    if reach.everything:
        return data
    reach.prefetch("student", _student_ids(data))  # one query, not one per id
    out = _redact(data, reach)
    return None if out is _DROP else out


def named_ids(data: Any) -> dict[str, list[Any]]:
    """The ids :func:`redact` would check in ``data``, by kind (``student``, ``class``,
    ``school``): the value of every id key and every plain item of an id list, wherever it
    sits. When :func:`all_inside` says every one is in a scope, redacting ``data`` to that
    scope changes nothing, so a view whose ids are stored beside it (the web app's stored
    views) is checked without walking or copying it."""
    found: dict[str, dict[Any, None]] = {"student": {}, "class": {}, "school": {}}

    def note(kind: str, value: Any) -> None:
        if isinstance(value, Mapping | list | tuple | set):  # not an id: never inside, so
            found[kind][repr(value)] = None                 # such data is redacted as ever
        elif value is not None and not isinstance(value, bool) and value not in TOTAL_LABELS:
            found[kind][value] = None

    todo = [data]
    while todo:
        x = todo.pop()
        if isinstance(x, Mapping):
            for key, kind in ID_KEYS.items():
                if key in x:
                    note(kind, x[key])
            for k, v in x.items():
                if k in LIST_KEYS and isinstance(v, list | tuple):
                    for item in v:
                        if isinstance(item, Mapping | list | tuple):
                            todo.append(item)
                        else:
                            note(LIST_KEYS[k], item)
                else:
                    todo.append(v)
        elif isinstance(x, list | tuple):
            todo.extend(x)
    return {kind: list(ids) for kind, ids in found.items()}


def all_inside(named: Mapping[str, Any], reach: Reach) -> bool:
    """Whether every id of :func:`named_ids`'s answer is inside ``reach`` (then
    ``redact(data, reach)`` would return ``data`` unchanged)."""
    if reach.everything:
        return True
    for kind in ("school", "class", "student"):
        ids = named.get(kind) or []
        reach.prefetch(kind, ids)  # one query for a scope answered by SQL
        if not all(reach.has(kind, i) for i in ids):
            return False
    return True


def _student_ids(data: Any) -> list[Any]:
    """Every value that :func:`_redact` will look up as a student id."""
    out: list[Any] = []
    todo = [data]
    while todo:
        x = todo.pop()
        if isinstance(x, Mapping):
            for k, v in x.items():
                if ID_KEYS.get(k) == "student" and isinstance(v, str | int):
                    out.append(v)
                elif LIST_KEYS.get(k) == "student" and isinstance(v, list | tuple):
                    out.extend(i for i in v if isinstance(i, str | int))
                    todo.extend(i for i in v if isinstance(i, Mapping | list | tuple))
                else:
                    todo.append(v)
        elif isinstance(x, list | tuple):
            todo.extend(x)
    return out


def _out(kind: str, value: Any, reach: Reach) -> bool:
    return (value is not None and not isinstance(value, bool) and value not in TOTAL_LABELS
            and not reach.has(kind, value))


def _redact(data: Any, reach: Reach) -> Any:
    if isinstance(data, Mapping):
        for key, kind in ID_KEYS.items():
            if key in data and _out(kind, data[key], reach):
                return _DROP
        out = {}
        for k, v in data.items():
            if k in LIST_KEYS and isinstance(v, list | tuple):
                kind = LIST_KEYS[k]
                kept = []
                for item in v:
                    if isinstance(item, Mapping | list | tuple):
                        r = _redact(item, reach)
                        if r is not _DROP:
                            kept.append(r)
                    elif not _out(kind, item, reach):
                        kept.append(item)
                out[k] = kept
            else:
                r = _redact(v, reach)
                out[k] = None if r is _DROP else r
        return out
    if isinstance(data, list | tuple):
        kept = [_redact(x, reach) for x in data]
        return [x for x in kept if x is not _DROP]
    return data


def suppressed(n: int | None, min_n: int | None = MIN_N) -> bool:
    """Whether a group of ``n`` is too small to publish (``min_n`` None: never)."""
    return min_n is not None and (n is None or n < min_n)


def suppress_rows(rows: list[dict[str, Any]], *, n_key: str, min_n: int | None,
                  keep: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Rows whose group ``n_key`` is under ``min_n`` keep only ``keep`` keys and the count is
    hidden too (a suppressed cell publishes nothing but its label and ``suppressed``)."""
    out = []
    for row in rows:
        if suppressed(row.get(n_key), min_n):
            out.append({**{k: row[k] for k in keep if k in row}, "suppressed": True})
        else:
            out.append({**row, "suppressed": False})
    return out


class Pseudonyms:
    """Stable pseudonyms for one extract: HMAC of the id under a key drawn for the extract.

    Roster ids are guessable (``stu-0000001``), so an unkeyed hash could be reversed by
    hashing every candidate; a fresh random key per extract makes the pseudonyms unlinkable
    to ids and to other extracts.
    """

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def __call__(self, value: Any) -> str:
        mac = hmac.new(self._key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
        return "p-" + mac[:16]


def deidentify(rows: list[dict[str, Any]], pseudonyms: Pseudonyms) -> list[dict[str, Any]]:
    """Rows with identifying keys dropped and ``student_id`` replaced by a pseudonym
    (``pseudonym`` key; no ``student_id`` remains)."""
    out = []
    for row in rows:
        clean = {k: v for k, v in row.items() if k not in IDENTIFYING_KEYS and k != "student_id"}
        if "student_id" in row:
            clean = {"pseudonym": pseudonyms(row["student_id"]), **clean}
        out.append(clean)
    return out
