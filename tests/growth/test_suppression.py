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

    Written independently of the module (exact rationals, sparse Gauss-Jordan elimination): a
    hidden cell is determined iff its unit vector lies in the row space of the equations
    restricted to the hidden cells. With every true count positive this is the exact
    criterion (the true table is an interior point of the non-negative solutions).

    The elimination pivots row by row and clears each pivot column from every other row, so
    at the end each nonzero row owns a pivot column no other row has; then a unit vector e_j
    is in the row space exactly when some row is a multiple of e_j.
    """
    unknown = [int(i) for i in np.flatnonzero(hidden)]
    col = {c: j for j, c in enumerate(unknown)}
    rows: list[dict[int, Fraction]] = []
    for t, parts in equations:
        acc: dict[int, int] = {}
        for c, coef in ((t, 1), *((p, -1) for p in parts)):
            if c in col:
                acc[col[c]] = acc.get(col[c], 0) + coef
        row = {j: Fraction(v) for j, v in acc.items() if v != 0}
        if row:
            rows.append(row)
    holders: dict[int, set[int]] = {}
    for i, row in enumerate(rows):
        for j in row:
            holders.setdefault(j, set()).add(i)
    pivots: dict[int, int] = {}
    for i in range(len(rows)):
        if not rows[i]:
            continue
        j = min(rows[i], key=lambda c: (len(holders[c]), c))
        pivots[i] = j
        piv = rows[i][j]
        if piv != 1:
            rows[i] = {k: v / piv for k, v in rows[i].items()}
        for i2 in list(holders[j]):
            if i2 == i:
                continue
            r2 = rows[i2]
            f = r2[j]
            for k, v in rows[i].items():
                nv = r2.get(k, Fraction(0)) - f * v
                if nv == 0:
                    if k in r2:
                        del r2[k]
                        holders[k].discard(i2)
                else:
                    if k not in r2:
                        holders.setdefault(k, set()).add(i2)
                    r2[k] = nv
    return {unknown[j] for i, j in pivots.items() if len(rows[i]) == 1}


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
    # complementary cells are only there when needed: publishing any one of them discloses,
    # to a reader who also knows what the published reasons say (a "primary" count is below
    # min_n, a "complementary" one is not) -- the disclosure the rule protects against
    for cell in np.flatnonzero(status == COMPLEMENTARY):
        trial = hidden.copy()
        trial[cell] = False
        lower = np.where(trial & (status == COMPLEMENTARY), float(min_n), 0.0)
        upper = np.where(trial & (status == PRIMARY) & (min_n > 1), float(min_n - 1), np.inf)
        lower, upper = np.minimum(lower, counts), np.maximum(upper, counts)
        assert (subtraction_isolates(trial, eqs) or determined_by_equations(counts, trial, eqs)
                or disclosed_cells(counts, trial, eqs, lower, upper).size > 0), (
            f"complementary cell {cell} was not needed")


# ------------------------------------------- the real accountability tables, released together

FAMILIES = (("n", "suppression", None),
            ("catch_up_n", "catch_up_suppression", "catch_up_share"),
            ("keep_up_n", "keep_up_suppression", "keep_up_share"))


def released_system(full: dict[str, pd.DataFrame], pub: dict[str, pd.DataFrame],
                    providers: pd.DataFrame):
    """Unknowns and equations of every released table, built from the tables' keys alone.

    Written independently of sounding.growth.aggregates: cells are looked up by their keys;
    every family (all students, catch-up and keep-up denominators) obeys the same sums:
    subgroups add up to "All students", schools to their district row and districts to the
    overall row, a district-table row equals the school table's district row, a provider row
    is the sum of its schools (and its total the overall row, when no school is shared). Per
    cell, n = catch_up_n + keep_up_n + (students with neither target), the last known to the
    reader. Returns (values per family, hidden per family, equations over (family, cell)).
    """
    frames = []
    for name in ("school", "district", "provider"):
        if name in full:
            f = full[name].copy()
            f["tab"] = name
            f["status"] = [tuple(r) for r in pub[name][[s for _, s, _ in FAMILIES]].to_numpy()]
            for k, (_, sc, share) in enumerate(FAMILIES):
                assert (pub[name][sc].to_numpy() != "").tolist() == [
                    v == "*" for v in pub[name][FAMILIES[k][0]]]
                if share:
                    assert ((pub[name][share] == "*").to_numpy()
                            >= (pub[name][sc] != "").to_numpy()).all()
            frames.append(f)
    u = pd.concat(frames, ignore_index=True)
    for c in ("district_id", "school_id", "provider_id"):
        if c not in u:
            u[c] = None

    def key(r):
        grp = {"school": (r.district_id, r.school_id), "district": (r.district_id,),
               "provider": (r.provider_id,)}[r.tab]
        return (r.tab, r.subject, grp, r.subgroup_type, r.subgroup)

    where = {key(r): i for i, r in enumerate(u.itertuples(index=False))}
    R = len(u)
    base_eqs: list[tuple[int, list[int]]] = []
    for (tab, subj, grp, sgt, lab), i in where.items():
        if sgt == "all":
            for st2 in set(u["subgroup_type"]) - {"all"}:
                parts = [j for (t2, s2, g2, st3, _), j in where.items()
                         if (t2, s2, g2, st3) == (tab, subj, grp, st2)]
                if parts:
                    base_eqs.append((i, parts))
        if tab == "school" and grp[1] == "ALL":
            parts = [j for (t2, s2, g2, st3, l2), j in where.items()
                     if t2 == "school" and (s2, st3, l2) == (subj, sgt, lab) and g2[1] != "ALL"
                     and (g2[0] == grp[0] if grp[0] != "ALL" else True)]
            if grp[0] == "ALL":  # the overall row sums the district rows
                parts = [j for (t2, s2, g2, st3, l2), j in where.items()
                         if t2 == "school" and (s2, st3, l2) == (subj, sgt, lab)
                         and g2[1] == "ALL" and g2[0] != "ALL"]
            if parts:
                base_eqs.append((i, parts))
        if tab == "district":
            base_eqs.append((i, [where[("school", subj, (grp[0], "ALL"), sgt, lab)]]))
        if tab == "provider":
            if grp[0] == "ALL":
                base_eqs.append((i, [where[("school", subj, ("ALL", "ALL"), sgt, lab)]]))
                continue
            schools = set(providers.loc[providers.provider_id == grp[0], "school_id"])
            if grp[0] == "none":
                schools = set(u.loc[u.tab == "school", "school_id"]) - set(
                    providers["school_id"]) - {"ALL"}
            parts = [j for (t2, s2, g2, st3, l2), j in where.items()
                     if t2 == "school" and (s2, st3, l2) == (subj, sgt, lab) and g2[1] in schools]
            if parts:
                base_eqs.append((i, parts))
    values = np.concatenate([u[c].to_numpy(float) for c, _, _ in FAMILIES])
    hidden = np.concatenate([(np.array([s[k] for s in u["status"]]) != "")
                             for k in range(len(FAMILIES))])
    eqs = [(t + k * R, tuple(p + k * R for p in parts)) for k in range(len(FAMILIES))
           for t, parts in base_eqs]
    # n = catch-up + keep-up + (known rest): the rest is a constant, so drop it
    eqs += [(r, (R + r, 2 * R + r)) for r in range(R)]
    return u, values, hidden, eqs


def numerator_system(u: pd.DataFrame, hidden: np.ndarray, eqs, family: int):
    """Catch-up (1) or keep-up (2) numerators: the same sums, hidden with their shares."""
    R = len(u)
    col = FAMILIES[family][0]
    share = FAMILIES[family][2]
    num = (u[col] * u[share].fillna(0)).round().to_numpy(float)
    sub = [(t - family * R, tuple(p - family * R for p in parts)) for t, parts in eqs
           if family * R <= t < (family + 1) * R and len(parts) and all(
               family * R <= p < (family + 1) * R for p in parts)]
    return num, hidden[family * R:(family + 1) * R], sub


def test_cross_table_recovery_is_blocked():
    """The audit's example: P1 = {A, D}; publishing P1's and D's English learners gives A's."""
    from sounding.growth.aggregates import accountability_tables

    el = {"A": 4, "B": 12, "C": 13, "D": 20}
    rows = []
    for school, k in el.items():
        for i in range(k + 30):
            rows.append({"student_id": f"{school}{i}", "school_id": school, "district_id": "D1",
                         "sgp": 1 + (i * 7) % 99, "proficient": i % 3 == 0,
                         "catch_up": (i % 2 == 0) if i % 3 else pd.NA,
                         "keep_up": (i % 2 == 1) if i % 3 == 0 else pd.NA,
                         "english_learner": i < k})
    students = pd.DataFrame(rows)
    providers = pd.DataFrame({"provider_id": ["P1", "P1", "P2", "P3"],
                              "school_id": ["A", "D", "B", "C"]})
    pub = accountability_tables(students, providers=providers, subgroups=["english_learner"])
    full = accountability_tables(students, providers=providers, subgroups=["english_learner"],
                                 public=False)
    school = pub["school"].set_index(["school_id", "subgroup"])
    assert school.loc[("A", "English learner"), "suppression"] == "primary"
    prov = pub["provider"].set_index(["provider_id", "subgroup"])
    p1, d = prov.loc[("P1", "English learner"), "n"], school.loc[("D", "English learner"), "n"]
    assert p1 == SUPPRESSED or d == SUPPRESSED  # else 24 - 20 = 4
    u, values, hidden, eqs = released_system(full, pub, providers)
    assert determined_by_equations(values, hidden, eqs) == set()


@st.composite
def districts(draw):
    """Students of 1-2 districts, 2-4 schools, 1-2 subjects, an EL flag and a race code."""
    n_dist = draw(st.integers(1, 2))
    schools = [(f"D{d}", f"S{d}{s}") for d in range(n_dist)
               for s in range(draw(st.integers(1, 2)) if n_dist == 2 else draw(st.integers(2, 3)))]
    subjects = ["math", "reading"][:draw(st.sampled_from([1, 1, 2]))]
    shared = draw(st.booleans())
    prov_rows = []
    for _, s in schools:
        p = draw(st.sampled_from(["P1", "P2", None]))
        if p:
            prov_rows.append((p, s))
    if shared and schools:
        prov_rows.append(("P3", schools[0][1]))
        prov_rows.append(("P3", schools[-1][1]))
    providers = pd.DataFrame(sorted(set(prov_rows)), columns=["provider_id", "school_id"])
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    rows = []
    for d, s in schools:
        size = int(draw(st.integers(3, 30)))
        el = rng.random(size) < draw(st.sampled_from([0.1, 0.3]))
        race = rng.choice(["white", "hispanic", "aian"], size, p=[0.6, 0.3, 0.1])
        for subj in subjects:
            prior_prof = rng.random(size) < 0.4
            for i in range(size):
                rows.append({
                    "student_id": f"{s}-{i}", "subject": subj, "school_id": s, "district_id": d,
                    "sgp": int(rng.integers(1, 100)), "proficient": bool(rng.random() < 0.4),
                    "catch_up": bool(rng.random() < 0.3) if not prior_prof[i] else pd.NA,
                    "keep_up": bool(rng.random() < 0.6) if prior_prof[i] else pd.NA,
                    "english_learner": bool(el[i]), "race_ethnicity": race[i]})
    return pd.DataFrame(rows), providers, draw(st.sampled_from([5, 10]))


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(districts())
def test_released_tables_disclose_no_hidden_value(case):
    from sounding.growth.aggregates import accountability_tables

    students, providers, min_n = case
    levels = ["school", "district"] + (["provider"] if len(providers) else [])
    prov = providers if len(providers) else None
    pub = accountability_tables(students, providers=prov, min_n=min_n, levels=levels)
    full = accountability_tables(students, providers=prov, min_n=min_n, levels=levels,
                                 public=False)
    u, values, hidden, eqs = released_system(full, pub, providers)
    # each statistic is hidden when its own denominator is small (primary) ...
    status = np.concatenate([np.array([s[k] for s in u["status"]])
                             for k in range(len(FAMILIES))])
    assert ((values < min_n) == (status == PRIMARY)).all()
    # ... and no hidden count is determined by what all the tables publish together
    positive = values > 0
    assert determined_by_equations(np.where(positive, values, 1), hidden, eqs) & set(
        np.flatnonzero(positive)) == set()
    # nor any hidden numerator of a share (how many caught up / kept up)
    for fam in (1, 2):
        num, hid, sub = numerator_system(u, hidden, eqs, fam)
        assert determined_by_equations(num, hid, sub) & set(np.flatnonzero(num > 0)) == set()
