"""The template registry: ``@template(code, kind)`` binds a generator to a standard."""

from __future__ import annotations

from collections.abc import Callable
from random import Random

from sounding.items.model import KINDS, Draft, Template

_TEMPLATES: dict[str, list[Template]] = {}


def template(code: str, kind: str) -> Callable[[Callable[[Random], Draft]],
                                                Callable[[Random], Draft]]:
    """Register ``fn`` as a template for standard ``code`` (id ``<code>/<n>``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown item kind {kind!r}")

    def deco(fn: Callable[[Random], Draft]) -> Callable[[Random], Draft]:
        lst = _TEMPLATES.setdefault(code, [])
        lst.append(Template(f"{code}/{len(lst) + 1}", code, kind, fn))
        return fn

    return deco


def registrations() -> dict[str, list[Template]]:
    """The templates registered so far (:func:`sounding.items.catalogue.registered` imports
    every template module first)."""
    return _TEMPLATES
