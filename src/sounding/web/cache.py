"""A cache shared by the requests of one process, for what does not depend on who asks.

The services memoise whole-district computations on their Context (the roster, the
progression, the planning inputs, the triage, the growth tables): each is computed over
everyone and cut to the principal's scope afterwards, so one copy serves every principal.
Keys that do depend on the principal (the scope-limited mastery source) stay per request.
Entries expire after ``ttl`` seconds, so a re-import or re-fit shows up without a restart.
"""

from __future__ import annotations

import threading
import time
from typing import Any

#: Context.memo keys (prefixes) computed over the whole district, whoever asks.
SHARED_PREFIXES = ("graph", "roster", "planning_inputs", "triage:", "growth_frames",
                   "growth:", "inputs_version:")


class SharedCache:
    """The app-wide part of every request's cache (thread-safe, time-limited)."""

    def __init__(self, ttl: float = 600.0) -> None:
        import os

        from sounding.services.stored import EntryCache

        self.ttl = ttl
        #: parsed stored views by (kind, object, variant, inputs version), shared by every
        #: request of the process (sounding.services.stored.persisted); at most
        #: SOUNDING_VIEW_CACHE_MB of their JSON (default 64: about 240 MB of Python objects
        #: per worker when full)
        mb = float(os.environ.get("SOUNDING_VIEW_CACHE_MB", "64"))
        self.stored_entries = EntryCache(int(mb * 1_000_000))
        self._data: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._purged = time.monotonic()
        self._making: dict[str, threading.Lock] = {}

    def get_or_make(self, key: str, make: Any) -> Any:
        """The entry, made by one thread only: concurrent requests for a key being made
        wait for it (without this, fifty first requests each built the whole district's
        planning inputs at once and the worker ran out of memory)."""
        hit, value = self.get(key)
        if hit:
            return value
        with self._lock:
            lock = self._making.setdefault(key, threading.Lock())
        with lock:
            hit, value = self.get(key)
            if hit:
                return value
            value = make()
            self.put(key, value)
            return value

    def get(self, key: str) -> tuple[bool, Any]:
        with self._lock:
            hit = self._data.get(key)
        if hit is None or time.monotonic() - hit[0] > self.ttl:
            return False, None
        return True, hit[1]

    def put(self, key: str, value: Any) -> None:
        now = time.monotonic()
        with self._lock:
            self._data[key] = (now, value)
            if now - self._purged > 60:  # entries past their time go, so a long-running
                self._purged = now        # worker does not keep every principal's results
                for k in [k for k, (t, _) in self._data.items() if now - t > self.ttl]:
                    del self._data[k]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
        self.stored_entries.clear()


def shared(key: str) -> bool:
    return key == "graph" or key == "roster" or key == "planning_inputs" or any(
        key.startswith(p) for p in SHARED_PREFIXES if p.endswith(":")) or key == "growth_frames"


#: Context.memo keys that depend on who asks (the scope-limited mastery source): cached per
#: principal (user, role and scope), so a teacher's next page reuses their own.
PER_PRINCIPAL_PREFIXES = ("mastery:",)


class RequestCache(dict):
    """One request's Context.cache: shared keys go to the app's SharedCache, keys that
    depend on the principal go there too under the principal's identity."""

    def __init__(self, app_cache: SharedCache, principal: Any = None) -> None:
        super().__init__()
        self._app = app_cache
        self._who = None if principal is None else repr(principal)

    @property
    def stored_entries(self) -> Any:
        """The app's parsed stored views (see :class:`SharedCache`)."""
        return self._app.stored_entries

    def for_principal(self, principal: Any) -> RequestCache:
        """The cache of another principal's Context in this request (the operator's, which
        computes the stored views), over the same app cache."""
        return RequestCache(self._app, principal)

    def _app_key(self, key: object) -> str | None:
        if not isinstance(key, str):
            return None
        if shared(key):
            return key
        if self._who is not None and key.startswith(PER_PRINCIPAL_PREFIXES):
            return f"{self._who}|{key}"
        return None

    def memo(self, key: str, make: Any) -> Any:
        """``Context.memo`` through the app cache: shared and per-principal keys are made
        once across concurrent requests (see :meth:`SharedCache.get_or_make`)."""
        if super().__contains__(key):
            return super().__getitem__(key)
        app_key = self._app_key(key)
        value = make() if app_key is None else self._app.get_or_make(app_key, make)
        super().__setitem__(key, value)
        return value

    def __contains__(self, key: object) -> bool:
        app_key = self._app_key(key)
        if app_key is not None:
            if super().__contains__(key):
                return True
            hit, value = self._app.get(app_key)
            if hit:
                super().__setitem__(key, value)
            return hit
        return super().__contains__(key)

    def __setitem__(self, key: str, value: Any) -> None:
        app_key = self._app_key(key)
        if app_key is not None:
            self._app.put(app_key, value)
        super().__setitem__(key, value)


#: Services whose redacted results a principal may get again from the cache (for
#: RESULT_TTL seconds). Each logs, on a fresh call, exactly the students named in its result
#: (``Context.finish``'s default, [the student] for student_view, none for the growth
#: tables, which name none), so a cache hit writes the same access-log rows itself: every
#: read is still recorded.
CACHED_RESULTS = frozenset({"class_view", "class_plan", "groups", "student_view",
                            "school_plan", "readiness", "district_plan", "school_growth",
                            "district_growth"})
RESULT_TTL = 60.0


def cached(ctx: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(ctx, *args, **kwargs)``, reused for the same principal within RESULT_TTL."""
    from sounding.access.log import record
    from sounding.services.context import student_ids_in

    cache = ctx.cache
    app = getattr(cache, "_app", None)
    who = getattr(cache, "_who", None)
    if fn.__name__ not in CACHED_RESULTS or app is None or who is None:
        return fn(ctx, *args, **kwargs)
    key = f"result|{who}|{fn.__name__}|{args!r}|{sorted(kwargs.items())!r}"
    hit, value = app.get(key)
    if hit and time.monotonic() - value[0] <= RESULT_TTL:
        result = value[1]
        if ctx.disclosure.student_rows:
            if value[2] is None:  # the students a hit logs, found once per cached result
                value[2] = student_ids_in(result)
            ids = value[2]
            svc = fn.service
            record(ctx.store, ctx.principal, fn.__name__, svc.resource.value,
                   args[0] if args else None, ctx.reach.keep("student", ids))
        return result
    result = fn(ctx, *args, **kwargs)
    app.put(key, [time.monotonic(), result, None])
    return result


#: Seconds a principal's resolved scope is reused by their next requests (the same as a
#: cached result's: a roster change reaches a signed-in user's pages within RESULT_TTL).
REACH_TTL = RESULT_TTL


def request_context(request: Any, who: Any) -> Any:
    """The services' Context for one request: the app's shared cache, and the principal's
    scope (:class:`~sounding.access.scope.Reach`) reused for :data:`REACH_TTL` seconds.

    Why the scope is reused: resolving it is a few SQL queries, and a school-based scope
    answers "are these 500 students inside?" by a union query (20-80 ms on PostgreSQL
    with 20,000 students) that every school page asked again, cached result or not; the
    reused Reach remembers the answers. The policy is unchanged: the same Reach object is
    what every service checks against, only not re-read from the roster within the TTL
    (the account itself is re-read on every request, so a deactivated account is out at
    once)."""
    from sounding.access.scope import resolve
    from sounding.services import Context

    app_cache: SharedCache = request.app.state.cache
    store = request.app.state.store
    key = f"reach|{who!r}"
    hit, value = app_cache.get(key)
    if hit and time.monotonic() - value[0] <= REACH_TTL:
        reach = value[1]
    else:
        reach = resolve(store, who)
        app_cache.put(key, (time.monotonic(), reach))
    ctx = Context(store, who, cache=RequestCache(app_cache, who))
    ctx._reach = reach
    return ctx
