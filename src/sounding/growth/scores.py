"""Reading and validating scale-score tables (the input of every growth computation).

Districts hand over scores in two shapes: our long format (``student_id, year, grade, subject,
scale_score``) and the SGP package's (``ID, YEAR, GRADE, CONTENT_AREA, SCALE_SCORE``, years like
``"2023_2024"``). Both are checked here, once, at the boundary: every problem is reported with
its file, line and field (the header is line 1, the first data row line 2), and nothing is
computed from a table that has any. Growth code downstream can then trust the dtypes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from sounding.errors import InvalidScores, Problem

__all__ = ["SCORE_COLUMNS", "read_scores", "validate_scores", "wide_to_long", "parse_year"]

#: Canonical columns of a validated score table, in order.
SCORE_COLUMNS = ("student_id", "subject", "year", "grade", "scale_score")

_ALIASES = {
    "student_id": "student_id",
    "id": "student_id",
    "year": "year",
    "grade": "grade",
    "subject": "subject",
    "content_area": "subject",
    "scale_score": "scale_score",
}
_REQUIRED = ("student_id", "year", "grade", "scale_score")
_MAX_PROBLEMS = 1000
_YEAR_RE = re.compile(r"^\s*(\d{4})(?:\s*[_\-/]\s*(\d{2}|\d{4}))?\s*$")


def parse_year(value: object) -> int | None:
    """Spring year of a school year: ``2024``, ``"2024"``, ``"2023_2024"``, ``"2023-24"``.

    Returns None when the value is not a year (the caller reports it).
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(value) if float(value).is_integer() else None
    m = _YEAR_RE.match(str(value))
    if not m:
        return None
    first, second = m.group(1), m.group(2)
    if second is None:
        return int(first)
    if len(second) == 2:
        return int(first[:2] + second) if int(second) != 0 else int(first) + 1
    return int(second)


def _parse_grade(value: object) -> int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().upper()
    if text in ("K", "KG", "00"):
        return 0
    try:
        num = float(text)
    except ValueError:
        return None
    return int(num) if num.is_integer() and 0 <= num <= 13 else None


def _map_unique(col: pd.Series, fn) -> pd.Series:
    """``col.map(fn)`` evaluated once per distinct value (years and grades repeat a lot)."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    parsed = np.array([fn(u) for u in uniques] + [None], dtype=object)
    return pd.Series(parsed[codes], index=col.index)


def validate_scores(df: pd.DataFrame, source: str = "<scores>") -> pd.DataFrame:
    """Check a score table and return it in canonical form.

    Parameters
    ----------
    df : pandas.DataFrame
        Long scores in our columns or the SGP package's (case-insensitive). ``subject`` /
        ``CONTENT_AREA`` is optional (default ``"math"``). A ``VALID_CASE`` column, as in SGP
        package data, keeps only ``VALID_CASE`` rows. Rows whose score is missing (blank / NA)
        are absences and are dropped; a score that is present but not a number is an error.
    source : str
        File name used in problems.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SCORE_COLUMNS`: student_id (str), subject (str), year (int, spring),
        grade (int, K = 0), scale_score (float); original row order, index reset.

    Raises
    ------
    sounding.errors.InvalidScores
        Missing columns, unreadable years or grades, non-numeric scores, blank student ids, or
        more than one score for the same student, year and subject; every problem names the
        file, line and field.
    """
    rename: dict[str, str] = {}
    for col in df.columns:
        key = _ALIASES.get(str(col).strip().lower())
        if key and key not in rename.values():
            rename[col] = key
    data = df.rename(columns=rename)
    missing = [c for c in _REQUIRED if c not in data.columns]
    if missing:
        raise InvalidScores([
            Problem(source, 1, c, f"missing column '{c}' (or its SGP name "
                    f"{ {'student_id': 'ID'}.get(c, c.upper())})")
            for c in missing
        ])
    line = pd.Series(np.arange(len(data)) + 2, index=data.index)
    if "valid_case" in {str(c).lower() for c in data.columns}:
        vc = next(c for c in data.columns if str(c).lower() == "valid_case")
        keep = data[vc].astype(str).str.upper().eq("VALID_CASE")
        data, line = data[keep], line[keep]
    problems: list[Problem] = []

    def add(mask: pd.Series, field: str, message) -> None:
        for idx in mask[mask].index[: _MAX_PROBLEMS - len(problems)]:
            problems.append(Problem(source, int(line[idx]), field, message(idx)))

    sid = data["student_id"]
    sid_txt = sid.astype("string").str.strip()
    add(sid.isna() | sid_txt.eq("").fillna(True), "student_id", lambda i: "student_id is blank")

    raw_score = data["scale_score"]
    score = pd.to_numeric(raw_score, errors="coerce")
    blank = raw_score.isna() | raw_score.astype("string").str.strip().eq("").fillna(True)
    add(score.isna() & ~blank, "scale_score",
        lambda i: f"scale_score {raw_score[i]!r} is not a number")
    add(np.isinf(score), "scale_score", lambda i: "scale_score is infinite")

    years = _map_unique(data["year"], parse_year)
    add(years.isna(), "year", lambda i: f"year {data['year'][i]!r} is not a year "
        "(use 2024 or 2023_2024)")
    grades = _map_unique(data["grade"], _parse_grade)
    add(grades.isna(), "grade", lambda i: f"grade {data['grade'][i]!r} is not a grade K-13")

    subject = (data["subject"].astype("string").str.strip() if "subject" in data.columns
               else pd.Series("math", index=data.index, dtype="string"))
    add(subject.isna() | subject.eq("").fillna(True), "subject", lambda i: "subject is blank")

    out = pd.DataFrame({
        "student_id": sid_txt,
        "subject": subject,
        "year": years,
        "grade": grades,
        "scale_score": score,
    })
    present = ~blank
    dup = out[present].duplicated(["student_id", "year", "subject"], keep=False)
    if dup.any():
        first_line: dict[tuple, int] = {}
        for idx in dup[dup].index:
            key = (out.at[idx, "student_id"], out.at[idx, "year"], out.at[idx, "subject"])
            if key in first_line:
                if len(problems) < _MAX_PROBLEMS:
                    problems.append(Problem(
                        source, int(line[idx]), "student_id",
                        f"second score for student {key[0]} in {key[1]} {key[2]} "
                        f"(first at line {first_line[key]})"))
            else:
                first_line[key] = int(line[idx])
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.field or ""))
        raise InvalidScores(problems)
    out = out[present].reset_index(drop=True)
    return out.astype({"student_id": str, "subject": str, "year": "int64", "grade": "int64",
                       "scale_score": "float64"})


def read_scores(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet score file and validate it (:func:`validate_scores`).

    CSV is read as text so that student ids keep their leading zeros and bad cells can be
    reported verbatim.
    """
    path = Path(path)
    if not path.exists():
        from sounding.errors import NotFound

        raise NotFound(f"score file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        df = pd.read_parquet(path)
    elif suffix in (".csv", ".txt", ".gz"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=["", "NA", "NaN"])
    else:
        raise InvalidScores([Problem(str(path), None, None,
                                     "unknown file type (use .csv or .parquet)")])
    return validate_scores(df, source=path.name)


def wide_to_long(df: pd.DataFrame, *, id_col: str = "ID", prefix: str = "SS_G",
                 subject: str = "math", last_year: int | None = None) -> pd.DataFrame:
    """The golden file's wide layout (``ID, SS_G6, SS_G7, SS_G8``) as validated long scores.

    One cohort moving one grade a year: grade ``g`` is given year ``last_year - (G - g)`` where
    ``G`` is the highest grade column (``last_year`` defaults to 2000 + G), so grade progressions
    line up with consecutive years.
    """
    cols = [c for c in df.columns if str(c).startswith(prefix)]
    if id_col not in df.columns or not cols:
        raise InvalidScores([Problem("<wide scores>", 1, id_col if id_col not in df.columns
                                     else prefix + "*", "missing id or score columns")])
    grades = {c: int(str(c)[len(prefix):]) for c in cols}
    top = max(grades.values())
    last = 2000 + top if last_year is None else last_year
    long = df.melt(id_vars=[id_col], value_vars=cols, var_name="col", value_name="scale_score")
    long["grade"] = long["col"].map(grades)
    long["year"] = last - (top - long["grade"])
    long["subject"] = subject
    long = long.rename(columns={id_col: "student_id"}).drop(columns="col")
    long = long[long["scale_score"].notna()]
    return validate_scores(long[["student_id", "subject", "year", "grade", "scale_score"]],
                           source="<wide scores>")
