"""The Context every service takes: the store, the principal, and what is computed once.

Each service (:mod:`sounding.services`) runs the same three steps through a Context:

1. ``ctx.require(resource, obj_id)``: the policy grants the principal's role this kind of
   resource and the object is inside its scope, else :class:`~sounding.errors.NotFound`
   (404 semantics: an id outside scope cannot be told from an id that does not exist);
2. compute (whole-district computations such as the triage are cached on the Context, so a
   report's hundreds of pages pay for them once);
3. ``ctx.finish(result, ...)``: redact every part of the result to the scope, and record
   each student whose record was read in the access log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sounding.access.disclosure import all_inside, redact
from sounding.access.log import record
from sounding.access.policy import Action, Disclosure, Resource, can
from sounding.access.principal import Principal
from sounding.access.scope import Reach, resolve
from sounding.errors import NotFound


@dataclass
class Context:
    """Who is asking (``principal``) of which store, plus a per-request cache."""

    store: Any
    principal: Principal = field(default_factory=Principal.local_operator)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _reach: Reach | None = field(default=None, repr=False)
    _stored: dict[int, tuple[Any, dict[str, Any]]] = field(default_factory=dict, repr=False)

    @classmethod
    def operator(cls, store: Any) -> Context:
        """The local operator's context: everything, nothing logged."""
        return cls(store, Principal.local_operator())

    @property
    def reach(self) -> Reach:
        if self._reach is None:
            self._reach = resolve(self.store, self.principal)
        return self._reach

    @property
    def disclosure(self) -> Disclosure:
        return self.reach.disclosure

    def can(self, resource: Resource, action: Action = Action.read) -> bool:
        return can(self.principal.role, action, resource)

    def require(self, resource: Resource, obj_id: Any = None, kind: str | None = None,
                action: Action = Action.read) -> None:
        """Raise NotFound unless the role may ``action`` this resource kind and ``obj_id``
        (of ``kind``, default the resource's own) is in scope."""
        from sounding.access.policy import SCOPED_BY

        kind = kind if kind is not None else SCOPED_BY[resource]
        label = kind or resource.value
        if not self.can(resource, action):
            raise NotFound(_not_found(label, obj_id))
        if kind is not None and obj_id is not None and not self.reach.has(kind, obj_id):
            raise NotFound(_not_found(label, obj_id))

    def finish(self, result: Any, *, action: str, resource: Resource, obj_id: Any,
               students: Any = None) -> Any:
        """``result`` redacted to the scope; the students read (``students``, default every
        ``student_id`` left in the result) written to the access log.

        A stored view (:func:`sounding.services.stored.persisted`) comes with the ids it
        names: when all are inside the scope, redaction would change nothing, so the view
        is returned as it is (a teacher's own class: no walk and no copy of a 240 kB
        plan); otherwise it is redacted like any result."""
        out, logged = None, None
        hit = self._stored.pop(id(result), None)
        if hit is not None and hit[0] is result and all_inside(hit[1], self.reach):
            out, logged = result, hit[1].get("logged")
        else:
            out = redact(result, self.reach)
        if self.disclosure.student_rows:
            if students is not None:
                ids = students
            else:
                ids = logged if logged is not None else student_ids_in(out)
            record(self.store, self.principal, action, resource.value, obj_id,
                   self.reach.keep("student", ids))
        return out

    def stored_ids(self, view: Any, ids: dict[str, Any]) -> None:
        """Note the ids a stored view names (see :meth:`finish`); the view object is held
        with them, so its ``id()`` cannot be reused by another object meanwhile."""
        self._stored[id(view)] = (view, ids)

    def stored_ids_of(self, view: Any) -> dict[str, Any] | None:
        """The ids noted for ``view`` by :meth:`stored_ids`, if any."""
        hit = self._stored.get(id(view))
        return hit[1] if hit is not None and hit[0] is view else None

    def operator_context(self) -> Context:
        """The local operator's Context over the same store, sharing what does not depend
        on who asks (the web app's cache offers ``for_principal``; a plain dict shares its
        whole-district entries, not the scope-limited mastery source). Stored views are
        computed this way, then redacted to the asking principal. A principal who reaches
        everything is its own operator context (same sources); the operator context is
        made once per Context, so a report's many views share its mastery source."""
        if self.reach.everything:
            return self
        if "_operator_context" not in self.cache:
            op = Principal.local_operator()
            make = getattr(self.cache, "for_principal", None)
            if make is not None:
                cache = make(op)
            else:
                cache = {k: v for k, v in self.cache.items()
                         if not str(k).startswith(("mastery:", "_operator"))}
            self.cache["_operator_context"] = Context(self.store, op, cache=cache)
        return self.cache["_operator_context"]

    def memo(self, key: str, make: Any) -> Any:
        """``make()`` once per Context (whole-district computations); a cache with its own
        ``memo`` (the web app's, shared by concurrent requests) makes it once for all."""
        shared_memo = getattr(self.cache, "memo", None)
        if shared_memo is not None:
            return shared_memo(key, make)
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]


def _not_found(kind: str, obj_id: Any) -> str:
    return f"no {kind} {obj_id!r}" if obj_id is not None else f"no {kind}"


def student_ids_in(data: Any) -> list[str]:
    """Every ``student_id`` value and every id in a ``students`` list inside ``data``."""
    out: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "student_id" and v is not None and not isinstance(v, dict | list):
                    out.append(str(v))
                elif k == "students" and isinstance(v, list):
                    for s in v:
                        if isinstance(s, dict):
                            walk(s)
                        elif s is not None:
                            out.append(str(s))
                else:
                    walk(v)
        elif isinstance(x, list | tuple):
            for v in x:
                walk(v)

    walk(data)
    return list(dict.fromkeys(out))
