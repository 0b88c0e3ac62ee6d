"""Public tables against an intruder: coded shares, and an LP audit that must recover nothing.

The adversary (:mod:`sounding.growth.adversary`) rebuilds every sum between the released
tables from their labels and bounds every hidden cell with linear programmes. It is shown to
work on the earlier release (exact shares, a count audit blind to what the published reasons
and listed rows tell), where it recovers hidden counts and whole groups' results, and to find
nothing in today's release of hand-made small schools, random small districts and the
simulated demo district.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sounding.errors import InvalidInput
from sounding.growth.adversary import audit_release
from sounding.growth.aggregates import accountability_tables
from sounding.growth.coding import (
    DEFAULT_CODING,
    Band,
    code_mean,
    coding_from_cuts,
    mean_interval,
    share_count_bounds,
    share_interval,
)

# ------------------------------------------------------------------------------ the coding


def test_every_coded_share_contains_its_count_and_never_pins_an_extreme() -> None:
    for n in range(1, 420):
        for k in range(n + 1):
            label = DEFAULT_CODING.code(k / n, n)
            if label is None:
                assert n < 3  # only groups too small for any band are refused
                continue
            lo, hi = share_count_bounds(label, n)
            assert lo <= k <= hi, (n, k, label)
            if label[0] in "≤≥>":
                assert hi - lo >= 1, (n, k, label)  # a coded end never says "all" or "none"


def test_bands_widen_for_small_groups() -> None:
    c = DEFAULT_CODING
    assert [c.code(0.0, n) for n in (10, 20, 40, 100, 1000)] == [
        "≤50%", "≤20%", "≤10%", "≤5%", "≤1%"]
    assert [c.code(1.0, n) for n in (10, 20, 40, 100, 1000)] == [
        ">50%", "≥80%", "≥90%", "≥95%", "≥99%"]
    assert c.code(0.34, 20) == "30-39%" and c.code(0.34, 40) == "30-34%"
    assert c.code(0.347, 100) == "35%"
    # one row wider, and past the widest row the share is not published
    assert c.coarser().code(0.347, 100) == "30-34%"
    assert c.coarser().code(0.6, 12) is None
    assert share_interval("30-39%") == (0.30, 0.40)
    assert share_count_bounds(">50%", 12) == (7, 12)
    assert share_count_bounds("35%", 100) == (35, 35)
    assert code_mean(0.0) == "<0.5" and code_mean(2.345) == "2.3"
    assert code_mean(-1.26, signed=True) == "-1.3"
    assert mean_interval("<0.5") == (0.0, 0.5)


def test_a_state_rule_is_configurable_and_checked() -> None:
    rule = coding_from_cuts([(10, 0.5, None), (40, 0.1, 5)])
    assert rule.code(0.02, 30) == "≤50%" and rule.code(0.02, 50) == "≤10%"
    with pytest.raises(InvalidInput):
        Band(10, 0.6, None)
    with pytest.raises(InvalidInput):
        Band(10, 0.2, None)  # two bands only meet at 50 %
    with pytest.raises(InvalidInput):
        coding_from_cuts([(40, 0.1, 5), (10, 0.5, None)])


# ------------------------------------------------------------------------------ small schools


def _students(spec: list[tuple[str, int, int, int]], seed: int = 0) -> pd.DataFrame:
    """Schools as (school_id, students, English learners, proficient English learners)."""
    rng = np.random.default_rng(seed)
    rows = []
    k = 0
    for school, n, n_el, prof_el in spec:
        for i in range(n):
            el = i < n_el
            prof = (i < prof_el) if el else bool(rng.random() < 0.45)
            prior = bool(rng.random() < 0.5)
            rows.append({"student_id": f"s{k}", "school_id": school, "district_id": "d1",
                         "sgp": int(rng.integers(1, 100)), "proficient": prof,
                         "english_learner": el,
                         "catch_up": None if prior else bool(rng.random() < 0.3),
                         "keep_up": bool(rng.random() < 0.7) if prior else None})
            k += 1
    return pd.DataFrame(rows)


def test_the_earlier_release_gives_away_a_lone_english_learner() -> None:
    """School A: 11 students, one English learner. The earlier release hid that student's
    row (primary) and the other ten (complementary) but published "All students: 11": a
    reader who knows a listed group has a student and a complementary cell has at least ten
    pins the learner at exactly one."""
    df = _students([("A", 11, 1, 0), ("B", 60, 12, 3), ("C", 45, 9, 2)])
    old = accountability_tables(df, subgroups=["english_learner"], min_n=10, coding=None,
                                strict_audit=False)
    found = audit_release(old, min_n=10)
    counts = [f for f in found.recovered if f.column == "n"]
    assert any("A English learner" in f.where and f.value == 1 for f in counts), found.summary()
    new = accountability_tables(df, subgroups=["english_learner"], min_n=10)
    assert audit_release(new, min_n=10).safe, audit_release(new, min_n=10).summary()


def test_a_zero_share_no_longer_tells_every_members_result() -> None:
    """No English learner of school B is proficient: the earlier release published 0.0 for
    the group (every member's result); today the share is coded and nothing is disclosed."""
    df = _students([("A", 40, 0, 0), ("B", 70, 14, 0), ("C", 55, 11, 4)], seed=3)
    old = accountability_tables(df, subgroups=["english_learner"], min_n=10, coding=None,
                                strict_audit=False)
    leaks = audit_release(old, min_n=10).individual
    assert any(f.kind == "none_met" and f.column == "proficient_share"
               and "B English learner" in f.where for f in leaks)
    new = accountability_tables(df, subgroups=["english_learner"], min_n=10)
    b = new["school"]
    cell = b[(b["school_id"] == "B") & (b["subgroup"] == "English learner")].iloc[0]
    assert cell["proficient_share"] == "≤50%"
    assert audit_release(new, min_n=10).safe


def test_a_weakened_release_is_caught() -> None:
    """Drop the coding of one school's "All students" share back to the exact number: with
    the coded shares of its subgroups the audit again learns whole groups' results."""
    df = _students([("A", 12, 10, 0), ("B", 30, 3, 0), ("C", 25, 5, 1)], seed=5)
    for s in ("A",):
        m = df["school_id"] == s
        df.loc[m & ~df["english_learner"], "proficient"] = False
    new = accountability_tables(df, subgroups=["english_learner"], min_n=10)
    assert audit_release(new, min_n=10).safe
    exact = accountability_tables(df, subgroups=["english_learner"], min_n=10, public=False)
    weak = {k: v.copy() for k, v in new.items()}
    t = weak["school"]
    row = t.index[(t["school_id"] == "A") & (t["subgroup"] == "All students")][0]
    t["proficient_share"] = t["proficient_share"].astype(object)
    t.at[row, "proficient_share"] = float(exact["school"].at[row, "proficient_share"])
    found = audit_release(weak, min_n=10)
    assert found.individual, found.summary()


@pytest.mark.parametrize("seed", range(6))
def test_random_small_districts_leak_nothing(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n_sch = int(rng.integers(2, 5))
    rows = []
    for s in range(n_sch):
        n = int(rng.integers(8, 45))
        for i in range(n):
            prior = bool(rng.random() < 0.4)
            rows.append({
                "student_id": f"{s}-{i}", "school_id": f"S{s}", "district_id": "d1",
                "sgp": int(rng.integers(1, 100)), "proficient": bool(rng.random() < 0.3),
                "english_learner": bool(rng.random() < 0.2),
                "disability": bool(rng.random() < 0.12),
                "race_ethnicity": rng.choice(["white", "hispanic", "black", "asian"],
                                             p=[0.5, 0.3, 0.15, 0.05]),
                "catch_up": None if prior else bool(rng.random() < 0.2),
                "keep_up": bool(rng.random() < 0.8) if prior else None,
                "provider_id": "P1" if s % 2 == 0 else None})
    df = pd.DataFrame(rows)
    tables = accountability_tables(df, min_n=10)
    providers = df.dropna(subset=["provider_id"])[["provider_id", "school_id"]]
    with pytest.raises(InvalidInput):
        audit_release(tables, min_n=10)  # the provider table needs the mapping
    found = audit_release(tables, min_n=10, providers=providers.drop_duplicates())
    assert found.safe, found.summary()


# ------------------------------------------------------------------------------ the demo district


@pytest.fixture(scope="module")
def demo_rows():
    """The demo district's students (3,000, seed 7) with SGPs and lagged targets."""
    from sounding.growth import GrowthPercentiles, lagged_growth_targets
    from sounding.growth.students import accountability_students, cuts_from_levels
    from sounding.simulate import DistrictSpec, simulate_district

    d = simulate_district(DistrictSpec(n_students=3000, seed=7))
    scores = d.scores
    model = GrowthPercentiles(max_order=2)
    sgp = model.fit_transform(scores)
    cuts = cuts_from_levels(scores)
    targets = lagged_growth_targets(model, scores, cuts, sgp=sgp)
    roster = d.truth_students.drop(columns=["proficient", "grade"]).assign(district_id="d1")
    roster["provider_id"] = roster["provider_id"].replace("", None)
    rows = accountability_students(sgp, scores, roster, targets, cuts=cuts)
    return rows, d.providers


def test_demo_district_release_recovers_nothing(demo_rows) -> None:
    rows, providers = demo_rows
    tables = accountability_tables(rows, min_n=10)
    assert set(tables) == {"school", "district", "provider"}
    found = audit_release(tables, min_n=10, providers=providers)
    assert found.hidden_cells > 50  # there is something to protect
    assert found.safe, found.summary()
    old = accountability_tables(rows, min_n=10, coding=None, strict_audit=False)
    leaks = audit_release(old, min_n=10, providers=providers)
    assert len(leaks.individual) >= 5, leaks.summary()


def test_an_empty_release_is_audited_without_error() -> None:
    """No student has an SGP yet: the tables are empty, and so is the audit."""
    df = _students([("A", 12, 2, 0)]).assign(sgp=np.nan)
    tables = accountability_tables(df, subgroups=["english_learner"], min_n=10)
    assert all(len(t) == 0 for t in tables.values())
    found = audit_release(tables, min_n=10)
    assert found.safe and found.rows == 0
