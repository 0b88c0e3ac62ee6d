"""Algebra I readiness per grade-8 student, and who gets access to the course.

The NMIP districts treat Algebra I as a gateway, not a gatekeeper: success on the first attempt
depends on the middle-school foundations the course rests on, and access depends on whether
ready students are actually placed in it -- which, nationally, differs by race, language,
disability and income. This module answers both questions with the progression.

Readiness
---------
*Foundations.* The below-high-school standards Algebra I rests on. The brief's literal set --
every below-grade foundation of every Algebra I standard (``g.below_grade_foundations``) -- is
dominated by K-5 standards (about 80% of the weight) that nearly every grade-8 student has
secured, so a student missing all of grades 6-8 would still score 0.8. By default
(``foundations="immediate"``) we use the *immediate* foundations: the below-HS standards that
are direct prerequisites of an Algebra I standard (33 standards of grades 6-8 on the shipped
graph: ratios, expressions and equations, the number system, functions, bivariate data);
a missing deeper foundation shows through the posterior of the immediate one it supports.
``foundations="all"`` gives the literal transitive set.

*Weights.* Each foundation weighs the number of Algebra I standards that rest on it
(transitively), so ``6.EE.A.2`` (31 Algebra I standards) counts far more than ``8.G.B.8`` (1).

*Index.* ``mastery_index`` = weighted mean of P(mastered) over the foundations. Where a math
scale score exists (the latest per student), it enters with weight 0.25: its achievement level
mapped to 0.2 / 0.5 / 0.8 / 1.0 for levels 1-4, or, without a level, the score's percentile in
its year and grade. ``readiness = 0.75 * mastery_index + 0.25 * score_component``.

*Labels.* ``ready`` (readiness >= 0.8), ``nearly ready`` (>= 0.6), ``not yet``; a student
without direct evidence and without a score is ``unassessed``. The reasons are the missing
foundations (P(mastered) < 0.5), heaviest first.

Access
------
Among grade-8 students, ready students not placed in Algebra I (placement: enrolled in a class
whose title or course names Algebra I), per school and per subgroup: counts, rates, and the
gap between the group's share of the ready-but-not-placed students and its share of the ready
students (positive: the group is over-represented among those left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from sounding.errors import InvalidData, InvalidInput, Problem
from sounding.planning.frames import (
    SUBGROUP_COLUMNS,
    MasteryMatrix,
    check_classes,
    check_enrollments,
    check_mastery,
    check_students,
    enrollments_from_students,
    plan_grades,
)
from sounding.progression import HS, StandardsGraph, load_default

READY = 0.8
NEARLY = 0.6
SCORE_WEIGHT = 0.25
LEVEL_VALUE = {1: 0.2, 2: 0.5, 3: 0.8, 4: 1.0}
LABELS = ("ready", "nearly ready", "not yet", "unassessed")


def algebra1_foundations(graph: StandardsGraph,
                         foundations: Literal["immediate", "all"] = "immediate"
                         ) -> pd.DataFrame:
    """The standards Algebra I rests on, with their weights.

    Returns
    -------
    DataFrame
        ``standard, grade, weight`` (Algebra I standards resting on it), heaviest first.
    """
    if foundations not in ("immediate", "all"):
        raise InvalidInput("foundations must be 'immediate' or 'all'")
    alg = set(graph.algebra1_codes)
    if not alg:
        raise InvalidInput(f"{graph.name} has no Algebra I standards")
    weight: dict[str, int] = {}
    for a in alg:
        for f in graph.below_grade_foundations(a):
            if f not in alg:
                weight[f] = weight.get(f, 0) + 1
    if foundations == "immediate":
        keep = {p for a in alg for p in graph.prerequisites(a)
                if p not in alg and graph[p].grade_num < HS}
        weight = {f: w for f, w in weight.items() if f in keep}
    order = {c: i for i, c in enumerate(graph.standard_codes)}
    rows = sorted(weight.items(), key=lambda kv: (-kv[1], order[kv[0]]))
    return pd.DataFrame({"standard": [r[0] for r in rows],
                         "grade": [graph[r[0]].grade_num for r in rows],
                         "weight": [r[1] for r in rows]})


@dataclass
class AlgebraReadiness:
    """Readiness of grade-8 students and the access view.

    Attributes
    ----------
    students : DataFrame
        ``student_id, school_id, mastery_index, score_component, readiness, label, placed,
        missing`` (list of codes), ``reason``.
    access : DataFrame
        ``school_id`` ("all" for the district), ``dimension, group, n_students, n_ready,
        n_ready_placed, n_ready_not_placed, ready_rate, placed_rate_of_ready,
        share_of_ready, share_of_ready_not_placed, gap``.
    foundations : DataFrame
        The foundations and weights used.
    """

    students: pd.DataFrame
    access: pd.DataFrame
    foundations: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            out = []
            for rec in df.to_dict(orient="records"):
                out.append({k: (None if _isna(v) else _py(v)) for k, v in rec.items()})
            return out

        counts = self.students["label"].value_counts()
        return {"summary": {lb: int(counts.get(lb, 0)) for lb in LABELS},
                "students": records(self.students), "access": records(self.access),
                "foundations": records(self.foundations)}


def _isna(v: Any) -> bool:
    return not isinstance(v, list | tuple) and pd.isna(v)


def _py(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def algebra_readiness(
    mastery: pd.DataFrame,
    students: pd.DataFrame,
    classes: pd.DataFrame | None = None,
    enrollments: pd.DataFrame | None = None,
    *,
    scores: pd.DataFrame | None = None,
    graph: StandardsGraph | None = None,
    foundations: Literal["immediate", "all"] = "immediate",
    grade: int = 8,
    n_reasons: int = 5,
) -> AlgebraReadiness:
    """Algebra I readiness of every grade-8 student, and the access view.

    Parameters
    ----------
    mastery, students, classes, enrollments : DataFrame
        See :mod:`sounding.planning.frames`; classes and enrollments give placement.
    scores : DataFrame, optional
        ``student_id, year, scale_score`` and optional ``achievement_level``, ``subject``
        (only "math" rows are used when present), ``grade``.
    graph : StandardsGraph, optional
    foundations : {"immediate", "all"}, default "immediate"
        See the module docstring.
    grade : int, default 8
        The grade whose students are assessed.
    n_reasons : int, default 5
        Missing foundations listed per student.

    Returns
    -------
    AlgebraReadiness
    """
    graph = graph or load_default().k8_algebra1()
    st = check_students(students)
    ms = check_mastery(mastery, graph)
    cl = check_classes(classes) if classes is not None else None
    en = (check_enrollments(enrollments) if enrollments is not None
          else enrollments_from_students(st))
    placed_all = plan_grades(st, cl, en) == HS
    keep = (st["grade"] == grade).to_numpy()
    st8 = st[keep].reset_index(drop=True)
    placed = placed_all[keep]
    m = MasteryMatrix.build(ms, st8, graph)
    fd = algebra1_foundations(graph, foundations)
    cols = np.array([m.col(c) for c in fd["standard"]], dtype=np.int64)
    w = fd["weight"].to_numpy(dtype=np.float64)
    p = m.p[:, cols].astype(np.float64)
    known = ~np.isnan(p)
    wk = known * w[None, :]
    denom = wk.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mindex = np.where(denom > 0, (np.nan_to_num(p) * wk).sum(axis=1) / denom, np.nan)
    score = _score_component(scores, st8)
    readiness = np.where(np.isnan(score), mindex,
                         (1 - SCORE_WEIGHT) * mindex + SCORE_WEIGHT * score)
    readiness = np.where(np.isnan(mindex) & ~np.isnan(score), score, readiness)
    assessed = m.has_evidence() | ~np.isnan(score)
    label = np.where(readiness >= READY, "ready",
                     np.where(readiness >= NEARLY, "nearly ready", "not yet")).astype(object)
    label[~assessed | np.isnan(readiness)] = "unassessed"
    missing_mask = np.nan_to_num(p, nan=1.0) < 0.5
    codes = fd["standard"].to_numpy(dtype=object)
    missing = [list(codes[missing_mask[i]][:n_reasons]) for i in range(len(st8))]
    n_missing = missing_mask.sum(axis=1)
    reason = [
        _reason(label[i], mindex[i], score[i], missing[i], int(n_missing[i]), len(codes))
        for i in range(len(st8))
    ]
    out = pd.DataFrame({
        "student_id": st8["student_id"].to_numpy(), "school_id": st8["school_id"].to_numpy(),
        "mastery_index": mindex, "score_component": score, "readiness": readiness,
        "label": label, "placed": placed, "missing": missing, "reason": reason,
    })
    access = access_view(out, st8)
    return AlgebraReadiness(out, access, fd)


def _reason(label: str, mindex: float, score: float, missing: list[str], n_missing: int,
            n_found: int) -> str:
    if label == "unassessed":
        return "no direct evidence and no scale score yet"
    parts = [f"foundations index {mindex:.2f}" if not np.isnan(mindex) else "no mastery data"]
    if not np.isnan(score):
        parts.append(f"scale-score component {score:.2f}")
    if missing:
        more = f" (+{n_missing - len(missing)} more)" if n_missing > len(missing) else ""
        parts.append(f"missing {n_missing} of {n_found} foundations: "
                     f"{', '.join(missing)}{more}")
    else:
        parts.append("no missing foundation")
    return f"{label}: " + "; ".join(parts)


def _score_component(scores: pd.DataFrame | None, st: pd.DataFrame) -> np.ndarray:
    """Per student the scale-score component (NaN without a math score)."""
    out = np.full(len(st), np.nan)
    if scores is None or not len(scores):
        return out
    missing = [c for c in ("student_id", "year", "scale_score") if c not in scores.columns]
    if missing:
        raise InvalidData([Problem("scores", 1, c, "required column is missing")
                           for c in missing])
    sc = scores.copy()
    if "subject" in sc.columns:
        sc = sc[sc["subject"].astype(str).str.lower() == "math"]
    sc["scale_score"] = pd.to_numeric(sc["scale_score"], errors="coerce")
    sc = sc.dropna(subset=["scale_score"])
    if sc.empty:
        return out
    grp = ["year", "grade"] if "grade" in sc.columns else ["year"]
    sc["pct"] = sc.groupby(grp)["scale_score"].rank(pct=True)
    if "achievement_level" in sc.columns:
        lv = sc["achievement_level"].astype(str).str.extract(r"(\d)")[0]
        lv = pd.to_numeric(lv, errors="coerce").map(LEVEL_VALUE)
        sc["component"] = lv.fillna(sc["pct"])
    else:
        sc["component"] = sc["pct"]
    latest = sc.sort_values("year").drop_duplicates("student_id", keep="last")
    comp = latest.set_index("student_id")["component"]
    return comp.reindex(st["student_id"]).to_numpy(dtype=np.float64)


def access_view(readiness: pd.DataFrame, students: pd.DataFrame) -> pd.DataFrame:
    """Ready students not placed in Algebra I, per school (and district) and subgroup.

    Parameters
    ----------
    readiness : DataFrame
        ``student_id, school_id, label, placed`` (from :func:`algebra_readiness`).
    students : DataFrame
        The same students with subgroup columns (those present are used).

    Returns
    -------
    DataFrame
        See :class:`AlgebraReadiness`; unassessed students are left out of every count.
    """
    df = readiness.merge(students.drop(columns=["school_id"], errors="ignore"),
                         on="student_id", how="left")
    df = df[df["label"] != "unassessed"]
    dims = [c for c in SUBGROUP_COLUMNS if c in df.columns]
    rows: list[dict[str, Any]] = []
    scopes = [("all", df)] + [(s, part) for s, part in df.groupby("school_id", sort=True)]
    for school, part in scopes:
        ready = part["label"] == "ready"
        n_ready = int(ready.sum())
        n_rnp = int((ready & ~part["placed"]).sum())
        groups = [("all", "all", part)]
        for dim in dims:
            vals = part[dim].astype(object).where(part[dim].notna(), "unknown")
            for val, sub in part.groupby(vals, sort=True):
                groups.append((dim, val, sub))
        for dim, val, sub in groups:
            r = sub["label"] == "ready"
            nr = int(r.sum())
            rp = int((r & sub["placed"]).sum())
            rnp = nr - rp
            share_r = nr / n_ready if n_ready else np.nan
            share_rnp = rnp / n_rnp if n_rnp else np.nan
            rows.append({
                "school_id": school, "dimension": dim, "group": _py(val),
                "n_students": len(sub), "n_ready": nr, "n_ready_placed": rp,
                "n_ready_not_placed": rnp, "ready_rate": nr / len(sub) if len(sub) else np.nan,
                "placed_rate_of_ready": rp / nr if nr else np.nan,
                "share_of_ready": share_r, "share_of_ready_not_placed": share_rnp,
                "gap": share_rnp - share_r if n_rnp and n_ready else np.nan,
            })
    return pd.DataFrame(rows, columns=[
        "school_id", "dimension", "group", "n_students", "n_ready", "n_ready_placed",
        "n_ready_not_placed", "ready_rate", "placed_rate_of_ready", "share_of_ready",
        "share_of_ready_not_placed", "gap"])
