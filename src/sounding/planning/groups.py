"""Small groups per class for the next unit: students who share the same next needs.

A teacher cannot run twenty-five individual pathways; they can run four or five small groups
alongside the core unit. Groups are formed from what the next unit rests on:

* a student's **needs** are the unmet prerequisites of the class's next unit (transitive
  prerequisites of the unit's standards, not secure);
* grouping is greedy by the most common need: take the need most students share (ties: the
  deepest foundation first), group those students; when they are more than ``max_size`` they
  are split into balanced groups of students with the most similar needs (sorted by their
  need vectors, most common needs first); repeat while a need is shared by at least
  ``min_size`` students;
* students left over join the group (with room) whose needs overlap theirs most (Jaccard),
  or, failing that, form groups among themselves;
* **rebalancing**: while a group is smaller than ``min_size``, it is either dissolved into the
  groups with room (each member to the one whose needs overlap theirs most) or, when there is
  no room, filled with the most similar members of the largest groups that can spare one.
  One of the two is always possible when *any* split of the students into groups of
  ``min_size``..``max_size`` exists (``ceil(N / max_size) <= floor(N / min_size)``): if the
  others had no room for the small group's ``s`` members and not ``min_size - s`` spare
  members between them, the ``k`` other groups plus it would hold more than ``k * max_size``
  and fewer than ``(k + 1) * min_size`` students, which no valid split can. So a group of 1 or
  2 is left only when no valid split exists (e.g. 2 students with needs in the class);
* each group's **focus** is what its members can learn now, by the pathway rule
  (:func:`sounding.planning.pathways.learn_scores`): needs whose ``sure`` = P(not mastered) x
  P(prerequisites mastered), averaged over the members, is at least ``MIN_SURE`` (0.75),
  surest first, up to three. When no shared need is that sure, the focus is empty and the
  rationale says to confirm the most shared need with a short check first (a cut at "not
  secure, prerequisites secure" put mostly standards the members already knew in focus);
* students with no needs form no group: they are **ready for the unit**; students with no
  direct evidence, or only evidence older than ``stale_days`` before the as-of date (when an
  evidence summary is given), are listed as **unassessed** (planning does not place them on
  guesses or on stale evidence).

Every student of the class is in exactly one group, the ready list or the unassessed list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from sounding.errors import InvalidInput
from sounding.planning.frames import (
    SECURE,
    GraphArrays,
    MasteryMatrix,
    check_classes,
    check_enrollments,
    check_mastery,
    check_students,
    enrollments_from_students,
    recency,
    to_date,
)
from sounding.planning.pathways import MIN_SURE, learn_scores
from sounding.planning.scope import ScopeSequence, Unit, default_scope_sequence, plain_text
from sounding.progression import StandardsGraph, load_default

#: Shared needs listed per group (most shared first); the focus is what to teach.
MAX_NEEDS_LISTED = 10


@dataclass(frozen=True)
class Group:
    """One small group: who, on what, and why in one line."""

    group_id: str
    class_id: str
    students: tuple[Any, ...]
    focus: tuple[str, ...]
    needs: dict[str, int]  # the most shared needs -> members who have them
    rationale: str

    def to_dict(self) -> dict[str, Any]:
        return {"group_id": self.group_id, "class_id": self.class_id,
                "students": list(self.students), "size": len(self.students),
                "focus": list(self.focus), "needs": dict(self.needs),
                "rationale": self.rationale}


@dataclass
class ClassGroups:
    """The groups of one class for its next unit."""

    class_id: str
    unit: Unit | None
    groups: list[Group] = field(default_factory=list)
    ready: list[Any] = field(default_factory=list)
    unassessed: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"class_id": self.class_id, "unit": self.unit.to_dict() if self.unit else None,
                "groups": [g.to_dict() for g in self.groups], "ready": list(self.ready),
                "unassessed": list(self.unassessed)}


def group_by_needs(needs: dict[Any, frozenset[int]], *, min_size: int = 3,
                   max_size: int = 6) -> list[list[Any]]:
    """Greedy grouping of students by shared needs (the algorithm of the module docstring).

    Parameters
    ----------
    needs : dict
        Student -> set of need ids (ints; smaller = deeper, the tie-break). Students with an
        empty set are ignored.
    min_size, max_size : int

    Returns
    -------
    list of list
        Groups of students; every student with needs is in exactly one.
    """
    if not (1 <= min_size <= max_size):
        raise InvalidInput("group sizes must satisfy 1 <= min_size <= max_size")
    remaining = {s: n for s, n in needs.items() if n}
    groups: list[list[Any]] = []
    while remaining:
        best, count = _most_common(remaining)
        if count < min_size:
            break
        cand = [s for s, n in remaining.items() if best in n]
        groups += _split(cand, remaining, max_size)
        for s in cand:
            del remaining[s]
    leftover = sorted(remaining, key=lambda s: (min(remaining[s]), str(s)))
    pool: dict[Any, frozenset[int]] = {}
    for s in leftover:
        mine = remaining[s]
        best_g, best_j = None, 0.0
        for g in groups:
            if len(g) >= max_size:
                continue
            union = frozenset().union(*(needs[x] for x in g))
            j = len(mine & union) / len(mine | union)
            if j > best_j:
                best_g, best_j = g, j
        if best_g is not None:
            best_g.append(s)
        else:
            pool[s] = mine
    while pool:
        best, _ = _most_common(pool)
        cand = [s for s, n in pool.items() if best in n]
        groups += _split(cand, pool, max_size)
        for s in cand:
            del pool[s]
    return rebalance(groups, needs, min_size=min_size, max_size=max_size)


def _jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def rebalance(groups: list[list[Any]], needs: dict[Any, frozenset[int]], *, min_size: int,
              max_size: int) -> list[list[Any]]:
    """Bring every group to ``min_size``..``max_size`` where any valid split exists.

    See the module docstring for the two moves and why they always succeed when a valid
    split exists; groups are never made larger than ``max_size``.
    """
    groups = [list(g) for g in groups if g]
    while True:
        small = [g for g in groups if len(g) < min_size]
        if not small or len(groups) < 2:
            return groups
        g = min(small, key=len)
        others = [h for h in groups if h is not g]
        room = sum(max_size - len(h) for h in others)
        spare = sum(len(h) - min_size for h in others if len(h) > min_size)
        if room >= len(g):
            groups.remove(g)
            for s in sorted(g, key=str):
                fits = [h for h in groups if len(h) < max_size]
                best = max(fits, key=lambda h: (
                    _jaccard(needs[s], frozenset().union(*(needs[x] for x in h))),
                    -len(h)))
                best.append(s)
        elif spare >= min_size - len(g):
            mine = frozenset().union(*(needs[x] for x in g))
            while len(g) < min_size:
                donor = max((h for h in others if len(h) > min_size), key=len)
                s = max(donor, key=lambda x: (_jaccard(needs[x], mine), str(x)))
                donor.remove(s)
                g.append(s)
                mine = mine | needs[s]
        else:
            return groups  # no split into groups of min_size..max_size exists


def _most_common(needs: dict[Any, frozenset[int]]) -> tuple[int, int]:
    counts: dict[int, int] = {}
    for n in needs.values():
        for k in n:
            counts[k] = counts.get(k, 0) + 1
    best = min(counts, key=lambda k: (-counts[k], k))
    return best, counts[best]


def _split(cand: list[Any], needs: dict[Any, frozenset[int]], max_size: int) -> list[list[Any]]:
    """``cand`` in balanced chunks of at most ``max_size``, similar needs side by side."""
    if len(cand) <= max_size:
        return [list(cand)]
    freq: dict[int, int] = {}
    for s in cand:
        for k in needs[s]:
            freq[k] = freq.get(k, 0) + 1
    order = sorted(freq, key=lambda k: (-freq[k], k))
    ordered = sorted(cand, key=lambda s: (tuple(k not in needs[s] for k in order), str(s)))
    k = math.ceil(len(ordered) / max_size)
    bounds = [round(i * len(ordered) / k) for i in range(k + 1)]
    return [ordered[bounds[i]:bounds[i + 1]] for i in range(k)]


def small_groups(
    mastery: pd.DataFrame,
    students: pd.DataFrame,
    classes: pd.DataFrame,
    enrollments: pd.DataFrame | None = None,
    *,
    graph: StandardsGraph | None = None,
    scope: ScopeSequence | None = None,
    as_of: date | str | None = None,
    class_ids: list[str] | None = None,
    min_size: int = 3,
    max_size: int = 6,
    secure: float = SECURE,
    evidence: pd.DataFrame | None = None,
    stale_days: int = 120,
) -> dict[str, ClassGroups]:
    """Small groups for the next unit of each class.

    Parameters
    ----------
    mastery, students, classes, enrollments : DataFrame
        See :mod:`sounding.planning.frames`.
    graph : StandardsGraph, optional
        Default: the shipped K-8 + Algebra I graph.
    scope : ScopeSequence, optional
        Default: the shipped scope and sequence.
    as_of : date, optional
        Default: today.
    class_ids : list of str, optional
        Only these classes (default: all).
    min_size, max_size : int, default 3, 6
    secure : float, default 0.8
    evidence : DataFrame, optional
        ``student_id, last_response`` (:func:`frames.evidence_summary`): students whose latest
        answer is more than ``stale_days`` before ``as_of`` are unassessed, not grouped.
    stale_days : int, default 120

    Returns
    -------
    dict
        class_id -> :class:`ClassGroups`.
    """
    graph = graph or load_default().k8_algebra1()
    scope = scope or default_scope_sequence()
    day = to_date(as_of) or date.today()
    st = check_students(students)
    cl = check_classes(classes)
    en = check_enrollments(enrollments) if enrollments is not None else \
        enrollments_from_students(st)
    if class_ids is not None:
        unknown = sorted(set(class_ids) - set(cl["class_id"]))
        if unknown:
            raise InvalidInput(f"unknown class id(s): {', '.join(map(str, unknown))}")
        cl = cl[cl["class_id"].isin(class_ids)].reset_index(drop=True)
        en = en[en["class_id"].isin(class_ids)]
    ms = check_mastery(mastery, graph)
    m = MasteryMatrix.build(ms, st, graph)
    ga = GraphArrays.of(graph)
    sec = m.secure(secure)
    sure = learn_scores(m.p, ga.prereq)[2]
    has = m.has_evidence()
    if evidence is not None:
        has = has & recency(st, m, evidence, day, stale_days)[0]
    row_of = dict(zip(st["student_id"], range(len(st)), strict=True))
    members = en.groupby("class_id", sort=False)["student_id"].agg(list).to_dict()
    out: dict[str, ClassGroups] = {}
    for crow in cl.itertuples(index=False):
        cid = crow.class_id
        unit = scope.next_unit(int(crow.plan_grade), day)
        result = ClassGroups(cid, unit)
        ids = [s for s in dict.fromkeys(members.get(cid, [])) if s in row_of]
        cols = ([ga.index[c] for c in unit.standards if c in ga.index] if unit else [])
        need_mask = (ga.closure[:, cols].any(axis=1) if cols else np.zeros(len(ga.codes), bool))
        need_mask[cols] = False
        needs: dict[Any, frozenset[int]] = {}
        for s in ids:
            r = row_of[s]
            if not has[r]:
                result.unassessed.append(s)
                continue
            unmet = frozenset(np.flatnonzero(need_mask & ~sec[r]).tolist())
            if unmet:
                needs[s] = unmet
            else:
                result.ready.append(s)
        for k, g in enumerate(group_by_needs(needs, min_size=min_size, max_size=max_size)):
            result.groups.append(_describe(k, cid, g, needs, unit, ga, graph, sure, row_of))
        out[cid] = result
    return out


def _describe(k: int, cid: str, members: list[Any], needs: dict[Any, frozenset[int]],
              unit: Unit | None, ga: GraphArrays, graph: StandardsGraph, sure: np.ndarray,
              row_of: dict[Any, int]) -> Group:
    count: dict[int, int] = {}
    for s in members:
        for j in needs[s]:
            count[j] = count.get(j, 0) + 1
    rows = [row_of[s] for s in members]
    cand = np.array(sorted(count), dtype=np.int64)
    mean_sure = sure[np.ix_(rows, cand)].mean(axis=0)
    order = np.argsort(-mean_sure, kind="stable")
    focus = [int(cand[i]) for i in order if mean_sure[i] >= MIN_SURE - 1e-12][:3]
    how = {int(j): float(v) for j, v in zip(cand, mean_sure, strict=True)}
    shared = sorted(count, key=lambda j: (-count[j], j))
    top = shared[0]
    first = plain_text(graph[ga.codes[focus[0] if focus else top]].text)
    first = first if len(first) <= 60 else first[:60].rsplit(" ", 1)[0] + "..."
    unit_txt = f"unit {unit.unit_id} ({unit.title})" if unit else "the next unit"
    if focus:
        what = ", ".join(f"{ga.codes[j]} ({how[j]:.0%} sure)" for j in focus)
        start = f"start with {what} ({first})"
    else:
        start = (f"no shared next step is sure enough (at best {max(how.values()):.0%}): "
                 f"confirm {ga.codes[top]} with a short check first ({first})")
    rationale = (f"{len(members)} students share unmet foundations of {unit_txt}: "
                 f"{count[top]} need {ga.codes[top]}; {start}")
    return Group(group_id=f"{cid}-g{k + 1}", class_id=cid, students=tuple(members),
                 focus=tuple(ga.codes[j] for j in focus),
                 needs={ga.codes[j]: count[j] for j in shared[:MAX_NEEDS_LISTED]},
                 rationale=rationale)
