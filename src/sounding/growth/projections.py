"""Percentile growth projections and catch-up / keep-up / move-up targets.

The SGP package turns the fitted coefficient matrices into *percentile trajectories*: the score
a student would reach next year growing at the p-th percentile is the p-th of the 100 sorted
predicted quantiles of the next grade's model, with the current score as the most recent prior;
the year after, that projected score becomes the most recent prior of the following grade's
model, and so on, always at the same percentile. From these trajectories a target is the
smallest percentile of growth that gets the student to a cut score:

* catch-up (below proficient): reach proficient within ``years_ahead`` years;
* keep-up (proficient): stay proficient in every one of the next ``years_ahead`` years;
* move-up (proficient, not advanced): reach advanced within ``years_ahead`` years;
* stay-up (advanced): stay advanced in every year.

Projections use the models fitted on the student's own year (as the SGP package does: this
year's matrices for grade g+1, g+2, ... describe how this year's older students grew), the
highest order the student's (actual or projected) history allows, and clamp to the target
grade's lowest/highest obtainable score before sorting (``.smooth.bound.iso.row``).

One deliberate difference: from the second year on, a chain of spline models can cross (a
low-percentile path overtaking a higher one for students at the edge of the data, where the
models extrapolate). The chains themselves run as in the SGP package, but each year's reported
projections are *rearranged* (sorted over the percentiles, Chernozhukov, Fernandez-Val &
Galichon 2010), so they are non-decreasing in the percentile and "the smallest percentile that
reaches the cut" is well defined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numba as nb
import numpy as np
import pandas as pd

from sounding.errors import InvalidInput
from sounding.growth.sgp import GrowthModel, GrowthPercentiles, _attach_priors, _unique_rows

__all__ = ["growth_projections", "growth_targets"]

CutMap = Mapping[int, Sequence[float]] | Mapping[tuple[str, int], Sequence[float]]


@nb.njit(cache=True, nogil=True)
def _kth_prediction(X, coef, kth, lo, hi, out):
    """For each row: predictions x'B_t for all taus, clamped, sorted, the kth, rounded 5."""
    n, p = X.shape
    T = coef.shape[0]
    buf = np.empty(T)
    for i in range(n):
        for t in range(T):
            s = 0.0
            for k in range(p):
                s += X[i, k] * coef[t, k]
            if s < lo:
                s = lo
            elif s > hi:
                s = hi
            buf[t] = s
        srt = np.sort(buf)
        v = srt[kth[i]]
        sc = v * 1e5
        fl = np.floor(sc)
        ce = np.ceil(sc)
        xl = fl / 1e5
        xh = ce / 1e5
        if v - xl < xh - v:
            out[i] = xl
        elif xh - v < v - xl:
            out[i] = xh
        else:
            out[i] = xl if fl % 2 == 0 else xh


def _project_rows(model: GrowthModel, priors: np.ndarray, kth: np.ndarray,
                  chunk: int = 200_000) -> np.ndarray:
    out = np.empty(len(priors))
    coef = np.ascontiguousarray(model.coef)
    lo, hi = model.loss_hoss
    for s in range(0, len(priors), chunk):
        X = np.ascontiguousarray(model.design(priors[s:s + chunk]))
        _kth_prediction(X, coef, kth[s:s + chunk].astype(np.int64), lo, hi, out[s:s + chunk])
    return out


def _current_rows(gp: GrowthPercentiles, scores: pd.DataFrame, year: int | None) -> pd.DataFrame:
    df = gp._canonical(scores)
    panel = _attach_priors(df, max(gp.max_order - 1, 1))
    if year is None:
        latest = panel.groupby("subject")["year"].transform("max")
        panel = panel[panel["year"] == latest]
    else:
        panel = panel[panel["year"] == int(year)]
    return panel.reset_index(drop=True)


def growth_projections(model: GrowthPercentiles, scores: pd.DataFrame, *, years_ahead: int = 3,
                       percentiles: Sequence[int] = tuple(range(1, 100)),
                       year: int | None = None) -> pd.DataFrame:
    """Project each student's score at each growth percentile for the next years.

    Parameters
    ----------
    model : GrowthPercentiles
        Fitted; needs models for the grades ahead (in the students' year, or baseline).
    scores : pandas.DataFrame
        Long scores holding the students' current and prior scores.
    years_ahead : int
        Years to project (1-3 in the SGP package's default; more works if models exist).
    percentiles : sequence of int
        Growth percentiles (1..99); percentile p uses quantile ``(p - 0.5) / 100``.
    year : int, optional
        Project students from this (spring) year; default the latest year per subject.

    Returns
    -------
    pandas.DataFrame
        Tidy: student_id, subject, year, grade, scale_score, years_ahead, projected_grade,
        percentile, projected_score. Rows stop at the first year without a model.
    """
    model._check_fitted()
    pcts = np.asarray(list(percentiles), dtype=np.int64)
    n_t = len(model.taus)
    if pcts.size == 0 or pcts.min() < 1 or pcts.max() > n_t - 1:
        raise InvalidInput(f"percentiles must be within 1..{n_t - 1}")
    if years_ahead < 1:
        raise InvalidInput("years_ahead must be at least 1")
    cur = _current_rows(model, scores, year)
    k_hist = max(model.max_order - 1, 1)
    hist_cols = ["scale_score"] + [f"prior_{j}" for j in range(1, k_hist + 1)]
    hist = cur[hist_cols].to_numpy(dtype=float)
    # leading run of available history (a gap ends it)
    avail = np.cumprod(~np.isnan(hist), axis=1).sum(axis=1)
    frames = []
    for (subject, yr, grade, a), grp in cur.assign(_a=avail).groupby(
            ["subject", "year", "grade", "_a"], sort=True):
        a = int(a)
        uniq, inverse, _ = _unique_rows(hist[grp.index, :a])
        m, n_p = len(uniq), len(pcts)
        # state per (unique start row, percentile): most recent first
        state = np.repeat(uniq, n_p, axis=0)
        kth = np.tile(pcts - 1, m)
        results = []
        for s in range(1, years_ahead + 1):
            target = int(grade) + s
            chosen = None
            for k in range(min(state.shape[1], model.max_order), 0, -1):
                chosen = model.model_for(str(subject), int(yr), tuple(range(target - k,
                                                                            target + 1)))
                if chosen is not None:
                    break
            if chosen is None:
                break
            proj = _project_rows(chosen, state[:, :chosen.key.order], kth)
            results.append((s, target, proj))
            state = np.column_stack([proj, state])[:, :model.max_order]
        if not results:
            continue
        rows = grp.index
        for s, target, proj in results:
            # rearrangement: report each year's projections sorted over the percentiles
            per_student = np.sort(proj.reshape(m, n_p), axis=1)[inverse]  # (students, n_p)
            frames.append(pd.DataFrame({
                "student_id": np.repeat(cur.loc[rows, "student_id"].to_numpy(), n_p),
                "subject": subject,
                "year": int(yr),
                "grade": int(grade),
                "scale_score": np.repeat(cur.loc[rows, "scale_score"].to_numpy(), n_p),
                "years_ahead": s,
                "projected_grade": target,
                "percentile": np.tile(pcts, len(rows)),
                "projected_score": per_student.ravel(),
            }))
    cols = ["student_id", "subject", "year", "grade", "scale_score", "years_ahead",
            "projected_grade", "percentile", "projected_score"]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=float if c.endswith("score") else object)
                             for c in cols})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["subject", "student_id", "years_ahead", "percentile"],
                           kind="stable").reset_index(drop=True)[cols]


def _cut(cuts: CutMap, subject: str, grade: int) -> tuple[float, float] | None:
    v = cuts.get((subject, grade)) if (subject, grade) in cuts else cuts.get(grade)  # type: ignore[call-overload]
    if v is None:
        return None
    if len(v) != 2:
        raise InvalidInput(f"cut scores for grade {grade} must be (proficient, advanced)")
    return float(v[0]), float(v[1])


def growth_targets(model: GrowthPercentiles, scores: pd.DataFrame, cuts: CutMap, *,
                   years_ahead: int = 3, year: int | None = None,
                   projections: pd.DataFrame | None = None) -> pd.DataFrame:
    """Catch-up / keep-up / move-up / stay-up growth targets per student.

    Parameters
    ----------
    model : GrowthPercentiles
        Fitted.
    scores : pandas.DataFrame
        Long scores (current and prior years).
    cuts : mapping
        ``grade -> (proficient_cut, advanced_cut)`` (or keyed by ``(subject, grade)``); a score
        at or above a cut is at that level. Needed for the current grade and the grades ahead.
    years_ahead : int
        Horizon (the SGP package uses 3).
    year : int, optional
        Students' year (default latest per subject).
    projections : pandas.DataFrame, optional
        Output of :func:`growth_projections` over percentiles 1..99, to reuse.

    Returns
    -------
    pandas.DataFrame
        One row per student and applicable target: student_id, subject, year, grade,
        scale_score, status (below / proficient / advanced), target_type (catch_up, keep_up,
        move_up, stay_up), target_sgp (Int64; missing when no percentile 1..99 gets there),
        reachable (bool), and target_sgp_year_1 .. year_<n>: the percentile needed to be at the
        level in that year (missing when unreachable or no projection).
    """
    if projections is None:
        projections = growth_projections(model, scores, years_ahead=years_ahead, year=year)
    proj = projections[projections["years_ahead"] <= years_ahead]
    if proj.empty:
        return pd.DataFrame(columns=["student_id", "subject", "year", "grade", "scale_score",
                                     "status", "target_type", "target_sgp", "reachable"])
    keys = ["student_id", "subject", "year", "grade", "scale_score"]
    # the cut each projected score is compared with
    lvl = proj[["subject", "projected_grade"]].drop_duplicates()
    cut_rows = []
    for subject, g in lvl.itertuples(index=False):
        c = _cut(cuts, str(subject), int(g))
        cut_rows.append((subject, g, np.nan if c is None else c[0],
                         np.nan if c is None else c[1]))
    cut_df = pd.DataFrame(cut_rows, columns=["subject", "projected_grade", "cut_prof", "cut_adv"])
    proj = proj.merge(cut_df, on=["subject", "projected_grade"], how="left")
    need: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for level, col in (("prof", "cut_prof"), ("adv", "cut_adv")):
        hit = proj[proj["projected_score"] >= proj[col]]
        first = hit.groupby([*keys, "years_ahead"], sort=False)["percentile"].min()
        has_cut = proj[proj[col].notna()].groupby([*keys, "years_ahead"], sort=False).size()
        # tab: percentile needed per year (NaN = unreachable); evaluated: years with a cut
        tab = first.reindex(has_cut.index).unstack("years_ahead")
        evaluated = has_cut.unstack("years_ahead").notna()
        need[level] = (tab, evaluated)
    students = proj[keys].drop_duplicates().reset_index(drop=True)
    status = []
    for r in students.itertuples(index=False):
        c = _cut(cuts, str(r.subject), int(r.grade))
        if c is None:
            status.append(None)
        elif r.scale_score >= c[1]:
            status.append("advanced")
        elif r.scale_score >= c[0]:
            status.append("proficient")
        else:
            status.append("below")
    students["status"] = status
    plan = {"below": [("catch_up", "prof", "min")],
            "proficient": [("keep_up", "prof", "max"), ("move_up", "adv", "min")],
            "advanced": [("stay_up", "adv", "max")]}
    horizon = list(range(1, years_ahead + 1))
    rows = []
    for rec in students.itertuples(index=False):
        if rec.status is None:
            continue
        key = (rec.student_id, rec.subject, rec.year, rec.grade, rec.scale_score)
        for ttype, level, how in plan[rec.status]:
            tab, evaluated = need[level]
            if key not in tab.index:
                continue
            vals = tab.loc[key].reindex(horizon).to_numpy(dtype=float)
            ev = evaluated.loc[key].reindex(horizon).fillna(False).to_numpy(dtype=bool)
            if not ev.any():
                continue
            if how == "min":  # reach the level in some year within the horizon
                target = np.nanmin(vals[ev]) if (~np.isnan(vals[ev])).any() else np.nan
            else:  # be at the level in every projected year
                target = np.nan if np.isnan(vals[ev]).any() else np.max(vals[ev])
            rows.append({**dict(zip(keys, key, strict=True)), "status": rec.status,
                         "target_type": ttype, "target_sgp": target,
                         "reachable": bool(not np.isnan(target)),
                         **{f"target_sgp_year_{h}": v for h, v in zip(horizon, vals,
                                                                     strict=True)}})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    for c in ["target_sgp", *[f"target_sgp_year_{h}" for h in horizon]]:
        out[c] = pd.array(out[c].to_numpy(dtype=float), dtype="Float64").astype("Int64")
    return out
