"""Intervention triage: put each problem at the level where it is.

Colorado's guidance (CDE, *Mathematics Intervention*) asks one question before any
intervention: where is the problem? When more than 10-20% of a class is struggling on a topic,
suspect whole-class instruction; when fewer are, help those students on that topic; when the
data are thin, the support structures weak across a school, or families out of reach, fix the
system. Its flowchart reads top down: a topic weak across most classrooms of a school (or a
district) is not N classroom problems but one problem of core instruction or curriculum; a
class over the threshold where its grade is not is a classroom problem, whether or not it
stands out from comparable classes (that tells a coach whether the teaching is suspect). This
module turns the mastery table into those decisions, each with the numbers that triggered it
and how sure we are.

Evidence (:mod:`sounding.planning.frames`)
------------------------------------------
A student is *confirmed* not secure on a standard when P(mastered) < 0.5 and their own answers
back it up: two direct answers on it, or one corroborated by at least two answers on its
prerequisites or cluster that all point the same way; and the student has *recent* direct
evidence (an answer within ``stale_days``, 120, of the as-of date, when an evidence summary is
given). A student with no evidence, or only stale evidence, is never flagged, never placed on
a tier and never grouped: they show up in a system-level data finding instead. Confirmed
students are who targeted help is for; the level of a finding rests on the estimate below.

Standards considered for a class: those the class has been taught -- the class's grade (its
units already started, when a scope and sequence and as-of date are given; Algebra I classes
at the Algebra I level) and the ``grades_back`` (2) grades below it, where unfinished learning
is still the class's business; deeper gaps are the tiers' business.

The decision, per class and cluster (a cluster of related standards is one reteaching topic)
-------------------------------------------------------------------------------------------
*The level is decided on the estimated share of the class not secure* (issue 14), never on
the count of students whose own answers confirm a gap: that count hides the iceberg (a
below-grade foundation never tested directly counts as absent). The calibrated posterior gives
each student's ``1 - P(mastered)``; their sum over the class is the expected number not secure
(:mod:`sounding.planning.shares`: a Poisson-binomial, with a 90% interval and the probability
that the class is truly over the threshold). Every class or student finding states the
estimated share with its interval, the confirmed count (the evidence rule of
:mod:`~sounding.planning.frames`), and how many students answered the standards directly.

*Entry condition* (the CDE rule): on at least one standard of the cluster the estimated share
is strictly more than ``threshold`` (0.20; allowed 0.10-0.20), in a class with recent evidence.
Such a cell is **never student-level**. Classes of a planning grade with at least
``min_class_size`` (5) students and recent evidence are the grade's *judged* classes. Then:

1. **small class** -- fewer than ``min_class_size`` students: classroom-level (teach the small
   group again), compared with no other class;
2. **lone class** -- the grade has fewer than ``peer_min_classes`` (3) judged classes in the
   district: nothing to compare with: *classroom-level*;
3. **stands out** -- the class's shortfall on the cluster stands out from the grade's classes
   (:mod:`sounding.planning.signals`: with the answers, a Rasch model with leave-one-out
   student abilities, overdispersion and a random class x cluster effect; without them, a
   beta-binomial on the confirmed counts; Benjamini-Hochberg at ``fdr`` 10% over every cell
   of the district): *classroom-level* with ``distinctive`` set (its teaching of the topic is
   suspect), whatever the rest of the grade looks like;
4. **district-wide** -- more than ``system_share`` (half) of the grade's judged classes in the
   district meet the entry condition, or the grade's students pooled are over the threshold,
   in at least ``district_min_schools`` (2) schools: one *system-level* finding for the grade
   and cluster, listing every class it covers (core curriculum, pacing or materials on that
   topic; for an earlier grade's topic, just-in-time support built into core);
5. **school-wide** -- otherwise, the same within a school with at least ``school_min_classes``
   (2) judged classes of the grade: one *system-level* finding listing its classes;
6. **the grade is not weak** -- *classroom-level* all the same (CDE: more than 10-20% of a
   class is a classroom matter). The comparison with the grade is information, never a reason
   to demote: ``confirmed`` when the class falls short of what its students' other work
   predicts (one-sided p < ``confirm_p``, 0.05: its teaching may be part of the cause),
   ``above_threshold`` when it does not stand out (the teaching is not singled out).

Classes covered by a district- or school-wide finding get no classroom finding on that topic
unless they stand out (3); :meth:`TriagePlan.select` with ``class_id`` returns the system
findings that list the class, so a teacher still sees them. A classroom finding whose topic
builds on another topic flagged in the same class says so (start with the foundation).

*Thin evidence*: when the students' own answers alone do not put the class (or the classes of
a system finding) over the threshold and fewer than half of the students answered the
standards directly, the estimate is mostly inferred from related standards: the finding says
so, ``numbers["confirm_first"]`` is set, and its action starts with "Confirm first": a short
targeted check of those standards before the reteach.

*Near the threshold*: a classroom finding whose 90% interval reaches down to the threshold on
every standard it names (a student or two either way), or a student-level one whose interval
reaches above it, says so (``numbers["near_threshold"]``): measured on simulated districts,
most class and student findings are such, and they are right about three times in four where
the others are right 95-100% of the time (notes/planning.md).

*Checks*: every such unsure finding (thin evidence or near the threshold) puts its class and
standards in :meth:`TriagePlan.checks` -- one short check per class, a few items per standard
for every student (:mod:`sounding.planning.checks`). Their answers, imported as evidence, let
the next plan decide those findings on direct evidence: measured on simulated districts, one
round of checks takes the level agreement from 77-88% to 88-97% and two rounds to 95-98%
(notes/planning.md).

*Class effect* (``TriageConfig.class_effects``, off by default): the estimate of a class on a
topic can be shifted by what its students' own answers say about the class
(:mod:`sounding.planning.class_effects`); it sharpens the shares a little but did not raise
the findings' level agreement, so the posterior is used as the model gave it.

*student-level*: the estimated share is at or under the threshold, and at least one student
is confirmed not secure by their own answers -- targeted help (Tier 2, or Tier 3 for students
on Tier 3) for exactly those students on exactly that standard. In a class smaller than
``min_class_size`` the reason says the class is too small to judge as a class.

Order
-----
Each topic finding carries ``numbers["priority"]``: whether its standards are the next core
unit's foundations (``just_in_time``, from the scope and sequence), the following unit's
(``soon``), and major work. Within a level, findings are sorted just in time first, then soon,
major before supporting, surest first. :meth:`TriagePlan.teacher_plan` gives a class's plan the
way a teacher works it: ``lead`` (the first ``LEAD`` = 3: a stale class first, then just in
time, whole-class actions before targeted help) and ``more`` (the rest, one step away).

Confidence
----------
classroom: the probability, from the students' posteriors taken as independent (Poisson-
binomial), that more than the threshold share of the class has truly not mastered the standard
(the highest over the cluster's standards over the threshold); for a class that stands out,
capped at ``1 - q`` (its false-discovery q-value). district/school-wide: the mean of that
probability over the classes covered. student: the mean of 1 - P(mastered) over the confirmed
students. Data findings: 1.0 (counts of the data themselves).

Other system-level findings
---------------------------
- ``stale_class``: at least half of a class has no direct evidence within ``stale_days`` (or
  none at all); ``stale_students``: the remaining such students, per school;
- ``unlinked_students``: students in no class, per school; ``empty_classes``: classes with
  nobody enrolled; ``unknown_students``: mastery for students not on the roster;
- ``grade_level_only``: in a school, at least 90% of the students with evidence have direct
  answers only at or above their grade, so every below-grade foundation is inferred, never
  measured (give a diagnostic that reaches below grade);
- ``family_connection``, from the family signals a district supplies (``family_signals``:
  ``student_id, signal, date, value``; one row per contact or event, ``value`` >=
  ``family_weak`` (0.5) meaning it succeeded): in a school with any signal, more than
  ``family_share`` (25%) of its students have no successful contact in the ``family_days``
  (90) days up to the as-of date; and a class (of ``min_class_size`` or more) over that share
  in a school that is not. Without signals, the students table's ``family_contact`` (0..1):
  more than 25% of a school's students with a signal below 0.5;
- ``mtss_capacity``: the school's tier distribution is far from what MTSS can serve
  (:func:`sounding.planning.tiers.capacity_check`); confidence: the share of the school's
  students with a tier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sounding.errors import InvalidData, InvalidInput, Problem
from sounding.planning.checks import Check, confirm_checks
from sounding.planning.class_effects import answer_counts, class_effects
from sounding.planning.frames import (
    CORROBORATE,
    MIN_EVIDENCE,
    NOT_SECURE,
    SECURE,
    GraphArrays,
    MasteryMatrix,
    check_classes,
    check_enrollments,
    check_mastery,
    check_students,
    cluster_key,
    eligible_columns,
    enrollments_from_students,
    plan_grades,
    recency,
    to_date,
)
from sounding.planning.scope import ScopeSequence, plain_text, scope_grade_label, sentence_case
from sounding.planning.shares import EPS, ClassShares, class_shares, share_words
from sounding.planning.signals import (
    FDR,
    class_topic_signals,
    count_signals,
    signal_lookup,
)
from sounding.planning.tiers import (
    UNKNOWN_TIER,
    TierRule,
    capacity_check,
    tier_reasons,
    tiers_from_matrix,
)
from sounding.progression import StandardsGraph, load_default

LEVELS = ("system", "classroom", "student")
#: Findings a class's plan leads with: the actions for the coming weeks (see
#: :meth:`TriagePlan.teacher_plan` and notes/planning.md); the rest is one step away.
LEAD = 3
THRESHOLD_RANGE = (0.10, 0.20)
FAMILY_COLUMNS = ("student_id", "signal", "date", "value")


@dataclass(frozen=True)
class TriageConfig:
    """Knobs of the triage (see the module docstring for what each one decides).

    Parameters
    ----------
    threshold : float, default 0.20
        Share of a class above which a problem is classroom-level (0.10-0.20, CDE's range).
    secure, not_secure : float, default 0.8, 0.5
    min_evidence, corroborate : int, default 2, 2
        The evidence rule (:mod:`sounding.planning.frames`).
    stale_days : int, default 120
        Evidence older than this (before the as-of date) is stale.
    grades_back : int, default 2
        Below-grade standards considered for a class.
    min_class_size : int, default 5
        Smaller classes are compared with no other class and count in no grade-wide test;
        over the threshold they are taught again as a group (classroom-level), under it their
        confirmed students get targeted help.
    stale_class_share : float, default 0.5
    peer_min_classes : int, default 3
        Judged classes of a grade needed before a class is compared with its peers; with
        fewer, the plain rule decides.
    fdr : float, default 0.10
        False discovery rate of the "stands out" calls.
    confirm_p : float, default 0.05
        One-sided p-value below which a class over the threshold, where its grade is not, is
        marked ``confirmed`` (its teaching may be part of the cause); above it the finding is
        ``above_threshold``. Either way it is classroom-level: the comparison informs, it
        never demotes.
    system_share : float, default 0.5
        "Most classrooms": more than this share of a grade's judged classes meeting the entry
        condition makes the topic a district- or school-wide (system-level) finding.
    district_min_schools : int, default 2
        A district-wide finding needs classes in at least this many schools (one school's
        pattern is school-wide).
    school_min_classes : int, default 2
    grade_level_only_share : float, default 0.9
    family_weak : float, default 0.5
        A family signal at or above this is a successful contact.
    family_share : float, default 0.25
    family_days : int, default 90
    class_effects : bool, default False
        With the answers, shift each class's estimate on a topic by what its students' own
        answers on it say about the class (:mod:`sounding.planning.class_effects`, an
        empirical-Bayes class effect). Off by default: measured on simulated districts it
        sharpens the (class, standard) estimates a little (RMSE 0.077 -> 0.076, seed 11) but
        does not improve the level agreement of the findings (notes/planning.md).
    tiers : TierRule
    """

    threshold: float = 0.20
    secure: float = SECURE
    not_secure: float = NOT_SECURE
    min_evidence: int = MIN_EVIDENCE
    corroborate: int = CORROBORATE
    stale_days: int = 120
    grades_back: int = 2
    min_class_size: int = 5
    stale_class_share: float = 0.5
    peer_min_classes: int = 3
    fdr: float = FDR
    confirm_p: float = 0.05
    system_share: float = 0.5
    district_min_schools: int = 2
    school_min_classes: int = 2
    grade_level_only_share: float = 0.9
    family_weak: float = 0.5
    family_share: float = 0.25
    family_days: int = 90
    class_effects: bool = False
    tiers: TierRule = field(default_factory=TierRule)

    def __post_init__(self) -> None:
        lo, hi = THRESHOLD_RANGE
        if not (lo - 1e-12 <= self.threshold <= hi + 1e-12):
            raise InvalidInput(f"threshold must be between {lo} and {hi} (CDE: 10-20% of a "
                               f"class), got {self.threshold}")
        if not (0 < self.not_secure <= self.secure <= 1):
            raise InvalidInput("need 0 < not_secure <= secure <= 1")
        if self.stale_days < 1:
            raise InvalidInput("stale_days must be at least 1")
        if not (0 < self.fdr < 1):
            raise InvalidInput("fdr must be between 0 and 1")
        if not (0 < self.system_share < 1):
            raise InvalidInput("system_share must be between 0 and 1")
        if self.family_days < 1:
            raise InvalidInput("family_days must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Recommendation:
    """One decision: what to do, for whom, on what, and why.

    Attributes
    ----------
    level : str
        ``system`` | ``classroom`` | ``student``.
    kind : str
        ``reteach``, ``targeted_help``, ``district_wide``, ``school_wide``, ``stale_class``,
        ``stale_students``, ``unlinked_students``, ``empty_classes``, ``unknown_students``,
        ``grade_level_only``, ``family_connection``, ``mtss_capacity``.
    standards : list of str
        The standards it is about (empty for data findings).
    students : list
        The students it is about.
    share : float or None
        The share that triggered it: the *estimated* share of the class not secure
        (classroom: the highest over its standards; student), of the class (stale class), of
        the grade's classes (district/school-wide) or of the school (other system findings).
        The reason states the same quantity.
    reason : str
        The numbers that triggered it, in a sentence.
    action : str
        What to do.
    confidence : float
        How sure we are, 0..1 (see the module docstring per kind).
    class_id, school_id, district_id : str or None
    grade : int or None
        The grade the class or finding is planned at (9 = Algebra I).
    unit : dict or None
        Where the (first) standard is taught in the scope and sequence.
    classes : list of str
        Classes involved (district- and school-wide findings list the classes they cover).
    numbers : dict
        Every count behind the reason, machine-readable.
    """

    level: str
    kind: str
    standards: list[str]
    students: list[Any]
    share: float | None
    reason: str
    action: str
    confidence: float
    class_id: str | None = None
    school_id: str | None = None
    district_id: str | None = None
    grade: int | None = None
    unit: dict[str, Any] | None = None
    classes: list[str] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {self.level!r}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["students"] = [_plain(s) for s in self.students]
        d["share"] = None if self.share is None else round(float(self.share), 4)
        d["confidence"] = round(float(self.confidence), 4)
        d["numbers"] = {k: _plain(v) for k, v in self.numbers.items()}
        return d


def _plain(v: Any) -> Any:
    """JSON-friendly scalars (numpy ints/floats, dates) and lists of them."""
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if np.isnan(v) else float(v)
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, date | datetime | pd.Timestamp):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


@dataclass
class TriagePlan:
    """All recommendations of one triage run, system first, then classroom, then student.

    Attributes
    ----------
    recommendations : list of Recommendation
    tiers : DataFrame
        Per student: ``student_id, school_id, grade, plan_grade, tier`` (Int64; NA when there
        is no recent evidence), ``label`` ("Tier 2", or :data:`~sounding.planning.tiers.
        UNKNOWN_TIER`), ``depth, breadth, n_below, n_at, reason``.
    capacity : DataFrame
        Capacity check per school.
    as_of : date
    config : TriageConfig
    class_schools : dict
        class_id -> school_id (what lets a class see its school's findings).
    class_members : dict
        class_id -> enrolled student ids.
    """

    recommendations: list[Recommendation]
    tiers: pd.DataFrame
    capacity: pd.DataFrame
    as_of: date
    config: TriageConfig
    class_schools: dict[Any, Any] = field(default_factory=dict)
    class_members: dict[Any, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.recommendations)

    def __iter__(self):
        return iter(self.recommendations)

    def select(self, *, level: str | None = None, kind: str | None = None,
               class_id: str | None = None, school_id: str | None = None) -> list[Recommendation]:
        """Recommendations matching every given filter.

        A class matches its own findings, the district- and school-wide findings that list it
        in ``classes``, and the system findings of its school that name no class (stale
        students, family connection, MTSS capacity...): what a teacher looking at the class
        should see. A school matches its findings and the district-wide findings that list
        one of its classes.
        """
        school_of_class = self.class_schools.get(class_id) if class_id is not None else None
        school_classes = ({c for c, s in self.class_schools.items() if s == school_id}
                          if school_id is not None else set())
        out = []
        for r in self.recommendations:
            if level is not None and r.level != level:
                continue
            if kind is not None and r.kind != kind:
                continue
            if school_id is not None and r.school_id != school_id and not (
                    r.school_id is None and school_classes.intersection(r.classes)):
                continue
            if class_id is not None and not (
                    r.class_id == class_id or class_id in r.classes
                    or (r.level == "system" and r.class_id is None and not r.classes
                        and school_of_class is not None and r.school_id == school_of_class)):
                continue
            out.append(r)
        return out

    def restricted(self, *, class_id: str | None = None,
                   school_id: str | None = None) -> TriagePlan:
        """The same plan keeping only what concerns one class or one school."""
        recs = self.select(class_id=class_id, school_id=school_id)
        tiers = self.tiers
        if school_id is not None:
            tiers = tiers[tiers["school_id"] == school_id]
            cap = self.capacity[self.capacity["group"] == school_id]
        elif class_id is not None:
            school = self.class_schools.get(class_id)
            cap = self.capacity[self.capacity["group"] == school]
        else:
            cap = self.capacity
        if class_id is not None:
            ids = set(self.class_members.get(class_id, ()))
            tiers = tiers[tiers["student_id"].isin(ids)]
        return replace(self, recommendations=recs, tiers=tiers.reset_index(drop=True),
                       capacity=cap.reset_index(drop=True))

    def teacher_plan(self, class_id: str, lead: int = LEAD) -> dict[str, Any]:
        """A class's plan the way a teacher works it: a few actions first, the rest after.

        Every finding the class sees (:meth:`select`) in priority order: data that block
        planning (a stale class) first, then the topics, just in time for the next core units
        first (the foundations of the next unit, then of the one after), whole-class actions
        (district/school-wide, reteach) before targeted help, major work before supporting,
        surest first. ``lead`` holds the first ``lead`` (3) of those; ``more`` the rest, one
        step away; the other system findings of the school (family, capacity...) are in
        ``school``.
        """
        recs = self.select(class_id=class_id)
        blocking = [r for r in recs if r.kind == "stale_class"]
        topics = sorted((r for r in recs if r.standards), key=_teacher_key)
        school = [r for r in recs if not r.standards and r.kind != "stale_class"]
        ordered = blocking + topics
        nxt = next((r.numbers.get("priority", {}).get("next_unit") for r in topics
                    if r.numbers.get("priority", {}).get("next_unit")), None)
        return {"class_id": class_id, "next_unit": nxt, "lead": ordered[:lead],
                "more": ordered[lead:], "school": school,
                "n_just_in_time": sum(bool(r.numbers.get("priority", {}).get("just_in_time"))
                                      for r in topics)}

    def coach_plan(self, *, school_id: str | None = None,
                   lead: int = LEAD) -> dict[int, dict[str, Any]]:
        """Per planning grade, the plan a coach works from: a few topics first, the rest after.

        The district- and school-wide topic findings of the grade (or those concerning
        ``school_id``) and its classroom findings, ordered like :meth:`teacher_plan` (just in
        time for the grade's next core unit first, whole-grade before single-class, major work
        first, surest first): ``lead`` (the first ``lead``), ``more`` (the rest), and
        ``classes`` (the classes the grade's findings list or are about).
        """
        recs = self.select(school_id=school_id) if school_id is not None else self.recommendations
        by_grade: dict[int, list[Recommendation]] = {}
        for r in recs:
            if r.standards and r.grade is not None and r.level in ("system", "classroom"):
                by_grade.setdefault(int(r.grade), []).append(r)
        out: dict[int, dict[str, Any]] = {}
        for g in sorted(by_grade):
            ordered = sorted(by_grade[g], key=_teacher_key)
            classes = sorted({c for r in ordered for c in ([r.class_id] if r.class_id else [])
                              + list(r.classes)})
            out[g] = {"grade": g, "lead": ordered[:lead], "more": ordered[lead:],
                      "classes": classes}
        return out

    def checks(self, **kwargs: Any) -> list[Check]:
        """The short checks the plan's unsure findings ask for, one per class
        (:func:`sounding.planning.checks.confirm_checks`; ``kwargs`` size them)."""
        return confirm_checks(sorted(self.recommendations, key=_teacher_key),
                              self.class_members, **kwargs)

    def summary(self) -> dict[str, Any]:
        by_level = {lv: 0 for lv in LEVELS}
        by_kind: dict[str, int] = {}
        for r in self.recommendations:
            by_level[r.level] += 1
            by_kind[r.kind] = by_kind.get(r.kind, 0) + 1
        t = self.tiers["tier"].dropna().astype(int)
        n = int(len(self.tiers))
        counts = {str(k): int((t == k).sum()) for k in (1, 2, 3)}
        return {
            "as_of": self.as_of.isoformat(), "threshold": self.config.threshold,
            "n_recommendations": len(self.recommendations), "by_level": by_level,
            "by_kind": by_kind, "n_students": n, "tiers": counts,
            "no_tier": int(self.tiers["tier"].isna().sum()),
            "tier_shares": {k: round(v / len(t), 4) if len(t) else None
                            for k, v in counts.items()},
        }

    def tier_records(self) -> list[dict[str, Any]]:
        """One ``{student_id, school_id, tier, reason}`` per student; ``tier`` is 1, 2, 3 or
        ``"unknown: no recent evidence"``."""
        out = []
        for sid, school, tier, reason in self.tiers[["student_id", "school_id", "tier",
                                                       "reason"]].itertuples(index=False):
            out.append({"student_id": _plain(sid), "school_id": _plain(school),
                        "tier": UNKNOWN_TIER if pd.isna(tier) else int(tier),
                        "reason": reason})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "config": self.config.to_dict(),
            "recommendations": [r.to_dict() for r in self.recommendations],
            "checks": [c.to_dict() for c in self.checks()],
            "tiers": self.tier_records(),
            "capacity": [{k: _plain(v) for k, v in row.items()}
                         for row in self.capacity.to_dict(orient="records")],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per recommendation (lists joined with ';')."""
        return recommendations_frame(self.recommendations)


def recommendations_frame(recs: Iterable[Recommendation]) -> pd.DataFrame:
    """Recommendations as a DataFrame, one row each (lists joined with ';')."""
    rows = []
    for r in recs:
        rows.append({
            "level": r.level, "kind": r.kind, "school_id": r.school_id,
            "class_id": r.class_id, "grade": r.grade,
            "standards": ";".join(r.standards), "n_students": len(r.students),
            "share": r.share, "confidence": r.confidence,
            "unit_id": r.unit["unit_id"] if r.unit else None, "reason": r.reason,
            "action": r.action,
        })
    return pd.DataFrame(rows, columns=["level", "kind", "school_id", "class_id", "grade",
                                       "standards", "n_students", "share", "confidence",
                                       "unit_id", "reason", "action"])


# ============================================================================ the triage


def triage(
    mastery: pd.DataFrame,
    students: pd.DataFrame,
    classes: pd.DataFrame,
    enrollments: pd.DataFrame | None = None,
    *,
    evidence: pd.DataFrame | None = None,
    graph: StandardsGraph | None = None,
    scope: ScopeSequence | None = None,
    as_of: date | datetime | str | None = None,
    config: TriageConfig | None = None,
    responses: pd.DataFrame | None = None,
    family_signals: pd.DataFrame | None = None,
) -> TriagePlan:
    """Triage a district (or any part of it) at system, classroom and student level.

    Parameters
    ----------
    mastery, students, classes, enrollments : DataFrame
        See :mod:`sounding.planning.frames`; without ``enrollments``, the students table's
        ``class_id`` column is used.
    evidence : DataFrame, optional
        ``student_id, n_responses, last_response`` (:func:`frames.evidence_summary`). Without
        it, any direct answer counts as recent.
    graph : StandardsGraph, optional
        Default: the shipped K-8 + Algebra I graph (from a store: ``store.progression()
        .k8_algebra1()``).
    scope : ScopeSequence, optional
        Units for each recommendation, and which current-grade standards have been taught.
    as_of : date, optional
        Default: the latest answer in ``evidence``, else today.
    config : TriageConfig, optional
    responses : DataFrame, optional
        ``student_id, standard, correct`` (``timestamp``): the answers themselves. With them,
        whether a class stands out from the grade's other classes is judged on its pooled
        answers per cluster (:func:`signals.class_topic_signals`), which carry more signal
        than per-student estimates; without them, on the counts of students not secure.
    family_signals : DataFrame, optional
        ``student_id, signal, date, value`` (``source``): family contacts the district logs
        (:func:`frames.check_family_signals`); see the module docstring for the rule.

    Returns
    -------
    TriagePlan
    """
    cfg = config or TriageConfig()
    graph = graph or load_default().k8_algebra1()
    st = check_students(students)
    ms = check_mastery(mastery, graph)
    cl = check_classes(classes)
    en = check_enrollments(enrollments) if enrollments is not None else \
        enrollments_from_students(st)
    fam = (check_family_signals(family_signals) if family_signals is not None
           and len(family_signals) else None)
    ga = GraphArrays.of(graph)
    m = MasteryMatrix.build(ms, st, graph)
    day = _as_of(as_of, evidence)
    taught = ({g: scope.taught_by(g, day) for g in scope.grades} if scope is not None else None)
    eligible = eligible_columns(ga.codes, ga.grade, taught)
    pg = plan_grades(st, cl, en)

    recent, last = recency(st, m, evidence, day, cfg.stale_days)
    flag = m.flaggable(not_secure=cfg.not_secure, min_evidence=cfg.min_evidence,
                       related=ga.related, corroborate=cfg.corroborate) & recent[:, None]

    rule = replace(cfg.tiers, not_secure=cfg.not_secure, min_evidence=cfg.min_evidence,
                   corroborate=cfg.corroborate)
    tiers = tiers_from_matrix(m, ga, pg, eligible, rule)
    tiers.loc[~recent, "tier"] = pd.NA
    tiers.insert(1, "school_id", st["school_id"].to_numpy())
    tiers.insert(2, "grade", st["grade"].to_numpy())
    tiers["label"] = [UNKNOWN_TIER if pd.isna(t) else f"Tier {int(t)}" for t in tiers["tier"]]
    tiers["reason"] = tier_reasons(tiers, last=last, has_evidence=m.has_evidence(),
                                   stale_days=cfg.stale_days)
    capacity = capacity_check(tiers, by="school_id")

    ctx = _Context(cfg, graph, ga, m, st, cl, en, scope, day, flag, recent, last, tiers, fam)
    ctx.build_members()
    if responses is not None and len(responses):
        sig = class_topic_signals(responses, en, cl, graph,
                                  cluster_of=lambda c: cluster_key(graph, c),
                                  grades_back=cfg.grades_back, as_of=day, fdr=cfg.fdr,
                                  min_peers=cfg.peer_min_classes)
        ctx.signals = signal_lookup(sig)
        ctx.responses = responses
    recs: list[Recommendation] = []
    recs += _data_findings(ctx, ms)
    recs += _classroom_and_system(ctx, eligible)
    recs += _family(ctx)
    recs += _capacity_findings(ctx, capacity)
    _prioritise(ctx, recs)
    order = {lv: i for i, lv in enumerate(LEVELS)}
    recs.sort(key=lambda r: (order[r.level], _priority_key(r), str(r.school_id),
                             str(r.class_id), r.kind, r.standards[:1]))
    return TriagePlan(recs, tiers, capacity, day, cfg,
                      class_schools=dict(zip(cl["class_id"], cl["school_id"], strict=True)),
                      class_members=ctx.members)


def check_family_signals(signals: pd.DataFrame, source: str = "family_signals",
                         known_students: set[Any] | None = None) -> pd.DataFrame:
    """Validate family-connection signals: ``student_id, signal, date, value[, source]``.

    ``date`` is a date (``YYYY-MM-DD``), ``value`` a number (0..1 by convention: 1 a
    successful contact, 0 an attempt that failed; anything at or above ``family_weak`` counts
    as successful). With ``known_students``, ids not on the roster are problems too.

    Raises
    ------
    InvalidData
        One problem per bad field, naming ``source``, the line (header = 1) and the field.
    """
    missing = [c for c in FAMILY_COLUMNS if c not in signals.columns]
    if missing:
        raise InvalidData([Problem(source, 1, c, "required column is missing") for c in missing])
    problems: list[Problem] = []
    sid = signals["student_id"].astype(str).str.strip()
    sig = signals["signal"].astype(str).str.strip()
    raw_date = signals["date"]
    dates = pd.Series([_iso_date(v) for v in raw_date], dtype=object)
    value = pd.to_numeric(signals["value"], errors="coerce")
    for i in range(len(signals)):
        line = i + 2
        if not sid.iat[i] or sid.iat[i].lower() == "nan":
            problems.append(Problem(source, line, "student_id", "empty"))
        elif known_students is not None and sid.iat[i] not in known_students:
            problems.append(Problem(source, line, "student_id",
                                    f"unknown student {sid.iat[i]!r} (not on the roster)"))
        if not sig.iat[i] or sig.iat[i].lower() == "nan":
            problems.append(Problem(source, line, "signal", "empty"))
        if pd.isna(dates.iat[i]):
            problems.append(Problem(source, line, "date",
                                    f"not a date (YYYY-MM-DD): {raw_date.iat[i]!r}"))
        if pd.isna(value.iat[i]) or not np.isfinite(value.iat[i]):
            problems.append(Problem(source, line, "value",
                                    f"not a number: {signals['value'].iat[i]!r}"))
        if len(problems) >= 50:
            break
    if problems:
        raise InvalidData(problems)
    out = pd.DataFrame({"student_id": sid.to_numpy(dtype=object), "signal": sig.to_numpy(),
                        "date": dates.to_numpy(), "value": value.to_numpy(float)})
    src = signals["source"].fillna("").astype(str).str.strip() if "source" in signals else ""
    out["source"] = src if isinstance(src, str) else src.to_numpy()
    return out


def _iso_date(v: Any) -> date | None:
    """A date from a date-like value or a strict ``YYYY-MM-DD`` string (None otherwise)."""
    if isinstance(v, datetime | pd.Timestamp):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v).strip()[:10]) if len(str(v).strip()) == 10 else None
    except ValueError:
        return None


@dataclass
class _Context:
    cfg: TriageConfig
    graph: StandardsGraph
    ga: GraphArrays
    m: MasteryMatrix
    st: pd.DataFrame
    cl: pd.DataFrame
    en: pd.DataFrame
    scope: ScopeSequence | None
    day: date
    flag: np.ndarray
    recent: np.ndarray
    last: np.ndarray
    tiers: pd.DataFrame
    family: pd.DataFrame | None = None
    members: dict[str, list[Any]] = field(default_factory=dict)
    districts: dict[Any, Any] = field(default_factory=dict)
    signals: dict[tuple[str, str], Any] | None = None  # (class_id, cluster) -> answer signal
    responses: pd.DataFrame | None = None  # the answers (for the class effects)
    stale_classes: set[Any] = field(default_factory=set)

    def build_members(self) -> None:
        """class_id -> enrolled students on the roster (each once, in enrollment order)."""
        known = set(self.st["student_id"])
        en = self.en[self.en["student_id"].isin(known)]
        grouped = en.groupby("class_id", sort=False)["student_id"].agg(list).to_dict()
        self.members = {c: list(dict.fromkeys(grouped.get(c, []))) for c in self.cl["class_id"]}

    def unit(self, code: str) -> dict[str, Any] | None:
        if self.scope is None:
            return None
        u = self.scope.unit_of(code)
        return u.to_dict() if u is not None else None

    def district_of(self, school_id: Any) -> Any:
        if not self.districts:
            self.districts = dict(zip(self.st["school_id"], self.st["district_id"],
                                      strict=True))
        return self.districts.get(school_id)


def _as_of(as_of: Any, evidence: pd.DataFrame | None) -> date:
    d = to_date(as_of)
    if d is not None:
        return d
    if evidence is not None and len(evidence) and "last_response" in evidence.columns:
        ts = pd.to_datetime(evidence["last_response"], errors="coerce").max()
        if pd.notna(ts):
            return ts.date()
    return date.today()


# ============================================================================ priorities


def _prioritise(ctx: _Context, recs: list[Recommendation]) -> None:
    """Mark each topic finding with where it stands against the next core units.

    ``numbers["priority"]``: ``next_unit`` (id of the grade's next core unit, from the scope
    and sequence), ``just_in_time`` (a standard of the finding is the next unit's or one it
    rests on), ``soon`` (the same for the unit after it), ``major`` (a standard is major work
    of its grade). Without a scope and sequence nothing is just in time; major work still
    comes first.
    """
    ga = ctx.ga
    need_cache: dict[int, tuple[str | None, np.ndarray, np.ndarray]] = {}

    def needs(g: int) -> tuple[str | None, np.ndarray, np.ndarray]:
        hit = need_cache.get(g)
        if hit is not None:
            return hit
        none = np.zeros(len(ga.codes), dtype=bool)
        if ctx.scope is None:
            need_cache[g] = (None, none, none)
            return need_cache[g]
        nxt = ctx.scope.next_unit(g, ctx.day)
        units = ctx.scope.units(g)
        ids = [u.unit_id for u in units]
        after = (units[ids.index(nxt.unit_id) + 1]
                 if nxt is not None and nxt.unit_id in ids and ids.index(nxt.unit_id) + 1
                 < len(units) else None)

        def mask(u: Any) -> np.ndarray:
            if u is None:
                return none
            cols = [ga.index[c] for c in u.standards if c in ga.index]
            if not cols:
                return none
            out = ga.closure[:, cols].any(axis=1)
            out[cols] = True
            return out

        need_cache[g] = (nxt.unit_id if nxt is not None else None, mask(nxt), mask(after))
        return need_cache[g]

    for r in recs:
        if not r.standards or r.grade is None:
            continue
        js = [ga.index[c] for c in r.standards if c in ga.index]
        unit_id, now, soon = needs(int(r.grade))
        r.numbers["priority"] = {"next_unit": unit_id,
                                 "just_in_time": bool(now[js].any()),
                                 "soon": bool(soon[js].any()),
                                 "major": bool(ga.major[js].any())}


def _priority_key(r: Recommendation) -> tuple:
    """Just in time, then soon, then the rest; major work first; surest, widest first."""
    pr = r.numbers.get("priority")
    if pr is None:  # data findings: before the topics of their level
        return (-1, 0, 0.0, 0.0)
    when = 0 if pr["just_in_time"] else 1 if pr["soon"] else 2
    return (when, 0 if pr["major"] else 1, -float(r.confidence), -float(r.share or 0.0))


def _teacher_key(r: Recommendation) -> tuple:
    """A teacher's order: when it is needed, whole-class before targeted help, then the rest."""
    when, major, conf, share = _priority_key(r)
    return (when, 0 if r.level != "student" else 1, major, conf, share)


# ============================================================================ classroom level


@dataclass
class _Cell:
    """One class x cluster over the threshold (estimated share), and how it was decided."""

    ci: int
    cluster: str
    js: list[int]
    basis: str = ""  # lone_class | stands_out | district | school | confirmed | above_threshold
    signal: Any = None
    q_value: float = float("nan")
    p_value: float = float("nan")


@dataclass
class _Cells:
    """Every per (class, standard) number a finding's reason states."""

    shares: ClassShares
    confirmed: np.ndarray  # (C, J) students confirmed not secure by their own answers
    answered: np.ndarray  # (C, J) students with a recent direct answer on the standard
    answers: np.ndarray  # (C, J) direct answers of the class's students on the standard
    members: list[np.ndarray]
    size: np.ndarray  # (C,) enrolled students
    likely: np.ndarray  # (n, J) P(mastered) < not_secure: probably not secure


def _classroom_and_system(ctx: _Context, eligible: np.ndarray) -> list[Recommendation]:
    """Classroom-, student-, district-wide and school-wide findings (module docstring)."""
    cfg, ga, m = ctx.cfg, ctx.ga, ctx.m
    row_of = pd.Index(ctx.st["student_id"]).get_indexer(ctx.en["student_id"])
    cls_index = pd.Index(ctx.cl["class_id"])
    col_of = cls_index.get_indexer(ctx.en["class_id"])
    ok = (row_of >= 0) & (col_of >= 0)
    n_cls, n_st = len(ctx.cl), len(ctx.st)
    emat = sp.csr_matrix((np.ones(int(ok.sum()), dtype=np.float32), (col_of[ok], row_of[ok])),
                         shape=(n_cls, n_st))
    emat.sum_duplicates()
    emat.data[:] = 1.0  # a repeated enrollment counts once
    emat.sort_indices()
    size = np.asarray(emat.sum(axis=1)).ravel()
    counts = np.asarray(emat @ ctx.flag.astype(np.float32))
    n_recent = np.asarray(emat @ ctx.recent.astype(np.float32)).ravel()
    pgrade = ctx.cl["plan_grade"].to_numpy(dtype=np.int64)
    near = ga.grade[None, :] >= (pgrade[:, None] - cfg.grades_back)
    allowed = eligible[pgrade] & near
    thr = cfg.threshold
    big = size >= cfg.min_class_size
    stale = (size > 0) & ((size - n_recent) / np.maximum(size, 1) >= cfg.stale_class_share)
    judged = big & ~stale
    shift = None
    if cfg.class_effects and ctx.responses is not None:
        right, total = answer_counts(ctx.responses, m.student_ids, ga.codes, ctx.graph.rollup)
        distance = np.maximum(pgrade[:, None] - ga.grade[None, :], 0)
        topic = np.unique(ga.cluster, return_inverse=True)[1]
        shift = class_effects(emat, m.p, right, total, topic, allowed & ~stale[:, None],
                              distance).shift
    shares = class_shares(emat, m.p, thr, columns=allowed[~stale].any(axis=0), shift=shift)
    # a small class is judged on its estimate too, but compared with no other class
    entry = shares.over(thr) & allowed & ~stale[:, None] & (size > 0)[:, None]
    student = (counts > 0) & allowed & ~entry
    direct = (m.n > 0) & ctx.recent[:, None]
    indptr, indices = emat.indptr, emat.indices
    members = [indices[indptr[ci]:indptr[ci + 1]] for ci in range(n_cls)]
    cx = _Cells(shares, counts, np.asarray(emat @ direct.astype(np.float32)),
                np.asarray(emat @ np.where(ctx.recent[:, None], m.n, 0).astype(np.float32)),
                members, size, np.nan_to_num(m.p, nan=1.0) < cfg.not_secure)

    # entry cells grouped by cluster
    cells: dict[tuple[int, str], _Cell] = {}
    for ci, j in zip(*np.nonzero(entry), strict=True):
        key = (int(ci), ga.cluster[j])
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = _Cell(int(ci), ga.cluster[j], [])
        cell.js.append(int(j))

    # how the class compares with its grade's classes: information, never a demotion
    if ctx.signals is None and cells:
        pv, qv = count_signals(counts, size, pgrade, judged, allowed, fdr=cfg.fdr,
                               min_peers=cfg.peer_min_classes)
    else:
        pv = qv = None
    cids = ctx.cl["class_id"].to_numpy()
    schools = ctx.cl["school_id"].to_numpy()
    n_grade: dict[int, int] = {}
    n_school_grade: dict[tuple[Any, int], int] = {}
    for ci in np.flatnonzero(judged):
        g = int(pgrade[ci])
        n_grade[g] = n_grade.get(g, 0) + 1
        n_school_grade[(schools[ci], g)] = n_school_grade.get((schools[ci], g), 0) + 1
    by_grade: dict[tuple[int, str], list[_Cell]] = {}
    by_school: dict[tuple[Any, int, str], list[_Cell]] = {}
    for cell in cells.values():
        g = int(pgrade[cell.ci])
        by_grade.setdefault((g, cell.cluster), []).append(cell)
        by_school.setdefault((schools[cell.ci], g, cell.cluster), []).append(cell)
        if ctx.signals is not None:
            sig = ctx.signals.get((str(cids[cell.ci]), cell.cluster))
            cell.signal = sig
            if sig is not None and not pd.isna(sig.q_value):
                cell.q_value = float(sig.q_value)
                cell.p_value = float(sig.p_value)
                if bool(sig.stands_out):
                    cell.basis = "stands_out"
        elif qv is not None and pv is not None:
            qs = qv[cell.ci, cell.js]
            if (~np.isnan(qs)).any():
                cell.q_value = float(np.nanmin(qs))
                cell.p_value = float(np.nanmin(pv[cell.ci, cell.js]))
                if cell.q_value <= cfg.fdr:
                    cell.basis = "stands_out"

    def weak(group: list[_Cell], total: int, rows: np.ndarray, min_classes: int) -> bool:
        """Most classrooms above the threshold, or the grade's students as a whole (leaving
        out classes that stand out: one outlier does not make a grade-wide pattern)."""
        plain = [c for c in group if c.basis != "stands_out"]
        if len(plain) < min_classes:
            return False
        others = total - (len(group) - len(plain))
        if len(plain) / max(others, 1) > cfg.system_share + 1e-12:
            return True
        rows = rows.copy()
        rows[[c.ci for c in group if c.basis == "stands_out"]] = False
        js = sorted({j for c in group for j in c.js})
        pooled = shares.expected[np.ix_(rows, js)].sum(axis=0) / max(shares.n[rows].sum(), 1)
        return bool((pooled > thr + EPS).any())

    district_wide: dict[tuple[int, str], list[_Cell]] = {}
    school_wide: dict[tuple[Any, int, str], list[_Cell]] = {}
    for c in cells.values():
        if not big[c.ci]:
            c.basis = "small_class"
    for key in list(by_grade):
        by_grade[key] = [c for c in by_grade[key] if big[c.ci]]
    for key in list(by_school):
        by_school[key] = [c for c in by_school[key] if big[c.ci]]
    for (g, cluster), group in by_grade.items():
        if not group:
            continue
        total = n_grade.get(g, 0)
        n_schools = len({schools[c.ci] for c in group if c.basis != "stands_out"})
        if total < cfg.peer_min_classes:
            for c in group:
                c.basis = c.basis or "lone_class"
            continue
        if (n_schools >= cfg.district_min_schools
                and weak(group, total, judged & (pgrade == g), cfg.district_min_schools)):
            district_wide[(g, cluster)] = group
            for c in group:
                c.basis = c.basis or "district"
    for (school, g, cluster), group in by_school.items():
        if not group or (g, cluster) in district_wide or n_grade.get(g, 0) < cfg.peer_min_classes:
            continue
        total = n_school_grade.get((school, g), 0)
        rows = judged & (pgrade == g) & (schools == school)
        if total >= cfg.school_min_classes and weak(group, total, rows,
                                                    cfg.school_min_classes):
            school_wide[(school, g, cluster)] = group
            for c in group:
                c.basis = c.basis or "school"
    for c in cells.values():
        if not c.basis:  # over the threshold where the grade is not: the class's own matter
            c.basis = ("confirmed" if not np.isnan(c.p_value) and c.p_value < cfg.confirm_p
                       else "above_threshold")

    out: list[Recommendation] = []
    classroom_cells: dict[int, list[_Cell]] = {}
    for c in cells.values():
        if c.basis not in ("district", "school"):
            classroom_cells.setdefault(c.ci, []).append(c)
    for cs in classroom_cells.values():
        flagged = {x.cluster for x in cs}
        for c in cs:
            below = _builds_on(ctx, c, flagged)
            out.append(_reteach(ctx, c, cx, n_grade, by_grade, district_wide, school_wide,
                                below))
    for (g, cluster), group in sorted(district_wide.items(), key=lambda kv: str(kv[0])):
        out.append(_wide(ctx, "district", None, g, cluster, group, n_grade[g], cx))
    for (school, g, cluster), group in sorted(school_wide.items(), key=lambda kv: str(kv[0])):
        out.append(_wide(ctx, "school", school, g, cluster, group,
                         n_school_grade[(school, g)], cx))
    tier_of = dict(zip(ctx.tiers["student_id"], ctx.tiers["tier"], strict=True))
    for ci in range(n_cls):
        cols = np.flatnonzero(student[ci])
        if not cols.size:
            continue
        base = _base(ctx, ci)
        for j in cols:
            out.append(_targeted(ctx, base, ci, int(j), cx, bool(big[ci]), tier_of))
    return out


def _base(ctx: _Context, ci: int) -> dict[str, Any]:
    crow = ctx.cl.iloc[ci]
    school = crow["school_id"]
    return {"class_id": crow["class_id"], "school_id": school,
            "district_id": ctx.district_of(school), "grade": int(crow["plan_grade"])}


def _builds_on(ctx: _Context, cell: _Cell, flagged: set[str]) -> list[str]:
    """Other clusters flagged in the same class that this cluster's standards rest on."""
    ga = ctx.ga
    pre = ga.closure[:, cell.js].any(axis=1)
    return sorted({ga.cluster[k] for k in np.flatnonzero(pre)} & (flagged - {cell.cluster}))


def _topic(ctx: _Context, codes: list[str], cluster: str) -> str:
    return sentence_case(ctx.graph[codes[0]].cluster_name) or cluster


def _evidence(ctx: _Context, cx: _Cells, cis: list[int], js: list[int]) -> dict[str, Any]:
    """The numbers behind an estimate over classes ``cis`` and standards ``js``.

    ``thin``: the students' own answers alone do not put the class over the threshold (on no
    standard are more than the threshold share confirmed) and fewer than half of the students
    answered any of the standards directly: the estimate is mostly inferred from other
    standards, so confirm it before acting on it.
    """
    thr = ctx.cfg.threshold
    n = float(cx.shares.n[cis].sum())
    rows = np.concatenate([cx.members[ci] for ci in cis]) if cis else np.zeros(0, np.int64)
    direct = (ctx.m.n[np.ix_(rows, js)] > 0) & ctx.recent[rows][:, None]
    n_answered_any = int(direct.any(axis=1).sum())
    n_confirmed_any = int(ctx.flag[np.ix_(rows, js)].any(axis=1).sum())
    confirmed = cx.confirmed[np.ix_(cis, js)].sum(axis=0)
    n_answers = int(cx.answers[np.ix_(cis, js)].sum())
    not_confirmed = bool((confirmed <= thr * n + EPS).all())
    thin = not_confirmed and n_answered_any < 0.5 * n
    return {"n": int(n), "n_answered": n_answered_any, "n_answers": n_answers,
            "n_confirmed_any": n_confirmed_any,
            "confirmed": {ctx.ga.codes[j]: int(v) for j, v in zip(js, confirmed, strict=True)},
            "thin": thin}


def _confirm_words(codes: list[str]) -> str:
    return (f"Confirm first: give a short targeted check on {', '.join(codes)} (a 5-10 minute "
            "quiz of a few items per standard, or the diagnostic's section on them) and act on "
            "its results; then ")


def _reteach(ctx: _Context, cell: _Cell, cx: _Cells, n_grade: dict[int, int], by_grade: dict,
             district_wide: dict, school_wide: dict,
             builds_on: list[str]) -> Recommendation:
    cfg, ga, m = ctx.cfg, ctx.ga, ctx.m
    thr = cfg.threshold
    ci = cell.ci
    base = _base(ctx, ci)
    g = base["grade"]
    js = sorted(cell.js, key=lambda j: (-cx.shares.expected[ci, j], j))
    codes = [ga.codes[j] for j in js]
    rows = cx.members[ci]
    sh = cx.shares
    n = int(sh.n[ci])
    worst = js[0]
    ev = _evidence(ctx, cx, [ci], js)
    likely = rows[cx.likely[np.ix_(rows, js)].any(axis=1)]
    conf = float(sh.p_over[ci, js].max())
    topic = _topic(ctx, codes, cell.cluster)
    per = {ga.codes[j]: round(float(sh.share[ci, j]), 6) for j in js}
    interval = {ga.codes[j]: [round(int(sh.lo[ci, j]) / max(n, 1), 4),
                              round(int(sh.hi[ci, j]) / max(n, 1), 4)] for j in js}
    n_conf = ev["confirmed"][codes[0]]
    others = "" if len(codes) == 1 else (
        " (also over it: " + ", ".join(f"{c} {per[c]:.0%}" for c in codes[1:]) + ")")
    est_words = share_words(sh.expected[ci, worst], sh.lo[ci, worst], sh.hi[ci, worst], n)
    head = (f"an estimated {est_words} of the {n} students not secure on {codes[0]}, more "
            f"than the {thr:.0%} threshold"
            f"{others}; {n_conf} of {n} confirmed on {codes[0]} by their own answers"
            + ("" if len(codes) == 1 else f" ({ev['n_confirmed_any']} on any of these)")
            + f", {ev['n_answered']} of "
            f"{n} answered {'it' if len(codes) == 1 else 'these standards'} directly "
            f"({ev['n_answers']} answers)")
    if ev["thin"]:
        head += (": the estimate rests on thin direct evidence (mostly inferred from related "
                 "standards), so confirm it first")
    # near the threshold: on none of the standards does the 90% interval clear it
    near = bool(all(int(sh.lo[ci, j]) <= thr * max(n, 1) + EPS for j in js))
    if near:
        head += ("; its 90% interval reaches down to the threshold, so the class is near it "
                 "(a student or two either way): the plan's short check on it settles it")
    gw = _grade_words(g)
    n_same = len(by_grade.get((g, cell.cluster), []))
    total = n_grade.get(g, 0)
    covered = ((g, cell.cluster) in district_wide
               or (base["school_id"], g, cell.cluster) in school_wide)
    sig = cell.signal
    if cell.basis == "small_class":
        why = (f"; a class of {int(cx.size[ci])} (fewer than {cfg.min_class_size}) is not "
               "compared with others: teach the topic again to the whole group")
    elif cell.basis == "lone_class":
        why = (f"; no other {gw} class to compare with (fewer than {cfg.peer_min_classes}), "
               "so the threshold rule decides: whole-class instruction is the place to act")
    elif cell.basis == "stands_out" and sig is not None:
        why = (f"; the class answered {sig.p_correct:.0%} of {int(sig.n_answers)} questions "
               f"on it correctly where its students' other work predicts "
               f"{sig.p_expected:.0%} (median {gw} class {sig.peer_p:.0%}; z = {sig.z:.1f}, "
               f"q = {cell.q_value:.3f} at a {cfg.fdr:.0%} false discovery rate): this class "
               "stands out from the grade, so its instruction on the topic is suspect")
    elif cell.basis == "stands_out":
        why = (f"; more students not secure than the grade's other classes would give by "
               f"chance (beta-binomial, q = {cell.q_value:.3f} at a {cfg.fdr:.0%} false "
               "discovery rate): this class stands out from the grade")
    else:
        how = ("its answers fall short of what its students' other work predicts"
               if sig is not None else "more of its students are confirmed not secure than "
               "the grade's rate gives by chance")
        p_txt = "" if np.isnan(cell.p_value) else f" (one-sided p = {cell.p_value:.3f})"
        stand = (f"{how}{p_txt}: its teaching of the topic may be part of the cause"
                 if cell.basis == "confirmed" else
                 f"it does not stand out from the grade's classes statistically{p_txt}: a "
                 "classroom matter all the same, the teaching is not singled out")
        why = (f"; {n_same - 1} of the other {total - 1} {gw} classes are over the threshold "
               f"and the grade as a whole is not; {stand}")
    if covered:
        why += ("; most of the grade is over the threshold on it too (see the "
                f"{'district' if (g, cell.cluster) in district_wide else 'school'}-wide "
                "finding)")
    if builds_on:
        why += f"; it builds on {', '.join(builds_on)}, also flagged in this class: start there"
    if not np.isnan(cell.q_value) and cell.basis == "stands_out":
        conf = min(conf, 1.0 - cell.q_value)
    unit = ctx.unit(codes[0])
    act = (f"reteach to the whole class: {topic} ({', '.join(codes)})"
           + (f", unit {unit['unit_id']}" if unit else ""))
    action = (_confirm_words(codes) + act) if ev["thin"] else act[0].upper() + act[1:]
    return Recommendation(
        level="classroom", kind="reteach", standards=codes, students=list(m.student_ids[likely]),
        share=max(per.values()), confidence=conf, unit=unit, reason=head + why, action=action,
        numbers={"n_class": n, "n_enrolled": int(cx.size[ci]), "estimated_share": per,
                 "interval": interval, "n_confirmed": ev["confirmed"],
                 "n_confirmed_any": ev["n_confirmed_any"],
                 "n_answered": ev["n_answered"], "n_answers": ev["n_answers"],
                 "confirm_first": ev["thin"], "threshold": thr, "cluster": cell.cluster,
                 "near_threshold": near, "basis": cell.basis,
                 "distinctive": cell.basis == "stands_out",
                 "teaching_suspect": cell.basis in ("stands_out", "confirmed"),
                 "covered_by_system": covered,
                 "n_grade_classes": total, "n_grade_classes_over": n_same,
                 "q_value": None if np.isnan(cell.q_value) else round(cell.q_value, 4),
                 "p_value": None if np.isnan(cell.p_value) else round(cell.p_value, 4),
                 "answers_z": None if sig is None or pd.isna(sig.z) else round(float(sig.z), 2),
                 "p_correct": None if sig is None else round(float(sig.p_correct), 3),
                 "p_expected": None if sig is None else round(float(sig.p_expected), 3),
                 "n_signal_answers": None if sig is None else int(sig.n_answers),
                 "builds_on": builds_on},
        **base)


def _wide(ctx: _Context, scope_kind: str, school: Any, g: int, cluster: str,
          group: list[_Cell], total: int, cx: _Cells) -> Recommendation:
    """One district- or school-wide finding for a grade and cluster."""
    ga, m, cfg = ctx.ga, ctx.m, ctx.cfg
    thr = cfg.threshold
    cids = ctx.cl["class_id"].to_numpy()
    schools = ctx.cl["school_id"].to_numpy()
    group = sorted(group, key=lambda c: str(cids[c.ci]))
    js = sorted({j for c in group for j in c.js})
    codes = [ga.codes[j] for j in js]
    students: list[Any] = []
    for c in group:
        rows = cx.members[c.ci]
        hit = cx.likely[np.ix_(rows, c.js)].any(axis=1)
        students += list(m.student_ids[rows[hit]])
    classes = [str(cids[c.ci]) for c in group]
    standouts = [str(cids[c.ci]) for c in group if c.basis == "stands_out"]
    k = len(group)
    topic = _topic(ctx, codes, cluster)
    gw = _grade_words(g)
    below = bool(ga.grade[js[0]] < g)
    n_schools = len({schools[c.ci] for c in group})
    where = (f"across {n_schools} schools" if scope_kind == "district"
             else "in this school")
    sh = cx.shares
    cis = [c.ci for c in group]
    conf = float(np.mean([sh.p_over[c.ci, c.js].max() for c in group]))
    est = {c: [round(float(x), 4) for x in sh.share[cis, j]] for c, j in zip(codes, js,
                                                                           strict=True)}
    pooled = sh.expected[np.ix_(cis, js)].sum(axis=0) / max(sh.n[cis].sum(), 1)
    lo_hi = [float(sh.share[c.ci, c.js].max()) for c in group]
    ev = _evidence(ctx, cx, cis, js)
    one = len(standouts) == 1
    also = (f"; {len(standouts)} of them stand{'s' if one else ''} out even so and "
            f"ha{'s its' if one else 've their'} own classroom finding "
            f"({', '.join(standouts)})" if standouts else "")
    if below:
        act = (f"{'district' if scope_kind == 'district' else 'school'}-wide: most {gw} "
               f"classes have unfinished earlier-grade learning on {topic} "
               f"({', '.join(codes)}); build it into core instruction just in time, before "
               "the units that rest on it, for the whole grade rather than class by class")
    elif scope_kind == "district":
        act = (f"district-wide: review the core curriculum, materials and pacing for {topic} "
               f"({', '.join(codes)}) in {gw} classes, and plan its reteaching across the "
               "grade; a classroom-by-classroom response would miss the cause")
    else:
        act = (f"school-wide support: review curriculum alignment and coaching for {topic} "
               f"({', '.join(codes)}) across the school's {gw} classes, rather than class "
               "by class")
    action = (_confirm_words(codes) + act) if ev["thin"] else act[0].upper() + act[1:]
    n_conf = ev["n_confirmed_any"]
    unit = ctx.unit(codes[0])
    return Recommendation(
        level="system", kind=f"{scope_kind}_wide", standards=codes, students=students,
        share=k / total, confidence=conf, school_id=school,
        district_id=(ctx.district_of(school) if school is not None
                     else ctx.district_of(schools[group[0].ci])),
        grade=g, unit=unit, classes=classes,
        reason=(f"{k} of {total} {gw} classes ({k / total:.0%}) {where} have more than "
                f"{thr:.0%} of their students not secure on {cluster} ({topic}), by the "
                f"estimate: {min(lo_hi):.0%} to {max(lo_hi):.0%} by class, "
                f"{float(pooled.max()):.0%} of their {ev['n']} students together; "
                f"{n_conf} of {ev['n']} confirmed by their own answers, {ev['n_answered']} of "
                f"{ev['n']} answered these standards directly ({ev['n_answers']} answers)"
                + ("; thin direct evidence: confirm first" if ev["thin"] else "")
                + f": a pattern in core instruction, not one classroom's{also}"),
        action=action,
        numbers={"n_classes_flagged": k, "n_classes": total, "cluster": cluster,
                 "n_schools": n_schools, "n_students": len(students),
                 "estimated_share": est, "pooled_share": [round(float(x), 4) for x in pooled],
                 "n_confirmed": ev["confirmed"], "n_confirmed_any": ev["n_confirmed_any"],
                 "n_answered": ev["n_answered"],
                 "n_answers": ev["n_answers"], "n_class_students": ev["n"],
                 "confirm_first": ev["thin"],
                 "stands_out": standouts, "below_grade": bool(below)})


def _targeted(ctx: _Context, base: dict[str, Any], ci: int, j: int, cx: _Cells, big: bool,
              tier_of: dict[Any, Any]) -> Recommendation:
    ga, m, cfg = ctx.ga, ctx.m, ctx.cfg
    thr = cfg.threshold
    rows = cx.members[ci]
    who = rows[ctx.flag[rows, j]]
    ids = list(m.student_ids[who])
    tiers = [tier_of.get(s) for s in ids]
    k = len(ids)
    code = ga.codes[j]
    sh = cx.shares
    n = int(sh.n[ci])
    est = float(sh.share[ci, j])
    ev = _evidence(ctx, cx, [ci], [j])
    conf = float(np.mean(1 - np.nan_to_num(m.p[who, j], nan=0.5)))
    tier_txt = "Tier 2/3" if any(t == 3 for t in tiers if not pd.isna(t)) else "Tier 2"
    students_word = "this student" if k == 1 else f"these {k} students"
    numbers_txt = (f"{k} of {int(cx.size[ci])} students confirmed not secure on {code} by their "
                   f"own answers; an estimated "
                   f"{share_words(sh.expected[ci, j], sh.lo[ci, j], sh.hi[ci, j], n)} of the "
                   f"class not secure on it, {ev['n_answered']} of {n} answered it directly "
                   f"({ev['n_answers']} answers)")
    near = int(sh.hi[ci, j]) > thr * max(n, 1) + EPS
    watch = (f"; its 90% interval reaches above the threshold, so watch the class on "
             f"{code}: the plan's short check of the whole class on it settles it"
             if near else "")
    if big:
        reason = (f"{numbers_txt}; at or under the {thr:.0%} threshold: isolated, not "
                  f"whole-class{watch}")
    else:
        reason = (f"{numbers_txt}; a class of {int(cx.size[ci])} is too small to judge as a "
                  f"class (fewer than {cfg.min_class_size}), so each student gets targeted "
                  "help")
    return Recommendation(
        level="student", kind="targeted_help", standards=[code], students=ids,
        share=round(est, 6), confidence=conf, unit=ctx.unit(code), reason=reason,
        action=(f"Targeted help ({tier_txt}) for {students_word} on {code}: "
                f"{_short(ctx.graph[code].text)}"),
        numbers={"n_class": n, "n_enrolled": int(cx.size[ci]), "n_not_secure": k,
                 "n_confirmed": {code: k}, "estimated_share": {code: round(est, 6)},
                 "interval": {code: [round(int(sh.lo[ci, j]) / max(n, 1), 4),
                                     round(int(sh.hi[ci, j]) / max(n, 1), 4)]},
                 "n_answered": ev["n_answered"], "n_answers": ev["n_answers"],
                 "threshold": thr, "small_class": not big, "near_threshold": near,
                 "p_mastered": [round(float(x), 3) for x in m.p[who, j]],
                 "n_evidence": [int(x) for x in m.n[who, j]],
                 "tiers": [None if pd.isna(t) else int(t) for t in tiers]},
        **base)


@lru_cache(maxsize=4096)
def _short(text: str, limit: int = 90) -> str:
    t = plain_text(text)
    return t if len(t) <= limit else t[:limit].rsplit(" ", 1)[0] + "..."


def _data_findings(ctx: _Context, ms: pd.DataFrame) -> list[Recommendation]:
    cfg, st, m = ctx.cfg, ctx.st, ctx.m
    out: list[Recommendation] = []
    sids = m.student_ids
    in_stale_class: set[int] = set()
    row_index = pd.Index(st["student_id"])
    since = ctx.day - timedelta(days=cfg.stale_days)
    # classes with mostly stale or no evidence
    class_rows = {c: i for i, c in enumerate(ctx.cl["class_id"])}
    for cid, members in ctx.members.items():
        crow = ctx.cl.iloc[class_rows[cid]]
        school = crow["school_id"]
        if not members:
            continue
        rows = row_index.get_indexer(members)
        stale = rows[~ctx.recent[rows]]
        if len(stale) / len(rows) >= cfg.stale_class_share:
            in_stale_class.update(int(r) for r in stale)
            last = ctx.last[rows]
            lastd = None if np.all(np.isnat(last)) else pd.Timestamp(np.nanmax(last)).date()
            none = int((~m.has_evidence()[rows]).sum())
            when = (f"latest answer {lastd.isoformat()}" if lastd is not None
                    else "no answers at all" if none == len(rows) else "no dated answers")
            out.append(Recommendation(
                level="system", kind="stale_class", standards=[], students=list(sids[stale]),
                share=len(stale) / len(rows), confidence=1.0, class_id=cid, school_id=school,
                district_id=ctx.district_of(school), grade=int(crow["plan_grade"]),
                reason=(f"{len(stale)} of {len(rows)} students ({len(stale) / len(rows):.0%}) "
                        f"have no direct evidence since {since.isoformat()} "
                        f"({cfg.stale_days} days before {ctx.day.isoformat()}); {when}"),
                action=("Collect current evidence for this class (a short diagnostic or the "
                        "next interim) before planning; no student is flagged on stale or "
                        "missing evidence"),
                numbers={"n_class": len(rows), "n_stale": len(stale), "n_no_evidence": none,
                         "last_response": lastd, "stale_days": cfg.stale_days}))
    # remaining stale students, unlinked students, per school
    enrolled = row_index.isin(ctx.en["student_id"])
    in_stale = np.zeros(len(st), dtype=bool)
    in_stale[list(in_stale_class)] = True
    alone_stale = ~ctx.recent & ~in_stale
    class_ids = ctx.cl["class_id"].to_numpy()
    class_schools = ctx.cl["school_id"].to_numpy()
    for school, part in st.groupby("school_id", sort=True):
        rows = part.index.to_numpy()
        district = part["district_id"].iloc[0]
        stale = rows[alone_stale[rows]]
        if len(stale):
            out.append(Recommendation(
                level="system", kind="stale_students", standards=[], students=list(sids[stale]),
                share=len(stale) / len(rows), confidence=1.0, school_id=school,
                district_id=district,
                reason=(f"{len(stale)} of {len(rows)} students ({len(stale) / len(rows):.0%}) "
                        f"have no direct evidence since {since.isoformat()}"),
                action="Assess these students before planning for them; they are not flagged",
                numbers={"n_school": len(rows), "n_stale": len(stale)}))
        unl = rows[~enrolled[rows]]
        if len(unl):
            out.append(Recommendation(
                level="system", kind="unlinked_students", standards=[], students=list(sids[unl]),
                share=len(unl) / len(rows), confidence=1.0, school_id=school,
                district_id=district,
                reason=(f"{len(unl)} of {len(rows)} students ({len(unl) / len(rows):.0%}) "
                        "are enrolled in no class: no teacher sees their results"),
                action="Fix the roster: enroll these students in their math class",
                numbers={"n_school": len(rows), "n_unlinked": len(unl)}))
        empty = [c for c in class_ids[class_schools == school] if not ctx.members.get(c)]
        if empty:
            out.append(Recommendation(
                level="system", kind="empty_classes", standards=[], students=[], share=None,
                confidence=1.0, school_id=school, district_id=district, classes=list(empty),
                reason=f"{len(empty)} class(es) with no students enrolled: {', '.join(empty)}",
                action="Fix the roster: link the students of these classes",
                numbers={"n_empty": len(empty)}))
        # evidence only at grade level
        has = m.has_evidence()[rows]
        if has.any():
            below = (m.n[rows] > 0) & (ctx.ga.grade[None, :] < m.grade[rows][:, None])
            only = has & ~below.any(axis=1)
            share = float(only.sum() / has.sum())
            if share >= cfg.grade_level_only_share:
                out.append(Recommendation(
                    level="system", kind="grade_level_only", standards=[], students=[],
                    share=share, confidence=1.0, school_id=school, district_id=district,
                    reason=(f"{int(only.sum())} of {int(has.sum())} students with evidence "
                            f"({share:.0%}) have direct answers only on grade-level standards: "
                            "their below-grade foundations are inferred, never measured"),
                    action=("Give a diagnostic that reaches below grade level, so unfinished "
                            "foundations are measured, not only inferred"),
                    numbers={"n_with_evidence": int(has.sum()), "n_grade_level_only":
                             int(only.sum())}))
    out += _grade_level_only_grades(ctx)
    known = pd.Index(pd.unique(ms["student_id"]))
    unknown = sorted(known[~known.isin(sids)].tolist(), key=str)
    if unknown:
        out.append(Recommendation(
            level="system", kind="unknown_students", standards=[], students=unknown, share=None,
            confidence=1.0,
            reason=f"mastery for {len(unknown)} student(s) who are not on the roster",
            action="Fix the roster or the evidence ids: these results reach no one",
            numbers={"n_unknown": len(unknown)}))
    return out


def _grade_level_only_grades(ctx: _Context) -> list[Recommendation]:
    """Whole grades of a district (in 2+ schools) whose students' answers never reach below
    grade: every below-grade estimate of their plan is inferred, never measured."""
    cfg, m, ga = ctx.cfg, ctx.m, ctx.ga
    pg = ctx.tiers["plan_grade"].to_numpy(dtype=np.int64)
    assessed = m.has_evidence() & ctx.recent
    below = ((m.n > 0) & (ga.grade[None, :] < pg[:, None])).any(axis=1)
    frame = pd.DataFrame({"d": ctx.st["district_id"].to_numpy(), "g": pg,
                          "s": ctx.st["school_id"].to_numpy()})
    out: list[Recommendation] = []
    for (district, g), idx in frame.groupby(["d", "g"], sort=True).indices.items():
        rows = idx[assessed[idx]]
        if int(g) == 0 or len(rows) < cfg.min_class_size:
            continue
        if frame["s"].iloc[rows].nunique() < 2:  # one school: the school's finding says it
            continue
        only = ~below[rows]
        share = float(only.mean())
        if share < cfg.grade_level_only_share:
            continue
        schools = set(frame["s"].iloc[idx])
        cls = ctx.cl[(ctx.cl["plan_grade"] == g) & ctx.cl["school_id"].isin(schools)]
        gw = _grade_words(int(g))
        out.append(Recommendation(
            level="system", kind="grade_level_only", standards=[], students=[], share=share,
            confidence=1.0, district_id=district, grade=int(g),
            classes=sorted(map(str, cls["class_id"])),
            reason=(f"{int(only.sum())} of {len(rows)} {gw} students with recent answers "
                    f"({share:.0%}), across {len(schools)} schools, have direct answers only "
                    "on grade-level standards: every below-grade foundation in this grade's "
                    "plan is inferred, never measured, so its findings on earlier-grade "
                    "standards ask to confirm first"),
            action=(f"Give {gw} classes a short diagnostic that reaches below grade level "
                    "(the foundations of the next units first), so unfinished learning is "
                    "measured, not only inferred"),
            numbers={"n_assessed": len(rows), "n_grade_level_only": int(only.sum()),
                     "n_schools": len(schools)}))
    return out


def _grade_words(grade: int) -> str:
    label = scope_grade_label(grade)
    return "Algebra I" if label == "A1" else ("kindergarten" if label == "K" else
                                              f"grade-{label}")




def _family(ctx: _Context) -> list[Recommendation]:
    if ctx.family is not None:
        return _family_from_signals(ctx)
    st, cfg = ctx.st, ctx.cfg
    if "family_contact" not in st.columns or st["family_contact"].notna().sum() == 0:
        return []
    out = []
    for school, part in st.groupby("school_id", sort=True):
        fc = part["family_contact"].dropna()
        if fc.empty:
            continue
        weak = fc < cfg.family_weak
        share = float(weak.mean())
        if share > cfg.family_share:
            ids = list(part.loc[fc.index[weak.to_numpy()], "student_id"])
            out.append(Recommendation(
                level="system", kind="family_connection", standards=[], students=ids,
                share=share, confidence=1.0, school_id=school,
                district_id=part["district_id"].iloc[0],
                reason=(f"{int(weak.sum())} of {len(fc)} students ({share:.0%}) have a family "
                        f"contact signal below {cfg.family_weak}"),
                action=_FAMILY_ACTION,
                numbers={"n_with_signal": len(fc), "n_weak": int(weak.sum())}))
    return out


_FAMILY_ACTION = ("Strengthen family connections: family math nights, plain-language reports "
                  "home, outreach in the family's language")


def _family_from_signals(ctx: _Context) -> list[Recommendation]:
    """The family-connection rule on logged contacts (module docstring)."""
    st, cfg, fam = ctx.st, ctx.cfg, ctx.family
    since = ctx.day - timedelta(days=cfg.family_days)
    sid_school = dict(zip(st["student_id"].astype(str), st["school_id"], strict=True))
    fam = fam.assign(_sid=fam["student_id"].astype(str))
    with_signal = {sid_school[s] for s in fam["_sid"] if s in sid_school}
    window = fam[(fam["date"] > since) & (fam["date"] <= ctx.day)
                 & (fam["value"] >= cfg.family_weak)]
    reached = set(window["_sid"])
    out: list[Recommendation] = []
    fired: set[Any] = set()
    for school, part in st.groupby("school_id", sort=True):
        if school not in with_signal:
            continue
        ids = list(part["student_id"])
        none = [s for s in ids if str(s) not in reached]
        share = len(none) / len(ids)
        if share > cfg.family_share + 1e-12:
            fired.add(school)
            out.append(Recommendation(
                level="system", kind="family_connection", standards=[], students=none,
                share=share, confidence=1.0, school_id=school,
                district_id=part["district_id"].iloc[0],
                reason=(f"{len(none)} of {len(ids)} students ({share:.0%}) have no successful "
                        f"family contact logged in the {cfg.family_days} days up to "
                        f"{ctx.day.isoformat()} (more than {cfg.family_share:.0%})"),
                action=_FAMILY_ACTION,
                numbers={"n_school": len(ids), "n_no_contact": len(none),
                         "family_days": cfg.family_days, "since": since}))
    for cid, members in ctx.members.items():
        crow = ctx.cl.loc[ctx.cl["class_id"] == cid].iloc[0]
        school = crow["school_id"]
        if school in fired or school not in with_signal or len(members) < cfg.min_class_size:
            continue
        none = [s for s in members if str(s) not in reached]
        share = len(none) / len(members)
        if share > cfg.family_share + 1e-12:
            out.append(Recommendation(
                level="system", kind="family_connection", standards=[], students=none,
                share=share, confidence=1.0, class_id=cid, school_id=school,
                district_id=ctx.district_of(school), grade=int(crow["plan_grade"]),
                reason=(f"{len(none)} of {len(members)} students of this class ({share:.0%}) "
                        f"have no successful family contact logged in the {cfg.family_days} "
                        f"days up to {ctx.day.isoformat()} (more than {cfg.family_share:.0%}), "
                        "though the school as a whole is not over that share"),
                action=("Reach this class's families: a call or message home from the teacher, "
                        "a plain-language report, an invitation to a family math night"),
                numbers={"n_class": len(members), "n_no_contact": len(none),
                         "family_days": cfg.family_days, "since": since}))
    return out


def _capacity_findings(ctx: _Context, capacity: pd.DataFrame) -> list[Recommendation]:
    out = []
    for row in capacity.itertuples(index=False):
        if row.status != "far_off":
            continue
        out.append(Recommendation(
            level="system", kind="mtss_capacity", standards=[], students=[],
            share=float(row.tier1_share), confidence=row.n_tiered / max(row.n_students, 1),
            school_id=row.group, district_id=ctx.district_of(row.group),
            reason=row.message,
            action=("Strengthen core (Tier 1) instruction school-wide; more intervention slots "
                    "will not close this gap"),
            numbers={"n_students": int(row.n_students), "n_tiered": int(row.n_tiered),
                     "tier1_share": float(row.tier1_share),
                     "tier2_share": float(row.tier2_share),
                     "tier3_share": float(row.tier3_share)}))
    return out
