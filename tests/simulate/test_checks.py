"""Simulated students answer a plan's checks from their truth, and the loop closes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sounding.errors import InvalidInput
from sounding.planning import default_scope_sequence, evidence_summary, triage
from sounding.progression import load_default
from sounding.simulate.checks import answer_checks, class_rosters
from sounding.testing import estimated_posterior, planning_tables, tiny_district

DAY = date(2026, 5, 4)


@pytest.fixture(scope="module")
def district():
    return tiny_district()


def _some_checks(d, k=3):
    rosters = class_rosters(d)
    cids = sorted(rosters)[:4]
    return [{"class_id": c, "standards": ["4.NF.A.1", "3.OA.A.1"], "items_per_standard": k}
            for c in cids], rosters


def test_every_student_of_a_checked_class_answers_every_item(district):
    checks, rosters = _some_checks(district)
    out = answer_checks(district, checks, on=DAY, seed=3)
    n = sum(len(rosters[c["class_id"]]) for c in checks)
    assert len(out) == n * 2 * 3
    assert (out["source"] == "check").all()
    assert out["timestamp"].min() >= np.datetime64("2026-05-04T09:00:00")
    # distinct items per student and standard, and every answer its own key
    assert not out.duplicated(["student_id", "item_id"]).any()
    assert not out.duplicated(["student_id", "item_id", "timestamp"]).any()
    again = answer_checks(district, checks, on=DAY, seed=3)
    assert again.equals(out)


def test_answers_follow_the_truth(district):
    rosters = class_rosters(district)
    checks = [{"class_id": c, "standards": ["3.OA.A.1", "4.NF.A.1", "5.NF.A.1", "6.EE.A.2"],
               "items_per_standard": 3} for c in rosters]
    out = answer_checks(district, checks, on=DAY, seed=1)
    truth = district.truth_mastery.set_index("student_id")
    code = out["standard"].map(load_default().k8_algebra1().rollup)  # a part -> its standard
    mastered = np.array([bool(truth.at[s, c]) for s, c in zip(out["student_id"], code,
                                                             strict=True)])
    assert mastered.any() and (~mastered).any()
    right_if = out["correct"][mastered].mean()
    right_if_not = out["correct"][~mastered].mean()
    assert right_if > 0.8 and right_if_not < 0.35  # slip ~0.1, guess ~0.2


def test_bad_checks_are_refused(district):
    with pytest.raises(InvalidInput, match="not a class"):
        answer_checks(district, [{"class_id": "nope", "standards": ["3.OA.A.1"],
                                  "items_per_standard": 3}], on=DAY)
    cid = next(iter(class_rosters(district)))
    with pytest.raises(InvalidInput, match="unknown standard"):
        answer_checks(district, [{"class_id": cid, "standards": ["9.ZZ.A.1"],
                                  "items_per_standard": 3}], on=DAY)


def test_a_plans_checks_become_evidence_for_the_next_plan(district):
    graph = load_default().k8_algebra1()
    post = estimated_posterior(district, graph)
    students, classes, en = planning_tables(district)
    plan = triage(post, students, classes, en, evidence=evidence_summary(district.responses),
                  graph=graph, responses=district.responses, scope=default_scope_sequence())
    checks = plan.checks()
    assert checks, "the tiny district has unsure findings to check"
    for chk in checks:  # only classes with an unsure finding, only its standards
        unsure = [r for r in plan.select(class_id=chk.class_id)
                  if r.class_id == chk.class_id and (r.numbers.get("confirm_first")
                                                     or r.numbers.get("near_threshold"))]
        assert unsure and set(chk.standards) <= {c for r in unsure for c in r.standards}
    new = answer_checks(district, checks, on=DAY)
    both = pd.concat([district.responses, new], ignore_index=True)
    post2 = estimated_posterior(district, graph, both)
    before = post.set_index(["student_id", "standard"])["n_evidence"]
    after = post2.set_index(["student_id", "standard"])["n_evidence"]
    chk = checks[0]
    members = plan.class_members[chk.class_id]
    for code in chk.standards:
        for s in members:
            assert after[(s, code)] == before[(s, code)] + chk.items_per_standard
