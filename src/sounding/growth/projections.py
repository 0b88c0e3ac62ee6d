"""Percentile growth projections and catch-up / keep-up / move-up targets.

The SGP package turns the fitted coefficient matrices into *percentile trajectories*: the score
a student would reach next year growing at the p-th percentile is the p-th of the 100 sorted
predicted quantiles of the next grade's model, with the current score as the most recent prior;
the year after, that projected score becomes the most recent prior of the following grade's
model, and so on, always at the same percentile. From these trajectories a target is the
smallest percentile of growth that gets the student to a cut score:

* catch-up (below proficient): reach proficient within ``years_ahead`` years;
* keep-up (proficient or advanced): stay proficient in every one of the next
  ``years_ahead`` years;
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

__all__ = ["growth_projections", "growth_targets", "lagged_growth_targets",
           "targets_met"]

CutMap = Mapping[int, Sequence[float]] | Mapping[tuple[str, int], Sequence[float]]


@nb.njit(cache=True, nogil=True, inline="always")
def _round5(v):
    """Round to 5 decimals, halves to even (as R's ``round``), so projections match the SGP
    package's to the last digit."""
    sc = v * 1e5
    fl = np.floor(sc)
    xl = fl / 1e5
    xh = np.ceil(sc) / 1e5
    if v - xl < xh - v:
        return xl
    if xh - v < v - xl:
        return xh
    return xl if fl % 2 == 0 else xh


@nb.njit(cache=True, nogil=True, inline="always")
def _sorted_predictions(X, coef, i, lo, hi, buf):
    """Row ``i``'s predictions x'B_t for all taus, clamped to [lo, hi], sorted."""
    for t in range(coef.shape[0]):
        s = 0.0
        for k in range(X.shape[1]):
            s += X[i, k] * coef[t, k]
        buf[t] = min(max(s, lo), hi)
    return np.sort(buf)


@nb.njit(cache=True, nogil=True)
def _kth_prediction(X, coef, kth, lo, hi, out):
    """For each row: predictions x'B_t for all taus, clamped, sorted, the kth, rounded 5."""
    buf = np.empty(coef.shape[0])
    for i in range(X.shape[0]):
        out[i] = _round5(_sorted_predictions(X, coef, i, lo, hi, buf)[kth[i]])


@nb.njit(cache=True, nogil=True)
def _all_kth_predictions(X, coef, kths, lo, hi, out):
    """Like :func:`_kth_prediction` for rows that share one state across percentiles: the
    predictions are computed and sorted once per row, and every wanted k is read off."""
    buf = np.empty(coef.shape[0])
    for i in range(X.shape[0]):
        srt = _sorted_predictions(X, coef, i, lo, hi, buf)
        for j in range(kths.shape[0]):
            out[i, j] = _round5(srt[kths[j]])


def _project_first_year(model: GrowthModel, priors: np.ndarray, kths: np.ndarray
                        ) -> np.ndarray:
    """Year-1 projections of distinct start rows at every percentile: (rows x percentiles)."""
    out = np.empty((len(priors), len(kths)))
    lo, hi = model.loss_hoss
    X = np.ascontiguousarray(model.design(priors))
    _all_kth_predictions(X, np.ascontiguousarray(model.coef), kths.astype(np.int64), lo, hi,
                         out)
    return out


def _project_rows(model: GrowthModel, priors: np.ndarray, kth: np.ndarray,
                  chunk: int = 200_000) -> np.ndarray:
    out = np.empty(len(priors))
    coef = np.ascontiguousarray(model.coef)
    lo, hi = model.loss_hoss
    for s in range(0, len(priors), chunk):
        X = np.ascontiguousarray(model.design(priors[s:s + chunk]))
        _kth_prediction(X, coef, kth[s:s + chunk].astype(np.int64), lo, hi, out[s:s + chunk])
    return out


def _current_rows(gp: GrowthPercentiles, scores: pd.DataFrame, year: int | None,
                  lagged: bool = False) -> pd.DataFrame:
    """The rows projections start from: this year's, or (lagged) last year's of the students
    who have a score one grade up this year."""
    df = gp._canonical(scores)
    panel = _attach_priors(df, max(gp.max_order - 1, 1))
    if year is None:
        target = panel.groupby("subject")["year"].transform("max")
    else:
        target = pd.Series(int(year), index=panel.index)
    if not lagged:
        return panel[panel["year"] == target].reset_index(drop=True)
    now = panel.loc[panel["year"] == target, ["student_id", "subject", "year", "grade"]]
    start = panel[panel["year"] == target - 1]
    key = now.assign(year=now["year"] - 1, grade=now["grade"] - 1)
    start = start.merge(key, on=["student_id", "subject", "year", "grade"], how="inner")
    return start.reset_index(drop=True)


def growth_projections(model: GrowthPercentiles, scores: pd.DataFrame, *, years_ahead: int = 3,
                       percentiles: Sequence[int] = tuple(range(1, 100)),
                       year: int | None = None, lagged: bool = False) -> pd.DataFrame:
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
    lagged : bool
        Lagged projections (the SGP package's ``sgp.projections.lagged``, which Colorado's
        catch-up / keep-up judgement uses): start from each student's score of the year
        *before* ``year`` (one grade down) and use ``year``'s models, so year 1 of the
        projection is the very model that gave this year's SGP and "growing at percentile p"
        is comparable with the SGP. Only students with a score one grade up in ``year``.

    Returns
    -------
    pandas.DataFrame
        Tidy: student_id, subject, year, grade, scale_score (the starting row: last year's
        when lagged), years_ahead, projected_grade, percentile, projected_score. Rows stop at
        the first year without a model.
    """
    model._check_fitted()
    pcts = np.asarray(list(percentiles), dtype=np.int64)
    n_t = len(model.taus)
    if pcts.size == 0 or pcts.min() < 1 or pcts.max() > n_t - 1:
        raise InvalidInput(f"percentiles must be within 1..{n_t - 1}")
    if years_ahead < 1:
        raise InvalidInput("years_ahead must be at least 1")
    cur = _current_rows(model, scores, year, lagged)
    model_shift = 1 if lagged else 0
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
                chosen = model.model_for(str(subject), int(yr) + model_shift,
                                         tuple(range(target - k, target + 1)))
                if chosen is not None:
                    break
            if chosen is None:
                break
            if s == 1:  # every percentile starts from the same row: predict it once
                proj = _project_first_year(chosen, uniq[:, :chosen.key.order],
                                           pcts - 1).ravel()
            else:
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
                   projections: pd.DataFrame | None = None,
                   lagged: bool = False) -> pd.DataFrame:
    """Catch-up / keep-up / move-up / stay-up growth targets per student.

    Forward-looking by default (from this year's score: the growth a student needs from now
    on). For judging this year's growth use :func:`lagged_growth_targets`.

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
    lagged : bool
        Targets from last year's score with this year's models (see
        :func:`growth_projections`); rows then describe the starting (last) year.

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
        projections = growth_projections(model, scores, years_ahead=years_ahead, year=year,
                                         lagged=lagged)
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
    cut_of = {(sj, g): _cut(cuts, str(sj), int(g)) for sj, g in
              students[["subject", "grade"]].drop_duplicates().itertuples(index=False)}
    prof_cut = np.array([np.nan if cut_of[(sj, g)] is None else cut_of[(sj, g)][0]
                         for sj, g in zip(students["subject"], students["grade"], strict=True)])
    adv_cut = np.array([np.nan if cut_of[(sj, g)] is None else cut_of[(sj, g)][1]
                        for sj, g in zip(students["subject"], students["grade"], strict=True)])
    score = students["scale_score"].to_numpy(dtype=float)
    status = np.where(np.isnan(prof_cut), None,
                      np.where(score >= adv_cut, "advanced",
                               np.where(score >= prof_cut, "proficient", "below")))
    students["status"] = status
    plan = {"below": [("catch_up", "prof", "min")],
            "proficient": [("keep_up", "prof", "max"), ("move_up", "adv", "min")],
            "advanced": [("keep_up", "prof", "max"), ("stay_up", "adv", "max")]}
    horizon = list(range(1, years_ahead + 1))
    index = pd.MultiIndex.from_frame(students[keys])
    parts = []
    for st_name, targets in plan.items():
        sel = np.flatnonzero(students["status"].to_numpy() == st_name)
        if not len(sel):
            continue
        for rank, (ttype, level, how) in enumerate(targets):
            tab, evaluated = need[level]
            vals = tab.reindex(index[sel]).reindex(columns=horizon).to_numpy(dtype=float)
            ev = (evaluated.reindex(index[sel]).reindex(columns=horizon)
                  .fillna(False).to_numpy(dtype=bool))
            ok = ev.any(axis=1)
            if not ok.any():
                continue
            masked = np.where(ev, vals, np.nan)
            with np.errstate(all="ignore"):
                if how == "min":  # reach the level in some year within the horizon
                    target = np.where(np.isnan(masked).all(axis=1), np.nan,
                                      np.nanmin(np.where(np.isnan(masked), np.inf, masked),
                                                axis=1))
                else:  # be at the level in every projected year
                    bad = (ev & np.isnan(vals)).any(axis=1)
                    target = np.where(bad, np.nan,
                                      np.max(np.where(ev, vals, -np.inf), axis=1))
            frame = students.iloc[sel[ok]].copy()
            frame["target_type"] = ttype
            frame["target_sgp"] = target[ok]
            frame["reachable"] = ~np.isnan(target[ok])
            for h_i, h in enumerate(horizon):
                frame[f"target_sgp_year_{h}"] = vals[ok, h_i]
            frame["_order"] = sel[ok] * 10 + rank
            parts.append(frame)
    out = (pd.concat(parts, ignore_index=True).sort_values("_order", kind="stable")
           .drop(columns="_order").reset_index(drop=True) if parts else pd.DataFrame())
    if out.empty:
        return out
    for c in ["target_sgp", *[f"target_sgp_year_{h}" for h in horizon]]:
        out[c] = pd.array(out[c].to_numpy(dtype=float), dtype="Float64").astype("Int64")
    return out


def lagged_growth_targets(model: GrowthPercentiles, scores: pd.DataFrame, cuts: CutMap, *,
                          years_ahead: int = 3, year: int | None = None,
                          sgp: pd.DataFrame | None = None) -> pd.DataFrame:
    """Colorado's catch-up / keep-up / move-up judgement of this year's growth.

    As the SGP package does with ``sgp.projections.lagged = TRUE`` (and
    ``ACHIEVEMENT_LEVEL_PRIOR``): last year's score and level set the target, and this year's
    SGP is compared with it.

    * catch-up: not proficient last year; target = the smallest growth percentile that, from
      last year's score, reaches proficient within ``years_ahead`` years (this year included)
      or by the last tested grade;
    * keep-up: proficient or advanced last year; target = the smallest percentile that stays
      proficient in every one of those years;
    * move-up: proficient but not advanced last year; target = reach advanced within them;
    * stay-up: advanced last year; stay advanced in every year.

    Parameters
    ----------
    model : GrowthPercentiles
        Fitted on data including ``year`` (its models give this year's SGPs and the
        projections ahead).
    scores : pandas.DataFrame
        Long scores with last year's and this year's rows.
    cuts : mapping
        ``grade -> (proficient_cut, advanced_cut)`` or keyed by ``(subject, grade)``.
    years_ahead : int
        Horizon from last year (3 in Colorado).
    year : int, optional
        The year judged (default the latest per subject).
    sgp : pandas.DataFrame, optional
        This year's SGPs (``student_id, subject, year, sgp``); when given the result has
        ``sgp`` and ``met`` (``sgp >= target_sgp``; missing when the target is unreachable).

    Returns
    -------
    pandas.DataFrame
        One row per student, subject and target: student_id, subject, year (the judged year),
        grade (this year's), prior_scale_score, prior_status (below / proficient / advanced),
        target_type, target_sgp (Int64), reachable, target_sgp_year_1 .. _<n>, and with
        ``sgp`` given: sgp, met.
    """
    t = growth_targets(model, scores, cuts, years_ahead=years_ahead, year=year, lagged=True)
    if t.empty:
        cols = ["student_id", "subject", "year", "grade", "prior_scale_score", "prior_status",
                "target_type", "target_sgp", "reachable"]
        return pd.DataFrame(columns=cols + (["sgp", "met"] if sgp is not None else []))
    t = t.rename(columns={"scale_score": "prior_scale_score", "status": "prior_status"})
    t["year"] = t["year"].astype(int) + 1
    t["grade"] = t["grade"].astype(int) + 1
    t = t.sort_values(["subject", "student_id", "target_type"], kind="stable").reset_index(
        drop=True)
    if sgp is not None:
        t = targets_met(t, sgp)
    return t


def targets_met(targets: pd.DataFrame, sgp: pd.DataFrame) -> pd.DataFrame:
    """Add this year's ``sgp`` and ``met`` (SGP at or above the target) to lagged targets.

    Merged on ``(student_id, subject, year)``: a student with several subjects keeps one
    row per subject and target. ``met`` is missing when there is no SGP, and False when no
    percentile 1..99 reaches the target (the student cannot be on track this year).
    """
    need = ["student_id", "subject", "year", "sgp"]
    missing = [c for c in need if c not in sgp.columns]
    if missing:
        raise InvalidInput(f"sgp table is missing column(s): {', '.join(missing)}")
    cur = sgp[need].copy()
    cur["student_id"] = cur["student_id"].astype(str)
    cur["subject"] = cur["subject"].astype(str)
    cur["year"] = cur["year"].astype(int)
    out = targets.drop(columns=["sgp", "met"], errors="ignore").copy()
    out["student_id"] = out["student_id"].astype(str)
    out["subject"] = out["subject"].astype(str)
    out = out.merge(cur.drop_duplicates(["student_id", "subject", "year"]),
                    on=["student_id", "subject", "year"], how="left")
    s = pd.to_numeric(out["sgp"], errors="coerce")
    tgt = pd.to_numeric(out["target_sgp"], errors="coerce")
    met = pd.array((s >= tgt).to_numpy(), dtype="boolean")
    met[s.isna().to_numpy()] = pd.NA
    met[(s.notna() & tgt.isna()).to_numpy()] = False
    out["met"] = met
    return out
