"""The short checks a plan asks for: exactly its unsure findings, one check per class."""

from __future__ import annotations

import pytest

from sounding.errors import InvalidInput
from sounding.planning import triage
from sounding.planning.checks import MAX_STANDARDS, confirm_checks
from sounding.planning.triage import Recommendation

TARGET = "5.NF.A.1"
AS_OF = "2026-01-15"


def test_a_class_far_over_the_threshold_needs_no_check(build_class):
    m, st, cl = build_class(low={TARGET: 12})
    plan = triage(m, st, cl, as_of=AS_OF)
    assert plan.recommendations[0].level == "classroom"
    assert plan.checks() == []
    assert plan.to_dict()["checks"] == []


def test_a_class_at_the_threshold_is_checked_on_that_standard(build_class):
    m, st, cl = build_class(low={TARGET: 4})  # exactly 20%: student level, interval above it
    plan = triage(m, st, cl, as_of=AS_OF)
    r = plan.recommendations[0]
    assert r.level == "student" and r.numbers["near_threshold"]
    assert "short check of the whole class" in r.reason
    (chk,) = plan.checks()
    assert (chk.class_id, chk.school_id, chk.grade) == ("c1", "sch1", 5)
    assert chk.standards == [TARGET] and chk.n_students == 20
    assert chk.items_per_standard == 3 and chk.n_items == 3
    assert chk.findings[0]["level"] == "student"
    assert "reaches above the threshold" in chk.findings[0]["why"]
    d = plan.to_dict()["checks"][0]
    assert d["standards"] == [TARGET] and "3 items" in d["reason"]


def test_thin_evidence_is_checked_first(build_class):
    # nobody answered TARGET directly: 8 of 20 inferred not secure from the rest of the graph
    m, st, cl = build_class(low={TARGET: 8})
    m.loc[m["standard"] == TARGET, "n_evidence"] = 0
    plan = triage(m, st, cl, as_of=AS_OF)
    (r,) = plan.select(level="classroom")
    assert r.numbers["confirm_first"]
    (chk,) = plan.checks(items_per_standard=2)
    assert chk.standards == [TARGET] and chk.n_items == 2
    assert chk.findings[0]["why"] == "the estimate rests on thin direct evidence"


def _rec(code: str, **numbers) -> Recommendation:
    return Recommendation(level="student", kind="targeted_help", standards=[code],
                          students=["s1"], share=0.18, reason="", action="", confidence=0.5,
                          class_id="c1", school_id="sch1", grade=5, numbers=numbers)


def test_a_long_check_is_split_into_short_sittings():
    codes = ["5.NF.A.1", "5.NF.A.2", "5.NBT.A.1", "5.NBT.A.2", "5.NBT.B.5", "5.NBT.B.6",
             "5.NBT.B.7", "5.OA.A.1"]
    recs = [_rec(c, near_threshold=True) for c in codes] + [_rec("5.MD.A.1")]
    (chk,) = confirm_checks(recs, {"c1": ["s1", "s2"]})
    assert chk.standards == codes  # in the order given: the plan's priority
    assert chk.sittings == [codes[:MAX_STANDARDS], codes[MAX_STANDARDS:]]
    assert "5.MD.A.1" not in chk.standards  # stated plainly: not checked
    assert chk.n_items == 24 and "in 2 sittings of at most 18" in chk.reason
    assert chk.n_students == 2 and chk.to_dict()["sittings"] == chk.sittings


def test_check_sizes_are_validated():
    with pytest.raises(InvalidInput, match="items_per_standard"):
        confirm_checks([], {}, items_per_standard=0)
    with pytest.raises(InvalidInput, match="max_standards"):
        confirm_checks([], {}, max_standards=0)
