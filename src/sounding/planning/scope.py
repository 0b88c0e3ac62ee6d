"""Scope and sequence: which unit teaches which standard, and when.

Pathways are "just in time": they prepare a student for the *next core unit* of their grade,
so planning needs the district's scope and sequence: units, the standards each one teaches,
and their dates. A district supplies its own as CSV (:func:`read_scope_sequence`); Sounding
ships a default (:func:`default_scope_sequence`), its own order derived from the Coherence Map:
one unit per cluster of a grade (clusters that depend on each other both ways are merged),
clusters in prerequisite order, ties broken by the usual curriculum order of domains, the
instructional year (25 August to 8 May) split in proportion to the size of each unit.
:func:`build_default_scope` regenerates it, so the shipped file is checked against the code.

CSV columns: ``grade`` (K, 1..8, or A1 / HS for Algebra I), ``unit_id``, ``unit_title``,
``standard``, ``start_date``, ``end_date`` (YYYY-MM-DD); one row per unit x standard.

A scope written for one school year serves any other: an as-of date is mapped onto the same day
of the scope's school year (school years run 1 July to 30 June), and the units returned carry
dates moved back into the as-of date's school year.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sounding.errors import InvalidData, NotFound, Problem
from sounding.progression import HS, StandardsGraph, grade_label, grade_number, load_default
from sounding.progression.text import clean_text

SCOPE_COLUMNS = ("grade", "unit_id", "unit_title", "standard", "start_date", "end_date")
ALGEBRA1_LABELS = ("A1", "ALG1", "ALGEBRA I", "ALGEBRA 1", "ALGEBRA1")
#: Curriculum order of domains, used to break ties between independent clusters.
DOMAIN_ORDER = ("CC", "OA", "NBT", "NS", "RP", "EE", "NF", "F", "MD", "G", "SP", "N-Q", "A-SSE",
                "A-CED", "A-REI", "F-IF", "F-BF", "F-LE", "A-APR", "N-RN", "S-ID")
#: Default instructional year (month, day): first and last day of instruction.
INSTRUCTION_START = (8, 25)
INSTRUCTION_END = (5, 8)
DEFAULT_SPRING_YEAR = 2026


def scope_grade(value: Any) -> int:
    """Grade of a scope row: K..8 as 0..8, Algebra I (A1, HS, 9) as 9."""
    s = str(value).strip().upper()
    if s in ALGEBRA1_LABELS:
        return HS
    return grade_number(s)


def scope_grade_label(grade: int) -> str:
    return "A1" if grade == HS else grade_label(grade)


def school_year(d: date) -> int:
    """The spring year of the school year ``d`` falls in (1 July .. 30 June)."""
    return d.year + 1 if d.month >= 7 else d.year


def shift_years(d: date, years: int) -> date:
    """``d`` moved by whole years (29 February becomes 28 February)."""
    if years == 0:
        return d
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


@dataclass(frozen=True)
class Unit:
    """One unit of the scope and sequence."""

    grade: int
    unit_id: str
    title: str
    standards: tuple[str, ...]
    start_date: date
    end_date: date

    def shifted(self, years: int) -> Unit:
        return Unit(self.grade, self.unit_id, self.title, self.standards,
                    shift_years(self.start_date, years), shift_years(self.end_date, years))

    def to_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade, "grade_label": scope_grade_label(self.grade),
            "unit_id": self.unit_id, "unit_title": self.title,
            "standards": list(self.standards),
            "start_date": self.start_date.isoformat(), "end_date": self.end_date.isoformat(),
        }


class ScopeSequence:
    """Units per grade with their standards and dates.

    Parameters
    ----------
    table : DataFrame
        Checked rows ``grade`` (int, 9 = Algebra I), ``unit_id, unit_title, standard,
        start_date, end_date`` (dates). Build one with :func:`read_scope_sequence`,
        :func:`default_scope_sequence` or :func:`scope_from_frame`.
    source : str
        Where it came from, for messages.
    """

    def __init__(self, table: pd.DataFrame, source: str = "<scope>") -> None:
        self.table = table.reset_index(drop=True)
        self.source = source
        self._units: dict[int, list[Unit]] = {}
        for (g, uid), rows in self.table.groupby(["grade", "unit_id"], sort=False):
            r0 = rows.iloc[0]
            unit = Unit(int(g), str(uid), str(r0["unit_title"]), tuple(rows["standard"]),
                        r0["start_date"], r0["end_date"])
            self._units.setdefault(int(g), []).append(unit)
        for g in self._units:
            self._units[g].sort(key=lambda u: (u.start_date, u.unit_id))
        self._where: dict[str, Unit] = {}
        for g in sorted(self._units):
            for u in self._units[g]:
                for c in u.standards:
                    self._where.setdefault(c, u)
        starts = [u.start_date for us in self._units.values() for u in us]
        self.spring_year = school_year(min(starts)) if starts else DEFAULT_SPRING_YEAR

    def __repr__(self) -> str:
        n = sum(len(v) for v in self._units.values())
        return f"ScopeSequence({n} units, grades {sorted(self._units)}, {self.source})"

    @property
    def grades(self) -> list[int]:
        return sorted(self._units)

    def units(self, grade: int) -> list[Unit]:
        """The units of a grade in teaching order (empty when the grade has none)."""
        return list(self._units.get(int(grade), []))

    def unit(self, unit_id: str) -> Unit:
        for us in self._units.values():
            for u in us:
                if u.unit_id == unit_id:
                    return u
        raise NotFound(f"no unit {unit_id!r} in {self.source}")

    def unit_of(self, standard: str) -> Unit | None:
        """The unit where ``standard`` is taught (its earliest grade), or None."""
        return self._where.get(standard)

    def _align(self, as_of: date) -> int:
        """Years to add to ``as_of`` to land in the scope's school year."""
        return self.spring_year - school_year(as_of)

    def next_unit(self, grade: int, as_of: date) -> Unit | None:
        """The next core unit of ``grade`` starting on or after ``as_of``.

        After the last unit of the year, the first unit of the next grade (next school year);
        None when neither exists. Dates are returned in ``as_of``'s school year.
        """
        k = self._align(as_of)
        day = shift_years(as_of, k)
        for u in self._units.get(int(grade), []):
            if u.start_date >= day:
                return u.shifted(-k)
        nxt = self._units.get(int(grade) + 1, [])
        if nxt:
            return nxt[0].shifted(1 - k)
        return None

    def taught_by(self, grade: int, as_of: date) -> set[str]:
        """Standards of ``grade``'s units that have started by ``as_of``."""
        day = shift_years(as_of, self._align(as_of))
        return {c for u in self._units.get(int(grade), []) if u.start_date <= day
                for c in u.standards}

    def to_frame(self) -> pd.DataFrame:
        """The rows, with grade labels (K..8, A1) and ISO dates, as they would be written."""
        out = self.table.copy()
        out["grade"] = out["grade"].map(scope_grade_label)
        for c in ("start_date", "end_date"):
            out[c] = out[c].map(lambda d: d.isoformat())
        return out.loc[:, list(SCOPE_COLUMNS)]


# ============================================================================ reading


def read_scope_sequence(path: str | Path, graph: StandardsGraph | None = None) -> ScopeSequence:
    """Read a scope-and-sequence CSV, checking every field.

    Parameters
    ----------
    path : str or Path
        The CSV file (columns :data:`SCOPE_COLUMNS`).
    graph : StandardsGraph, optional
        The progression the standards must belong to (default: the shipped K-8 + Algebra I
        graph). Sub-standard codes are rolled up to their standard.

    Returns
    -------
    ScopeSequence

    Raises
    ------
    InvalidData
        Every problem with its file, line (header = 1) and field: a missing column, a bad
        grade, an empty id or title, an unknown standard, a date that is not YYYY-MM-DD, an
        end before a start, a unit whose grade, title or dates differ between its rows.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise NotFound(f"scope and sequence file not found: {path}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidData([Problem(name, None, None, f"not a readable CSV file: {exc}")]) from None
    return scope_from_frame(raw, graph=graph, source=name)


def scope_from_frame(raw: pd.DataFrame, graph: StandardsGraph | None = None,
                     source: str = "<scope>") -> ScopeSequence:
    """Check a scope-and-sequence table (strings or typed values) and build the object.

    See :func:`read_scope_sequence` for the rules; line numbers count the header as line 1.
    """
    graph = graph or _default_graph()
    missing = [c for c in SCOPE_COLUMNS if c not in raw.columns]
    if missing:
        raise InvalidData([Problem(source, 1, c, "required column is missing") for c in missing])
    problems: list[Problem] = []
    rows: list[tuple[int, str, str, str, date, date]] = []
    first: dict[str, tuple[int, int, str, date, date]] = {}
    if len(raw) == 0:
        raise InvalidData([Problem(source, None, None, "no units in the file")])
    for i, rec in enumerate(raw.loc[:, list(SCOPE_COLUMNS)].itertuples(index=False)):
        line = i + 2
        g_raw, uid, title, std, s_raw, e_raw = (str(v).strip() for v in rec)
        ok = True
        try:
            g = scope_grade(g_raw)
        except ValueError:
            problems.append(Problem(source, line, "grade", f"not a grade: {g_raw!r}"))
            ok = False
        if not uid:
            problems.append(Problem(source, line, "unit_id", "empty"))
            ok = False
        if not title:
            problems.append(Problem(source, line, "unit_title", "empty"))
            ok = False
        if std not in graph:
            problems.append(Problem(source, line, "standard", f"unknown standard {std!r}"))
            ok = False
        dates = []
        for field, v in (("start_date", s_raw), ("end_date", e_raw)):
            try:
                dates.append(date.fromisoformat(v))
            except ValueError:
                problems.append(Problem(source, line, field, f"not a date (YYYY-MM-DD): {v!r}"))
                ok = False
        if len(dates) == 2 and dates[1] < dates[0]:
            problems.append(Problem(source, line, "end_date", "ends before it starts"))
            ok = False
        if not ok:
            continue
        start, end = dates
        seen = first.get(uid)
        if seen is None:
            first[uid] = (line, g, title, start, end)
        else:
            for field, a, b in (("grade", seen[1], g), ("unit_title", seen[2], title),
                                ("start_date", seen[3], start), ("end_date", seen[4], end)):
                if a != b:
                    problems.append(Problem(
                        source, line, field,
                        f"unit {uid!r} has {field} {b!s} here but {a!s} on line {seen[0]}"))
        rows.append((g, uid, title, graph.rollup(std), start, end))
    if problems:
        raise InvalidData(problems)
    table = pd.DataFrame(rows, columns=list(SCOPE_COLUMNS)).drop_duplicates(
        ["unit_id", "standard"])
    return ScopeSequence(table, source=source)


@lru_cache(maxsize=1)
def _default_graph() -> StandardsGraph:
    return load_default().k8_algebra1()


DEFAULT_SCOPE_FILE = "default.csv"


def default_scope_path() -> Path:
    """Path of the shipped default scope and sequence CSV."""
    return Path(str(resources.files("sounding") / "data" / "scope_sequence" / DEFAULT_SCOPE_FILE))


@lru_cache(maxsize=1)
def default_scope_sequence() -> ScopeSequence:
    """The shipped default scope and sequence (grades K-8 and Algebra I)."""
    return read_scope_sequence(default_scope_path(), _default_graph())


# ============================================================================ the default


def build_default_scope(graph: StandardsGraph | None = None,
                        spring_year: int = DEFAULT_SPRING_YEAR) -> pd.DataFrame:
    """Sounding's default scope and sequence, derived from the progression's clusters.

    Why clusters: CCSS clusters are the natural grain of a curriculum unit ("Use equivalent
    fractions as a strategy to add and subtract fractions"), and ordering them by the
    prerequisite edges between their standards makes the default coherent: no unit comes
    before one it rests on. Clusters of a grade that rest on each other both ways are merged
    into one unit.

    Parameters
    ----------
    graph : StandardsGraph, optional
        Default: the shipped K-8 + Algebra I graph.
    spring_year : int
        The school year (its spring) the dates are written for.

    Returns
    -------
    DataFrame
        Rows as in the CSV (:data:`SCOPE_COLUMNS`), grade labels K..8 and A1, ISO dates.
    """
    graph = graph or _default_graph()
    rows: list[tuple[str, str, str, str, str, str]] = []
    first_day = date(spring_year - 1, *INSTRUCTION_START)
    last_day = date(spring_year, *INSTRUCTION_END)
    span = (last_day - first_day).days + 1
    for g in range(HS + 1):
        codes = list(graph.algebra1_codes) if g == HS else graph.grade_codes(g)
        if not codes:
            continue
        units = _cluster_units(graph, codes)
        weight = np.array([sum(max(1, len(graph.children(c))) for c in u) for u in units],
                          dtype=np.float64)
        bounds = np.rint(np.concatenate([[0.0], np.cumsum(weight)]) / weight.sum() * span)
        label = scope_grade_label(g)
        for k, u in enumerate(units):
            start = first_day + timedelta(days=int(bounds[k]))
            end = first_day + timedelta(days=int(bounds[k + 1]) - 1)
            title = _unit_title(graph, u)
            uid = f"{label}-U{k + 1:02d}"
            for c in u:
                rows.append((label, uid, title, c, start.isoformat(), end.isoformat()))
    return pd.DataFrame(rows, columns=list(SCOPE_COLUMNS))


def _cluster_units(graph: StandardsGraph, codes: list[str]) -> list[list[str]]:
    """Clusters of ``codes`` (one grade) as units in prerequisite order."""
    order = {c: i for i, c in enumerate(graph.standard_codes)}
    key_of = {c: (graph[c].domain_code, graph[c].cluster_code) for c in codes}
    clusters: dict[tuple[str, str], list[str]] = {}
    for c in sorted(codes, key=order.__getitem__):
        clusters.setdefault(key_of[c], []).append(c)
    keys = list(clusters)
    inside = set(codes)
    adj: dict[tuple[str, str], set[tuple[str, str]]] = {k: set() for k in keys}
    for c in codes:
        for p in graph.prerequisites(c):
            if p in inside and key_of[p] != key_of[c]:
                adj[key_of[p]].add(key_of[c])
    comp = _scc(keys, adj)
    n_comp = max(comp.values()) + 1
    members: list[list[tuple[str, str]]] = [[] for _ in range(n_comp)]
    for k in keys:
        members[comp[k]].append(k)
    cadj: list[set[int]] = [set() for _ in range(n_comp)]
    for a, bs in adj.items():
        for b in bs:
            if comp[a] != comp[b]:
                cadj[comp[a]].add(comp[b])
    indeg = [0] * n_comp
    for bs in cadj:
        for b in bs:
            indeg[b] += 1

    def rank(i: int) -> tuple:
        return min((DOMAIN_ORDER.index(d) if d in DOMAIN_ORDER else 99, cl)
                   for d, cl in members[i])

    heap = [(rank(i), i) for i in range(n_comp) if indeg[i] == 0]
    heapq.heapify(heap)
    out: list[list[str]] = []
    while heap:
        _, i = heapq.heappop(heap)
        out.append(sorted((c for k in members[i] for c in clusters[k]), key=order.__getitem__))
        for b in sorted(cadj[i]):
            indeg[b] -= 1
            if indeg[b] == 0:
                heapq.heappush(heap, (rank(b), b))
    return out


def _scc(nodes: list, adj: dict) -> dict:
    """Strongly connected components (Kosaraju), as node -> component number."""
    seen: set = set()
    finish: list = []
    for s in nodes:
        if s in seen:
            continue
        stack = [(s, iter(sorted(adj[s])))]
        seen.add(s)
        while stack:
            v, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                finish.append(v)
            elif nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, iter(sorted(adj[nxt]))))
    radj: dict = {v: set() for v in nodes}
    for v, ws in adj.items():
        for w in ws:
            radj[w].add(v)
    comp: dict = {}
    n = 0
    for s in reversed(finish):
        if s in comp:
            continue
        todo = [s]
        comp[s] = n
        while todo:
            v = todo.pop()
            for w in radj[v]:
                if w not in comp:
                    comp[w] = n
                    todo.append(w)
        n += 1
    return comp


def plain_text(text: str) -> str:
    """Published standard and cluster text as one plain phrase, without a trailing period.

    The progression cleans its texts once, where it is loaded
    (:func:`sounding.progression.text.clean_text`: markup, footnote markers, stray spaces);
    this only applies the same cleaning to text from elsewhere and trims the final period.
    (It used to strip anything between ``<`` and ``>``, which ate "x < c or x >", and joined
    "one- and two-step" into "oneand two-step".)
    """
    t, _ = clean_text(text or "")
    return t[:-1] if t.endswith(".") else t


def sentence_case(name: str) -> str:
    """Title Case cluster names in sentence case ("Use Place Value" -> "Use place value")."""
    words = plain_text(name).split()
    if not words:
        return name
    return " ".join([words[0]] + [w if (w.isupper() and len(w) > 1) or w in _PROPER else w.lower()
                                  for w in words[1:]])


_PROPER = frozenset({"Pythagorean"})


def _unit_title(graph: StandardsGraph, codes: list[str]) -> str:
    seen: list[str] = []
    for c in codes:
        s = graph[c]
        t = sentence_case(s.cluster_name) if s.cluster_name else f"{s.domain_code} {s.cluster_code}"
        if t not in seen:
            seen.append(t)
    return "; ".join(seen)
