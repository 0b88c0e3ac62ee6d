"""Per-student growth facts for accountability: this year's SGP, proficiency, targets met.

The accountability tables (:mod:`sounding.growth.aggregates`) take one row per student; this
module builds that row from long scores, SGPs and growth targets, so the CLI and the report
compute it the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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


def accountability_students(sgp: pd.DataFrame, scores: pd.DataFrame, students: pd.DataFrame,
                            targets: pd.DataFrame | None) -> pd.DataFrame:
    """One row per student with the latest year's SGP, proficiency, targets and subgroups."""
    year = int(scores["year"].max())
    cur = sgp[sgp["year"] == year][["student_id", "sgp"]]
    sc = scores[scores["year"] == year][["student_id", "achievement_level"]]
    df = students.merge(cur, on="student_id", how="left").merge(sc, on="student_id", how="left")
    df["proficient"] = pd.to_numeric(df["achievement_level"], errors="coerce") >= 3
    if targets is not None and len(targets):
        t = targets[targets["target_type"].isin(["catch_up", "keep_up"])]
        t = t.merge(cur, on="student_id", how="left")
        t["met"] = t["sgp"] >= t["target_sgp"]
        for kind in ("catch_up", "keep_up"):
            part = t[t["target_type"] == kind].set_index("student_id")["met"]
            df[kind] = df["student_id"].map(part)
    else:
        df["catch_up"] = np.nan
        df["keep_up"] = np.nan
    return df
