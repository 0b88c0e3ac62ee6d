"""The mastery views: one student's iceberg, one class's heat map and standards, as JSON-ready
dicts (what ``sounding mastery show`` prints and the report's mastery pages draw).

Moved here from :mod:`sounding.mastery.pipeline` so that there is one place computing them:
the report's class pages use :func:`class_standards` from here too. These functions see
everything they are given (the local operator's view); the principal-aware services
(:func:`sounding.services.student`, :func:`sounding.services.class_view`...) check the
access policy, then call them and redact the result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sounding.core.thresholds import SECURE, UNFINISHED
from sounding.errors import NotFound
from sounding.mastery.pipeline import strand_title
from sounding.mastery.profile import BELOW_BUCKETS, group_distribution
from sounding.mastery.view_source import ViewSource as _Source
from sounding.mastery.view_source import py_value as _py
from sounding.mastery.view_source import ready_to_learn as _ready_to_learn
from sounding.mastery.view_source import round_value as _round
from sounding.mastery.view_source import view_source as _source
from sounding.progression import StandardsGraph, grade_label
from sounding.roster.normalize import is_blank as _blank

__all__ = ["class_standards", "class_view", "posterior_matrix", "student_view"]


def _as_source(source: Any, graph: StandardsGraph | None, model: str) -> _Source:
    """A view source from a MasteryResult, a store (path, URL or object), or one already
    built (the services build theirs limited to the principal's scope)."""
    return source if isinstance(source, _Source) else _source(source, graph, model)


def student_view(source: Any, student_id: Any, graph: StandardsGraph | None = None, *,
                 model: str = "graph", n_ready: int = 5,
                 n_unfinished: int | None = None) -> dict[str, Any]:
    """What ``sounding mastery show --student ID`` prints, as a JSON-ready dict.

    ``source`` is a :class:`MasteryResult` or a store (URL/path or object; the posterior is
    read from ``store.mastery()``). Keys: ``student_id, name, school_id, roster_grade,
    grade`` (the grade measured against: 9 in Algebra I), ``grade_label, algebra1, classes,
    n_answers, depth, strands`` (per strand: secure level, grades below, ``p_secure`` = how
    sure), ``unfinished`` (below-grade standards with P(mastered) < 0.5, most depended-on
    first) and ``ready_to_learn`` (the outer fringe, see :func:`_ready_to_learn`).

    Raises
    ------
    NotFound
        No such student, or no posterior for them.
    """
    src = _as_source(source, graph, model)
    row = src.student(student_id)
    sid = row["student_id"]
    post, tables = src.tables([sid])
    if post.empty or tables.students.empty:
        raise NotFound(f"no mastery estimates for student {student_id!r}; "
                       "run `sounding mastery fit` (or the student has no grade and no answers)")
    g = src.graph
    srow = tables.students.iloc[0]
    grade = int(srow["grade"])
    strands = []
    for r in tables.strands.itertuples(index=False):
        strands.append({
            "strand": r.strand, "strand_title": strand_title(r.strand),
            "secure_through": None if pd.isna(r.secure_through) else int(r.secure_through),
            "label": r.label,
            "grades_below": None if pd.isna(r.grades_below) else int(r.grades_below),
            "p_secure": _round(r.p_secure), "n_standards": int(r.n_standards),
            "n_unfinished": int(r.n_unfinished), "n_unknown": int(r.n_unknown),
        })
    codes = post["standard"].astype(str).to_numpy()
    evidence = dict(zip(codes, zip(post["sd"].to_numpy(dtype=float),
                                   post["n_evidence"].to_numpy(), strict=True), strict=True))
    un = tables.unfinished.sort_values("rank")
    if n_unfinished is not None:
        un = un.head(n_unfinished)
    unfinished = []
    for r in un.itertuples(index=False):
        std = g[r.standard]
        unfinished.append({
            "rank": int(r.rank), "standard": r.standard, "grade": int(r.grade),
            "grade_label": grade_label(int(r.grade)), "strand": r.strand,
            "p_mastered": _round(r.p_mastered),
            "sd": _round(evidence.get(r.standard, (np.nan, 0))[0]),
            "n_evidence": int(evidence.get(r.standard, (np.nan, 0))[1]),
            "n_dependents": int(r.n_dependents), "is_major": bool(r.is_major),
            "text": std.text,
        })
    pmap = {c: (None if _blank(v) else float(v))
            for c, v in zip(codes, post["p_mastered"], strict=True) if c in g}
    roster_grade = row.get("grade")
    return {
        "student_id": _py(sid),
        "name": str(row.get("name", sid)),
        "school_id": _py(row.get("school_id")),
        "roster_grade": None if _blank(roster_grade) else int(roster_grade),
        "grade": grade,
        "grade_label": grade_label(grade),
        "algebra1": grade == 9 and (_blank(roster_grade) or int(roster_grade) < 9),
        "classes": src.classes_of(sid),
        "n_answers": int(post["n_evidence"].sum()),
        "depth": int(srow["depth"]),
        "n_unfinished": int(srow["n_unfinished"]),
        "n_unfinished_major": int(srow["n_unfinished_major"]),
        "strands": strands,
        "unfinished": unfinished,
        "ready_to_learn": _ready_to_learn(pmap, grade, g, n_ready),
    }


def posterior_matrix(posterior: pd.DataFrame, student_ids: list[Any],
                     codes: list[str] | tuple[str, ...]) -> np.ndarray:
    """``P[i, j]``: P(mastered) of ``student_ids[i]`` on ``codes[j]`` (NaN where missing)."""
    P = np.full((len(student_ids), len(codes)), np.nan)
    if not len(posterior):
        return P
    rows = pd.Index(student_ids).get_indexer(pd.Index(posterior["student_id"].to_numpy()))
    cols = pd.Index(list(codes)).get_indexer(pd.Index(posterior["standard"].astype(str)))
    keep = (rows >= 0) & (cols >= 0)
    P[rows[keep], cols[keep]] = posterior["p_mastered"].to_numpy(dtype=float)[keep]
    return P


def class_standards(P: np.ndarray, codes: list[str] | tuple[str, ...], graph: StandardsGraph,
                    *, secure: float = SECURE) -> list[dict[str, Any]]:
    """Per standard, how much of a group (rows of ``P``) has not secured it.

    ``share_not_secure``: P(mastered) < ``secure`` (the classroom-level reteach signal);
    ``share_unfinished``: < 0.5. Students without an estimate for a standard are left out of
    its counts. Shared by :func:`class_view` and the report's class pages so both agree.
    """
    out = []
    have = ~np.isnan(P)
    n = have.sum(axis=0)
    with np.errstate(invalid="ignore"):
        ns = (have & (P < secure)).sum(axis=0)
        nu = (have & (P < UNFINISHED)).sum(axis=0)
        mean = np.where(n > 0, np.nansum(P, axis=0) / np.maximum(n, 1), np.nan)
    for j, code in enumerate(codes):
        if n[j] == 0:
            continue
        s = graph[code]
        out.append({
            "standard": code, "grade": s.grade_num, "grade_label": grade_label(s.grade_num),
            "strand": s.strand, "domain": s.domain_code, "is_major": s.is_major,
            "n_students": int(n[j]), "n_not_secure": int(ns[j]),
            "share_not_secure": round(float(ns[j] / n[j]), 3),
            "n_unfinished": int(nu[j]), "share_unfinished": round(float(nu[j] / n[j]), 3),
            "mean_p": round(float(mean[j]), 3), "text": s.text,
        })
    return out


def class_view(source: Any, class_id: Any, graph: StandardsGraph | None = None, *,
               model: str = "graph", secure: float = SECURE) -> dict[str, Any]:
    """What ``sounding mastery show --class ID`` prints, as a JSON-ready dict.

    Keys: ``class_id, title, school_id, grade`` (9 for Algebra I), ``n_students, strands``,
    ``students`` (per student: grades below per strand, depth; deepest first),
    ``standards`` (each standard of the class grade and below: share of the class not secure,
    P(mastered) < ``secure``; and share unfinished, < 0.5), ``distribution`` (the iceberg:
    students per strand by grades below, buckets 0, 1, 2, 3+), ``heat_standards`` (the class
    grade's standards) and, per student, ``p_mastered`` on each of them (the per-standard
    heat map; None where the student has no estimate).

    Raises
    ------
    NotFound
        No such class, or it has no students with estimates.
    """
    src = _as_source(source, graph, model)
    c = src.klass(class_id)
    cid = c["class_id"]
    members = src.members(cid)
    post, tables = src.tables(members)
    members = [m for m in members if m in set(tables.students["student_id"])]
    if not members:
        raise NotFound(f"class {class_id!r} has no students with mastery estimates")
    g = src.graph
    grade = c["grade"]
    if _blank(grade):
        grade = int(tables.students["grade"].mode().max())
    grade = int(grade)
    strands = sorted(set(tables.strands["strand"]))
    names = dict(zip(src.students["student_id"], src.students["name"], strict=True))
    lv = tables.strands.pivot(index="student_id", columns="strand", values="grades_below")
    lab = tables.strands.pivot(index="student_id", columns="strand", values="label")
    stu = tables.students.set_index("student_id")
    students = []
    for m in members:
        students.append({
            "student_id": _py(m), "name": str(names.get(m, m)), "grade": int(stu.at[m, "grade"]),
            "depth": int(stu.at[m, "depth"]), "n_unfinished": int(stu.at[m, "n_unfinished"]),
            "grades_below": {s: None if pd.isna(lv.at[m, s]) else int(lv.at[m, s])
                             for s in strands},
            "secure_through": {s: str(lab.at[m, s]) for s in strands},
        })
    students.sort(key=lambda r: (-r["depth"], -sum(v or 0 for v in r["grades_below"].values()),
                                 -r["n_unfinished"], str(r["name"])))
    codes = [code for code in g.standard_codes if g[code].grade_num <= grade]
    P = posterior_matrix(post, members, codes)
    standards = class_standards(P, codes, g, secure=secure)
    # the per-standard heat map: P(mastered) of each student on the class grade's standards
    on_grade = [j for j, code in enumerate(codes) if g[code].grade_num == grade]
    heat_codes = [codes[j] for j in on_grade]
    row_of = {_py(m): i for i, m in enumerate(members)}
    for r in students:
        vals = P[row_of[r["student_id"]], on_grade]
        r["p_mastered"] = {c: None if np.isnan(v) else round(float(v), 3)
                           for c, v in zip(heat_codes, vals, strict=True)}
    dist = group_distribution(tables, pd.DataFrame({"student_id": members}), g)
    distribution = {
        s: {str(b): int(n) for b, n in zip(d["grades_below"], d["n_students"], strict=True)}
        for s, d in dist.levels.groupby("strand", sort=True, observed=True)
    }
    return {
        "class_id": _py(cid), "title": str(c["title"]), "school_id": _py(c.get("school_id")),
        "grade": grade, "grade_label": grade_label(grade), "algebra1": bool(c["algebra1"]),
        "n_students": len(members), "strands": strands, "secure": secure,
        "students": students, "standards": standards, "distribution": distribution,
        "heat_standards": [{"standard": c, "strand": g[c].strand, "is_major": g[c].is_major,
                            "text": g[c].text} for c in heat_codes],
        "buckets": list(BELOW_BUCKETS),
    }
