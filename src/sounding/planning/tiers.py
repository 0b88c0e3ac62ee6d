"""MTSS tiers per student, and the capacity check that keeps tiers honest.

Why depth *and* breadth: a student with one shaky grade-level standard needs good core
instruction (Tier 1); a student missing a few foundations one grade down needs targeted,
time-limited help (Tier 2); a student whose unfinished learning runs two or more grades deep
across many major standards needs intensive help (Tier 3). Counting gaps alone would put a
student who missed one unit of this year's work in the same tier as one who never finished
fractions in grade 4.

The rule (cut points in :class:`TierRule`, all configurable)
-----------------------------------------------------------
Only *major* standards count (the major work of each grade, where unfinished learning blocks
the most later work), and only where the evidence supports it (``frames`` rule: P(mastered) <
0.5 with two direct answers, or one corroborated by related answers):

``breadth``
    unfinished major standards below the student's grade, plus those of the current grade
    already taught (per the scope and sequence and the as-of date; all of them without one).
``depth``
    how many grades below the current one the deepest unfinished major standard sits (0 when
    none is below grade). Grade 8 students in Algebra I are planned at the Algebra I level.

* **Tier 3** when ``depth >= tier3_depth`` (2) and ``breadth >= tier3_breadth`` (10);
* **Tier 2** when ``depth >= tier2_depth`` (1) and ``breadth >= tier2_breadth`` (4), or when
  ``breadth >= tier3_breadth`` however shallow;
* **Tier 1** otherwise (core instruction, with the student-level help triage points to);
* no tier (NA, shown as :data:`UNKNOWN_TIER` "unknown: no recent evidence") for a student with
  no direct evidence, and -- in the triage, which knows the as-of date -- for a student whose
  evidence is all older than ``stale_days``: planning never places a student on a tier it
  cannot support; the triage lists them in a data finding instead.

Why these defaults: a student counted proficient (70% of the grade's standards mastered) can
still have a handful of unfinished major standards; on the simulator's ground truth (calibrated
to NAEP), breadth >= 4 catches about a quarter of proficient students and nearly every
non-proficient one, breadth >= 10 about one proficient student in ten. Districts should tune
the cut points to their intervention capacity and screening data.

The capacity check (:func:`capacity_check`) compares a school's distribution with what MTSS
can serve: core should serve at least ~80% of students, Tier 2 about 10-15%, Tier 3 at most
~5%. A school far off (Tier 1 below 65% or Tier 3 above 10%) does not need more intervention
slots: its core instruction needs strengthening, a system-level finding.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from sounding.errors import InvalidInput
from sounding.planning.frames import (
    CORROBORATE,
    MIN_EVIDENCE,
    NOT_SECURE,
    GraphArrays,
    MasteryMatrix,
    check_classes,
    check_enrollments,
    check_mastery,
    check_students,
    eligible_columns,
    enrollments_from_students,
    plan_grades,
    recency,
)
from sounding.planning.scope import ScopeSequence
from sounding.progression import StandardsGraph, load_default

#: Target shares of the capacity check (MTSS rule of thumb).
TIER1_TARGET = 0.80
TIER2_RANGE = (0.10, 0.15)
TIER3_TARGET = 0.05
#: The tier of a student without recent direct evidence: planning does not guess.
UNKNOWN_TIER = "unknown: no recent evidence"
#: "Far off": the school's core instruction is the problem, not the number of slots.
TIER1_FAR = 0.65
TIER3_FAR = 0.10


@dataclass(frozen=True)
class TierRule:
    """Cut points of the tier rule (see the module docstring).

    Parameters
    ----------
    tier2_depth, tier2_breadth : int, default 1, 4
        Tier 2 when at least this deep and this broad.
    tier3_depth, tier3_breadth : int, default 2, 10
        Tier 3 when at least this deep and this broad; this breadth alone gives Tier 2.
    not_secure, min_evidence, corroborate : float, int, int
        The evidence rule for counting a standard as unfinished (:mod:`frames`).
    """

    tier2_depth: int = 1
    tier2_breadth: int = 4
    tier3_depth: int = 2
    tier3_breadth: int = 10
    not_secure: float = NOT_SECURE
    min_evidence: int = MIN_EVIDENCE
    corroborate: int = CORROBORATE

    def __post_init__(self) -> None:
        if not (0 <= self.tier2_depth <= self.tier3_depth):
            raise InvalidInput("tier depths must satisfy 0 <= tier2_depth <= tier3_depth")
        if not (1 <= self.tier2_breadth <= self.tier3_breadth):
            raise InvalidInput("tier breadths must satisfy 1 <= tier2_breadth <= tier3_breadth")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def tiers_from_matrix(m: MasteryMatrix, ga: GraphArrays, plan_grade: np.ndarray,
                      eligible: np.ndarray, rule: TierRule = TierRule()) -> pd.DataFrame:
    """The tier rule on arrays (the vectorised core of :func:`assign_tiers`).

    Parameters
    ----------
    m : MasteryMatrix
    ga : GraphArrays
    plan_grade : ndarray (n,)
        Grade each student is planned at (9 = Algebra I).
    eligible : ndarray (10, J) bool
        Standards each grade has been taught (:func:`frames.eligible_columns`).
    rule : TierRule

    Returns
    -------
    DataFrame
        ``student_id, plan_grade, tier`` (Int64, NA without evidence), ``depth, breadth,
        n_below, n_at``.
    """
    flag = m.flaggable(not_secure=rule.not_secure, min_evidence=rule.min_evidence,
                       related=ga.related, corroborate=rule.corroborate)
    unfinished = flag & ga.major[None, :] & eligible[plan_grade]
    below = ga.grade[None, :] < plan_grade[:, None]
    n_below = (unfinished & below).sum(axis=1)
    n_at = (unfinished & ~below).sum(axis=1)
    breadth = n_below + n_at
    gap = np.where(unfinished & below, plan_grade[:, None] - ga.grade[None, :], 0)
    depth = gap.max(axis=1) if gap.shape[1] else np.zeros(len(plan_grade), dtype=np.int64)
    tier = np.ones(len(plan_grade), dtype=np.int64)
    t2 = ((depth >= rule.tier2_depth) & (breadth >= rule.tier2_breadth)) | (
        breadth >= rule.tier3_breadth)
    t3 = (depth >= rule.tier3_depth) & (breadth >= rule.tier3_breadth)
    tier[t2] = 2
    tier[t3] = 3
    out = pd.DataFrame({
        "student_id": m.student_ids, "plan_grade": plan_grade,
        "tier": pd.array(tier, dtype="Int64"), "depth": depth.astype(np.int64),
        "breadth": breadth.astype(np.int64), "n_below": n_below.astype(np.int64),
        "n_at": n_at.astype(np.int64),
    })
    out.loc[~m.has_evidence(), "tier"] = pd.NA
    return out


def assign_tiers(
    mastery: pd.DataFrame,
    students: pd.DataFrame,
    *,
    classes: pd.DataFrame | None = None,
    enrollments: pd.DataFrame | None = None,
    graph: StandardsGraph | None = None,
    scope: ScopeSequence | None = None,
    as_of: date | None = None,
    rule: TierRule = TierRule(),
    evidence: pd.DataFrame | None = None,
    stale_days: int = 120,
) -> pd.DataFrame:
    """MTSS tier of every student, with the depth and breadth behind it.

    Parameters
    ----------
    mastery, students : DataFrame
        See :mod:`sounding.planning.frames`.
    classes, enrollments : DataFrame, optional
        Used to plan Algebra I students at the Algebra I level.
    graph : StandardsGraph, optional
        Default: the shipped K-8 + Algebra I graph.
    scope : ScopeSequence, optional
        With ``as_of``: current-grade standards count only once their unit has started.
    as_of : date, optional
    rule : TierRule
    evidence : DataFrame, optional
        ``student_id, last_response`` (:func:`frames.evidence_summary`): with ``as_of``, a
        student whose latest answer is more than ``stale_days`` old gets no tier
        (:data:`UNKNOWN_TIER`).
    stale_days : int, default 120

    Returns
    -------
    DataFrame
        One row per student: ``student_id, school_id, grade, plan_grade, tier, depth,
        breadth, n_below, n_at, label`` ("Tier 2" or :data:`UNKNOWN_TIER`), ``reason``.
    """
    graph = graph or load_default().k8_algebra1()
    st = check_students(students)
    ms = check_mastery(mastery, graph)
    cl = check_classes(classes) if classes is not None else None
    en = (check_enrollments(enrollments) if enrollments is not None
          else enrollments_from_students(st))
    m = MasteryMatrix.build(ms, st, graph)
    ga = GraphArrays.of(graph)
    pg = plan_grades(st, cl, en)
    taught = ({g: scope.taught_by(g, as_of) for g in scope.grades}
              if scope is not None and as_of is not None else None)
    out = tiers_from_matrix(m, ga, pg, eligible_columns(ga.codes, ga.grade, taught), rule)
    last = None
    if evidence is not None and as_of is not None:
        recent, last = recency(st, m, evidence, as_of, stale_days)
        out.loc[~recent, "tier"] = pd.NA
    out.insert(1, "school_id", st["school_id"].to_numpy())
    out.insert(2, "grade", st["grade"].to_numpy())
    out["label"] = [UNKNOWN_TIER if pd.isna(t) else f"Tier {int(t)}" for t in out["tier"]]
    out["reason"] = tier_reasons(out, last=last, has_evidence=m.has_evidence(),
                                 stale_days=stale_days if last is not None else None)
    return out


def tier_reasons(t: pd.DataFrame, *, last: np.ndarray | None = None,
                 has_evidence: np.ndarray | None = None, stale_days: int | None = None
                 ) -> list[str]:
    """One line per student saying which numbers placed them on their tier.

    ``last`` (latest answer per row, datetime64 or NaT) and ``has_evidence`` let the reason of
    a student without a tier say whether they have no evidence at all or only stale evidence.
    """
    out = []
    rows = t[["tier", "depth", "breadth", "n_below", "n_at"]].itertuples(index=False)
    for i, (tier, depth, breadth, nb, na) in enumerate(rows):
        if pd.isna(tier):
            if has_evidence is not None and not has_evidence[i]:
                out.append(f"{UNKNOWN_TIER}: no direct evidence yet, no tier assigned")
            elif last is not None and not np.isnat(last[i]):
                when = pd.Timestamp(last[i]).date().isoformat()
                span = f" (more than {stale_days} days)" if stale_days else ""
                out.append(f"{UNKNOWN_TIER}: latest answer {when}{span}; assess before "
                           "placing on a tier")
            else:
                out.append(f"{UNKNOWN_TIER}: no tier assigned")
            continue
        deep = (f"deepest unfinished major standard {depth} grade{'s' if depth != 1 else ''} "
                "below" if depth else "no unfinished major standard below grade")
        out.append(f"Tier {int(tier)}: {breadth} unfinished major standards "
                   f"({nb} below grade, {na} at grade); {deep}")
    return out


def capacity_check(tiers: pd.DataFrame, by: str | None = "school_id") -> pd.DataFrame:
    """Compare each group's tier distribution with what MTSS can serve.

    Parameters
    ----------
    tiers : DataFrame
        Output of :func:`assign_tiers` (``tier`` and the ``by`` column).
    by : str or None, default "school_id"
        Grouping column; None for one row over everyone.

    Returns
    -------
    DataFrame
        ``group, n_students, n_tiered, tier1_share, tier2_share, tier3_share, status,
        message``; ``status`` is ``ok`` (within the targets), ``watch`` (off the targets) or
        ``far_off`` (Tier 1 < 65% or Tier 3 > 10%: strengthen core instruction).
    """
    df = tiers.copy()
    key = "__all__"
    if by is None:
        df[key] = "all"
        by = key
    rows = []
    for g, part in df.groupby(by, sort=True, dropna=False):
        t = part["tier"].dropna().astype(int).to_numpy()
        n = len(t)
        shares = [float((t == k).mean()) if n else float("nan") for k in (1, 2, 3)]
        status, msg = _capacity_status(n, *shares)
        rows.append({"group": g, "n_students": len(part), "n_tiered": n,
                     "tier1_share": shares[0], "tier2_share": shares[1],
                     "tier3_share": shares[2], "status": status, "message": msg})
    return pd.DataFrame(rows, columns=["group", "n_students", "n_tiered", "tier1_share",
                                       "tier2_share", "tier3_share", "status", "message"])


def _capacity_status(n: int, t1: float, t2: float, t3: float) -> tuple[str, str]:
    if n == 0:
        return "no_data", "no student has enough evidence for a tier"
    pct = f"Tier 1 {t1:.0%}, Tier 2 {t2:.0%}, Tier 3 {t3:.0%} of {n} students"
    if t1 < TIER1_FAR or t3 > TIER3_FAR:
        return "far_off", (f"{pct}: far from what MTSS can serve (core >= 80%, Tier 3 <= 5%); "
                           "core instruction needs strengthening, not more intervention slots")
    if t1 < TIER1_TARGET or t3 > TIER3_TARGET or not (t2 <= TIER2_RANGE[1] + 1e-12):
        return "watch", f"{pct}: off the MTSS targets (core >= 80%, Tier 2 10-15%, Tier 3 <= 5%)"
    return "ok", f"{pct}: within the MTSS targets"
