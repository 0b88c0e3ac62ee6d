"""The planning boundary: validate plain DataFrames once, then work on dense arrays.

Planning is independent of the store and of the mastery engine: it takes the tables below,
checks them here (so every other module can assume clean input), and turns the long mastery
table into a students x standards matrix so a district of 50,000 students is a handful of numpy
operations rather than a loop per student.

Tables
------
mastery
    ``student_id, standard, p_mastered`` (0..1), ``n_evidence`` (int, direct answers on that
    standard; 0 = inferred only), optional ``sd`` (posterior sd of ``p_mastered``).
students
    ``student_id, grade`` (int, K = 0 .. 8), ``school_id, district_id``; optional
    ``class_id``, ``race_ethnicity`` (str), ``english_learner``, ``disability``,
    ``econ_disadvantaged`` (bool), ``family_contact`` (0..1, a district-supplied signal).
classes
    ``class_id, school_id, grade, title, teacher_ids``; optional ``course_title`` /
    ``course_code`` (placement in Algebra I is read from them and from ``title``).
enrollments
    ``class_id, student_id`` (students only).
responses
    ``student_id, standard, correct, timestamp``.

Evidence rules (one place, so triage, tiers and groups agree)
-------------------------------------------------------------
*secure*
    ``p_mastered >= secure`` (0.8).
*not secure, confidently* (what a flag may rest on)
    ``p_mastered < not_secure`` (0.5) **and** the student's own answers back it up:

    * at least ``min_evidence`` (2) direct answers on the standard itself; or
    * exactly one direct answer on it, **corroborated** by at least ``corroborate`` (2) direct
      answers on *related* standards (its direct prerequisites and the other standards of its
      cluster) all pointing the same way: every related standard the student answered is
      itself estimated not secure (``p_mastered < not_secure``), none at or above it.

    A confident posterior alone is never enough: the graph-aware model can be sure of a
    standard from one answer plus the student's overall level, which is exactly the evidence
    too thin to pull a student out of class for. A standard with no direct answer is never
    flagged (inferred gaps inform the iceberg view and tiers' depth only), and a student with
    no evidence at all is never flagged: they appear in a system-level data finding instead.
    Missing (student, standard) pairs are neither secure nor flaggable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

# SECURE (P(mastered) at or above which a standard counts as secure) and NOT_SECURE (below
# which it counts as not secure, when the evidence supports it) are defined once, in core.
from sounding.core.thresholds import NOT_SECURE as NOT_SECURE
from sounding.core.thresholds import SECURE as SECURE
from sounding.errors import InvalidData, InvalidInput, Problem
from sounding.progression import HS, StandardsGraph, grade_number
from sounding.roster.normalize import as_bool

#: Direct answers on a standard that make a "not secure" estimate flaggable on their own.
MIN_EVIDENCE = 2
#: Direct answers on related standards (prerequisites, cluster) that must back up a single
#: direct answer, all pointing the same way, before it may be flagged.
CORROBORATE = 2

MASTERY_COLUMNS = ("student_id", "standard", "p_mastered", "n_evidence")
STUDENT_COLUMNS = ("student_id", "grade", "school_id", "district_id")
CLASS_COLUMNS = ("class_id", "school_id", "grade", "title", "teacher_ids")
ENROLLMENT_COLUMNS = ("class_id", "student_id")
RESPONSE_COLUMNS = ("student_id", "standard", "correct", "timestamp")
SUBGROUP_COLUMNS = ("race_ethnicity", "english_learner", "disability", "econ_disadvantaged")


# ============================================================================ validation


def _require(df: Any, name: str, columns: Iterable[str]) -> list[Problem]:
    if not isinstance(df, pd.DataFrame):
        raise InvalidInput(f"{name} must be a pandas DataFrame, not {type(df).__name__}")
    return [Problem(name, None, c, "required column is missing") for c in columns
            if c not in df.columns]


def _row_problems(name: str, mask: np.ndarray, field: str, message: str,
                  limit: int = 20) -> list[Problem]:
    """One problem per offending row (rows counted from 1, as a CSV's data line minus 1)."""
    rows = np.flatnonzero(mask)[:limit]
    return [Problem(name, int(r) + 2, field, message) for r in rows]


def _grade_col(values: pd.Series, name: str, field: str = "grade",
               allow_hs: bool = True) -> tuple[np.ndarray, list[Problem]]:
    out = np.zeros(len(values), dtype=np.int64)
    problems: list[Problem] = []
    for i, v in enumerate(values.to_numpy()):
        try:
            g = grade_number(int(v)) if isinstance(v, int | np.integer) else grade_number(str(v))
        except (ValueError, TypeError):
            problems.append(Problem(name, i + 2, field, f"not a grade: {v!r}"))
            continue
        if g == HS and not allow_hs:
            problems.append(Problem(name, i + 2, field, f"grade {v!r}: expected K..8"))
        out[i] = g
    return out, problems[:20]


def check_mastery(mastery: pd.DataFrame, graph: StandardsGraph) -> pd.DataFrame:
    """Validate a mastery table and roll sub-standard rows up to their standard.

    Parameters
    ----------
    mastery : DataFrame
        ``student_id, standard, p_mastered, n_evidence`` and optional ``sd``.
    graph : StandardsGraph
        The progression the codes must belong to.

    Returns
    -------
    DataFrame
        Clean copy at the standard level (sub-standard rows averaged into their standard,
        evidence summed), with ``sd`` (NaN when absent).

    Raises
    ------
    InvalidData
        Naming the column (and rows) of every problem: missing columns, probabilities outside
        0..1, negative evidence counts, unknown standard codes.
    """
    problems = _require(mastery, "mastery", MASTERY_COLUMNS)
    if problems:
        raise InvalidData(problems)
    df = mastery.loc[:, [c for c in (*MASTERY_COLUMNS, "sd") if c in mastery.columns]].copy()
    p = pd.to_numeric(df["p_mastered"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~((p >= 0) & (p <= 1))
    problems += _row_problems("mastery", bad, "p_mastered", "must be a probability in 0..1")
    n = pd.to_numeric(df["n_evidence"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~(n >= 0) | (np.nan_to_num(n) != np.floor(np.nan_to_num(n)))
    problems += _row_problems("mastery", bad, "n_evidence", "must be a whole number >= 0")
    if "sd" in df.columns:
        sd = pd.to_numeric(df["sd"], errors="coerce").to_numpy(dtype=np.float64)
        bad = (sd < 0) | (sd > 1)
        problems += _row_problems("mastery", bad, "sd", "must be in 0..1 (or empty)")
    else:
        sd = np.full(len(df), np.nan)
    std_code, uniq = pd.factorize(df["standard"], use_na_sentinel=False)
    uniq = [str(c) for c in uniq]
    unknown = [k for k, c in enumerate(uniq) if c not in graph]
    for k in unknown[:20]:
        first = int(np.flatnonzero(std_code == k)[0])
        problems.append(Problem("mastery", first + 2, "standard",
                                f"unknown standard {uniq[k]!r} in {graph.name}"))
    if problems:
        raise InvalidData(problems)
    rolled = [graph.rollup(c) for c in uniq]
    cats = list(dict.fromkeys(rolled))
    cat_of = np.array([cats.index(r) for r in rolled], dtype=np.int64)
    std = pd.Categorical.from_codes(cat_of[std_code], categories=cats)
    out = pd.DataFrame({"student_id": df["student_id"].to_numpy(), "standard": std,
                        "p_mastered": p, "n_evidence": n.astype(np.int64), "sd": sd})
    stu_code, _ = pd.factorize(out["student_id"], use_na_sentinel=False)
    key = stu_code.astype(np.int64) * len(cats) + std.codes
    if len(cats) != len(uniq):
        out = (out.assign(_key=key).groupby("_key", sort=False, as_index=False)
               .agg(student_id=("student_id", "first"), standard=("standard", "first"),
                    p_mastered=("p_mastered", "mean"), n_evidence=("n_evidence", "sum"),
                    sd=("sd", "max")).drop(columns="_key"))
        out["standard"] = pd.Categorical(out["standard"], categories=cats)
    else:
        uk, first_idx = np.unique(key, return_index=True)
        if uk.size != key.size:
            dup = np.ones(key.size, dtype=bool)
            dup[first_idx] = False
            raise InvalidData(_row_problems("mastery", dup, "standard",
                                            "repeats a (student_id, standard) pair"))
    return out.reset_index(drop=True)


def check_students(students: pd.DataFrame) -> pd.DataFrame:
    """Validate the students table; grades become ints (K = 0), ids stay as given.

    Raises
    ------
    InvalidData
        Missing columns, repeated ``student_id``, grades that are not K..8 (or HS),
        ``family_contact`` outside 0..1.
    """
    problems = _require(students, "students", STUDENT_COLUMNS)
    if problems:
        raise InvalidData(problems)
    df = students.copy()
    dup = df["student_id"].duplicated().to_numpy()
    problems += _row_problems("students", dup, "student_id", "repeats a student")
    grades, gp = _grade_col(df["grade"], "students")
    problems += gp
    if "family_contact" in df.columns:
        fc = pd.to_numeric(df["family_contact"], errors="coerce")
        bad = (fc < 0) | (fc > 1)
        problems += _row_problems("students", bad.to_numpy(), "family_contact",
                                  "must be in 0..1 (or empty)")
        df["family_contact"] = fc
    if problems:
        raise InvalidData(problems)
    df["grade"] = grades
    for c in ("english_learner", "disability", "econ_disadvantaged"):
        if c in df.columns:
            df[c] = df[c].map(as_bool)
    return df.reset_index(drop=True)


def is_algebra1_course(*values: Any) -> bool:
    """True when any of a class's title / course title / course code names Algebra I."""
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        s = str(v).upper().replace(" ", "").replace("-", "").replace("_", "")
        if ("ALGEBRAI" in s and "ALGEBRAII" not in s) or "ALG1" in s or "ALGEBRA1" in s:
            return True
    return False


def check_classes(classes: pd.DataFrame) -> pd.DataFrame:
    """Validate the classes table and add ``plan_grade`` (9 for an Algebra I course).

    Raises
    ------
    InvalidData
        Missing columns, repeated ``class_id``, grades that are not grades.
    """
    problems = _require(classes, "classes", CLASS_COLUMNS)
    if problems:
        raise InvalidData(problems)
    df = classes.copy()
    dup = df["class_id"].duplicated().to_numpy()
    problems += _row_problems("classes", dup, "class_id", "repeats a class")
    grades, gp = _grade_col(df["grade"], "classes")
    problems += gp
    if problems:
        raise InvalidData(problems)
    df["grade"] = grades
    cols = [c for c in ("title", "course_title", "course_code") if c in df.columns]
    alg = np.array([is_algebra1_course(*row) for row in df[cols].itertuples(index=False)],
                   dtype=bool) if len(df) else np.zeros(0, dtype=bool)
    df["algebra1"] = alg
    df["plan_grade"] = np.where(alg, HS, grades)
    return df.reset_index(drop=True)


def check_enrollments(enrollments: pd.DataFrame) -> pd.DataFrame:
    """Validate the enrollments table (``class_id, student_id``), dropping exact repeats."""
    problems = _require(enrollments, "enrollments", ENROLLMENT_COLUMNS)
    if problems:
        raise InvalidData(problems)
    df = enrollments.loc[:, list(ENROLLMENT_COLUMNS)].drop_duplicates()
    return df.reset_index(drop=True)


def enrollments_from_students(students: pd.DataFrame) -> pd.DataFrame:
    """Enrollments read from an optional ``class_id`` column of the students table."""
    if "class_id" not in students.columns:
        return pd.DataFrame({"class_id": pd.Series(dtype=object),
                             "student_id": pd.Series(dtype=object)})
    df = students.loc[students["class_id"].notna(), ["class_id", "student_id"]]
    return df.reset_index(drop=True)


def to_date(value: date | datetime | str | pd.Timestamp | None) -> date | None:
    """A date from anything date-like (None stays None)."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        raise InvalidInput(f"not a date: {value!r} (use YYYY-MM-DD)") from None


# ============================================================================ evidence summary


def evidence_summary(responses: pd.DataFrame) -> pd.DataFrame:
    """How much direct evidence each student has, and how recent it is.

    Parameters
    ----------
    responses : DataFrame
        ``student_id, standard, correct, timestamp`` (timestamps parseable by pandas).

    Returns
    -------
    DataFrame
        ``student_id, n_responses, n_standards, last_response`` (naive UTC timestamp).

    Raises
    ------
    InvalidData
        Missing columns or timestamps that cannot be read.
    """
    problems = _require(responses, "responses", RESPONSE_COLUMNS)
    if problems:
        raise InvalidData(problems)
    ts = _timestamps(responses["timestamp"])
    bad = ts.isna().to_numpy() & responses["timestamp"].notna().to_numpy()
    if bad.any():
        raise InvalidData(_row_problems("responses", bad, "timestamp", "not a timestamp"))
    df = pd.DataFrame({"student_id": responses["student_id"].to_numpy(),
                       "standard": responses["standard"].to_numpy(), "timestamp": ts})
    out = df.groupby("student_id", sort=True).agg(
        n_responses=("standard", "size"), n_standards=("standard", "nunique"),
        last_response=("timestamp", "max"))
    return out.reset_index()


def _timestamps(values: pd.Series) -> pd.Series:
    """Timestamps as naive UTC (mixed offsets and naive values both accepted)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = values
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        return ts
    ts = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    return ts.dt.tz_localize(None)


def recency(st: pd.DataFrame, m: MasteryMatrix, evidence: pd.DataFrame | None, day: date,
             stale_days: int) -> tuple[np.ndarray, np.ndarray]:
    """(recent (n,) bool, last answer (n,) datetime64 or NaT) per student (rows of ``st``).

    Recent: at least one direct answer and, with an evidence summary, the latest answer no
    more than ``stale_days`` before ``day``. Without a summary any direct answer is recent.
    """
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
    recent = ~np.isnat(last) & (last >= cutoff) & has
    return recent, last


# ============================================================================ the matrix


@dataclass
class MasteryMatrix:
    """Mastery of many students as dense arrays aligned with a students table.

    Attributes
    ----------
    student_ids : ndarray
        Row labels, in the order of the students table.
    codes : tuple of str
        Column labels: the graph's standard-level codes in topological order.
    p : ndarray (n, J) float32
        P(mastered); NaN where the mastery table has no row.
    n : ndarray (n, J) int32
        Direct answers on each standard.
    sd : ndarray (n, J) float32
        Posterior sd (NaN when not supplied).
    grade : ndarray (n,) int64
        Each student's grade (0 = K).
    """

    student_ids: np.ndarray
    codes: tuple[str, ...]
    p: np.ndarray
    n: np.ndarray
    sd: np.ndarray
    grade: np.ndarray

    @classmethod
    def build(cls, mastery: pd.DataFrame, students: pd.DataFrame,
              graph: StandardsGraph) -> MasteryMatrix:
        """Pivot a *checked* mastery table onto the rows of a *checked* students table.

        Mastery rows of students not in ``students`` are dropped (the triage reports them as a
        data finding); students without rows get NaN everywhere.
        """
        codes = tuple(graph.standard_codes)
        ids = students["student_id"].to_numpy()
        n_s, n_j = len(ids), len(codes)
        p = np.full((n_s, n_j), np.nan, dtype=np.float32)
        n = np.zeros((n_s, n_j), dtype=np.int32)
        sd = np.full((n_s, n_j), np.nan, dtype=np.float32)
        if len(mastery):
            s_code, s_uniq = pd.factorize(mastery["student_id"], use_na_sentinel=False)
            rows = pd.Index(ids).get_indexer(s_uniq)[s_code]
            std = mastery["standard"]
            if isinstance(std.dtype, pd.CategoricalDtype):
                cols = pd.Index(codes).get_indexer(std.cat.categories)[std.cat.codes.to_numpy()]
            else:
                cols = pd.Index(codes).get_indexer(std.to_numpy())
            ok = (rows >= 0) & (cols >= 0)
            r, c = rows[ok], cols[ok]
            p[r, c] = mastery["p_mastered"].to_numpy(dtype=np.float64)[ok]
            n[r, c] = mastery["n_evidence"].to_numpy(dtype=np.int64)[ok]
            sd[r, c] = mastery["sd"].to_numpy(dtype=np.float64)[ok]
        grade = students["grade"].to_numpy(dtype=np.int64)
        return cls(ids, codes, p, n, sd, grade)

    def secure(self, threshold: float = SECURE) -> np.ndarray:
        """(n, J) bool: P(mastered) >= ``threshold`` (missing is not secure)."""
        return np.nan_to_num(self.p, nan=0.0) >= threshold

    def has_evidence(self) -> np.ndarray:
        """(n,) bool: the student has at least one direct answer."""
        return self.n.sum(axis=1) > 0

    def flaggable(self, *, not_secure: float = NOT_SECURE, min_evidence: int = MIN_EVIDENCE,
                  related: np.ndarray | None = None,
                  corroborate: int = CORROBORATE) -> np.ndarray:
        """(n, J) bool: confidently not secure (see the module docstring for the rule).

        ``related`` (J, J) bool, ``related[k, j]``: standard ``k`` may corroborate a single
        answer on ``j`` (:attr:`GraphArrays.related`); without it one answer is never enough.
        """
        low = np.nan_to_num(self.p, nan=1.0) < not_secure
        ok = (self.n >= min_evidence) & low
        single = low & (self.n >= 1) & (self.n < min_evidence)
        if related is not None and single.any():
            answered = self.n > 0
            agree = answered & low
            disagree = answered & ~low
            rel = related.astype(np.float32)
            n_agree = (np.where(agree, self.n, 0).astype(np.float32)) @ rel
            n_disagree = disagree.astype(np.float32) @ rel
            ok |= single & (n_agree >= corroborate - 1e-6) & (n_disagree < 0.5)
        return ok & self.has_evidence()[:, None]

    def col(self, code: str) -> int:
        """Column index of a standard."""
        try:
            return self.codes.index(code)
        except ValueError:
            raise InvalidInput(f"standard {code!r} is not in the planning graph") from None


@dataclass(frozen=True)
class GraphArrays:
    """Per-standard arrays of the planning graph, computed once per graph (standard level)."""

    codes: tuple[str, ...]
    grade: np.ndarray  # (J,) int
    major: np.ndarray  # (J,) bool
    prereq: np.ndarray  # (J, J) bool, prereq[p, j]: p is a direct prerequisite of j
    closure: np.ndarray  # (J, J) bool, closure[p, j]: p is a transitive prerequisite of j
    cluster: tuple[str, ...]  # "4.NF.B" style cluster key of each standard
    index: dict[str, int]
    related: np.ndarray  # (J, J) bool: direct prerequisite or same cluster (corroboration)

    @classmethod
    def of(cls, graph: StandardsGraph) -> GraphArrays:
        key = id(graph)
        hit = _ARRAYS_CACHE.get(key)
        if hit is not None and hit[0] is graph:
            return hit[1]
        codes = tuple(graph.standard_codes)
        index = {c: i for i, c in enumerate(codes)}
        n_j = len(codes)
        pre = np.zeros((n_j, n_j), dtype=bool)
        for a, b in graph.edges(level="standard"):
            pre[index[a], index[b]] = True
        clo = pre.copy()
        for j in range(n_j):  # codes are in topological order: prerequisites come first
            ps = np.flatnonzero(pre[:, j])
            if ps.size:
                clo[:, j] |= clo[:, ps].any(axis=1)
        grade = np.array([graph[c].grade_num for c in codes], dtype=np.int64)
        major = np.array([graph[c].is_major for c in codes], dtype=bool)
        cluster = tuple(cluster_key(graph, c) for c in codes)
        ckey = np.array(cluster, dtype=object)
        related = pre | (ckey[:, None] == ckey[None, :])
        np.fill_diagonal(related, False)
        arrays = cls(codes, grade, major, pre, clo, cluster, index, related)
        _ARRAYS_CACHE[key] = (graph, arrays)
        return arrays


_ARRAYS_CACHE: dict[int, tuple[StandardsGraph, GraphArrays]] = {}


def cluster_key(graph: StandardsGraph, code: str) -> str:
    """The cluster a standard belongs to, as ``grade.domain.cluster`` (``4.NF.B``)."""
    s = graph[code]
    return f"{s.grade}.{s.domain_code}.{s.cluster_code}" if s.grade != "HS" else (
        f"{s.domain_code}.{s.cluster_code}")


def plan_grades(students: pd.DataFrame, classes: pd.DataFrame | None,
                enrollments: pd.DataFrame | None) -> np.ndarray:
    """The grade each student is planned against: 9 when enrolled in Algebra I, else theirs.

    A grade-8 student placed in Algebra I works on the Algebra I course; their next unit,
    their tier and their classroom comparisons are the course's, not grade 8's.
    """
    grade = students["grade"].to_numpy(dtype=np.int64).copy()
    if classes is None or enrollments is None or not len(enrollments) or not len(classes):
        return grade
    alg = set(classes.loc[classes["algebra1"], "class_id"])
    if not alg:
        return grade
    ids = set(enrollments.loc[enrollments["class_id"].isin(alg), "student_id"])
    placed = students["student_id"].isin(ids).to_numpy()
    grade[placed] = HS
    return grade


def eligible_columns(codes: tuple[str, ...], std_grade: np.ndarray,
                     taught: dict[int, set[str]] | None) -> np.ndarray:
    """(10, J) bool: row ``g`` marks the standards a grade-``g`` student has been taught.

    Every standard of an earlier grade; a standard of grade ``g`` itself only once its unit
    has started (``taught[g]``), or always when ``taught`` is None or has no entry for ``g``
    (no scope and sequence: assume the whole grade is fair game).
    """
    out = np.zeros((HS + 1, len(codes)), dtype=bool)
    for g in range(HS + 1):
        out[g] = std_grade < g
        at = std_grade == g
        if taught is None or g not in taught:
            out[g] |= at
        else:
            t = taught[g]
            out[g] |= at & np.array([c in t for c in codes], dtype=bool)
    return out
