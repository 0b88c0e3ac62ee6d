"""Intervention triage: put each problem at the level where it is.

Colorado's guidance (CDE, *Mathematics Intervention*) asks one question before any
intervention: where is the problem? When more than 10-20% of a class is struggling on a topic,
suspect whole-class instruction and reteach the class; when fewer are, help those students on
that topic; when the data are thin, the support structures weak across a school, or families
out of reach, fix the system. Buying more intervention for a problem that lives in core
instruction or in the data does not help. This module turns the mastery table into those
decisions, each with the numbers that triggered it and how sure we are.

Rules (defaults in :class:`TriageConfig`)
-----------------------------------------
Counting a student as "not secure" on a standard follows :mod:`sounding.planning.frames`:
P(mastered) < 0.5 with at least 2 direct answers on it, or 1 direct answer and a confident
posterior (sd <= 0.15),
and the student has *recent* direct evidence (an answer within ``stale_days``, 120, of the
as-of date, when an evidence summary is given). A student with no evidence, or only stale
evidence, is never flagged: they show up in a system-level data finding.

Standards considered for a class: those the class has been taught -- the class's grade (its
units already started, when a scope and sequence and as-of date are given; Algebra I classes
at the Algebra I level) and the ``grades_back`` (2) grades below it, where unfinished learning
is still the class's business; deeper gaps are the tiers' business.

*classroom-level*
    On a standard, strictly more than ``threshold`` (0.20; allowed 0.10-0.20) of the class's
    enrolled students are not secure, and the class has at least ``min_class_size`` (5)
    students. Standards of one cluster flagged in the same class are reported together
    (a cluster of related standards is one reteaching topic). Confidence: the probability,
    from the students' posteriors taken as independent (Poisson-binomial), that more than the
    threshold share of the class has truly not mastered the standard (the highest over the
    cluster's flagged standards).
*student-level*
    At least one but not more than the threshold share not secure: targeted help for exactly
    those students on exactly that standard (Tier 2, or Tier 3 for students on Tier 3).
    Confidence: the mean of 1 - P(mastered) over those students.
*system-level* (confidence 1.0 for counts of the data themselves)
    - ``stale_class``: at least half of a class has no direct evidence within ``stale_days``
      (or none at all); ``stale_students``: the remaining such students, per school;
    - ``unlinked_students``: students in no class, per school; ``empty_classes``: classes
      with nobody enrolled; ``unknown_students``: mastery for students not on the roster;
    - ``grade_level_only``: in a school, at least 90% of the students with evidence have
      direct answers only at or above their grade, so every below-grade foundation is
      inferred, never measured (give a diagnostic that reaches below grade);
    - ``school_wide``: in a school, at least 2 classes and at least 30% of the school's
      classes of a grade have a classroom-level finding on the same cluster (school-wide
      supports or curriculum misalignment, not one teacher); confidence: the mean of those
      classroom findings' (which are kept, marked ``numbers["school_wide"] = True``);
    - ``family_connection``: where the district supplies ``family_contact`` (0..1), more than
      25% of a school's students with a signal below 0.5;
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

from sounding.errors import InvalidInput
from sounding.planning.frames import (
    MAX_SD,
    MIN_EVIDENCE,
    NOT_SECURE,
    SECURE,
    GraphArrays,
    MasteryMatrix,
    check_classes,
    check_enrollments,
    check_mastery,
    check_students,
    eligible_columns,
    enrollments_from_students,
    plan_grades,
    to_date,
)
from sounding.planning.scope import ScopeSequence, plain_text, scope_grade_label, sentence_case
from sounding.planning.tiers import TierRule, capacity_check, tier_reasons, tiers_from_matrix
from sounding.progression import StandardsGraph, load_default

LEVELS = ("system", "classroom", "student")
THRESHOLD_RANGE = (0.10, 0.20)


@dataclass(frozen=True)
class TriageConfig:
    """Knobs of the triage (see the module docstring for what each one decides).

    Parameters
    ----------
    threshold : float, default 0.20
        Share of a class above which a problem is classroom-level (0.10-0.20, CDE's range).
    secure, not_secure : float, default 0.8, 0.5
    min_evidence : int, default 2
    max_sd : float, default 0.15
    stale_days : int, default 120
        Evidence older than this (before the as-of date) is stale.
    grades_back : int, default 2
        Below-grade standards considered for a class.
    min_class_size : int, default 5
        Smaller classes get student-level findings only (a share of 3 is not a pattern).
    stale_class_share : float, default 0.5
    school_min_classes : int, default 2
    school_share : float, default 0.30
    grade_level_only_share : float, default 0.9
    family_weak : float, default 0.5
    family_share : float, default 0.25
    peer_min_classes : int, default 3
        Classes of a grade needed before a classroom finding is compared with its peers
        (``numbers["distinctive"]``: this class's share exceeds the median class's by more
        than the threshold).
    z_min : float, default 3.0
        With the answers given, a class stands out on a cluster when its pooled answers fall
        below the median class's by more than ``z_min`` standard errors.
    tiers : TierRule
    """

    threshold: float = 0.20
    secure: float = SECURE
    not_secure: float = NOT_SECURE
    min_evidence: int = MIN_EVIDENCE
    max_sd: float = MAX_SD
    stale_days: int = 120
    grades_back: int = 2
    min_class_size: int = 5
    stale_class_share: float = 0.5
    school_min_classes: int = 2
    school_share: float = 0.30
    grade_level_only_share: float = 0.9
    family_weak: float = 0.5
    family_share: float = 0.25
    peer_min_classes: int = 3
    z_min: float = 3.0
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
        ``reteach``, ``targeted_help``, ``stale_class``, ``stale_students``,
        ``unlinked_students``, ``empty_classes``, ``unknown_students``, ``grade_level_only``,
        ``school_wide``, ``family_connection``, ``mtss_capacity``.
    standards : list of str
        The standards it is about (empty for data findings).
    students : list
        The students it is about.
    share : float or None
        The share of the class (or school) that triggered it.
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
        Classes involved (school-wide findings list several).
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
        return float(v)
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
        Per student tier (see :mod:`sounding.planning.tiers`), with ``reason``.
    capacity : DataFrame
        Capacity check per school.
    as_of : date
    config : TriageConfig
    """

    recommendations: list[Recommendation]
    tiers: pd.DataFrame
    capacity: pd.DataFrame
    as_of: date
    config: TriageConfig

    def __len__(self) -> int:
        return len(self.recommendations)

    def __iter__(self):
        return iter(self.recommendations)

    def select(self, *, level: str | None = None, kind: str | None = None,
               class_id: str | None = None, school_id: str | None = None) -> list[Recommendation]:
        """Recommendations matching every given filter (a class matches school-wide findings
        that involve it, and the system findings of its school that name no class)."""
        out = []
        for r in self.recommendations:
            if level is not None and r.level != level:
                continue
            if kind is not None and r.kind != kind:
                continue
            if school_id is not None and r.school_id != school_id:
                continue
            if class_id is not None and not (r.class_id == class_id or class_id in r.classes):
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
        else:
            cap = self.capacity
        if class_id is not None:
            ids = {s for r in recs if r.class_id == class_id for s in r.students}
            ids |= set(self.tiers.attrs.get("class_members", {}).get(class_id, ()))
            tiers = tiers[tiers["student_id"].isin(ids)]
        return replace(self, recommendations=recs, tiers=tiers.reset_index(drop=True),
                       capacity=cap.reset_index(drop=True))

    def summary(self) -> dict[str, Any]:
        by_level = {lv: 0 for lv in LEVELS}
        by_kind: dict[str, int] = {}
        for r in self.recommendations:
            by_level[r.level] += 1
            by_kind[r.kind] = by_kind.get(r.kind, 0) + 1
        t = self.tiers["tier"].dropna().astype(int)
        return {
            "as_of": self.as_of.isoformat(), "threshold": self.config.threshold,
            "n_recommendations": len(self.recommendations), "by_level": by_level,
            "by_kind": by_kind, "n_students": int(len(self.tiers)),
            "tiers": {str(k): int((t == k).sum()) for k in (1, 2, 3)},
            "no_tier": int(self.tiers["tier"].isna().sum()),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "config": self.config.to_dict(),
            "recommendations": [r.to_dict() for r in self.recommendations],
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
        Default: the shipped K-8 + Algebra I graph.
    scope : ScopeSequence, optional
        Units for each recommendation, and which current-grade standards have been taught.
    as_of : date, optional
        Default: the latest answer in ``evidence``, else today.
    config : TriageConfig, optional
    responses : DataFrame, optional
        ``student_id, standard, correct``: the answers themselves. With them, whether a
        classroom finding stands out from the grade's other classes is judged on the class's
        pooled answers per cluster (:mod:`sounding.planning.signals`), which carry more signal
        than per-student estimates; without them, on the per-student shares.

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
    ga = GraphArrays.of(graph)
    m = MasteryMatrix.build(ms, st, graph)
    day = _as_of(as_of, evidence)
    taught = ({g: scope.taught_by(g, day) for g in scope.grades} if scope is not None else None)
    eligible = eligible_columns(ga.codes, ga.grade, taught)
    pg = plan_grades(st, cl, en)

    recent, last = _recency(st, m, evidence, day, cfg.stale_days)
    flag = m.flaggable(not_secure=cfg.not_secure, min_evidence=cfg.min_evidence,
                       max_sd=cfg.max_sd) & recent[:, None]

    tiers = tiers_from_matrix(m, ga, pg, eligible, cfg.tiers)
    tiers.insert(1, "school_id", st["school_id"].to_numpy())
    tiers.insert(2, "grade", st["grade"].to_numpy())
    tiers["reason"] = tier_reasons(tiers)
    capacity = capacity_check(tiers, by="school_id")

    ctx = _Context(cfg, graph, ga, m, st, cl, en, scope, day, flag, recent, last, tiers)
    if responses is not None and len(responses):
        from sounding.planning.frames import cluster_key
        from sounding.planning.signals import cluster_signals

        sig = cluster_signals(responses, en, ctx.cl, graph,
                              cluster_of=lambda c: cluster_key(graph, c), z_min=cfg.z_min)
        ctx.signals = {(str(r.class_id), r.cluster): r for r in sig.itertuples(index=False)}
    recs: list[Recommendation] = []
    class_recs = _classroom_and_student(ctx, eligible)
    recs += _data_findings(ctx, ms)
    recs += _school_wide(ctx, [r for r in class_recs if r.level == "classroom"])
    recs += _family(ctx)
    recs += _capacity_findings(ctx, capacity)
    recs += class_recs
    order = {lv: i for i, lv in enumerate(LEVELS)}
    recs.sort(key=lambda r: (order[r.level], str(r.school_id), str(r.class_id), r.kind,
                             r.standards[:1]))
    tiers.attrs["class_members"] = ctx.members
    return TriagePlan(recs, tiers, capacity, day, cfg)


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
    members: dict[str, list[Any]] = field(default_factory=dict)
    districts: dict[Any, Any] = field(default_factory=dict)
    signals: dict[tuple[str, str], Any] | None = None  # (class_id, cluster) -> answer signal

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


def _recency(st: pd.DataFrame, m: MasteryMatrix, evidence: pd.DataFrame | None, day: date,
             stale_days: int) -> tuple[np.ndarray, np.ndarray]:
    """(recent (n,) bool, last answer (n,) datetime64 or NaT) per student."""
    has = m.has_evidence()
    if evidence is None:
        return has, np.full(len(st), np.datetime64("NaT"), dtype="datetime64[ns]")
    if "student_id" not in evidence.columns or "last_response" not in evidence.columns:
        raise InvalidInput("evidence must have columns student_id, last_response")
    ev = evidence.drop_duplicates("student_id").set_index("student_id")
    last = pd.to_datetime(ev["last_response"], errors="coerce")
    if getattr(last.dt, "tz", None) is not None:
        last = last.dt.tz_convert("UTC").dt.tz_localize(None)
    last = last.reindex(st["student_id"]).to_numpy(dtype="datetime64[ns]")
    cutoff = np.datetime64(day - timedelta(days=stale_days), "ns")
    recent = ~np.isnat(last) & (last >= cutoff)
    return recent, last


def _poisson_binomial_tail(q: np.ndarray, k: int) -> float:
    """P(sum of independent Bernoulli(q_i) > k)."""
    dist = np.zeros(len(q) + 1)
    dist[0] = 1.0
    for i, qi in enumerate(q):
        dist[1:i + 2] = dist[1:i + 2] * (1 - qi) + dist[:i + 1] * qi
        dist[0] *= 1 - qi
    return float(dist[k + 1:].sum())


def _classroom_and_student(ctx: _Context, eligible: np.ndarray) -> list[Recommendation]:
    cfg, ga, m = ctx.cfg, ctx.ga, ctx.m
    row_of = pd.Index(ctx.st["student_id"]).get_indexer(ctx.en["student_id"])
    cls_index = pd.Index(ctx.cl["class_id"])
    col_of = cls_index.get_indexer(ctx.en["class_id"])
    ok = (row_of >= 0) & (col_of >= 0)
    r_idx, c_idx = row_of[ok], col_of[ok]
    n_cls = len(ctx.cl)
    emat = sp.csr_matrix((np.ones(r_idx.size, dtype=np.float32), (c_idx, r_idx)),
                         shape=(n_cls, len(ctx.st)))
    emat.sum_duplicates()
    emat.data[:] = 1.0  # a repeated enrollment counts once
    size = np.asarray(emat.sum(axis=1)).ravel()
    counts = np.asarray(emat @ ctx.flag.astype(np.float32))
    pgrade = ctx.cl["plan_grade"].to_numpy(dtype=np.int64)
    near = ga.grade[None, :] >= (pgrade[:, None] - cfg.grades_back)
    allowed = eligible[pgrade] & near
    thr = cfg.threshold
    over = counts > thr * size[:, None] + 1e-9
    big = size >= cfg.min_class_size
    classroom = over & allowed & big[:, None]
    peer = _peer_share(counts, size, pgrade, big, cfg.peer_min_classes)
    offset = _class_offset(counts, size, peer, allowed)
    student = (counts > 0) & allowed & ~classroom
    tier_of = dict(zip(ctx.tiers["student_id"], ctx.tiers["tier"], strict=True))
    p = np.nan_to_num(m.p, nan=0.5)
    out: list[Recommendation] = []
    indptr, indices = emat.indptr, emat.indices
    for ci in range(n_cls):
        rows = indices[indptr[ci]:indptr[ci + 1]]
        crow = ctx.cl.iloc[ci]
        cid = crow["class_id"]
        ctx.members[cid] = list(m.student_ids[rows])
        school = crow["school_id"]
        base = {"class_id": cid, "school_id": school, "district_id": ctx.district_of(school),
                "grade": int(pgrade[ci])}
        n = int(size[ci])
        cols_c = np.flatnonzero(classroom[ci])
        by_cluster: dict[str, list[int]] = {}
        for j in cols_c:
            by_cluster.setdefault(ga.cluster[j], []).append(int(j))
        for cluster, js in by_cluster.items():
            out.append(_reteach(ctx, base, rows, js, n, cluster, p, peer[ci], offset[ci]))
        for j in np.flatnonzero(student[ci]):
            who = rows[ctx.flag[rows, j]]
            ids = list(m.student_ids[who])
            tiers = [tier_of.get(s) for s in ids]
            k = len(ids)
            code = ga.codes[j]
            conf = float(np.mean(1 - p[who, j]))
            tier_txt = "Tier 2/3" if any(t == 3 for t in tiers if not pd.isna(t)) else "Tier 2"
            out.append(Recommendation(
                level="student", kind="targeted_help", standards=[code], students=ids,
                share=k / n, confidence=conf, unit=ctx.unit(code),
                reason=(f"{k} of {n} students ({k / n:.0%}) not secure on {code}, at or under "
                        f"the {thr:.0%} threshold: isolated, not whole-class"),
                action=(f"Targeted help ({tier_txt}) for these {k} student"
                        f"{'s' if k != 1 else ''} on {code}: "
                        f"{_short(ctx.graph[code].text)}"),
                numbers={"n_class": n, "n_not_secure": k, "threshold": thr,
                         "p_mastered": [round(float(x), 3) for x in p[who, j]],
                         "n_evidence": [int(x) for x in m.n[who, j]],
                         "tiers": [None if pd.isna(t) else int(t) for t in tiers]},
                **base))
    return out


def _peer_share(counts: np.ndarray, size: np.ndarray, pgrade: np.ndarray, big: np.ndarray,
                min_classes: int) -> np.ndarray:
    """Per class and standard, the median share not secure in the district's classes of the
    same grade (NaN when there are too few classes to compare with).

    This is what tells a classroom that struggles *more than its peers* (its own instruction)
    from one that shares a district-wide pattern (core materials, pacing: a system matter).
    """
    share = counts / np.maximum(size, 1)[:, None]
    out = np.full(share.shape, np.nan)
    for g in np.unique(pgrade):
        rows = (pgrade == g) & big
        if rows.sum() >= min_classes:
            out[pgrade == g] = np.median(share[rows], axis=0)
    return out


def _class_offset(counts: np.ndarray, size: np.ndarray, peer: np.ndarray,
                  allowed: np.ndarray) -> np.ndarray:
    """How far each class sits above its peers on a typical standard it is checked on.

    A class behind on everything (its students started further back) is not the same finding
    as a class whose instruction missed one topic; subtracting the class's typical excess
    leaves the topic-specific part.
    """
    share = counts / np.maximum(size, 1)[:, None]
    excess = np.where(allowed & ~np.isnan(peer), share - peer, np.nan)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            off = np.nanmedian(excess, axis=1)
    return np.nan_to_num(off, nan=0.0)


def _reteach(ctx: _Context, base: dict[str, Any], rows: np.ndarray, js: list[int], n: int,
             cluster: str, p: np.ndarray, peer: np.ndarray, offset: float) -> Recommendation:
    cfg, ga, m = ctx.cfg, ctx.ga, ctx.m
    thr = cfg.threshold
    codes = [ga.codes[j] for j in js]
    hit = ctx.flag[np.ix_(rows, js)]
    who = rows[hit.any(axis=1)]
    per = {ga.codes[j]: int(hit[:, k].sum()) for k, j in enumerate(js)}
    k_limit = int(np.floor(thr * n + 1e-9))
    conf = max(_poisson_binomial_tail(1 - p[rows, j], k_limit) for j in js)
    worst = max(per.values())
    s0 = ctx.graph[codes[0]]
    topic = sentence_case(s0.cluster_name) or cluster
    detail = ", ".join(f"{c}: {v} of {n}" for c, v in per.items())
    j_worst = js[int(np.argmax([per[ga.codes[j]] for j in js]))]
    peer_share = float(peer[j_worst])
    distinctive = bool(np.isnan(peer_share)
                       or worst / n - peer_share - max(offset, 0.0) > thr + 1e-12)
    sig = (ctx.signals or {}).get((str(base["class_id"]), cluster))
    if sig is not None and not np.isnan(sig.peer_p):
        distinctive = bool(sig.stands_out)
        versus = (f"; on this cluster the class answered {sig.p_correct:.0%} correctly "
                  f"({sig.n_answers} answers) against {sig.peer_p:.0%} in the median "
                  f"grade-{base['grade']} class (z = {sig.z:.1f}): "
                  + ("this class stands out" if distinctive
                     else "a district-wide pattern as much as this class's"))
    elif np.isnan(peer_share):
        versus = ""
    elif distinctive:
        versus = (f"; the median grade-{base['grade']} class has {peer_share:.0%} not secure, "
                  "so this class stands out")
    else:
        versus = (f"; the median grade-{base['grade']} class has {peer_share:.0%} not secure "
                  "too, a district-wide pattern as much as this class's")
    return Recommendation(
        level="classroom", kind="reteach", standards=codes, students=list(m.student_ids[who]),
        share=len(who) / n, confidence=conf, unit=ctx.unit(codes[0]),
        reason=(f"{worst} of {n} students ({worst / n:.0%}) not secure on "
                f"{codes[0] if len(codes) == 1 else 'the cluster ' + cluster}"
                f" ({detail}), more than the {thr:.0%} threshold: whole-class instruction "
                f"is the place to act{versus}"),
        action=(f"Reteach to the whole class: {topic} ({', '.join(codes)})"
                + (f", unit {ctx.unit(codes[0])['unit_id']}" if ctx.unit(codes[0]) else "")),
        numbers={"n_class": n, "n_not_secure": per, "n_students_any": int(len(who)),
                 "threshold": thr, "cluster": cluster, "school_wide": False,
                 "peer_share": None if np.isnan(peer_share) else round(peer_share, 3),
                 "class_offset": round(float(offset), 3), "distinctive": distinctive,
                 "answers_z": None if sig is None else round(float(sig.z), 2)},
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
    enrolled = set(ctx.en["student_id"]) & set(sids)
    for school, part in st.groupby("school_id", sort=True):
        rows = part.index.to_numpy()
        district = part["district_id"].iloc[0]
        stale = [int(r) for r in rows if not ctx.recent[r] and int(r) not in in_stale_class]
        if stale:
            out.append(Recommendation(
                level="system", kind="stale_students", standards=[], students=list(sids[stale]),
                share=len(stale) / len(rows), confidence=1.0, school_id=school,
                district_id=district,
                reason=(f"{len(stale)} of {len(rows)} students ({len(stale) / len(rows):.0%}) "
                        f"have no direct evidence since {since.isoformat()}"),
                action="Assess these students before planning for them; they are not flagged",
                numbers={"n_school": len(rows), "n_stale": len(stale)}))
        unl = [int(r) for r in rows if sids[r] not in enrolled]
        if unl:
            out.append(Recommendation(
                level="system", kind="unlinked_students", standards=[], students=list(sids[unl]),
                share=len(unl) / len(rows), confidence=1.0, school_id=school,
                district_id=district,
                reason=(f"{len(unl)} of {len(rows)} students ({len(unl) / len(rows):.0%}) "
                        "are enrolled in no class: no teacher sees their results"),
                action="Fix the roster: enroll these students in their math class",
                numbers={"n_school": len(rows), "n_unlinked": len(unl)}))
        empty = [c for c in ctx.cl.loc[ctx.cl["school_id"] == school, "class_id"]
                 if not ctx.members.get(c)]
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
    unknown = sorted(set(ms["student_id"]) - set(sids), key=str)
    if unknown:
        out.append(Recommendation(
            level="system", kind="unknown_students", standards=[], students=unknown, share=None,
            confidence=1.0,
            reason=f"mastery for {len(unknown)} student(s) who are not on the roster",
            action="Fix the roster or the evidence ids: these results reach no one",
            numbers={"n_unknown": len(unknown)}))
    return out


def _school_wide(ctx: _Context, classroom: list[Recommendation]) -> list[Recommendation]:
    cfg = ctx.cfg
    cl = ctx.cl
    n_classes = {
        (s, g): int(((cl["school_id"] == s) & (cl["plan_grade"] == g)
                     & cl["class_id"].map(lambda c: len(ctx.members.get(c, ()))
                                          >= cfg.min_class_size)).sum())
        for s, g in set(zip(cl["school_id"], cl["plan_grade"], strict=True))
    }
    hits: dict[tuple[Any, int, str], list[Recommendation]] = {}
    for r in classroom:
        hits.setdefault((r.school_id, int(r.grade), r.numbers["cluster"]), []).append(r)
    out = []
    for (school, grade, cluster), rs in sorted(hits.items(), key=lambda kv: str(kv[0])):
        k, total = len(rs), n_classes.get((school, grade), 0)
        if total == 0 or k < cfg.school_min_classes or k / total < cfg.school_share - 1e-12:
            continue
        for r in rs:
            r.numbers["school_wide"] = True
        codes = sorted({c for r in rs for c in r.standards}, key=ctx.ga.index.__getitem__)
        students = [s for r in rs for s in r.students]
        topic = sentence_case(ctx.graph[codes[0]].cluster_name) or cluster
        out.append(Recommendation(
            level="system", kind="school_wide", standards=codes, students=students,
            share=k / total, confidence=float(np.mean([r.confidence for r in rs])),
            school_id=school, district_id=ctx.district_of(school), grade=grade,
            unit=ctx.unit(codes[0]), classes=[r.class_id for r in rs],
            reason=(f"{k} of {total} {_grade_words(grade)} classes ({k / total:.0%}) "
                    f"have a classroom-level problem on {cluster} ({topic})"),
            action=("School-wide support: review curriculum alignment and coaching for this "
                    "topic across the grade, rather than class by class"),
            numbers={"n_classes_flagged": k, "n_classes": total, "cluster": cluster}))
    return out


def _grade_words(grade: int) -> str:
    label = scope_grade_label(grade)
    return "Algebra I" if label == "A1" else ("kindergarten" if label == "K" else
                                              f"grade-{label}")


def _family(ctx: _Context) -> list[Recommendation]:
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
                action=("Strengthen family connections: family math nights, plain-language "
                        "reports home, outreach in the family's language"),
                numbers={"n_with_signal": len(fc), "n_weak": int(weak.sum())}))
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
