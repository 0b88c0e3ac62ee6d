"""Per-student growth facts for accountability: this year's SGP, proficiency, targets met.

The accountability tables (:mod:`sounding.growth.aggregates`) take one row per student *and
subject*; this module builds those rows from long scores, SGPs, lagged growth targets and
grade-span growth, so the CLI, the pipeline and the report compute them the same way.
Everything is merged on ``(student_id, subject, year)``: a student with math and reading
scores has two rows, never four.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sounding.errors import InvalidInput

#: Targets that become a yes/no column per student (met this year or not).
TARGET_COLUMNS = ("catch_up", "keep_up", "move_up")


def cuts_from_levels(scores: pd.DataFrame) -> dict[int, tuple[float, float]]:
    """Per grade (proficient cut, advanced cut) read off the scores' achievement levels.

    States publish their cut scores; when only levels come with the scores, the lowest score
    seen at level 3 and at level 4 are the cuts (exact for the data at hand).
    """
    s = scores.copy()
    s["lvl"] = pd.to_numeric(s["achievement_level"], errors="coerce")
    out: dict[int, tuple[float, float]] = {}
    for g, part in s.groupby("grade"):
        p = part.loc[part["lvl"] >= 3, "scale_score"]
        a = part.loc[part["lvl"] >= 4, "scale_score"]
        if len(p) and len(a):
            out[int(g)] = (float(p.min()), float(a.min()))
    return out


def math_subjects(subjects: Sequence[str]) -> list[str]:
    """The subjects grade-span growth (on the math progression) belongs to.

    Subjects whose name says math (``math``, ``MATHEMATICS``, ``Algebra I math``...); when no
    name does and there is a single subject, that one (a district that calls it ``ma``).
    """
    subjects = [str(s) for s in dict.fromkeys(subjects)]
    hits = [s for s in subjects if "math" in s.lower() or s.strip().lower() in ("ma", "alg")]
    if not hits and len(subjects) == 1:
        return subjects
    return hits


def accountability_students(
    sgp: pd.DataFrame,
    scores: pd.DataFrame,
    students: pd.DataFrame,
    targets: pd.DataFrame | None = None,
    *,
    year: int | None = None,
    grade_span: pd.DataFrame | None = None,
    cuts: Mapping[int, Sequence[float]] | None = None,
) -> pd.DataFrame:
    """One row per student and subject of ``year`` with SGP, proficiency, targets, subgroups.

    Parameters
    ----------
    sgp
        SGPs (``student_id, subject, year, sgp``, e.g. :meth:`GrowthPercentiles.transform`).
    scores
        Long scores (``student_id, year, grade, subject, scale_score``, optional
        ``achievement_level``): the students of ``year`` and their proficiency.
    students
        Roster rows (``student_id, school_id, district_id`` and subgroup columns), one per
        student; only rostered students are kept (a score without a school cannot be
        attributed).
    targets
        Lagged targets (:func:`sounding.growth.projections.lagged_growth_targets`): this
        year's SGP against the target set by last year's score. Forward-looking targets
        (from this year's score) are refused: comparing them with this year's SGP judges the
        wrong year.
    year
        The year reported (default the latest in ``scores``).
    grade_span
        Per-student grade-span growth (:func:`sounding.growth.grade_span.grade_span_growth`):
        added to the math subject rows as ``grade_span_growth`` (standards newly secured)
        and ``secured_below`` / ``secured_on`` / ``secured_above``, and, from spring-to-spring
        growth (:func:`sounding.growth.grade_span.spring_window_growth`), ``span_growth``
        (the expected number of the span's standards gained).
    cuts
        ``grade -> (proficient, advanced)`` cut scores, for proficiency when a score has no
        achievement level.

    Returns
    -------
    pandas.DataFrame
        ``student_id, subject, year, grade, scale_score, sgp, proficient`` (boolean, missing
        when unknown), ``catch_up, keep_up, move_up`` (boolean, missing when the target does
        not apply), the grade-span columns when given, and the roster columns.
    """
    need = ["student_id", "year", "subject", "scale_score", "grade"]
    missing = [c for c in need if c not in scores.columns]
    if missing:
        raise InvalidInput(f"scores are missing column(s): {', '.join(missing)}")
    if "student_id" not in students.columns:
        raise InvalidInput("students are missing column student_id")
    y = int(scores["year"].max()) if year is None else int(year)
    sc = scores[scores["year"].astype(int) == y].copy()
    cols = ["student_id", "subject", "year", "grade", "scale_score"]
    if "achievement_level" in sc.columns:
        cols.append("achievement_level")
    sc = sc[cols]
    sc["student_id"] = sc["student_id"].astype(str)
    sc["subject"] = sc["subject"].astype(str)
    sc["year"] = sc["year"].astype(int)
    if sc.duplicated(["student_id", "subject"]).any():
        ex = sc.loc[sc.duplicated(["student_id", "subject"]), "student_id"].head(3).tolist()
        raise InvalidInput(f"scores hold two {y} rows for one student and subject ({ex})")

    cur = sgp[sgp["year"].astype(int) == y][["student_id", "subject", "year", "sgp"]].copy()
    cur["student_id"] = cur["student_id"].astype(str)
    cur["subject"] = cur["subject"].astype(str)
    cur["year"] = cur["year"].astype(int)
    df = sc.merge(cur.drop_duplicates(["student_id", "subject", "year"]),
                  on=["student_id", "subject", "year"], how="left")

    level = (pd.to_numeric(df["achievement_level"], errors="coerce")
             if "achievement_level" in df.columns else pd.Series(np.nan, index=df.index))
    prof = pd.array(level >= 3, dtype="boolean")
    prof[level.isna().to_numpy()] = pd.NA
    if cuts:
        by_cut = [(s >= cuts[int(g)][0]) if int(g) in cuts else pd.NA
                  for s, g in zip(df["scale_score"], df["grade"], strict=True)]
        fill = pd.array(by_cut, dtype="boolean")
        prof = pd.array(np.where(level.isna(), fill, prof), dtype="boolean")
    df["proficient"] = prof

    if targets is not None and len(targets):
        if "prior_status" not in targets.columns:
            raise InvalidInput("targets must be lagged (sounding.growth.lagged_growth_targets): "
                               "this year's SGP is judged against last year's target")
        from sounding.growth.projections import targets_met

        t = targets if "met" in targets.columns else targets_met(targets, sgp)
        t = t[t["year"].astype(int) == y].copy()
        t["student_id"] = t["student_id"].astype(str)
        t["subject"] = t["subject"].astype(str)
        for kind in TARGET_COLUMNS:
            part = t[t["target_type"] == kind].drop_duplicates(["student_id", "subject"])
            part = part[["student_id", "subject", "met"]].rename(columns={"met": kind})
            df = df.merge(part, on=["student_id", "subject"], how="left")
            df[kind] = df[kind].astype("boolean")
    else:
        for kind in TARGET_COLUMNS:
            df[kind] = pd.array([pd.NA] * len(df), dtype="boolean")

    if grade_span is not None and len(grade_span):
        gs = grade_span.copy()
        gs["student_id"] = gs["student_id"].astype(str)
        gs = gs.drop_duplicates("student_id").set_index("student_id")
        maths = set(math_subjects(df["subject"].tolist()))
        is_math = df["subject"].isin(maths)
        for src, dst in (("secured_total", "grade_span_growth"),
                         ("secured_below", "secured_below"), ("secured_on", "secured_on"),
                         ("secured_above", "secured_above"), ("span_growth", "span_growth")):
            if src in gs.columns:
                vals = df["student_id"].map(gs[src]).astype(float)
                df[dst] = vals.where(is_math)

    roster = students.copy()
    roster["student_id"] = roster["student_id"].astype(str)
    roster = roster.drop_duplicates("student_id")
    roster = roster.drop(columns=[c for c in roster.columns
                                  if c in df.columns and c != "student_id"])
    out = df.merge(roster, on="student_id", how="inner")
    return out.sort_values(["subject", "student_id"], kind="stable").reset_index(drop=True)
