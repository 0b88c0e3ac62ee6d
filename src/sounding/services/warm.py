"""Warming a server process: the whole-district reads every page needs, made before the
first request (and again before they expire) instead of by whoever comes first.

Why: a worker process starts with an empty cache; the first class or student page it
served read the roster (0.5 s on 20,000 students), the progression (0.2 s) and the inputs'
version (0.1 s) while every other request to that worker queued behind it, and so did the
first page after each cache expiry. :func:`warm` makes them as the local operator through
the app's shared cache (they do not depend on who asks; pages cut them to scope).
"""

from __future__ import annotations

import time
from typing import Any

from sounding.services._data import graph, roster
from sounding.services.context import Context


def warm(ctx: Context, *, model: str = "graph", refresh: bool = False) -> dict[str, float]:
    """Make the shared reads on ``ctx``'s cache (an operator Context over the app's cache);
    ``refresh``: remake them even when cached (the app calls this before they expire, so
    no request finds them expired). Returns seconds per read."""
    from sounding.services.stored import inputs_version

    makers: dict[str, Any] = {
        "graph": lambda: ctx.store.progression().k8_algebra1(),
        "roster": lambda: _roster_now(ctx),
        f"inputs_version:{model}": lambda: inputs_version(ctx.store, model),
    }
    out: dict[str, float] = {}
    for key, make in makers.items():
        t = time.perf_counter()
        if refresh:
            ctx.cache[key] = make()  # the shared cache's put: replaces, resets the clock
        elif key == "graph":
            graph(ctx)
        elif key == "roster":
            roster(ctx)
        else:
            ctx.memo(key, make)
        out[key] = round(time.perf_counter() - t, 3)
    return out


def _roster_now(ctx: Context) -> Any:
    """The roster read afresh (not through the memo, which would return the cached one)."""
    return roster(Context(ctx.store, ctx.principal))
