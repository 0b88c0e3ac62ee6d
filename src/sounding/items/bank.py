"""The item bank: every standard's templates, items by id, and their calibration.

Calibration starts from the progression (a standard's difficulty grows with its grade and
with how deep it sits in the prerequisite graph; conceptual and application items a little
harder than procedural ones) and is replaced by estimates from responses
(:mod:`sounding.items.calibration`), stored as JSON next to the bank.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sounding.core.resources import packaged_or_given_json
from sounding.errors import InvalidInput, NotFound
from sounding.items.catalogue import registered
from sounding.items.model import Item, Template
from sounding.progression import StandardsGraph, load_default

_KIND_SHIFT = {"procedural": -0.2, "conceptual": 0.1, "application": 0.2}
CALIBRATION_FILE = "calibration.json"


def initial_calibration(graph: StandardsGraph, code: str, kind: str) -> tuple[float, float]:
    """``(difficulty, discrimination)`` before any data: the grade, the prerequisite depth."""
    s = graph[code]
    depth = len(graph.prerequisites(code, transitive=True))
    difficulty = -2.0 + 0.45 * s.grade_num + 0.01 * min(depth, 60) + _KIND_SHIFT[kind]
    return round(difficulty, 3), 1.0


@dataclass
class ItemBank:
    """Templates for every standard of ``graph`` (standard level)."""

    graph: StandardsGraph
    templates: dict[str, list[Template]] = field(default_factory=dict)

    @classmethod
    def default(cls, graph: StandardsGraph | None = None, *,
                calibrated: bool = True) -> ItemBank:
        """The shipped bank over the K-8 + Algebra I progression (with its calibration)."""
        graph = graph or load_default().k8_algebra1()
        reg = registered()
        temps: dict[str, list[Template]] = {}
        for code in graph.standard_codes:
            for t in reg.get(code, []):
                d, a = initial_calibration(graph, code, t.kind)
                temps.setdefault(code, []).append(t.with_calibration(d, a))
        bank = cls(graph, temps)
        if calibrated:
            bank.load_calibration()
        return bank

    # ------------------------------------------------------------------ lookup
    @property
    def standards(self) -> tuple[str, ...]:
        return tuple(c for c in self.graph.standard_codes if c in self.templates)

    def missing_standards(self) -> list[str]:
        return [c for c in self.graph.standard_codes if not self.templates.get(c)]

    def __iter__(self) -> Iterator[Template]:
        for code in self.graph.standard_codes:
            yield from self.templates.get(code, [])

    def __len__(self) -> int:
        return sum(len(v) for v in self.templates.values())

    def template(self, template_id: str) -> Template:
        code = template_id.rsplit("/", 1)[0]
        for t in self.templates.get(code, []):
            if t.template_id == template_id:
                return t
        raise NotFound(f"no item template {template_id!r}")

    def item(self, item_id: str) -> Item:
        """Regenerate an item from its id (``<template_id>~<seed>``)."""
        tid, sep, seed = item_id.rpartition("~")
        if not sep or not seed.lstrip("-").isdigit():
            raise InvalidInput(f"not an item id: {item_id!r}")
        return self.template(tid).generate(int(seed))

    def generate(self, standard: str, seed: int, kind: str | None = None) -> Item:
        """An item on ``standard``: template chosen by the seed (of ``kind`` when given)."""
        code = self._code(standard)
        temps = [t for t in self.templates[code] if kind is None or t.kind == kind] or \
            self.templates[code]
        return temps[seed % len(temps)].generate(seed)

    def sample(self, standard: str, n: int = 3, seed: int = 0) -> list[Item]:
        """``n`` items of a standard, cycling through its templates."""
        code = self._code(standard)
        temps = self.templates[code]
        return [temps[i % len(temps)].generate(seed + i) for i in range(n)]

    def _code(self, standard: str) -> str:
        if standard in self.templates:
            return standard
        if standard in self.graph and self.graph.rollup(standard) in self.templates:
            return self.graph.rollup(standard)
        raise NotFound(f"no items for standard {standard!r}")

    # ------------------------------------------------------------------ calibration
    def calibration(self) -> dict[str, dict[str, float]]:
        return {t.template_id: {"difficulty": t.difficulty, "discrimination": t.discrimination}
                for t in self}

    def set_calibration(self, table: dict[str, dict[str, float]]) -> None:
        for code, temps in self.templates.items():
            self.templates[code] = [
                t.with_calibration(table[t.template_id]["difficulty"],
                                   table[t.template_id]["discrimination"])
                if t.template_id in table else t for t in temps]

    def load_calibration(self, path: str | Path | None = None) -> bool:
        """Apply a calibration file (default: the shipped one); False when there is none."""
        d = packaged_or_given_json("sounding.items", CALIBRATION_FILE, path)
        if d is None:
            return False
        self.set_calibration(d["templates"])
        return True
