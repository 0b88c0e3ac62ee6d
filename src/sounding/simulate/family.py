"""Simulated family-connection signals: contacts between school and home over the year.

Why they are simulated: CDE's guidance counts weak family connection among the system-level
reasons a plan should name, and planning turns a district's contact log into that finding
(``sounding import family``). A demo without such a file could never show it.

What a district's student-information system would export: one row per contact attempt
(``student_id, signal, date, value, source``) with ``value`` 1 for a contact that reached the
family and 0 for one that did not. Per student about 8 attempts (0-16) over the
instructional year (phone calls and messages any school day, conferences in two windows,
October and February/March). An attempt succeeds with probability about 0.75, lower for economically
disadvantaged and English-learner families (language access and work schedules are what the
guidance names), shifted by a school effect, so a few schools fall short of the planning rule
(more than 25% of students with no successful contact in the last 90 days) while most do not.
Seeded per school, so any chunking writes the same rows.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from scipy.special import expit, logit

FAMILY_SIGNALS_COLUMNS = ["student_id", "signal", "date", "value", "source"]
SIGNALS = ("phone_call", "message", "conference")
SUCCESS = 0.75
#: Log-odds lost by economically disadvantaged / English-learner families.
GAP = 0.9
#: Spread of school effects (log-odds) on how often and how well schools reach families.
SCHOOL_SD = 0.7
MEAN_ATTEMPTS = 8.0


def _days(start: date, end: date) -> np.ndarray:
    """Weekdays from ``start`` to ``end`` inclusive, as numpy dates."""
    d = np.arange(np.datetime64(start), np.datetime64(end) + 1, dtype="datetime64[D]")
    return d[np.is_busday(d)]


def family_signals(truth_students: pd.DataFrame, *, seed: int, spring_year: int,
                   end: date | None = None) -> pd.DataFrame:
    """Contact attempts for the students of ``truth_students`` (school_id, student_id,
    economically_disadvantaged, english_learner), one school at a time."""
    fall = spring_year - 1
    end = end or date(spring_year, 4, 30)
    any_day = _days(date(fall, 8, 25), end)
    conf_days = np.concatenate([_days(date(fall, 10, 20), date(fall, 10, 31)),
                                _days(date(spring_year, 2, 23), date(spring_year, 3, 6))])
    frames = []
    for school, st in truth_students.groupby("school_id", sort=False):
        digits = "".join(ch for ch in str(school) if ch.isdigit()) or "0"
        rng = np.random.default_rng(np.random.SeedSequence([seed, 2, int(digits)]))
        effect = rng.normal(0.0, SCHOOL_SD)
        n = len(st)
        k = np.minimum(rng.poisson(MEAN_ATTEMPTS * np.exp(0.5 * effect), n), 16)
        who = np.repeat(np.arange(n), k)
        m = who.size
        kind = rng.choice(len(SIGNALS), size=m, p=[0.45, 0.35, 0.20])
        when = np.where(kind == 2, conf_days[rng.integers(0, conf_days.size, m)],
                        any_day[rng.integers(0, any_day.size, m)])
        econ = st["economically_disadvantaged"].to_numpy(dtype=bool)[who]
        el = st["english_learner"].to_numpy(dtype=bool)[who]
        p = expit(logit(SUCCESS) + effect - GAP * econ - GAP * el)
        ok = rng.random(m) < p
        frames.append(pd.DataFrame({
            "student_id": st["student_id"].to_numpy(dtype=object)[who],
            "signal": np.array(SIGNALS, dtype=object)[kind],
            "date": pd.to_datetime(when).strftime("%Y-%m-%d"),
            "value": ok.astype(int), "source": "sis"}))
    if not frames:
        return pd.DataFrame(columns=FAMILY_SIGNALS_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    # one row per student, signal, date and source (two calls the same day are one contact)
    out = (out.sort_values(["student_id", "date", "signal", "value"])
           .drop_duplicates(["student_id", "signal", "date", "source"], keep="last"))
    return out[FAMILY_SIGNALS_COLUMNS].reset_index(drop=True)

