"""Response tables for knowledge tracing: validation at the boundary, then compact arrays.

A response table has the pyBKT columns ``user_id, skill_name, correct, order_id`` (optional
``problem_id``). Sounding's own evidence files say ``student_id, standard, timestamp, item_id``;
those names are accepted as aliases so the same table works everywhere.

:func:`validate_responses` rejects what would silently corrupt a fit (a missing column, a
correctness that is not 0/1, a missing order, a skill the model does not know) with
:class:`~sounding.errors.InvalidEvidence` listing every bad row, using file line numbers
(header = line 1, first data row = line 2). :func:`encode_responses` then turns the table into
the contiguous arrays the numba kernels need: answers sorted by (skill, student, order), with
sequence offsets. Codes are assigned from *sorted* unique values, so the arrays (and therefore
every fitted number) do not depend on the order of the input rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sounding.errors import InvalidEvidence, InvalidInput, Problem
from sounding.mastery import _bkt_kernels as _kern

REQUIRED_COLUMNS: tuple[str, ...] = ("user_id", "skill_name", "correct", "order_id")
"""Columns every response table must have (pyBKT names)."""

ALIASES: dict[str, str] = {
    "student_id": "user_id",
    "standard": "skill_name",
    "timestamp": "order_id",
    "item_id": "problem_id",
}
"""Sounding evidence column names accepted in place of the pyBKT ones."""

MAX_PROBLEMS = 1000
"""At most this many problems are listed in one error (a wholly wrong file would list all)."""

_DEFAULT_SOURCE = "<responses>"


@dataclass(frozen=True)
class EncodedResponses:
    """A validated response table as sorted contiguous arrays (what the kernels read).

    Attributes
    ----------
    skills, users : pandas.Index
        Sorted distinct skill names / user ids; codes index into them.
    order : ndarray of int64
        ``order[i]`` is the input row of sorted answer ``i``.
    correct : ndarray of int8
        Answers sorted by (skill, user, order_id).
    seq_ptr : ndarray of int64
        Sequence ``s`` (one user on one skill) is ``correct[seq_ptr[s]:seq_ptr[s + 1]]``.
    seq_skill, seq_user : ndarray of int64
        Skill and user code of each sequence.
    skill_seq_ptr : ndarray of int64
        Sequences of skill ``k`` are ``skill_seq_ptr[k]:skill_seq_ptr[k + 1]``.
    """

    skills: pd.Index
    users: pd.Index
    order: np.ndarray
    correct: np.ndarray
    seq_ptr: np.ndarray
    seq_skill: np.ndarray
    seq_user: np.ndarray
    skill_seq_ptr: np.ndarray

    @property
    def n_responses(self) -> int:
        return int(self.correct.shape[0])

    @property
    def n_sequences(self) -> int:
        return int(self.seq_ptr.shape[0] - 1)

    def skill_sizes(self) -> np.ndarray:
        """Number of answers per skill (the work each skill costs the EM)."""
        return np.diff(self.seq_ptr[self.skill_seq_ptr])


def _show(value: object) -> str:
    """A cell value as the user wrote it (numpy scalars shown as plain Python values)."""
    item = getattr(value, "item", None)
    return repr(item() if callable(item) else value)


class Where:
    """Where row ``r`` of a table came from: ``(file, line)``.

    A CSV's line is the row position + 2 (header = line 1). A table read from another layout
    (the AKT 4-line format) carries ``_line`` (and ``_file``) columns with the real lines.
    """

    def __init__(self, df: pd.DataFrame, source: str) -> None:
        self.source = source
        self.lines = df["_line"].to_numpy() if "_line" in df.columns else None
        self.files = df["_file"].to_numpy() if "_file" in df.columns else None

    def __call__(self, r: int) -> tuple[str, int]:
        if self.lines is None:
            return self.source, int(r) + 2
        f = self.source if self.files is None else str(self.files[r])
        return f, int(self.lines[r])


def _problems(source: str | Where, rows: np.ndarray, field: str, message: object
              ) -> list[Problem]:
    """One Problem per bad row (capped); ``message`` may be a callable of the row."""
    out = []
    for r in rows[:MAX_PROBLEMS]:
        msg = message(int(r)) if callable(message) else str(message)
        if isinstance(source, Where):
            out.append(Problem(*source(int(r)), field, msg))
        else:
            out.append(Problem(source, int(r) + 2, field, msg))
    return out


def _correct_codes(col: pd.Series, source: str | Where, problems: list[Problem]
                   ) -> np.ndarray:
    """0/1 correctness as int8; anything else (2, 0.5, "yes", missing) is a problem."""
    values = col.to_numpy()
    if values.dtype == bool:
        return values.astype(np.int8)
    if values.dtype.kind in "iuf":
        num = values.astype(np.float64, copy=False)
    else:
        num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~((num == 0.0) | (num == 1.0))
    if bad.any():
        problems.extend(_problems(source, np.flatnonzero(bad), "correct",
                                  lambda r: f"must be 0 or 1, got {_show(values[r])}"))
        return np.zeros(len(values), dtype=np.int8)
    return num.astype(np.int8)


def _order_values(col: pd.Series, source: str | Where, problems: list[Problem]
                  ) -> np.ndarray:
    """order_id as int64 or float64 (timestamps become nanoseconds since the epoch)."""
    missing = col.isna().to_numpy()
    if missing.any():
        problems.extend(_problems(source, np.flatnonzero(missing), "order_id", "missing value"))
        return np.zeros(len(col), dtype=np.int64)
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        col = col.dt.tz_convert("UTC").dt.tz_localize(None)
    kind = col.dtype.kind
    if kind == "M":
        return col.to_numpy().astype("datetime64[ns]").astype(np.int64)
    if kind in "iub":
        return col.to_numpy().astype(np.int64, copy=False)
    if kind == "f":
        num = col.to_numpy(dtype=np.float64)
    else:  # strings (CSV): numbers first, then ISO 8601 timestamps
        num_try = pd.to_numeric(col, errors="coerce")
        if num_try.notna().all():
            num = num_try.to_numpy(dtype=np.float64)
        else:
            ts = pd.to_datetime(col, errors="coerce", utc=True, format="ISO8601")
            bad = ts.isna().to_numpy()
            if bad.any():
                raw = col.to_numpy()
                problems.extend(_problems(
                    source, np.flatnonzero(bad), "order_id",
                    lambda r: f"must be a number or an ISO 8601 timestamp, got {_show(raw[r])}"))
                return np.zeros(len(col), dtype=np.int64)
            return ts.dt.tz_localize(None).to_numpy().astype("datetime64[ns]").astype(np.int64)
    if np.all(num == np.floor(num)) and np.abs(num).max(initial=0.0) < 2**53:
        return num.astype(np.int64)
    return num


def normalize_columns(responses: pd.DataFrame, source: str = _DEFAULT_SOURCE) -> pd.DataFrame:
    """Rename alias columns to pyBKT names and check the required ones are there."""
    if not isinstance(responses, pd.DataFrame):
        raise InvalidInput("responses must be a pandas DataFrame with columns "
                           + ", ".join(REQUIRED_COLUMNS))
    ren = {a: b for a, b in ALIASES.items()
           if a in responses.columns and b not in responses.columns}
    df = responses.rename(columns=ren) if ren else responses
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise InvalidEvidence([Problem(source, 1, c, "required column is missing")
                               for c in missing])
    return df


def validate_responses(
    responses: pd.DataFrame,
    *,
    source: str = _DEFAULT_SOURCE,
    known_skills: Iterable[object] | None = None,
    allow_empty: bool = False,
) -> pd.DataFrame:
    """Check a response table and return it in canonical form.

    Parameters
    ----------
    responses : DataFrame
        Columns ``user_id, skill_name, correct, order_id`` (aliases ``student_id, standard,
        timestamp``); extra columns are kept.
    source : str
        File name used in error messages (``"<responses>"`` for in-memory tables).
    known_skills : iterable, optional
        If given, a skill outside it is an error: a model cannot score a skill it never saw,
        and a standards-aware caller can reject codes that are not in its framework.
    allow_empty : bool
        Whether a table without rows is acceptable (it is not, for fitting).

    Returns
    -------
    DataFrame
        A copy with a fresh ``RangeIndex``; ``correct`` is int8 and ``order_id`` int64 or
        float64 (timestamps as nanoseconds), so sorting is exact.

    Raises
    ------
    InvalidEvidence
        Every bad row (up to :data:`MAX_PROBLEMS`), line = row position + 2.
    """
    df = normalize_columns(responses, source)
    if len(df) == 0 and not allow_empty:
        raise InvalidEvidence([Problem(source, None, None, "no responses")])
    df = df.reset_index(drop=True)
    where = Where(df, source)
    problems: list[Problem] = []
    for col in ("user_id", "skill_name"):
        miss = df[col].isna().to_numpy()
        if miss.any():
            problems.extend(_problems(where, np.flatnonzero(miss), col, "missing value"))
    correct = _correct_codes(df["correct"], where, problems)
    order = _order_values(df["order_id"], where, problems)
    if known_skills is not None and not problems:
        known = pd.Index(list(known_skills)).unique()
        unknown = known.get_indexer(df["skill_name"]) < 0
        if unknown.any():
            names = df["skill_name"].to_numpy()
            problems.extend(_problems(where, np.flatnonzero(unknown), "skill_name",
                                      lambda r: f"unknown skill {_show(names[r])}"))
    if problems:
        problems.sort(key=lambda p: (p.line or 0))
        raise InvalidEvidence(problems[:MAX_PROBLEMS])
    return df.assign(correct=correct, order_id=order)


def _sorted_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes into the sorted distinct values (hash factorize, then sort only the uniques).

    Sorting only the uniques makes the codes independent of the input row order at the cost
    of one O(n) gather, instead of sorting all n values.
    """
    codes, uniques = pd.factorize(values)
    uniques = np.asarray(uniques)
    try:
        rank_order = np.argsort(uniques, kind="stable")
    except TypeError:  # mixed types (e.g. 3 and "3a"): order by text, deterministically
        rank_order = np.argsort(np.array([f"{type(u).__name__}:{u}" for u in uniques]),
                                kind="stable")
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[rank_order] = np.arange(len(uniques))
    return rank[codes], pd.Index(uniques[rank_order])


def encode_responses(df: pd.DataFrame, skills: pd.Index | None = None) -> EncodedResponses:
    """Sort a validated table into contiguous per-(skill, user) sequences.

    Parameters
    ----------
    df : DataFrame
        Output of :func:`validate_responses`.
    skills : pandas.Index, optional
        The skill order to use (a fitted model's skills); every skill in ``df`` must be in it.
        Default: the sorted distinct skills of ``df``.
    """
    if skills is None:
        skill_code, skills = _sorted_codes(df["skill_name"])
    else:
        skill_code = skills.get_indexer(df["skill_name"]).astype(np.int64)
        if (skill_code < 0).any():  # validate_responses(known_skills=...) prevents this
            raise InvalidInput("responses contain skills outside the given skill list")
    user_code, users = _sorted_codes(df["user_id"])
    correct = df["correct"].to_numpy().astype(np.int8, copy=False)
    order = df["order_id"].to_numpy()
    n_users = max(len(users), 1)
    group = skill_code * n_users + user_code
    n_groups = len(skills) * n_users

    if n_groups <= 4 * len(df) + 1024:
        # counting sort on (skill, user), then each short sequence by order: O(n)
        perm, correct_sorted, seq_ptr, seq_group = _kern.group_sort(group, n_groups, order,
                                                                    correct)
    else:
        # very sparse (skill, user) grid: one argsort of a combined (group, order, correct)
        # key. Ties are rows identical in every field the model reads, so the result does
        # not depend on the input row order.
        if order.dtype.kind in "iu" and len(order):
            omin = int(order.min())
            span = int(order.max()) - omin + 1
            off = order - omin
        else:
            span, off = 0, None
        if off is None or n_groups * span * 2 >= 2**62:
            uniq, off = np.unique(order, return_inverse=True)
            span = len(uniq)
        key = (group * span + off.astype(np.int64, copy=False)) * 2 + correct
        perm = np.argsort(key, kind="stable")
        correct_sorted = correct[perm]
        seq_ptr = _kern.sequence_bounds(group[perm])
        seq_group = group[perm[seq_ptr[:-1]]]
    seq_skill = seq_group // n_users
    seq_user = seq_group % n_users
    skill_seq_ptr = np.searchsorted(seq_skill, np.arange(len(skills) + 1)).astype(np.int64)
    return EncodedResponses(
        skills=skills,
        users=users,
        order=perm,
        correct=np.ascontiguousarray(correct_sorted),
        seq_ptr=seq_ptr,
        seq_skill=seq_skill,
        seq_user=seq_user,
        skill_seq_ptr=skill_seq_ptr,
    )
