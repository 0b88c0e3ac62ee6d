"""Views stored when mastery and the plan are computed, read by the services per request.

Why: a class page computed on request cost about 0.5 s of CPU (the iceberg tables, the plan,
the groups), held the GIL, and queued every other request behind it; on a 20,000-student
district the first page of a class took seconds. The views do not depend on who asks -- each
is computed as the local operator sees it and then redacted to the principal by
``Context.finish`` exactly as a freshly computed one -- so they are computed once, when the
inputs change (``sounding plan``, the demo build, or ``persist_views``), and stored as JSON in
``stored_views`` with the *version* of the inputs they were made from.

A service asks :func:`persisted` for a view: the stored one when its version is the store's
current one, else it computes it (as the operator), stores it and returns it. The version
(:func:`inputs_version`) changes when mastery is re-fitted (rows and dates of the model's
estimates), anything is imported (the import log), the framework changes, interventions
are recorded, or a mastery snapshot is taken. Both paths return the JSON round trip of the
view, so a stored and a fresh view are the same value. Beside each view its ids are stored
(:func:`view_ids`), so a reader who reaches them all gets the view without a redaction walk;
the web app keeps parsed views per worker (:class:`EntryCache`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from sounding.errors import InvalidInput, NotFound
from sounding.services.context import Context
from sounding.store import tables as T

__all__ = ["EntryCache", "inputs_version", "load_entry", "load_view", "persist_views",
           "persisted", "prefetch", "save_views", "trimmed", "view_ids"]

#: Parameters of the student view as stored; pages asking for fewer get a prefix of it.
STUDENT_READY = 8


def inputs_version(store: Any, model: str = "graph") -> str:
    """A short digest of what the stored views are computed from (one SQL round trip)."""
    m, i, f, iv = T.mastery.c, T.imports.c, T.frameworks.c, T.interventions.c
    sn = T.mastery_snapshots.c
    stmt = sa.select(
        sa.select(sa.func.count()).where(m.model == model).scalar_subquery(),
        sa.select(sa.func.min(m.as_of)).where(m.model == model).scalar_subquery(),
        sa.select(sa.func.max(m.as_of)).where(m.model == model).scalar_subquery(),
        sa.select(sa.func.sum(m.n_standards)).where(m.model == model).scalar_subquery(),
        sa.select(sa.func.max(i.id)).scalar_subquery(),
        sa.select(sa.func.max(f.id)).where(f.active.is_(True)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(T.interventions).scalar_subquery(),
        sa.select(sa.func.max(iv.id)).scalar_subquery(),
        # the class's mastery over time is drawn from the snapshots
        sa.select(sa.func.count()).where(sn.model == model).scalar_subquery(),
        sa.select(sa.func.max(sn.as_of)).where(sn.model == model).scalar_subquery(),
    )
    with store.engine.connect() as conn:
        row = conn.execute(stmt).one()
    text = "|".join(str(v) for v in (model, *row))
    return hashlib.sha1(text.encode()).hexdigest()


def _json(value: Any) -> str:
    return json.dumps(value, default=_plain, separators=(",", ":"))


def _plain(x: Any) -> Any:
    """numpy scalars and dates, which the views' dicts may hold, as JSON values."""
    if hasattr(x, "item"):
        return x.item()
    if isinstance(x, dt.date | dt.datetime):
        return x.isoformat()
    if isinstance(x, set | frozenset):
        return sorted(x)
    return str(x)


def view_ids(view: Any) -> dict[str, list[Any]]:
    """What is stored beside a view (column ``named_ids``): the ids it names by kind
    (:func:`sounding.access.disclosure.named_ids`, what redaction checks) and ``logged``,
    the students a read of it records (``Context.finish``'s default)."""
    from sounding.access.disclosure import named_ids
    from sounding.services.context import student_ids_in

    return {**named_ids(view), "logged": student_ids_in(view)}


def load_entry(store: Any, kind: str, object_id: str, variant: str,
               version: str) -> tuple[Any, dict[str, list[Any]]] | None:
    """The stored view and its ids (:func:`view_ids`), or None when missing or made from
    other inputs."""
    got = _load(store, kind, object_id, variant, version)
    return None if got is None else got[0]


def _load(store: Any, kind: str, object_id: Any, variant: str,
          version: str) -> tuple[tuple[Any, dict[str, list[Any]]], int] | None:
    """(view, ids) and the size of the view's JSON, or None."""
    v = T.stored_views.c
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(v.version, v.payload, v.named_ids).where(
            v.kind == kind, v.object_id == str(object_id), v.variant == variant)).first()
    entry = _entry(row, version)
    return None if entry is None else (entry, len(row.payload))


def _entry(row: Any, version: str) -> tuple[Any, dict[str, list[Any]]] | None:
    if row is None or row.version != version:
        return None
    view = json.loads(row.payload)
    return view, (json.loads(row.named_ids) if row.named_ids else view_ids(view))


def load_view(store: Any, kind: str, object_id: str, variant: str,
              version: str) -> Any | None:
    """The stored view, or None when missing or made from other inputs."""
    entry = load_entry(store, kind, object_id, variant, version)
    return None if entry is None else entry[0]


def trimmed(ctx: Context, view: dict[str, Any], *, drop: Iterable[str] = (),
            **replace: Any) -> dict[str, Any]:
    """A shallow copy of a stored ``view`` without the keys ``drop`` and with ``replace``
    (parts cut shorter: a prefix of a list): the stored view itself is never changed.
    The copy names a subset of what the view names, so ``ctx.finish`` may still check it
    by the view's stored ids; the students it logs are then found in the copy (or given
    by the caller)."""
    drop = set(drop)
    out = {k: v for k, v in view.items() if k not in drop}
    out.update(replace)
    ids = ctx.stored_ids_of(view)
    if ids is not None:
        ctx.stored_ids(out, {**ids, "logged": None})
    return out


def prefetch(ctx: Context, object_id: Any, wanted: Iterable[tuple[str, str]], *,
             model: str = "graph") -> int:
    """Read the stored views ``(kind, variant)`` of one object in one SELECT, for the
    :func:`persisted` calls that follow in this request (a class page reads five views of
    its class: one round trip instead of five). Loads only; each service still checks
    access before it uses one. Returns how many current views were found."""
    version = ctx.memo(f"inputs_version:{model}", lambda: inputs_version(ctx.store, model))
    shared = getattr(ctx.cache, "stored_entries", None)
    want = {(k, var) for k, var in wanted
            if shared is None or shared.get(_key(k, object_id, var, version)) is None}
    if not want:
        return 0
    v = T.stored_views.c
    with ctx.store.engine.connect() as conn:
        rows = conn.execute(sa.select(v.kind, v.variant, v.version, v.payload, v.named_ids)
                            .where(v.object_id == str(object_id),
                                   v.kind.in_(sorted({k for k, _ in want})))).all()
    found = 0
    for row in rows:
        if (row.kind, row.variant) in want:
            entry = _entry(row, version)
            if entry is not None:
                key = _key(row.kind, object_id, row.variant, version)
                ctx.cache[key] = entry
                if shared is not None:
                    shared.put(key, entry, len(row.payload))
                found += 1
    return found


def _key(kind: str, object_id: Any, variant: str, version: str) -> str:
    return f"stored|{kind}|{object_id}|{variant}|{version}"


class EntryCache:
    """Parsed stored views (and their ids) kept by a server process, least recently used
    dropped first once their JSON passes ``max_bytes``.

    Why: a class page's five views are ~330 kB of JSON; reading and parsing them was
    about a third of the page's CPU, for views that change only when the inputs do (the
    key holds the inputs' version, so a re-fit or import is never served from here). The
    objects are shared by concurrent requests, so no one may change them (see
    :func:`persisted`)."""

    def __init__(self, max_bytes: int = 64_000_000) -> None:
        import threading
        from collections import OrderedDict

        self.max_bytes = max_bytes
        self._data: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            self._data.move_to_end(key)
            return hit[0]

    def put(self, key: str, entry: tuple[Any, dict[str, Any]], size: int) -> None:
        """Keep ``entry`` (view, ids) whose JSON is ``size`` bytes."""
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[key] = (entry, size)
            self._bytes += size
            while self._bytes > self.max_bytes and len(self._data) > 1:
                _, (_, n) = self._data.popitem(last=False)
                self._bytes -= n

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0


def save_views(store: Any, rows: Iterable[tuple[str, str, str, Any]], version: str, *,
               replace_kinds: Iterable[str] = ()) -> int:
    """Store ``(kind, object_id, variant, view)`` rows made from inputs ``version``, in one
    transaction; ``replace_kinds`` are cleared first (a full rebuild drops views of objects
    that no longer exist). Returns the number of rows written."""
    now = dt.datetime.now()
    recs = []
    for k, o, var, view in rows:
        payload = _json(view)
        recs.append({"kind": k, "object_id": str(o), "variant": var, "version": version,
                     "computed_at": now, "payload": payload,
                     # the ids of the view as read back (the JSON round trip)
                     "named_ids": _json(view_ids(json.loads(payload)))})
    v = T.stored_views.c
    kinds = list(replace_kinds)
    with store.engine.begin() as conn:
        if kinds:
            conn.execute(T.stored_views.delete().where(v.kind.in_(kinds)))
        else:
            groups: dict[tuple[str, str], list[str]] = {}
            for r in recs:
                groups.setdefault((r["kind"], r["variant"]), []).append(r["object_id"])
            for (kind, variant), ids in groups.items():
                for i in range(0, len(ids), 900):
                    conn.execute(T.stored_views.delete().where(
                        v.kind == kind, v.variant == variant, v.object_id.in_(ids[i:i + 900])))
        for i in range(0, len(recs), 2000):
            conn.execute(T.stored_views.insert(), recs[i:i + 2000])
    return len(recs)


def persisted(ctx: Context, kind: str, object_id: Any, variant: str,
              compute: Callable[[Context], Any], *, model: str = "graph") -> Any:
    """The operator's view ``kind`` of ``object_id``: stored if current, else computed with
    ``compute(operator_context)`` and stored. The caller checks access first and redacts
    after (``ctx.require`` ... ``ctx.finish``). NotFound from ``compute`` passes through.

    The ids the view names are handed to ``ctx.finish`` (:meth:`Context.stored_ids`):
    when every one is inside the principal's scope, ``finish`` returns the view itself
    instead of a redacted copy. In the web app the view object is shared by the worker's
    requests (``ctx.cache.stored_entries``, an LRU of parsed views): callers never change
    it; :func:`trimmed` makes the copy a service returns with parts left out."""
    version = ctx.memo(f"inputs_version:{model}", lambda: inputs_version(ctx.store, model))
    key = _key(kind, object_id, variant, version)
    shared = getattr(ctx.cache, "stored_entries", None)  # the web app's, across requests
    entry = ctx.cache.pop(key, None)  # prefetched
    if entry is None and shared is not None:
        entry = shared.get(key)
    if entry is None:
        got = _load(ctx.store, kind, str(object_id), variant, version)
        if got is not None:
            entry = got[0]
            if shared is not None:
                shared.put(key, entry, got[1])
    if entry is None:
        fresh = json.loads(_json(compute(ctx.operator_context())))
        try:
            save_views(ctx.store, [(kind, str(object_id), variant, fresh)], version)
        except sa.exc.IntegrityError:  # another worker stored it meanwhile: same inputs
            pass
        entry = fresh, view_ids(fresh)
    view, ids = entry
    ctx.stored_ids(view, ids)  # so ctx.finish checks these ids instead of walking the view
    return view


# -- building them all at plan time ----------------------------------------------------------

#: (kind, variant, compute(operator_context, object_id)) per class, filled in by the service
#: modules (mastery, planning, progress) so the compute code exists once.
CLASS_VIEWS: dict[str, tuple[str, Callable[[Context, str], Any]]] = {}
STUDENT_VIEWS: dict[str, tuple[str, Callable[[Context, str], Any]]] = {}
SCHOOL_VIEWS: dict[str, tuple[str, Callable[[Context, str], Any]]] = {}


def persist_views(store: Any, *, model: str = "graph", seed: dict[str, Any] | None = None,
                  on_progress: Callable[[str], None] | None = None,
                  only: dict[str, Iterable[str]] | None = None,
                  batch: int = 500) -> dict[str, Any]:
    """Compute and store every class's, student's and school's views (the operator's), from
    the store's current inputs. Called after mastery and the plan are computed (``sounding
    plan``, the demo build). ``seed``: Context cache entries the caller already has (the
    pipeline's planning inputs). ``only``: ``{"class": ids, "student": ids, "school": ids}``
    to build just those (the others are left as they are); otherwise every object is built
    and views of objects that no longer exist are dropped. Views are written every ``batch``
    objects, so a long build is readable (and resumable) as it goes. Returns counts and
    seconds per kind."""
    import sounding.services  # noqa: F401  (registers the views of every service module)
    from sounding.services._data import mastery_source_with_icebergs, roster
    from sounding.services.snapshot_rows import snapshot_mastery

    t0 = time.perf_counter()
    snap = snapshot_mastery(store, model)
    version = inputs_version(store, model)
    op = Context.operator(store)
    op.cache.update(seed or {})
    op.cache[f"mastery:{model}"] = mastery_source_with_icebergs(op, model)
    op.cache["responses:all"] = store.responses()
    students, classes, _ = roster(op)
    src = op.cache[f"mastery:{model}"]
    class_ids = [] if classes is None else [str(c) for c in classes["class_id"]]
    student_ids = [str(s) for s in students["student_id"]]
    orgs = store.orgs()
    school_ids = sorted(orgs.loc[orgs["type"] == "school", "org_id"].astype(str))
    if only is not None:
        keep = {k: {str(i) for i in v} for k, v in only.items()}
        class_ids = [c for c in class_ids if c in keep.get("class", ())]
        student_ids = [s for s in student_ids if s in keep.get("student", ())]
        school_ids = [s for s in school_ids if s in keep.get("school", ())]
    stats: dict[str, Any] = {"version": version, "snapshot": snap,
                             "read_s": round(time.perf_counter() - t0, 1), "written": 0}
    if only is None:  # a full rebuild: views of objects gone from the roster go too
        v = T.stored_views.c
        with store.engine.begin() as conn:
            conn.execute(T.stored_views.delete().where(
                v.kind.in_([*CLASS_VIEWS, *SCHOOL_VIEWS, *STUDENT_VIEWS])))
    for table, ids in ((CLASS_VIEWS, class_ids), (SCHOOL_VIEWS, school_ids),
                       (STUDENT_VIEWS, student_ids)):
        for kind, (variant, compute) in table.items():
            t = time.perf_counter()
            n = skipped = 0
            rows: list[tuple[str, str, str, Any]] = []
            for obj in ids:
                if table is STUDENT_VIEWS and obj not in src._student_str:
                    continue
                try:
                    view = compute(op, obj)
                except (NotFound, InvalidInput):  # nothing to show for it (no scores, no
                    skipped += 1                   # grade 8): a request says why, as today
                    continue
                rows.append((kind, obj, variant, json.loads(_json(view))))
                n += 1
                if len(rows) >= batch:
                    stats["written"] += save_views(store, rows, version)
                    rows = []
            stats["written"] += save_views(store, rows, version)
            stats[kind] = {"n": n, "skipped": skipped, "s": round(time.perf_counter() - t, 1)}
            if on_progress is not None:
                on_progress(f"{kind}: {n} in {stats[kind]['s']} s")
    stats["total_s"] = round(time.perf_counter() - t0, 1)
    return stats


def prefetch_for(ctx: Context, kind: str, object_id: Any) -> int:
    """Read every stored view of a class or school (``kind``) the page is about to ask for,
    in one SELECT (:func:`prefetch`), when the principal may open the object at all (else
    nothing is read; the services then answer NotFound as usual)."""
    from sounding.access.policy import Resource

    table, resource = {"class": (CLASS_VIEWS, Resource.class_),
                       "school": (SCHOOL_VIEWS, Resource.school)}[kind]
    if not ctx.can(resource) or not ctx.reach.has(kind, object_id):
        return 0
    return prefetch(ctx, object_id, [(k, variant) for k, (variant, _) in table.items()])
