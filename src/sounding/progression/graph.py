"""The standards graph: CCSS-M standards and sub-standards joined by prerequisite edges.

Everything downstream (mastery, planning, growth on the progression) asks this graph the same
few questions: what does a standard rest on, what does it unlock, which grade and strand is it
in. Two levels exist because the Coherence Map attaches many edges to sub-standards
(``4.NF.B.3a -> 5.NF.A.1``) while evidence and plans usually speak of whole standards
(``4.NF.B.3``): the *standard* level rolls every sub-standard into its parent, the *substandard*
level keeps the map as published.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

from sounding.errors import InvalidFramework, NotFound, Problem

Level = Literal["standard", "substandard"]
LEVELS: tuple[Level, ...] = ("standard", "substandard")

GRADE_LABELS: tuple[str, ...] = ("K", "1", "2", "3", "4", "5", "6", "7", "8", "HS")
HS = 9

#: High-school domains that make up the Algebra I course (configurable per district).
ALGEBRA1_DOMAINS: tuple[str, ...] = (
    "A-SSE",
    "A-APR",
    "A-CED",
    "A-REI",
    "F-IF",
    "F-BF",
    "F-LE",
    "N-RN",
    "N-Q",
    "S-ID",
)

#: Domain strands: progressions across grades that let us say "grade 4 level in fractions".
STRANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "number": ("Counting, place value and whole-number operations", ("CC", "NBT")),
    "algebraic": (
        "Operations, expressions and equations",
        ("OA", "EE", "A-SSE", "A-APR", "A-CED", "A-REI"),
    ),
    "fractions": (
        "Fractions, ratios and rational numbers",
        ("NF", "RP", "NS", "N-RN", "N-Q", "N-CN", "N-VM"),
    ),
    "functions": ("Functions", ("F", "F-IF", "F-BF", "F-LE", "F-TF")),
    "data": (
        "Measurement, data, statistics and probability",
        ("MD", "SP", "S-ID", "S-IC", "S-CP", "S-MD"),
    ),
    "geometry": ("Geometry", ("G", "G-CO", "G-SRT", "G-C", "G-GPE", "G-GMD", "G-MG")),
}
_DOMAIN_TO_STRAND = {d: s for s, (_, ds) in STRANDS.items() for d in ds}

_SUB_RE = re.compile(r"^(.*\.\d+)([a-z])$")
_CHUNK_RE = re.compile(r"(\d+)")


def grade_number(grade: str | int) -> int:
    """Map a grade spelled any common way (K, KG, 00, 4, 04, HS, 9..12) to 0..9 (9 = HS)."""
    if isinstance(grade, int):
        if 0 <= grade <= 12:
            return min(grade, HS)
        raise ValueError(f"grade out of range: {grade!r}")
    g = str(grade).strip().upper()
    if g in ("K", "KG", "0", "00"):
        return 0
    if g in ("HS", "HIGH SCHOOL"):
        return HS
    if g.isdigit() and 0 <= int(g) <= 12:
        return min(int(g), HS)
    raise ValueError(f"not a grade: {grade!r}")


def grade_label(num: int) -> str:
    return GRADE_LABELS[num]


def code_sort_key(code: str) -> tuple:
    """Natural order for codes, so 4.NF.B.10 sorts after 4.NF.B.9."""
    return tuple(int(c) if c.isdigit() else c for c in _CHUNK_RE.split(code) if c)


def strand_of(domain_code: str) -> str:
    return _DOMAIN_TO_STRAND.get(domain_code, "other")


@dataclass(frozen=True)
class Standard:
    """One node of the progression: a standard or a sub-standard (``parent`` is set)."""

    code: str
    grade: str
    domain_code: str
    domain_name: str = ""
    cluster_code: str = ""
    cluster_name: str = ""
    emphasis: str | None = None  # major | supporting | additional | None (unknown)
    text: str = ""
    parent: str | None = None
    ccss_id: str | None = None
    is_algebra1: bool = False
    #: Footnotes of the published text, kept apart so they never read as part of the sentence.
    footnotes: tuple[str, ...] = field(default=(), compare=False)
    extra: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def grade_num(self) -> int:
        return grade_number(self.grade)

    @property
    def strand(self) -> str:
        return strand_of(self.domain_code)

    @property
    def is_substandard(self) -> bool:
        return self.parent is not None

    @property
    def is_major(self) -> bool:
        return self.emphasis == "major"

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "grade": self.grade,
            "grade_num": self.grade_num,
            "domain_code": self.domain_code,
            "domain_name": self.domain_name,
            "cluster_code": self.cluster_code,
            "cluster_name": self.cluster_name,
            "emphasis": self.emphasis,
            "strand": self.strand,
            "text": self.text,
            "parent": self.parent,
            "is_algebra1": self.is_algebra1,
            "footnotes": list(self.footnotes),
        }


class StandardsGraph:
    """A validated DAG of standards.

    Parameters
    ----------
    standards : iterable of Standard
        The nodes; codes must be unique and every ``parent`` must be a node.
    edges : iterable of (from_code, to_code)
        Prerequisite edges, ``from`` being the earlier standard.
    name : str
        A label for messages and exports.
    source : str
        Where the graph came from (a file name), used in error messages.

    Raises
    ------
    InvalidFramework
        When a code repeats, an edge names an unknown code, an edge runs from a later grade to
        an earlier one, or the edges (at either level) contain a cycle.
    """

    def __init__(
        self,
        standards: Iterable[Standard],
        edges: Iterable[tuple[str, str]],
        *,
        name: str = "progression",
        source: str = "<graph>",
    ) -> None:
        self.name = name
        self.source = source
        nodes: dict[str, Standard] = {}
        problems: list[Problem] = []
        for s in standards:
            if s.code in nodes:
                problems.append(Problem(source, None, s.code, "duplicate standard code"))
            nodes[s.code] = s
        for s in nodes.values():
            if s.parent is not None and s.parent not in nodes:
                problems.append(
                    Problem(source, None, s.code, f"parent {s.parent!r} is not a standard")
                )
        edge_list: list[tuple[str, str]] = []
        seen: set[tuple[str, str]] = set()
        for a, b in edges:
            if a not in nodes or b not in nodes:
                missing = a if a not in nodes else b
                problems.append(
                    Problem(source, None, f"{a} -> {b}", f"unknown standard {missing!r}")
                )
                continue
            if a == b:
                problems.append(
                    Problem(source, None, f"{a} -> {b}", "a standard cannot precede itself")
                )
                continue
            if nodes[a].grade_num > nodes[b].grade_num:
                problems.append(
                    Problem(
                        source,
                        None,
                        f"{a} -> {b}",
                        f"prerequisite in grade {nodes[a].grade} for a grade "
                        f"{nodes[b].grade} standard (edges must go to the same or a later grade)",
                    )
                )
                continue
            if (a, b) not in seen:
                seen.add((a, b))
                edge_list.append((a, b))
        if problems:
            raise InvalidFramework(problems)
        self._nodes = nodes
        self._edges = {"substandard": edge_list}
        rolled: list[tuple[str, str]] = []
        rseen: set[tuple[str, str]] = set()
        for a, b in edge_list:
            ra, rb = self.rollup(a), self.rollup(b)
            if ra != rb and (ra, rb) not in rseen:
                rseen.add((ra, rb))
                rolled.append((ra, rb))
        self._edges["standard"] = rolled
        self._pre: dict[Level, dict[str, list[str]]] = {}
        self._succ: dict[Level, dict[str, list[str]]] = {}
        for level in LEVELS:
            pre: dict[str, list[str]] = {c: [] for c in self._level_codes(level)}
            succ: dict[str, list[str]] = {c: [] for c in self._level_codes(level)}
            for a, b in self._edges[level]:
                pre[b].append(a)
                succ[a].append(b)
            for d in (pre, succ):
                for c in d:
                    d[c].sort(key=self._order_key)
            self._pre[level], self._succ[level] = pre, succ
        self._topo = {level: self._toposort(level) for level in LEVELS}

    # ------------------------------------------------------------------ basic access
    def __contains__(self, code: object) -> bool:
        return code in self._nodes

    def __getitem__(self, code: str) -> Standard:
        try:
            return self._nodes[code]
        except KeyError:
            raise NotFound(f"unknown standard {code!r} in {self.name}") from None

    def __iter__(self) -> Iterator[Standard]:
        return iter(self._nodes[c] for c in self.codes)

    def __len__(self) -> int:
        return len(self._nodes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StandardsGraph):
            return NotImplemented
        return self._nodes == other._nodes and set(self._edges["substandard"]) == set(
            other._edges["substandard"]
        )

    __hash__ = None  # type: ignore[assignment]

    def _order_key(self, code: str) -> tuple:
        return (self._nodes[code].grade_num, code_sort_key(code))

    def _level_codes(self, level: Level) -> list[str]:
        _check_level(level)
        codes = [c for c, s in self._nodes.items() if level == "substandard" or s.parent is None]
        return sorted(codes, key=self._order_key)

    @property
    def codes(self) -> tuple[str, ...]:
        """All node codes (standards and sub-standards) in topological order."""
        return tuple(self._topo["substandard"])

    @cached_property
    def standard_codes(self) -> tuple[str, ...]:
        """Codes at the roll-up level (no sub-standards), in topological order."""
        return tuple(self._topo["standard"])

    def level_codes(self, level: Level = "standard") -> tuple[str, ...]:
        return tuple(self._topo[level])

    def rollup(self, code: str) -> str:
        """The standard a sub-standard belongs to, or the code itself."""
        s = self[code]
        return s.parent if s.parent is not None else s.code

    def children(self, code: str) -> list[str]:
        """Sub-standards of a standard (empty for sub-standards and undivided standards)."""
        return [c for c in self.codes if self._nodes[c].parent == code]

    def edges(self, level: Level = "substandard") -> list[tuple[str, str]]:
        _check_level(level)
        return list(self._edges[level])

    # ------------------------------------------------------------------ queries
    def _norm(self, code: str, level: Level) -> str:
        _check_level(level)
        return self.rollup(code) if level == "standard" else self[code].code

    def prerequisites(
        self, code: str, *, level: Level = "standard", transitive: bool = False
    ) -> list[str]:
        """What ``code`` rests on: direct prerequisites, or all of them when ``transitive``."""
        return self._walk(self._norm(code, level), self._pre[level], transitive)

    def successors(
        self, code: str, *, level: Level = "standard", transitive: bool = False
    ) -> list[str]:
        """What ``code`` unlocks: standards that list it as a prerequisite."""
        return self._walk(self._norm(code, level), self._succ[level], transitive)

    def _walk(self, start: str, adj: dict[str, list[str]], transitive: bool) -> list[str]:
        if not transitive:
            return list(adj[start])
        seen: set[str] = set()
        stack = list(adj[start])
        while stack:
            c = stack.pop()
            if c not in seen:
                seen.add(c)
                stack.extend(adj[c])
        return sorted(seen, key=self._order_key)

    def below_grade_foundations(self, code: str, *, level: Level = "standard") -> list[str]:
        """Everything ``code`` rests on that is taught in an earlier grade (the iceberg)."""
        g = self[code].grade_num
        return [
            c
            for c in self.prerequisites(code, level=level, transitive=True)
            if self._nodes[c].grade_num < g
        ]

    def topological_order(self, level: Level = "standard") -> list[str]:
        return list(self._topo[level])

    def grade_codes(self, grade: str | int, *, level: Level = "standard") -> list[str]:
        g = grade_number(grade)
        return [c for c in self._topo[level] if self._nodes[c].grade_num == g]

    def strand_codes(self, strand: str, *, level: Level = "standard") -> list[str]:
        return [c for c in self._topo[level] if self._nodes[c].strand == strand]

    @cached_property
    def algebra1_codes(self) -> tuple[str, ...]:
        return tuple(c for c in self._topo["standard"] if self._nodes[c].is_algebra1)

    def path_exists(self, a: str, b: str, *, level: Level = "standard") -> bool:
        """True when ``a`` is (transitively) a prerequisite of ``b``."""
        return self._norm(a, level) in set(self.prerequisites(b, level=level, transitive=True))

    def chain(self, a: str, b: str, *, level: Level = "standard") -> list[str] | None:
        """A shortest prerequisite chain from ``a`` up to ``b`` (inclusive), or None."""
        a, b = self._norm(a, level), self._norm(b, level)
        prev: dict[str, str | None] = {a: None}
        frontier = [a]
        while frontier:
            nxt = []
            for c in frontier:
                for s in self._succ[level][c]:
                    if s not in prev:
                        prev[s] = c
                        nxt.append(s)
            frontier = nxt
            if b in prev:
                break
        if b not in prev:
            return None
        out = [b]
        while prev[out[-1]] is not None:
            out.append(prev[out[-1]])  # type: ignore[arg-type]
        return out[::-1]

    def depth_weight(self, code: str, *, level: Level = "standard") -> int:
        """How much later work rests on ``code``: its number of transitive successors."""
        return len(self.successors(code, level=level, transitive=True))

    def restrict(self, keep: Iterable[str], *, name: str | None = None) -> StandardsGraph:
        """The subgraph on ``keep`` (sub-standards of kept standards come along).

        Edges through dropped nodes are bridged so that reachability among kept nodes holds.
        """
        keep_set = set(keep)
        keep_set |= {c for c, s in self._nodes.items() if s.parent in keep_set}
        edges: set[tuple[str, str]] = set()
        for c in keep_set:
            for p in self._walk_through(c, keep_set):
                edges.add((p, c))
        std = [self._nodes[c] for c in self.codes if c in keep_set]
        return StandardsGraph(std, sorted(edges), name=name or self.name, source=self.source)

    def _walk_through(self, code: str, keep: set[str]) -> set[str]:
        """Nearest kept prerequisites of ``code``, looking through dropped nodes."""
        out: set[str] = set()
        stack = list(self._pre["substandard"][code])
        seen: set[str] = set()
        while stack:
            c = stack.pop()
            if c in seen:
                continue
            seen.add(c)
            if c in keep:
                out.add(c)
            else:
                stack.extend(self._pre["substandard"][c])
        return out

    def k8_algebra1(self) -> StandardsGraph:
        """The K-8 standards plus the Algebra I course: the graph mastery works on."""
        keep = [c for c, s in self._nodes.items() if s.grade_num < HS or s.is_algebra1]
        return self.restrict(keep, name=f"{self.name} (K-8 + Algebra I)")

    def with_algebra1_domains(self, domains: Iterable[str]) -> StandardsGraph:
        """A copy whose Algebra I set is the HS standards in ``domains``."""
        ds = set(domains)
        std = [
            replace(s, is_algebra1=s.grade_num == HS and s.domain_code in ds)
            for s in (self._nodes[c] for c in self.codes)
        ]
        return StandardsGraph(std, self._edges["substandard"], name=self.name, source=self.source)

    # ------------------------------------------------------------------ internals
    def _toposort(self, level: Level) -> list[str]:
        """Kahn's algorithm, ties broken by grade then natural code order, so it is stable."""
        import heapq

        pre, succ = self._pre[level], self._succ[level]
        indeg = {c: len(pre[c]) for c in pre}
        heap = [(self._order_key(c), c) for c, d in indeg.items() if d == 0]
        heapq.heapify(heap)
        order: list[str] = []
        while heap:
            _, c = heapq.heappop(heap)
            order.append(c)
            for s in succ[c]:
                indeg[s] -= 1
                if indeg[s] == 0:
                    heapq.heappush(heap, (self._order_key(s), s))
        if len(order) != len(pre):
            stuck = sorted((c for c, d in indeg.items() if d > 0), key=self._order_key)
            cycle = self._find_cycle(level, set(stuck))
            raise InvalidFramework(
                [
                    Problem(
                        self.source,
                        None,
                        " -> ".join(cycle),
                        f"the prerequisite edges contain a cycle at {level} level",
                    )
                ]
            )
        return order

    def _find_cycle(self, level: Level, candidates: set[str]) -> list[str]:
        succ = self._succ[level]
        for start in sorted(candidates):
            path, seen = [start], {start}
            node = start
            while True:
                nxt = next((s for s in succ[node] if s in candidates), None)
                if nxt is None:
                    break
                if nxt in seen:
                    return path[path.index(nxt) :] + [nxt]
                path.append(nxt)
                seen.add(nxt)
                node = nxt
        return sorted(candidates)[:5]

    def stats(self) -> dict:
        """Counts that describe the graph, for `sounding progression stats`."""
        from collections import Counter

        sub_edges = self._edges["substandard"]
        by_grade = Counter(self._nodes[c].grade for c in self.standard_codes)
        cross = sum(1 for a, b in sub_edges if self._nodes[a].grade_num < self._nodes[b].grade_num)
        return {
            "name": self.name,
            "nodes": len(self._nodes),
            "standards": len(self.standard_codes),
            "substandards": len(self._nodes) - len(self.standard_codes),
            "edges_substandard_level": len(sub_edges),
            "edges_standard_level": len(self._edges["standard"]),
            "edges_crossing_grades": cross,
            "edges_within_grade": len(sub_edges) - cross,
            "standards_by_grade": {g: by_grade.get(g, 0) for g in GRADE_LABELS if by_grade.get(g)},
            "standards_by_strand": dict(
                sorted(Counter(self._nodes[c].strand for c in self.standard_codes).items())
            ),
            "standards_by_emphasis": dict(
                sorted(
                    Counter(
                        self._nodes[c].emphasis or "unspecified" for c in self.standard_codes
                    ).items()
                )
            ),
            "algebra1_standards": len(self.algebra1_codes),
            "roots": sum(1 for c in self.standard_codes if not self._pre["standard"][c]),
            "is_dag": True,
        }


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
