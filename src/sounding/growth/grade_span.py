"""Grade-span growth on the progression: standards newly secured between two points in time.

Math Innovation Zones judge growth across a grade span (6 -> 8), not one year's grade-level
proficiency. The iceberg lesson is that a school closing below-grade gaps may look flat on a
grade-level test: so growth here counts every standard that became secure, split by where it
sits relative to the student's grade (below, on, above), and reports proficiency beside it.

Where the two points come from, best first (:func:`grade_span_for_release` picks, so every
report shows the same numbers):

* **spring to spring** (:func:`spring_window_growth`): a spring check in each school year on
  the standards of the student's grade span, both scored by one graph-aware model; growth is
  the expected number of the span's standards mastered this spring minus last spring;
* two stored mastery posteriors (:func:`mastery_snapshot_growth`: last spring's and this
  spring's fits under two model names);
* a posterior from the evidence up to a cut date and one from all of it
  (:func:`mastery_snapshots`), for a single year's evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# SECURE: P(mastered) at or above which a standard counts as secure (defined once, in core).
from sounding.core.thresholds import SECURE as SECURE
from sounding.errors import InvalidInput
from sounding.progression import StandardsGraph

_POSTERIOR = ("student_id", "standard", "p_mastered")


def _check(df: pd.DataFrame, name: str) -> pd.DataFrame:
    if "user_id" in df.columns and "student_id" not in df.columns:
        df = df.rename(columns={"user_id": "student_id"})
    missing = [c for c in _POSTERIOR if c not in df.columns]
    if missing:
        raise InvalidInput(f"{name} posterior is missing column(s): {', '.join(missing)}")
    return df[list(_POSTERIOR)]


def grade_span_growth(
    before: pd.DataFrame,
    after: pd.DataFrame,
    grades: Mapping[Any, int],
    graph: StandardsGraph,
    *,
    secure: float = SECURE,
) -> pd.DataFrame:
    """Per student: standards newly secured between two posteriors, by position vs grade.

    Parameters
    ----------
    before, after : DataFrame
        ``student_id, standard, p_mastered`` at the start and the end of the span.
    grades : mapping
        Student -> grade at the END of the span (0 = K .. 8, 9 = Algebra I); a standard is
        below / on / above grade against it.
    graph : StandardsGraph
    secure : float
        Threshold for "secure".

    Returns
    -------
    DataFrame
        ``student_id, grade, secured_below, secured_on, secured_above, secured_total,
        lost_total, secure_before, secure_after`` (counts of standards). ``lost_total`` is
        reported rather than netted out: a drop is a signal to look at, not negative growth.
    """
    b, a = _check(before, "before"), _check(after, "after")
    # inner join: a student without a baseline snapshot has no measurable growth
    merged = a.merge(b, on=["student_id", "standard"], how="inner",
                     suffixes=("_after", "_before"))
    merged = merged[merged["standard"].map(lambda c: c in graph)]
    merged["std_grade"] = merged["standard"].map(lambda c: graph[graph.rollup(c)].grade_num)
    merged["grade"] = merged["student_id"].map(grades)
    merged = merged.dropna(subset=["grade"])
    merged["grade"] = merged["grade"].astype(int)
    was = merged["p_mastered_before"].to_numpy() >= secure
    now = merged["p_mastered_after"].to_numpy() >= secure
    rel = np.sign(merged["std_grade"].to_numpy() - merged["grade"].to_numpy())
    gained = now & ~was
    frame = pd.DataFrame({
        "student_id": merged["student_id"].to_numpy(),
        "grade": merged["grade"].to_numpy(),
        "secured_below": gained & (rel < 0),
        "secured_on": gained & (rel == 0),
        "secured_above": gained & (rel > 0),
        "lost_total": was & ~now,
        "secure_before": was,
        "secure_after": now,
    })
    out = frame.groupby(["student_id", "grade"], sort=True).sum().reset_index()
    out.insert(5, "secured_total",
               out["secured_below"] + out["secured_on"] + out["secured_above"])
    for c in out.columns[2:]:
        out[c] = out[c].astype(np.int64)
    return out


def grade_span_summary(
    growth: pd.DataFrame,
    students: pd.DataFrame,
    *,
    by: Sequence[str] = ("school_id",),
    proficient: pd.Series | None = None,
) -> pd.DataFrame:
    """Aggregate per group: mean standards newly secured below / on / above grade, with the
    share proficient on the grade-level test beside it (so both stories show at once).

    ``students`` carries ``student_id`` and the ``by`` columns; ``proficient`` is an optional
    boolean Series indexed by student id.
    """
    missing = [c for c in ("student_id", *by) if c not in students.columns]
    if missing:
        raise InvalidInput(f"students table is missing column(s): {', '.join(missing)}")
    df = growth.merge(students[["student_id", *by]].drop_duplicates("student_id"),
                      on="student_id", how="left")
    if proficient is not None:
        df["proficient"] = df["student_id"].map(proficient).astype(float)
    agg = {
        "n": ("student_id", "size"),
        "secured_below": ("secured_below", "mean"),
        "secured_on": ("secured_on", "mean"),
        "secured_above": ("secured_above", "mean"),
        "secured_total": ("secured_total", "mean"),
    }
    if "proficient" in df.columns:
        agg["proficient_share"] = ("proficient", "mean")
    return df.groupby(list(by), dropna=False).agg(**agg).reset_index()


def mastery_snapshots(
    responses: pd.DataFrame,
    grades: Mapping[Any, int],
    graph: StandardsGraph,
    cut: Any,
    *,
    model: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posteriors from the evidence before ``cut`` and from all of it, with one fitted model.

    ``responses`` in the store format (``student_id, standard, correct, timestamp``). Fitting
    once on all the evidence keeps the two snapshots on the same scale; a student with no
    evidence before the cut starts from the model's prior for their grade.
    """
    from sounding.mastery.graph_model import GraphMastery

    need = ("student_id", "standard", "correct", "timestamp")
    missing = [c for c in need if c not in responses.columns]
    if missing:
        raise InvalidInput(f"responses are missing column(s): {', '.join(missing)}")
    ts = pd.to_datetime(responses["timestamp"])
    frame = pd.DataFrame({
        "user_id": responses["student_id"].astype(str).to_numpy(),
        "skill_name": responses["standard"].to_numpy(),
        "correct": responses["correct"].astype(int).to_numpy(),
        "order_id": ts.rank(method="first").astype(np.int64).to_numpy(),
    })
    g = {str(k): int(v) for k, v in grades.items()}
    m = model if model is not None else GraphMastery(graph).fit(frame, grades=g)
    early = frame[(ts < pd.Timestamp(cut)).to_numpy()]
    after = m.posterior(frame, grades=g)
    before = m.posterior(early, grades=g) if len(early) else after.iloc[0:0]
    rename = {"user_id": "student_id"}
    return (before.rename(columns=rename)[list(_POSTERIOR)],
            after.rename(columns=rename)[list(_POSTERIOR)])


def mastery_snapshot_growth(
    mastery: pd.DataFrame,
    grades: Mapping[Any, int],
    graph: StandardsGraph,
    *,
    secure: float = SECURE,
) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """Grade-span growth between the earliest and the latest mastery snapshot of a store.

    The store's mastery table holds one posterior per model (``student_id, standard,
    p_mastered, model, as_of``: :meth:`sounding.store.Store.mastery`); a district keeps
    another point in time by fitting under another model name (last spring's, this
    spring's). A snapshot is one model's rows, dated by their latest ``as_of``. Growth needs
    two snapshots on different dates; with fewer the reason is returned, so a report can say
    so plainly instead of leaving the column out.

    Returns
    -------
    (DataFrame or None, dict)
        :func:`grade_span_growth` between the earliest and the latest snapshot (None when
        there are not two dates), and what was used: ``available``, ``snapshots`` (model,
        as_of, students), ``before``, ``after``, ``message`` (one plain sentence).
    """
    info: dict[str, Any] = {"available": False, "snapshots": [], "before": None,
                            "after": None}
    if mastery is None or not len(mastery):
        info["message"] = ("Grade-span growth is not shown: the store holds no mastery "
                           "estimates (run `sounding mastery fit`).")
        return None, info
    m = mastery.copy()
    if "model" not in m.columns:
        m["model"] = "mastery"
    m["as_of"] = pd.to_datetime(m["as_of"]) if "as_of" in m.columns else pd.NaT
    snaps = (m.groupby("model", sort=False)
             .agg(as_of=("as_of", "max"), students=("student_id", "nunique"))
             .reset_index().sort_values(["as_of", "model"], na_position="first"))
    info["snapshots"] = [
        {"model": str(r.model), "as_of": None if pd.isna(r.as_of) else r.as_of.isoformat(),
         "students": int(r.students)} for r in snaps.itertuples(index=False)]
    dated = snaps.dropna(subset=["as_of"])
    days = dated["as_of"].dt.normalize().unique() if len(dated) else []
    if len(days) < 2:
        only = info["snapshots"][-1]
        when = f", as of {only['as_of'][:10]}" if only["as_of"] else ""
        more = (f" ({len(snaps)} models, all from one date)" if len(snaps) > 1 else "")
        info["message"] = (
            f"Grade-span growth is not shown: the store holds only one mastery snapshot "
            f"(model {only['model']!r}{when}){more}; it needs two from different dates, for "
            "example last spring's and this spring's fitted under two model names.")
        return None, info
    first, last = dated.iloc[0], dated.iloc[-1]
    before = m[m["model"] == first["model"]]
    after = m[m["model"] == last["model"]]
    out = grade_span_growth(before, after, grades, graph, secure=secure)
    info.update(available=True,
                before={"model": str(first["model"]), "as_of": first["as_of"].isoformat()},
                after={"model": str(last["model"]), "as_of": last["as_of"].isoformat()},
                students=int(out["student_id"].nunique()) if len(out) else 0)
    info["message"] = (f"Grade-span growth: standards newly secured between "
                       f"{first['as_of']:%Y-%m-%d} ({first['model']}) and "
                       f"{last['as_of']:%Y-%m-%d} ({last['model']}), for "
                       f"{info['students']} students.")
    return out, info


# ------------------------------------------------------------------ spring to spring

#: The grade spans a spring check covers (first grade, last grade): K-2, 3-5, 6-8.
SPANS: tuple[tuple[int, int], ...] = ((0, 2), (3, 5), (6, 8))
#: Students whose answers the spring-window model's parameters are fitted on (the posterior
#: of every student is computed with them; see :func:`sounding.mastery.pipeline.fit_sample`).
WINDOW_FIT_STUDENTS = 1000
#: Columns a spring-window file needs (``responses.csv``'s columns; ``item_id`` and
#: ``source`` optional).
WINDOW_COLUMNS = ("student_id", "standard", "correct", "timestamp")
#: Per-student columns of :func:`spring_window_growth`.
SPAN_COLUMNS = ("student_id", "grade", "span_first", "span_last", "n_span_standards",
                "span_mastered_before", "span_mastered_after", "span_growth",
                "secured_below", "secured_on", "secured_above", "secured_total", "lost_total",
                "secure_before", "secure_after", "from_year", "to_year")


def span_of(grade: int) -> tuple[int, int]:
    """The grade span of a grade (K-2, 3-5, 6-8; Algebra I counts with 6-8)."""
    for lo, hi in SPANS:
        if lo <= grade <= hi:
            return lo, hi
    return SPANS[-1]


def spring_year(ts: pd.Series) -> pd.Series:
    """The school year (named by its spring) of each timestamp: August starts a new one."""
    t = pd.to_datetime(ts)
    return pd.Series(np.where(t.dt.month >= 8, t.dt.year + 1, t.dt.year), index=t.index)


def read_spring_windows(path: str | Path) -> pd.DataFrame:
    """Read a spring-window evidence file (CSV or Parquet, ``responses.csv``'s columns).

    Raises
    ------
    InvalidData
        Naming file, line and field: unreadable file, missing column, a ``correct`` other
        than 0/1, a timestamp that is not a date.
    """
    from sounding.errors import InvalidData, Problem

    name = str(path)
    p = Path(path)
    if not p.is_file():
        raise InvalidData([Problem(name, None, None, "file not found")])
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(p)
            df = df.astype({c: str for c in ("student_id", "standard") if c in df.columns})
        else:
            df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file for the user
        raise InvalidData([Problem(name, None, None, f"not a readable file: {exc}")]) from None
    missing = [c for c in WINDOW_COLUMNS if c not in df.columns]
    if missing:
        raise InvalidData([Problem(name, 1, c, "required column is missing") for c in missing])
    problems = []
    correct = pd.to_numeric(df["correct"], errors="coerce")
    for i in np.flatnonzero(~correct.isin([0, 1]).to_numpy())[:20]:
        problems.append(Problem(name, int(i) + 2, "correct",
                                f"must be 0 or 1, not {df['correct'].iat[i]!r}"))
    ts = pd.to_datetime(df["timestamp"], errors="coerce", format="ISO8601")
    for i in np.flatnonzero(ts.isna().to_numpy())[:20]:
        problems.append(Problem(name, int(i) + 2, "timestamp",
                                f"not an ISO 8601 date: {df['timestamp'].iat[i]!r}"))
    for col in ("student_id", "standard"):
        blank = df[col].astype(str).str.strip().eq("").to_numpy()
        for i in np.flatnonzero(blank)[:20]:
            problems.append(Problem(name, int(i) + 2, col, "empty"))
    if problems:
        raise InvalidData(problems)
    out = pd.DataFrame({"student_id": df["student_id"].astype(str).str.strip(),
                        "standard": df["standard"].astype(str).str.strip(),
                        "correct": correct.astype(np.int8), "timestamp": ts})
    return out


def spring_window_growth(
    windows: pd.DataFrame,
    grades: Mapping[Any, int],
    graph: StandardsGraph,
    *,
    from_year: int | None = None,
    to_year: int | None = None,
    secure: float = SECURE,
    fit_students: int | None = WINDOW_FIT_STUDENTS,
) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """Grade-span growth from one year's spring window to a later year's.

    Each student's answers in each spring window are scored with one graph-aware mastery
    model (:class:`sounding.mastery.graph_model.GraphMastery`, fitted once on both windows,
    each student-year its own case with that year's grade), so the two springs are measured
    on the same scale. Growth is reported on the standards of the student's grade span this
    year (6-8 for a grade-7 student):

    * ``span_mastered_before`` / ``_after``: the expected number of the span's standards
      mastered (the sum of P(mastered)), and ``span_growth`` their difference: the headline,
      unbiased where counts of "secure" standards are not (a standard needs P >= ``secure``
      to count, so thin evidence under-counts both springs);
    * ``secured_below`` / ``_on`` / ``_above`` / ``_total``: the span's standards newly secure,
      by where they sit against the student's grade this year, as
      :func:`grade_span_growth` counts them.

    ``grades`` gives each student's grade in ``to_year`` (the roster's); in ``from_year`` it
    was that minus the years between. ``from_year`` / ``to_year`` default to the two latest
    springs in the file.

    Returns
    -------
    (DataFrame or None, dict)
        One row per student with both windows (:data:`SPAN_COLUMNS`), or None with the reason
        in ``info["message"]``; ``info`` says which springs, how many students and answers.
    """
    from sounding.mastery.graph_model import GraphMastery
    from sounding.mastery.pipeline import fit_sample

    info: dict[str, Any] = {"available": False, "method": "spring_windows",
                            "from_year": None, "to_year": None}
    if windows is None or not len(windows):
        info["message"] = "Grade-span growth is not shown: no spring-window evidence."
        return None, info
    w = windows.copy()
    w["student_id"] = w["student_id"].astype(str)
    w["year"] = spring_year(w["timestamp"]).to_numpy()
    years = sorted(int(y) for y in w["year"].unique())
    to_year = years[-1] if to_year is None else int(to_year)
    earlier = [y for y in years if y < to_year]
    if from_year is None and earlier:
        from_year = earlier[-1]
    if from_year is None or from_year not in years or to_year not in years:
        info["message"] = (f"Grade-span growth is not shown: spring-window evidence for "
                           f"{', '.join(map(str, years))} only; it needs two springs.")
        return None, info
    from_year = int(from_year)
    info.update(from_year=from_year, to_year=to_year)
    g_now = {str(k): int(v) for k, v in grades.items() if v is not None and not pd.isna(v)}
    w = w[w["year"].isin([from_year, to_year]) & w["student_id"].isin(g_now)]
    both = w.groupby("student_id")["year"].nunique()
    keep = set(both.index[both == 2])
    w = w[w["student_id"].isin(keep)]
    if not len(w):
        info["message"] = ("Grade-span growth is not shown: no rostered student answered in "
                           f"both the {from_year} and the {to_year} spring windows.")
        return None, info
    # one case per student and spring, with that spring's grade
    case = w["student_id"] + "|" + w["year"].astype(str)
    case_grade: dict[str, int] = {}
    for c in pd.unique(case):
        sid, year = c.rsplit("|", 1)
        case_grade[c] = max(0, g_now[sid] - (to_year - int(year)))
    ts = pd.to_datetime(w["timestamp"])
    frame = pd.DataFrame({"user_id": case.to_numpy(), "skill_name": w["standard"].to_numpy(),
                          "correct": w["correct"].astype(int).to_numpy(),
                          "order_id": ts.rank(method="first").astype(np.int64).to_numpy()})
    cases = pd.DataFrame({"student_id": list(case_grade), "grade": list(case_grade.values())})
    sample = set(fit_sample(cases, fit_students, seed=0)) if fit_students else set(cases[
        "student_id"])
    model = GraphMastery(graph).fit(frame[frame["user_id"].isin(sample)],
                                    grades={c: case_grade[c] for c in sample})
    post = model.posterior(frame, grades=case_grade)
    # per case (student and spring) and per standard as integer codes: millions of rows
    case_code, case_uniq = pd.factorize(post["user_id"].to_numpy())
    c_sid = np.array([c.rsplit("|", 1)[0] for c in case_uniq], dtype=object)
    c_year = np.array([int(c.rsplit("|", 1)[1]) for c in case_uniq], dtype=np.int64)
    c_grade = np.array([g_now[x] for x in c_sid], dtype=np.int64)
    c_span = np.array([span_of(int(g)) for g in c_grade], dtype=np.int64).reshape(-1, 2)
    std_code, std_uniq = pd.factorize(post["standard"].to_numpy())
    s_grade = np.array([graph[graph.rollup(c)].grade_num if c in graph else np.nan
                        for c in std_uniq], dtype=float)
    sg = s_grade[std_code]
    inside = (sg >= c_span[case_code, 0]) & (sg <= c_span[case_code, 1])
    post = pd.DataFrame({"student_id": c_sid[case_code[inside]],
                         "grade": c_grade[case_code[inside]],
                         "year": c_year[case_code[inside]],
                         "standard": std_uniq[std_code[inside]],
                         "std_grade": sg[inside],
                         "p": post["p_mastered"].to_numpy(float)[inside]})
    wide = post.pivot(index=["student_id", "grade", "standard", "std_grade"],
                      columns="year", values="p").reset_index()
    before, after = wide[from_year].to_numpy(), wide[to_year].to_numpy()
    was, now = before >= secure, after >= secure
    rel = np.sign(wide["std_grade"].to_numpy() - wide["grade"].to_numpy())
    gained = now & ~was
    per = pd.DataFrame({
        "student_id": wide["student_id"].to_numpy(), "grade": wide["grade"].to_numpy(),
        "n_span_standards": 1, "span_mastered_before": before, "span_mastered_after": after,
        "secured_below": gained & (rel < 0), "secured_on": gained & (rel == 0),
        "secured_above": gained & (rel > 0), "lost_total": was & ~now,
        "secure_before": was, "secure_after": now,
    })
    out = per.groupby(["student_id", "grade"], sort=True).sum().reset_index()
    spans = np.array([span_of(int(g)) for g in out["grade"]]).reshape(-1, 2)
    out["span_first"], out["span_last"] = spans[:, 0], spans[:, 1]
    out["span_growth"] = out["span_mastered_after"] - out["span_mastered_before"]
    out["secured_total"] = out["secured_below"] + out["secured_on"] + out["secured_above"]
    for c in ("secured_below", "secured_on", "secured_above", "secured_total", "lost_total",
              "secure_before", "secure_after", "n_span_standards"):
        out[c] = out[c].astype(np.int64)
    for c in ("span_mastered_before", "span_mastered_after", "span_growth"):
        out[c] = out[c].round(3)
    out["from_year"], out["to_year"] = from_year, to_year
    out = out[list(SPAN_COLUMNS)]
    info.update(available=True, students=int(len(out)), answers=int(len(w)),
                mean_span_growth=round(float(out["span_growth"].mean()), 2),
                message=(f"Grade-span growth: each student's grade span (6-8 for grades 6-8, "
                         f"3-5 for 3-5), from the spring {from_year} window to the spring "
                         f"{to_year} window, for {len(out)} students: on average "
                         f"{out['span_growth'].mean():.1f} more of the span's standards "
                         "mastered."))
    return out, info


def span_beside_scores(growth: pd.DataFrame, scores: pd.DataFrame | None,
                       sgp: pd.DataFrame | None, *, min_n: int = 10) -> list[dict[str, Any]]:
    """Per grade, grade-span growth beside the scale-score view of the same students.

    ``n``, mean ``span_growth`` and share of the span mastered before and after, mean
    standards newly secured, and, from the scores, the median SGP and the mean scale-score
    change between the two springs' years. Grades with fewer than ``min_n`` students are left
    out (this summary is printed in public reports).
    """
    g = growth.copy()
    g["student_id"] = g["student_id"].astype(str)
    if scores is not None and len(scores):
        sc = scores.copy()
        sc["student_id"] = sc["student_id"].astype(str)
        sc["year"] = sc["year"].astype(int)
        math = sc[sc["subject"].astype(str).str.lower().str.contains("math")]
        sc = math if len(math) else sc
        by = sc.drop_duplicates(["student_id", "year"]).set_index(["student_id", "year"])[
            "scale_score"]
        a = [by.get((s, int(y)), np.nan) for s, y in zip(g["student_id"], g["to_year"],
                                                           strict=True)]
        b = [by.get((s, int(y)), np.nan) for s, y in zip(g["student_id"], g["from_year"],
                                                           strict=True)]
        g["score_change"] = np.array(a, float) - np.array(b, float)
    if sgp is not None and len(sgp):
        s = sgp.copy()
        s["student_id"] = s["student_id"].astype(str)
        s = s[s["year"].astype(int) == int(g["to_year"].max())]
        math = s[s["subject"].astype(str).str.lower().str.contains("math")]
        s = math if len(math) else s
        g["sgp"] = g["student_id"].map(s.drop_duplicates("student_id").set_index(
            "student_id")["sgp"])
    rows = []
    for grade, part in g.groupby("grade"):
        if len(part) < min_n:
            continue
        n_span = part["n_span_standards"].clip(lower=1)
        row = {"grade": int(grade), "n": int(len(part)),
               "span": f"{span_of(int(grade))[0]}-{span_of(int(grade))[1]}",
               "mean_span_growth": round(float(part["span_growth"].mean()), 2),
               "share_mastered_before": round(float(
                   (part["span_mastered_before"] / n_span).mean()), 3),
               "share_mastered_after": round(float(
                   (part["span_mastered_after"] / n_span).mean()), 3),
               "mean_newly_secured": round(float(part["secured_total"].mean()), 2)}
        if "sgp" in part and part["sgp"].notna().sum() >= min_n:
            row["median_sgp"] = float(part["sgp"].median())
        if "score_change" in part and part["score_change"].notna().sum() >= min_n:
            row["mean_scale_score_change"] = round(float(part["score_change"].mean()), 1)
        rows.append(row)
    return rows


def spring_windows_beside(store: Any) -> Path | None:
    """The spring-window file that sits beside a SQLite store in the layout `sounding demo`
    writes (``district/spring_windows.csv`` or ``spring_windows.csv`` next to the database
    file); None for a server database or when there is none."""
    url = getattr(getattr(store, "engine", None), "url", None)
    if url is None or not str(url.drivername).startswith("sqlite") or not url.database:
        return None
    here = Path(url.database).parent
    for cand in (here / "district" / "spring_windows.csv", here / "spring_windows.csv"):
        if cand.is_file():
            return cand
    return None


def grade_span_for_release(
    store: Any,
    graph: StandardsGraph,
    *,
    windows: str | Path | pd.DataFrame | None = None,
    scores: pd.DataFrame | None = None,
    sgp: pd.DataFrame | None = None,
    min_n: int = 10,
    secure: float = SECURE,
    discover: bool = True,
) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """The grade-span growth every report shows: one function, so `sounding growth report`,
    the HTML report (the pipeline) and any other reader of the store compute the same numbers.

    With spring-window evidence covering two springs (``windows``: a file or frame,
    :func:`read_spring_windows`; by default, with ``discover``, the file beside a SQLite
    store, :func:`spring_windows_beside`): :func:`spring_window_growth` on the roster's
    grades, with the per-grade view beside scale scores (:func:`span_beside_scores`) in
    ``info["by_grade"]``. Otherwise the store's two mastery snapshots
    (:func:`mastery_snapshot_growth`), or the reason there is none.
    """
    from sounding.mastery.pipeline import normalize_students

    if windows is None and discover:
        windows = spring_windows_beside(store)

    students = normalize_students(store.students())
    grades = {str(k): int(v) for k, v in zip(students["student_id"], students["grade"],
                                             strict=True) if pd.notna(v)}
    if windows is not None:
        frame = windows if isinstance(windows, pd.DataFrame) else read_spring_windows(windows)
        out, info = spring_window_growth(frame, grades, graph, secure=secure)
        info["source"] = "the spring-window frame" if isinstance(windows, pd.DataFrame) \
            else str(windows)
        if out is not None:
            info["by_grade"] = span_beside_scores(out, scores, sgp, min_n=min_n)
            out.attrs["source"] = info["message"]
            return out, info
        fallback_reason = info["message"]
    else:
        fallback_reason = None
    out, info = mastery_snapshot_growth(store.mastery(), grades, graph, secure=secure)
    info["method"] = "mastery_snapshots"
    if fallback_reason:
        info["message"] = f"{fallback_reason} {info['message']}"
    if out is not None:
        out.attrs["source"] = info["message"]
    return out, info
