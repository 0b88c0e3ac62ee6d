"""Top and bottom coding of published shares and means (blurring), n-dependent.

A share of 0 % or 100 % for a group reveals every member's outcome, and so does a share that
pins the count: "5 %" of 20 students is exactly one student. State report cards therefore
publish shares in bands whose width depends on the group's size, with the extremes coded
("≤5 %", "≥95 %"). The default rule here is modelled on the reporting rules recommended by
NCES (SLDS Technical Brief 3, NCES 2011-603, "Statistical Methods for Protecting Personally
Identifiable Information in Aggregate Reporting"): the smaller the group, the wider the
bottom and top bands and the coarser the values in between.

=============  ===============  ===========================
students       bottom / top     in between
=============  ===============  ===========================
min_n .. 15    ≤50 % / >50 %    nothing else
16 .. 30       ≤20 % / ≥80 %    10-point ranges ("30-39%")
31 .. 60       ≤10 % / ≥90 %    5-point ranges ("15-19%")
61 .. 300      ≤5 % / ≥95 %     whole percentages
301 and more   ≤1 % / ≥99 %     whole percentages
=============  ===============  ===========================

In every row the bottom band holds at least three possible counts besides zero (a band at
``n`` covers ``0 .. floor(cut * n)``), so a coded extreme never says that every member (or
none) met the standard. :meth:`ShareCoding.code` refuses a share whose band would not (a group
too small for the rule), and :meth:`ShareCoding.coarser` gives the next wider rule when a
value must be blurred further (see :func:`sounding.growth.aggregates.accountability_tables`).

Means of non-negative counts (standards newly secured per student) are published to one
decimal, with everything below :data:`MEAN_FLOOR` coded ``"<0.5"`` (a mean of 0.0 would say
no member secured anything).

:func:`share_interval` and :func:`mean_interval` read a published label back into the interval
it stands for: what a reader (and :mod:`sounding.growth.adversary`) can infer from it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sounding.errors import InvalidInput

#: Means below this are published as ``"<0.5"``.
MEAN_FLOOR = 0.5

_LE, _GE, _GT = "≤", "≥", ">"


@dataclass(frozen=True)
class Band:
    """How shares of groups of at least ``min_n`` students are published.

    ``cut`` is the bottom band's upper end (the top band starts at ``1 - cut``); ``step`` the
    width in percentage points of the ranges in between (1: whole percentages, rounded;
    ``None``: nothing in between, the two bands meet at ``cut``, which must then be 0.5).
    """

    min_n: int
    cut: float
    step: int | None

    def __post_init__(self) -> None:
        if not 0 < self.cut <= 0.5:
            raise InvalidInput(f"band cut must be within (0, 0.5], not {self.cut}")
        if self.step is None and self.cut != 0.5:
            raise InvalidInput("a band without ranges in between needs cut 0.5")
        if self.step is not None and self.step < 1:
            raise InvalidInput(f"band step must be a whole number of points, not {self.step}")


@dataclass(frozen=True)
class ShareCoding:
    """An n-dependent coding rule: the band of the largest ``min_n`` not above the group size.

    ``level`` shifts every group to a wider band (``level`` rows up the table); a group
    shifted past the first row has its share hidden (the coarsest "blur" of all).
    """

    bands: tuple[Band, ...]
    level: int = 0

    def __post_init__(self) -> None:
        if not self.bands:
            raise InvalidInput("a coding rule needs at least one band")
        mins = [b.min_n for b in self.bands]
        if mins != sorted(mins) or len(set(mins)) != len(mins):
            raise InvalidInput("coding bands must be in increasing order of min_n")

    def band(self, n: float) -> Band | None:
        """The band used for a group of ``n`` (None: the share is not published)."""
        idx = None
        for i, b in enumerate(self.bands):
            if n >= b.min_n:
                idx = i
        if idx is None:
            return None
        idx -= self.level
        if idx < 0:
            return None
        band = self.bands[idx]
        # both coded ends must hold two counts at least, or a coded extreme pins the count
        low = math.floor(band.cut * n + 1e-9)
        high = (n - low - 1 if band.step is None
                else n - math.ceil((1 - band.cut) * n - 1e-9))
        return band if low >= 1 and high >= 1 else None

    def coarser(self) -> ShareCoding:
        """The same rule one row wider for every group."""
        return ShareCoding(self.bands, self.level + 1)

    def code(self, share: float, n: float) -> str | None:
        """The published label of ``share`` for a group of ``n`` (None: do not publish)."""
        band = self.band(n)
        if band is None or share is None or math.isnan(float(share)):
            return None
        share = float(share)
        if share <= band.cut + 1e-12:
            return f"{_LE}{_fmt(band.cut)}%"
        if band.step is None:
            return f"{_GT}{_fmt(band.cut)}%"
        if share >= 1 - band.cut - 1e-12:
            return f"{_GE}{_fmt(1 - band.cut)}%"
        pct = 100 * share
        if band.step == 1:
            return f"{int(math.floor(pct + 0.5 + 1e-9))}%"
        lo = int(math.floor(pct / band.step + 1e-9)) * band.step
        return f"{lo}-{lo + band.step - 1}%"


def _fmt(x: float) -> str:
    v = round(100 * x, 6)
    return f"{v:g}"


#: The default rule (table in the module docstring).
DEFAULT_BANDS: tuple[Band, ...] = (
    Band(1, 0.5, None),
    Band(16, 0.2, 10),
    Band(31, 0.1, 5),
    Band(61, 0.05, 1),
    Band(301, 0.01, 1),
)
DEFAULT_CODING = ShareCoding(DEFAULT_BANDS)


def coding_from_cuts(cuts: Sequence[tuple[int, float, int | None]]) -> ShareCoding:
    """A rule from ``(min_n, cut, step)`` rows (e.g. a state's own table)."""
    return ShareCoding(tuple(Band(int(m), float(c), None if s is None else int(s))
                             for m, c, s in cuts))


_RANGE = re.compile(r"^(\d+)-(\d+)%$")
_PCT = re.compile(r"^(\d+(?:\.\d+)?)%$")


def share_interval(label: str) -> tuple[float, float]:
    """The share interval a published label stands for: ``"47%"`` (rounded) [0.465, 0.475),
    ``"30-39%"`` [0.30, 0.40), ``"≤5%"`` [0, 0.05], ``">50%"`` (0.5, 1], ``"≥95%"``
    [0.95, 1] (:func:`share_count_bounds` turns it into counts, ends included or not).

    Raises
    ------
    InvalidInput
        When the label is none of those forms.
    """
    text = str(label).strip().replace(" ", "")
    for prefix, side in ((_LE, "low"), ("<=", "low"), ("<", "low"), (_GE, "high"),
                         (">=", "high"), (_GT, "high")):
        if text.startswith(prefix):
            v = float(text[len(prefix):].rstrip("%")) / 100
            return (0.0, v) if side == "low" else (v, 1.0)
    m = _RANGE.match(text)
    if m:
        return int(m.group(1)) / 100, (int(m.group(2)) + 1) / 100
    m = _PCT.match(text)
    if m:
        v = float(m.group(1))
        return max(0.0, (v - 0.5) / 100), min(1.0, (v + 0.5) / 100)
    raise InvalidInput(f"not a published share: {label!r}")


def share_count_bounds(label: str, n: int, coding: ShareCoding = DEFAULT_CODING
                       ) -> tuple[int, int]:
    """The counts ``k`` (of ``n``) a published share label allows, knowing the rule.

    ``"≤c%"``: ``k <= c n``; ``">c%"``: ``k > c n``; ``"≥c%"``: ``k >= c n``; a value in
    between (``"47%"``, rounded half up, or a range ``"30-39%"``) also lies strictly between
    the band's coded ends, which a reader knows from ``n`` and the rule.
    """
    text = str(label).strip().replace(" ", "")
    eps = 1e-9
    if text.startswith((_LE, "<=", "<")):
        return 0, min(n, math.floor(share_interval(text)[1] * n + eps))
    if text.startswith((_GT,)) or (text.startswith(">") and not text.startswith(">=")):
        return math.floor(share_interval(text)[0] * n + eps) + 1, n
    if text.startswith((_GE, ">=")):
        return max(0, math.ceil(share_interval(text)[0] * n - eps)), n
    lo, hi = share_interval(text)  # [lo, hi): half-open for ranges and rounded values
    k_lo = math.ceil(lo * n - eps)
    k_hi = math.ceil(hi * n - eps) - 1
    band = coding.band(n)
    if band is not None:
        k_lo = max(k_lo, math.floor(band.cut * n + eps) + 1)
        k_hi = min(k_hi, math.ceil((1 - band.cut) * n - eps) - 1)
    return max(0, k_lo), min(n, k_hi)


def code_mean(mean: float, *, signed: bool = False) -> str | None:
    """A mean as published: one decimal; for a mean of non-negative counts (``signed``
    False) everything below :data:`MEAN_FLOOR` coded ``"<0.5"``."""
    if mean is None or math.isnan(float(mean)):
        return None
    if signed:
        return f"{math.floor(float(mean) * 10 + 0.5) / 10:.1f}"
    if float(mean) < MEAN_FLOOR:
        return f"<{MEAN_FLOOR:g}"
    return f"{math.floor(float(mean) * 10 + 0.5) / 10:.1f}"


def mean_interval(label: str, *, signed: bool = False) -> tuple[float, float]:
    """The means a published label allows (closed; ``"<0.5"`` -> [0, 0.5])."""
    text = str(label).strip()
    if text.startswith("<"):
        return 0.0, float(text[1:])
    try:
        v = float(text)
    except ValueError:
        raise InvalidInput(f"not a published mean: {label!r}") from None
    return (v - 0.05 if signed else max(0.0, v - 0.05)), v + 0.05
