"""Simulated students answering the short checks a plan asks for.

Why: the plan's unsure findings ask for a short check of a class on a few standards
(:mod:`sounding.planning.checks`). To measure what that loop is worth -- plan, check, plan
again -- against the truth, the simulated students answer those checks the way they answer
everything else in the simulator: an item is right with probability ``1 - slip`` when the
standard is truly mastered and ``guess`` when it is not, with the item bank's own guess and
slip (:func:`sounding.simulate.knowledge.default_curriculum`). The answers come back in the
``responses`` columns with source ``check``, ready to add to the district's evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from sounding.errors import InvalidInput
from sounding.simulate.district import District
from sounding.simulate.knowledge import ITEMS_PER_STANDARD, Curriculum, default_curriculum


def class_rosters(district: District) -> dict[str, list[str]]:
    """class_id -> enrolled students of a simulated district."""
    en = district.enrollments[district.enrollments["role"] == "student"]
    return {str(c): list(g["userSourcedId"].astype(str))
            for c, g in en.groupby("classSourcedId", sort=False)}


def answer_checks(district: District, checks: Iterable[Mapping | object], *, on: date,
                  seed: int = 0, curriculum: Curriculum | None = None) -> pd.DataFrame:
    """The answers of every enrolled student of each checked class to its check.

    Parameters
    ----------
    district : District
        The simulated district (its truth answers the items).
    checks : iterable
        :class:`sounding.planning.checks.Check` objects or their ``to_dict()``: ``class_id``,
        ``standards``, ``items_per_standard``.
    on : date
        The day the checks are given (answers from 09:00, a second apart).
    seed : int
        Which items each student gets and how the coin falls; the same seed, the same answers.

    Returns
    -------
    DataFrame
        ``student_id, item_id, standard, correct, timestamp, source`` (source ``check``), one
        row per item answered; distinct items per student and standard.
    """
    cur = curriculum or default_curriculum()
    truth = district.truth_mastery.set_index("student_id")
    rosters = class_rosters(district)
    rng = np.random.default_rng(seed)
    rows: list[int] = []
    cols: list[int] = []
    items: list[np.ndarray] = []
    for chk in checks:
        d = chk if isinstance(chk, Mapping) else chk.to_dict()
        cid, codes, k = str(d["class_id"]), list(d["standards"]), int(d["items_per_standard"])
        if cid not in rosters:
            raise InvalidInput(f"check for class {cid!r}: not a class of this district")
        unknown = [c for c in codes if c not in cur.index]
        if unknown:
            raise InvalidInput(f"check for class {cid!r}: unknown standard(s) {unknown}")
        if not 1 <= k <= ITEMS_PER_STANDARD:
            raise InvalidInput(f"check for class {cid!r}: items_per_standard must be 1-"
                               f"{ITEMS_PER_STANDARD}, got {k}")
        members = truth.index.get_indexer(pd.Index(rosters[cid]))
        members = members[members >= 0]
        for code in codes:
            j = cur.index[code]
            for i in members:
                rows += [int(i)] * k
                cols += [j] * k
                items.append(rng.choice(ITEMS_PER_STANDARD, k, replace=False))
    if not rows:
        return pd.DataFrame({"student_id": pd.Series(dtype=str), "item_id": pd.Series(dtype=str),
                             "standard": pd.Series(dtype=str),
                             "correct": pd.Series(dtype="int8"),
                             "timestamp": pd.Series(dtype="datetime64[s]"),
                             "source": pd.Series(dtype=str)})
    r, c, it = np.array(rows), np.array(cols), np.concatenate(items)
    wide = truth[list(cur.codes)].to_numpy(dtype=bool)
    mastered = wide[r, c]
    correct = rng.random(r.size) < np.where(mastered, 1.0 - cur.items.slip[c, it],
                                            cur.items.guess[c, it])
    start = np.datetime64(datetime.combine(on, time(9, 0)), "s")
    # one second apart per answer: every answer keeps its own (student, item, time) key
    ts = start + np.arange(r.size).astype("timedelta64[s]")
    return pd.DataFrame({"student_id": truth.index.to_numpy()[r].astype(str),
                         "item_id": cur.items.item_id[c, it].astype(str),
                         "standard": cur.items.tag[c, it].astype(str),
                         "correct": correct.astype("int8"), "timestamp": ts,
                         "source": "check"})
