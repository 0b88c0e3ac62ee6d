"""Intervention records and progress monitoring.

An intervention is a process, not a product (CDE): it should be checked against the student's
learning on the topic it targets. This module reads intervention logs and puts, next to each
record, the change in mastery on its targeted standards since it started.

Log CSV
-------
``student_id, intervention, standards, start_date, end_date, minutes, provider``:
``standards`` a list separated by semicolons or commas (sub-standards roll up to their
standard), dates ``YYYY-MM-DD`` (``end_date`` empty = ongoing), ``minutes`` a whole number
(total minutes delivered; empty = not recorded).

Progress monitoring: the approach
---------------------------------
The mastery change on a record's targeted standards is measured with the project's own mastery
model, so the figures agree with everything else the system shows: the graph-aware model
(:class:`~sounding.mastery.graph_model.GraphMastery`, fitted once on all the district's
answers, or the already fitted model passed in) gives each record two posteriors from the
student's answers on *every* standard:

* **before**: the evidence dated before ``start_date``;
* **after**: the evidence up to ``end_date`` (or up to the as-of date while ongoing) -- what the
  system's mastery says at that date.

``change = p_after - p_before`` per targeted standard. The model is a snapshot (it does not
weigh recent answers more), so ``after`` is exactly the estimate the rest of the system would
show at the end date; a student whose early answers were wrong and later ones right shows a
smaller change than a recency-weighted estimate would. A record whose student answered nothing
before the start has no baseline (``p_before`` empty). Both windows are estimated in one call
each: each record's answers are relabelled with the record's key, so a student with two
interventions gets two independent estimates.

A custom ``estimator`` (any ``responses -> DataFrame(student_id, standard, p_mastered)``, e.g.
:func:`bkt_estimator`, a recency-weighted BKT forward pass) can still be plugged in; it sees
only the answers on the targeted standards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sounding.errors import InvalidData, InvalidInput, NotFound, Problem
from sounding.planning.frames import RESPONSE_COLUMNS, _timestamps, to_date
from sounding.progression import StandardsGraph, load_default

LOG_COLUMNS = ("student_id", "intervention", "standards", "start_date", "end_date", "minutes",
               "provider")
Estimator = Callable[[pd.DataFrame], pd.DataFrame]
_SPLIT = re.compile(r"[;,]")


def read_intervention_log(path: str | Path, graph: StandardsGraph | None = None) -> pd.DataFrame:
    """Read and check an intervention log CSV.

    Parameters
    ----------
    path : str or Path
    graph : StandardsGraph, optional
        Standards must belong to it (default: the shipped K-8 + Algebra I graph).

    Returns
    -------
    DataFrame
        ``record_id`` (1-based line of the record in the file), ``student_id, intervention,
        standards`` (tuple of standard codes), ``start_date, end_date`` (date or None),
        ``minutes`` (Int64), ``provider``.

    Raises
    ------
    NotFound
        The file does not exist.
    InvalidData
        Every problem with file, line and field.
    """
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"intervention log not found: {path}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidData([Problem(str(path), None, None, f"not a readable CSV: {exc}")]) from None
    return intervention_log_from_frame(raw, graph, source=str(path))


def intervention_log_from_frame(raw: pd.DataFrame, graph: StandardsGraph | None = None,
                                source: str = "<log>") -> pd.DataFrame:
    """Check an intervention log given as a table of strings (see :func:`read_intervention_log`)."""
    graph = graph or load_default().k8_algebra1()
    missing = [c for c in LOG_COLUMNS if c not in raw.columns]
    if missing:
        raise InvalidData([Problem(source, 1, c, "required column is missing") for c in missing])
    problems: list[Problem] = []
    rows: list[dict[str, Any]] = []
    for i, rec in enumerate(raw.loc[:, list(LOG_COLUMNS)].itertuples(index=False)):
        line = i + 2
        sid, name, stds, s_raw, e_raw, mins, prov = (str(v).strip() for v in rec)
        bad = False
        if not sid:
            problems.append(Problem(source, line, "student_id", "empty"))
            bad = True
        if not name:
            problems.append(Problem(source, line, "intervention", "empty"))
            bad = True
        codes = [c.strip() for c in _SPLIT.split(stds) if c.strip()]
        if not codes:
            problems.append(Problem(source, line, "standards", "no standard listed"))
            bad = True
        for c in codes:
            if c not in graph:
                problems.append(Problem(source, line, "standards", f"unknown standard {c!r}"))
                bad = True
        try:
            start = date.fromisoformat(s_raw)
        except ValueError:
            problems.append(Problem(source, line, "start_date",
                                    f"not a date (YYYY-MM-DD): {s_raw!r}"))
            start, bad = None, True
        end = None
        if e_raw:
            try:
                end = date.fromisoformat(e_raw)
            except ValueError:
                problems.append(Problem(source, line, "end_date",
                                        f"not a date (YYYY-MM-DD): {e_raw!r}"))
                bad = True
            if end is not None and start is not None and end < start:
                problems.append(Problem(source, line, "end_date", "ends before it starts"))
                bad = True
        minutes: Any = pd.NA
        if mins:
            if not mins.isdigit():
                problems.append(Problem(source, line, "minutes",
                                        f"not a whole number of minutes: {mins!r}"))
                bad = True
            else:
                minutes = int(mins)
        if bad:
            continue
        rolled = tuple(dict.fromkeys(graph.rollup(c) for c in codes))
        rows.append({"record_id": line, "student_id": sid, "intervention": name,
                     "standards": rolled, "start_date": start, "end_date": end,
                     "minutes": minutes, "provider": prov})
    if problems:
        raise InvalidData(problems)
    out = pd.DataFrame(rows, columns=["record_id", *LOG_COLUMNS])
    out["minutes"] = out["minutes"].astype("Int64")
    return out


# ============================================================================ estimators


def bkt_estimator(responses: pd.DataFrame, *, prior: float = 0.3, learn: float = 0.1,
                  guess: float = 0.2, slip: float = 0.1) -> pd.DataFrame:
    """P(mastered) after each student x standard sequence: a BKT forward pass.

    Parameters
    ----------
    responses : DataFrame
        ``student_id, standard, correct, timestamp``.
    prior, learn, guess, slip : float
        BKT parameters (textbook defaults; fitted ones can be bound with functools.partial).

    Returns
    -------
    DataFrame
        ``student_id, standard, p_mastered, n_evidence`` for every pair with answers.
    """
    if not len(responses):
        return pd.DataFrame({"student_id": [], "standard": [], "p_mastered": [],
                             "n_evidence": []})
    df = pd.DataFrame({"student_id": responses["student_id"].to_numpy(),
                       "standard": responses["standard"].to_numpy(),
                       "correct": pd.to_numeric(responses["correct"]).to_numpy() > 0,
                       "ts": responses["timestamp"].to_numpy()})
    df = df.sort_values(["student_id", "standard", "ts"], kind="stable")
    key = df.groupby(["student_id", "standard"], sort=False).ngroup().to_numpy()
    pos = df.groupby(key).cumcount().to_numpy()
    n_groups = int(key.max()) + 1
    p = np.full(n_groups, prior, dtype=np.float64)
    cor = df["correct"].to_numpy()
    for k in range(int(pos.max()) + 1):
        sel = pos == k
        g = key[sel]
        c = cor[sel]
        pk = p[g]
        if k > 0:
            pk = pk + (1 - pk) * learn
        like1 = np.where(c, 1 - slip, slip)
        like0 = np.where(c, guess, 1 - guess)
        p[g] = pk * like1 / (pk * like1 + (1 - pk) * like0)
    first = df.drop_duplicates(["student_id", "standard"])
    counts = np.bincount(key, minlength=n_groups)
    return pd.DataFrame({"student_id": first["student_id"].to_numpy(),
                         "standard": first["standard"].to_numpy(),
                         "p_mastered": p, "n_evidence": counts})


# ============================================================================ progress


@dataclass
class ProgressReport:
    """Progress on each intervention record.

    Attributes
    ----------
    detail : DataFrame
        One row per record x targeted standard: ``record_id, student_id, intervention,
        standard, p_before, p_after, change, n_before, n_after``.
    records : DataFrame
        The log with ``n_answers_since_start, mean_p_before, mean_p_after, mean_change``
        (over standards with an estimate in both windows), ``status``.
    """

    detail: pd.DataFrame
    records: pd.DataFrame

    def by_intervention(self) -> pd.DataFrame:
        """Per intervention: records, students, total minutes, mean change."""
        r = self.records
        return (r.groupby("intervention", sort=True)
                .agg(n_records=("record_id", "size"), n_students=("student_id", "nunique"),
                     minutes=("minutes", "sum"), mean_change=("mean_change", "mean"))
                .reset_index())

    def to_dict(self) -> dict[str, Any]:
        def clean(df: pd.DataFrame) -> list[dict[str, Any]]:
            out = []
            for rec in df.to_dict(orient="records"):
                row = {}
                for k, v in rec.items():
                    if isinstance(v, tuple):
                        v = list(v)
                    elif isinstance(v, date):
                        v = v.isoformat()
                    elif not isinstance(v, list) and pd.isna(v):
                        v = None
                    elif isinstance(v, np.generic):
                        v = v.item()
                    row[k] = v
                out.append(row)
            return out

        return {"records": clean(self.records), "detail": clean(self.detail),
                "by_intervention": clean(self.by_intervention())}


def progress_monitoring(
    log: pd.DataFrame,
    responses: pd.DataFrame,
    *,
    model: Any = None,
    grades: Mapping[Any, int] | None = None,
    estimator: Estimator | None = None,
    graph: StandardsGraph | None = None,
    as_of: date | str | None = None,
) -> ProgressReport:
    """Mastery change on each record's targeted standards since the intervention started.

    Parameters
    ----------
    log : DataFrame
        From :func:`read_intervention_log` (or a stored log).
    responses : DataFrame
        ``student_id, standard, correct, timestamp``: all the district's answers (the model
        is fitted on them when ``model`` is not given).
    model : GraphMastery, optional
        A fitted graph-aware model (the one the mastery stage fitted); default: fitted here.
    grades : mapping, optional
        Student -> grade the model measures them against (9 = Algebra I); default: the grade
        most of their answers are on.
    estimator : callable, optional
        Instead of the graph-aware model: ``responses -> DataFrame(student_id, standard,
        p_mastered)`` on the targeted standards' answers only (e.g. :func:`bkt_estimator`).
    graph : StandardsGraph, optional
        Default: the shipped K-8 + Algebra I graph (from a store: ``store.progression()
        .k8_algebra1()``).
    as_of : date, optional
        End of the "after" window for ongoing records (default: the latest answer).

    Returns
    -------
    ProgressReport
    """
    graph = graph or load_default().k8_algebra1()
    miss = [c for c in RESPONSE_COLUMNS if c not in responses.columns]
    if miss:
        raise InvalidData([Problem("responses", None, c, "required column is missing")
                           for c in miss])
    need = {"record_id", "student_id", "standards", "start_date", "end_date"}
    if not need <= set(log.columns):
        raise InvalidInput("log must come from read_intervention_log (missing "
                           f"{', '.join(sorted(need - set(log.columns)))})")
    ts = _timestamps(responses["timestamp"])
    resp = pd.DataFrame({"student_id": responses["student_id"].astype(str).to_numpy(),
                         "standard": responses["standard"].astype(str).to_numpy(),
                         "correct": responses["correct"].to_numpy(), "timestamp": ts})
    std_u = resp["standard"].unique()
    roll = {c: (graph.rollup(c) if c in graph else c) for c in std_u}
    resp["standard"] = resp["standard"].map(roll)
    resp = resp[resp["standard"].map(lambda c: c in graph).to_numpy()]
    day = to_date(as_of) or (ts.max().date() if len(ts) and pd.notna(ts.max())
                             else date.today())
    targets = log.loc[:, ["record_id", "student_id", "standards", "start_date", "end_date"]]
    targets = targets.assign(student_id=targets["student_id"].astype(str))
    pairs = targets.explode("standards").rename(columns={"standards": "standard"})
    scope = resp if estimator is not None else resp[resp["student_id"].isin(
        set(targets["student_id"]))]
    keys = ["student_id", "standard"] if estimator is not None else ["student_id"]
    joined = scope.merge(pairs if estimator is not None else targets.drop(columns="standards"),
                         on=keys, how="inner")
    start = pd.to_datetime(joined["start_date"])
    end = pd.to_datetime(joined["end_date"].map(lambda d: d or day)) + timedelta(days=1)
    before = joined[joined["timestamp"] < start]
    upto = joined[joined["timestamp"] < end]
    if estimator is not None:
        b, a = _custom(estimator, before), _custom(estimator, upto)
    else:
        b, a = _graph_windows(before, upto, pairs, targets, resp, model, grades, graph)
    b = b.rename(columns={"p_mastered": "p_before"})
    a = a.rename(columns={"p_mastered": "p_after"})
    count = pairs.loc[:, ["record_id", "standard"]]

    def n_on_target(part: pd.DataFrame, name: str) -> pd.DataFrame:
        hit = part.merge(count, on=["record_id", "standard"])
        return hit.groupby(["record_id", "standard"]).size().rename(name).reset_index()

    detail = (pairs.loc[:, ["record_id", "student_id", "standard"]]
              .merge(b, on=["record_id", "standard"], how="left")
              .merge(a, on=["record_id", "standard"], how="left")
              .merge(n_on_target(before, "n_before"), on=["record_id", "standard"], how="left")
              .merge(n_on_target(upto, "n_after"), on=["record_id", "standard"], how="left"))
    detail = detail.merge(log.loc[:, ["record_id", "intervention"]], on="record_id")
    detail["n_before"] = detail["n_before"].fillna(0).astype(np.int64)
    detail["n_after"] = detail["n_after"].fillna(0).astype(np.int64)
    detail["change"] = detail["p_after"] - detail["p_before"]
    detail = detail.loc[:, ["record_id", "student_id", "intervention", "standard", "p_before",
                            "p_after", "change", "n_before", "n_after"]]
    since = n_on_target(joined[(joined["timestamp"] >= start) & (joined["timestamp"] < end)],
                        "n").groupby("record_id")["n"].sum()
    agg = detail.groupby("record_id").agg(mean_p_before=("p_before", "mean"),
                                          mean_p_after=("p_after", "mean"))
    both = detail.dropna(subset=["change"]).groupby("record_id")["change"].mean()
    records = log.copy()
    records["n_answers_since_start"] = records["record_id"].map(since).fillna(0).astype(
        np.int64)
    records["mean_p_before"] = records["record_id"].map(agg["mean_p_before"])
    records["mean_p_after"] = records["record_id"].map(agg["mean_p_after"])
    records["mean_change"] = records["record_id"].map(both)
    records["status"] = [_status(n, c) for n, c in zip(records["n_answers_since_start"],
                                                       records["mean_change"], strict=True)]
    return ProgressReport(detail.reset_index(drop=True), records.reset_index(drop=True))


def _custom(estimator: Estimator, part: pd.DataFrame) -> pd.DataFrame:
    """A pluggable estimator on one window (records relabelled as students)."""
    frame = part.assign(student_id=part["record_id"]).loc[:, list(RESPONSE_COLUMNS)]
    est = estimator(frame)
    if not {"student_id", "standard", "p_mastered"} <= set(est.columns):
        raise InvalidInput("the estimator must return student_id, standard, p_mastered")
    return (est.loc[:, ["student_id", "standard", "p_mastered"]]
            .rename(columns={"student_id": "record_id"}))


def _graph_windows(before: pd.DataFrame, upto: pd.DataFrame, pairs: pd.DataFrame,
                   targets: pd.DataFrame, resp: pd.DataFrame, model: Any,
                   grades: Mapping[Any, int] | None, graph: StandardsGraph
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Graph-aware posteriors of the targeted standards from each record's two windows."""
    from sounding.mastery.graph_model import GraphMastery

    def frame(part: pd.DataFrame, key: str) -> pd.DataFrame:
        return pd.DataFrame({"user_id": part[key].astype(str).to_numpy(),
                             "skill_name": part["standard"].to_numpy(),
                             "correct": pd.to_numeric(part["correct"]).astype(int).to_numpy(),
                             "order_id": part["timestamp"].to_numpy()})

    g = None if grades is None else {str(k): int(v) for k, v in grades.items()}
    if model is None:
        model = GraphMastery(graph).fit(frame(resp, "student_id"), grades=g)
    rec_grade = None
    if g is not None:
        rec_grade = {str(r): g[s] for r, s in zip(targets["record_id"], targets["student_id"],
                                                  strict=True) if s in g}
    want = pairs.loc[:, ["record_id", "standard"]].assign(record_id=lambda d: d["record_id"])
    want_keys = set(zip(want["record_id"].astype(str), want["standard"], strict=True))
    rid_of = {str(r): r for r in targets["record_id"]}

    def post(part: pd.DataFrame) -> pd.DataFrame:
        if part.empty:
            return pd.DataFrame({"record_id": [], "standard": [], "p_mastered": []})
        fr = frame(part, "record_id")
        gr = None if rec_grade is None else {k: v for k, v in rec_grade.items()
                                             if k in set(fr["user_id"])}
        out = model.posterior(fr, grades=gr)
        out = out[[(u, s) in want_keys for u, s in zip(out["user_id"].astype(str),
                                                       out["standard"].astype(str),
                                                       strict=True)]]
        return pd.DataFrame({"record_id": out["user_id"].astype(str).map(rid_of).to_numpy(),
                             "standard": out["standard"].astype(str).to_numpy(),
                             "p_mastered": out["p_mastered"].to_numpy(dtype=np.float64)})

    return post(before), post(upto)


def _status(n_since: int, change: float) -> str:
    """A plain reading of one record's numbers."""
    if n_since == 0:
        return "no evidence since the start: assess the targeted standards"
    if pd.isna(change):
        return "no baseline before the start: change cannot be measured"
    if change >= 0.2:
        return "improving"
    if change > -0.05:
        return "little change: review the intervention's fit or intensity"
    return "declining: review the intervention"
