"""The list of services: every read the faces may make, with the object it is about.

``@service(resource, target=...)`` registers a function; :data:`SERVICES` is what the access
sweep (``tests/services/test_access_sweep.py``) iterates over, so a new service is checked
for every role and for objects inside and outside scope without anyone remembering to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sounding.access.policy import SCOPED_BY, Resource


@dataclass(frozen=True)
class Service:
    name: str
    fn: Callable[..., Any]
    resource: Resource
    target: str | None       # the parameter naming the object, e.g. "class_id"
    kind: str | None         # the id kind of that object ("class"), None for listings
    student_rows: bool       # whether results may name students (needs Disclosure.student_rows)


#: Every registered service, in definition order.
SERVICES: dict[str, Service] = {}


def service(resource: Resource, *, target: str | None = None,
            student_rows: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a service reading ``resource``; ``target`` names its object parameter."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        kind = SCOPED_BY[resource] if target is not None else None
        SERVICES[fn.__name__] = Service(fn.__name__, fn, resource, target, kind, student_rows)
        fn.service = SERVICES[fn.__name__]  # type: ignore[attr-defined]
        return fn

    return wrap
