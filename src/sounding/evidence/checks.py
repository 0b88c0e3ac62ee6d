"""Vectorised checks for evidence tables: item responses and annual scale scores.

Each check looks at a whole column at once (pandas/pyarrow), so a 2-million-row file is
validated in about a second; only the first few offending rows of each kind are turned into
:class:`~sounding.errors.Problem`\\s with their line numbers, plus a count of the rest,
because a systematic error (a wrong column, an unimported roster) would otherwise produce
millions of identical messages.

    clean = check_responses(df, graph=load_default(), student_ids=store.student_ids())
    clean = check_scores(df, student_ids=..., score_range=(100, 900))
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sounding.errors import InvalidEvidence, InvalidScores
from sounding.roster.records import Problems

RESPONSE_COLUMNS = ("student_id", "item_id", "standard", "correct", "timestamp", "source")
RESPONSE_REQUIRED = ("student_id", "item_id", "standard", "correct", "timestamp")
RESPONSE_KEY = ("student_id", "item_id", "timestamp", "source")
SCORE_COLUMNS = ("student_id", "year", "grade", "subject", "scale_score", "achievement_level")
SCORE_REQUIRED = ("student_id", "year", "grade", "subject", "scale_score")
SCORE_KEY = ("student_id", "year", "subject")

#: Offending rows listed per kind of problem; the rest are counted.
ROWS_PER_PROBLEM = 20

LineMap = Callable[[np.ndarray], np.ndarray]


def data_rows(positions: np.ndarray) -> np.ndarray:
    """Line numbers of row positions in a plain CSV: the header is line 1."""
    return np.asarray(positions) + 2


@dataclass(frozen=True)
class Limits:
    """Plausible ranges for scale-score files (inclusive)."""

    score: tuple[float, float] = (0.0, 1000.0)
    grade: tuple[int, int] = (0, 12)
    year: tuple[int, int] = (1990, 2100)
    #: Numbered achievement levels (Colorado's CMAS has 5; most states 4).
    level: tuple[int, int] = (1, 5)


#: Named achievement levels allowed per subject in one file.
MAX_LEVEL_NAMES = 6
#: Clock skew tolerated on response timestamps.
FUTURE_GRACE = pd.Timedelta(days=1)


def report_rows(problems: Problems, file: str, lines: LineMap, bad: np.ndarray | pd.Series,
                field: str, message: Callable[[object], str],
                values: pd.Series | Callable[[], pd.Series],
                limit: int = ROWS_PER_PROBLEM) -> int:
    """Add a problem for each of the first ``limit`` rows flagged in ``bad``; return how
    many rows were flagged. ``message(value)`` words the problem for one offending value;
    ``values`` may be a callable so costly text is only made when a row is flagged."""
    mask = np.asarray(bad, dtype=bool)
    pos = np.flatnonzero(mask)
    if len(pos) == 0:
        return 0
    if callable(values):
        values = values()
    shown = pos[:limit]
    line_numbers = lines(shown)
    vals = values.iloc[shown].tolist()
    for ln, v in zip(line_numbers, vals, strict=True):
        problems.add(file, int(ln), field, message(v))
    if len(pos) > limit:
        problems.add(file, int(lines(pos[-1:])[0]), field,
                     f"... {len(pos) - limit} more row(s) with the same problem "
                     f"({len(pos)} in all)")
    return len(pos)


def _text(s: pd.Series) -> pd.Series:
    """A column as strings, missing values as "" (Parquet may hold numbers or nulls)."""
    # object columns count as "string dtype" to pandas but may hold ints (a frame built in
    # Python, a Parquet column of mixed types): only a real string dtype passes through
    if s.dtype != object and pd.api.types.is_string_dtype(s.dtype) and not s.hasnans:
        return s
    out = s.astype(object).where(s.notna(), "")
    return out.map(lambda v: v if isinstance(v, str) else _num_text(v)).astype("str")


def _num_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def check_columns(df: pd.DataFrame, file: str, required: Iterable[str],
                  allowed: Iterable[str], problems: Problems) -> set[str]:
    """Missing and unknown columns (line 1); returns the required columns that are missing."""
    cols = [str(c) for c in df.columns]
    allowed_set = set(allowed)
    for i, c in enumerate(cols):
        if c not in allowed_set:
            problems.add(file, 1, c or f"column {i + 1}",
                         f"unknown column {c!r} (expected {', '.join(allowed)})")
    missing = [c for c in required if c not in cols]
    for c in missing:
        problems.add(file, 1, c, f"missing required column {c!r}")
    return set(missing)


def _empty(s: pd.Series) -> np.ndarray:
    return (s == "").to_numpy(dtype=bool)


def _parse_timestamps(s: pd.Series) -> pd.Series:
    """ISO 8601 text (or datetimes) -> naive datetime64; offsets converted to UTC; bad -> NaT."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        ts = s
    else:
        ts = pd.to_datetime(_text(s).replace("", None), format="ISO8601", errors="coerce",
                            utc=True)
    if getattr(ts.dtype, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return ts.astype("datetime64[us]")


def _report_duplicates(frame: pd.DataFrame, key: tuple[str, ...], file: str, lines: LineMap,
                       problems: Problems) -> None:
    """Rows repeating an earlier row's key with other values (the store keeps one row per
    key, so which one is right is the district's call). ``frame``'s index is row positions."""
    keys = frame[list(key)]
    dup = keys.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    positions = frame.index.to_numpy()
    group = keys.groupby(list(key), sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(positions).groupby(group).transform("min").to_numpy()
    at = np.flatnonzero(dup)
    shown = at[:ROWS_PER_PROBLEM]
    for i, ln, first_ln in zip(shown, lines(positions[shown]), lines(first[shown]),
                               strict=True):
        values = " / ".join(str(v) for v in keys.iloc[int(i)].tolist())
        problems.add(file, int(ln), key[0], f"same {' / '.join(key)} as line {int(first_ln)} "
                                            f"({values}) but different values")
    if len(at) > ROWS_PER_PROBLEM:
        problems.add(file, int(lines(positions[at[-1:]])[0]), key[0],
                     f"... {len(at) - ROWS_PER_PROBLEM} more repeated key(s) ({len(at)} in all)")


def _drop_repeats(frame: pd.DataFrame, key: tuple[str, ...], file: str, lines: LineMap,
                  problems: Problems, notes: list[str] | None) -> pd.DataFrame:
    """Drop rows identical to an earlier row (noted: an export glitch that loses nothing);
    report rows that repeat a key with different values (a real conflict)."""
    same = frame.duplicated(keep="first").to_numpy()
    if same.any():
        if notes is not None:
            notes.append(f"{int(same.sum())} row(s) repeated an earlier row exactly and were "
                         "ignored")
        frame = frame[~same]
    _report_duplicates(frame, key, file, lines, problems)
    return frame


def _responses(df: pd.DataFrame, file: str, lines: LineMap, problems: Problems, *,
               standards: Container[str] | None, student_ids: Container[str] | None,
               notes: list[str] | None = None) -> pd.DataFrame | None:
    missing = check_columns(df, file, RESPONSE_REQUIRED, RESPONSE_COLUMNS, problems)
    df = df.reset_index(drop=True)
    out = _text_columns(df, ("student_id", "item_id", "standard"), missing, file, lines,
                        problems, student_ids)
    if "standard" in out and standards is not None:
        s = out["standard"]
        uniq = [u for u in pd.unique(s) if u != "" and u not in standards]
        if uniq:
            report_rows(problems, file, lines, s.isin(uniq).to_numpy(), "standard",
                        lambda v: f"unknown standard {v!r} (not in the progression)", s)
    if "correct" not in missing:
        c = df["correct"]
        if pd.api.types.is_bool_dtype(c.dtype):
            good = c.notna().to_numpy()
            val = c.fillna(False).astype("int8")
        elif pd.api.types.is_numeric_dtype(c.dtype):
            good = c.isin([0, 1]).to_numpy()
            val = c.where(good, 0).astype("int8")
        else:
            t = _text(c)
            good = t.isin(["0", "1"]).to_numpy()
            val = pd.Series(np.where(t.to_numpy(dtype=object) == "1", 1, 0).astype("int8"))
        report_rows(problems, file, lines, ~good, "correct",
                    lambda v: f"correct must be 0 or 1, not {v!r}", _text(c))
        out["correct"] = val
    if "timestamp" not in missing:
        raw = df["timestamp"]
        ts = _parse_timestamps(raw)
        bad = ts.isna().to_numpy()
        report_rows(problems, file, lines, bad, "timestamp",
                    lambda v: "required value is empty" if v == "" else
                    f"{v!r} is not an ISO 8601 timestamp (e.g. 2025-09-03T10:15:00)",
                    lambda: _text(raw) if not pd.api.types.is_datetime64_any_dtype(raw.dtype)
                    else raw.astype(str))
        years = ts.dt.year
        implausible = (~bad) & ~years.between(*Limits().year).to_numpy()
        report_rows(problems, file, lines, implausible, "timestamp",
                    lambda v: f"{v} is outside the plausible years {Limits().year[0]}-"
                              f"{Limits().year[1]}", lambda: ts.astype(str))
        # An answer from the future is a clock or export error, and one such row would move
        # every "how recent is the evidence" judgement (stale classes) with it.
        latest = pd.Timestamp.now(tz="UTC").tz_localize(None) + FUTURE_GRACE
        future = (~bad) & (~implausible) & (ts > latest).to_numpy()
        report_rows(problems, file, lines, future, "timestamp",
                    lambda v: f"{v} is in the future (after {latest:%Y-%m-%d %H:%M} UTC)",
                    lambda: ts.astype(str))
        out["timestamp"] = ts
    out["source"] = _text(df["source"]) if "source" in df.columns else pd.Series(
        "", index=df.index, dtype="str")
    frame = pd.DataFrame({k: out[k] for k in RESPONSE_COLUMNS if k in out})
    if all(k in out for k in RESPONSE_KEY):
        frame = _drop_repeats(frame, RESPONSE_KEY, file, lines, problems, notes)
    if problems or missing:
        return None
    return frame.reset_index(drop=True)


def _int_column(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(integer values, ok mask) of a column of ints, whole floats or digit strings."""
    if pd.api.types.is_integer_dtype(s.dtype) and not s.hasnans:
        return s.astype("int64"), np.ones(len(s), dtype=bool)
    num = pd.to_numeric(_text(s).str.strip(), errors="coerce") \
        if not pd.api.types.is_numeric_dtype(s.dtype) else s.astype("float64")
    ok = (num.notna() & np.isfinite(num.astype("float64")) & (num == num.round())).to_numpy()
    return num.where(ok, 0).astype("int64"), ok


def _scores(df: pd.DataFrame, file: str, lines: LineMap, problems: Problems, *,
            student_ids: Container[str] | None, limits: Limits,
            notes: list[str] | None = None) -> pd.DataFrame | None:
    missing = check_columns(df, file, SCORE_REQUIRED, SCORE_COLUMNS, problems)
    df = df.reset_index(drop=True)
    out = _text_columns(df, ("student_id", "subject"), missing, file, lines, problems,
                        student_ids)
    for col, (lo, hi) in (("year", limits.year), ("grade", limits.grade)):
        if col in missing:
            continue
        raw = df[col]
        if col == "grade" and not pd.api.types.is_numeric_dtype(raw.dtype):
            raw = _text(raw).replace({"K": "0", "KG": "0"})
        val, ok = _int_column(raw)
        txt = _text(df[col])
        report_rows(problems, file, lines, ~ok, col,
                    lambda v, c=col: "required value is empty" if v == "" else
                    f"{c} must be a whole number, not {v!r}", txt)
        out_of_range = ok & ~val.between(lo, hi).to_numpy()
        report_rows(problems, file, lines, out_of_range, col,
                    lambda v, c=col, lo=lo, hi=hi: f"{c} {v} is outside {lo}..{hi}", txt)
        out[col] = val
    if "scale_score" not in missing:
        raw = df["scale_score"]
        num = raw.astype("float64") if pd.api.types.is_numeric_dtype(raw.dtype) else \
            pd.to_numeric(_text(raw).str.strip(), errors="coerce")
        ok = (num.notna() & np.isfinite(num.fillna(0).astype("float64"))).to_numpy()
        txt = _text(raw)
        report_rows(problems, file, lines, ~ok, "scale_score",
                    lambda v: "required value is empty" if v == "" else
                    f"scale_score must be a number, not {v!r}", txt)
        lo, hi = limits.score
        report_rows(problems, file, lines, ok & ~num.between(lo, hi).to_numpy(), "scale_score",
                    lambda v: f"scale_score {v} is outside the plausible range {lo:g}..{hi:g}",
                    txt)
        out["scale_score"] = num.where(ok, 0.0).astype("float64")
    if "achievement_level" in df.columns:
        lvl = _text(df["achievement_level"]).str.strip()
        _check_levels(lvl, out.get("subject"), file, lines, problems, limits)
        out["achievement_level"] = lvl.astype(object).where(lvl != "", None)
    else:
        out["achievement_level"] = pd.Series(None, index=df.index, dtype=object)
    frame = pd.DataFrame({k: out[k] for k in SCORE_COLUMNS if k in out})
    if all(k in out for k in SCORE_KEY):
        frame = _drop_repeats(frame, SCORE_KEY, file, lines, problems, notes)
    if problems or missing:
        return None
    return frame.reset_index(drop=True)


def _check_levels(lvl: pd.Series, subject: pd.Series | None, file: str, lines: LineMap,
                  problems: Problems, limits: Limits) -> None:
    """Achievement levels are numbered (1..limits.level[1]) or named; either way a state
    reports a handful per subject, so more distinct names than that is a shifted column."""
    numeric = pd.to_numeric(lvl.where(lvl != ""), errors="coerce")
    is_num = numeric.notna().to_numpy()
    lo, hi = limits.level
    bad_num = is_num & ~(numeric.between(lo, hi) & (numeric == numeric.round())).to_numpy()
    report_rows(problems, file, lines, bad_num, "achievement_level",
                lambda v: f"achievement level {v} is not a whole number in {lo}..{hi}", lvl)
    named = (~is_num) & (lvl != "").to_numpy()
    if not named.any():
        return
    subj = subject if subject is not None else pd.Series("", index=lvl.index)
    for _, idx in pd.Series(np.flatnonzero(named)).groupby(
            subj.to_numpy()[named], sort=False):
        names = pd.unique(lvl.to_numpy()[idx.to_numpy()])
        if len(names) > MAX_LEVEL_NAMES:
            # flag the rows whose name is rarest: most likely the shifted ones
            counts = lvl.iloc[idx.to_numpy()].value_counts()
            rare = set(counts.index[MAX_LEVEL_NAMES:])
            mask = np.zeros(len(lvl), dtype=bool)
            mask[idx.to_numpy()] = lvl.iloc[idx.to_numpy()].isin(rare).to_numpy()
            report_rows(problems, file, lines, mask, "achievement_level",
                        lambda v, n=len(names): f"{v!r} makes {n} different achievement "
                        f"levels for one subject (at most {MAX_LEVEL_NAMES} expected: "
                        "is a column shifted?)", lvl)


def check_responses(df: pd.DataFrame, *, graph: Container[str] | None = None,
                    student_ids: Container[str] | None = None, file: str = "responses",
                    lines: LineMap = data_rows) -> pd.DataFrame:
    """A typed copy of a responses table, or InvalidEvidence listing what is wrong.

    Columns out: student_id, item_id, standard (str), correct (int8 0/1), timestamp
    (naive datetime64; offsets converted to UTC), source (str, "" when absent).

    :param graph: anything supporting ``code in graph`` (a StandardsGraph); None skips the
        standards check.
    :param student_ids: known student ids; None skips the roster check.
    """
    problems = Problems()
    out = _responses(df, file, lines, problems, standards=graph, student_ids=student_ids)
    if out is None or problems:
        raise InvalidEvidence(problems.final())
    return out


def check_scores(df: pd.DataFrame, *, student_ids: Container[str] | None = None,
                 limits: Limits = Limits(), file: str = "scores",
                 lines: LineMap = data_rows) -> pd.DataFrame:
    """A typed copy of a scale-scores table, or InvalidScores listing what is wrong.

    Columns out: student_id, year, grade (int64), subject, scale_score (float64),
    achievement_level (str or None).
    """
    problems = Problems()
    out = _scores(df, file, lines, problems, student_ids=student_ids, limits=limits)
    if out is None or problems:
        raise InvalidScores(problems.final())
    return out


def _text_columns(df: pd.DataFrame, cols: tuple[str, ...], missing, file: str, lines,
                  problems, student_ids) -> dict[str, pd.Series]:
    """Required id/text columns: none empty, and every student known to the roster."""
    out: dict[str, pd.Series] = {}
    for col in cols:
        if col in missing:
            continue
        s = _text(df[col])
        report_rows(problems, file, lines, _empty(s), col, lambda v: "required value is empty",
                    s)
        out[col] = s
    if "student_id" in out and student_ids is not None:
        s = out["student_id"]
        uniq = [u for u in pd.unique(s) if u != "" and u not in student_ids]
        if uniq:
            report_rows(problems, file, lines, s.isin(uniq).to_numpy(), "student_id",
                        lambda v: f"unknown student {v!r} (not in the roster; import the "
                                  "roster first)", s)
    return out
