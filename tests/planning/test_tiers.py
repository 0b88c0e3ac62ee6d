"""MTSS tiers from depth and breadth of unfinished learning, and the capacity check."""

from __future__ import annotations

import pandas as pd
import pytest

from sounding.errors import InvalidInput
from sounding.planning import UNKNOWN_TIER, TierRule, assign_tiers, capacity_check

G3_MAJOR = ["3.NF.A.1", "3.NF.A.2", "3.NF.A.3", "3.OA.A.1", "3.OA.A.2", "3.OA.A.3",
            "3.OA.A.4", "3.OA.B.5", "3.OA.B.6", "3.OA.C.7"]
G4_MAJOR = ["4.NF.A.1", "4.NF.A.2", "4.NF.B.3", "4.NF.B.4"]


def _tiers(build_class, low, **kw):
    m, st, cl = build_class(n=10, low=low)
    return assign_tiers(m, st, **kw)


def test_secure_students_are_tier1(build_class):
    t = _tiers(build_class, {})
    assert (t["tier"] == 1).all() and (t["depth"] == 0).all() and (t["breadth"] == 0).all()


def test_one_grade_down_few_gaps_is_tier2(build_class):
    t = _tiers(build_class, {c: 1 for c in G4_MAJOR})
    row = t.iloc[0]
    assert (row["tier"], row["depth"], row["breadth"]) == (2, 1, 4)
    assert "Tier 2" in row["reason"]
    assert (t["tier"].iloc[1:] == 1).all()


def test_deep_and_broad_is_tier3(build_class, graph):
    assert all(graph[c].is_major for c in G3_MAJOR + G4_MAJOR)
    t = _tiers(build_class, {c: 1 for c in G3_MAJOR})
    assert (t["tier"].iloc[0], t["depth"].iloc[0], t["breadth"].iloc[0]) == (3, 2, 10)
    # three fewer: deep but not broad enough for Tier 3
    t = _tiers(build_class, {c: 1 for c in G3_MAJOR[:7]})
    assert (t["tier"].iloc[0], t["breadth"].iloc[0]) == (2, 7)


def test_shallow_but_broad_is_tier2(build_class, graph):
    at_grade = [c for c in graph.grade_codes(5) if graph[c].is_major][:10]
    t = _tiers(build_class, {c: 1 for c in at_grade})
    assert (t["tier"].iloc[0], t["depth"].iloc[0], t["breadth"].iloc[0]) == (2, 0, 10)


def test_cut_points_are_configurable(build_class):
    t = _tiers(build_class, {c: 1 for c in G4_MAJOR},
               rule=TierRule(tier2_breadth=5, tier3_breadth=8))
    assert t["tier"].iloc[0] == 1
    with pytest.raises(InvalidInput):
        TierRule(tier2_breadth=9, tier3_breadth=8)


def test_no_evidence_gets_no_tier(build_class):
    m, st, cl = build_class(n=4, low={c: 4 for c in G3_MAJOR}, n_evidence=0)
    t = assign_tiers(m, st)
    assert t["tier"].isna().all()


def test_capacity_check_statuses():
    def frame(n1, n2, n3, school="a"):
        return pd.DataFrame({"school_id": school,
                             "tier": pd.array([1] * n1 + [2] * n2 + [3] * n3, dtype="Int64")})

    t = pd.concat([frame(82, 13, 5, "ok"), frame(72, 20, 8, "watch"),
                   frame(60, 25, 15, "far")])
    cap = capacity_check(t).set_index("group")
    assert cap.loc["ok", "status"] == "ok"
    assert cap.loc["watch", "status"] == "watch"
    assert cap.loc["far", "status"] == "far_off"
    assert "core instruction needs strengthening" in cap.loc["far", "message"]
    assert cap.loc["far", "tier3_share"] == pytest.approx(0.15)
    whole = capacity_check(t, by=None)
    assert len(whole) == 1 and whole["n_tiered"].iloc[0] == 300


def test_stale_evidence_gets_no_tier(build_class):
    m, st, cl = build_class(n=4, low={c: 4 for c in G3_MAJOR})
    ev = pd.DataFrame({"student_id": st["student_id"],
                       "last_response": ["2025-01-10", "2025-01-10", "2026-01-10", "2026-01-10"]})
    t = assign_tiers(m, st, evidence=ev, as_of=pd.Timestamp("2026-01-15").date())
    assert t["tier"].isna().tolist() == [True, True, False, False]
    assert (t["label"].iloc[:2] == UNKNOWN_TIER).all()
    assert t["reason"].iloc[0].startswith(UNKNOWN_TIER) and "2025-01-10" in t["reason"].iloc[0]
    assert (t["tier"].iloc[2:] == 3).all()
