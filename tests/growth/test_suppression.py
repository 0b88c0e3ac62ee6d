"""Primary and complementary suppression: hand examples and an exact-disclosure property test."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sounding.errors import InvalidInput
from sounding.growth.suppression import (
    COMPLEMENTARY,
    MIN_N,
    PRIMARY,
    SUPPRESSED,
    Partition,
    disclosed_cells,
    suppress_table,
    suppression_pattern,
)

# ------------------------------------------------------------------ an independent exact check


def determined_by_equations(counts: np.ndarray, hidden: np.ndarray,
                            equations: list[tuple[int, tuple[int, ...]]]) -> set[int]:
    """Hidden cells whose value follows from the published cells by exact linear algebra.

    Written independently of the module (exact rationals, reduced row echelon form): a hidden
    cell is determined iff its unit vector lies in the row space of the equations restricted to
    the hidden cells. With every true count positive this is the exact criterion (the true
    table is an interior point of the non-negative solutions).
    """
    unknown = [int(i) for i in np.flatnonzero(hidden)]
    col = {c: j for j, c in enumerate(unknown)}
    rows: list[list[Fraction]] = []
    for t, parts in equations:
        row = [Fraction(0)] * len(unknown)
        for c, coef in ((t, 1), *((p, -1) for p in parts)):
            if c in col:
                row[col[c]] += coef
        if any(row):
            rows.append(row)
    # reduced row echelon form
    pivots: list[int] = []
    r = 0
    for j in range(len(unknown)):
        pr = next((i for i in range(r, len(rows)) if rows[i][j] != 0), None)
        if pr is None:
            continue
        rows[r], rows[pr] = rows[pr], rows[r]
        piv = rows[r][j]
        rows[r] = [v / piv for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][j] != 0:
                f = rows[i][j]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(j)
        r += 1
    out = set()
    for k, j in enumerate(pivots):
        if sum(1 for v in rows[k] if v != 0) == 1:
            out.add(unknown[j])
    return out


def subtraction_isolates(hidden: np.ndarray, equations) -> bool:
    """The plain check: an equation whose cells hide exactly one cell reveals it."""
    return any(int(hidden[t]) + sum(int(hidden[p]) for p in parts) == 1 for t, parts in equations)


# ----------------------------------------------------------------------------- hand examples


def two_school_table() -> tuple[pd.DataFrame, list[Partition]]:
    t = pd.DataFrame({
        "school_id": ["A"] * 3 + ["B"] * 3 + ["ALL"] * 3,
        "subgroup": ["All", "EL", "non-EL"] * 3,
        "n": [45, 4, 41, 30, 12, 18, 75, 16, 59],
        "median_sgp": [50.0, 61, 49, 40, 35, 45, 47, 38, 48],
    })
    margins = [Partition("subgroup", "All", ("EL", "non-EL"), within=("school_id",)),
               Partition("school_id", "ALL", None, within=("subgroup",))]
    return t, margins


def test_primary_and_complementary_in_a_school_hierarchy():
    table, margins = two_school_table()
    out = suppress_table(table, margins=margins)
    status = dict(zip(zip(out.school_id, out.subgroup, strict=True), out.suppression,
                      strict=True))
    # 4 English learners at A: primary. A's non-EL would give it away (45 - 41): complement.
    assert status[("A", "EL")] == PRIMARY
    assert status[("A", "non-EL")] == COMPLEMENTARY
    # The district EL row (16) minus B's EL row would give A's EL: B's EL row goes too, and
    # then B's non-EL (30 - 12) with it.
    assert status[("B", "EL")] == COMPLEMENTARY
    assert status[("B", "non-EL")] == COMPLEMENTARY
    assert all(status[k] == "" for k in status if k[1] == "All" or k[0] == "ALL")
    hidden = out["suppression"] != ""
    assert (out.loc[hidden, "n"] == SUPPRESSED).all()
    assert (out.loc[hidden, "median_sgp"] == SUPPRESSED).all()
    assert out.loc[~hidden, "n"].tolist() == [45, 30, 75, 16, 59]


def test_without_margins_only_small_cells_go_and_marker_none_keeps_numbers():
    table, _ = two_school_table()
    out = suppress_table(table, marker=None, min_n=5)
    assert out["suppression"].tolist().count(PRIMARY) == 1
    assert out["n"].isna().sum() == 1 and out["median_sgp"].isna().sum() == 1
    assert pd.api.types.is_numeric_dtype(out["n"])
    assert MIN_N == 10


def test_a_bridge_cell_is_caught_by_the_exact_audit():
    """Every row and column hides 0 or >= 2 cells, yet the bridge cell is determined."""
    # 4 x 4 interior, row totals r0..r3 (16..19), column totals c0..c3 (20..23), grand 24.
    rng = np.random.default_rng(1)
    cells = rng.integers(20, 40, (4, 4)).astype(float)
    counts = np.concatenate([cells.ravel(), cells.sum(1), cells.sum(0), [cells.sum()]])
    eqs = [(16 + i, tuple(4 * i + j for j in range(4))) for i in range(4)]
    eqs += [(20 + j, tuple(4 * i + j for i in range(4))) for j in range(4)]
    eqs += [(24, tuple(range(16, 20))), (24, tuple(range(20, 24)))]
    hidden = np.zeros(len(counts), dtype=bool)
    for i, j in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)]:
        hidden[4 * i + j] = True
    assert not subtraction_isolates(hidden, eqs)
    assert disclosed_cells(counts, hidden, eqs).tolist() == [2]  # the bridge (0, 2)
    assert determined_by_equations(counts, hidden, eqs) == {2}
    # suppression_pattern starting from such a pattern must end safe
    counts2 = counts.copy()
    counts2[[0, 1, 4, 5, 10, 11, 14, 15, 2]] = 5  # make those the primary cells
    fixed = [(t, ps) for t, ps in eqs]
    # recompute margins for the changed interior
    grid = counts2[:16].reshape(4, 4)
    counts2[16:20], counts2[20:24], counts2[24] = grid.sum(1), grid.sum(0), grid.sum()
    status = suppression_pattern(counts2, fixed, min_n=10)
    final = status != ""
    assert disclosed_cells(counts2, final, fixed).size == 0
    assert not determined_by_equations(counts2, final, fixed)


def test_hidden_empty_cells_are_not_left_pinned_at_zero():
    # total 20 = a 0 + b 0 + c 20: hiding a and b alone says both are 0.
    counts = np.array([20.0, 0.0, 0.0, 20.0])
    eqs = [(0, (1, 2, 3))]
    assert disclosed_cells(counts, np.array([False, True, True, False]), eqs).tolist() == [1, 2]
    status = suppression_pattern(counts, eqs)
    assert status.tolist() == ["", PRIMARY, PRIMARY, COMPLEMENTARY]
    assert disclosed_cells(counts, status != "", eqs).size == 0


def test_bad_inputs_are_rejected():
    table, margins = two_school_table()
    with pytest.raises(InvalidInput):
        suppress_table(table, count_col="students")
    with pytest.raises(InvalidInput):
        suppress_table(table, margins=[Partition("grade", "All")])
    dup = pd.concat([table, table.iloc[[0]]], ignore_index=True)
    with pytest.raises(InvalidInput, match="total"):
        suppress_table(dup, margins=margins)


# ----------------------------------------------------------------------------- property test

RACES = ("R1", "R2", "R3")


@st.composite
def school_tables(draw):
    """Schools x (All, EL, non-EL, R1..R3) rows plus an "ALL" row per subgroup.

    Counts come from a cross-classification EL x race per school, so every partition adds up
    exactly; every cell count is positive (see determined_by_equations).
    """
    n_schools = draw(st.integers(2, 4))
    big = draw(st.booleans())
    hi = 40 if big else 12
    rows = []
    per_school = []
    for s in range(n_schools):
        grid = np.array([[draw(st.integers(1, hi)) for _ in RACES] for _ in range(2)])
        per_school.append(grid)
        counts = {"All": grid.sum(), "EL": grid[0].sum(), "non-EL": grid[1].sum()}
        counts.update({r: grid[:, k].sum() for k, r in enumerate(RACES)})
        rows += [(f"S{s}", label, int(c)) for label, c in counts.items()]
    total = sum(per_school)
    counts = {"All": total.sum(), "EL": total[0].sum(), "non-EL": total[1].sum()}
    counts.update({r: total[:, k].sum() for k, r in enumerate(RACES)})
    rows += [("ALL", label, int(c)) for label, c in counts.items()]
    table = pd.DataFrame(rows, columns=["school_id", "subgroup", "n"])
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    table["share_proficient"] = rng.random(len(table))
    min_n = draw(st.sampled_from([5, 10, 16]))
    return table, min_n


MARGINS = [
    Partition("subgroup", "All", ("EL", "non-EL"), within=("school_id",)),
    Partition("subgroup", "All", RACES, within=("school_id",)),
    Partition("school_id", "ALL", None, within=("subgroup",)),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(school_tables())
def test_no_suppressed_count_can_be_recovered(case):
    table, min_n = case
    out = suppress_table(table, min_n=min_n, margins=MARGINS)
    eqs = [eq for m in MARGINS for eq in m.equations(table)]
    counts = table["n"].to_numpy(dtype=float)
    hidden = (out["suppression"] != "").to_numpy()
    status = out["suppression"].to_numpy()

    # every small cell is suppressed, as primary; nothing else is primary
    assert ((counts < min_n) == (status == PRIMARY)).all()
    # values are hidden with their counts
    assert ((out["share_proficient"] == SUPPRESSED).to_numpy() == hidden).all()
    assert ((out["n"] == SUPPRESSED).to_numpy() == hidden).all()
    # no equation isolates a hidden cell, and no combination of equations determines one
    assert not subtraction_isolates(hidden, eqs)
    assert determined_by_equations(counts, hidden, eqs) == set()
    # complementary cells are only there when needed: publishing any one of them discloses
    for cell in np.flatnonzero(status == COMPLEMENTARY):
        trial = hidden.copy()
        trial[cell] = False
        assert subtraction_isolates(trial, eqs) or determined_by_equations(counts, trial, eqs), (
            f"complementary cell {cell} was not needed")
