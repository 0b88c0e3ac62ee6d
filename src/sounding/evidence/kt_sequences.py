"""Reader for the knowledge-tracing "4 lines per student" format (AKT, pyKT, DKT data).

Each student is four lines::

    mapped_user_idx,original_user_id      (or just a sequence length / user index)
    problem indices, comma-separated
    skill indices, comma-separated
    correctness 0/1, comma-separated

ASSISTments 2009 as processed by AKT (Ghosh, Heffernan & Lan, KDD 2020) ships this way, in five
disjoint student test folds (``*_test1.csv`` .. ``*_test5.csv``) plus ``skill.json`` (skill
name -> index), ``problems.json`` and ``user.json``. Reading it into the pyBKT columns
(``user_id, skill_name, correct, order_id, problem_id``) lets every Sounding model be scored on
the same published folds as the deep knowledge-tracing literature.

A problem tagged with several skills appears as consecutive entries with the same problem and
different skills (the AKT "pid" expansion); each entry is kept as its own answer, which is what
per-skill BKT on this data has always done.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from sounding.errors import InvalidEvidence, NotFound, Problem

_TEST_FILE = re.compile(r"_test(\d+)\.csv$")
_TRAIN_FILE = re.compile(r"_train(\d+)\.csv$")
_HEADER = re.compile(r"^\s*\d+\s*(,\s*[^,]+)?\s*$")
_NUMBERS = re.compile(r"^\s*-?\d+(\s*,\s*-?\d+)*\s*,?\s*$")


def is_kt_sequences(path: str | Path) -> bool:
    """Whether ``path`` is an AKT folder (``*_test1.csv``) or a 4-line-per-student file.

    A file qualifies when its first four lines are a header of one or two fields followed by
    three equally long lists of integers, the last of them all 0/1. A pyBKT CSV (a header row
    of names) never does.
    """
    p = Path(path)
    if p.is_dir():
        return any(_TEST_FILE.search(f.name) for f in p.iterdir())
    if not p.is_file() or p.suffix.lower() in (".parquet", ".pq"):
        return False
    with p.open(encoding="utf-8", errors="replace") as fh:
        lines = [fh.readline().strip() for _ in range(4)]
    if not _HEADER.match(lines[0]) or not all(_NUMBERS.match(x) for x in lines[1:]):
        return False
    counts = [len(x.rstrip(",").split(",")) for x in lines[1:]]
    answers = set(lines[3].replace(" ", "").rstrip(",").split(","))
    return counts[0] == counts[1] == counts[2] and answers <= {"0", "1"}


def _ints(text: str) -> np.ndarray:
    return np.array(text.strip().rstrip(",").split(","), dtype=np.int64)


def read_kt_sequences(
    path: str | Path,
    *,
    skill_names: dict[int, str] | None = None,
    problem_ids: dict[int, str] | None = None,
) -> pd.DataFrame:
    """Read one 4-line-per-student file into a pyBKT-style table.

    Parameters
    ----------
    path : path
        The file.
    skill_names, problem_ids : dict, optional
        Index -> name maps (the inverse of ``skill.json`` / ``problems.json``); indices
        without a name are kept as their number.

    Returns
    -------
    DataFrame
        ``user_id`` (the original user id when the header has two fields, else the first),
        ``skill_name``, ``problem_id``, ``correct`` (int8), ``order_id`` (position in the
        student's record, from 0).

    Raises
    ------
    InvalidEvidence
        A record with unequal list lengths, a non-integer, or a correctness other than 0/1;
        ``line`` points at the offending file line.
    """
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"no such file: {p}")
    text = p.read_text(encoding="utf-8").splitlines()
    while text and not text[-1].strip():
        text.pop()
    problems: list[Problem] = []
    if len(text) % 4:
        problems.append(Problem(str(p), len(text), None,
                                f"{len(text)} lines is not a multiple of 4 (4 per student)"))
        raise InvalidEvidence(problems)
    users: list[np.ndarray] = []
    probs: list[np.ndarray] = []
    skills: list[np.ndarray] = []
    answers: list[np.ndarray] = []
    orders: list[np.ndarray] = []
    for r in range(0, len(text), 4):
        header = text[r].split(",")
        uid = header[-1].strip()
        try:
            pr, sk, co = (_ints(text[r + 1]), _ints(text[r + 2]), _ints(text[r + 3]))
        except ValueError:
            problems.append(Problem(str(p), r + 2, None, "expected comma-separated integers"))
            continue
        if not (len(pr) == len(sk) == len(co)):
            problems.append(Problem(
                str(p), r + 1, None,
                f"student {uid}: {len(pr)} problems, {len(sk)} skills, {len(co)} answers"))
            continue
        if ((co != 0) & (co != 1)).any():
            problems.append(Problem(str(p), r + 4, "correct", "must be 0 or 1"))
            continue
        n = len(co)
        users.append(np.full(n, uid, dtype=object))
        probs.append(pr)
        skills.append(sk)
        answers.append(co.astype(np.int8))
        orders.append(np.arange(n, dtype=np.int64))
        if len(problems) >= 1000:
            break
    if problems:
        raise InvalidEvidence(problems)
    if not users:
        return pd.DataFrame({"user_id": [], "skill_name": [], "problem_id": [], "correct": [],
                             "order_id": []})
    user = np.concatenate(users)
    try:
        user_col: np.ndarray = user.astype(np.int64)
    except ValueError:
        user_col = user
    skill = np.concatenate(skills)
    prob = np.concatenate(probs)
    return pd.DataFrame({
        "user_id": user_col,
        "skill_name": _names(skill, skill_names),
        "problem_id": _names(prob, problem_ids),
        "correct": np.concatenate(answers),
        "order_id": np.concatenate(orders),
    })


def _names(codes: np.ndarray, names: dict[int, str] | None) -> np.ndarray:
    if not names:
        return codes
    uniq, inv = np.unique(codes, return_inverse=True)
    labels = np.array([names.get(int(u), str(int(u))) for u in uniq], dtype=object)
    return labels[inv]


def _inverse_json(path: Path) -> dict[int, str] | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return {int(v): str(k) for k, v in data.items()}


def read_akt_folder(folder: str | Path) -> pd.DataFrame:
    """Read an AKT data folder: every test fold, plus students only in training files.

    Returns the :func:`read_kt_sequences` columns plus ``fold``: K for students of
    ``*_testK.csv``, and 0 for students found only in ``*_trainK.csv`` (always training).
    Skill and problem names come from ``skill.json`` / ``problems.json`` when present.
    """
    d = Path(folder)
    if not d.is_dir():
        raise NotFound(f"no such folder: {d}")
    skill_names = _inverse_json(d / "skill.json")
    problem_ids = _inverse_json(d / "problems.json")
    tests = sorted((int(m.group(1)), f) for f in d.iterdir()
                   if (m := _TEST_FILE.search(f.name)))
    if not tests:
        raise NotFound(f"no *_testK.csv files in {d}")
    frames = []
    for k, f in tests:
        part = read_kt_sequences(f, skill_names=skill_names, problem_ids=problem_ids)
        frames.append(part.assign(fold=np.int64(k)))
    seen = set(pd.concat([f["user_id"] for f in frames]).unique())
    for f in sorted(f for f in d.iterdir() if _TRAIN_FILE.search(f.name)):
        part = read_kt_sequences(f, skill_names=skill_names, problem_ids=problem_ids)
        extra = part[~part["user_id"].isin(seen)]
        if len(extra):
            frames.append(extra.assign(fold=np.int64(0)))
            seen.update(extra["user_id"].unique())
    return pd.concat(frames, ignore_index=True)


def read_kt_path(path: str | Path) -> pd.DataFrame:
    """A folder (:func:`read_akt_folder`, with ``fold``) or one file (no ``fold``)."""
    p = Path(path)
    if p.is_dir():
        return read_akt_folder(p)
    d = p.parent
    return read_kt_sequences(p, skill_names=_inverse_json(d / "skill.json"),
                             problem_ids=_inverse_json(d / "problems.json"))
