"""Triage at system, classroom and student level on hand-made classes (real graph)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sounding.errors import InvalidData, InvalidInput
from sounding.planning import (
    UNKNOWN_TIER,
    TriageConfig,
    default_scope_sequence,
    evidence_summary,
    triage,
)

TARGET = "5.NF.A.1"  # add and subtract fractions with unlike denominators
AS_OF = "2026-01-15"


def _levels(plan):
    return [(r.level, r.kind, tuple(r.standards), len(r.students)) for r in plan]


def test_five_of_twenty_is_classroom_level_at_default(build_class):
    m, st, cl = build_class(low={TARGET: 5})
    plan = triage(m, st, cl, as_of=AS_OF)
    assert _levels(plan) == [("classroom", "reteach", (TARGET,), 5)]
    r = plan.recommendations[0]
    # decided on the estimated share: (5 x 0.8 + 15 x 0.05) / 20 = 23.75% > 20%
    assert r.share == pytest.approx(0.2375)
    assert r.class_id == "c1" and r.school_id == "sch1"
    assert "an estimated 24% (90% interval" in r.reason and "20% threshold" in r.reason
    assert f"5 of 20 confirmed on {TARGET} by their own answers" in r.reason
    assert "20 of 20 answered it directly (60 answers)" in r.reason
    assert r.numbers["n_confirmed"] == {TARGET: 5} and not r.numbers["confirm_first"]
    assert 0.0 < r.confidence <= 1.0
    assert sorted(r.students) == [f"c1-s{i:02d}" for i in range(5)]
    # 23.75% of 20 is one student over 20%: the interval reaches down to it, and it says so
    lo = r.numbers["interval"][TARGET][0]
    assert r.numbers["near_threshold"] == (lo <= 0.20)
    assert ("reaches down to the threshold" in r.reason) == r.numbers["near_threshold"]


def test_a_class_far_over_the_threshold_is_not_hedged(build_class):
    m, st, cl = build_class(low={TARGET: 12})
    r = triage(m, st, cl, as_of=AS_OF).recommendations[0]
    assert r.level == "classroom" and not r.numbers["near_threshold"]
    assert "reaches down to the threshold" not in r.reason


def test_three_of_twenty_depends_on_threshold(build_class):
    m, st, cl = build_class(low={TARGET: 3})
    at10 = triage(m, st, cl, as_of=AS_OF, config=TriageConfig(threshold=0.10))
    at20 = triage(m, st, cl, as_of=AS_OF, config=TriageConfig(threshold=0.20))
    assert _levels(at10) == [("classroom", "reteach", (TARGET,), 3)]
    assert _levels(at20) == [("student", "targeted_help", (TARGET,), 3)]
    # the estimated share (3 x 0.8 + 17 x 0.05) / 20 = 16.25% is what both compare
    assert at10.recommendations[0].share == pytest.approx(0.1625)
    assert at20.recommendations[0].share == pytest.approx(0.1625)
    # under the threshold, but the interval reaches over it: the reason says to watch
    assert at20.recommendations[0].numbers["near_threshold"]
    assert "watch the class on" in at20.recommendations[0].reason


def test_two_of_twenty_is_student_level(build_class):
    m, st, cl = build_class(low={TARGET: 2})
    plan = triage(m, st, cl, as_of=AS_OF)
    assert _levels(plan) == [("student", "targeted_help", (TARGET,), 2)]
    r = plan.recommendations[0]
    assert r.students == ["c1-s00", "c1-s01"]
    assert r.confidence == pytest.approx(0.8)  # mean of 1 - p over the flagged students


def test_exactly_the_threshold_is_not_more_than_it(build_class):
    m, st, cl = build_class(low={TARGET: 4})  # 20% at a 20% threshold: strictly more needed
    assert _levels(triage(m, st, cl, as_of=AS_OF))[0][0] == "student"


def test_threshold_outside_cde_range_is_refused():
    with pytest.raises(InvalidInput):
        TriageConfig(threshold=0.3)
    with pytest.raises(InvalidInput):
        TriageConfig(threshold=0.05)


def test_thin_evidence_confirms_no_student_but_counts_in_the_estimate(build_class):
    # one answer each, no sd: nobody is confirmed, but the estimate is over the threshold
    m, st, cl = build_class(low={TARGET: 6}, n_evidence=1)
    plan = triage(m, st, cl, as_of=AS_OF)
    assert _levels(plan) == [("classroom", "reteach", (TARGET,), 6)]
    r = plan.recommendations[0]
    assert r.numbers["n_confirmed"] == {TARGET: 0}
    assert r.share == pytest.approx(0.275)
    # every student answered it once: the estimate is measured, not inferred
    assert not r.numbers["confirm_first"] and not r.action.startswith("Confirm first")
    # a confident posterior on one answer (the old bypass) confirms nobody either
    m2 = m.assign(sd=0.05)
    assert triage(m2, st, cl, as_of=AS_OF).recommendations[0].numbers["n_confirmed"] == {
        TARGET: 0}
    # and never makes targeted help for a student
    assert not plan.select(level="student")


def test_an_inferred_gap_is_classroom_level_and_confirmed_first(build_class):
    # nobody answered TARGET directly: 8 of 20 inferred not secure from the rest of the graph
    m, st, cl = build_class(low={TARGET: 8})
    m.loc[m["standard"] == TARGET, "n_evidence"] = 0
    plan = triage(m, st, cl, as_of=AS_OF)
    r = plan.select(level="classroom")
    assert len(r) == 1 and r[0].standards == [TARGET]
    assert r[0].numbers["confirm_first"] and r[0].numbers["n_answered"] == 0
    assert r[0].action.startswith(f"Confirm first: give a short targeted check on {TARGET}")
    assert "thin direct evidence" in r[0].reason and "0 of 20 confirmed" in r[0].reason


RELATED = ("4.NF.A.1", "4.NF.B.3", "5.NF.A.2")  # direct prerequisites and cluster of TARGET


def test_one_answer_corroborated_by_related_answers_is_enough(build_class):
    # each of 6 students: one answer on TARGET and one on each related standard, all low
    m, st, cl = build_class(low={TARGET: 6, **{c: 6 for c in RELATED}}, n_evidence=1)
    plan = triage(m, st, cl, as_of=AS_OF)

    def confirmed(plan):
        return {c: k for r in plan for c, k in r.numbers.get("n_confirmed", {}).items()}

    assert confirmed(plan)[TARGET] == 6
    rec = next(r for r in plan.select(level="classroom") if TARGET in r.standards)
    assert sorted(rec.students) == [f"c1-s{i:02d}" for i in range(6)]
    # one related answer pointing the other way (secure) removes the corroboration
    m2 = m.copy()
    sec = m2["student_id"].isin(st["student_id"]) & (m2["standard"] == "4.NF.B.3")
    m2.loc[sec, "p_mastered"] = 0.95
    assert confirmed(triage(m2, st, cl, as_of=AS_OF))[TARGET] == 0
    # a single related answer is not enough corroboration either
    m3, st3, cl3 = build_class(low={TARGET: 6, "5.NF.A.2": 6}, n_evidence=1)
    m3.loc[m3["standard"].isin(["4.NF.A.1", "4.NF.B.3"]), "n_evidence"] = 0
    assert confirmed(triage(m3, st3, cl3, as_of=AS_OF))[TARGET] == 0


def test_two_direct_answers_are_enough_alone(build_class):
    m, st, cl = build_class(low={TARGET: 6}, n_evidence=1)
    m.loc[m["standard"] == TARGET, "n_evidence"] = 2
    assert _levels(triage(m, st, cl, as_of=AS_OF)) == [("classroom", "reteach", (TARGET,), 6)]


def _stale_pair(build_class, combined):
    fresh = build_class(low={TARGET: 2}, class_id="c1")
    stale = build_class(low={TARGET: 8}, class_id="c2")
    m, st, cl = combined(fresh, stale)
    rows = []
    for s in st["student_id"]:
        when = "2025-09-05T10:00:00Z" if s.startswith("c2") else "2026-01-10T10:00:00Z"
        rows.append((s, "5.NF.A.1", 1, when))
    ev = evidence_summary(pd.DataFrame(rows, columns=["student_id", "standard", "correct",
                                                      "timestamp"]))
    return m, st, cl, ev


def test_class_without_recent_evidence_is_a_system_finding(build_class, combined):
    m, st, cl, ev = _stale_pair(build_class, combined)
    plan = triage(m, st, cl, evidence=ev, as_of=AS_OF)
    c2 = plan.select(class_id="c2")
    assert [(r.level, r.kind) for r in c2] == [("system", "stale_class")]
    assert c2[0].share == 1.0 and len(c2[0].students) == 20
    assert "2025-09-05" in c2[0].reason
    # the fresh class is still planned normally
    assert [(r.level, r.kind) for r in plan.select(class_id="c1")] == [
        ("student", "targeted_help")]


def test_no_tier_on_stale_evidence(build_class, combined):
    m, st, cl, ev = _stale_pair(build_class, combined)
    plan = triage(m, st, cl, evidence=ev, as_of=AS_OF)
    t = plan.tiers.set_index("student_id")
    stale = [s for s in st["student_id"] if s.startswith("c2")]
    fresh = [s for s in st["student_id"] if s.startswith("c1")]
    assert t.loc[stale, "tier"].isna().all()
    assert (t.loc[stale, "label"] == UNKNOWN_TIER).all()
    assert t.loc[stale, "reason"].str.contains("latest answer 2025-09-05").all()
    assert (t.loc[fresh, "tier"] == 1).all()
    recs = {r["student_id"]: r for r in plan.to_dict()["tiers"]}
    assert recs["c2-s00"]["tier"] == "unknown: no recent evidence"
    assert recs["c1-s00"]["tier"] == 1 and recs["c1-s00"]["reason"].startswith("Tier 1")
    assert plan.summary()["no_tier"] == 20
    assert plan.capacity["n_tiered"].sum() == 20  # the capacity check counts only tiered


def test_class_with_no_evidence_at_all(build_class):
    m, st, cl = build_class(low={TARGET: 10}, n_evidence=0)
    m["sd"] = 0.01  # even a "confident" inferred posterior is not enough without any answer
    plan = triage(m, st, cl, as_of=AS_OF)
    assert [r.kind for r in plan] == ["stale_class"]
    assert all(r.level == "system" for r in plan)
    assert plan.tiers["tier"].isna().all()


def test_school_wide_when_most_classes_share_a_topic(build_class, combined):
    parts = [build_class(low={TARGET: 6}, class_id=f"c{k}") for k in range(3)]
    parts.append(build_class(low={}, class_id="c3"))
    m, st, cl = combined(*parts)
    plan = triage(m, st, cl, as_of=AS_OF)
    sw = plan.select(kind="school_wide")
    assert len(sw) == 1
    assert sw[0].level == "system" and sw[0].classes == ["c0", "c1", "c2"]
    assert sw[0].share == pytest.approx(0.75)
    assert "3 of 4 grade-5 classes" in sw[0].reason
    assert len(sw[0].students) == 18
    # listed once as a system finding, not as three classroom findings
    assert not plan.select(level="classroom") and not plan.select(level="student")
    # a teacher of c0 sees the school-wide finding; c3 (not covered) does not
    assert [r.kind for r in plan.select(class_id="c0")] == ["school_wide"]
    assert plan.select(class_id="c3") == []
    # half of the classes is not "most": with 2 classes, the lone-class rule decides
    m1, st1, cl1 = combined(build_class(low={TARGET: 6}, class_id="c0"),
                            build_class(low={}, class_id="c1"))
    p1 = triage(m1, st1, cl1, as_of=AS_OF)
    assert not p1.select(kind="school_wide")
    assert [r.numbers["basis"] for r in p1.select(level="classroom")] == ["lone_class"]


def test_district_wide_across_schools(build_class, combined):
    parts = [build_class(low={TARGET: 6}, class_id=f"a{k}", school_id="sA") for k in range(2)]
    parts += [build_class(low={TARGET: 7}, class_id="b0", school_id="sB"),
              build_class(low={}, class_id="b1", school_id="sB")]
    m, st, cl = combined(*parts)
    plan = triage(m, st, cl, as_of=AS_OF)
    dw = plan.select(kind="district_wide")
    assert len(dw) == 1 and dw[0].school_id is None and dw[0].level == "system"
    assert dw[0].classes == ["a0", "a1", "b0"] and dw[0].share == pytest.approx(0.75)
    assert "3 of 4 grade-5 classes (75%) across 2 schools" in dw[0].reason
    assert not plan.select(kind="school_wide")  # listed once, at the district
    assert not plan.select(level="classroom")
    assert [r.kind for r in plan.select(class_id="b0")] == ["district_wide"]
    assert [r.kind for r in plan.restricted(school_id="sB")] == ["district_wide"]


def test_a_class_that_stands_out_from_its_peers_is_classroom_level(build_class, combined):
    # 6 classes in 3 schools; 5 have a few students not secure, one has 14 of 20
    parts = [build_class(low={TARGET: 14}, class_id="x0", school_id="s0")]
    parts += [build_class(low={TARGET: k}, class_id=f"x{i + 1}", school_id=f"s{i % 3}")
              for i, k in enumerate((1, 2, 1, 0, 2))]
    m, st, cl = combined(*parts)
    plan = triage(m, st, cl, as_of=AS_OF)
    rec = plan.select(level="classroom")
    assert [(r.class_id, r.numbers["basis"]) for r in rec] == [("x0", "stands_out")]
    assert rec[0].numbers["q_value"] <= 0.10 and "stands out" in rec[0].reason
    assert rec[0].confidence <= 1 - rec[0].numbers["q_value"] + 1e-9
    assert not plan.select(level="system")


def test_a_class_that_stands_out_among_weak_peers_keeps_its_own_finding(build_class,
                                                                         combined):
    # most classes have 6 of 20 not secure (district-wide), one has 18 of 20
    parts = [build_class(low={TARGET: 18}, class_id="z0", school_id="s0")]
    parts += [build_class(low={TARGET: 6}, class_id=f"z{i + 1}", school_id=f"s{i % 2}")
              for i in range(5)]
    m, st, cl = combined(*parts)
    plan = triage(m, st, cl, as_of=AS_OF)
    dw = plan.select(kind="district_wide")
    assert len(dw) == 1 and len(dw[0].classes) == 6
    assert dw[0].numbers["stands_out"] == ["z0"]
    rec = plan.select(level="classroom")
    assert [(r.class_id, r.numbers["basis"]) for r in rec] == [("z0", "stands_out")]
    assert rec[0].numbers["covered_by_system"]
    assert {r.kind for r in plan.select(class_id="z0")} == {"district_wide", "reteach"}


def test_over_the_threshold_is_never_demoted_for_not_standing_out(build_class, combined):
    # 2 of 6 classes at 5 of 20 (24% estimated), the rest at 3 of 20 (16%): the grade as a
    # whole is at 19%, so no system finding; the two classes do not stand out statistically,
    # but more than 20% of each is not secure: a classroom matter all the same (CDE)
    ks = (5, 5, 3, 3, 3, 3)
    parts = [build_class(low={TARGET: k}, class_id=f"y{i}", school_id=f"s{i % 3}")
             for i, k in enumerate(ks)]
    m, st, cl = combined(*parts)
    plan = triage(m, st, cl, as_of=AS_OF)
    assert not plan.select(level="system")
    assert sorted(r.class_id for r in plan.select(level="classroom")) == ["y0", "y1"]
    y0 = plan.select(class_id="y0")
    assert [(r.level, len(r.students)) for r in y0] == [("classroom", 5)]
    assert y0[0].numbers["basis"] == "above_threshold" and not y0[0].numbers["distinctive"]
    assert "does not stand out from the grade's classes statistically" in y0[0].reason
    assert {r.level for r in plan.select(class_id="y2")} == {"student"}


def test_small_class_says_it_is_too_small_to_judge(build_class):
    # all 4 not secure: over the threshold, so the (small) class is taught it again together
    m, st, cl = build_class(n=4, low={TARGET: 4})
    r = triage(m, st, cl, as_of=AS_OF).select(level="classroom")
    assert len(r) == 1 and r[0].share == pytest.approx(0.8)
    assert r[0].numbers["basis"] == "small_class" and "a class of 4" in r[0].reason
    # a class of 4 with one student confirmed on 5.NBT.A.1 (estimate 24%) is over it too;
    # with 12 other students secure... the smallest class has only targeted help when its
    # estimate is at or under the threshold
    m2, st2, cl2 = build_class(n=4, low={TARGET: 1})
    m2.loc[m2["standard"] == TARGET, "p_mastered"] = [0.45, 0.99, 0.99, 0.99]
    m2.loc[(m2["standard"] == TARGET) & (m2["student_id"] == "c1-s00"), "p_mastered"] = 0.4
    r2 = triage(m2, st2, cl2, as_of=AS_OF).select(level="student")
    assert len(r2) == 1 and r2[0].numbers["n_not_secure"] == 1
    assert "too small to judge as a class" in r2[0].reason
    assert "at or under" not in r2[0].reason and "isolated" not in r2[0].reason


def test_cluster_share_is_the_quantity_the_reason_states(build_class):
    low = {"5.NF.A.1": 6, "5.NF.A.2": 5}
    m, st, cl = build_class(low=low)
    # students 6-9 miss only 5.NF.A.2, so 10 students miss at least one of the two
    hit = m["student_id"].isin([f"c1-s{i:02d}" for i in range(6, 9)]) & (
        m["standard"] == "5.NF.A.2")
    m.loc[hit, "p_mastered"] = 0.2
    r = triage(m, st, cl, as_of=AS_OF).select(level="classroom")[0]
    assert len(r.students) == 9
    est = r.numbers["estimated_share"]
    # the share is the worst standard's estimate, and the reason opens with it
    assert r.share == pytest.approx(max(est.values()))
    assert est["5.NF.A.2"] == pytest.approx((8 * 0.8 + 12 * 0.05) / 20)
    assert r.reason.startswith(f"an estimated {r.share:.0%} (90% interval")
    assert r.standards[0] == "5.NF.A.2"  # listed worst first


def test_one_student_is_this_student(build_class):
    m, st, cl = build_class(low={TARGET: 1})
    r = triage(m, st, cl, as_of=AS_OF).recommendations[0]
    assert "for this student on" in r.action and "these 1" not in r.action


def test_related_standards_of_one_cluster_are_one_reteach(build_class):
    m, st, cl = build_class(low={"5.NF.A.1": 6, "5.NF.A.2": 5})
    plan = triage(m, st, cl, as_of=AS_OF)
    assert _levels(plan) == [("classroom", "reteach", ("5.NF.A.1", "5.NF.A.2"), 6)]
    assert plan.recommendations[0].numbers["n_confirmed"] == {"5.NF.A.1": 6, "5.NF.A.2": 5}


def test_unit_comes_from_the_scope_and_untaught_standards_are_skipped(build_class):
    scope = default_scope_sequence()
    unit = scope.unit_of(TARGET)
    m, st, cl = build_class(low={TARGET: 6})
    after = triage(m, st, cl, scope=scope, as_of=unit.start_date.isoformat())
    assert after.recommendations[0].unit["unit_id"] == unit.unit_id
    # before the unit starts, the class has not been taught it: nothing to reteach
    day_before = (pd.Timestamp(unit.start_date) - pd.Timedelta(days=1)).date()
    assert len(triage(m, st, cl, scope=scope, as_of=day_before)) == 0


def test_roster_findings(build_class):
    m, st, cl = build_class(low={})
    st = st.copy()
    st.loc[st.index[:3], "class_id"] = None  # three students in no class
    cl = pd.concat([cl, pd.DataFrame({"class_id": ["empty"], "school_id": ["sch1"],
                                      "grade": [5], "title": ["Math 5"],
                                      "teacher_ids": ["t2"]})], ignore_index=True)
    extra = pd.DataFrame({"student_id": ["ghost"], "standard": [TARGET], "p_mastered": [0.1],
                          "n_evidence": [4]})
    plan = triage(pd.concat([m, extra]), st, cl, as_of=AS_OF)
    kinds = {r.kind: r for r in plan}
    assert set(kinds) == {"unlinked_students", "empty_classes", "unknown_students"}
    assert len(kinds["unlinked_students"].students) == 3
    assert kinds["empty_classes"].classes == ["empty"]
    assert kinds["unknown_students"].students == ["ghost"]


def test_grade_level_only_evidence(build_class):
    m, st, cl = build_class(low={})
    m = m.copy()
    below = m["standard"].map(lambda c: not c.startswith("5."))
    m.loc[below, "n_evidence"] = 0
    plan = triage(m, st, cl, as_of=AS_OF)
    assert [r.kind for r in plan] == ["grade_level_only"]
    assert plan.recommendations[0].school_id == "sch1"


def test_a_whole_grade_without_below_grade_evidence(build_class, combined):
    parts = [build_class(low={}, class_id=f"g{k}", school_id=f"s{k}") for k in range(2)]
    m, st, cl = combined(*parts)
    below = m["standard"].map(lambda c: not c.startswith("5."))
    m.loc[below, "n_evidence"] = 0
    plan = triage(m, st, cl, as_of=AS_OF)
    grade = [r for r in plan.select(kind="grade_level_only") if r.grade == 5]
    assert len(grade) == 1 and grade[0].school_id is None and grade[0].classes == ["g0", "g1"]
    assert "across 2 schools" in grade[0].reason and "confirm first" in grade[0].reason
    assert "diagnostic that reaches below grade" in grade[0].action
    # a teacher of either class sees it
    assert grade[0] in plan.select(class_id="g1")


def test_family_connection_where_signals_exist(build_class):
    m, st, cl = build_class(low={})
    st = st.copy()
    st["family_contact"] = [0.2] * 8 + [0.9] * 12
    plan = triage(m, st, cl, as_of=AS_OF)
    fam = plan.select(kind="family_connection")
    assert len(fam) == 1 and fam[0].share == pytest.approx(0.4)
    st["family_contact"] = [0.2] * 2 + [0.9] * 18
    assert not triage(m, st, cl, as_of=AS_OF).select(kind="family_connection")


def test_capacity_far_off_is_a_system_finding(build_class):
    # every student misses the grade-3 and grade-4 major fractions and operations work
    low = {c: 20 for c in ("3.NF.A.1", "3.NF.A.2", "3.NF.A.3", "3.OA.A.1", "3.OA.A.2",
                           "4.NF.A.1", "4.NF.A.2", "4.NF.B.3", "4.OA.A.1", "4.OA.A.2")}
    m, st, cl = build_class(low=low)
    plan = triage(m, st, cl, as_of=AS_OF)
    cap = plan.select(kind="mtss_capacity")
    assert len(cap) == 1
    assert "core instruction needs strengthening" in cap[0].reason
    assert (plan.tiers["tier"] == 3).all()


def test_serialises_to_json_and_frame(build_class):
    m, st, cl = build_class(low={TARGET: 5, "5.NBT.A.1": 2})
    plan = triage(m, st, cl, as_of=AS_OF, scope=default_scope_sequence())
    d = json.loads(json.dumps(plan.to_dict()))
    rec = d["recommendations"][0]
    for key in ("level", "standards", "students", "share", "reason", "class_id", "school_id",
                "confidence", "unit"):
        assert key in rec
    assert d["summary"]["by_level"] == {"system": 0, "classroom": 1, "student": 1}
    assert list(plan.to_frame()["level"]) == ["classroom", "student"]


def test_bad_tables_name_the_field(build_class):
    m, st, cl = build_class(low={})
    with pytest.raises(InvalidData, match="p_mastered"):
        triage(m.assign(p_mastered=1.5), st, cl)
    with pytest.raises(InvalidData, match="standard"):
        triage(m.assign(standard="9.ZZ.A.1"), st, cl)
    with pytest.raises(InvalidData, match="grade"):
        triage(m, st.drop(columns=["grade"]), cl)
